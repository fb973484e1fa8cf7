//! The disaster information pages (K-07) as use cases: the administrators' page
//! (`console::pages::rollcall::info`) reads and edits the emergency contacts and links,
//! the evacuation routes and the bulletin board; the member's page
//! (`crate::rollcall_info_page`) reads them through a roll-call link.
//!
//! Authorised like `app::rollcall`: the node operation `Rollcall`, then the account's
//! roll-call authority (`Authority::may_edit_info`: system, function and
//! disaster-prevention administrators). A member has no login: their answer link's
//! token is the key; an unknown or closed roll-call's link gets the answer page's
//! refusal, and reading the page neither opens the link nor answers (only the reads
//! pool-side tables are touched, never the writer).

use anpi_core::rollcall::call::{self, RollCall};
use anpi_core::rollcall::info::{
    InfoInput, InfoSettings, NoticeDraft, Route, RouteInput, check_withdraw_reason,
};
use chrono::{DateTime, Utc};

use super::rollcall::plausible;
use super::{AppError, NodeState};
use crate::store::accounts::Session;
use crate::store::rollcall as calls;
use crate::store::rollcall_info::{self as tables, NoticeRow};
use crate::store::writer::{RollcallChange, RollcallWritten};

/// Everything the administrators' page shows.
#[derive(Debug, Clone)]
pub struct InfoAdmin {
    pub info: InfoSettings,
    /// When and by whom the contacts and links were last saved.
    pub saved: Option<(DateTime<Utc>, String)>,
    pub routes: Vec<Route>,
    /// Every post, newest first, the withdrawn ones with their withdrawal.
    pub notices: Vec<NoticeRow>,
    /// The caller may edit (every roll-call administrator today; kept apart so that
    /// the page does not decide it).
    pub can_edit: bool,
}

/// What a member sees from their link.
#[derive(Debug, Clone)]
pub struct MemberInfo {
    /// The roll-call the link belongs to (its title and mode head the page).
    pub call: RollCall,
    pub member_name: String,
    pub info: InfoSettings,
    pub routes: Vec<Route>,
    /// The posts not withdrawn, newest first.
    pub notices: Vec<anpi_core::rollcall::info::Notice>,
}

fn denied(message: String) -> AppError {
    AppError::Forbidden(message)
}

impl NodeState {
    /// The page of the disaster information, for any roll-call administrator.
    pub async fn rollcall_info_admin(&self, session: &Session) -> Result<InfoAdmin, AppError> {
        let who = self.rollcall_caller(session).await?;
        let client = self.pool.get().await?;
        let (info, saved) = tables::info(&**client).await?;
        Ok(InfoAdmin {
            info,
            saved,
            routes: tables::routes(&**client).await?,
            notices: tables::notices(&**client, false).await?,
            can_edit: who.authority.may_edit_info().is_ok(),
        })
    }

    /// Saves the emergency contacts and links as typed (every problem at once).
    pub async fn rollcall_save_info(
        &self,
        session: &Session,
        input: &InfoInput,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        who.authority.may_edit_info().map_err(denied)?;
        let info = InfoSettings::parse(input).map_err(AppError::Invalid)?;
        self.rollcall_write(who.caller.actor, RollcallChange::SaveInfo { info })
            .await
    }

    /// Adds an evacuation route.
    pub async fn rollcall_add_route(
        &self,
        session: &Session,
        input: &RouteInput,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        who.authority.may_edit_info().map_err(denied)?;
        // Every problem at once here; the writer numbers it and checks again.
        Route::parse(1, input).map_err(AppError::Invalid)?;
        self.rollcall_write(
            who.caller.actor,
            RollcallChange::AddRoute {
                route: input.clone(),
            },
        )
        .await
    }

    pub async fn rollcall_remove_route(
        &self,
        session: &Session,
        id: u32,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        who.authority.may_edit_info().map_err(denied)?;
        self.rollcall_write(who.caller.actor, RollcallChange::RemoveRoute { id })
            .await
    }

    /// Posts on the bulletin board (お知らせ).
    pub async fn rollcall_post_notice(
        &self,
        session: &Session,
        draft: &NoticeDraft,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        who.authority.may_edit_info().map_err(denied)?;
        let draft = draft.check().map_err(AppError::Invalid)?;
        self.rollcall_write(who.caller.actor, RollcallChange::PostNotice { draft })
            .await
    }

    /// Withdraws a post: members no longer see it; the history keeps it with `reason`.
    pub async fn rollcall_withdraw_notice(
        &self,
        session: &Session,
        id: u32,
        reason: &str,
    ) -> Result<RollcallWritten, AppError> {
        let who = self.rollcall_caller(session).await?;
        who.authority.may_edit_info().map_err(denied)?;
        let reason = check_withdraw_reason(reason).map_err(AppError::Invalid)?;
        self.rollcall_write(
            who.caller.actor,
            RollcallChange::WithdrawNotice { id, reason },
        )
        .await
    }

    /// The member's page through their roll-call link (no login). Refused as the
    /// answer page refuses (`call::link_refused`): a malformed or unknown token, a
    /// closed roll-call. A withdrawn (取消) roll-call's link still shows it: the
    /// information matters after a cancelled alert too. Nothing is written: the link
    /// is not marked opened.
    pub async fn rollcall_info_page(&self, token: &str) -> Result<MemberInfo, AppError> {
        if !plausible(token) {
            return Err(AppError::from(call::link_refused()));
        }
        let client = self.pool.get().await?;
        let Some((id, member)) = calls::by_token(&**client, token).await? else {
            return Err(AppError::from(call::link_refused()));
        };
        let call = match calls::call(&**client, id).await? {
            Some(call) if !call.closed => call,
            _ => return Err(AppError::from(call::link_refused())),
        };
        let recipient = calls::recipients(&**client, id, Some(&member))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::from(call::link_refused()))?;
        let (info, _) = tables::info(&**client).await?;
        Ok(MemberInfo {
            call,
            member_name: recipient.member.name,
            info,
            routes: tables::routes(&**client).await?,
            notices: tables::notices(&**client, true)
                .await?
                .into_iter()
                .map(|row| row.notice)
                .collect(),
        })
    }
}

//! 鍵・無効化 (A-04, A-05; issue 19 item 4): this node's public signing key (given to the
//! parent's administrator, who registers it), the keys registered here (the children's,
//! and below the national tier the national key) with the registration form, and at the
//! national node the revocation orders — an account of another node disabled
//! everywhere — with the order form and whether each order has left (JetStream stored
//! it) or waits. All from `app::trust`; who may register whose key is decided by
//! `anpi_core::trust::check_registration`.

use anpi_core::account::{self, Operation};
use anpi_core::validation::FieldError;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::app::AppError;
use crate::app::trust::{ChildKey, RevocationInput};
use crate::console::{
    Clerk, FormErrors, Frame, Posted, Shared, fail, frame_for, jst, redirect_with, render,
};
use crate::store::trust::RecordedOrder;

/// A registered key as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub child: String,
    pub fingerprint: String,
    pub registered: String,
}

impl KeyRow {
    pub fn of(key: &ChildKey) -> KeyRow {
        KeyRow {
            child: key.child.clone(),
            fingerprint: if key.fingerprint.is_empty() {
                "（読み取れない鍵）".into()
            } else {
                key.fingerprint.clone()
            },
            registered: format!("{}（{}）", jst(key.registered_at), key.registered_by),
        }
    }
}

/// A revocation order as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub jurisdiction: String,
    pub account: String,
    pub reason: String,
    pub ordered: String,
    /// 配信済み（time） / 配信待ち.
    pub sent: String,
    pub waiting: bool,
}

fn data_text(order: &RecordedOrder, key: &str) -> String {
    order.data[key].as_str().unwrap_or_default().to_string()
}

impl OrderRow {
    pub fn of(order: &RecordedOrder) -> OrderRow {
        OrderRow {
            jurisdiction: data_text(order, "jurisdiction"),
            account: data_text(order, "account"),
            reason: data_text(order, "reason"),
            ordered: format!("{}（{}）", jst(order.ordered_at), order.actor),
            sent: match order.sent_at {
                Some(at) => format!("配信済み（{}）", jst(at)),
                None => "配信待ち".into(),
            },
            waiting: order.sent_at.is_none(),
        }
    }
}

/// What was typed in the two forms (kept when refused).
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub child: String,
    pub public_key: String,
    pub jurisdiction: String,
    pub account: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "console/trust.html")]
pub struct TrustPage {
    pub frame: Frame,
    pub jurisdiction: String,
    pub public_key: String,
    pub fingerprint: String,
    pub keys: Vec<KeyRow>,
    /// The national node: the revocation orders and their form.
    pub national: bool,
    pub orders: Vec<OrderRow>,
    pub typed: Typed,
    pub errors: FormErrors,
}

async fn show(state: &Shared, clerk: &Clerk, typed: Typed, errors: &[FieldError]) -> Response {
    let session = &clerk.session;
    let own = match state.node.node_key(session).await {
        Ok(own) => own,
        Err(error) => return fail(error),
    };
    let keys = match state.node.child_keys(session).await {
        Ok(keys) => keys,
        Err(error) => return fail(error),
    };
    let tier = state.node.config.tier;
    let national = account::permits(session.role, Operation::RevokeAnywhere, tier);
    let orders = if national {
        match state.node.revocations(session).await {
            Ok(orders) => orders,
            Err(error) => return fail(error),
        }
    } else {
        Vec::new()
    };
    let page = TrustPage {
        frame: frame_for(state, clerk, "/trust").await,
        jurisdiction: own.jurisdiction.to_string(),
        public_key: own.public_key.to_string(),
        fingerprint: own.public_key.fingerprint(),
        keys: keys.iter().map(KeyRow::of).collect(),
        national,
        orders: orders.iter().map(OrderRow::of).collect(),
        typed,
        errors: super::rollcall::shown(errors, ""),
    };
    let mut response = render(&page);
    if !errors.is_empty() && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// GET /trust.
pub async fn page(State(state): State<Shared>, clerk: Clerk) -> Response {
    show(&state, &clerk, Typed::default(), &[]).await
}

#[derive(Debug, Default, Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    child: String,
    #[serde(default)]
    public_key: String,
}

/// POST /trust/keys: registers a child's key (or the national key).
pub async fn register(State(state): State<Shared>, posted: Posted<KeyForm>) -> Response {
    let Posted { clerk, form } = posted;
    match state
        .node
        .register_child_key(&clerk.session, &form.child, &form.public_key)
        .await
    {
        Ok(key) => redirect_with(
            &state,
            &clerk,
            "/trust",
            format!(
                "団体コード {} の鍵（指紋 {}）を登録しました。この団体からの報告・指示を受け付けます。",
                key.child, key.fingerprint
            ),
        ),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed {
                child: form.child,
                public_key: form.public_key,
                ..Typed::default()
            };
            show(&state, &clerk, typed, &errors).await
        }
        Err(error) => fail(error),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    jurisdiction: String,
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    reason: String,
}

/// POST /trust/revocations (national): orders an account of another node disabled.
pub async fn revoke(State(state): State<Shared>, posted: Posted<RevokeForm>) -> Response {
    let Posted { clerk, form } = posted;
    let input = RevocationInput {
        jurisdiction: form.jurisdiction.clone(),
        account: form.account_id.clone(),
        reason: form.reason.clone(),
    };
    match state.node.revoke_account(&clerk.session, input).await {
        Ok(revoked) => redirect_with(&state, &clerk, "/trust#orders-heading", revoked.message),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed {
                jurisdiction: form.jurisdiction,
                account: form.account_id,
                reason: form.reason,
                ..Typed::default()
            };
            show(&state, &clerk, typed, &errors).await
        }
        Err(error) => fail(error),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::console::pages::rollcall::tests::frame;

    #[test]
    fn keys_and_orders_are_listed_with_their_state() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let order = |sent: bool| RecordedOrder {
            data: serde_json::json!({
                "order_id": "x", "jurisdiction": "131016", "account": "clerk1",
                "reason": "<b>端末の紛失</b>"
            }),
            actor: "000001/admin".into(),
            ordered_at: at,
            sent_at: sent.then_some(at),
        };
        let orders = vec![OrderRow::of(&order(true)), OrderRow::of(&order(false))];
        assert_eq!(orders[0].sent, "配信済み（2026-12-01 09:00）");
        assert!(orders[1].waiting);
        let key = ChildKey {
            child: "131016".into(),
            public_key: "ab".into(),
            fingerprint: String::new(),
            registered_by: "000001/admin".into(),
            registered_at: at,
        };
        let mut page = TrustPage {
            frame: frame(),
            jurisdiction: "000001".into(),
            public_key: "00ff".into(),
            fingerprint: "00ff-0000".into(),
            keys: vec![KeyRow::of(&key)],
            national: true,
            orders,
            typed: Typed::default(),
            errors: FormErrors::default(),
        };
        assert_eq!(page.keys[0].fingerprint, "（読み取れない鍵）");
        let html = page.render().unwrap();
        assert!(html.contains("id=\"revoke-form\""));
        assert!(html.contains("配信待ち"));
        assert!(!html.contains("<b>端末"), "escaped");
        assert!(!html.contains("style="));
        page.national = false;
        page.orders.clear();
        let html = page.render().unwrap();
        assert!(!html.contains("id=\"revoke-form\""), "national only");
        assert!(html.contains("id=\"key-form\""));
    }
}

//! The member's emergency-contact pages (緊急連絡先, K-05; source document pages 06–07),
//! on the public listener beside the answer page, phone-first, Japanese, no login, no
//! script:
//! - `GET /c/<token>`, `POST /c/<token>`: a contact mail's link — the member's own
//!   phone numbers and addresses, changeable; a check mail's link also shows the
//!   address it checks, with one button that confirms it (`POST /c/<token>/confirm`).
//!   The confirmation is a button rather than the opening of the link itself: mail
//!   filters that open every link of a mail to scan it would otherwise confirm
//!   addresses nobody read.
//! - `GET /r/<token>/contacts`, `POST /r/<token>/contacts`: the same form from a
//!   roll-call answer link while the roll-call is open (緊急連絡先の変更).
//!
//! The token is the only key and opens only its own member's contacts; a wrong or
//! expired link gets the answer page's one sentence. Pages are never cached and send
//! no referrer (`crate::public::html`).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::app::rollcall_contacts::ContactPage;
use crate::app::{AppError, NodeState};
use crate::public::{escape, html};
use crate::rollcall_page::{refusal, shell};

/// The routes, to merge into the public page's router.
pub fn router(state: Arc<NodeState>) -> Router {
    Router::new()
        .route("/c/{token}", get(open).post(save))
        .route("/c/{token}/confirm", post(confirm))
        .route(
            "/r/{token}/contacts",
            get(open_from_answer).post(save_from_answer),
        )
        .with_state(state)
}

#[derive(Debug, Default, Deserialize)]
struct ContactForm {
    #[serde(default)]
    phones: String,
    #[serde(default)]
    mails: String,
}

/// Where the form posts, and the link back (from an answer link: to the answer page).
struct Place {
    action: String,
    back: Option<String>,
}

fn mail_place(token: &str) -> Place {
    Place {
        action: format!("/c/{token}"),
        back: None,
    }
}

fn answer_place(token: &str) -> Place {
    Place {
        action: format!("/r/{token}/contacts"),
        back: Some(format!("/r/{token}")),
    }
}

async fn open(State(state): State<Arc<NodeState>>, Path(token): Path<String>) -> Response {
    match state.contact_link_page(&token).await {
        Ok(page) => shown(&page, &mail_place(&token), &token, Notice::None),
        Err(error) => refusal(error),
    }
}

async fn save(
    State(state): State<Arc<NodeState>>,
    Path(token): Path<String>,
    Form(form): Form<ContactForm>,
) -> Response {
    let saved = state
        .contact_link_set(&token, &form.phones, &form.mails)
        .await;
    after_save(saved, &form, &mail_place(&token), &token, || {
        state.contact_link_page(&token)
    })
    .await
}

async fn confirm(State(state): State<Arc<NodeState>>, Path(token): Path<String>) -> Response {
    match state.contact_link_confirm(&token).await {
        Ok(page) => shown(&page, &mail_place(&token), &token, Notice::Confirmed),
        Err(error) => refusal(error),
    }
}

async fn open_from_answer(
    State(state): State<Arc<NodeState>>,
    Path(token): Path<String>,
) -> Response {
    match state.rollcall_link_contacts(&token).await {
        Ok(page) => shown(&page, &answer_place(&token), &token, Notice::None),
        Err(error) => refusal(error),
    }
}

async fn save_from_answer(
    State(state): State<Arc<NodeState>>,
    Path(token): Path<String>,
    Form(form): Form<ContactForm>,
) -> Response {
    let saved = state
        .rollcall_link_set_contacts(&token, &form.phones, &form.mails)
        .await;
    after_save(saved, &form, &answer_place(&token), &token, || {
        state.rollcall_link_contacts(&token)
    })
    .await
}

/// The page after a save: saved, or the form again with what was typed and what is
/// wrong (nothing saved).
async fn after_save<F, Fut>(
    saved: Result<ContactPage, AppError>,
    form: &ContactForm,
    place: &Place,
    token: &str,
    reload: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<ContactPage, AppError>>,
{
    match saved {
        Ok(page) => shown(&page, place, token, Notice::Saved),
        Err(AppError::Invalid(errors)) => match reload().await {
            Ok(page) => {
                let messages: Vec<String> = errors.into_iter().map(|e| e.message).collect();
                let mut response = shown(
                    &page,
                    place,
                    token,
                    Notice::Invalid {
                        messages,
                        phones: form.phones.clone(),
                        mails: form.mails.clone(),
                    },
                );
                *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                response
            }
            Err(error) => refusal(error),
        },
        Err(error) => refusal(error),
    }
}

enum Notice {
    None,
    Saved,
    Confirmed,
    Invalid {
        messages: Vec<String>,
        phones: String,
        mails: String,
    },
}

fn shown(page: &ContactPage, place: &Place, token: &str, notice: Notice) -> Response {
    html(StatusCode::OK, &page_html(page, place, token, &notice))
}

fn page_html(page: &ContactPage, place: &Place, token: &str, notice: &Notice) -> String {
    let mut main = format!(
        "<h1>緊急連絡先</h1>\n<p>{} 様</p>\n",
        escape(&page.member_name)
    );
    if let Some((address, confirmed)) = &page.check {
        if *confirmed {
            main.push_str(&format!(
                "<div class=\"done\" id=\"confirmed\" role=\"status\"><strong>確認しました</strong><br>メールアドレス {} にメールが届くことを確認しました。ありがとうございました。</div>\n",
                escape(address)
            ));
        } else {
            main.push_str(&format!(
                "<form method=\"post\" action=\"/c/{token}/confirm\">\n<p>緊急連絡先のメールアドレス <strong>{}</strong> の確認です。このメールが届いていれば、下のボタンを押してください。</p>\n<div class=\"choices one\"><button type=\"submit\" id=\"confirm\">メールが届きました（確認する）</button></div>\n</form>\n",
                escape(address)
            ));
        }
    }
    let (phones, mails) = match notice {
        Notice::Invalid { phones, mails, .. } => (phones.clone(), mails.clone()),
        _ => (
            page.contacts
                .phones
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            page.contacts
                .mails
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    };
    match notice {
        Notice::Saved => main.push_str(
            "<div class=\"done\" id=\"saved\" role=\"status\"><strong>緊急連絡先を保存しました</strong><br>変わったときは、いつでもこのページから変更できます。</div>\n",
        ),
        Notice::Confirmed | Notice::None => {}
        Notice::Invalid { messages, .. } => {
            main.push_str("<div class=\"error\" role=\"alert\" id=\"errors\"><strong>保存できませんでした。</strong><ul>");
            for message in messages {
                main.push_str(&format!("<li>{}</li>", escape(message)));
            }
            main.push_str("</ul></div>\n");
        }
    }
    main.push_str(&format!(
        "<form method=\"post\" action=\"{}\">\n\
<p class=\"note\">災害のときに連絡がつく電話番号とメールアドレスを入力してください。安否確認のメールは、ここに入力したメールアドレスに届きます。あなたの連絡先は、あなたと安否確認の管理者だけが見られます。</p>\n\
<label for=\"phones\">電話番号（1行に1件、3件まで）</label>\n\
<textarea id=\"phones\" name=\"phones\" rows=\"3\" inputmode=\"tel\" autocomplete=\"tel\" placeholder=\"例: 090-1234-5678\">{}</textarea>\n\
<label for=\"mails\">メールアドレス（1行に1件、3件まで）</label>\n\
<textarea id=\"mails\" name=\"mails\" rows=\"3\" inputmode=\"email\" autocomplete=\"email\" placeholder=\"例: taro@example.jp\">{}</textarea>\n\
<div class=\"choices one\"><button type=\"submit\" id=\"save\" class=\"current\">保存する</button></div>\n</form>\n",
        place.action,
        escape(&phones),
        escape(&mails)
    ));
    if let Some(back) = &place.back {
        main.push_str(&format!(
            "<p><a href=\"{back}\">安否確認の回答ページへ戻る</a></p>\n"
        ));
    }
    shell("緊急連絡先", "", &main)
}

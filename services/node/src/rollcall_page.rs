//! The member's answer page (K-02), on the public listener (`public_listen`, reachable
//! from outside the office network): `GET /r/<token>` shows the form and marks the
//! link opened, `POST /r/<token>` answers. Phone-first, Japanese, no login, no script:
//! one large button per status, the comment optional, "回答しました" with the time; the
//! answer can be given again (the first answer time stays visible). A wrong or expired
//! link gets one sentence and nothing else. A withdrawn roll-call's link (取消, K-08)
//! says it was withdrawn and that no answer is needed, and takes no answer. The token
//! in the path is the only key; the page is never cached and sends no referrer.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use crate::app::rollcall::AnswerPage;
use crate::app::{AppError, NodeState};
use crate::console::jst;
use crate::public::{escape, html};

/// The routes, to merge into the public page's router.
pub fn router(state: Arc<NodeState>) -> Router {
    Router::new()
        .route("/r/{token}", get(open).post(answer))
        .with_state(state)
}

#[derive(Debug, Default, Deserialize)]
struct AnswerForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    comment: String,
}

async fn open(State(state): State<Arc<NodeState>>, Path(token): Path<String>) -> Response {
    match state.rollcall_open_link(&token).await {
        Ok(page) => html(StatusCode::OK, &page_html(&token, &page, None, "")),
        Err(error) => refusal(error),
    }
}

async fn answer(
    State(state): State<Arc<NodeState>>,
    Path(token): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Response {
    match state
        .rollcall_answer_link(&token, &form.status, &form.comment)
        .await
    {
        Ok(page) => html(StatusCode::OK, &page_html(&token, &page, None, "")),
        Err(AppError::Invalid(errors)) => {
            // Show the form again with what was typed and what is wrong.
            match state.rollcall_open_link(&token).await {
                Ok(page) => {
                    let message = errors
                        .iter()
                        .map(|e| e.message.clone())
                        .collect::<Vec<_>>()
                        .join(" ");
                    html(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &page_html(&token, &page, Some(&message), &form.comment),
                    )
                }
                Err(error) => refusal(error),
            }
        }
        // A withdrawn roll-call takes no answer: its page says so.
        Err(AppError::Conflict(message)) => match state.rollcall_open_link(&token).await {
            Ok(page) if page.call.cancelled => {
                html(StatusCode::CONFLICT, &page_html(&token, &page, None, ""))
            }
            _ => refusal(AppError::Conflict(message)),
        },
        Err(error) => refusal(error),
    }
}

/// A wrong or expired link: one sentence. Other failures: try again later.
pub(crate) fn refusal(error: AppError) -> Response {
    let (status, text) = match &error {
        AppError::NotFound(_) | AppError::Conflict(_) => (
            StatusCode::NOT_FOUND,
            "このリンクは無効か、期限が切れています。".to_string(),
        ),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            "ただいま回答を受け付けられません。少し待ってから、もう一度開いてください。"
                .to_string(),
        ),
    };
    html(
        status,
        &shell(
            "安否確認",
            "",
            &format!("<p id=\"refused\">{}</p>", escape(&text)),
        ),
    )
}

pub(crate) fn shell(title: &str, banner: &str, main: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>
body {{ font-family: sans-serif; font-size: 18px; line-height: 1.6; margin: 0 auto; max-width: 32em; padding: .8em; color: #111; }}
h1 {{ font-size: 1.3em; margin: .4em 0; }}
.drill {{ background: #6a1b9a; color: #fff; font-weight: bold; padding: .6em; text-align: center; font-size: 1.1em; }}
.done {{ background: #e6f4ea; border-left: .4em solid #1e7e34; padding: .8em; margin: 1em 0; }}
.error {{ background: #fce8e6; border-left: .4em solid #b3261e; padding: .8em; margin: 1em 0; }}
label {{ display: block; font-weight: bold; margin-top: 1em; }}
textarea {{ font-size: 1em; width: 100%; box-sizing: border-box; padding: .5em; min-height: 4.5em; }}
.choices {{ display: grid; grid-template-columns: 1fr 1fr; gap: .6em; margin-top: .6em; }}
.choices button {{ font-size: 1.2em; padding: 1em .4em; border: 2px solid #1a4d8f; background: #fff; color: #1a4d8f; border-radius: .4em; font-weight: bold; }}
.choices button.current {{ background: #1a4d8f; color: #fff; }}
.choices.one {{ grid-template-columns: 1fr; }}
.note {{ font-size: .9em; color: #333; }}
</style>
</head>
<body>
{banner}<main>
{main}
</main>
</body>
</html>
"#
    )
}

fn page_html(token: &str, page: &AnswerPage, error: Option<&str>, typed_comment: &str) -> String {
    let drill = page.call.mode == anpi_core::rollcall::Mode::Drill;
    let banner = if drill {
        r#"<div class="drill" role="note">訓練　これは防災訓練の安否確認です</div>"#
    } else {
        ""
    };
    let mut main = format!(
        "<h1>{}安否確認: {}</h1>\n<p>{} 様</p>\n",
        if drill { "【訓練】" } else { "" },
        escape(&page.call.title),
        escape(&page.member_name)
    );
    if page.call.cancelled {
        main.push_str(
            "<div class=\"done\" id=\"cancelled\" role=\"status\"><strong>【取消】この安否確認は取り消されました。</strong><br>回答の必要はありません。すでに回答した方も、そのままで構いません。</div>\n",
        );
        // K-07: the disaster information stays reachable after a withdrawal.
        main.push_str(&info_link(token));
        return shell("安否確認（取消）", banner, &main);
    }
    if let (Some(status), Some(at)) = (&page.last_status, page.last_answered_at) {
        let by = if page.last_proxy {
            "（代理の方が回答）"
        } else {
            ""
        };
        main.push_str(&format!(
            "<div class=\"done\" id=\"answered\" role=\"status\"><strong>回答しました</strong>{by}<br>安否状況: {}<br>回答日時: {}",
            escape(status),
            jst(at)
        ));
        if let Some(first) = page.first_answered_at
            && first != at
        {
            main.push_str(&format!("<br>最初の回答: {}", jst(first)));
        }
        if let Some(comment) = page.last_comment.as_ref().filter(|c| !c.is_empty()) {
            main.push_str(&format!("<br>コメント: {}", escape(comment)));
        }
        main.push_str("<br>内容が変わったときは、下からもう一度回答できます。</div>\n");
    }
    if let Some(error) = error {
        main.push_str(&format!(
            "<div class=\"error\" role=\"alert\">{}</div>\n",
            escape(error)
        ));
    }
    let comment = if typed_comment.is_empty() {
        page.last_comment.clone().unwrap_or_default()
    } else {
        typed_comment.to_string()
    };
    main.push_str(&format!(
        "<form method=\"post\" action=\"/r/{token}\">\n<label for=\"comment\">コメント（任意）</label>\n<textarea id=\"comment\" name=\"comment\" maxlength=\"400\" placeholder=\"例: 自宅にいます。出勤できます\">{}</textarea>\n<p id=\"choose\"><strong>あなたの安否状況を選んでください</strong>（押すと回答が送信されます）</p>\n<div class=\"choices\" role=\"group\" aria-labelledby=\"choose\">\n",
        escape(&comment)
    ));
    for status in &page.call.statuses {
        let current = page.last_status.as_deref() == Some(status.as_str());
        main.push_str(&format!(
            "<button type=\"submit\" name=\"status\" value=\"{0}\"{1}>{0}</button>\n",
            escape(status),
            if current { " class=\"current\"" } else { "" }
        ));
    }
    main.push_str("</div>\n</form>\n<p class=\"note\">この回答ページはあなた専用です。リンクを他の人に転送しないでください。</p>\n");
    // K-05: the member's own emergency contacts, from the same link.
    main.push_str(&format!(
        "<p><a href=\"/r/{token}/contacts\" id=\"contacts-link\">緊急連絡先の変更</a></p>\n"
    ));
    // K-07: the disaster information pages, from the same link.
    main.push_str(&info_link(token));
    shell("安否確認の回答", banner, &main)
}

/// The link to the disaster information page (K-07, `crate::rollcall_info_page`).
fn info_link(token: &str) -> String {
    format!(
        "<p><a href=\"/r/{token}/info\" id=\"info-link\">災害情報を見る</a>（お知らせ・緊急連絡先・避難経路・リンク）</p>\n"
    )
}

#[cfg(test)]
mod tests {
    use anpi_core::ids::RollcallId;
    use anpi_core::rollcall::Mode;
    use anpi_core::rollcall::call::RollCall;

    use super::*;

    fn page(mode: Mode, cancelled: bool) -> AnswerPage {
        AnswerPage {
            call: RollCall {
                id: RollcallId::from_uuid(uuid::Uuid::nil()),
                title: "東京都２３区で震度5強の地震".into(),
                mode,
                orgs: vec![],
                statuses: vec!["無事".into(), "軽傷".into()],
                round: 1,
                closed: false,
                cancelled,
            },
            member_name: "防災 花子".into(),
            last_status: None,
            last_comment: None,
            first_answered_at: None,
            last_answered_at: None,
            last_proxy: false,
        }
    }

    // R: K-08 — a withdrawn roll-call's link says so and offers no answer.
    #[test]
    fn a_cancelled_link_says_no_answer_is_needed_and_has_no_form() {
        let html = page_html("ab", &page(Mode::Actual, true), None, "");
        assert!(html.contains("id=\"cancelled\""), "{html}");
        assert!(html.contains("【取消】この安否確認は取り消されました。"));
        assert!(html.contains("回答の必要はありません"));
        assert!(!html.contains("<form"));
        let drill = page_html("ab", &page(Mode::Drill, true), None, "");
        assert!(drill.contains("訓練　これは防災訓練の安否確認です"));
        let open = page_html("ab", &page(Mode::Actual, false), None, "");
        assert!(open.contains("<form") && !open.contains("id=\"cancelled\""));
        // K-07: both views lead to the disaster information.
        assert!(open.contains("href=\"/r/ab/info\""));
        assert!(html.contains("href=\"/r/ab/info\""));
    }
}

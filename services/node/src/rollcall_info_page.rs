//! The member's disaster information page (災害情報, K-07) on the public listener:
//! `GET /r/<token>/info`, reached from the answer page (`crate::rollcall_page`) with the
//! same personal link. Phone-first, Japanese, no login, no script: the bulletin board
//! (お知らせ, newest first, withdrawn posts left out), the organisation's emergency
//! contacts (each number a `tel:` link), the evacuation routes (origin → destination,
//! the route on the chosen map service in a new tab) and the useful links. A wrong or
//! closed roll-call's link gets the answer page's one sentence; reading this page never
//! opens the link nor answers. Never cached, no referrer (`public::html`); links out
//! carry `rel="noopener noreferrer"` as well.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use crate::app::NodeState;
use crate::app::rollcall_info::MemberInfo;
use crate::console::jst;
use crate::public::{escape, html};
use crate::rollcall_page::{refusal, shell};

/// The routes, to merge into the public page's router.
pub fn router(state: Arc<NodeState>) -> Router {
    Router::new()
        .route("/r/{token}/info", get(page))
        .with_state(state)
}

async fn page(State(state): State<Arc<NodeState>>, Path(token): Path<String>) -> Response {
    match state.rollcall_info_page(&token).await {
        Ok(info) => html(StatusCode::OK, &page_html(&token, &info)),
        Err(error) => refusal(error),
    }
}

/// What this page adds to the answer page's style.
const STYLE: &str = "\
h2 { font-size: 1.15em; margin: 1.4em 0 .4em; border-bottom: 2px solid #1a4d8f; padding-bottom: .2em; }\n\
h3 { font-size: 1.05em; margin: 0 0 .2em; }\n\
.back { display: inline-block; margin: .2em 0 .4em; }\n\
.toc { display: flex; flex-wrap: wrap; gap: .3em .9em; padding: 0; margin: .4em 0; list-style: none; }\n\
.item { border: 1px solid #c8d3e0; border-radius: .4em; padding: .6em .8em; margin: .6em 0; background: #fff; }\n\
.notice-item { border-left: .4em solid #b3261e; }\n\
.meta { font-size: .85em; color: #333; margin: 0 0 .3em; }\n\
.body { margin: 0; overflow-wrap: anywhere; }\n\
.tel { display: inline-block; font-size: 1.25em; font-weight: bold; padding: .2em 0; }\n\
.places { margin: .2em 0 .4em; padding: 0; }\n\
.places div { display: flex; gap: .5em; }\n\
.places dt { font-weight: bold; min-width: 3.5em; }\n\
.places dd { margin: 0; overflow-wrap: anywhere; }\n\
.map { display: inline-block; background: #1a4d8f; color: #fff; padding: .5em .8em; border-radius: .4em; text-decoration: none; font-weight: bold; }\n\
.links { padding-left: 1.2em; }\n\
.links li { margin: .4em 0; overflow-wrap: anywhere; }\n\
.empty { color: #333; }\n";

/// Text with its line feeds as `<br>`.
fn paragraphs(text: &str) -> String {
    escape(text).replace('\n', "<br>\n")
}

pub(crate) fn page_html(token: &str, info: &MemberInfo) -> String {
    let drill = info.call.mode == anpi_core::rollcall::Mode::Drill;
    let mut main = format!(
        "<p><a class=\"back\" href=\"/r/{token}\">← 安否確認の回答ページに戻る</a></p>\n<h1>災害情報</h1>\n<p class=\"meta\">{} 様 ／ {}安否確認: {}</p>\n",
        escape(&info.member_name),
        if drill { "【訓練】" } else { "" },
        escape(&info.call.title),
    );
    main.push_str(
        "<nav aria-label=\"このページの内容\"><ul class=\"toc\"><li><a href=\"#notices\">お知らせ</a></li><li><a href=\"#contacts\">緊急連絡先</a></li><li><a href=\"#routes\">避難経路</a></li><li><a href=\"#links\">リンク</a></li></ul></nav>\n",
    );

    main.push_str("<section aria-labelledby=\"notices\">\n<h2 id=\"notices\">お知らせ</h2>\n");
    if info.notices.is_empty() {
        main.push_str("<p class=\"empty\">お知らせはありません。</p>\n");
    }
    for notice in &info.notices {
        main.push_str(&format!(
            "<article class=\"item notice-item\" id=\"notice-{}\">\n<h3>{}</h3>\n<p class=\"meta\">{} 掲載</p>\n<p class=\"body\">{}</p>\n</article>\n",
            notice.id,
            escape(&notice.title),
            jst(notice.posted_at),
            paragraphs(&notice.body),
        ));
    }
    main.push_str("</section>\n");

    main.push_str(
        "<section aria-labelledby=\"contacts\">\n<h2 id=\"contacts\">災害時の緊急連絡先</h2>\n",
    );
    if info.info.contacts.is_empty() {
        main.push_str("<p class=\"empty\">緊急連絡先は登録されていません。</p>\n");
    } else {
        main.push_str("<ul class=\"links\" id=\"contact-list\">\n");
        for contact in &info.info.contacts {
            main.push_str(&format!(
                "<li><strong>{}</strong><br><a class=\"tel\" href=\"{}\" aria-label=\"{}に電話する {}\">{}</a>{}</li>\n",
                escape(&contact.name),
                escape(&contact.tel_uri()),
                escape(&contact.name),
                escape(&contact.phone),
                escape(&contact.phone),
                if contact.note.is_empty() {
                    String::new()
                } else {
                    format!("<br><span class=\"meta\">{}</span>", escape(&contact.note))
                },
            ));
        }
        main.push_str("</ul>\n");
    }
    main.push_str("</section>\n");

    main.push_str("<section aria-labelledby=\"routes\">\n<h2 id=\"routes\">避難経路</h2>\n");
    if info.routes.is_empty() {
        main.push_str("<p class=\"empty\">避難経路は登録されていません。</p>\n");
    }
    for route in &info.routes {
        let name = escape(&route.name);
        let map = route.map.label();
        main.push_str(&format!(
            "<div class=\"item\" id=\"route-{}\">\n<h3>{name}</h3>\n<dl class=\"places\"><div><dt>出発地</dt><dd>{}</dd></div><div><dt>目的地</dt><dd>{}</dd></div></dl>\n<a class=\"map\" href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\" aria-label=\"{name}：{map}で経路を見る（新しいタブで開きます）\">{map}で経路を見る</a>\n</div>\n",
            route.id,
            escape(&route.origin),
            escape(&route.destination),
            escape(&route.map_url()),
        ));
    }
    main.push_str("</section>\n");

    main.push_str("<section aria-labelledby=\"links\">\n<h2 id=\"links\">リンク</h2>\n");
    if info.info.links.is_empty() {
        main.push_str("<p class=\"empty\">リンクは登録されていません。</p>\n");
    } else {
        main.push_str(
            "<p class=\"meta\">リンクと地図は新しいタブで開きます。</p>\n<ul class=\"links\" id=\"link-list\">\n",
        );
        for link in &info.info.links {
            main.push_str(&format!(
                "<li><a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\" aria-label=\"{1}（新しいタブで開きます）\">{1}</a></li>\n",
                escape(&link.url),
                escape(&link.title),
            ));
        }
        main.push_str("</ul>\n");
    }
    main.push_str("</section>\n<p class=\"note\">このページはあなた専用のリンクから開いています。リンクを他の人に転送しないでください。</p>\n");
    let banner = if drill {
        r#"<div class="drill" role="note">訓練　これは防災訓練の安否確認です</div>"#
    } else {
        ""
    };
    shell("災害情報", banner, &main).replacen("</style>", &format!("{STYLE}</style>"), 1)
}

#[cfg(test)]
mod tests {
    use anpi_core::ids::{AccountId, RollcallId};
    use anpi_core::rollcall::Mode;
    use anpi_core::rollcall::call::RollCall;
    use anpi_core::rollcall::info::{
        EmergencyContact, InfoSettings, MapService, Notice, Route, UsefulLink,
    };

    use super::*;

    fn info() -> MemberInfo {
        let at =
            |h: u32| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 1, h, 0, 0).unwrap();
        MemberInfo {
            call: RollCall {
                id: RollcallId::from_uuid(uuid::Uuid::nil()),
                title: "震度5強の地震".into(),
                mode: Mode::Drill,
                orgs: vec![],
                statuses: vec![],
                round: 1,
                closed: false,
                cancelled: false,
            },
            member_name: "防災 花子".into(),
            info: InfoSettings {
                contacts: vec![EmergencyContact {
                    name: "災害対策本部<>".into(),
                    phone: "03-1234-5678".into(),
                    note: "24時間".into(),
                }],
                links: vec![UsefulLink {
                    title: "気象庁".into(),
                    url: "https://www.jma.go.jp/?a=1&b=2".into(),
                }],
            },
            routes: vec![Route {
                id: 1,
                name: "第一避難所".into(),
                map: MapService::OpenStreetMap,
                origin: "本庁舎".into(),
                destination: "九段小学校".into(),
            }],
            notices: vec![
                Notice {
                    id: 2,
                    title: "二報".into(),
                    body: "自宅待機\n<b>注意</b>".into(),
                    posted_at: at(10),
                    posted_by: AccountId::parse("admin").unwrap(),
                },
                Notice {
                    id: 1,
                    title: "一報".into(),
                    body: "第一報".into(),
                    posted_at: at(9),
                    posted_by: AccountId::parse("admin").unwrap(),
                },
            ],
        }
    }

    // R: K-07 — every section, escaped, links out without referrer.
    #[test]
    fn the_page_shows_every_section_escaped_with_safe_links() {
        let html = page_html("ab", &info());
        assert!(html.contains("href=\"/r/ab\""), "back to the answer page");
        assert!(html.contains("href=\"tel:0312345678\""));
        assert!(html.contains("災害対策本部&lt;&gt;") && !html.contains("本部<>"));
        assert!(html.contains("自宅待機<br>\n&lt;b&gt;注意"));
        assert!(html.contains("https://www.jma.go.jp/?a=1&amp;b=2"));
        let first = html.find("二報").unwrap();
        assert!(first < html.find("一報").unwrap(), "in the order given");
        for (at, _) in html.match_indices("target=\"_blank\"") {
            assert!(
                html[at..at + 60].contains("rel=\"noopener noreferrer\""),
                "{}",
                &html[at..at + 60]
            );
        }
        assert!(html.contains("openstreetmap.org/directions"));
        assert!(html.contains("訓練　これは防災訓練の安否確認です"));
        assert!(
            html.contains(".map {"),
            "the page's own style is in the head"
        );
        assert!(html.find(".map {").unwrap() < html.find("</head>").unwrap());
        assert!(!html.contains("<script"));
        let mut empty = info();
        empty.notices.clear();
        empty.routes.clear();
        empty.info = InfoSettings::default();
        let html = page_html("ab", &empty);
        assert!(html.contains("お知らせはありません"));
        assert!(html.contains("避難経路は登録されていません"));
    }
}

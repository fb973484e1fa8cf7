//! The four mails roll-call sends, editable (K-06, source page 10): subject and body
//! with placeholders, checked and previewed before they are saved.
//!
//! Placeholders are written `{{名前}}` so that a clerk can read and type them:
//! `{{氏名}}` the member's name, `{{所属}}` their organisations, `{{件名}}` the
//! roll-call's title, `{{送信日時}}` when it was sent (Japan time), `{{URL}}` the
//! member's personal link (required: without it the mail is useless).
//! The drill mail's subject always begins with 【訓練】, whatever the template says
//! (T-04: drill is marked everywhere).

use serde::{Deserialize, Serialize};

use crate::validation::FieldError;

/// Which mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    /// 安否確認メール.
    Safety,
    /// 安否確認（防災訓練）メール.
    SafetyDrill,
    /// 緊急連絡先通知メール: confirms an address works (K-05).
    ContactCheck,
    /// 緊急連絡先設定確認通知メール: asks members to set their contacts (K-05).
    ContactRequest,
}

impl TemplateKind {
    pub const ALL: [TemplateKind; 4] = [
        TemplateKind::Safety,
        TemplateKind::SafetyDrill,
        TemplateKind::ContactCheck,
        TemplateKind::ContactRequest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::Safety => "safety",
            TemplateKind::SafetyDrill => "safety_drill",
            TemplateKind::ContactCheck => "contact_check",
            TemplateKind::ContactRequest => "contact_request",
        }
    }

    pub fn parse(text: &str) -> Option<TemplateKind> {
        TemplateKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            TemplateKind::Safety => "安否確認メール",
            TemplateKind::SafetyDrill => "安否確認（防災訓練）メール",
            TemplateKind::ContactCheck => "緊急連絡先通知メール",
            TemplateKind::ContactRequest => "緊急連絡先設定確認通知メール",
        }
    }

    /// The template this node uses until an administrator saves its own.
    pub fn default_template(self) -> Template {
        let (subject, body) = match self {
            TemplateKind::Safety => (
                "【安否確認】{{件名}}",
                "{{氏名}} 様\n\n\
                 {{件名}}のため、安否確認を行います。\n\
                 下のリンクを開き、あなたの安否状況を回答してください。\n\
                 回答は何度でもやり直せます。\n\n\
                 {{URL}}\n\n\
                 所属: {{所属}}\n\
                 送信日時: {{送信日時}}\n\n\
                 このメールは安否確認システムから送信しています。返信しないでください。\n",
            ),
            TemplateKind::SafetyDrill => (
                "【訓練】【安否確認】{{件名}}",
                "{{氏名}} 様\n\n\
                 これは防災訓練です。実際の災害ではありません。\n\
                 訓練として、下のリンクを開き、安否状況を回答してください。\n\n\
                 {{URL}}\n\n\
                 所属: {{所属}}\n\
                 送信日時: {{送信日時}}\n\n\
                 このメールは安否確認システムから送信しています（訓練）。返信しないでください。\n",
            ),
            TemplateKind::ContactCheck => (
                "【緊急連絡先の確認】このアドレスに届いていることの確認",
                "{{氏名}} 様\n\n\
                 緊急連絡先として登録されたメールアドレスの確認です。\n\
                 下のリンクを開くと、このアドレスに届いたことが確認されます。\n\n\
                 {{URL}}\n\n\
                 送信日時: {{送信日時}}\n",
            ),
            TemplateKind::ContactRequest => (
                "【お願い】緊急連絡先を設定してください",
                "{{氏名}} 様\n\n\
                 災害時の安否確認のため、緊急連絡先（電話番号・メールアドレス）を設定してください。\n\
                 下のリンクから設定できます。\n\n\
                 {{URL}}\n\n\
                 送信日時: {{送信日時}}\n",
            ),
        };
        Template {
            subject: subject.into(),
            body: body.into(),
        }
    }
}

/// A mail's subject and body, with placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

/// The placeholders a template may use, and what each stands for.
pub const PLACEHOLDERS: [(&str, &str); 5] = [
    ("氏名", "職員の氏名"),
    ("所属", "職員の所属組織"),
    ("件名", "安否確認の件名（例: 震度5強の地震）"),
    ("送信日時", "送信した日時（日本時間）"),
    ("URL", "職員ごとの回答用リンク（必須）"),
];

pub const SUBJECT_MAX: usize = 120;
pub const BODY_MAX: usize = 4000;

/// What fills the placeholders of one mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill<'a> {
    pub name: &'a str,
    pub orgs: &'a str,
    pub title: &'a str,
    pub sent_at: &'a str,
    pub url: &'a str,
}

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

impl Template {
    /// Checks a template as typed: lengths and characters, every placeholder known,
    /// `{{URL}}` in the body; every problem at once.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.subject.trim().is_empty() {
            errors.push(FieldError::new(
                "template_subject",
                "件名を入力してください",
            ));
        }
        errors.extend(crate::text::check_value(
            "template_subject",
            crate::text::TextKind::Line,
            SUBJECT_MAX,
            &self.subject,
        ));
        if self.body.trim().is_empty() {
            errors.push(FieldError::new("template_body", "本文を入力してください"));
        }
        errors.extend(crate::text::check_value(
            "template_body",
            crate::text::TextKind::Text,
            BODY_MAX,
            &self.body,
        ));
        for (field, text) in [
            ("template_subject", &self.subject),
            ("template_body", &self.body),
        ] {
            for piece in pieces(text) {
                match piece {
                    Piece::Placeholder(name) if !PLACEHOLDERS.iter().any(|(p, _)| *p == name) => {
                        errors.push(FieldError::new(
                            field,
                            format!(
                                "「{{{{{}}}}}」は使えない差し込み項目です（使えるのは {} です）",
                                crate::text::printable(name),
                                PLACEHOLDERS
                                    .iter()
                                    .map(|(p, _)| format!("{{{{{p}}}}}"))
                                    .collect::<Vec<_>>()
                                    .join("・")
                            ),
                        ))
                    }
                    Piece::Unclosed => {
                        errors.push(FieldError::new(field, "「{{」が「}}」で閉じられていません"))
                    }
                    _ => {}
                }
            }
        }
        if self.subject.contains("{{URL}}") {
            errors.push(FieldError::new(
                "template_subject",
                "件名に{{URL}}は入れられません（本文に入れてください）",
            ));
        }
        if !self.body.contains("{{URL}}") {
            errors.push(FieldError::new(
                "template_body",
                "本文に{{URL}}（職員ごとのリンク）を入れてください。リンクがないと回答できません",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The mail for one member. `drill`: the subject begins with 【訓練】.
    pub fn render(&self, fill: &Fill<'_>, drill: bool) -> Rendered {
        let line = |text: &str| text.replace(['\r', '\n'], " ");
        let mut subject = fill_in(&self.subject, fill, &line);
        if drill && !subject.starts_with("【訓練】") {
            subject = format!("【訓練】{subject}");
        }
        Rendered {
            subject,
            body: fill_in(&self.body, fill, &|text: &str| text.to_string()),
        }
    }
}

/// A time as the mails say it, in Japan time: 「2026年12月06日 09:00」.
pub fn mail_time(time: chrono::DateTime<chrono::Utc>) -> String {
    time.with_timezone(&crate::entry::jst_offset())
        .format("%Y年%m月%d日 %H:%M")
        .to_string()
}

/// What fills the notice that a roll-call was withdrawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelFill<'a> {
    pub name: &'a str,
    /// The roll-call's title.
    pub title: &'a str,
    /// When the roll-call was sent (Japan time, as the mails say it).
    pub sent_at: &'a str,
    /// Why, as the members read it (e.g. 気象庁が地震情報を取り消したため).
    pub why: &'a str,
}

/// The notice that a roll-call was withdrawn (K-08, 取消), to the addresses it reached:
/// the subject begins with 【取消】 (a drill's goes on with 【訓練】), the body says the
/// earlier request is withdrawn and no answer is needed. Not one of the four editable
/// mails (K-06): its wording is fixed.
pub fn cancellation_notice(fill: &CancelFill<'_>, drill: bool) -> Rendered {
    let line = |text: &str| text.replace(['\r', '\n'], " ");
    let subject = format!(
        "【取消】{}【安否確認】{}",
        if drill { "【訓練】" } else { "" },
        line(fill.title)
    );
    let mut body = format!(
        "{} 様\n\n{} にお送りした安否確認「{}」は取り消されました。\n\
         回答の必要はありません（すでに回答した方も、そのままで構いません）。\n\n\
         理由: {}\n",
        fill.name,
        fill.sent_at,
        line(fill.title),
        line(fill.why)
    );
    if drill {
        body.push_str("\nこれは防災訓練の連絡です。実際の災害ではありません。\n");
    }
    body.push_str("\nこのメールは安否確認システムから送信しています。返信しないでください。\n");
    Rendered { subject, body }
}

enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
    Unclosed,
}

/// Splits a template into text and `{{…}}` placeholders.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push(Piece::Text(&rest[..start]));
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                out.push(Piece::Placeholder(&after[..end]));
                rest = &after[end + 2..];
            }
            None => {
                out.push(Piece::Unclosed);
                out.push(Piece::Text(&rest[start..]));
                rest = "";
            }
        }
    }
    out.push(Piece::Text(rest));
    out
}

fn fill_in(text: &str, fill: &Fill<'_>, clean: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Placeholder(name) => match name {
                "氏名" => out.push_str(&clean(fill.name)),
                "所属" => out.push_str(&clean(fill.orgs)),
                "件名" => out.push_str(&clean(fill.title)),
                "送信日時" => out.push_str(&clean(fill.sent_at)),
                "URL" => out.push_str(&clean(fill.url)),
                other => {
                    out.push_str("{{");
                    out.push_str(other);
                    out.push_str("}}");
                }
            },
            Piece::Unclosed => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill() -> Fill<'static> {
        Fill {
            name: "山田 太郎",
            orgs: "総務部 / 防災課",
            title: "震度5強の地震",
            sent_at: "2026年12月6日 10:00",
            url: "https://anpi.example.lg.jp/r/abc",
        }
    }

    #[test]
    fn every_default_template_is_valid_and_carries_the_link() {
        for kind in TemplateKind::ALL {
            let template = kind.default_template();
            template
                .check()
                .unwrap_or_else(|e| panic!("{kind:?}: {e:?}"));
            let mail = template.render(&fill(), kind == TemplateKind::SafetyDrill);
            assert!(
                mail.body.contains("https://anpi.example.lg.jp/r/abc"),
                "{kind:?}"
            );
            assert!(!mail.body.contains("{{"), "{kind:?}: {}", mail.body);
            assert_eq!(TemplateKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn placeholders_are_filled_and_the_drill_is_marked() {
        let template = Template {
            subject: "{{件名}}について".into(),
            body: "{{氏名}}さん ({{所属}}) {{URL}} {{送信日時}}".into(),
        };
        let actual = template.render(&fill(), false);
        assert_eq!(actual.subject, "震度5強の地震について");
        assert_eq!(
            actual.body,
            "山田 太郎さん (総務部 / 防災課) https://anpi.example.lg.jp/r/abc 2026年12月6日 10:00"
        );
        let drill = template.render(&fill(), true);
        assert_eq!(drill.subject, "【訓練】震度5強の地震について");
        let already = TemplateKind::SafetyDrill
            .default_template()
            .render(&fill(), true);
        assert!(
            already.subject.starts_with("【訓練】【安否確認】"),
            "{}",
            already.subject
        );
    }

    // R: K-08 — the withdrawal notice: 【取消】 first, 【訓練】 kept for a drill, no answer
    // needed, no line break from the title in the subject.
    #[test]
    fn the_cancellation_notice_says_the_request_is_withdrawn() {
        let fill = CancelFill {
            name: "山田 太郎",
            title: "東京都２３区で震度5強の地震\r\nBcc: x@example.jp",
            sent_at: "2026年12月06日 09:00",
            why: "気象庁が地震情報を取り消したため",
        };
        let actual = cancellation_notice(&fill, false);
        assert!(
            actual
                .subject
                .starts_with("【取消】【安否確認】東京都２３区で震度5強の地震"),
            "{}",
            actual.subject
        );
        assert!(!actual.subject.contains('\n') && !actual.subject.contains('\r'));
        assert!(!actual.subject.contains("【訓練】"));
        assert!(actual.body.starts_with("山田 太郎 様"), "{}", actual.body);
        assert!(
            actual
                .body
                .contains("2026年12月06日 09:00 にお送りした安否確認")
        );
        assert!(actual.body.contains("取り消されました"));
        assert!(actual.body.contains("回答の必要はありません"));
        assert!(
            actual
                .body
                .contains("理由: 気象庁が地震情報を取り消したため")
        );
        assert!(!actual.body.contains("訓練"));
        let drill = cancellation_notice(&fill, true);
        assert!(
            drill.subject.starts_with("【取消】【訓練】【安否確認】"),
            "{}",
            drill.subject
        );
        assert!(drill.body.contains("これは防災訓練の連絡です"));
    }

    #[test]
    fn a_line_break_in_a_value_never_reaches_the_subject() {
        let template = Template {
            subject: "{{件名}}".into(),
            body: "{{URL}}".into(),
        };
        let mut f = fill();
        f.title = "件名\r\nBcc: evil@example.jp";
        let mail = template.render(&f, false);
        assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'));
    }

    #[test]
    fn unknown_and_unclosed_placeholders_and_a_missing_link_are_named() {
        let template = Template {
            subject: "{{名前}} {{URL}}".into(),
            body: "本文 {{氏名".into(),
        };
        let errors = template.check().unwrap_err();
        let text: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        assert!(
            text.iter()
                .any(|t| t.contains("template_subject") && t.contains("{{名前}}")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("template_body") && t.contains("閉じられていません")),
            "{text:?}"
        );
        assert!(text.iter().any(|t| t.contains("件名に{{URL}}")), "{text:?}");
        assert!(text.iter().any(|t| t.contains("本文に{{URL}}")), "{text:?}");
        let empty = Template {
            subject: " ".into(),
            body: "".into(),
        }
        .check()
        .unwrap_err();
        assert!(empty.len() >= 2);
    }
}

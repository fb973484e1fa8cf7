//! `/rollcall/templates`: the four mails roll-call sends (K-06, source page 10), each
//! with its subject and body, the placeholders and what they stand for, プレビュー (the
//! mail as an example member would get it; nothing saved) and 保存.

use anpi_core::rollcall::template::PLACEHOLDERS;
use anpi_core::rollcall::{Template, TemplateKind};
use anpi_core::validation::FieldError;
use askama::Template as Askama;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{caller, frame, problem, shown};
use crate::app::{AppError, NodeState};
use crate::console::{Clerk, FormErrors, Frame, Posted, Shared, fail, redirect_with, render};

/// The example a preview shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub subject: String,
    pub body: String,
}

/// One mail's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateBlock {
    pub kind: &'static str,
    pub label: &'static str,
    pub subject: String,
    pub body: String,
    /// An administrator saved this one (otherwise the node's default).
    pub saved: bool,
    pub drill: bool,
    pub preview: Option<Preview>,
    /// What the form holds differs from what is saved (after a preview).
    pub unsaved: bool,
}

impl TemplateBlock {
    /// The id of a field of this block (`safety-template_subject`).
    pub fn field(&self, name: &str) -> String {
        format!("{}-{name}", self.kind)
    }

    /// The body's textarea is as tall as the text (and room for a few more lines).
    pub fn rows(&self) -> usize {
        (self.body.lines().count() + 2).clamp(8, 30)
    }
}

#[derive(Askama)]
#[template(path = "console/rollcall_templates.html")]
pub struct TemplatesPage {
    pub frame: Frame,
    pub blocks: Vec<TemplateBlock>,
    /// (`{{氏名}}`, what it stands for).
    pub placeholders: Vec<(String, &'static str)>,
    pub can_edit: bool,
    pub errors: FormErrors,
}

impl TemplatesPage {
    pub fn here(&self) -> &'static str {
        "templates"
    }
}

/// A placeholder as typed in a template.
pub fn placeholder(name: &str) -> String {
    format!("{{{{{name}}}}}")
}

/// The page; `typed` replaces one block's text (with its preview), `errors` are that
/// block's problems.
async fn show(
    state: &Shared,
    clerk: &Clerk,
    typed: Option<(TemplateKind, Template, Option<Preview>)>,
    errors: Vec<FieldError>,
) -> Response {
    let who = match caller(state, clerk).await {
        Ok(who) => who,
        Err(response) => return response,
    };
    let mut blocks = Vec::with_capacity(TemplateKind::ALL.len());
    for kind in TemplateKind::ALL {
        let (stored, saved) = match state.node.rollcall_template(&clerk.session, kind).await {
            Ok(found) => found,
            Err(error) => return fail(error),
        };
        let mut block = TemplateBlock {
            kind: kind.as_str(),
            label: kind.label(),
            subject: stored.subject.clone(),
            body: stored.body.clone(),
            saved,
            drill: kind == TemplateKind::SafetyDrill,
            preview: None,
            unsaved: false,
        };
        if let Some((typed_kind, template, preview)) = &typed
            && *typed_kind == kind
        {
            block.unsaved = *template != stored;
            block.subject = template.subject.clone();
            block.body = template.body.clone();
            block.preview = preview.clone();
        }
        blocks.push(block);
    }
    let prefix = typed
        .as_ref()
        .map(|(kind, _, _)| format!("{}-", kind.as_str()))
        .unwrap_or_default();
    let refused = !errors.is_empty();
    let page = TemplatesPage {
        frame: frame(state, clerk).await,
        blocks,
        placeholders: PLACEHOLDERS
            .iter()
            .map(|(name, meaning)| (placeholder(name), *meaning))
            .collect(),
        can_edit: who.authority.may_edit_templates().is_ok(),
        errors: shown(&errors, &prefix),
    };
    let mut response = render(&page);
    if refused && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// GET /rollcall/templates.
pub async fn page(State(state): State<Shared>, clerk: Clerk) -> Response {
    show(&state, &clerk, None, Vec::new()).await
}

#[derive(Debug, Default, Deserialize)]
pub struct TemplateForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    action: String,
}

/// Line ends as the domain keeps them (a browser sends CRLF).
pub fn unix_lines(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// POST /rollcall/templates: `kind`, `subject`, `body`, `action` `preview` or `save`.
pub async fn submit(State(state): State<Shared>, posted: Posted<TemplateForm>) -> Response {
    let Posted { clerk, form } = posted;
    let Some(kind) = TemplateKind::parse(&form.kind) else {
        return fail(AppError::Invalid(vec![problem(
            "template_kind",
            "配信メールの種類",
            "配信メールの種類が正しくありません。画面を開き直してください",
        )]));
    };
    let template = Template {
        subject: form.subject.trim().to_string(),
        body: unix_lines(&form.body),
    };
    if form.action == "preview" {
        return match NodeState::rollcall_preview(&template, kind) {
            Ok(rendered) => {
                let preview = Preview {
                    subject: rendered.subject,
                    body: rendered.body,
                };
                show(
                    &state,
                    &clerk,
                    Some((kind, template, Some(preview))),
                    Vec::new(),
                )
                .await
            }
            Err(AppError::Invalid(errors)) => {
                show(&state, &clerk, Some((kind, template, None)), errors).await
            }
            Err(error) => fail(error),
        };
    }
    match state
        .node
        .rollcall_save_template(&clerk.session, kind, template.clone())
        .await
    {
        Ok(_) => redirect_with(
            &state,
            &clerk,
            &format!("/rollcall/templates#tpl-{}", kind.as_str()),
            format!(
                "「{}」を保存しました。次に送るメールから使われます。",
                kind.label()
            ),
        ),
        Err(AppError::Invalid(errors)) => {
            show(&state, &clerk, Some((kind, template, None)), errors).await
        }
        Err(error) => fail(error),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::frame;
    use super::*;

    #[test]
    fn placeholders_are_written_as_clerks_type_them() {
        assert_eq!(placeholder("氏名"), "{{氏名}}");
        assert_eq!(unix_lines("a\r\nb\n"), "a\nb\n");
    }

    #[test]
    fn each_mail_has_its_own_fields_and_a_preview_is_marked_unsaved() {
        let blocks: Vec<TemplateBlock> = TemplateKind::ALL
            .into_iter()
            .map(|kind| {
                let t = kind.default_template();
                TemplateBlock {
                    kind: kind.as_str(),
                    label: kind.label(),
                    subject: t.subject,
                    body: t.body,
                    saved: false,
                    drill: kind == TemplateKind::SafetyDrill,
                    preview: (kind == TemplateKind::Safety).then(|| Preview {
                        subject: "【安否確認】<例>".into(),
                        body: "消防 太郎 様".into(),
                    }),
                    unsaved: kind == TemplateKind::Safety,
                }
            })
            .collect();
        let page = TemplatesPage {
            frame: frame(),
            blocks,
            placeholders: PLACEHOLDERS
                .iter()
                .map(|(n, m)| (placeholder(n), *m))
                .collect(),
            can_edit: true,
            errors: shown(
                &[problem("template_body", "本文", "{{URL}} を入れてください")],
                "safety-",
            ),
        };
        let html = page.render().unwrap();
        for kind in TemplateKind::ALL {
            assert!(html.contains(&format!("id=\"field-{}-template_subject\"", kind.as_str())));
        }
        assert!(html.contains("id=\"err-safety-template_body\""));
        assert!(html.contains("id=\"preview-safety\""));
        assert!(html.contains("例") && !html.contains("<例>"), "escaped");
        assert!(html.contains("{{氏名}}"));
        assert!(html.contains("まだ保存されていません"));
        assert!(!html.contains("style="));
    }
}

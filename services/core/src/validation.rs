//! Field-level problems reported to clerks. R: E-03.
//!
//! Validation never stops at the first problem: it collects every `FieldError`, each
//! naming the field by its path (`address.prefecture`) and by its label on the form
//! (住所（都道府県）), with a message in Japanese.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Path of the field in the entry format, e.g. `birth_date`, `address.prefecture`.
    pub field: String,
    /// The field's label on the form, in Japanese.
    pub label: String,
    /// What is wrong and what to do, in Japanese.
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            label: label_of(field).to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}（{}）: {}", self.label, self.field, self.message)
    }
}

/// A warning: the entry is accepted, but the operator should re-confirm. R: E-09.
pub type FieldWarning = FieldError;

/// The form label of a field path.
pub fn label_of(field: &str) -> &'static str {
    match field {
        "entry" => "安否情報（1件全体）",
        "form" => "様式",
        "written_at" => "記入日時",
        "name" => "氏名",
        "alias" => "通称",
        "furigana" => "フリガナ",
        "birth_date" => "出生の年月日",
        "sex" => "男女の別",
        "address" => "住所",
        "address.postal_code" => "住所（郵便番号）",
        "address.prefecture" => "住所（都道府県）",
        "address.municipality" => "住所（市区町村）",
        "address.town" => "住所（町丁字）",
        "address.lot" => "住所（地番）",
        "address.foreign" => "住所（外国）",
        "nationality" | "nationality.kind" => "国籍",
        "nationality.other" => "国籍（その他）",
        "identifying_info" => "その他個人を識別するための情報",
        "injury" | "injury.status" => "負傷（疾病）の該当",
        "injury.severity" => "負傷又は疾病の状況（程度）",
        "injury.description" => "負傷又は疾病の状況（内容）",
        "location" => "現在の居所",
        "location.prefecture" => "現在の居所（都道府県）",
        "location.municipality" => "現在の居所（市区町村）",
        "location.town" => "現在の居所（町丁字）",
        "location.lot" => "現在の居所（地番）",
        "location.place_name" => "現在の居所（場所）",
        "location.category" => "現在の居所（区分）",
        "contact" => "連絡先その他必要情報",
        "consent" => "照会に対する回答の意向",
        "consent.family" => "親族・同居者への回答",
        "consent.acquaintance" => "知人への回答",
        "consent.others" => "親族・同居者・知人以外への回答又は公表",
        "consent.not_confirmable" => "意思確認不可",
        "consent.fields" => "照会に対する回答の意向（項目別）",
        "death" => "死亡の日時、場所及び状況",
        "death.date" => "死亡の日付",
        "death.time" => "死亡の時刻",
        "death.place" => "死亡の場所",
        "death.circumstances" => "死亡の状況",
        "death.no_medical_certificate" => "診断書等無し",
        "death.discovered" => "発見された日時及び場所",
        "body_location" => "遺体が安置されている場所",
        "bereaved" => "同意回答者（遺族）",
        "bereaved.consent" => "親族・同居者・知人以外への回答又は公表（遺族の同意）",
        "bereaved.name" => "同意回答者の氏名",
        "bereaved.contact" => "同意回答者の連絡先",
        "bereaved.address" => "同意回答者の住所",
        "bereaved.relationship" => "同意回答者の続柄",
        "remarks" => "備考",
        "reason" => "削除理由",
        "publication" => "公表の判断",
        "publication_reason" => "判断の理由",
        "publication_contact" => "確認した相手（収集団体の担当者）",
        "date" => "退去日",
        "mode" => "事案の種別",
        "incident_id" => "事案",
        "record_id" => "安否情報",
        "org_code" => "組織コード",
        "org_name" => "組織名",
        "org_parent" => "上位組織コード",
        "member_code" => "職員番号",
        "member_name" => "氏名",
        "member_orgs" => "所属組織コード",
        "mail" => "メールアドレス",
        "contact_phone" => "電話番号",
        "contact_mail" => "緊急連絡先メールアドレス",
        "mail_sender" => "メール送信元アドレス",
        "mail_sender_name" => "差出人名",
        "smtp_host" => "送信メールサーバー",
        "smtp_port" => "ポート番号",
        "smtp_security" => "暗号化",
        "smtp_username" => "SMTP認証ユーザー名",
        "smtp_password" => "SMTP認証パスワード",
        "smtp_ca" => "CA証明書",
        "internal_url" => "アクセスURL（内部）",
        "external_url" => "アクセスURL（外部）",
        "template_kind" => "配信メールの種類",
        "template_subject" => "件名",
        "template_body" => "本文",
        "rollcall" => "安否確認",
        "rollcall_title" => "件名",
        "rollcall_orgs" => "配信先の組織",
        "statuses" => "回答の選択肢",
        "status" => "安否状況",
        "comment" => "コメント",
        "token" => "回答用リンク",
        "kind" => "イベントの種類",
        "actor" => "操作者",
        "from" => "期間（から）",
        "until" => "期間（まで）",
        "retention_until" => "保存期間の終了日",
        "purge_incident" => "消去する事案",
        "confirm" => "確認のための入力",
        "from_position" => "検査の開始位置",
        "expect" => "控えた末尾",
        _ if field.starts_with("consent.fields.") => "照会に対する回答の意向（項目別）",
        _ => "項目",
    }
}

/// Rejects control characters and over-long text in any free-text field.
pub fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str, max_chars: usize) {
    if value.chars().any(|c| c.is_control() && c != '\n') {
        errors.push(FieldError::new(
            field,
            "使用できない制御文字が含まれています",
        ));
    }
    let count = value.chars().count();
    if count > max_chars {
        errors.push(FieldError::new(
            field,
            format!("{max_chars}文字以内で入力してください（現在{count}文字）"),
        ));
    }
}

/// Joins problems into one message for a status line.
pub fn summarize(errors: &[FieldError]) -> String {
    let mut text = format!("入力内容に誤りがあります（{}件）。", errors.len());
    for error in errors {
        text.push_str("\n- ");
        text.push_str(&error.to_string());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_checks_and_labels() {
        let mut errors = Vec::new();
        check_text(&mut errors, "remarks", "ok\u{7}", 10);
        check_text(&mut errors, "name", "あいうえおかきくけこさ", 10);
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].label, "備考");
        assert!(errors[1].message.contains("11文字"));
        assert!(summarize(&errors).starts_with("入力内容に誤りがあります（2件）"));
    }
}

//! Valid drafts shared by the crate's unit tests.

use super::{EntryDraft, FormKind, InjuryDraft};

/// A complete, valid Form 1 draft (evacuee).
pub(crate) fn evacuee() -> EntryDraft {
    let mut draft = EntryDraft {
        form: FormKind::Form1,
        written_at: "2026-11-21 14:30".into(),
        name: "消防　太郎".into(),
        furigana: "ショウボウ　タロウ".into(),
        birth_date: "1981-11-25".into(),
        sex: "男".into(),
        ..EntryDraft::default()
    };
    draft.address.prefecture = "東京都".into();
    draft.address.municipality = "千代田区".into();
    draft.address.town = "霞が関2丁目".into();
    draft.address.lot = "1番2号".into();
    draft.injury.status = "非該当".into();
    draft
}

/// A complete, valid Form 2 draft (deceased).
pub(crate) fn deceased() -> EntryDraft {
    let mut draft = evacuee();
    draft.form = FormKind::Form2;
    draft.injury = InjuryDraft::default();
    draft.death.date = "2026-11-21".into();
    draft.death.time = "09:40".into();
    draft.death.place = "千代田区永田町1丁目付近".into();
    draft.death.circumstances = "建物の倒壊に巻き込まれて死亡".into();
    draft.body_location = "千代田区総合体育館".into();
    draft.bereaved.consent = "同意しない".into();
    draft.bereaved.name = "消防　良子".into();
    draft.bereaved.relationship = "妻".into();
    draft
}

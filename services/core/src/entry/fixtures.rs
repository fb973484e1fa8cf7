//! Valid drafts for tests and benchmarks: this crate's unit tests, and other crates'
//! tests through the `fixtures` feature.

use super::{EntryDraft, FormKind, InjuryDraft};

/// A complete, valid Form 1 draft (evacuee).
pub fn evacuee() -> EntryDraft {
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
pub fn deceased() -> EntryDraft {
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

/// A minimal valid Form 1 draft for person number `n` (distinct name and lot), for
/// tests and benchmarks that need many people.
pub fn numbered_evacuee(n: usize) -> EntryDraft {
    let mut draft = EntryDraft {
        form: FormKind::Form1,
        written_at: "2026-11-21 10:00".into(),
        name: format!("試験　{n}郎"),
        furigana: "シケン　タロウ".into(),
        birth_date: "1980-01-01".into(),
        sex: if n.is_multiple_of(2) { "男" } else { "女" }.into(),
        ..EntryDraft::default()
    };
    draft.address.prefecture = "東京都".into();
    draft.address.municipality = "千代田区".into();
    draft.address.lot = format!("{n}-1");
    draft.injury.status = "非該当".into();
    draft
}

/// A valid Form 2 draft (deceased) for person number `n`.
pub fn numbered_deceased(n: usize) -> EntryDraft {
    let mut draft = numbered_evacuee(n);
    draft.form = FormKind::Form2;
    draft.injury = InjuryDraft::default();
    draft.death.date = "2026-11-21".into();
    draft.death.place = "千代田区永田町1丁目付近".into();
    draft.death.circumstances = "建物の倒壊に巻き込まれて死亡".into();
    draft.body_location = "千代田区総合体育館".into();
    draft.bereaved.consent = "同意しない".into();
    draft.bereaved.name = "試験　花子".into();
    draft.bereaved.relationship = "妻".into();
    draft
}

/// A complete, valid Form 1 draft of an injured person in hospital, with identifying
/// information, a current location and a contact (every row of Form 5 has a value).
pub fn injured() -> EntryDraft {
    let mut draft = evacuee();
    draft.identifying_info = "身長170cm程度、青い上着".into();
    draft.injury = InjuryDraft {
        status: "負傷".into(),
        severity: "重症".into(),
        description: "頭部打撲、意識不明".into(),
    };
    draft.location.prefecture = "東京都".into();
    draft.location.municipality = "千代田区".into();
    draft.location.town = "神田1丁目".into();
    draft.location.lot = "2番3号".into();
    draft.location.place_name = "千代田中央病院".into();
    draft.location.category = "医療機関".into();
    draft.contact = "千代田中央病院 03-1234-5678".into();
    draft
}

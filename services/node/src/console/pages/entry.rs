//! 様式第1号・第2号の入力画面 (issue 15; E-01..E-11, guideline 第4 1–2, figure 4-1).
//!
//! The forms carry every field of [`EntryDraft`]; this module only maps the posted
//! form to a draft and back. No rule lives here: the draft goes to
//! `NodeState::record_entry`, whose `anpi_core::entry::validate` decides and names every
//! problem by its field path, which is mapped to the input's id (`field-<name>`). Before
//! writing, the console runs the same domain functions (`entry::validate`,
//! `consent::resolve`, `consent::resolve_deceased`) without writing, to show the parsed
//! dates and the figure 4-1 warnings and to ask for the clerk's confirmation
//! (`confirm_consent`) before an inconsistent consent is saved (E-09).
//!
//! Input names are the draft's field paths (`name`, `address.prefecture`,
//! `injury.status`, `death.date`, `bereaved.consent` …) plus the console's own: the
//! one-line address `address_line` (split by `anpi_core::canon::split_address`), the
//! table 4-1 categories `id.*` (joined with `、` in category order), the consent
//! columns and cells `consent.*`, and `confirm_consent`, `supersedes`,
//! `confirm_same_person`, `action` (`check` shows the readings without saving).

use std::collections::BTreeMap;

use anpi_core::account::{self, Operation};
use anpi_core::canon;
use anpi_core::consent::{
    self, Agreement, Audience, ConsentDraft, ConsentField, ConsentMatrix, FieldChoice, FieldSet,
};
use anpi_core::entry::{self, EntryDraft, FormKind, Severity};
use anpi_core::era;
use anpi_core::ids::{IncidentId, RecordId, RollcallId};
use anpi_core::incident::Incident;
use anpi_core::rollcall::MemberCode;
use anpi_core::validation::{FieldError, FieldWarning, label_of};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};

use crate::app::AppError;
use crate::app::entries::{NewEntry, RecordView};
use crate::app::rollcall::Form1Draft;
use crate::console::forms::ShownError;
use crate::console::{
    Clerk, Console, FormErrors, Frame, Posted, Shared, fail, jst, redirect_with, render,
};

// ---------------------------------------------------------------------------------
// Choices shown on the forms (the domain checks every value).

/// Table 4-1 category 1 ①: age bands when the birth date is unknown.
pub const AGE_BANDS: [&str; 9] = [
    "幼児",
    "年齢10代",
    "年齢20代",
    "年齢30代",
    "年齢40代",
    "年齢50代",
    "年齢60代",
    "年齢70代",
    "年齢80代以上",
];
/// Table 4-1 category 2.
pub const BLOOD_TYPES: [&str; 4] = ["血液型A型", "血液型B型", "血液型O型", "血液型AB型"];
/// Table 4-1 category 3.
pub const HEIGHTS: [&str; 6] = [
    "身長100cm以下",
    "身長100cmから150cm程度",
    "身長150cmから170cm程度",
    "身長170cmから180cm程度",
    "身長180cmから200cm程度",
    "身長200cm以上",
];
/// Table 4-1 category 4.
pub const HAIR: [&str; 6] = [
    "頭髪黒",
    "頭髪白",
    "頭髪金",
    "頭髪茶",
    "頭髪赤",
    "頭髪その他",
];
/// Table 4-1 category 5.
pub const EYES: [&str; 5] = [
    "目の色黒",
    "目の色茶",
    "目の色青",
    "目の色緑",
    "目の色その他",
];
/// 現在の居所の区分: the values `entry::validate` accepts.
pub use anpi_core::entry::LOCATION_CATEGORIES;

/// The inputs of other identifying information, in the category order of table 4-1
/// (E-05): 1 年齢 (band, or the part of the birth date known), 2 血液型, 3 身長, 4 頭髪,
/// 5 目の色, 6 その他身体的特徴, 7 服装, 8 所持品, 9 その他.
pub const ID_SLOTS: [&str; 10] = [
    "id.age",
    "id.birth_partial",
    "id.blood",
    "id.height",
    "id.hair",
    "id.eyes",
    "id.features",
    "id.clothing",
    "id.belongings",
    "id.other",
];

/// The markers the guideline has typed into other identifying information.
const NOT_CONFIRMABLE: &str = "意思確認不可";
const NO_CERTIFICATE: &str = "診断書等無し";
const DISCOVERED: &str = "発見された日時及び場所";

/// Fields copied one to one between the form and the draft, on both forms.
const COMMON_TEXT: [&str; 16] = [
    "written_at",
    "name",
    "alias",
    "furigana",
    "birth_date",
    "sex",
    "address.postal_code",
    "address.prefecture",
    "address.municipality",
    "address.town",
    "address.lot",
    "address.foreign",
    "nationality.kind",
    "nationality.other",
    "contact",
    "remarks",
];
/// Form 1 only.
const FORM1_TEXT: [&str; 9] = [
    "injury.status",
    "injury.severity",
    "injury.description",
    "location.prefecture",
    "location.municipality",
    "location.town",
    "location.lot",
    "location.place_name",
    "location.category",
];
/// Form 2 only.
const FORM2_TEXT: [&str; 10] = [
    "death.date",
    "death.time",
    "death.place",
    "death.circumstances",
    "body_location",
    "bereaved.consent",
    "bereaved.name",
    "bereaved.contact",
    "bereaved.address",
    "bereaved.relationship",
];
/// Form 2 check boxes (`1` when ticked).
const FORM2_FLAGS: [&str; 2] = ["death.no_medical_certificate", "death.discovered"];

/// The three audiences in column order.
const AUDIENCES: [Audience; 3] = [Audience::Family, Audience::Acquaintance, Audience::Others];

fn audience_key(audience: Audience) -> &'static str {
    match audience {
        Audience::Family => "family",
        Audience::Acquaintance => "acquaintance",
        Audience::Others => "others",
    }
}

/// The input name of one consent cell: `consent.cell.<audience>.<field>`.
pub fn cell_name(audience: Audience, field: ConsentField) -> String {
    format!("consent.cell.{}.{}", audience_key(audience), field.key())
}

fn text_slot<'a>(draft: &'a mut EntryDraft, name: &str) -> Option<&'a mut String> {
    let d = draft;
    Some(match name {
        "written_at" => &mut d.written_at,
        "name" => &mut d.name,
        "alias" => &mut d.alias,
        "furigana" => &mut d.furigana,
        "birth_date" => &mut d.birth_date,
        "sex" => &mut d.sex,
        "address.postal_code" => &mut d.address.postal_code,
        "address.prefecture" => &mut d.address.prefecture,
        "address.municipality" => &mut d.address.municipality,
        "address.town" => &mut d.address.town,
        "address.lot" => &mut d.address.lot,
        "address.foreign" => &mut d.address.foreign,
        "nationality.kind" => &mut d.nationality.kind,
        "nationality.other" => &mut d.nationality.other,
        "contact" => &mut d.contact,
        "remarks" => &mut d.remarks,
        "injury.status" => &mut d.injury.status,
        "injury.severity" => &mut d.injury.severity,
        "injury.description" => &mut d.injury.description,
        "location.prefecture" => &mut d.location.prefecture,
        "location.municipality" => &mut d.location.municipality,
        "location.town" => &mut d.location.town,
        "location.lot" => &mut d.location.lot,
        "location.place_name" => &mut d.location.place_name,
        "location.category" => &mut d.location.category,
        "death.date" => &mut d.death.date,
        "death.time" => &mut d.death.time,
        "death.place" => &mut d.death.place,
        "death.circumstances" => &mut d.death.circumstances,
        "body_location" => &mut d.body_location,
        "bereaved.consent" => &mut d.bereaved.consent,
        "bereaved.name" => &mut d.bereaved.name,
        "bereaved.contact" => &mut d.bereaved.contact,
        "bereaved.address" => &mut d.bereaved.address,
        "bereaved.relationship" => &mut d.bereaved.relationship,
        _ => return None,
    })
}

fn flag_slot<'a>(draft: &'a mut EntryDraft, name: &str) -> Option<&'a mut bool> {
    match name {
        "death.no_medical_certificate" => Some(&mut draft.death.no_medical_certificate),
        "death.discovered" => Some(&mut draft.death.discovered),
        _ => None,
    }
}

fn text_fields(kind: FormKind) -> impl Iterator<Item = &'static str> {
    let own: &[&'static str] = match kind {
        FormKind::Form1 => &FORM1_TEXT,
        FormKind::Form2 => &FORM2_TEXT,
    };
    COMMON_TEXT.iter().chain(own).copied()
}

/// The 記入日時 a new form starts with: now, in Japan time.
pub fn now_text(now: DateTime<Utc>) -> String {
    now.with_timezone(&entry::jst_offset())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

// ---------------------------------------------------------------------------------
// The form as posted (or pre-filled), by input name.

/// The values of an entry form, by input name, exactly as typed.
#[derive(Debug, Clone, Default)]
pub struct EntryForm {
    pub kind: FormKind,
    values: BTreeMap<String, String>,
}

/// How the consent table was shown when the form was sent: the cells and the column
/// answers they were derived from (the hidden `consent_shown`). A cell the clerk did
/// not change follows a changed column answer (⑫–⑭, ⑪); a changed cell is the
/// clerk's own choice for that field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shown {
    matrix: ConsentMatrix,
    columns: Columns,
}

/// The column answers: ⑫ and ⑬ (Form 1 only), ⑭ or the bereaved's ⑪.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    family_refused: bool,
    acquaintance_refused: bool,
    others: Agreement,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            family_refused: false,
            acquaintance_refused: false,
            others: Agreement::Unknown,
        }
    }
}

fn empty_matrix() -> ConsentMatrix {
    ConsentMatrix {
        family: FieldSet::none(),
        acquaintance: FieldSet::none(),
        others: FieldSet::none(),
    }
}

fn set_cell(matrix: &mut ConsentMatrix, audience: Audience, field: ConsentField, allowed: bool) {
    match audience {
        Audience::Family => matrix.family.set(field, allowed),
        Audience::Acquaintance => matrix.acquaintance.set(field, allowed),
        Audience::Others => matrix.others.set(field, allowed),
    }
}

fn agreement_letter(agreement: Agreement) -> char {
    match agreement {
        Agreement::Agree => 'a',
        Agreement::Disagree => 'd',
        Agreement::Unknown => 'u',
    }
}

fn encode_shown(shown: &Shown) -> String {
    let mut parts: Vec<String> = AUDIENCES
        .iter()
        .map(|audience| {
            ConsentField::ALL
                .iter()
                .map(|field| {
                    if shown.matrix.allows(*audience, *field) {
                        '1'
                    } else {
                        '0'
                    }
                })
                .collect()
        })
        .collect();
    let c = shown.columns;
    parts.push(format!(
        "{}{}{}",
        u8::from(c.family_refused),
        u8::from(c.acquaintance_refused),
        agreement_letter(c.others)
    ));
    parts.join(".")
}

fn decode_shown(text: &str) -> Option<Shown> {
    let parts: Vec<&str> = text.split('.').collect();
    let [family, acquaintance, others, columns] = parts.as_slice() else {
        return None;
    };
    let mut matrix = empty_matrix();
    for (audience, bits) in AUDIENCES.iter().zip([family, acquaintance, others]) {
        if bits.len() != ConsentField::ALL.len() {
            return None;
        }
        for (field, bit) in ConsentField::ALL.iter().zip(bits.chars()) {
            match bit {
                '1' => set_cell(&mut matrix, *audience, *field, true),
                '0' => {}
                _ => return None,
            }
        }
    }
    let columns: Vec<char> = columns.chars().collect();
    let [family_refused, acquaintance_refused, others] = columns.as_slice() else {
        return None;
    };
    let flag = |c: &char| match c {
        '1' => Some(true),
        '0' => Some(false),
        _ => None,
    };
    Some(Shown {
        matrix,
        columns: Columns {
            family_refused: flag(family_refused)?,
            acquaintance_refused: flag(acquaintance_refused)?,
            others: match others {
                'a' => Agreement::Agree,
                'd' => Agreement::Disagree,
                'u' => Agreement::Unknown,
                _ => return None,
            },
        },
    })
}

/// The matrix the domain makes of the column answers alone (no per-field choice).
fn baseline(kind: FormKind, columns: Columns) -> ConsentMatrix {
    match kind {
        FormKind::Form1 => {
            let draft = ConsentDraft {
                family: columns.family_refused.then_some(false),
                acquaintance: columns.acquaintance_refused.then_some(false),
                others: others_text(columns.others),
                ..ConsentDraft::default()
            };
            consent::resolve(&draft, "")
                .map(|resolved| resolved.matrix)
                .unwrap_or_else(|_| ConsentMatrix::table_4_3())
        }
        FormKind::Form2 => consent::deceased_matrix(columns.others),
    }
}

/// ⑭ as the draft holds it: 不明 is the initial value, sent as empty.
fn others_text(agreement: Agreement) -> String {
    match agreement {
        Agreement::Unknown => String::new(),
        other => other.label_ja().to_string(),
    }
}

/// Per-field choices that turn `base` into `target`.
fn field_choices(base: &ConsentMatrix, target: &ConsentMatrix) -> BTreeMap<String, FieldChoice> {
    ConsentField::ALL
        .iter()
        .filter_map(|field| {
            let differs = |audience| {
                let wanted = target.allows(audience, *field);
                (wanted != base.allows(audience, *field)).then_some(wanted)
            };
            let choice = FieldChoice {
                family: differs(Audience::Family),
                acquaintance: differs(Audience::Acquaintance),
                others: differs(Audience::Others),
            };
            (choice != FieldChoice::default()).then(|| (field.key().to_string(), choice))
        })
        .collect()
}

/// What the console itself found wrong with a form (before the domain sees it).
fn console_error(field: &str, label: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_string(),
        label: label.to_string(),
        message: message.to_string(),
    }
}

/// A one-line address as the domain split it (shown after a refused submit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitNote {
    pub line: String,
    pub prefecture: String,
    pub municipality: String,
    pub town: String,
    pub lot: String,
}

/// A posted form made ready: the draft and what else the clerk asked for.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub draft: EntryDraft,
    pub split: Option<SplitNote>,
    /// The console's own problems (both address forms, an unreadable record ID).
    pub problems: Vec<FieldError>,
    pub supersedes: Option<RecordId>,
    pub confirm_same_person: bool,
    pub confirm_consent: bool,
    /// `action=check`: show the readings, write nothing.
    pub check_only: bool,
}

impl EntryForm {
    /// A value as typed ("" when absent).
    pub fn v(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// A check box is ticked.
    pub fn on(&self, name: &str) -> bool {
        self.v(name) == "1"
    }

    fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        if value.is_empty() {
            self.values.remove(name);
        } else {
            self.values.insert(name.to_string(), value);
        }
    }

    fn tick(&mut self, name: &str, on: bool) {
        self.set(name, if on { "1" } else { "" });
    }

    /// A posted form (the last value of a name counts; `csrf` is not kept).
    pub fn from_pairs(kind: FormKind, pairs: &[(String, String)]) -> EntryForm {
        let mut form = EntryForm {
            kind,
            values: BTreeMap::new(),
        };
        for (name, value) in pairs {
            if name != "csrf" {
                form.set(name, value.clone());
            }
        }
        form
    }

    /// An empty form: 記入日時 now, 国籍 日本, the consent at its initial values
    /// (table 4-3 on Form 1; on Form 2 family and acquaintances answered, others not).
    pub fn blank(kind: FormKind, now: DateTime<Utc>) -> EntryForm {
        let mut form = EntryForm {
            kind,
            values: BTreeMap::new(),
        };
        form.set("written_at", now_text(now));
        form.set("nationality.kind", "日本");
        if kind == FormKind::Form1 {
            form.set("consent.others", Agreement::Unknown.label_ja());
        }
        let columns = Columns::default();
        form.show_consent(baseline(kind, columns), columns);
        form
    }

    /// A form pre-filled from a recorded entry: an update of the same form (E-10) or,
    /// for `kind` Form 2 from a Form 1 record, the death conversion (E-11: ①–⑦, the
    /// contact and the remarks carried over; injury, location and the person's consent
    /// are Form 1's and stay behind). 記入日時 is that of the new form: now.
    pub fn from_entry(kind: FormKind, entry: &entry::Entry, now: DateTime<Utc>) -> EntryForm {
        let draft = &entry.draft;
        let same_form = draft.form == kind;
        let mut form = EntryForm::blank(kind, now);
        let mut source = draft.clone();
        for name in text_fields(kind) {
            if name == "written_at" {
                continue;
            }
            if let Some(value) = text_slot(&mut source, name) {
                form.set(name, value.clone());
            }
        }
        if same_form {
            for name in FORM2_FLAGS {
                if let Some(flag) = flag_slot(&mut source, name) {
                    form.tick(name, *flag);
                }
            }
        }
        if draft.nationality.kind.trim().is_empty() && draft.nationality.other.trim().is_empty() {
            form.set("nationality.kind", "日本");
        }
        let markers = form.fill_identifying(&draft.identifying_info);
        match kind {
            FormKind::Form1 => {
                let columns = Columns {
                    family_refused: draft.consent.family == Some(false),
                    acquaintance_refused: draft.consent.acquaintance == Some(false),
                    others: Agreement::parse(&draft.consent.others).unwrap_or(Agreement::Unknown),
                };
                form.set("consent.others", columns.others.label_ja());
                form.tick("consent.family_refused", columns.family_refused);
                form.tick("consent.acquaintance_refused", columns.acquaintance_refused);
                form.tick(
                    "consent.not_confirmable",
                    draft.consent.not_confirmable || markers.not_confirmable,
                );
                form.show_consent(entry.parsed.consent, columns);
            }
            FormKind::Form2 if same_form => {
                let columns = Columns {
                    others: Agreement::parse(&draft.bereaved.consent).unwrap_or(Agreement::Unknown),
                    ..Columns::default()
                };
                form.tick("consent.not_confirmable", markers.not_confirmable);
                if markers.no_certificate {
                    form.tick("death.no_medical_certificate", true);
                }
                if markers.discovered {
                    form.tick("death.discovered", true);
                }
                form.show_consent(entry.parsed.consent, columns);
            }
            FormKind::Form2 => {
                // The death conversion: the bereaved answer anew (blank() set it up).
            }
        }
        form
    }

    /// A form pre-filled from a draft that is not a record: a roll-call answer's
    /// (K-08, `anpi_core::rollcall::form1`). The draft's own 記入日時 (when the member
    /// answered) is kept; a field the draft leaves empty keeps the blank form's initial
    /// value (国籍 日本); other identifying information goes into the table 4-1 inputs.
    /// The consent starts at its initial values (table 4-3): an answer says nothing
    /// about it, the clerk asks.
    pub fn from_draft(draft: &EntryDraft, now: DateTime<Utc>) -> EntryForm {
        let kind = draft.form;
        let mut form = EntryForm::blank(kind, now);
        let mut source = draft.clone();
        for name in text_fields(kind) {
            if let Some(value) = text_slot(&mut source, name)
                && !value.trim().is_empty()
            {
                form.set(name, value.clone());
            }
        }
        let markers = form.fill_identifying(&draft.identifying_info);
        if kind == FormKind::Form1 {
            form.tick(
                "consent.not_confirmable",
                draft.consent.not_confirmable || markers.not_confirmable,
            );
        }
        form
    }

    /// Puts other identifying information into the table 4-1 inputs: a value of a
    /// category's list into that category, a partial birth date into its input, the
    /// guideline's markers into their check boxes, everything else, in its order,
    /// into 9 その他.
    fn fill_identifying(&mut self, text: &str) -> Markers {
        let mut markers = Markers::default();
        let mut rest: Vec<&str> = Vec::new();
        let lists: [(&str, &[&str]); 5] = [
            ("id.age", &AGE_BANDS),
            ("id.blood", &BLOOD_TYPES),
            ("id.height", &HEIGHTS),
            ("id.hair", &HAIR),
            ("id.eyes", &EYES),
        ];
        for item in text.split('、') {
            let item = item.trim();
            match item {
                "" => continue,
                NOT_CONFIRMABLE => {
                    markers.not_confirmable = true;
                    continue;
                }
                NO_CERTIFICATE => {
                    markers.no_certificate = true;
                    continue;
                }
                DISCOVERED => {
                    markers.discovered = true;
                    continue;
                }
                _ => {}
            }
            if let Some((name, _)) = lists
                .iter()
                .find(|(name, list)| list.contains(&item) && self.v(name).is_empty())
            {
                self.set(name, item);
            } else if is_partial_birth(item) && self.v("id.birth_partial").is_empty() {
                self.set("id.birth_partial", item);
            } else {
                rest.push(item);
            }
        }
        self.set("id.other", rest.join("、"));
        markers
    }

    /// Other identifying information: the table 4-1 inputs joined with `、` in
    /// category order (E-05).
    pub fn identifying_info(&self) -> String {
        let mut parts: Vec<&str> = ID_SLOTS
            .iter()
            .map(|name| self.v(name).trim())
            .filter(|value| !value.is_empty())
            .collect();
        // Form 2: the bereaved could not be asked (⑪ has no column of its own).
        if self.kind == FormKind::Form2
            && self.on("consent.not_confirmable")
            && !parts.iter().any(|p| p.contains(NOT_CONFIRMABLE))
        {
            parts.push(NOT_CONFIRMABLE);
        }
        parts.join("、")
    }

    fn columns(&self) -> Columns {
        match self.kind {
            FormKind::Form1 => Columns {
                family_refused: self.on("consent.family_refused"),
                acquaintance_refused: self.on("consent.acquaintance_refused"),
                others: Agreement::parse(self.v("consent.others")).unwrap_or(Agreement::Unknown),
            },
            FormKind::Form2 => Columns {
                others: Agreement::parse(self.v("bereaved.consent")).unwrap_or(Agreement::Unknown),
                ..Columns::default()
            },
        }
    }

    /// The cells as ticked.
    fn cells(&self) -> ConsentMatrix {
        let mut matrix = empty_matrix();
        for audience in AUDIENCES {
            for field in ConsentField::ALL {
                set_cell(
                    &mut matrix,
                    audience,
                    field,
                    self.on(&cell_name(audience, field)),
                );
            }
        }
        matrix
    }

    /// Shows `matrix` in the cells, remembering the columns it goes with.
    fn show_consent(&mut self, matrix: ConsentMatrix, columns: Columns) {
        for audience in AUDIENCES {
            for field in ConsentField::ALL {
                self.tick(&cell_name(audience, field), matrix.allows(audience, field));
            }
        }
        self.set("consent_shown", encode_shown(&Shown { matrix, columns }));
    }

    /// The consent the clerk means: a cell changed since the page was shown is the
    /// clerk's choice; an unchanged cell follows its column when that column's answer
    /// changed; otherwise it stays as shown.
    pub fn consent_matrix(&self) -> ConsentMatrix {
        let columns = self.columns();
        let base = baseline(self.kind, columns);
        let shown = decode_shown(self.v("consent_shown")).unwrap_or_else(|| Shown {
            matrix: baseline(self.kind, Columns::default()),
            columns: Columns::default(),
        });
        let shown_base = baseline(self.kind, shown.columns);
        let cells = self.cells();
        let mut matrix = empty_matrix();
        for audience in AUDIENCES {
            let column_changed = base.column(audience) != shown_base.column(audience);
            for field in ConsentField::ALL {
                let cell = cells.allows(audience, field);
                let value = if cell != shown.matrix.allows(audience, field) {
                    cell
                } else if column_changed {
                    base.allows(audience, field)
                } else {
                    cell
                };
                set_cell(&mut matrix, audience, field, value);
            }
        }
        matrix
    }

    /// The consent part of the draft for the cells of `matrix`.
    fn consent_draft(&self, matrix: &ConsentMatrix) -> ConsentDraft {
        let columns = self.columns();
        let fields = field_choices(&baseline(self.kind, columns), matrix);
        match self.kind {
            FormKind::Form1 => {
                let others = match self.v("consent.others").trim() {
                    "不明" => String::new(),
                    other => other.to_string(),
                };
                ConsentDraft {
                    family: columns.family_refused.then_some(false),
                    acquaintance: columns.acquaintance_refused.then_some(false),
                    others,
                    not_confirmable: self.on("consent.not_confirmable"),
                    fields,
                }
            }
            FormKind::Form2 => ConsentDraft {
                fields,
                ..ConsentDraft::default()
            },
        }
    }

    /// The draft of this form, without touching the form.
    pub fn draft(&self) -> EntryDraft {
        let mut draft = EntryDraft {
            form: self.kind,
            ..EntryDraft::default()
        };
        for name in text_fields(self.kind) {
            if let Some(slot) = text_slot(&mut draft, name) {
                *slot = self.v(name).to_string();
            }
        }
        if self.kind == FormKind::Form2 {
            for name in FORM2_FLAGS {
                if let Some(flag) = flag_slot(&mut draft, name) {
                    *flag = self.on(name);
                }
            }
        }
        draft.identifying_info = self.identifying_info();
        draft.consent = self.consent_draft(&self.consent_matrix());
        draft
    }

    /// Makes the posted form ready: a one-line address is split into its parts (the
    /// form then shows the parts), the consent cells show what will be recorded, and
    /// the draft is built.
    pub fn prepare(&mut self) -> Prepared {
        let mut problems = Vec::new();
        let mut split = None;
        let line = self.v("address_line").trim().to_string();
        if !line.is_empty() {
            let parts_typed = [
                "address.prefecture",
                "address.municipality",
                "address.town",
                "address.lot",
            ]
            .iter()
            .any(|name| !self.v(name).trim().is_empty());
            if parts_typed {
                problems.push(console_error(
                    "address_line",
                    "住所（一行）",
                    "住所は「項目ごと」か「一行で入力」のどちらか一方で入力してください",
                ));
            } else {
                let parts = canon::split_address(&line);
                let (town, lot) = if parts.municipality.is_empty() {
                    (parts.rest.clone(), String::new())
                } else if parts.rest.is_empty() {
                    (parts.town.clone(), parts.lot.clone())
                } else if parts.lot.is_empty() {
                    (parts.town.clone(), parts.rest.clone())
                } else {
                    (parts.town.clone(), format!("{} {}", parts.lot, parts.rest))
                };
                self.set("address.prefecture", parts.prefecture.clone());
                self.set("address.municipality", parts.municipality.clone());
                self.set("address.town", town.clone());
                self.set("address.lot", lot.clone());
                self.set("address_line", "");
                split = Some(SplitNote {
                    line,
                    prefecture: parts.prefecture,
                    municipality: parts.municipality,
                    town,
                    lot,
                });
            }
        }
        let matrix = self.consent_matrix();
        let columns = self.columns();
        self.show_consent(matrix, columns);
        let supersedes = match self.v("supersedes").trim() {
            "" => None,
            text => match text.parse::<RecordId>() {
                Ok(id) => Some(id),
                Err(_) => {
                    problems.push(console_error(
                        "supersedes",
                        "置き換える安否情報",
                        "置き換える安否情報のIDを読み取れません。照会画面から開き直してください",
                    ));
                    None
                }
            },
        };
        Prepared {
            draft: self.draft(),
            split,
            problems,
            supersedes,
            confirm_same_person: self.on("confirm_same_person"),
            confirm_consent: self.on("confirm_consent"),
            check_only: self.v("action") == "check",
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Markers {
    not_confirmable: bool,
    no_certificate: bool,
    discovered: bool,
}

/// Table 4-1 category 1 ②: 西暦〇年生, 西暦〇年〇月生, 〇月〇日生, 〇月生.
fn is_partial_birth(item: &str) -> bool {
    item.ends_with('生') && (item.starts_with("西暦") || item.contains('月'))
}

/// The figure 4-1 warnings of a draft's consent (E-09), from the domain.
pub fn consent_warnings(draft: &EntryDraft) -> Vec<FieldWarning> {
    let resolved = match draft.form {
        FormKind::Form1 => consent::resolve(&draft.consent, &draft.identifying_info),
        FormKind::Form2 => consent::resolve_deceased(
            Agreement::parse(&draft.bereaved.consent).unwrap_or(Agreement::Unknown),
            false,
            &draft.consent.fields,
        ),
    };
    resolved.map(|r| r.warnings).unwrap_or_default()
}

/// The consent fields a figure 4-1 warning names.
fn warned_fields(warnings: &[FieldWarning]) -> Vec<ConsentField> {
    warnings
        .iter()
        .filter_map(|w| w.field.strip_prefix("consent.fields."))
        .filter_map(ConsentField::from_key)
        .collect()
}

// ---------------------------------------------------------------------------------
// Field paths → the ids of the inputs.

/// The anchors (`field-<anchor>`) every entry page has.
const ANCHORS: [&str; 26] = [
    "entry",
    "written_at",
    "name",
    "alias",
    "furigana",
    "birth_date",
    "sex",
    "address",
    "address.postal_code",
    "address.prefecture",
    "address.municipality",
    "address.town",
    "address.lot",
    "address_line",
    "address.foreign",
    "nationality.kind",
    "nationality.other",
    "identifying_info",
    "contact",
    "consent",
    "consent.not_confirmable",
    "consent.fields",
    "confirm_consent",
    "remarks",
    "supersedes",
    "confirm_same_person",
];
const FORM1_ANCHORS: [&str; 13] = [
    "injury.status",
    "injury.severity",
    "injury.description",
    "location",
    "location.prefecture",
    "location.municipality",
    "location.town",
    "location.lot",
    "location.place_name",
    "location.category",
    "consent.family_refused",
    "consent.acquaintance_refused",
    "consent.others",
];
const FORM2_ANCHORS: [&str; 14] = [
    "death",
    "death.date",
    "death.time",
    "death.place",
    "death.circumstances",
    "death.no_medical_certificate",
    "death.discovered",
    "body_location",
    "bereaved",
    "bereaved.consent",
    "bereaved.name",
    "bereaved.contact",
    "bereaved.address",
    "bereaved.relationship",
];

/// The anchor of a field path on a form of `kind`: the input's own id (`field-<path>`
/// for inputs named by their path), else the group it belongs to, else the top of
/// the form (`entry`).
pub fn anchor(kind: FormKind, path: &str) -> String {
    let renamed = match path {
        "nationality" => "nationality.kind",
        "injury" => "injury.status",
        "consent.family" => "consent.family_refused",
        "consent.acquaintance" => "consent.acquaintance_refused",
        "form" => "entry",
        other => other,
    };
    if kind == FormKind::Form1 && renamed == "consent.others" {
        return renamed.to_string();
    }
    if let Some(key) = renamed.strip_prefix("consent.fields.") {
        return match ConsentField::from_key(key) {
            Some(field) => format!("consent.fields.{}", field.key()),
            None => "consent.fields".to_string(),
        };
    }
    let own: &[&str] = match kind {
        FormKind::Form1 => &FORM1_ANCHORS,
        FormKind::Form2 => &FORM2_ANCHORS,
    };
    let mut candidate = renamed;
    loop {
        if ANCHORS.contains(&candidate) || own.contains(&candidate) {
            return candidate.to_string();
        }
        match candidate.rsplit_once('.') {
            Some((parent, _)) => candidate = parent,
            None => return "entry".to_string(),
        }
    }
}

/// The label shown in the summary for a field path.
fn label_for(path: &str, label: &str) -> String {
    if let Some(field) = path
        .strip_prefix("consent.fields.")
        .and_then(ConsentField::from_key)
    {
        return format!("照会に対する回答の意向（{}）", field.label_ja());
    }
    if label.is_empty() || label == "項目" {
        return label_of(path).to_string();
    }
    label.to_string()
}

/// Field problems as the entry page shows them, each at its input's anchor.
pub fn entry_errors(kind: FormKind, errors: &[FieldError]) -> FormErrors {
    FormErrors {
        list: errors
            .iter()
            .map(|e| ShownError {
                field: anchor(kind, &e.field),
                label: label_for(&e.field, &e.label),
                message: e.message.clone(),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------
// The page.

/// One text input as the template draws it.
pub struct Input {
    pub name: &'static str,
    pub label: &'static str,
    /// `req` (必須), `opt` (任意) or empty (a part of a group).
    pub badge: &'static str,
    pub hint: &'static str,
    pub width: &'static str,
    pub area: bool,
    pub value: String,
    pub reading: Option<String>,
    pub errors: Vec<String>,
    pub describedby: String,
}

/// One radio button, option or check box.
pub struct Choice {
    pub id: String,
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// One cell of the consent table.
pub struct ConsentCell {
    pub name: String,
    pub label: String,
    pub checked: bool,
    pub mismatch: bool,
}

/// One row of the consent table.
pub struct ConsentRow {
    pub key: &'static str,
    pub label: &'static str,
    pub mismatch: bool,
    pub cells: Vec<ConsentCell>,
}

/// The record an update or death conversion replaces.
pub struct Superseded {
    pub id: String,
    pub name: String,
    pub form_label: &'static str,
    pub state_label: &'static str,
    pub written_at: String,
}

/// The roll-call answer a pre-filled Form 1 came from (K-08), as the page's banner
/// says it; the form sends `from_rollcall` and `from_member` back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromRollcall {
    pub id: String,
    pub member: String,
    pub title: String,
    pub mode_label: &'static str,
    pub drill: bool,
    /// The answer (empty when the member's latest answer no longer makes a draft).
    pub status: String,
    pub comment: String,
    pub answered_at: String,
    /// The incident it is entered into: 「name」【mode】.
    pub incident: String,
}

impl FromRollcall {
    pub fn of(found: &crate::app::rollcall::Form1DraftFor, member: &str) -> FromRollcall {
        let call = &found.call;
        let draft = found.draft.as_ref();
        FromRollcall {
            id: call.id.to_string(),
            member: member.to_string(),
            title: call.title.clone(),
            mode_label: call.mode.label(),
            drill: call.mode == anpi_core::rollcall::Mode::Drill,
            status: draft.map(|d| d.status.clone()).unwrap_or_default(),
            comment: draft.map(|d| d.comment.clone()).unwrap_or_default(),
            answered_at: draft.map(|d| jst(d.answered_at)).unwrap_or_default(),
            incident: format!(
                "「{}」【{}】",
                found.incident.name,
                found.incident.mode.label_ja()
            ),
        }
    }
}

/// What kind of entry page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    New,
    /// E-10: a new entry replacing a record of the same form.
    Update,
    /// E-11: a Form 2 entry replacing a Form 1 record.
    Death,
}

#[derive(Template)]
#[template(path = "console/entry.html")]
pub struct EntryPage {
    pub frame: Frame,
    pub form: EntryForm,
    pub form2: bool,
    pub heading: String,
    pub post_to: &'static str,
    pub errors: FormErrors,
    /// Domain warnings other than figure 4-1 (shown, not blocking).
    pub warnings: Vec<String>,
    /// Figure 4-1 warnings, in the domain's words.
    pub mismatch: Vec<String>,
    pub consent_headers: [&'static str; 3],
    pub consent_rows: Vec<ConsentRow>,
    pub readings: BTreeMap<&'static str, String>,
    pub split: Option<SplitNote>,
    pub superseded: Option<Superseded>,
    /// Pre-filled from a roll-call answer (K-08).
    pub from_rollcall: Option<FromRollcall>,
    /// `action=check` found nothing wrong.
    pub checked_ok: bool,
}

fn options_of(name: &str) -> &'static [&'static str] {
    match name {
        "sex" => &["男", "女"],
        "nationality.kind" => &["日本", "その他", "不明"],
        "injury.status" => &["負傷", "非該当"],
        "injury.severity" => &Severity::LABELS,
        "consent.others" | "bereaved.consent" => &["同意する", "同意しない", "不明"],
        "location.category" => &LOCATION_CATEGORIES,
        "id.age" => &AGE_BANDS,
        "id.blood" => &BLOOD_TYPES,
        "id.height" => &HEIGHTS,
        "id.hair" => &HAIR,
        "id.eyes" => &EYES,
        _ => &[],
    }
}

impl EntryPage {
    /// A text input with its value, reading and errors; `width` is a class (`w-s`,
    /// `w-m`, `w-l`) or `area` for a text area.
    pub fn input(
        &self,
        name: &'static str,
        label: &'static str,
        badge: &'static str,
        hint: &'static str,
        width: &'static str,
    ) -> Input {
        let errors: Vec<String> = self
            .errors
            .messages(name)
            .into_iter()
            .map(str::to_string)
            .collect();
        let reading = self.readings.get(name).cloned();
        let mut describedby = Vec::new();
        if !hint.is_empty() {
            describedby.push(format!("hint-{name}"));
        }
        if reading.is_some() {
            describedby.push(format!("reading-{name}"));
        }
        if !errors.is_empty() {
            describedby.push(format!("err-{name}"));
        }
        Input {
            name,
            label,
            badge,
            hint,
            width,
            area: width == "area",
            value: self.form.v(name).to_string(),
            reading,
            errors,
            describedby: describedby.join(" "),
        }
    }

    /// The radio buttons or options of `name`; the first carries the anchor id.
    pub fn choices(&self, name: &str) -> Vec<Choice> {
        let current = self.form.v(name).trim();
        options_of(name)
            .iter()
            .enumerate()
            .map(|(index, value)| Choice {
                id: if index == 0 {
                    format!("field-{name}")
                } else {
                    format!("field-{name}-{index}")
                },
                value,
                label: value,
                checked: current == *value,
            })
            .collect()
    }

    pub fn v(&self, name: &str) -> &str {
        self.form.v(name)
    }

    pub fn on(&self, name: &str) -> bool {
        self.form.on(name)
    }

    pub fn messages(&self, name: &str) -> Vec<&str> {
        self.errors.messages(name)
    }

    /// The problems of one row of the consent table.
    pub fn row_messages(&self, key: &str) -> Vec<&str> {
        let anchor = format!("consent.fields.{key}");
        self.errors
            .list
            .iter()
            .filter(|e| e.field == anchor)
            .map(|e| e.message.as_str())
            .collect()
    }

    /// Whether the figure 4-1 confirmation box is shown.
    pub fn asks_confirmation(&self) -> bool {
        !self.mismatch.is_empty() || self.errors.has("confirm_consent")
    }
}

/// Everything a page is made of, besides the frame.
pub struct Screen {
    pub form: EntryForm,
    pub errors: Vec<FieldError>,
    pub warnings: Vec<FieldWarning>,
    pub purpose: Purpose,
    pub split: Option<SplitNote>,
    pub superseded: Option<Superseded>,
    pub from_rollcall: Option<FromRollcall>,
    /// The form was posted: show what the dates were read as.
    pub posted: bool,
    pub checked_ok: bool,
}

/// Builds the page (pure: no I/O).
pub fn entry_page(frame: Frame, screen: Screen) -> EntryPage {
    let kind = screen.form.kind;
    let form2 = kind == FormKind::Form2;
    let draft = screen.form.draft();
    let figure_4_1 = consent_warnings(&draft);
    let mismatched = warned_fields(&figure_4_1);
    let matrix = screen.form.consent_matrix();
    let consent_rows = ConsentField::ALL
        .iter()
        .map(|field| {
            let mismatch = mismatched.contains(field);
            let label = if form2 {
                field.deceased_label_ja()
            } else {
                field.label_ja()
            };
            ConsentRow {
                key: field.key(),
                label,
                mismatch,
                cells: AUDIENCES
                    .iter()
                    .map(|audience| {
                        let checked = matrix.allows(*audience, *field);
                        ConsentCell {
                            name: cell_name(*audience, *field),
                            label: format!("{label}：{}", audience_label(*audience)),
                            checked,
                            mismatch: mismatch && (*audience == Audience::Others || !checked),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let mut readings = BTreeMap::new();
    let mut read_date = |name: &'static str| {
        let text = screen.form.v(name);
        if !text.trim().is_empty()
            && let Ok(date) = era::parse_date(text)
        {
            readings.insert(
                name,
                format!("読み取り結果：{}（西暦 {}）", era::format_era(date), date),
            );
        }
    };
    read_date("birth_date");
    if form2 {
        read_date("death.date");
    }
    if screen.posted
        && let Ok(moment) = entry::parse_written_at(screen.form.v("written_at"))
    {
        readings.insert(
            "written_at",
            format!("読み取り結果：{}（日本時間）", jst(moment)),
        );
    }
    let heading = match (screen.purpose, kind) {
        (Purpose::New, kind) if screen.from_rollcall.is_some() => {
            format!("{}の入力（安否確認の回答から）", kind.label_ja())
        }
        (Purpose::New, kind) => format!("{}の入力", kind.label_ja()),
        (Purpose::Update, kind) => format!("安否情報の更新 — {}", kind.label_ja()),
        (Purpose::Death, _) => "死亡への切替 — 様式第2号（死亡住民）".to_string(),
    };
    let consent_headers = if form2 {
        [
            "親族・同居者への回答",
            "知人への回答",
            "親族・同居者・知人以外への回答（⑪遺族の同意）",
        ]
    } else {
        [
            "⑫ 親族・同居者への回答",
            "⑬ 知人への回答",
            "⑭ 親族・同居者・知人以外への回答又は公表",
        ]
    };
    let warnings = screen
        .warnings
        .iter()
        .filter(|w| !w.field.starts_with("consent.fields."))
        .map(|w| format!("{}：{}", label_for(&w.field, &w.label), w.message))
        .collect();
    EntryPage {
        frame,
        post_to: match kind {
            FormKind::Form1 => "/entry/form1",
            FormKind::Form2 => "/entry/form2",
        },
        form2,
        heading,
        errors: entry_errors(kind, &screen.errors),
        warnings,
        mismatch: figure_4_1.into_iter().map(|w| w.message).collect(),
        consent_headers,
        consent_rows,
        readings,
        split: screen.split,
        superseded: screen.superseded,
        from_rollcall: screen.from_rollcall,
        checked_ok: screen.checked_ok,
        form: screen.form,
    }
}

fn audience_label(audience: Audience) -> &'static str {
    match audience {
        Audience::Family => "親族・同居者への回答",
        Audience::Acquaintance => "知人への回答",
        Audience::Others => "親族・同居者・知人以外への回答又は公表",
    }
}

/// A page that cannot show the form, saying why and where to go.
#[derive(Template)]
#[template(path = "console/entry_blocked.html")]
pub struct BlockedPage {
    pub frame: Frame,
    pub title: String,
    pub message: String,
    pub link: &'static str,
    pub link_label: &'static str,
}

// ---------------------------------------------------------------------------------
// Handlers.

fn denied(state: &Console, clerk: &Clerk, operation: Operation) -> Option<Response> {
    let role = clerk.session.role;
    (!account::permits(role, operation, state.node.config.tier)).then(|| {
        fail(AppError::Forbidden(account::denial_message(
            role, operation,
        )))
    })
}

fn chosen<'a>(clerk: &Clerk, incidents: &'a [Incident]) -> Option<&'a Incident> {
    clerk
        .console
        .incident
        .and_then(|id| incidents.iter().find(|i| i.id == id))
}

fn path_of(kind: FormKind) -> &'static str {
    match kind {
        FormKind::Form1 => "/entry/form1",
        FormKind::Form2 => "/entry/form2",
    }
}

fn no_incident(state: &Console, clerk: &Clerk, incidents: &[Incident], kind: FormKind) -> Response {
    render(&BlockedPage {
        frame: Frame::new(state, clerk, path_of(kind), incidents),
        title: format!("{}の入力", kind.label_ja()),
        message: "安否情報を入力する事案が選ばれていません。先に事案を選んでください。".into(),
        link: "/",
        link_label: "事案の選択へ",
    })
}

pub async fn form1_page(State(state): State<Shared>, clerk: Clerk) -> Response {
    new_page(&state, &clerk, FormKind::Form1).await
}

pub async fn form2_page(State(state): State<Shared>, clerk: Clerk) -> Response {
    new_page(&state, &clerk, FormKind::Form2).await
}

async fn new_page(state: &Console, clerk: &Clerk, kind: FormKind) -> Response {
    let incidents = match state.node.list_incidents(&clerk.session).await {
        Ok(incidents) => incidents,
        Err(error) => return fail(error),
    };
    if let Some(refused) = denied(state, clerk, Operation::RecordEntry) {
        return refused;
    }
    if chosen(clerk, &incidents).is_none() {
        return no_incident(state, clerk, &incidents, kind);
    }
    let screen = Screen {
        form: EntryForm::blank(kind, Utc::now()),
        errors: Vec::new(),
        warnings: Vec::new(),
        purpose: Purpose::New,
        split: None,
        superseded: None,
        from_rollcall: None,
        posted: false,
        checked_ok: false,
    };
    render(&entry_page(
        Frame::new(state, clerk, path_of(kind), &incidents),
        screen,
    ))
}

pub async fn submit_form1(
    State(state): State<Shared>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    submit(&state, posted, FormKind::Form1).await
}

pub async fn submit_form2(
    State(state): State<Shared>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    submit(&state, posted, FormKind::Form2).await
}

/// The record replaced, as the supersede panel shows it.
fn superseded_of(view: &RecordView) -> Superseded {
    let state = &view.state;
    Superseded {
        id: state.record_id.to_string(),
        name: state.entry.display_name(),
        form_label: state.entry.draft.form.label_ja(),
        state_label: state.label().label_ja(),
        written_at: jst(state.entry.parsed.written_at),
    }
}

/// What a refused or checked form is shown again with.
struct Context<'a> {
    state: &'a Console,
    clerk: &'a Clerk,
    incidents: &'a [Incident],
    kind: FormKind,
    purpose: Purpose,
    supersedes: Option<RecordId>,
    split: Option<SplitNote>,
    from_rollcall: Option<FromRollcall>,
}

impl Context<'_> {
    /// The form again, as typed, with the problems beside their fields; nothing written.
    async fn reshow(
        &self,
        form: EntryForm,
        errors: Vec<FieldError>,
        warnings: Vec<FieldWarning>,
        checked_ok: bool,
    ) -> Response {
        let superseded = match self.supersedes {
            Some(id) => self
                .state
                .node
                .get_record(&self.clerk.session, id)
                .await
                .ok()
                .map(|view| superseded_of(&view)),
            None => None,
        };
        let screen = Screen {
            form,
            errors,
            warnings,
            purpose: self.purpose,
            split: self.split.clone(),
            superseded,
            from_rollcall: self.from_rollcall.clone(),
            posted: true,
            checked_ok,
        };
        render(&entry_page(
            Frame::new(self.state, self.clerk, path_of(self.kind), self.incidents),
            screen,
        ))
    }
}

async fn submit(
    state: &Console,
    posted: Posted<Vec<(String, String)>>,
    kind: FormKind,
) -> Response {
    let Posted { clerk, form: pairs } = posted;
    let incidents = match state.node.list_incidents(&clerk.session).await {
        Ok(incidents) => incidents,
        Err(error) => return fail(error),
    };
    if let Some(refused) = denied(state, &clerk, Operation::RecordEntry) {
        return refused;
    }
    let Some(incident) = chosen(&clerk, &incidents).map(|i| i.id) else {
        return no_incident(state, &clerk, &incidents, kind);
    };
    let mut form = EntryForm::from_pairs(kind, &pairs);
    let prepared = form.prepare();
    // K-08: a form pre-filled from a roll-call answer goes only into an incident of
    // the roll-call's mode; asked again here (the chosen incident may have changed).
    let mut refused = None;
    let from_rollcall = match form.v("from_rollcall") {
        "" => None,
        id => match rollcall_source(state, &clerk, id, form.v("from_member"), incident).await {
            Ok((source, _)) => Some(source),
            Err(
                AppError::Conflict(message)
                | AppError::NotFound(message)
                | AppError::Forbidden(message),
            ) => {
                refused = Some(console_error("entry", "安否確認の回答から", &message));
                None
            }
            Err(error) => return fail(error),
        },
    };
    let purpose = match (prepared.supersedes, kind) {
        (None, _) => Purpose::New,
        (Some(_), FormKind::Form2) if form.v("purpose") == "death" => Purpose::Death,
        (Some(_), _) => Purpose::Update,
    };
    let context = Context {
        state,
        clerk: &clerk,
        incidents: &incidents,
        kind,
        purpose,
        supersedes: prepared.supersedes,
        split: prepared.split.clone(),
        from_rollcall,
    };
    if let Some(refusal) = refused {
        return context.reshow(form, vec![refusal], Vec::new(), false).await;
    }

    let figure_4_1 = consent_warnings(&prepared.draft);
    let preview = entry::validate(&prepared.draft, Utc::now());
    let must_confirm = !figure_4_1.is_empty() && !prepared.confirm_consent;
    if prepared.check_only || !prepared.problems.is_empty() || must_confirm {
        let mut errors = prepared.problems.clone();
        let mut warnings = Vec::new();
        match &preview {
            Ok(entry) => warnings = entry.warnings.clone(),
            Err(found) => errors.extend(found.iter().cloned()),
        }
        if must_confirm && !prepared.check_only {
            errors.push(console_error(
                "confirm_consent",
                "回答の意向の確認",
                "回答の意向に食い違いがあります（色と「要確認」の欄）。本人（様式第2号では遺族）に再確認し、この内容で登録する場合は「この内容で登録する（確認済み）」にチェックしてください",
            ));
        }
        let checked_ok = prepared.check_only && errors.is_empty();
        return context.reshow(form, errors, warnings, checked_ok).await;
    }

    let new = NewEntry {
        incident,
        draft: prepared.draft.clone(),
        supersedes: prepared.supersedes,
        confirm_same_person: prepared.confirm_same_person,
    };
    match state.node.record_entry(&clerk.session, new).await {
        Ok(written) => {
            let id = written.record.record_id;
            let notice = if prepared.supersedes.is_some() {
                "登録しました（元の安否情報は置き換えられ、削除として履歴に残ります）".to_string()
            } else if let Some(source) = &context.from_rollcall {
                format!(
                    "登録しました（安否確認「{}」の職員番号 {} の回答から）",
                    source.title, source.member
                )
            } else {
                "登録しました".to_string()
            };
            let role = clerk.session.role;
            if account::permits(role, Operation::GetRecord, state.node.config.tier) {
                redirect_with(state, &clerk, &format!("/records/{id}"), notice)
            } else {
                // An input terminal may not open records: back to a new form.
                redirect_with(
                    state,
                    &clerk,
                    path_of(kind),
                    format!("{notice}（受付ID: {id}）"),
                )
            }
        }
        Err(AppError::Invalid(errors)) => context.reshow(form, errors, Vec::new(), false).await,
        Err(AppError::Conflict(message))
        | Err(AppError::NotFound(message))
        | Err(AppError::Unavailable(message)) => {
            let errors = vec![console_error("entry", "登録", &message)];
            context.reshow(form, errors, Vec::new(), false).await
        }
        Err(error) => fail(error),
    }
}

/// The roll-call answer a form came from (K-08), asked of the app with the incident
/// it is to be entered into: refused unless the incident is of the roll-call's mode.
async fn rollcall_source(
    state: &Console,
    clerk: &Clerk,
    id: &str,
    member: &str,
    incident: IncidentId,
) -> Result<(FromRollcall, Option<Form1Draft>), AppError> {
    let (Ok(id), Ok(member)) = (id.parse::<RollcallId>(), MemberCode::parse(member)) else {
        return Err(AppError::NotFound(
            "下書きの元になった安否確認を読み取れません。安否確認の「様式1の下書き」から開き直してください".into(),
        ));
    };
    let found = state
        .node
        .rollcall_form1_draft(&clerk.session, id, &member, incident)
        .await?;
    Ok((FromRollcall::of(&found, &member.to_string()), found.draft))
}

/// GET /rollcall/{id}/drafts/{code} (K-08): Form 1 pre-filled from the member's latest
/// roll-call answer, to be entered into the chosen incident — only one of the
/// roll-call's mode (a drill's answers never reach an actual incident, T-04). Nothing
/// is recorded until the clerk completes the form and saves it through the usual
/// entry path (`/entry/form1`, the same checks).
pub async fn rollcall_draft_page(
    State(state): State<Shared>,
    Path((id, code)): Path<(String, String)>,
    clerk: Clerk,
) -> Response {
    let kind = FormKind::Form1;
    let incidents = match state.node.list_incidents(&clerk.session).await {
        Ok(incidents) => incidents,
        Err(error) => return fail(error),
    };
    if let Some(refused) = denied(&state, &clerk, Operation::RecordEntry) {
        return refused;
    }
    let Some(incident) = chosen(&clerk, &incidents).map(|i| i.id) else {
        return no_incident(&state, &clerk, &incidents, kind);
    };
    let title = "様式第1号の入力（安否確認の回答から）";
    let blocked = |message: String, link: &'static str, link_label: &'static str| {
        render(&BlockedPage {
            frame: Frame::new(&state, &clerk, path_of(kind), &incidents),
            title: title.to_string(),
            message,
            link,
            link_label,
        })
    };
    let (source, draft) = match rollcall_source(&state, &clerk, &id, &code, incident).await {
        Ok(found) => found,
        Err(AppError::Conflict(message)) => return blocked(message, "/", "事案の選択へ"),
        Err(error) => return fail(error),
    };
    let Some(draft) = draft else {
        return blocked(
            format!(
                "職員番号 {code} の最新の回答からは様式第1号の下書きは作られません（回答が変わったか、配信先にいません）。"
            ),
            "/rollcall",
            "安否確認の一覧へ",
        );
    };
    let mut form = EntryForm::from_draft(&draft.draft, Utc::now());
    form.set("from_rollcall", source.id.clone());
    form.set("from_member", source.member.clone());
    let screen = Screen {
        form,
        errors: Vec::new(),
        warnings: Vec::new(),
        purpose: Purpose::New,
        split: None,
        superseded: None,
        from_rollcall: Some(source),
        posted: false,
        checked_ok: false,
    };
    render(&entry_page(
        Frame::new(&state, &clerk, path_of(kind), &incidents),
        screen,
    ))
}

/// GET /records/<id>/update (E-10): the form of the record's kind, pre-filled.
pub async fn update_page(
    State(state): State<Shared>,
    Path(id): Path<String>,
    clerk: Clerk,
) -> Response {
    prefilled(&state, &clerk, &id, Purpose::Update).await
}

/// GET /records/<id>/death (E-11): Form 2 pre-filled from a Form 1 record.
pub async fn death_page(
    State(state): State<Shared>,
    Path(id): Path<String>,
    clerk: Clerk,
) -> Response {
    prefilled(&state, &clerk, &id, Purpose::Death).await
}

async fn prefilled(state: &Console, clerk: &Clerk, id: &str, purpose: Purpose) -> Response {
    let Ok(id) = id.parse::<RecordId>() else {
        return fail(super::record::not_found());
    };
    let view = match state.node.get_record(&clerk.session, id).await {
        Ok(view) => view,
        Err(error) => return fail(error),
    };
    let incidents = match state.node.list_incidents(&clerk.session).await {
        Ok(incidents) => incidents,
        Err(error) => return fail(error),
    };
    for operation in [Operation::RecordEntry, Operation::DeleteEntry] {
        if let Some(refused) = denied(state, clerk, operation) {
            return refused;
        }
    }
    let record = &view.state;
    let kind = match purpose {
        Purpose::Death => FormKind::Form2,
        _ => record.entry.draft.form,
    };
    let blocked = |title: &str, message: String, link: &'static str, link_label: &'static str| {
        render(&BlockedPage {
            frame: Frame::new(state, clerk, "/records", &incidents),
            title: title.to_string(),
            message,
            link,
            link_label,
        })
    };
    let title = match purpose {
        Purpose::Death => "死亡への切替",
        _ => "安否情報の更新",
    };
    if record.deletion.is_some() {
        return blocked(
            title,
            "この安否情報は削除されています。削除された安否情報は更新や死亡への切替の対象になりません。".into(),
            "/",
            "トップへ",
        );
    }
    if purpose == Purpose::Death && record.entry.draft.form == FormKind::Form2 {
        return blocked(
            title,
            "この安否情報は既に様式第2号（死亡住民）です。内容を変える場合は「更新」を使ってください。".into(),
            "/",
            "トップへ",
        );
    }
    if clerk.console.incident != Some(record.incident) {
        let name = view
            .incident
            .as_ref()
            .map(|i| format!("「{}」【{}】", i.name, i.mode.label_ja()))
            .unwrap_or_else(|| "別の事案".to_string());
        return blocked(
            title,
            format!(
                "この安否情報は事案{name}のものです。事案の選択で同じ事案を選んでから、もう一度開いてください。"
            ),
            "/",
            "事案の選択へ",
        );
    }
    let mut form = EntryForm::from_entry(kind, &record.entry, Utc::now());
    form.set("supersedes", id.to_string());
    if purpose == Purpose::Death {
        form.set("purpose", "death");
    }
    let screen = Screen {
        form,
        errors: Vec::new(),
        warnings: Vec::new(),
        purpose,
        split: None,
        superseded: Some(superseded_of(&view)),
        from_rollcall: None,
        posted: false,
        checked_ok: false,
    };
    render(&entry_page(
        Frame::new(state, clerk, path_of(kind), &incidents),
        screen,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::frame::{IncidentBadge, NavItem};
    use anpi_core::entry::fixtures;

    fn now() -> DateTime<Utc> {
        "2026-11-21T06:00:00Z".parse().unwrap()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The pairs a browser sends for a blank form as shown, plus `typed`.
    fn posted(kind: FormKind, typed: &[(&str, &str)]) -> EntryForm {
        let mut form = EntryForm::blank(kind, now());
        for (name, value) in typed {
            form.set(name, *value);
        }
        let sent: Vec<(String, String)> = form
            .values
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        EntryForm::from_pairs(kind, &sent)
    }

    fn frame() -> Frame {
        Frame {
            node: "千代田区（市町村）".into(),
            user: "clerk01".into(),
            role: "入力端末",
            incident: Some(IncidentBadge {
                name: "訓練事案".into(),
                mode_label: "訓練",
                drill: true,
            }),
            csrf: "token123".into(),
            nav: vec![NavItem {
                href: "/entry/form1",
                label: "様式第1号の入力",
                current: true,
            }],
            notice: None,
        }
    }

    #[test]
    fn a_blank_form_starts_now_in_japan_time_with_table_4_3() {
        let form = EntryForm::blank(FormKind::Form1, now());
        assert_eq!(form.v("written_at"), "2026-11-21 15:00");
        assert_eq!(form.v("nationality.kind"), "日本");
        assert_eq!(form.consent_matrix(), ConsentMatrix::table_4_3());
        let draft = form.draft();
        assert!(draft.consent.is_empty(), "{:?}", draft.consent);
        let form2 = EntryForm::blank(FormKind::Form2, now());
        assert_eq!(
            form2.consent_matrix(),
            consent::deceased_matrix(Agreement::Unknown)
        );
        assert!(form2.draft().consent.fields.is_empty());
    }

    #[test]
    fn the_form_maps_to_the_draft_the_domain_accepts() {
        let mut form = posted(
            FormKind::Form1,
            &[
                ("written_at", "2026-11-21 14:30"),
                ("name", "消防　太郎"),
                ("furigana", "ショウボウ　タロウ"),
                ("birth_date", "S56.11.25"),
                ("sex", "男"),
                ("address.prefecture", "東京都"),
                ("address.municipality", "千代田区"),
                ("address.town", "霞が関2丁目"),
                ("address.lot", "1番2号"),
                ("injury.status", "負傷"),
                ("injury.severity", "軽症"),
                ("injury.description", "右手打撲（転倒）"),
                ("location.place_name", "○○小学校"),
                ("location.category", "避難所"),
                ("id.hair", "頭髪黒"),
                ("id.clothing", "赤い帽子"),
                ("id.age", "年齢40代"),
            ],
        );
        let prepared = form.prepare();
        assert!(prepared.problems.is_empty());
        let draft = &prepared.draft;
        assert_eq!(draft.form, FormKind::Form1);
        assert_eq!(draft.birth_date, "S56.11.25");
        assert_eq!(draft.injury.severity, "軽症");
        assert_eq!(draft.location.category, "避難所");
        assert_eq!(draft.identifying_info, "年齢40代、頭髪黒、赤い帽子");
        assert!(draft.death.is_empty() && draft.bereaved.is_empty());
        let entry = entry::validate(draft, now()).expect("valid");
        assert_eq!(entry.parsed.consent, ConsentMatrix::table_4_3());
        assert!(consent_warnings(draft).is_empty());
    }

    #[test]
    fn a_one_line_address_is_split_and_the_form_shows_the_parts() {
        let mut form = posted(
            FormKind::Form1,
            &[("address_line", "東京都千代田区霞が関2丁目1番2号 霞ビル5階")],
        );
        let prepared = form.prepare();
        let split = prepared.split.expect("split");
        assert_eq!(split.prefecture, "東京都");
        assert_eq!(split.municipality, "千代田区");
        assert_eq!(form.v("address.town"), "霞が関2丁目");
        assert!(form.v("address.lot").starts_with("1番2号"));
        assert!(form.v("address.lot").ends_with("霞ビル5階"));
        assert_eq!(form.v("address_line"), "", "the parts are shown instead");
        assert_eq!(prepared.draft.address.prefecture, "東京都");

        let mut both = posted(
            FormKind::Form1,
            &[
                ("address_line", "東京都千代田区"),
                ("address.prefecture", "東京都"),
            ],
        );
        let prepared = both.prepare();
        assert_eq!(prepared.problems[0].field, "address_line");
        assert!(prepared.split.is_none());
    }

    #[test]
    fn agreeing_for_others_leaves_the_cells_to_the_domain_and_warns() {
        // ⑭ 同意する, the cells left as shown (table 4-3): the others column follows
        // the answer, acquaintances stay: the figure 4-1 inconsistency.
        let mut form = posted(FormKind::Form1, &[("consent.others", "同意する")]);
        let prepared = form.prepare();
        let draft = &prepared.draft;
        assert_eq!(draft.consent.others, "同意する");
        assert!(
            draft.consent.fields.is_empty(),
            "{:?}",
            draft.consent.fields
        );
        let warned = warned_fields(&consent_warnings(draft));
        assert_eq!(warned.len(), 8, "{warned:?}");
        // The cells now show the resolved matrix.
        assert!(form.on(&cell_name(Audience::Others, ConsentField::Contact)));
        assert_eq!(
            decode_shown(form.v("consent_shown"))
                .unwrap()
                .columns
                .others,
            Agreement::Agree
        );
    }

    #[test]
    fn a_changed_cell_is_the_clerks_choice() {
        // Figure 4-1 as drawn: 現在の居所 and 連絡先 open to others only.
        let mut typed = vec![];
        let others_location = cell_name(Audience::Others, ConsentField::Location);
        let others_contact = cell_name(Audience::Others, ConsentField::Contact);
        typed.push((others_location.as_str(), "1"));
        typed.push((others_contact.as_str(), "1"));
        let mut form = posted(FormKind::Form1, &typed);
        let prepared = form.prepare();
        let fields = &prepared.draft.consent.fields;
        assert_eq!(fields.len(), 2, "{fields:?}");
        assert_eq!(fields["location"].others, Some(true));
        let warned = warned_fields(&consent_warnings(&prepared.draft));
        assert_eq!(warned, vec![ConsentField::Location, ConsentField::Contact]);

        // Unticking a family cell restricts only that cell.
        let family_contact = cell_name(Audience::Family, ConsentField::Contact);
        let mut form = EntryForm::blank(FormKind::Form1, now());
        form.tick(&family_contact, false);
        let sent: Vec<_> = form.values.clone().into_iter().collect();
        let mut form = EntryForm::from_pairs(FormKind::Form1, &sent);
        let draft = form.prepare().draft;
        assert_eq!(draft.consent.fields["contact"].family, Some(false));
        assert_eq!(draft.consent.family, None);
    }

    #[test]
    fn refusing_a_column_clears_its_unchanged_cells() {
        let mut form = posted(FormKind::Form1, &[("consent.family_refused", "1")]);
        let draft = form.prepare().draft;
        assert_eq!(draft.consent.family, Some(false));
        assert!(draft.consent.fields.is_empty());
        assert!(!form.on(&cell_name(Audience::Family, ConsentField::Name)));
    }

    #[test]
    fn not_confirmable_sends_the_initial_values() {
        let mut form = posted(FormKind::Form1, &[("consent.not_confirmable", "1")]);
        let draft = form.prepare().draft;
        assert!(draft.consent.not_confirmable);
        assert!(draft.consent.fields.is_empty() && draft.consent.others.is_empty());
        // On Form 2 the marker goes into other identifying information.
        let mut form = posted(
            FormKind::Form2,
            &[
                ("consent.not_confirmable", "1"),
                ("id.clothing", "黒い上着"),
            ],
        );
        let draft = form.prepare().draft;
        assert_eq!(draft.identifying_info, "黒い上着、意思確認不可");
        assert!(!draft.consent.not_confirmable);
    }

    #[test]
    fn a_form_2_maps_death_and_the_bereaved() {
        let mut form = posted(
            FormKind::Form2,
            &[
                ("death.date", "令和8年11月21日"),
                ("death.time", "9時40分"),
                ("death.place", "千代田区永田町"),
                ("death.discovered", "1"),
                ("body_location", "千代田区総合体育館"),
                ("bereaved.consent", "同意する"),
                ("bereaved.name", "消防　良子"),
                ("bereaved.relationship", "妻"),
                ("injury.status", "負傷"),
            ],
        );
        let draft = form.prepare().draft;
        assert_eq!(draft.form, FormKind::Form2);
        assert!(draft.death.discovered && !draft.death.no_medical_certificate);
        assert_eq!(draft.bereaved.consent, "同意する");
        assert!(draft.injury.status.is_empty(), "Form 1 fields are not sent");
        assert!(draft.consent.fields.is_empty());
    }

    #[test]
    fn a_record_prefills_the_update_and_the_death_conversion() {
        let mut draft = fixtures::evacuee();
        draft.identifying_info =
            "幼児、血液型B型、西暦1980年生、右頬にほくろ、赤い帽子、意思確認不可".into();
        draft.contact = "090-0000-0000".into();
        let entry = entry::validate(&draft, now()).unwrap();
        let form = EntryForm::from_entry(FormKind::Form1, &entry, now());
        assert_eq!(form.v("name"), "消防　太郎");
        assert_eq!(form.v("id.age"), "幼児");
        assert_eq!(form.v("id.blood"), "血液型B型");
        assert_eq!(form.v("id.birth_partial"), "西暦1980年生");
        assert_eq!(form.v("id.other"), "右頬にほくろ、赤い帽子");
        assert!(form.on("consent.not_confirmable"));
        assert_eq!(form.v("written_at"), "2026-11-21 15:00");
        let again = form.draft();
        assert_eq!(
            again.identifying_info,
            "幼児、西暦1980年生、血液型B型、右頬にほくろ、赤い帽子"
        );
        assert!(again.consent.not_confirmable);
        assert!(entry::validate(&again, now()).is_ok());

        let death = EntryForm::from_entry(FormKind::Form2, &entry, now());
        assert_eq!(death.kind, FormKind::Form2);
        assert_eq!(death.v("name"), "消防　太郎");
        assert_eq!(death.v("contact"), "090-0000-0000");
        assert_eq!(death.v("injury.status"), "", "Form 1's injury stays behind");
        let d = death.draft();
        assert!(d.injury.status.is_empty() && d.location.is_empty());
    }

    // R: K-08 — a roll-call answer's draft pre-fills Form 1 field by field; what the
    // answer cannot know stays empty, and the banner says nothing is recorded yet.
    #[test]
    fn a_roll_call_draft_prefills_form_1_and_says_it_is_not_recorded() {
        let mails = vec!["hanako@example.jp".to_string()];
        let answer = |status| anpi_core::rollcall::form1::Answer {
            name: "防災　花子",
            mails: &mails,
            status,
            comment: "第一小学校、体育館",
            answered_at: "2026-12-06T01:05:00Z".parse().unwrap(),
            rollcall: "総合防災訓練",
        };
        let draft = anpi_core::rollcall::form1::draft(&answer("重傷")).unwrap();
        let form = EntryForm::from_draft(&draft, now());
        assert_eq!(form.kind, FormKind::Form1);
        assert_eq!(
            form.v("written_at"),
            "2026-12-06 10:05",
            "when they answered"
        );
        assert_eq!(form.v("name"), "防災　花子");
        assert_eq!(form.v("injury.status"), "負傷");
        assert_eq!(form.v("injury.severity"), "重症");
        assert!(
            form.v("injury.description")
                .contains("重傷（第一小学校、体育館）")
        );
        assert_eq!(form.v("contact"), "メール hanako@example.jp");
        assert_eq!(form.v("nationality.kind"), "日本");
        assert_eq!(form.v("birth_date"), "");
        assert_eq!(form.consent_matrix(), ConsentMatrix::table_4_3());
        // The form's draft is the answer's draft again (but the initial 国籍).
        let again = form.draft();
        assert_eq!(again.injury, draft.injury);
        assert_eq!(again.contact, draft.contact);
        assert!(
            entry::validate(&again, now()).is_err(),
            "incomplete on purpose"
        );

        let evacuee = anpi_core::rollcall::form1::draft(&answer("避難している")).unwrap();
        let form = EntryForm::from_draft(&evacuee, now());
        assert_eq!(form.v("injury.status"), "非該当");
        assert_eq!(form.draft().remarks, evacuee.remarks);

        let mut form = EntryForm::from_draft(&draft, now());
        form.set("from_rollcall", "r1");
        form.set("from_member", "S001");
        let mut page = page_with(form, Vec::new());
        page.from_rollcall = Some(FromRollcall {
            id: "r1".into(),
            member: "S001".into(),
            title: "総合防災訓練".into(),
            mode_label: "訓練",
            drill: true,
            status: "重傷".into(),
            comment: "第一小学校".into(),
            answered_at: "2026-12-06 10:05".into(),
            incident: "「訓練事案」【訓練】".into(),
        });
        let html = page.render().unwrap();
        assert!(html.contains("id=\"from-rollcall\""));
        assert!(html.contains("まだ登録されていません"));
        assert!(html.contains("【訓練】総合防災訓練"));
        assert!(html.contains("name=\"from_rollcall\" value=\"r1\""));
        assert!(html.contains("name=\"from_member\" value=\"S001\""));
        assert!(!html.contains("style="));
    }

    #[test]
    fn a_recorded_consent_comes_back_unchanged() {
        let mut draft = fixtures::evacuee();
        draft.consent.others = "同意する".into();
        draft.consent.fields.insert(
            "contact".into(),
            FieldChoice {
                family: Some(false),
                ..FieldChoice::default()
            },
        );
        let entry = entry::validate(&draft, now()).unwrap();
        let form = EntryForm::from_entry(FormKind::Form1, &entry, now());
        let sent: Vec<_> = form.values.clone().into_iter().collect();
        let mut form = EntryForm::from_pairs(FormKind::Form1, &sent);
        let again = form.prepare().draft;
        let entry_again = entry::validate(&again, now()).unwrap();
        assert_eq!(entry_again.parsed.consent, entry.parsed.consent);
    }

    #[test]
    fn field_paths_map_to_the_inputs() {
        let f1 = FormKind::Form1;
        assert_eq!(anchor(f1, "birth_date"), "birth_date");
        assert_eq!(anchor(f1, "address.prefecture"), "address.prefecture");
        assert_eq!(anchor(f1, "address"), "address");
        assert_eq!(anchor(f1, "nationality"), "nationality.kind");
        assert_eq!(anchor(f1, "injury"), "injury.status");
        assert_eq!(anchor(f1, "consent.family"), "consent.family_refused");
        assert_eq!(
            anchor(f1, "consent.fields.contact"),
            "consent.fields.contact"
        );
        assert_eq!(anchor(f1, "consent.fields.nonsense"), "consent.fields");
        assert_eq!(anchor(f1, "consent"), "consent");
        assert_eq!(
            anchor(f1, "death.date"),
            "entry",
            "no death fields on Form 1"
        );
        assert_eq!(anchor(f1, "entry"), "entry");
        assert_eq!(anchor(f1, "something.else"), "entry");
        let f2 = FormKind::Form2;
        assert_eq!(anchor(f2, "death.date"), "death.date");
        assert_eq!(anchor(f2, "bereaved.relationship"), "bereaved.relationship");
        assert_eq!(anchor(f2, "bereaved"), "bereaved");
        assert_eq!(anchor(f2, "injury.status"), "entry");
        assert_eq!(anchor(f2, "consent.others"), "consent");
    }

    #[test]
    fn the_shown_state_round_trips() {
        let shown = Shown {
            matrix: ConsentMatrix::table_4_3(),
            columns: Columns {
                family_refused: true,
                acquaintance_refused: false,
                others: Agreement::Disagree,
            },
        };
        assert_eq!(decode_shown(&encode_shown(&shown)), Some(shown));
        assert_eq!(decode_shown("garbage"), None);
        assert_eq!(decode_shown("1.1.1.00u"), None);
    }

    #[test]
    fn partial_birth_dates_are_recognised() {
        for item in ["西暦1980年生", "西暦1980年10月生", "10月10日生", "10月生"] {
            assert!(is_partial_birth(item), "{item}");
        }
        assert!(!is_partial_birth("赤い帽子"));
    }

    fn page_with(form: EntryForm, errors: Vec<FieldError>) -> EntryPage {
        entry_page(
            frame(),
            Screen {
                form,
                errors,
                warnings: Vec::new(),
                purpose: Purpose::New,
                split: None,
                superseded: None,
                from_rollcall: None,
                posted: true,
                checked_ok: false,
            },
        )
    }

    #[test]
    fn the_form_1_page_renders_every_field_escaped() {
        let mut form = EntryForm::blank(FormKind::Form1, now());
        form.set("name", "<script>alert(1)</script>");
        form.set("birth_date", "S56.11.25");
        let errors = vec![
            FieldError::new("birth_date", "存在しない日付です"),
            FieldError::new("address.prefecture", "住所の都道府県を入力してください"),
        ];
        let html = page_with(form, errors).render().unwrap();
        assert!(html.contains("lang=\"ja\""));
        assert!(!html.contains("style="), "no inline style");
        // askama writes `<` and `>` as numeric references (`&#60;`), the same text as
        // `&lt;` to a browser.
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
                || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
        );
        assert!(!html.contains("<script>alert"));
        for label in [
            "記入日時",
            "① 氏名",
            "通称",
            "② フリガナ",
            "③ 出生の年月日",
            "④ 男女の別",
            "⑤ 住所",
            "⑥ 国籍",
            "⑦ その他個人を識別するための情報",
            "⑧ 負傷（疾病）の該当",
            "⑨ 負傷又は疾病の状況",
            "⑩ 現在の居所",
            "⑪ 連絡先その他必要情報",
            "意思確認不可",
            "備考",
            "昭和56年11月25日",
        ] {
            assert!(html.contains(label), "{label}");
        }
        // Errors: in the summary, linking to the input, and beside it.
        assert!(html.contains("href=\"#field-birth_date\""));
        assert!(html.contains("id=\"field-birth_date\""));
        assert!(html.contains("href=\"#field-address.prefecture\""));
        assert!(html.contains("id=\"field-address.prefecture\""));
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("name=\"csrf\" value=\"token123\""));
        assert!(html.contains("name=\"consent.cell.family.contact\""));
        assert!(!html.contains("死亡の日時"));
    }

    #[test]
    fn the_figure_4_1_inconsistency_is_marked_and_asks_for_confirmation() {
        let mut form = posted(
            FormKind::Form1,
            &[
                ("consent.cell.others.contact", "1"),
                ("consent.cell.others.location", "1"),
            ],
        );
        form.prepare();
        let error = console_error("confirm_consent", "回答の意向の確認", "確認してください");
        let page = page_with(form, vec![error]);
        assert_eq!(page.mismatch.len(), 2);
        let html = page.render().unwrap();
        assert!(html.contains("consent-mismatch"));
        assert!(html.contains("要確認"));
        assert!(html.contains("name=\"confirm_consent\""));
        assert!(html.contains("この内容で登録する（確認済み）"));
        assert!(html.contains("図4-1"));
    }

    #[test]
    fn the_form_2_page_has_the_death_and_bereaved_fields() {
        let form = EntryForm::blank(FormKind::Form2, now());
        let html = page_with(form, Vec::new()).render().unwrap();
        for label in [
            "⑧ 死亡の日時、場所及び状況",
            "診断書等無し",
            "発見された日時及び場所",
            "⑨ 遺体が安置されている場所",
            "⑩ 連絡先その他必要情報",
            "⑪",
            "同意回答者",
            "続柄",
            "name=\"bereaved.consent\"",
            "name=\"death.date\"",
        ] {
            assert!(html.contains(label), "{label}");
        }
        assert!(!html.contains("name=\"injury.status\""));
        assert!(!html.contains("style="));
    }

    #[test]
    fn the_blocked_page_links_to_the_incident_choice() {
        let html = BlockedPage {
            frame: frame(),
            title: "様式第1号の入力".into(),
            message: "先に事案を選んでください。".into(),
            link: "/",
            link_label: "事案の選択へ",
        }
        .render()
        .unwrap();
        assert!(html.contains("href=\"/\""));
        assert!(html.contains("先に事案を選んでください"));
    }

    #[test]
    fn pairs_keep_the_last_value_and_drop_the_token() {
        let form = EntryForm::from_pairs(
            FormKind::Form1,
            &pairs(&[("csrf", "x"), ("name", "a"), ("name", "b")]),
        );
        assert_eq!(form.v("name"), "b");
        assert_eq!(form.v("csrf"), "");
    }
}

//! What the forms share: margins, the 【訓練】 banner (T-04), notes with a hanging
//! lead (備考 1 …, (注1) …), dates in era form.

use anpi_core::era;
use anpi_core::incident::{Incident, IncidentMode};
use chrono::{DateTime, NaiveDate, Utc};

use crate::layout::{Align, LINE_HEIGHT, Measure, Page, fit_size, wrap};

/// The margins of a portrait page.
pub const MARGIN_X: f32 = 48.0;
pub const MARGIN_TOP: f32 = 40.0;
pub const MARGIN_BOTTOM: f32 = 34.0;

/// What the drill banner says on every page of a drill's form.
pub fn drill_text(incident: &Incident) -> String {
    format!(
        "【訓練】この帳票は訓練（{}）のものです。実際の安否情報ではありません。",
        incident.name.trim()
    )
}

/// Starts a page: for a drill, the banner across the top. Where the form begins.
pub fn start_page(
    page: &mut Page,
    m: &dyn Measure,
    margin_x: f32,
    incident: Option<&Incident>,
) -> f32 {
    let Some(incident) = incident.filter(|i| i.mode == IncidentMode::Drill) else {
        return MARGIN_TOP;
    };
    let pad = 5.0;
    let left = margin_x;
    let right = page.width - margin_x;
    let text = drill_text(incident);
    // One line when it fits at 9 points or more; a long drill name wraps.
    let size = fit_size(m, &text, 11.0, 9.0, right - left - 2.0 * pad);
    let lines = wrap(m, &text, size, right - left - 2.0 * pad);
    let top = 16.0;
    let height = lines.len() as f32 * size * LINE_HEIGHT + 2.0 * pad;
    page.fill(left, top, right - left, height, 0.85);
    page.frame(left, top, right - left, height, 1.5);
    let mut y = top + pad;
    for line in &lines {
        page.text_line(
            m,
            left + pad,
            right - pad,
            y,
            size,
            line,
            Align::Center,
            true,
        );
        y += size * LINE_HEIGHT;
    }
    (top + height + 10.0).max(MARGIN_TOP)
}

/// `text` after `lead` (備考 1, (注1)), its lines indented under the text; the bottom.
#[allow(clippy::too_many_arguments)]
pub fn hanging(
    page: &mut Page,
    m: &dyn Measure,
    left: f32,
    right: f32,
    top: f32,
    size: f32,
    lead: &str,
    text: &str,
) -> f32 {
    let indent = m.width(lead, size);
    page.text_line(m, left, left + indent, top, size, lead, Align::Left, false);
    let bottom = page.paragraph(m, left + indent, right, top, size, text, Align::Left);
    bottom.max(top + size * LINE_HEIGHT)
}

/// The height `hanging` would take.
pub fn hanging_height(
    m: &dyn Measure,
    left: f32,
    right: f32,
    size: f32,
    lead: &str,
    text: &str,
) -> f32 {
    let indent = m.width(lead, size);
    let lines = wrap(m, text, size, right - left - indent).len().max(1);
    lines as f32 * size * LINE_HEIGHT
}

/// A moment in Japan time, era form: `令和8年11月21日 14時30分`.
pub fn era_date_time(moment: DateTime<Utc>) -> String {
    anpi_core::inquiry::era_date_time(moment)
}

/// The date of a moment in Japan time, era form: `令和8年11月21日`.
pub fn era_date(moment: DateTime<Utc>) -> String {
    anpi_core::inquiry::era_date(moment)
}

/// A date in era form: `昭和56年11月25日`.
pub fn era_day(date: NaiveDate) -> String {
    era::format_era(date)
}

/// A date typed on a form, in era form when it can be read (注3: 元号表記), else as
/// typed.
pub fn era_of_typed(text: &str) -> String {
    match era::parse_date(text) {
        Ok(date) => era::format_era(date),
        Err(_) => text.trim().to_string(),
    }
}

/// A 記入日時 typed on a form, in era form when it can be read, else as typed.
pub fn era_of_typed_moment(text: &str) -> String {
    match anpi_core::entry::parse_written_at(text) {
        Ok(moment) => era_date_time(moment),
        Err(_) => text.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Fixed;
    use anpi_core::ids::IncidentId;

    fn incident(mode: IncidentMode) -> Incident {
        Incident {
            id: IncidentId::from_uuid(uuid::Uuid::from_u128(7)),
            name: "首都直下地震".into(),
            mode,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn a_drill_page_starts_with_the_banner_and_an_actual_one_does_not() {
        let mut page = Page::a4_portrait();
        let top = start_page(
            &mut page,
            &Fixed,
            MARGIN_X,
            Some(&incident(IncidentMode::Drill)),
        );
        assert!(top > MARGIN_TOP);
        let text: String = page.texts().concat();
        assert_eq!(
            text,
            "【訓練】この帳票は訓練（首都直下地震）のものです。実際の安否情報ではありません。"
        );
        let mut page = Page::a4_portrait();
        let top = start_page(
            &mut page,
            &Fixed,
            MARGIN_X,
            Some(&incident(IncidentMode::Actual)),
        );
        assert_eq!(top, MARGIN_TOP);
        assert!(page.items.is_empty());
        assert_eq!(start_page(&mut page, &Fixed, MARGIN_X, None), MARGIN_TOP);
    }

    #[test]
    fn typed_dates_print_in_era_form_or_as_typed() {
        assert_eq!(era_of_typed("1981-11-25"), "昭和56年11月25日");
        assert_eq!(era_of_typed("H10.10.10"), "平成10年10月10日");
        assert_eq!(era_of_typed("昭和50年頃"), "昭和50年頃");
        assert_eq!(
            era_of_typed_moment("2026-11-21 14:30"),
            "令和8年11月21日 14時30分"
        );
    }
}

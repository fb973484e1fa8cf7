//! A small page layout layer: pages of positioned text runs, lines, boxes and ellipses
//! (the marks that circle a chosen option), text measured by glyph advances and
//! wrapped to a width, form grids (`grid`) and tables that break across pages with
//! their header repeated (`table`). Coordinates are points from the page's top-left
//! corner, y downwards; `pdf` turns a [`Document`] into PDF.
//!
//! Nothing here reads a file: text is measured through [`Measure`], which the font
//! implements and the tests replace with fixed widths.

pub mod flow;
pub mod grid;
pub mod table;

/// A4 in points (210 mm × 297 mm).
pub const A4_WIDTH: f32 = 595.2756;
pub const A4_HEIGHT: f32 = 841.8898;

/// The line box as a multiple of the font size.
pub const LINE_HEIGHT: f32 = 1.3;
/// The baseline below the top of a line box, as a multiple of the font size (the
/// ascent of IPAexGothic, 0.88 em, plus half of the extra leading).
pub const BASELINE: f32 = 0.88 + (LINE_HEIGHT - 1.0) / 2.0;

/// How wide characters are, in em.
pub trait Measure {
    fn advance(&self, c: char) -> f32;

    /// The width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }
}

/// Every character one em wide, ASCII half: the widths of a Japanese gothic font,
/// for tests that must not read a font file.
#[cfg(test)]
pub struct Fixed;

#[cfg(test)]
impl Measure for Fixed {
    fn advance(&self, c: char) -> f32 {
        if c.is_ascii() { 0.5 } else { 1.0 }
    }
}

/// A finished document: pages and a title for the PDF's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub title: String,
    pub pages: Vec<Page>,
}

/// One page and what is drawn on it, in drawing order.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub width: f32,
    pub height: f32,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Text(TextRun),
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
    },
    /// A box, stroked with `stroke` points and/or filled with the grey `fill` (0 black,
    /// 1 white).
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        stroke: Option<f32>,
        fill: Option<f32>,
    },
    /// The ring around a chosen option (○で囲む): an oval, two half circles of radius
    /// `ry` joined by straight lines (a circle when `rx == ry`).
    Oval {
        cx: f32,
        cy: f32,
        rx: f32,
        ry: f32,
        width: f32,
    },
}

/// Text on one line: `x` is its left edge, `baseline` its baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct TextRun {
    pub x: f32,
    pub baseline: f32,
    pub size: f32,
    pub text: String,
    pub bold: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

impl Page {
    pub fn new(width: f32, height: f32) -> Self {
        Page {
            width,
            height,
            items: Vec::new(),
        }
    }

    pub fn a4_portrait() -> Self {
        Page::new(A4_WIDTH, A4_HEIGHT)
    }

    pub fn a4_landscape() -> Self {
        Page::new(A4_HEIGHT, A4_WIDTH)
    }

    /// One line of text whose line box starts at `top`, placed in `[left, right]`.
    #[allow(clippy::too_many_arguments)]
    pub fn text_line(
        &mut self,
        m: &dyn Measure,
        left: f32,
        right: f32,
        top: f32,
        size: f32,
        text: &str,
        align: Align,
        bold: bool,
    ) {
        if text.is_empty() {
            return;
        }
        let width = m.width(text, size);
        let x = match align {
            Align::Left => left,
            Align::Center => left + ((right - left) - width) / 2.0,
            Align::Right => right - width,
        };
        self.items.push(Item::Text(TextRun {
            x,
            baseline: top + size * BASELINE,
            size,
            text: text.to_string(),
            bold,
        }));
    }

    /// `text` wrapped to `[left, right]` from `top`; the bottom of the last line.
    #[allow(clippy::too_many_arguments)]
    pub fn paragraph(
        &mut self,
        m: &dyn Measure,
        left: f32,
        right: f32,
        top: f32,
        size: f32,
        text: &str,
        align: Align,
    ) -> f32 {
        let lines = wrap(m, text, size, right - left);
        self.lines(m, left, right, top, size, &lines, align)
    }

    /// Lines already wrapped, one under the other; the bottom of the last.
    #[allow(clippy::too_many_arguments)]
    pub fn lines(
        &mut self,
        m: &dyn Measure,
        left: f32,
        right: f32,
        top: f32,
        size: f32,
        lines: &[String],
        align: Align,
    ) -> f32 {
        let mut y = top;
        for line in lines {
            self.text_line(m, left, right, y, size, line, align, false);
            y += size * LINE_HEIGHT;
        }
        y
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        self.items.push(Item::Line {
            x1,
            y1,
            x2,
            y2,
            width,
        });
    }

    pub fn frame(&mut self, x: f32, y: f32, w: f32, h: f32, width: f32) {
        self.items.push(Item::Rect {
            x,
            y,
            w,
            h,
            stroke: Some(width),
            fill: None,
        });
    }

    pub fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, grey: f32) {
        self.items.push(Item::Rect {
            x,
            y,
            w,
            h,
            stroke: None,
            fill: Some(grey),
        });
    }

    /// A circle around the text run that starts at `x` on the line box at `top`.
    pub fn circle_around(&mut self, x: f32, top: f32, text_width: f32, size: f32) {
        let line = size * LINE_HEIGHT;
        self.items.push(Item::Oval {
            cx: x + text_width / 2.0,
            cy: top + line / 2.0,
            rx: text_width / 2.0 + size * 0.55,
            ry: size * 0.82,
            width: 0.9,
        });
    }

    /// The text of every run, in drawing order (what a reader of the page sees).
    pub fn texts(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter_map(|item| match item {
                Item::Text(run) => Some(run.text.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Characters that never begin a line (行頭禁則): closing brackets, punctuation, small
/// kana and the prolonged sound mark.
const NO_LINE_START: &str = "、。，．,.）)]｝}」』】〕〉》〙〗・：:；;？?！!ー―…‥々ゝゞヽヾぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ％%";
/// Characters that never end a line (行末禁則): opening brackets.
const NO_LINE_END: &str = "（([｛{「『【〔〈《〘〖〒";

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '@' | '/' | ':' | '.' | '+' | '#')
}

/// `text` broken into lines no wider than `width` at `size` points: at its line feeds,
/// then wherever a line is full. Japanese breaks between any two characters except
/// before closing punctuation and after opening brackets (禁則); a run of ASCII
/// letters and digits (a phone number, a word) moves whole to the next line when it
/// fits there. Spaces at a break are dropped. Empty text is no lines.
pub fn wrap(m: &dyn Measure, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut out = Vec::new();
    if text.is_empty() {
        return out;
    }
    let text = text.replace("\r\n", "\n").replace(['\r', '\t'], " ");
    for paragraph in text.split('\n') {
        wrap_paragraph(m, paragraph, size, width, &mut out);
    }
    out
}

fn wrap_paragraph(m: &dyn Measure, text: &str, size: f32, width: f32, out: &mut Vec<String>) {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        out.push(String::new());
        return;
    }
    // A little tolerance so that text exactly as wide as the box stays on one line.
    let limit = width + 0.01;
    let mut line: Vec<char> = Vec::new();
    let mut line_width = 0.0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let advance = m.advance(c) * size;
        if line_width + advance <= limit || line.is_empty() {
            line.push(c);
            line_width += advance;
            i += 1;
            continue;
        }
        // The line is full before `c`: find where to break.
        let mut carry: Vec<char> = Vec::new();
        if is_word_char(c) {
            // Move the word's beginning on this line down with it, if the line keeps
            // something and the word fits a line of its own.
            let start = line
                .iter()
                .rposition(|ch| !is_word_char(*ch))
                .map(|p| p + 1);
            if let Some(start) = start {
                let word_end = chars[i..]
                    .iter()
                    .position(|ch| !is_word_char(*ch))
                    .map_or(chars.len(), |p| i + p);
                let word: f32 = line[start..]
                    .iter()
                    .chain(&chars[i..word_end])
                    .map(|ch| m.advance(*ch) * size)
                    .sum();
                if start > 0 && word <= limit {
                    carry = line.split_off(start);
                }
            }
        } else if NO_LINE_START.contains(c) && line.len() >= 2 {
            // 追い出し: the last character goes down with the closing mark, and more
            // while what goes down would itself begin with a closing mark (「る。）」).
            carry = line.split_off(line.len() - 1);
            while line.len() >= 2 && carry.first().is_some_and(|ch| NO_LINE_START.contains(*ch)) {
                let ch = line.pop().expect("not empty");
                carry.insert(0, ch);
            }
        }
        // An opening bracket never ends a line.
        while line.len() >= 2 && line.last().is_some_and(|ch| NO_LINE_END.contains(*ch)) {
            let ch = line.pop().expect("not empty");
            carry.insert(0, ch);
        }
        out.push(line.iter().collect::<String>().trim_end().to_string());
        line = carry;
        while line.first() == Some(&' ') {
            line.remove(0);
        }
        line_width = line.iter().map(|ch| m.advance(*ch) * size).sum();
        if line.is_empty() && c == ' ' {
            i += 1;
        }
    }
    out.push(line.iter().collect::<String>().trim_end().to_string());
}

/// The height of `lines` lines at `size`.
pub fn lines_height(lines: usize, size: f32) -> f32 {
    lines as f32 * size * LINE_HEIGHT
}

/// The largest size not above `size` (and not below `min`) at which `text` fits
/// `width` on one line.
pub fn fit_size(m: &dyn Measure, text: &str, size: f32, min: f32, width: f32) -> f32 {
    let natural = m.width(text, 1.0);
    if natural <= 0.0 {
        return size;
    }
    (width / natural).clamp(min, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str, chars_wide: f32) -> Vec<String> {
        wrap(&Fixed, text, 10.0, chars_wide * 10.0)
    }

    #[test]
    fn japanese_breaks_between_any_characters() {
        assert_eq!(
            lines("東京都千代田区霞が関二丁目", 5.0),
            ["東京都千代", "田区霞が関", "二丁目"]
        );
    }

    #[test]
    fn line_feeds_break_and_empty_text_has_no_lines() {
        assert!(lines("", 5.0).is_empty());
        assert_eq!(lines("一行目\n\n三行目", 5.0), ["一行目", "", "三行目"]);
        assert_eq!(lines("a\r\nb", 5.0), ["a", "b"]);
    }

    #[test]
    fn closing_marks_never_start_a_line() {
        // 「。」 would begin the second line: the character before it goes down too.
        assert_eq!(lines("あいうえお。かき", 5.0), ["あいうえ", "お。かき"]);
        assert_eq!(lines("あいうえ（かき）", 5.0), ["あいうえ", "（かき）"]);
        // Two closing marks: the character before both goes down.
        assert_eq!(lines("（あいう。）", 5.0), ["（あい", "う。）"]);
    }

    #[test]
    fn an_ascii_word_moves_whole_when_it_fits_a_line() {
        // Five full-width characters' room is ten ASCII characters.
        assert_eq!(lines("電話 0312", 3.0), ["電話", "0312"]);
        assert_eq!(lines("病院 03-1234", 4.0), ["病院", "03-1234"]);
        // A word longer than a line fills the line it starts on.
        assert_eq!(lines("電話03-1234-5678", 5.0), ["電話03-123", "4-5678"]);
    }

    #[test]
    fn every_line_fits_the_width() {
        let text = "東京都千代田区神田1丁目2番3号 千代田中央病院（医療機関）（記入日時 令和8年11月21日 14時30分現在）";
        for width in [3.0, 4.0, 7.5, 12.0, 30.0] {
            let wrapped = lines(text, width);
            for line in &wrapped {
                assert!(
                    Fixed.width(line, 10.0) <= width * 10.0 + 0.01,
                    "{line} at {width}"
                );
            }
            let joined: String = wrapped.concat();
            assert_eq!(joined.replace(' ', ""), text.replace(' ', ""), "{width}");
        }
    }

    #[test]
    fn a_character_wider_than_the_box_still_gets_a_line() {
        assert_eq!(lines("東京", 0.5), ["東", "京"]);
    }

    #[test]
    fn fit_size_shrinks_to_the_width_but_not_below_the_minimum() {
        assert_eq!(fit_size(&Fixed, "あいうえお", 12.0, 6.0, 100.0), 12.0);
        assert_eq!(fit_size(&Fixed, "あいうえお", 12.0, 6.0, 40.0), 8.0);
        assert_eq!(fit_size(&Fixed, "あいうえお", 12.0, 6.0, 10.0), 6.0);
    }
}

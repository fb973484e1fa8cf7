//! The ruled grid of a one-page form: rows of cells spanning columns, each holding
//! wrapped text, a row of options (男　女, 同意する　同意しない) of which the chosen
//! ones are circled, or a label written top to bottom (a merged cell such as
//! 被照会者). A row is as high as its fullest cell, and never lower than asked.

use super::{Align, LINE_HEIGHT, Measure, Page, lines_height, wrap};

/// An option of a choice cell: `label` is what gets circled, `after` follows it
/// uncircled (「その他」「（アメリカ）」, 「①」「被照会者の親族…」).
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub label: String,
    pub marked: bool,
    pub after: String,
}

impl Choice {
    pub fn plain(label: &str, marked: bool) -> Self {
        Choice {
            label: label.to_string(),
            marked,
            after: String::new(),
        }
    }

    /// An option with brackets to write in: 「その他（　　　）」, or filled in.
    pub fn with_blank(label: &str, marked: bool, text: &str) -> Self {
        let text = text.trim();
        Choice {
            label: label.to_string(),
            marked,
            after: if text.is_empty() {
                "（　　　　　　）".to_string()
            } else {
                format!("（{text}）")
            },
        }
    }

    pub fn followed_by(label: &str, marked: bool, after: &str) -> Self {
        Choice {
            label: label.to_string(),
            marked,
            after: after.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Empty,
    Text {
        text: String,
        size: f32,
        align: Align,
    },
    Choices {
        options: Vec<Choice>,
        size: f32,
        align: Align,
    },
    /// Written top to bottom, one character a line, centred.
    Vertical {
        text: String,
        size: f32,
    },
    /// A short label over wrapped text (the label in a smaller size), e.g. ⑫'s
    /// instruction above its option.
    Stacked {
        parts: Vec<Content>,
    },
}

impl Content {
    pub fn text(text: &str, size: f32) -> Self {
        Content::Text {
            text: text.to_string(),
            size,
            align: Align::Left,
        }
    }

    pub fn centred(text: &str, size: f32) -> Self {
        Content::Text {
            text: text.to_string(),
            size,
            align: Align::Center,
        }
    }

    pub fn choices(options: Vec<Choice>, size: f32) -> Self {
        Content::Choices {
            options,
            size,
            align: Align::Left,
        }
    }

    /// The height the content needs in `width` points.
    pub fn height(&self, m: &dyn Measure, width: f32) -> f32 {
        match self {
            Content::Empty => 0.0,
            Content::Text { text, size, .. } => {
                lines_height(wrap(m, text, *size, width).len(), *size)
            }
            // Room for the ring around a chosen option.
            Content::Choices { size, .. } => size * CHOICE_HEIGHT_EM,
            Content::Vertical { text, size } => lines_height(text.chars().count(), *size),
            Content::Stacked { parts } => parts.iter().map(|p| p.height(m, width)).sum(),
        }
    }

    /// Draws the content in `[left, right]` from `top`.
    fn draw(&self, page: &mut Page, m: &dyn Measure, left: f32, right: f32, top: f32) {
        match self {
            Content::Empty => {}
            Content::Text { text, size, align } => {
                page.paragraph(m, left, right, top, *size, text, *align);
            }
            Content::Choices {
                options,
                size,
                align,
            } => draw_choices(page, m, left, right, top, options, *size, *align),
            Content::Vertical { text, size } => {
                let mut y = top;
                for c in text.chars() {
                    let mut buf = [0; 4];
                    page.text_line(
                        m,
                        left,
                        right,
                        y,
                        *size,
                        c.encode_utf8(&mut buf),
                        Align::Center,
                        false,
                    );
                    y += size * LINE_HEIGHT;
                }
            }
            Content::Stacked { parts } => {
                let mut y = top;
                for part in parts {
                    part.draw(page, m, left, right, y);
                    y += part.height(m, right - left);
                }
            }
        }
    }
}

/// The height of a row of options, in em: the ring (1.64 em) and a little more.
const CHOICE_HEIGHT_EM: f32 = 1.75;

/// The gap between two options.
const CHOICE_GAP_EM: f32 = 2.0;

fn choice_text(choice: &Choice) -> (String, String) {
    (choice.label.clone(), choice.after.clone())
}

#[allow(clippy::too_many_arguments)]
fn draw_choices(
    page: &mut Page,
    m: &dyn Measure,
    left: f32,
    right: f32,
    top: f32,
    options: &[Choice],
    size: f32,
    align: Align,
) {
    let parts: Vec<(String, String)> = options.iter().map(choice_text).collect();
    let gap = CHOICE_GAP_EM * size;
    let total: f32 = parts
        .iter()
        .map(|(label, rest)| {
            let gap = if rest.is_empty() { 0.0 } else { size * 0.6 };
            m.width(label, size) + gap + m.width(rest, size)
        })
        .sum::<f32>()
        + gap * (parts.len().saturating_sub(1)) as f32;
    // Room for the ring's overhang at the left edge.
    let inset = size * 0.7;
    let mut x = match align {
        Align::Left => left + inset,
        Align::Center => left + ((right - left) - total) / 2.0,
        Align::Right => right - total - inset,
    };
    let line_top = top + (size * CHOICE_HEIGHT_EM - size * LINE_HEIGHT) / 2.0;
    for (option, (label, rest)) in options.iter().zip(&parts) {
        let label_width = m.width(label, size);
        page.text_line(
            m,
            x,
            x + label_width,
            line_top,
            size,
            label,
            Align::Left,
            false,
        );
        if option.marked {
            page.circle_around(x, line_top, label_width, size);
        }
        x += label_width;
        if !rest.is_empty() {
            // Clear of the ring when the label may be circled.
            x += size * 0.6;
            let rest_width = m.width(rest, size);
            page.text_line(
                m,
                x,
                x + rest_width,
                line_top,
                size,
                rest,
                Align::Left,
                false,
            );
            x += rest_width;
        }
        x += gap;
    }
}

/// One cell of a row: how many columns it spans and what it holds; `shade` greys it
/// (the label cells).
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub span: usize,
    pub content: Content,
    pub shade: bool,
}

impl Cell {
    pub fn label(content: Content) -> Self {
        Cell {
            span: 1,
            content,
            shade: true,
        }
    }

    pub fn value(content: Content) -> Self {
        Cell {
            span: 1,
            content,
            shade: false,
        }
    }

    pub fn spanning(mut self, span: usize) -> Self {
        self.span = span;
        self
    }
}

/// The columns of a form's grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub x: f32,
    pub widths: Vec<f32>,
    pub pad: f32,
    pub rule: f32,
}

impl Grid {
    pub fn right(&self) -> f32 {
        self.x + self.widths.iter().sum::<f32>()
    }

    /// The left edge of column `col`.
    pub fn left_of(&self, col: usize) -> f32 {
        self.x + self.widths[..col].iter().sum::<f32>()
    }

    fn span_width(&self, col: usize, span: usize) -> f32 {
        self.widths[col..col + span].iter().sum()
    }

    /// The height of a row of `cells` starting at column `first`.
    pub fn row_height(&self, m: &dyn Measure, first: usize, cells: &[Cell], min: f32) -> f32 {
        let mut col = first;
        let mut height: f32 = min;
        for cell in cells {
            let width = self.span_width(col, cell.span) - 2.0 * self.pad;
            height = height.max(cell.content.height(m, width) + 2.0 * self.pad);
            col += cell.span;
        }
        height
    }

    /// Draws a row of `cells` from column `first` at `top`; its bottom.
    pub fn row(
        &self,
        page: &mut Page,
        m: &dyn Measure,
        top: f32,
        first: usize,
        cells: &[Cell],
        min: f32,
    ) -> f32 {
        let height = self.row_height(m, first, cells, min);
        let mut col = first;
        for cell in cells {
            let left = self.left_of(col);
            let width = self.span_width(col, cell.span);
            self.cell(page, m, left, width, top, height, cell);
            col += cell.span;
        }
        top + height
    }

    /// One cell spanning rows: `[top, bottom]` of column `col`.
    pub fn merged(
        &self,
        page: &mut Page,
        m: &dyn Measure,
        col: usize,
        top: f32,
        bottom: f32,
        cell: &Cell,
    ) {
        let left = self.left_of(col);
        let width = self.span_width(col, cell.span);
        self.cell(page, m, left, width, top, bottom - top, cell);
    }

    #[allow(clippy::too_many_arguments)]
    fn cell(
        &self,
        page: &mut Page,
        m: &dyn Measure,
        left: f32,
        width: f32,
        top: f32,
        height: f32,
        cell: &Cell,
    ) {
        if cell.shade {
            page.fill(left, top, width, height, 0.93);
        }
        page.frame(left, top, width, height, self.rule);
        let inner = width - 2.0 * self.pad;
        let content_height = cell.content.height(m, inner);
        let content_top = top + (height - content_height) / 2.0;
        cell.content.draw(
            page,
            m,
            left + self.pad,
            left + width - self.pad,
            content_top,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Fixed, Item};

    fn grid() -> Grid {
        Grid {
            x: 50.0,
            widths: vec![100.0, 200.0],
            pad: 4.0,
            rule: 0.5,
        }
    }

    #[test]
    fn a_row_is_as_high_as_its_fullest_cell() {
        let g = grid();
        let cells = [
            Cell::label(Content::text("住所", 10.0)),
            // 20 characters in 192 points at 10 points: 2 lines.
            Cell::value(Content::text(
                "東京都千代田区霞が関二丁目一番二号ビル内",
                10.0,
            )),
        ];
        let h = g.row_height(&Fixed, 0, &cells, 20.0);
        assert!((h - (2.0 * 13.0 + 8.0)).abs() < 0.01, "{h}");
        assert_eq!(g.row_height(&Fixed, 0, &cells[..1], 30.0), 30.0);
    }

    #[test]
    fn the_chosen_option_is_circled_and_only_it() {
        let g = grid();
        let mut page = Page::a4_portrait();
        let cells = [
            Cell::label(Content::text("④男女の別", 10.0)),
            Cell::value(Content::choices(
                vec![Choice::plain("男", false), Choice::plain("女", true)],
                10.0,
            )),
        ];
        g.row(&mut page, &Fixed, 100.0, 0, &cells, 30.0);
        let women: Vec<_> = page
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Text(run) if run.text == "女" => Some(run.clone()),
                _ => None,
            })
            .collect();
        let circles: Vec<_> = page
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Oval { cx, cy, rx, .. } => Some((*cx, *cy, *rx)),
                _ => None,
            })
            .collect();
        assert_eq!(circles.len(), 1);
        let (cx, _, rx) = circles[0];
        let run = &women[0];
        assert!(
            cx - rx < run.x && run.x + 10.0 < cx + rx,
            "{circles:?} {run:?}"
        );
    }

    #[test]
    fn a_blank_option_prints_brackets_to_write_in() {
        let mut page = Page::a4_portrait();
        let cells = [Cell::value(Content::choices(
            vec![
                Choice::plain("日本", false),
                Choice::with_blank("その他", true, "アメリカ"),
            ],
            10.0,
        ))
        .spanning(2)];
        grid().row(&mut page, &Fixed, 0.0, 0, &cells, 20.0);
        assert_eq!(page.texts(), ["日本", "その他", "（アメリカ）"]);
    }

    #[test]
    fn a_merged_cell_writes_top_to_bottom() {
        let mut page = Page::a4_portrait();
        let cell = Cell::label(Content::Vertical {
            text: "被照会者".into(),
            size: 10.0,
        });
        grid().merged(&mut page, &Fixed, 0, 0.0, 200.0, &cell);
        assert_eq!(page.texts(), ["被", "照", "会", "者"]);
    }
}

//! Tables that run over several pages: every cell wrapped to its column, rows placed
//! page by page under a header row repeated on each page, and a row taller than the
//! room left split between pages line by line (never lost, never drawn past the page).

use std::ops::Range;

use super::{Align, LINE_HEIGHT, Measure, Page, lines_height, wrap};

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    pub width: f32,
    pub align: Align,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableStyle {
    pub header_size: f32,
    pub body_size: f32,
    /// Space between a cell's border and its text.
    pub pad: f32,
    /// The least height of a body row.
    pub min_row: f32,
    pub rule: f32,
}

impl TableStyle {
    pub fn body_line(&self) -> f32 {
        self.body_size * LINE_HEIGHT
    }

    /// The height of a piece of a row of `lines` lines.
    pub fn row_height(&self, lines: usize) -> f32 {
        (lines_height(lines, self.body_size) + 2.0 * self.pad).max(self.min_row)
    }
}

/// A row with every cell wrapped to its column.
#[derive(Debug, Clone, PartialEq)]
pub struct WrappedRow {
    pub cells: Vec<Vec<String>>,
}

impl WrappedRow {
    pub fn lines(&self) -> usize {
        self.cells.iter().map(Vec::len).max().unwrap_or(0)
    }
}

pub fn wrap_row(
    m: &dyn Measure,
    columns: &[Column],
    size: f32,
    pad: f32,
    row: &[String],
) -> WrappedRow {
    WrappedRow {
        cells: columns
            .iter()
            .zip(row)
            .map(|(column, text)| wrap(m, text, size, column.width - 2.0 * pad))
            .collect(),
    }
}

/// The lines `lines` of row `row` drawn on one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub row: usize,
    pub lines: Range<usize>,
}

/// Rows (by their line counts) placed on pages: `first` points of room on the first
/// page, `next` on each later one (below the repeated header). A row goes whole onto
/// the next page when it does not fit the room left but fits a page; a row taller than
/// a page is split line by line. Each page holds at least one piece.
pub fn paginate(
    line_counts: &[usize],
    style: &TableStyle,
    first: f32,
    next: f32,
) -> Vec<Vec<Piece>> {
    let line = style.body_line();
    let mut pages: Vec<Vec<Piece>> = vec![Vec::new()];
    let mut room = first;
    for (row, &count) in line_counts.iter().enumerate() {
        let mut start = 0;
        loop {
            let page = pages.last_mut().expect("a page");
            let height = style.row_height(count - start);
            if height <= room + 0.01 {
                page.push(Piece {
                    row,
                    lines: start..count,
                });
                room -= height;
                break;
            }
            let fitting = ((room - 2.0 * style.pad) / line).floor().max(0.0) as usize;
            let fits_a_page = height <= next + 0.01;
            if !page.is_empty() && (fits_a_page || fitting < 2) {
                pages.push(Vec::new());
                room = next;
                continue;
            }
            // Split: as many lines as fit here (one at least, so that it ends).
            let take = fitting.max(1).min(count - start);
            if take == 0 {
                // A row without text that does not fit an empty page: placed anyway.
                page.push(Piece {
                    row,
                    lines: start..count,
                });
                room -= height;
                break;
            }
            page.push(Piece {
                row,
                lines: start..start + take,
            });
            start += take;
            pages.push(Vec::new());
            room = next;
            if start >= count {
                break;
            }
        }
    }
    if pages.len() > 1 && pages.last().is_some_and(Vec::is_empty) {
        pages.pop();
    }
    pages
}

/// The header row at `top`, shaded; its bottom.
pub fn draw_header(
    page: &mut Page,
    m: &dyn Measure,
    x: f32,
    top: f32,
    columns: &[Column],
    style: &TableStyle,
) -> f32 {
    let wrapped: Vec<Vec<String>> = columns
        .iter()
        .map(|c| wrap(m, &c.header, style.header_size, c.width - 2.0 * style.pad))
        .collect();
    let count = wrapped.iter().map(Vec::len).max().unwrap_or(1);
    let height = lines_height(count, style.header_size) + 2.0 * style.pad;
    let mut left = x;
    for (column, lines) in columns.iter().zip(&wrapped) {
        page.fill(left, top, column.width, height, 0.9);
        page.frame(left, top, column.width, height, style.rule);
        // Centred both ways.
        let text_top = top + (height - lines_height(lines.len(), style.header_size)) / 2.0;
        page.lines(
            m,
            left + style.pad,
            left + column.width - style.pad,
            text_top,
            style.header_size,
            lines,
            Align::Center,
        );
        left += column.width;
    }
    top + height
}

/// The height of the header row.
pub fn header_height(m: &dyn Measure, columns: &[Column], style: &TableStyle) -> f32 {
    let count = columns
        .iter()
        .map(|c| wrap(m, &c.header, style.header_size, c.width - 2.0 * style.pad).len())
        .max()
        .unwrap_or(1);
    lines_height(count, style.header_size) + 2.0 * style.pad
}

/// Lines `lines` of `row` at `top`; the piece's bottom.
#[allow(clippy::too_many_arguments)]
pub fn draw_piece(
    page: &mut Page,
    m: &dyn Measure,
    x: f32,
    top: f32,
    columns: &[Column],
    style: &TableStyle,
    row: &WrappedRow,
    lines: Range<usize>,
) -> f32 {
    let height = style.row_height(lines.len());
    let mut left = x;
    for (column, cell) in columns.iter().zip(&row.cells) {
        page.frame(left, top, column.width, height, style.rule);
        let shown: Vec<String> = cell
            .iter()
            .skip(lines.start)
            .take(lines.len())
            .cloned()
            .collect();
        page.lines(
            m,
            left + style.pad,
            left + column.width - style.pad,
            top + style.pad,
            style.body_size,
            &shown,
            column.align,
        );
        left += column.width;
    }
    top + height
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Fixed;

    fn style() -> TableStyle {
        // 10 points a line, 1 point padding: a row of n lines is 10n + 2 high, 12 at least.
        TableStyle {
            header_size: 10.0 / LINE_HEIGHT,
            body_size: 10.0 / LINE_HEIGHT,
            pad: 1.0,
            min_row: 12.0,
            rule: 0.5,
        }
    }

    fn rows(pages: &[Vec<Piece>]) -> Vec<Vec<(usize, usize, usize)>> {
        pages
            .iter()
            .map(|p| {
                p.iter()
                    .map(|piece| (piece.row, piece.lines.start, piece.lines.end))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn rows_fill_a_page_then_the_next() {
        // Each row 12 high; 40 points hold three rows, 30 hold two.
        let pages = paginate(&[1, 1, 1, 1, 1, 1], &style(), 40.0, 30.0);
        assert_eq!(
            rows(&pages),
            [
                vec![(0, 0, 1), (1, 0, 1), (2, 0, 1)],
                vec![(3, 0, 1), (4, 0, 1)],
                vec![(5, 0, 1)],
            ]
        );
    }

    #[test]
    fn a_row_that_fits_a_page_is_not_split() {
        // Row 1 (42 high) does not fit the 28 left on page 1 but fits a page of 50.
        let pages = paginate(&[1, 4, 1], &style(), 40.0, 50.0);
        assert_eq!(
            rows(&pages),
            [vec![(0, 0, 1)], vec![(1, 0, 4)], vec![(2, 0, 1)]]
        );
    }

    #[test]
    fn a_row_taller_than_a_page_is_split_line_by_line() {
        // 12 lines = 122 high; pages of 50 hold 4 lines.
        let pages = paginate(&[1, 12], &style(), 50.0, 50.0);
        assert_eq!(
            rows(&pages),
            [
                vec![(0, 0, 1), (1, 0, 3)],
                vec![(1, 3, 7)],
                vec![(1, 7, 11)],
                vec![(1, 11, 12)],
            ]
        );
        // Every line is placed exactly once.
        let placed: usize = pages.iter().flatten().map(|p| p.lines.len()).sum();
        assert_eq!(placed, 13);
    }

    #[test]
    fn no_rows_is_one_empty_page_and_empty_rows_take_the_least_height() {
        assert_eq!(paginate(&[], &style(), 40.0, 40.0), vec![Vec::new()]);
        let pages = paginate(&[0, 0, 0, 0], &style(), 40.0, 40.0);
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].len(), 3);
    }

    #[test]
    fn pieces_are_drawn_inside_their_columns() {
        let columns = vec![
            Column {
                header: "氏名".into(),
                width: 52.0,
                align: Align::Left,
            },
            Column {
                header: "住所".into(),
                width: 40.0,
                align: Align::Left,
            },
        ];
        let st = style();
        let row = wrap_row(
            &Fixed,
            &columns,
            st.body_size,
            st.pad,
            &[
                "消防　太郎".into(),
                "東京都千代田区霞が関2丁目1番2号".into(),
            ],
        );
        assert!(row.lines() > 1);
        let mut page = Page::a4_landscape();
        let bottom = draw_piece(
            &mut page,
            &Fixed,
            10.0,
            20.0,
            &columns,
            &st,
            &row,
            0..row.lines(),
        );
        assert!((bottom - (20.0 + st.row_height(row.lines()))).abs() < 0.01);
        for item in &page.items {
            if let crate::layout::Item::Text(run) = item {
                let right = run.x + Fixed.width(&run.text, run.size);
                let inside = (run.x >= 10.0 && right <= 62.0) || (run.x >= 62.0 && right <= 102.0);
                assert!(inside, "{run:?}");
            }
        }
    }
}

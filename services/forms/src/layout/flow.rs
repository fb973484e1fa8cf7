//! Grid rows placed one under another over as many pages as they need: a row that
//! does not fit the room left goes to the next page, and a row taller than a page
//! (free text of thousands of characters) is split between pages line by line, its
//! label cells repeated. A merged label cell spanning a group of rows (被照会者) is
//! closed at the foot of a page and opened again at the top of the next.

use super::grid::{Cell, Content, Grid};
use super::{Align, LINE_HEIGHT, Measure, Page, lines_height, wrap};

/// Starts a new page (banner, continuation heading); where its body begins.
pub type StartPage<'a> = Box<dyn FnMut(&mut Page) -> f32 + 'a>;

pub struct Flow<'a> {
    pub pages: Vec<Page>,
    pub y: f32,
    /// The lowest a row may reach.
    pub bottom: f32,
    blank: Page,
    start: StartPage<'a>,
    /// The page body's top on a fresh page (known after the first break).
    fresh_top: Option<f32>,
    /// Nothing has been placed on this page yet.
    fresh: bool,
}

impl<'a> Flow<'a> {
    /// A flow on `first` (already started, its body beginning at `y`); later pages are
    /// copies of `blank` started with `start`.
    pub fn new(first: Page, y: f32, bottom: f32, start: StartPage<'a>) -> Self {
        let blank = Page::new(first.width, first.height);
        Flow {
            pages: vec![first],
            y,
            bottom,
            blank,
            start,
            fresh_top: None,
            fresh: true,
        }
    }

    pub fn page(&mut self) -> &mut Page {
        self.pages.last_mut().expect("a page")
    }

    pub fn break_page(&mut self) {
        let mut page = self.blank.clone();
        let top = (self.start)(&mut page);
        self.pages.push(page);
        self.fresh_top = Some(top);
        self.y = top;
        self.fresh = true;
    }

    /// Room on a fresh page.
    fn page_room(&mut self) -> f32 {
        match self.fresh_top {
            Some(top) => self.bottom - top,
            None => {
                // Measure once with a scratch page.
                let mut scratch = self.blank.clone();
                let top = (self.start)(&mut scratch);
                self.fresh_top = Some(top);
                self.bottom - top
            }
        }
    }

    /// Makes room for `height` points (a new page when they do not fit).
    pub fn ensure(&mut self, height: f32) {
        if self.y + height > self.bottom + 0.01 && !self.fresh {
            self.break_page();
        }
    }

    /// A grid row from column `first`.
    pub fn row(&mut self, grid: &Grid, m: &dyn Measure, first: usize, cells: &[Cell], min: f32) {
        self.row_in_group(grid, m, first, cells, min, None);
    }

    /// Rows under one merged label cell in column `col` (the rows start at `col + 1`).
    pub fn group(
        &mut self,
        grid: &Grid,
        m: &dyn Measure,
        col: usize,
        label: &Cell,
        rows: &[(Vec<Cell>, f32)],
    ) {
        let mut group_top = self.y;
        for (cells, min) in rows {
            let mut tracker = Group {
                col,
                label,
                top: &mut group_top,
            };
            self.row_in_group(grid, m, col + 1, cells, *min, Some(&mut tracker));
        }
        if self.y > group_top {
            let y = self.y;
            grid.merged(self.page(), m, col, group_top, y, label);
        }
    }

    fn row_in_group(
        &mut self,
        grid: &Grid,
        m: &dyn Measure,
        first: usize,
        cells: &[Cell],
        min: f32,
        mut group: Option<&mut Group<'_, '_>>,
    ) {
        let mut cells = cells.to_vec();
        loop {
            let height = grid.row_height(m, first, &cells, min);
            let y = self.y;
            if y + height <= self.bottom + 0.01 {
                self.y = grid.row(self.page(), m, y, first, &cells, min);
                self.fresh = false;
                return;
            }
            let fits_a_page = height <= self.page_room() + 0.01;
            if fits_a_page && !self.fresh {
                self.next_page(grid, m, group.as_deref_mut());
                continue;
            }
            // Taller than a page (or than this fresh page): split at the room left.
            let room = self.bottom - y;
            let (head, rest) = split_cells(grid, m, first, &cells, room);
            let Some(rest) = rest.filter(|_| !head_is_empty(&head, &cells)) else {
                if self.fresh {
                    // Nothing can be split, or not one line fits a page: drawn as is.
                    self.y = grid.row(self.page(), m, y, first, &cells, min);
                    self.fresh = false;
                    return;
                }
                self.next_page(grid, m, group.as_deref_mut());
                continue;
            };
            self.y = grid.row(self.page(), m, y, first, &head, room);
            self.fresh = false;
            self.next_page(grid, m, group.as_deref_mut());
            cells = rest;
        }
    }

    /// Closes the open group on this page and starts the next.
    fn next_page(&mut self, grid: &Grid, m: &dyn Measure, group: Option<&mut Group<'_, '_>>) {
        let group = match group {
            Some(g) => {
                if self.y > *g.top {
                    let (top, y) = (*g.top, self.y);
                    grid.merged(self.page(), m, g.col, top, y, g.label);
                }
                Some(g)
            }
            None => None,
        };
        self.break_page();
        if let Some(g) = group {
            *g.top = self.y;
        }
    }

    /// Text across the page width from `left` to `right`, split between pages as
    /// needed; the flow continues under it.
    #[allow(clippy::too_many_arguments)]
    pub fn paragraph(
        &mut self,
        m: &dyn Measure,
        left: f32,
        right: f32,
        size: f32,
        text: &str,
        align: Align,
    ) {
        for line in wrap(m, text, size, right - left) {
            self.ensure(size * LINE_HEIGHT);
            let y = self.y;
            self.page()
                .text_line(m, left, right, y, size, &line, align, false);
            self.y += size * LINE_HEIGHT;
            self.fresh = false;
        }
    }

    pub fn into_pages(self) -> Vec<Page> {
        self.pages
    }
}

struct Group<'l, 't> {
    col: usize,
    label: &'l Cell,
    top: &'t mut f32,
}

fn head_is_empty(head: &[Cell], cells: &[Cell]) -> bool {
    head.iter()
        .zip(cells)
        .all(|(h, c)| match (&h.content, &c.content) {
            (Content::Text { text: a, .. }, Content::Text { text: b, .. }) => {
                a.is_empty() && !b.is_empty()
            }
            _ => true,
        })
}

/// The lines of each text cell that fit `room`, and the rest (`None` when everything
/// fits, or when no cell holds text to split). Other cells are repeated.
fn split_cells(
    grid: &Grid,
    m: &dyn Measure,
    first: usize,
    cells: &[Cell],
    room: f32,
) -> (Vec<Cell>, Option<Vec<Cell>>) {
    let mut head = Vec::new();
    let mut rest = Vec::new();
    let mut more = false;
    let mut col = first;
    for cell in cells {
        let width: f32 = grid.widths[col..col + cell.span].iter().sum::<f32>() - 2.0 * grid.pad;
        col += cell.span;
        match &cell.content {
            Content::Text { text, size, align } if !cell.shade => {
                let lines = wrap(m, text, *size, width);
                let fit = ((room - 2.0 * grid.pad) / (size * LINE_HEIGHT))
                    .floor()
                    .max(0.0) as usize;
                let fit = fit.min(lines.len());
                if fit < lines.len() {
                    more = true;
                }
                let piece = |part: &[String]| Cell {
                    content: Content::Text {
                        text: part.join("\n"),
                        size: *size,
                        align: *align,
                    },
                    ..cell.clone()
                };
                head.push(piece(&lines[..fit]));
                rest.push(piece(&lines[fit..]));
                debug_assert!(lines_height(fit, *size) <= room);
            }
            _ => {
                head.push(cell.clone());
                rest.push(cell.clone());
            }
        }
    }
    (head, more.then_some(rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Fixed, Item};

    fn grid() -> Grid {
        Grid {
            x: 50.0,
            widths: vec![30.0, 100.0, 200.0],
            pad: 4.0,
            rule: 0.5,
        }
    }

    fn flow<'a>() -> Flow<'a> {
        let page = Page::new(400.0, 300.0);
        Flow::new(page, 20.0, 280.0, Box::new(|_page: &mut Page| 20.0))
    }

    fn text_of(pages: &[Page]) -> Vec<String> {
        pages.iter().map(|p| p.texts().concat()).collect()
    }

    #[test]
    fn rows_go_to_the_next_page_when_full() {
        let g = grid();
        let mut f = flow();
        for n in 0..12 {
            let cells = [
                Cell::label(Content::text(&format!("項目{n}"), 10.0)),
                Cell::value(Content::text("値", 10.0)),
            ];
            f.row(&g, &Fixed, 1, &cells, 30.0);
        }
        let pages = f.into_pages();
        // 260 points of room hold 8 rows of 30.
        assert_eq!(pages.len(), 2);
        assert!(pages[0].texts().contains(&"項目7"));
        assert!(pages[1].texts().contains(&"項目8"));
    }

    #[test]
    fn a_row_taller_than_a_page_is_split_and_nothing_is_lost() {
        let g = grid();
        let mut f = flow();
        let long = "あ".repeat(19 * 60); // 60 lines of 19 characters in 192 points
        let cells = [
            Cell::label(Content::text("備考", 10.0)),
            Cell::value(Content::text(&long, 10.0)),
        ];
        f.row(&g, &Fixed, 1, &cells, 30.0);
        let pages = f.into_pages();
        assert!(pages.len() >= 3, "{}", pages.len());
        let all: String = text_of(&pages).concat().replace("備考", "");
        assert_eq!(all, long);
        // The label is repeated on every page, and nothing is drawn below the bottom.
        for page in &pages {
            assert!(page.texts().contains(&"備考"));
            for item in &page.items {
                if let Item::Text(run) = item {
                    assert!(run.baseline <= 280.0, "{run:?}");
                }
            }
        }
    }

    #[test]
    fn a_group_label_is_drawn_on_each_page_it_spans() {
        let g = grid();
        let mut f = flow();
        let label = Cell::label(Content::Vertical {
            text: "被照会者".into(),
            size: 8.0,
        });
        let rows: Vec<(Vec<Cell>, f32)> = (0..12)
            .map(|n| {
                (
                    vec![
                        Cell::label(Content::text(&format!("項目{n}"), 10.0)),
                        Cell::value(Content::text("値", 10.0)),
                    ],
                    30.0,
                )
            })
            .collect();
        f.group(&g, &Fixed, 0, &label, &rows);
        let pages = f.into_pages();
        assert_eq!(pages.len(), 2);
        for page in &pages {
            assert!(page.texts().contains(&"被"), "{:?}", page.texts());
        }
    }
}

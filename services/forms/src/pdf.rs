//! A [`Document`] as PDF: one content stream per page, and the font embedded as a
//! CID-keyed Type0 font (Identity-H) holding only the glyphs used, with a ToUnicode
//! CMap so that text extraction (`pdftotext`, copy and paste, search) gives the
//! Japanese text back.
//!
//! Every distinct character gets its own CID (1, 2, … in order of first use) and the
//! CIDToGIDMap points it at its glyph in the subset, so the text layer is exact even
//! where two characters share a glyph or the font lacks one (printed as 〓).

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, TextRenderingMode, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::FormError;
use crate::font::{FontMetrics, FormFont};
use crate::layout::{Document, Item, Page};

const FONT_NAME: Name<'static> = Name(b"F1");
/// Bézier control point distance for a quarter circle.
const KAPPA: f32 = 0.552_284_8;

/// The characters a document uses, each with its CID.
struct Charset {
    cids: BTreeMap<char, u16>,
    order: Vec<char>,
}

impl Charset {
    fn of(doc: &Document) -> Result<Self, FormError> {
        let mut set = Charset {
            cids: BTreeMap::new(),
            order: Vec::new(),
        };
        for page in &doc.pages {
            for item in &page.items {
                if let Item::Text(run) = item {
                    for c in run.text.chars() {
                        if !set.cids.contains_key(&c) {
                            let cid = u16::try_from(set.order.len() + 1)
                                .ok()
                                .filter(|cid| *cid < u16::MAX)
                                .ok_or(FormError::TooManyCharacters)?;
                            set.cids.insert(c, cid);
                            set.order.push(c);
                        }
                    }
                }
            }
        }
        Ok(set)
    }

    fn encode(&self, text: &str) -> Vec<u8> {
        text.chars()
            .flat_map(|c| self.cids.get(&c).copied().unwrap_or(0).to_be_bytes())
            .collect()
    }
}

/// The PDF of `doc` printed in `font`.
pub fn write(doc: &Document, font: &FormFont) -> Result<Vec<u8>, FormError> {
    let metrics = font.metrics();
    let charset = Charset::of(doc)?;
    let glyphs: Vec<ttf_parser::GlyphId> =
        charset.order.iter().map(|c| metrics.glyph(*c)).collect();

    let mut remapper = subsetter::GlyphRemapper::new();
    let mut sorted: Vec<u16> = glyphs.iter().map(|g| g.0).collect();
    sorted.sort_unstable();
    sorted.dedup();
    for glyph in &sorted {
        remapper.remap(*glyph);
    }
    let subset = subsetter::subset(font.data(), 0, &remapper)
        .map_err(|e| FormError::Font(format!("subsetting the font failed: {e}")))?;

    let mut next = 0;
    let mut alloc = || {
        next += 1;
        Ref::new(next)
    };
    let catalog_id = alloc();
    let tree_id = alloc();
    let info_id = alloc();
    let type0_id = alloc();
    let cid_id = alloc();
    let descriptor_id = alloc();
    let file_id = alloc();
    let cmap_id = alloc();
    let gid_map_id = alloc();
    let page_ids: Vec<(Ref, Ref)> = doc.pages.iter().map(|_| (alloc(), alloc())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(page_ids.len() as i32);
    pdf.document_info(info_id)
        .title(TextStr(&doc.title))
        .producer(TextStr("anpi-forms"));

    for (page, (page_id, content_id)) in doc.pages.iter().zip(&page_ids) {
        let mut writer = pdf.page(*page_id);
        writer
            .parent(tree_id)
            .media_box(Rect::new(0.0, 0.0, page.width, page.height))
            .contents(*content_id);
        writer.resources().fonts().pair(FONT_NAME, type0_id);
        writer.finish();
        let content = content_of(page, &charset);
        pdf.stream(*content_id, &deflate(&content))
            .filter(Filter::FlateDecode);
    }

    // The font: Type0 → CIDFontType2 → descriptor → the subset TrueType file.
    let base_font = format!("{}+{}", subset_tag(&sorted), font.postscript_name());
    pdf.type0_font(type0_id)
        .base_font(Name(base_font.as_bytes()))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_id)
        .to_unicode(cmap_id);
    let widths: Vec<f32> = glyphs
        .iter()
        .map(|g| metrics.glyph_advance(*g) * 1000.0)
        .collect();
    let mut cid = pdf.cid_font(cid_id);
    cid.subtype(CidFontType::Type2)
        .base_font(Name(base_font.as_bytes()))
        .system_info(SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        })
        .font_descriptor(descriptor_id)
        .default_width(1000.0)
        .cid_to_gid_map_stream(gid_map_id);
    if !widths.is_empty() {
        cid.widths().consecutive(1, widths);
    }
    cid.finish();
    descriptor(&mut pdf, descriptor_id, file_id, &base_font, &metrics);
    pdf.stream(file_id, &deflate(&subset))
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), subset.len() as i32);

    let mut gid_map = vec![0u8, 0u8];
    for glyph in &glyphs {
        let new = remapper.get(glyph.0).unwrap_or(0);
        gid_map.extend_from_slice(&new.to_be_bytes());
    }
    pdf.stream(gid_map_id, &deflate(&gid_map))
        .filter(Filter::FlateDecode);

    let mut cmap = UnicodeCmap::new(
        Name(b"Anpi-UCS"),
        SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"UCS"),
            supplement: 0,
        },
    );
    for (c, cid) in &charset.cids {
        cmap.pair(*cid, *c);
    }
    let cmap = cmap.finish();
    pdf.cmap(cmap_id, &cmap);

    Ok(pdf.finish())
}

fn descriptor(pdf: &mut Pdf, id: Ref, file: Ref, name: &str, metrics: &FontMetrics<'_>) {
    let face = metrics.face();
    let scale = 1000.0 / metrics.units_per_em();
    let bbox = face.global_bounding_box();
    let ascent = f32::from(face.ascender()) * scale;
    let descent = f32::from(face.descender()) * scale;
    let cap_height = face
        .capital_height()
        .map(|h| f32::from(h) * scale)
        .unwrap_or(ascent);
    pdf.font_descriptor(id)
        .name(Name(name.as_bytes()))
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            f32::from(bbox.x_min) * scale,
            f32::from(bbox.y_min) * scale,
            f32::from(bbox.x_max) * scale,
            f32::from(bbox.y_max) * scale,
        ))
        .italic_angle(0.0)
        .ascent(ascent)
        .descent(descent)
        .cap_height(cap_height)
        .stem_v(80.0)
        .font_file2(file);
}

/// Six capital letters that name this subset (PDF 9.6.4), from the glyphs it holds.
fn subset_tag(glyphs: &[u16]) -> String {
    // FNV-1a over the glyph IDs: the same glyphs give the same tag.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for glyph in glyphs {
        for byte in glyph.to_be_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 5)) % 26) as u8))
        .collect()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// The page's content stream (PDF coordinates: y upwards from the bottom).
fn content_of(page: &Page, charset: &Charset) -> Vec<u8> {
    let h = page.height;
    let mut content = Content::new();
    content.set_line_cap(pdf_writer::types::LineCapStyle::ButtCap);
    for item in &page.items {
        match item {
            Item::Rect {
                x,
                y,
                w,
                h: rh,
                stroke,
                fill,
            } => {
                if let Some(grey) = fill {
                    content.set_fill_gray(*grey);
                    content.rect(*x, h - y - rh, *w, *rh);
                    content.fill_nonzero();
                    content.set_fill_gray(0.0);
                }
                if let Some(width) = stroke {
                    content.set_line_width(*width);
                    content.rect(*x, h - y - rh, *w, *rh);
                    content.stroke();
                }
            }
            Item::Line {
                x1,
                y1,
                x2,
                y2,
                width,
            } => {
                content.set_line_width(*width);
                content.move_to(*x1, h - y1);
                content.line_to(*x2, h - y2);
                content.stroke();
            }
            Item::Oval {
                cx,
                cy,
                rx,
                ry,
                width,
            } => {
                // A rounded rectangle whose corners are quarter circles of radius r:
                // straight edges of 2a across and 2b down between them.
                let (cx, cy) = (*cx, h - cy);
                let r = rx.min(*ry);
                let (a, b) = (rx - r, ry - r);
                let k = r * KAPPA;
                content.set_line_width(*width);
                content.move_to(cx - a, cy + b + r);
                content.line_to(cx + a, cy + b + r);
                content.cubic_to(
                    cx + a + k,
                    cy + b + r,
                    cx + a + r,
                    cy + b + k,
                    cx + a + r,
                    cy + b,
                );
                content.line_to(cx + a + r, cy - b);
                content.cubic_to(
                    cx + a + r,
                    cy - b - k,
                    cx + a + k,
                    cy - b - r,
                    cx + a,
                    cy - b - r,
                );
                content.line_to(cx - a, cy - b - r);
                content.cubic_to(
                    cx - a - k,
                    cy - b - r,
                    cx - a - r,
                    cy - b - k,
                    cx - a - r,
                    cy - b,
                );
                content.line_to(cx - a - r, cy + b);
                content.cubic_to(
                    cx - a - r,
                    cy + b + k,
                    cx - a - k,
                    cy + b + r,
                    cx - a,
                    cy + b + r,
                );
                content.close_path();
                content.stroke();
            }
            Item::Text(run) => {
                content.begin_text();
                content.set_font(FONT_NAME, run.size);
                if run.bold {
                    // A heavier face by stroking the outlines too.
                    content.set_text_rendering_mode(TextRenderingMode::FillStroke);
                    content.set_line_width(run.size * 0.035);
                }
                content.set_text_matrix([1.0, 0.0, 0.0, 1.0, run.x, h - run.baseline]);
                content.show(Str(&charset.encode(&run.text)));
                if run.bold {
                    content.set_text_rendering_mode(TextRenderingMode::Fill);
                }
                content.end_text();
            }
        }
    }
    content.finish().into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::TextRun;

    #[test]
    fn each_character_gets_one_cid_in_order_of_first_use() {
        let mut page = Page::a4_portrait();
        for text in ["安否", "否定", "A"] {
            page.items.push(Item::Text(TextRun {
                x: 0.0,
                baseline: 0.0,
                size: 10.0,
                text: text.into(),
                bold: false,
            }));
        }
        let doc = Document {
            title: String::new(),
            pages: vec![page],
        };
        let set = Charset::of(&doc).unwrap();
        assert_eq!(set.order, ['安', '否', '定', 'A']);
        assert_eq!(set.encode("否A"), [0, 2, 0, 4]);
    }

    #[test]
    fn the_subset_tag_is_six_capitals_and_stable() {
        let tag = subset_tag(&[1, 2, 3]);
        assert_eq!(tag.len(), 6);
        assert!(tag.chars().all(|c| c.is_ascii_uppercase()));
        assert_eq!(tag, subset_tag(&[1, 2, 3]));
        assert_ne!(tag, subset_tag(&[1, 2, 4]));
    }
}

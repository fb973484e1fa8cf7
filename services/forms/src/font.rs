//! The font the forms are printed in: IPAexGothic (Debian `fonts-ipaexfont-gothic`) by
//! default, or the TrueType font named by `ANPI_FORM_FONT`. Only the glyphs a document
//! uses are embedded (`pdf`), so the font file is needed where forms are printed, never
//! where they are read.

use std::path::{Path, PathBuf};

use ttf_parser::{Face, GlyphId};

/// Where Debian's `fonts-ipaexfont-gothic` puts IPAexGothic.
pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf";
/// The environment variable that names another font file.
pub const FONT_ENV: &str = "ANPI_FORM_FONT";
/// The Debian package that holds the default font.
pub const FONT_PACKAGE: &str = "fonts-ipaexfont-gothic";

/// Printed for a character the font has no glyph for (the typesetter's 〓, ゲタ); the
/// text layer of the PDF still holds the character itself.
pub const MISSING_GLYPH: char = '〓';

/// Why the form font cannot be used. The messages are English for logs; the CLI shows
/// [`FontError::message_ja`].
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error(
        "the form font {} does not exist: install the Debian package {FONT_PACKAGE} \
         (apt-get install {FONT_PACKAGE}) or set {FONT_ENV} to a TrueType font with Japanese glyphs",
        path.display()
    )]
    Missing { path: PathBuf },
    #[error("the form font {} cannot be read: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error("the form font {source_name} cannot be used: {reason}")]
    Invalid { source_name: String, reason: String },
}

impl FontError {
    /// The same in Japanese, for the operator.
    pub fn message_ja(&self) -> String {
        match self {
            FontError::Missing { path } => format!(
                "帳票用のフォント {} がありません。Debian パッケージ {FONT_PACKAGE} をインストールしてください（apt-get install {FONT_PACKAGE}）。別のフォントを使う場合は環境変数 {FONT_ENV} に TrueType フォントのパスを指定してください",
                path.display()
            ),
            FontError::Unreadable { path, reason } => format!(
                "帳票用のフォント {} を読み込めません: {reason}",
                path.display()
            ),
            FontError::Invalid {
                source_name,
                reason,
            } => format!(
                "帳票用のフォント {source_name} は使用できません（日本語の字形を持つ TrueType フォントを指定してください）: {reason}"
            ),
        }
    }
}

/// A loaded TrueType font with Japanese glyphs.
#[derive(Clone)]
pub struct FormFont {
    data: Vec<u8>,
    postscript_name: String,
}

impl std::fmt::Debug for FormFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormFont")
            .field("postscript_name", &self.postscript_name)
            .field("bytes", &self.data.len())
            .finish()
    }
}

impl FormFont {
    /// The font named by `ANPI_FORM_FONT`, else IPAexGothic where Debian installs it.
    pub fn load() -> Result<Self, FontError> {
        match std::env::var_os(FONT_ENV) {
            Some(path) if !path.is_empty() => Self::from_file(Path::new(&path)),
            _ => Self::from_file(Path::new(DEFAULT_FONT_PATH)),
        }
    }

    pub fn from_file(path: &Path) -> Result<Self, FontError> {
        let data = std::fs::read(path).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => FontError::Missing {
                path: path.to_path_buf(),
            },
            _ => FontError::Unreadable {
                path: path.to_path_buf(),
                reason: error.to_string(),
            },
        })?;
        Self::from_bytes(data, &path.display().to_string())
    }

    /// A font from its bytes; `source_name` names it in errors. Refuses what cannot
    /// print the forms: not a font, CFF outlines (only TrueType outlines are embedded),
    /// or no Japanese glyphs.
    pub fn from_bytes(data: Vec<u8>, source_name: &str) -> Result<Self, FontError> {
        let invalid = |reason: String| FontError::Invalid {
            source_name: source_name.to_string(),
            reason,
        };
        let face = Face::parse(&data, 0).map_err(|e| invalid(e.to_string()))?;
        if face.tables().glyf.is_none() {
            return Err(invalid(
                "it has no TrueType outlines (glyf table); CFF fonts are not supported".into(),
            ));
        }
        if let Some(missing) = "安否情報回答書"
            .chars()
            .find(|c| face.glyph_index(*c).is_none())
        {
            return Err(invalid(format!("it has no glyph for {missing}")));
        }
        let postscript_name = face
            .names()
            .into_iter()
            .filter(|name| name.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|name| name.to_string())
            .map(|name| {
                name.chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect::<String>()
            })
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "AnpiFormFont".to_string());
        Ok(FormFont {
            data,
            postscript_name,
        })
    }

    pub(crate) fn data(&self) -> &[u8] {
        &self.data
    }

    pub(crate) fn postscript_name(&self) -> &str {
        &self.postscript_name
    }

    /// The parsed face (checked when the font was loaded).
    pub(crate) fn face(&self) -> Face<'_> {
        Face::parse(&self.data, 0).expect("checked when the font was loaded")
    }

    /// The metrics the layout measures text with.
    pub fn metrics(&self) -> FontMetrics<'_> {
        FontMetrics::new(self.face())
    }
}

/// Advances of a font's glyphs, in em.
pub struct FontMetrics<'a> {
    face: Face<'a>,
    units_per_em: f32,
}

impl<'a> FontMetrics<'a> {
    fn new(face: Face<'a>) -> Self {
        let units_per_em = f32::from(face.units_per_em().max(1));
        FontMetrics { face, units_per_em }
    }

    /// The glyph printed for `c`: its own, or the 〓 (or .notdef) when the font has none.
    pub(crate) fn glyph(&self, c: char) -> GlyphId {
        self.face
            .glyph_index(c)
            .or_else(|| self.face.glyph_index(MISSING_GLYPH))
            .unwrap_or(GlyphId(0))
    }

    pub(crate) fn glyph_advance(&self, glyph: GlyphId) -> f32 {
        self.face
            .glyph_hor_advance(glyph)
            .map(|advance| f32::from(advance) / self.units_per_em)
            .unwrap_or(1.0)
    }

    pub(crate) fn units_per_em(&self) -> f32 {
        self.units_per_em
    }

    pub(crate) fn face(&self) -> &Face<'a> {
        &self.face
    }
}

impl crate::layout::Measure for FontMetrics<'_> {
    fn advance(&self, c: char) -> f32 {
        self.glyph_advance(self.glyph(c))
    }
}

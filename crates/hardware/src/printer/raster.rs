//! 1-bit pictures of paper: text laid out with the bundled Noto Sans (so Vietnamese
//! prints the same on every printer, whatever its code pages), QR codes, rules.

use std::sync::OnceLock;

use fontdue::layout::{
    CoordinateSystem, HorizontalAlign, Layout, LayoutSettings, TextStyle, WrapStyle,
};
use fontdue::{Font, FontSettings};
use unicode_normalization::UnicodeNormalization;

static REGULAR: &[u8] = include_bytes!("../../fonts/NotoSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../fonts/NotoSans-Bold.ttf");

/// The two faces, parsed once: index 0 regular, 1 bold.
fn fonts() -> &'static [Font; 2] {
    static FONTS: OnceLock<[Font; 2]> = OnceLock::new();
    FONTS.get_or_init(|| {
        let load =
            |bytes| Font::from_bytes(bytes, FontSettings::default()).expect("bundled font parses");
        [load(REGULAR), load(BOLD)]
    })
}

/// A black-and-white picture, one bit per dot, rows packed MSB first as `GS v 0` wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bitmap {
    width: u32,
    height: u32,
    bytes: Vec<u8>,
}

impl Bitmap {
    pub fn new(width: u32, height: u32) -> Self {
        Bitmap {
            width,
            height,
            bytes: vec![0; (width.div_ceil(8) * height) as usize],
        }
    }

    pub fn from_packed(width: u32, height: u32, bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() == (width.div_ceil(8) * height) as usize).then_some(Bitmap {
            width,
            height,
            bytes,
        })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn row_bytes(&self) -> u32 {
        self.width.div_ceil(8)
    }

    /// Packed rows `from..to`.
    pub fn rows(&self, from: u32, to: u32) -> &[u8] {
        let rb = self.row_bytes() as usize;
        &self.bytes[from as usize * rb..to as usize * rb]
    }

    pub fn get(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let i = (y * self.row_bytes() + x / 8) as usize;
        self.bytes[i] & (0x80 >> (x % 8)) != 0
    }

    pub fn set(&mut self, x: u32, y: u32, black: bool) {
        if x >= self.width || y >= self.height {
            return;
        }
        let i = (y * self.row_bytes() + x / 8) as usize;
        if black {
            self.bytes[i] |= 0x80 >> (x % 8);
        } else {
            self.bytes[i] &= !(0x80 >> (x % 8));
        }
    }

    /// Copies `other` in with its top-left corner at (x, y); black wins.
    pub fn paste(&mut self, other: &Bitmap, x: u32, y: u32) {
        for oy in 0..other.height {
            for ox in 0..other.width {
                if other.get(ox, oy) {
                    self.set(x + ox, y + oy, true);
                }
            }
        }
    }

    pub fn fill(&mut self, x: u32, y: u32, w: u32, h: u32) {
        for yy in y..(y + h).min(self.height) {
            for xx in x..(x + w).min(self.width) {
                self.set(xx, yy, true);
            }
        }
    }

    pub fn black_dots(&self) -> usize {
        self.bytes.iter().map(|b| b.count_ones() as usize).sum()
    }

    /// Whether `needle` appears at some place in this bitmap, dot for dot within
    /// `tolerance` differing dots. For tests: "is this line of text on the paper?"
    pub fn contains(&self, needle: &Bitmap, tolerance: usize) -> bool {
        if needle.width > self.width || needle.height > self.height {
            return false;
        }
        let first_black = (0..needle.height)
            .flat_map(|y| (0..needle.width).map(move |x| (x, y)))
            .find(|&(x, y)| needle.get(x, y));
        let Some((fx, fy)) = first_black else {
            return true;
        };
        for y in 0..=self.height - needle.height {
            for x in 0..=self.width - needle.width {
                if !self.get(x + fx, y + fy) {
                    continue;
                }
                let mut diff = 0;
                'scan: for ny in 0..needle.height {
                    for nx in 0..needle.width {
                        if self.get(x + nx, y + ny) != needle.get(nx, ny) {
                            diff += 1;
                            if diff > tolerance {
                                break 'scan;
                            }
                        }
                    }
                }
                if diff <= tolerance {
                    return true;
                }
            }
        }
        false
    }

    /// An 8-bit grey image: black dots black on white paper.
    pub fn to_image(&self) -> image::GrayImage {
        image::GrayImage::from_fn(self.width, self.height, |x, y| {
            image::Luma([if self.get(x, y) { 0 } else { 255 }])
        })
    }

    /// The part of the bitmap that has ink, rows `top..bottom`.
    pub fn crop_rows(&self, top: u32, bottom: u32) -> Bitmap {
        let bottom = bottom.min(self.height);
        Bitmap {
            width: self.width,
            height: bottom.saturating_sub(top),
            bytes: self.rows(top.min(bottom), bottom).to_vec(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

/// Lays out `text` (wrapped at word boundaries to `width` dots) at `px` pixels and
/// draws it. NFC first: the rasteriser places no combining marks, so only
/// precomposed Vietnamese letters come out right.
pub fn text(text: &str, px: f32, weight: Weight, align: Align, width: u32) -> Bitmap {
    let layout = lay_out(text, px, weight, align, width);
    let font = &fonts()[font_index(weight)];
    let height = layout.height().ceil().max(0.0) as u32;
    let mut out = Bitmap::new(width, height);
    for g in layout.glyphs() {
        if g.width == 0 || g.height == 0 {
            continue;
        }
        let (metrics, coverage) = font.rasterize_config(g.key);
        for gy in 0..metrics.height {
            for gx in 0..metrics.width {
                if coverage[gy * metrics.width + gx] >= 128 {
                    let x = g.x.round() as i64 + gx as i64;
                    let y = g.y.round() as i64 + gy as i64;
                    if x >= 0 && y >= 0 {
                        out.set(x as u32, y as u32, true);
                    }
                }
            }
        }
    }
    out
}

/// The largest size up to `px` at which `text` keeps to one line of `width` dots: a
/// ticket number is never broken (`A-K1-007` on 58 mm paper).
pub fn one_line_px(text: &str, px: f32, weight: Weight, width: u32) -> f32 {
    let mut size = px;
    while size > 8.0
        && lay_out(text, size, weight, Align::Left, width)
            .lines()
            .is_some_and(|lines| lines.len() > 1)
    {
        size *= 0.9;
    }
    size
}

fn font_index(weight: Weight) -> usize {
    match weight {
        Weight::Regular => 0,
        Weight::Bold => 1,
    }
}

fn lay_out(text: &str, px: f32, weight: Weight, align: Align, width: u32) -> Layout {
    let normalized: String = text.nfc().collect();
    let font_index = font_index(weight);
    let mut layout = Layout::new(CoordinateSystem::PositiveYDown);
    layout.reset(&LayoutSettings {
        max_width: Some(width as f32),
        horizontal_align: match align {
            Align::Left => HorizontalAlign::Left,
            Align::Center => HorizontalAlign::Center,
            Align::Right => HorizontalAlign::Right,
        },
        wrap_style: WrapStyle::Word,
        ..LayoutSettings::default()
    });
    layout.append(fonts(), &TextStyle::new(&normalized, px, font_index));
    layout
}

/// A QR code (error correction M) with `module` dots per module and a 4-module quiet
/// zone, centred in `width` dots. `None` when the data does not fit a QR code.
pub fn qr(data: &str, module: u32, width: u32) -> Option<Bitmap> {
    let code = qr_code(data, module)?;
    if code.width() > width {
        return None;
    }
    let mut out = Bitmap::new(width, code.height());
    out.paste(&code, (width - code.width()) / 2, 0);
    Some(out)
}

/// A QR code at its own size: `module` dots per module and a 4-module quiet zone.
pub fn qr_code(data: &str, module: u32) -> Option<Bitmap> {
    let code =
        qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M).ok()?;
    let modules = code.width() as u32;
    let side = (modules + 8) * module;
    let mut out = Bitmap::new(side, side);
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (mx, my) = (i as u32 % modules, i as u32 / modules);
            out.fill((mx + 4) * module, (my + 4) * module, module, module);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacked_vietnamese_capitals_keep_their_marks() {
        // Each of these has a mark stacked on a mark: the top one is what clips first.
        let line = text("ẮẰẲẴẶ ỐỒỔỖỘ ỨỪỬỮỰ", 40.0, Weight::Bold, Align::Left, 576);
        // Nothing is drawn on the first row: the line box has room above the marks.
        assert!((0..line.width()).all(|x| !line.get(x, 0)));
        let plain = text("AAAAA OOOOO UUUUU", 40.0, Weight::Bold, Align::Left, 576);
        let ink_top = |b: &Bitmap| {
            (0..b.height())
                .find(|&y| (0..b.width()).any(|x| b.get(x, y)))
                .unwrap()
        };
        assert!(
            ink_top(&line) + 8 < ink_top(&plain),
            "the marks rise above plain capitals"
        );
    }

    #[test]
    fn decomposed_input_prints_like_precomposed() {
        let nfd = "Mo\u{31b}\u{300}i co\u{302}ng da\u{302}n";
        assert_eq!(
            text(nfd, 30.0, Weight::Regular, Align::Center, 384),
            text("Mời công dân", 30.0, Weight::Regular, Align::Center, 384)
        );
    }

    #[test]
    fn long_lines_wrap_inside_the_paper() {
        let one = text("Trung tâm", 28.0, Weight::Bold, Align::Center, 384);
        let long = text(
            "Trung tâm Phục vụ hành chính công phường Hòa Bình",
            28.0,
            Weight::Bold,
            Align::Center,
            384,
        );
        assert_eq!(long.width(), 384);
        assert!(long.height() >= 2 * one.height());
    }

    #[test]
    fn qr_codes_decode_back() {
        let url = "http://127.0.0.1:8080/t/42";
        let b = qr(url, 6, 576).unwrap();
        let img = b.to_image();
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].decode().unwrap().1, url);
        assert!(qr(&"x".repeat(3000), 6, 384).is_none());
    }

    #[test]
    fn finds_a_picture_inside_another() {
        let word = text("Quầy", 30.0, Weight::Regular, Align::Left, 100);
        let mut page = Bitmap::new(300, 200);
        page.paste(&word, 57, 81);
        assert!(page.contains(&word, 0));
        assert!(!page.contains(&text("Quay", 30.0, Weight::Regular, Align::Left, 100), 0));
    }
}

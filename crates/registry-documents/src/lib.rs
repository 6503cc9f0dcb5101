//! The register's printed documents as PDF: the qualification certificate (资格证书, one A4
//! page per person) and the registration card (注册信息卡, 85.6 × 54 mm, ten to an A4
//! sheet with crop marks). Each carries a QR code and a short code that lead to the public
//! verification page.
//!
//! The Chinese font (WenQuanYi Micro Hei, `fixtures/fonts/`) is compiled in, and each PDF
//! embeds the subset of it that the PDF uses, so the files print and display the same on a
//! machine with no Chinese font. Layout is by hand on printpdf's drawing operations: the
//! two layouts are fixed forms, and this keeps the build small (see docs/DOCUMENTS.md).
//!
//! This crate knows nothing of the register: the caller passes the text to print.

use std::sync::OnceLock;

use printpdf::{
    Color, Greyscale, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle,
    PdfPage, PdfSaveOptions, Point, Pt, Rect, TextItem, WindingOrder,
};

/// The font, compiled in.
const FONT_BYTES: &[u8] = include_bytes!("../../../fixtures/fonts/wqy-microhei.ttc");

/// What can go wrong making a PDF.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DocumentError {
    /// The compiled-in font could not be read (a broken build).
    #[error("the embedded font could not be parsed")]
    Font,
    /// The verification address is too long for a QR code.
    #[error("the verification address cannot be encoded as a QR code")]
    QrCode,
    /// Nothing to print.
    #[error("no document to print")]
    Empty,
}

/// The text of one qualification certificate.
#[derive(Debug, Clone, Default)]
pub struct CertificateSheet {
    /// Who issues it (促进会's name).
    pub issuer: String,
    /// The certificate's serial number.
    pub serial: String,
    /// 姓名
    pub name: String,
    /// 性别
    pub sex: String,
    /// 身份证号, as it is to be printed.
    pub resident_id: String,
    /// 注册号
    pub number: String,
    /// Every qualified item, as `代码 名称`.
    pub items: Vec<String>,
    /// 发证日期
    pub issued_on: String,
    /// 有效期至
    pub valid_until: String,
    /// The verification address the QR code holds.
    pub verify_url: String,
    /// The short verification code.
    pub verify_code: String,
}

/// The text of one registration card.
#[derive(Debug, Clone, Default)]
pub struct CardSheet {
    /// Who issues it.
    pub issuer: String,
    /// The card's serial number.
    pub serial: String,
    /// 姓名
    pub name: String,
    /// 注册号
    pub number: String,
    /// 所属机构
    pub institution: String,
    /// The items registered at that institution, as names.
    pub items: Vec<String>,
    /// 有效期至
    pub valid_until: String,
    /// The verification address the QR code holds.
    pub verify_url: String,
    /// The short verification code.
    pub verify_code: String,
}

/// The card's size (ISO/IEC 7810 ID-1).
pub const CARD_WIDTH_MM: f32 = 85.6;
/// The card's height.
pub const CARD_HEIGHT_MM: f32 = 54.0;
/// Cards on one A4 sheet (2 columns × 5 rows).
pub const CARDS_PER_SHEET: usize = 10;

const A4_WIDTH: f32 = 210.0;
const A4_HEIGHT: f32 = 297.0;

fn font() -> Result<&'static ParsedFont, DocumentError> {
    static FONT: OnceLock<Option<ParsedFont>> = OnceLock::new();
    FONT.get_or_init(|| ParsedFont::from_bytes(FONT_BYTES, 0, &mut Vec::new()))
        .as_ref()
        .ok_or(DocumentError::Font)
}

/// Drawing operations on one page, in millimetres from the lower-left corner.
struct Canvas<'f> {
    ops: Vec<Op>,
    font: &'f ParsedFont,
    handle: PdfFontHandle,
}

fn grey(level: f32) -> Color {
    Color::Greyscale(Greyscale {
        percent: level,
        icc_profile: None,
    })
}

fn mm(v: f32) -> Pt {
    Mm(v).into_pt()
}

impl Canvas<'_> {
    /// The width of `text` at `size` points, in millimetres, from the font's advances.
    fn width(&self, text: &str, size: f32) -> f32 {
        let per_em = f32::from(self.font.font_metrics.units_per_em.max(1));
        let units: f32 = text
            .chars()
            .map(|c| {
                let glyph = self.font.lookup_glyph_index(u32::from(c)).unwrap_or(0);
                f32::from(self.font.get_horizontal_advance(glyph))
            })
            .sum();
        units / per_em * size * 25.4 / 72.0
    }

    fn text(&mut self, x: f32, y: f32, size: f32, level: f32, text: &str) {
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFillColor { col: grey(level) },
            Op::SetFont {
                font: self.handle.clone(),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(y)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    fn centred(&mut self, centre: f32, y: f32, size: f32, level: f32, text: &str) {
        let w = self.width(text, size);
        self.text(centre - w / 2.0, y, size, level, text);
    }

    /// Lines of `text` no wider than `width` mm, broken between characters.
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for c in text.chars() {
            let mut candidate = line.clone();
            candidate.push(c);
            if !line.is_empty() && self.width(&candidate, size) > width {
                lines.push(std::mem::take(&mut line));
                line.push(c);
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, level: f32) {
        self.ops.extend([
            Op::SetFillColor { col: grey(level) },
            Op::DrawRectangle {
                rectangle: Rect {
                    mode: Some(PaintMode::Fill),
                    winding_order: Some(WindingOrder::NonZero),
                    ..Rect::from_xywh(mm(x), mm(y), mm(w), mm(h))
                },
            },
        ]);
    }

    fn stroke_rect(&mut self, x: f32, y: f32, w: f32, h: f32, thickness: f32, level: f32) {
        self.ops.extend([
            Op::SetOutlineColor { col: grey(level) },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawRectangle {
                rectangle: Rect {
                    mode: Some(PaintMode::Stroke),
                    winding_order: Some(WindingOrder::NonZero),
                    ..Rect::from_xywh(mm(x), mm(y), mm(w), mm(h))
                },
            },
        ]);
    }

    fn line(&mut self, from: (f32, f32), to: (f32, f32), thickness: f32, level: f32) {
        let point = |(x, y): (f32, f32)| LinePoint {
            p: Point::new(Mm(x), Mm(y)),
            bezier: false,
        };
        self.ops.extend([
            Op::SetOutlineColor { col: grey(level) },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: vec![point(from), point(to)],
                    is_closed: false,
                },
            },
        ]);
    }

    /// A QR code of `data` with its lower-left corner at (x, y), `size` mm square
    /// (quiet zone included).
    fn qr(&mut self, x: f32, y: f32, size: f32, data: &str) -> Result<(), DocumentError> {
        let code = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M)
            .map_err(|_| DocumentError::QrCode)?;
        let modules = code.width();
        let colors = code.to_colors();
        let quiet = 2.0;
        let cell = size / (modules as f32 + 2.0 * quiet);
        self.fill_rect(x, y, size, size, 1.0);
        for row in 0..modules {
            let mut col = 0;
            while col < modules {
                let dark = |c: usize| colors.get(row * modules + c) == Some(&qrcode::Color::Dark);
                if !dark(col) {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < modules && dark(col) {
                    col += 1;
                }
                // Runs of dark modules as one rectangle, slightly overlapping rows so no
                // hairline shows between them.
                self.fill_rect(
                    x + (quiet + start as f32) * cell,
                    y + size - (quiet + row as f32 + 1.0) * cell,
                    (col - start) as f32 * cell,
                    cell * 1.02,
                    0.0,
                );
            }
        }
        Ok(())
    }
}

fn document(title: &str, pages: Vec<(f32, f32, Vec<Op>)>, mut doc: PdfDocument) -> Vec<u8> {
    let pages = pages
        .into_iter()
        .map(|(w, h, ops)| PdfPage::new(Mm(w), Mm(h), ops))
        .collect();
    doc.metadata.info.document_title = title.to_owned();
    doc.with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut Vec::new())
}

/// One A4 page per certificate.
pub fn certificates_pdf(sheets: &[CertificateSheet]) -> Result<Vec<u8>, DocumentError> {
    if sheets.is_empty() {
        return Err(DocumentError::Empty);
    }
    let font = font()?;
    let mut doc = PdfDocument::new("鉴定评审人员资格证书");
    let font_id = doc.add_font(font);
    let mut pages = Vec::new();
    for sheet in sheets {
        let mut c = Canvas {
            ops: Vec::new(),
            font,
            handle: PdfFontHandle::External(font_id.clone()),
        };
        certificate_page(&mut c, sheet)?;
        pages.push((A4_WIDTH, A4_HEIGHT, c.ops));
    }
    Ok(document("鉴定评审人员资格证书", pages, doc))
}

fn certificate_page(c: &mut Canvas<'_>, s: &CertificateSheet) -> Result<(), DocumentError> {
    let centre = A4_WIDTH / 2.0;
    // A double frame.
    c.stroke_rect(12.0, 12.0, A4_WIDTH - 24.0, A4_HEIGHT - 24.0, 2.2, 0.25);
    c.stroke_rect(15.5, 15.5, A4_WIDTH - 31.0, A4_HEIGHT - 31.0, 0.6, 0.25);

    c.centred(centre, 250.0, 30.0, 0.0, "鉴定评审人员资格证书");
    c.centred(centre, 238.0, 11.0, 0.3, &format!("证书编号：{}", s.serial));

    let label_x = 40.0;
    let value_x = 70.0;
    let mut y = 215.0;
    for (label, value) in [
        ("姓　　名", s.name.as_str()),
        ("性　　别", s.sex.as_str()),
        ("身份证号", s.resident_id.as_str()),
        ("注 册 号", s.number.as_str()),
    ] {
        c.text(label_x, y, 13.0, 0.3, label);
        c.text(value_x, y, 14.0, 0.0, value);
        c.line((value_x, y - 2.0), (A4_WIDTH - 40.0, y - 2.0), 0.4, 0.6);
        y -= 12.0;
    }

    y -= 4.0;
    c.text(
        label_x,
        y,
        12.0,
        0.0,
        "经考核合格，具备下列评审项目的鉴定评审资格：",
    );
    y -= 10.0;
    // Two columns when the list is long; smaller type for a very long list.
    let size = if s.items.len() > 20 { 9.5 } else { 11.5 };
    let step = if s.items.len() > 20 { 5.6 } else { 7.5 };
    let per_column = if s.items.len() > 10 {
        s.items.len().div_ceil(2)
    } else {
        s.items.len()
    };
    for (i, item) in s.items.iter().enumerate() {
        let column = i.checked_div(per_column).unwrap_or(0);
        let row = i.checked_rem(per_column).unwrap_or(0);
        let x = label_x + 4.0 + column as f32 * 68.0;
        let max = if per_column < s.items.len() {
            64.0
        } else {
            126.0
        };
        let mut text = item.clone();
        while c.width(&text, size) > max && text.chars().count() > 1 {
            text.pop();
        }
        c.text(x, y - row as f32 * step, size, 0.0, &text);
    }

    // Dates, the issuer and the verification block at the foot.
    c.text(label_x, 72.0, 12.0, 0.3, "发证日期");
    c.text(value_x, 72.0, 12.0, 0.0, &s.issued_on);
    c.text(label_x, 63.0, 12.0, 0.3, "有效期至");
    c.text(value_x, 63.0, 12.0, 0.0, &s.valid_until);
    c.centred(150.0, 70.0, 13.0, 0.0, &s.issuer);
    c.centred(150.0, 62.0, 10.0, 0.4, "（盖章）");

    c.qr(label_x - 2.0, 22.0, 32.0, &s.verify_url)?;
    c.text(
        value_x + 4.0,
        44.0,
        10.0,
        0.0,
        &format!("核验码：{}", s.verify_code),
    );
    c.text(
        value_x + 4.0,
        37.0,
        8.5,
        0.35,
        "扫描二维码，或在下列网址输入核验码，查询本证书是否有效：",
    );
    let url_lines = c.wrap(&s.verify_url, 8.0, 100.0);
    for (i, line) in url_lines.iter().take(2).enumerate() {
        c.text(value_x + 4.0, 31.5 - i as f32 * 4.0, 8.0, 0.35, line);
    }
    Ok(())
}

/// Cards ten to an A4 sheet, each outlined with crop marks at its corners.
pub fn cards_pdf(sheets: &[CardSheet]) -> Result<Vec<u8>, DocumentError> {
    if sheets.is_empty() {
        return Err(DocumentError::Empty);
    }
    let font = font()?;
    let mut doc = PdfDocument::new("鉴定评审人员注册信息卡");
    let font_id = doc.add_font(font);
    // 5.5 mm margins top and bottom, inside what office printers can print.
    let (gap_x, gap_y) = (8.0, 4.0);
    let left = (A4_WIDTH - 2.0 * CARD_WIDTH_MM - gap_x) / 2.0;
    let top = A4_HEIGHT - (A4_HEIGHT - 5.0 * CARD_HEIGHT_MM - 4.0 * gap_y) / 2.0;
    let mut pages = Vec::new();
    for chunk in sheets.chunks(CARDS_PER_SHEET) {
        let mut c = Canvas {
            ops: Vec::new(),
            font,
            handle: PdfFontHandle::External(font_id.clone()),
        };
        for (i, card) in chunk.iter().enumerate() {
            let x = left + (i % 2) as f32 * (CARD_WIDTH_MM + gap_x);
            let y = top - (i / 2 + 1) as f32 * CARD_HEIGHT_MM - (i / 2) as f32 * gap_y;
            card_face(&mut c, x, y, card)?;
        }
        pages.push((A4_WIDTH, A4_HEIGHT, c.ops));
    }
    Ok(document("鉴定评审人员注册信息卡", pages, doc))
}

fn card_face(c: &mut Canvas<'_>, x: f32, y: f32, s: &CardSheet) -> Result<(), DocumentError> {
    let (w, h) = (CARD_WIDTH_MM, CARD_HEIGHT_MM);
    // The card's edge, faint, and crop marks outside each corner.
    c.stroke_rect(x, y, w, h, 0.3, 0.8);
    for (cx, cy, dx, dy) in [
        (x, y, -1.0, -1.0),
        (x + w, y, 1.0, -1.0),
        (x, y + h, -1.0, 1.0),
        (x + w, y + h, 1.0, 1.0),
    ] {
        c.line((cx + dx * 0.8, cy), (cx + dx * 3.2, cy), 0.3, 0.0);
        c.line((cx, cy + dy * 0.6), (cx, cy + dy * 1.9), 0.3, 0.0);
    }
    // A title band.
    c.fill_rect(x, y + h - 10.5, w, 10.5, 0.15);
    c.centred(
        x + w / 2.0,
        y + h - 5.2,
        10.0,
        1.0,
        "鉴定评审人员注册信息卡",
    );
    c.centred(x + w / 2.0, y + h - 9.0, 5.5, 1.0, &s.issuer);

    let qr = 21.0;
    let text_x = x + 4.0;
    let text_w = w - qr - 8.0;
    let mut line_y = y + h - 16.0;
    c.text(text_x, line_y, 12.0, 0.0, &s.name);
    line_y -= 5.2;
    c.text(text_x, line_y, 7.5, 0.0, &format!("注册号：{}", s.number));
    line_y -= 4.2;
    for line in c
        .wrap(&format!("机构：{}", s.institution), 7.5, text_w)
        .into_iter()
        .take(2)
    {
        c.text(text_x, line_y, 7.5, 0.0, &line);
        line_y -= 3.6;
    }
    line_y -= 0.6;
    // The items: shrink the type until they fit above the validity line.
    let items = format!("评审项目：{}", s.items.join("、"));
    let room = line_y - (y + 7.0);
    let mut size = 7.0;
    let mut lines = c.wrap(&items, size, text_w);
    while size > 4.5 && lines.len() as f32 * size * 0.48 > room {
        size -= 0.5;
        lines = c.wrap(&items, size, text_w);
    }
    for line in &lines {
        c.text(text_x, line_y, size, 0.0, line);
        line_y -= size * 0.48;
    }
    c.text(
        text_x,
        y + 3.2,
        7.0,
        0.0,
        &format!("有效期至：{}", s.valid_until),
    );

    c.qr(x + w - qr - 2.5, y + h - 12.0 - qr, qr, &s.verify_url)?;
    c.centred(
        x + w - qr / 2.0 - 2.5,
        y + h - 15.5 - qr,
        6.0,
        0.0,
        &s.verify_code,
    );
    c.centred(x + w - qr / 2.0 - 2.5, y + 3.2, 5.5, 0.35, &s.serial);
    Ok(())
}

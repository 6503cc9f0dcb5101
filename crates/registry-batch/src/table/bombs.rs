//! Hostile workbooks for the limit tests, made by the tests themselves: ZIP archives
//! written by hand (so their directory may lie), whose parts are DEFLATE streams written
//! by hand with the fixed Huffman codes: a repeated piece is one literal copy and then
//! back-references of 258 bytes, about two bytes each, so 140 MB of rows takes about
//! 1 MB. Nothing here inflates anything; the CRC of what a part inflates to is computed
//! in 64 KiB pieces.

/// A piece of a part's content.
#[derive(Debug, Clone, Copy)]
pub(super) enum Piece<'a> {
    /// These bytes once.
    Once(&'a [u8]),
    /// These bytes, this many times.
    Repeat(&'a [u8], u64),
}

/// A part of the archive.
#[derive(Debug, Clone)]
pub(super) struct Part {
    pub(super) name: String,
    /// The bytes stored (deflated, or as they are).
    pub(super) data: Vec<u8>,
    /// 8 deflated, 0 stored.
    pub(super) method: u16,
    pub(super) crc: u32,
    /// The inflated size the directory declares.
    pub(super) size: u64,
}

impl Part {
    /// A part stored as it is.
    pub(super) fn stored(name: &str, bytes: &[u8]) -> Part {
        Part {
            name: name.to_owned(),
            data: bytes.to_vec(),
            method: 0,
            crc: crc32fast::hash(bytes),
            size: bytes.len() as u64,
        }
    }

    /// A part deflated from `pieces`, its size declared as it is.
    pub(super) fn deflated(name: &str, pieces: &[Piece<'_>]) -> Part {
        let mut hasher = crc32fast::Hasher::new();
        let mut size = 0u64;
        for piece in pieces {
            match *piece {
                Piece::Once(bytes) => {
                    hasher.update(bytes);
                    size += bytes.len() as u64;
                }
                Piece::Repeat(unit, times) => {
                    let per_chunk = (65_536 / unit.len().max(1)).max(1) as u64;
                    let chunk = unit.repeat(per_chunk as usize);
                    for _ in 0..times / per_chunk {
                        hasher.update(&chunk);
                    }
                    for _ in 0..times % per_chunk {
                        hasher.update(unit);
                    }
                    size += unit.len() as u64 * times;
                }
            }
        }
        Part {
            name: name.to_owned(),
            data: deflate(pieces),
            method: 8,
            crc: hasher.finalize(),
            size,
        }
    }

    /// The same part, its directory declaring another inflated size.
    pub(super) fn declaring(mut self, size: u64) -> Part {
        self.size = size;
        self
    }
}

/// Bits, least significant first, as DEFLATE writes them.
#[derive(Debug, Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code, most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let mut reversed = 0;
        for i in 0..len {
            reversed = (reversed << 1) | ((code >> i) & 1);
        }
        self.put(reversed, len);
    }

    fn literal(&mut self, byte: u8) {
        let b = u32::from(byte);
        if b < 144 {
            self.code(0x30 + b, 8);
        } else {
            self.code(0x190 + b - 144, 9);
        }
    }

    fn symbol(&mut self, symbol: u32) {
        if symbol < 280 {
            self.code(symbol - 256, 7);
        } else {
            self.code(0xC0 + symbol - 280, 8);
        }
    }

    /// A back-reference: `length` (3..=258) bytes from `distance` (1..=32,768) back.
    fn copy(&mut self, length: u32, distance: u32) {
        const LENGTHS: [u32; 29] = [
            3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
            115, 131, 163, 195, 227, 258,
        ];
        const LENGTH_EXTRA: [u32; 29] = [
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
        ];
        const DISTANCES: [u32; 30] = [
            1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
            1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
        ];
        const DISTANCE_EXTRA: [u32; 30] = [
            0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12,
            12, 13, 13,
        ];
        let l = LENGTHS.iter().rposition(|&b| b <= length).unwrap_or(0);
        self.symbol(257 + l as u32);
        self.put(length - LENGTHS[l], LENGTH_EXTRA[l]);
        let d = DISTANCES.iter().rposition(|&b| b <= distance).unwrap_or(0);
        self.code(d as u32, 5);
        self.put(distance - DISTANCES[d], DISTANCE_EXTRA[d]);
    }
}

/// One final DEFLATE block with the fixed codes.
fn deflate(pieces: &[Piece<'_>]) -> Vec<u8> {
    let mut bits = Bits::default();
    bits.put(1, 1); // the final block
    bits.put(1, 2); // fixed Huffman codes
    for piece in pieces {
        match *piece {
            Piece::Once(bytes) => bytes.iter().for_each(|&b| bits.literal(b)),
            Piece::Repeat(unit, times) => {
                if times == 0 || unit.is_empty() {
                    continue;
                }
                assert!(unit.len() <= 32_768);
                unit.iter().for_each(|&b| bits.literal(b));
                let mut left = unit.len() as u64 * (times - 1);
                let mut at = 0u64; // position in the unit of the next byte
                while left > 0 {
                    let n = left.min(258);
                    if n >= 3 {
                        bits.copy(n as u32, unit.len() as u32);
                        at = (at + n) % unit.len() as u64;
                    } else {
                        for _ in 0..n {
                            bits.literal(unit[at as usize]);
                            at = (at + 1) % unit.len() as u64;
                        }
                    }
                    left -= n;
                }
            }
        }
    }
    bits.symbol(256);
    if bits.n > 0 {
        bits.out.push(bits.acc as u8);
    }
    bits.out
}

/// A ZIP archive of `parts`, as its directory declares them.
pub(super) fn zip(parts: &[Part]) -> Vec<u8> {
    fn u16le(out: &mut Vec<u8>, v: u16) {
        out.extend_from_slice(&v.to_le_bytes());
    }
    fn u32le(out: &mut Vec<u8>, v: u32) {
        out.extend_from_slice(&v.to_le_bytes());
    }
    let mut out = Vec::new();
    let mut central = Vec::new();
    for part in parts {
        let offset = out.len() as u32;
        let size = u32::try_from(part.size).unwrap_or(u32::MAX);
        for (header, block) in [(true, &mut out), (false, &mut central)] {
            u32le(block, if header { 0x0403_4b50 } else { 0x0201_4b50 });
            if !header {
                u16le(block, 20); // made by
            }
            u16le(block, 20); // needed
            u16le(block, 0); // flags
            u16le(block, part.method);
            u16le(block, 0); // time
            u16le(block, 0x21); // 1980-01-01
            u32le(block, part.crc);
            u32le(block, part.data.len() as u32);
            u32le(block, size);
            u16le(block, part.name.len() as u16);
            u16le(block, 0); // extra
            if !header {
                u16le(block, 0); // comment
                u16le(block, 0); // disk
                u16le(block, 0); // internal attributes
                u32le(block, 0); // external attributes
                u32le(block, offset);
            }
            block.extend_from_slice(part.name.as_bytes());
            if header {
                block.extend_from_slice(&part.data);
            }
        }
    }
    let start = out.len() as u32;
    out.extend_from_slice(&central);
    u32le(&mut out, 0x0605_4b50);
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    u16le(&mut out, parts.len() as u16);
    u16le(&mut out, parts.len() as u16);
    u32le(&mut out, central.len() as u32);
    u32le(&mut out, start);
    u16le(&mut out, 0);
    out
}

const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const DOC: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// The parts every workbook has, around a first sheet `xl/worksheets/sheet1.xml`.
pub(super) fn skeleton() -> Vec<Part> {
    vec![
        Part::stored(
            "[Content_Types].xml",
            br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#,
        ),
        Part::stored(
            "_rels/.rels",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#).as_bytes(),
        ),
        Part::stored(
            "xl/workbook.xml",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#).as_bytes(),
        ),
        Part::stored(
            "xl/_rels/workbook.xml.rels",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#).as_bytes(),
        ),
    ]
}

/// The start of a sheet, up to its data.
pub(super) fn sheet_start() -> String {
    format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>"#)
}

/// The end of a sheet.
pub(super) const SHEET_END: &[u8] = b"</sheetData></worksheet>";

/// A workbook: the skeleton and `parts`.
pub(super) fn workbook(parts: Vec<Part>) -> Vec<u8> {
    let mut all = skeleton();
    all.extend(parts);
    zip(&all)
}

/// A workbook whose sheet is `rows` copies of `row`.
pub(super) fn rows(row: &[u8], rows: u64) -> Vec<u8> {
    let start = sheet_start();
    workbook(vec![Part::deflated(
        "xl/worksheets/sheet1.xml",
        &[
            Piece::Once(start.as_bytes()),
            Piece::Repeat(row, rows),
            Piece::Once(SHEET_END),
        ],
    )])
}

//! The limits of reading a table, against hostile files that the tests make themselves
//! (`bombs`): a sheet of five million rows in about 1 MB, shared strings that inflate to
//! 1.5 GB or whose directory lies, too many strings, oversized elements, styles that
//! calamine would copy into gigabytes; and CSV over its limits. Each is refused with its
//! error, without reading past the limit (the bytes inflated and the records produced are
//! counted), and in a process of its own the peak memory stays low.

use super::bombs::{self, Part, Piece};
use super::csv::CsvRecords;
use super::inspect::{self, Tally, inspect};
use super::*;

const MIB: u64 = 1024 * 1024;

/// A row of one number.
const ROW: &[u8] = b"<row><c><v>1</v></c></row>";

fn inspected(bytes: &[u8], limits: &Limits) -> (Result<(), ReadError>, Tally) {
    let mut tally = Tally::default();
    let outcome = inspect(bytes, limits, &mut tally);
    (outcome, tally)
}

/// The records read before the reading stopped, and how it stopped.
fn read_counting(source: &Source) -> (usize, Option<ReadError>) {
    let mut records = 0;
    let mut error = None;
    source.read(|item| match item {
        Ok(_) => {
            records += 1;
            true
        }
        Err(e) => {
            error = Some(e);
            false
        }
    });
    (records, error)
}

fn shared_strings(pieces: &[Piece<'_>]) -> Part {
    Part::deflated("xl/sharedStrings.xml", pieces)
}

const SST_START: &[u8] =
    br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;
const SST_END: &[u8] = b"</sst>";

#[test]
fn hand_made_workbooks_read_as_written() {
    let bytes = bombs::rows(
        b"<row><c t=\"inlineStr\"><is><t>x</t></is></c></row>",
        1_000,
    );
    let records = Source::new("t.xlsx", bytes).read_all().unwrap();
    assert_eq!(records.len(), 1_000);
    assert!(records.iter().all(|r| r.fields == ["x"]));
    assert_eq!(records.last().map(|r| r.line), Some(1_000));
}

#[test]
fn a_table_at_the_row_limit_is_read() {
    let bytes = bombs::rows(ROW, 200_000);
    let records = Source::new("t.xlsx", bytes).read_all().unwrap();
    assert_eq!(records.len(), 200_000);
    let limits = Limits {
        max_rows: 1_000,
        ..Limits::default()
    };
    let at = bombs::rows(ROW, 1_000);
    assert_eq!(
        Source::with_limits("t.xlsx", at, limits)
            .read_all()
            .map(|r| r.len()),
        Ok(1_000)
    );
    let over = bombs::rows(ROW, 1_001);
    let (records, error) = read_counting(&Source::with_limits("t.xlsx", over, limits));
    assert_eq!(records, 1_000);
    assert_eq!(
        error,
        Some(ReadError::TooManyRows {
            line: 1_001,
            limit: 1_000
        })
    );
    assert_eq!(
        ReadError::TooManyRows {
            line: 200_001,
            limit: 200_000
        }
        .to_string(),
        "第200001行：超过行数上限（200,000 行）"
    );
}

#[test]
fn shared_strings_of_1_5_gb_are_refused_by_the_directory() {
    // One string repeated: 1.5 GB inflated, declared as it is.
    let si = format!("<si><t>{}</t></si>", "重复的字符串".repeat(100));
    let times = 1_500_000_000 / si.len() as u64;
    let bytes = bombs::workbook(vec![shared_strings(&[
        Piece::Once(SST_START),
        Piece::Repeat(si.as_bytes(), times),
        Piece::Once(SST_END),
    ])]);
    eprintln!("1.5 GB of shared strings: {} bytes", bytes.len());
    let (outcome, tally) = inspected(&bytes, &Limits::default());
    assert_eq!(
        outcome,
        Err(ReadError::PartTooLarge {
            part: "xl/sharedStrings.xml".to_owned(),
            limit: 64 * MIB
        })
    );
    assert_eq!(tally.inflated, 0);
    assert_eq!(
        outcome.unwrap_err().to_string(),
        "文件过大：解压后超过 64 MiB（xl/sharedStrings.xml）"
    );
}

#[test]
fn a_lying_directory_is_not_believed() {
    // 256 MiB of shared strings (comments between them), declared as 1 KiB: the ZIP
    // reader itself stops at the declared size.
    let comment = format!("<!--{}-->", "x".repeat(1_000));
    let times = 256 * MIB / comment.len() as u64;
    let part = shared_strings(&[
        Piece::Once(SST_START),
        Piece::Repeat(comment.as_bytes(), times),
        Piece::Once(SST_END),
    ])
    .declaring(1_024);
    let bytes = bombs::workbook(vec![part]);
    let (outcome, tally) = inspected(&bytes, &Limits::default());
    assert!(
        matches!(&outcome, Err(ReadError::Workbook(m)) if m.contains("declared")),
        "{outcome:?}"
    );
    eprintln!("lying shared strings: {} bytes inflated", tally.inflated);
    assert!(tally.inflated <= 64 * 1024, "{}", tally.inflated);
}

#[test]
fn counting_stops_at_the_limit() {
    use std::io::{BufReader, Cursor};
    // Whatever the part claims, the counter stops reading at its limit.
    let data = vec![b'x'; 300_000];
    let mut counted = inspect::Counted::new(BufReader::new(Cursor::new(&data)), 100_000, u64::MAX);
    let outcome = inspect::drain(&mut counted);
    assert!(matches!(outcome, Err(inspect::Stop::Size)), "{outcome:?}");
    assert!(counted.total <= 100_000 + 8 * 1024, "{}", counted.total);
    // And an XML reader above it never buffers more than one element and a buffer.
    let mut xml = b"<a>".to_vec();
    xml.extend(std::iter::repeat_n(b'y', 300_000));
    let mut counted = inspect::Counted::new(BufReader::new(Cursor::new(&xml)), u64::MAX, 50_000);
    let limits = Limits {
        max_element_bytes: 50_000,
        ..Limits::default()
    };
    let mut tally = Tally::default();
    let outcome = inspect::scan(
        &mut counted,
        inspect::Role::SharedStrings,
        "p",
        &limits,
        &mut tally,
    );
    assert!(
        matches!(outcome, Err(inspect::Stop::Element)),
        "{outcome:?}"
    );
    assert!(counted.total <= 50_000 + 16 * 1024, "{}", counted.total);
    // The byte scanner stops at the same place.
    let mut counted = inspect::Counted::new(BufReader::new(Cursor::new(&xml)), u64::MAX, 50_000);
    let outcome = inspect::Markup::new(50_000).scan(&mut counted, &mut tally);
    assert!(
        matches!(outcome, Err(inspect::Stop::Element)),
        "{outcome:?}"
    );
    assert!(counted.total <= 50_000 + 16 * 1024, "{}", counted.total);
}

#[test]
fn the_byte_scanner_finds_the_readers_events() {
    // Events as the XML reader makes them, and the largest the scanner saw: never less.
    let cases: [&[u8]; 8] = [
        b"<a b='>' c=\"'>\">text</a>",
        b"<!-- <c> --> <![CDATA[<t>]]> <?pi x='?'?>",
        b"<!---->x<!-->-->y",
        b"</t attr='>'>",
        b"<x:t>abc</x:t >",
        b"<a><b/><c d=\"e\"/></a>",
        b"<!DOCTYPE x [<!ENTITY a 'b'>]><r/>",
        b"<\"quoted>\" name>x",
    ];
    for xml in cases {
        let mut reader = quick_xml::Reader::from_reader(xml);
        reader.config_mut().check_end_names = false;
        let mut largest = 0;
        let mut before = 0;
        let mut buf = Vec::new();
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(quick_xml::events::Event::Eof) | Err(_) => break,
                Ok(_) => {}
            }
            let at = reader.buffer_position();
            largest = largest.max(at - before);
            before = at;
            buf.clear();
        }
        let mut tally = Tally::default();
        let mut counted = inspect::Counted::new(std::io::BufReader::new(xml), u64::MAX, u64::MAX);
        let _ = inspect::Markup::new(u64::MAX).scan(&mut counted, &mut tally);
        assert!(
            tally.largest_event >= largest,
            "{}: {} < {largest}",
            String::from_utf8_lossy(xml),
            tally.largest_event
        );
    }
}

#[test]
fn shared_strings_are_counted() {
    // calamine would reserve room for four billion strings.
    let announced = bombs::workbook(vec![Part::stored(
        "xl/sharedStrings.xml",
        br#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4000000000" uniqueCount="4000000000"><si><t>x</t></si></sst>"#,
    )]);
    let refused = Err(ReadError::TooManySharedStrings { limit: 1_000_000 });
    assert_eq!(inspected(&announced, &Limits::default()).0, refused);
    // One string more than the limit.
    let many = bombs::workbook(vec![shared_strings(&[
        Piece::Once(SST_START),
        Piece::Repeat(b"<si><t>x</t></si>", 1_000_001),
        Piece::Once(SST_END),
    ])]);
    let (outcome, tally) = inspected(&many, &Limits::default());
    assert_eq!(outcome, refused);
    assert_eq!(
        outcome.unwrap_err().to_string(),
        "共享字符串过多：超过 1,000,000 个"
    );
    assert!(tally.inflated < 18 * 1_000_001 + 64 * 1024);
    // Few strings, but too much text.
    let si = format!("<si><t>{}</t></si>", "x".repeat(1_000));
    let long = bombs::workbook(vec![shared_strings(&[
        Piece::Once(SST_START),
        Piece::Repeat(si.as_bytes(), 40_000),
        Piece::Once(SST_END),
    ])]);
    let (outcome, tally) = inspected(&long, &Limits::default());
    assert_eq!(
        outcome,
        Err(ReadError::SharedStringsTooLarge { limit: 32 * MIB })
    );
    assert!(tally.inflated < 33 * MIB + 64 * 1024);
}

#[test]
fn the_directory_is_checked_first() {
    // A sheet that declares 200 MiB from 4 KiB: refused for its ratio, nothing inflated.
    let mut sheet = Part::stored("xl/worksheets/sheet1.xml", &[b' '; 4096]);
    sheet.size = 200 * MIB;
    let (outcome, tally) = inspected(&bombs::workbook(vec![sheet.clone()]), &Limits::default());
    assert_eq!(
        outcome,
        Err(ReadError::CompressionRatio {
            part: "xl/worksheets/sheet1.xml".to_owned(),
            limit: 200
        })
    );
    assert_eq!(tally.inflated, 0);
    // Three such sheets are too much together.
    let mut sheets = Vec::new();
    for i in 1..=3 {
        let mut s = sheet.clone();
        s.name = format!("xl/worksheets/sheet{i}.xml");
        s.data = vec![b' '; 2 * MIB as usize];
        sheets.push(s);
    }
    assert_eq!(
        inspected(&bombs::workbook(sheets), &Limits::default()).0,
        Err(ReadError::UnpackedTooLarge { limit: 512 * MIB })
    );
    // Too many parts.
    let parts: Vec<Part> = (0..1_001)
        .map(|i| Part::stored(&format!("docProps/custom{i}.xml"), b"<a/>"))
        .collect();
    assert_eq!(
        inspected(&bombs::zip(&parts), &Limits::default()).0,
        Err(ReadError::TooManyParts { limit: 1_000 })
    );
}

#[test]
fn oversized_elements_are_refused_before_they_are_buffered() {
    // A comment of 2 MiB full of '<', between two rows.
    let start = bombs::sheet_start();
    let sheet = Part::deflated(
        "xl/worksheets/sheet1.xml",
        &[
            Piece::Once(start.as_bytes()),
            Piece::Once(ROW),
            Piece::Once(b"<!--"),
            Piece::Repeat(b"<", 2 * MIB),
            Piece::Once(b"-->"),
            Piece::Once(bombs::SHEET_END),
        ],
    );
    let (outcome, tally) = inspected(&bombs::workbook(vec![sheet]), &Limits::default());
    assert_eq!(
        outcome,
        Err(ReadError::ElementTooLarge {
            part: "xl/worksheets/sheet1.xml".to_owned(),
            limit: MIB
        })
    );
    assert!(
        tally.largest_event <= MIB + 16 * 1024,
        "{}",
        tally.largest_event
    );
    // One cell of 2 MiB in runs of 1,000 characters, which calamine would join.
    let run = format!("<r><t>{}</t></r>", "x".repeat(1_000));
    let sheet = Part::deflated(
        "xl/worksheets/sheet1.xml",
        &[
            Piece::Once(start.as_bytes()),
            Piece::Once(b"<row><c t=\"inlineStr\"><is>"),
            Piece::Repeat(run.as_bytes(), 2_100),
            Piece::Once(b"</is></c></row>"),
            Piece::Once(bombs::SHEET_END),
        ],
    );
    assert_eq!(
        inspected(&bombs::workbook(vec![sheet]), &Limits::default()).0,
        Err(ReadError::ElementTooLarge {
            part: "xl/worksheets/sheet1.xml".to_owned(),
            limit: MIB
        })
    );
}

#[test]
fn text_gathered_past_an_unclosed_element_is_counted() {
    // calamine joins the text of a `<t>` until its end tag: left open, every value after
    // it (3 MB here) would become one string.
    let start = bombs::sheet_start();
    let sheet = Part::deflated(
        "xl/worksheets/sheet1.xml",
        &[
            Piece::Once(start.as_bytes()),
            Piece::Once(b"<row><c t=\"inlineStr\"><is><t>a</is></c></row>"),
            Piece::Repeat(b"<row><c><v>1234567890123456789</v></c></row>", 160_000),
            Piece::Once(bombs::SHEET_END),
        ],
    );
    let refused = Source::new("t.xlsx", bombs::workbook(vec![sheet])).read_all();
    assert_eq!(
        refused,
        Err(ReadError::ElementTooLarge {
            part: "xl/worksheets/sheet1.xml".to_owned(),
            limit: MIB
        })
    );
    assert_eq!(
        refused.unwrap_err().to_string(),
        "文件异常：xl/worksheets/sheet1.xml 中有单个元素超过 1 MiB"
    );
    // Closed, the same values are ordinary cells.
    let sheet = Part::deflated(
        "xl/worksheets/sheet1.xml",
        &[
            Piece::Once(start.as_bytes()),
            Piece::Once(b"<row><c t=\"inlineStr\"><is><t>a</t></is></c></row>"),
            Piece::Repeat(b"<row><c><v>1234567890123456789</v></c></row>", 160_000),
            Piece::Once(bombs::SHEET_END),
        ],
    );
    let records = Source::new("t.xlsx", bombs::workbook(vec![sheet])).read_all();
    assert_eq!(records.map(|r| r.len()), Ok(160_001));
}

#[test]
fn styles_that_calamine_would_copy_into_gigabytes_are_refused() {
    // Each cell format copies the number format: 20,000 × 100 KiB = 2 GB.
    let code = "0".repeat(100 * 1024);
    let styles = format!(
        r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="{code}"/></numFmts><cellXfs count="20000">"#
    );
    let part = Part::deflated(
        "xl/styles.xml",
        &[
            Piece::Once(styles.as_bytes()),
            Piece::Repeat(br#"<xf numFmtId="164"/>"#, 20_000),
            Piece::Once(b"</cellXfs></styleSheet>"),
        ],
    );
    assert_eq!(
        inspected(&bombs::workbook(vec![part]), &Limits::default()).0,
        Err(ReadError::TooManyStyles {
            part: "xl/styles.xml".to_owned()
        })
    );
}

#[test]
fn columns_and_cells_are_bounded_in_xlsx() {
    let sheet = |cells: &str| {
        let start = bombs::sheet_start();
        bombs::workbook(vec![Part::stored(
            "xl/worksheets/sheet1.xml",
            format!(
                "{start}<row r=\"1\">{cells}</row>{}",
                "</sheetData></worksheet>"
            )
            .as_bytes(),
        )])
    };
    // An empty (formatted) cell far right is ignored; a value there is refused.
    let empty = sheet(r#"<c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="BZ1" s="1"/>"#);
    assert_eq!(
        Source::new("t.xlsx", empty)
            .read_all()
            .map(|r| r[0].fields.clone()),
        Ok(vec!["姓名".to_owned()])
    );
    let value = sheet(r#"<c r="A1"><v>1</v></c><c r="BZ1"><v>2</v></c>"#);
    let refused = Source::new("t.xlsx", value).read_all();
    assert_eq!(
        refused,
        Err(ReadError::TooManyColumns { line: 1, limit: 64 })
    );
    assert_eq!(
        refused.unwrap_err().to_string(),
        "第1行：超过列数上限（64 列）"
    );
    // A cell too long, written as Excel would.
    let long = "长".repeat(4_097);
    let rows = vec![vec![
        "林建国".to_owned(),
        "11010519491231002X".to_owned(),
        long,
    ]];
    let bytes = write_table(Format::Xlsx, "t", &["姓名", "身份证号", "备注"], &rows).unwrap();
    let refused = Source::new("t.xlsx", bytes).read_all();
    assert_eq!(
        refused,
        Err(ReadError::CellTooLong {
            line: 2,
            column: 3,
            limit: 4_096
        })
    );
    assert_eq!(
        refused.unwrap_err().to_string(),
        "第2行第3列：单元格内容超过 4096 个字符"
    );
    // At the limit, it is read.
    let rows = vec![vec![
        "林建国".to_owned(),
        "x".to_owned(),
        "长".repeat(4_096),
    ]];
    let bytes = write_table(Format::Xlsx, "t", &["姓名", "身份证号", "备注"], &rows).unwrap();
    assert_eq!(
        Source::new("t.xlsx", bytes).read_all().map(|r| r.len()),
        Ok(2)
    );
}

#[test]
fn csv_is_bounded() {
    // 200,001 rows: the header and 200,000 more.
    let mut text = String::from("姓名\n");
    for _ in 0..200_000 {
        text.push_str("林建国\n");
    }
    let (records, error) = read_counting(&Source::new("t.csv", text.clone().into_bytes()));
    assert_eq!(records, 200_000);
    assert_eq!(
        error,
        Some(ReadError::TooManyRows {
            line: 200_001,
            limit: 200_000
        })
    );
    // Blank and comment lines do not count.
    text.replace_range(..0, "\n\n# 说明\n");
    let less: String = text.lines().take(200_003).collect::<Vec<_>>().join("\n");
    assert_eq!(
        Source::new("t.csv", less.into_bytes())
            .read_all()
            .map(|r| r.len()),
        Ok(200_000)
    );
    // Columns: empty ones far right are dropped, a value there is refused.
    let commas = format!("a{}\n", ",".repeat(10_000));
    assert_eq!(
        Source::new("t.csv", commas.into_bytes())
            .read_all()
            .map(|r| r[0].fields.len()),
        Ok(64)
    );
    let far = format!("a{}b\n", ",".repeat(64));
    assert_eq!(
        Source::new("t.csv", far.into_bytes()).read_all(),
        Err(ReadError::TooManyColumns { line: 1, limit: 64 })
    );
    // A cell too long, quoted over two lines.
    let long = format!(
        "姓名,备注\n林建国,\"{}\n{}\"\n",
        "长".repeat(4_000),
        "长".repeat(96)
    );
    assert_eq!(
        Source::new("t.csv", long.into_bytes()).read_all(),
        Err(ReadError::CellTooLong {
            line: 2,
            column: 2,
            limit: 4_096
        })
    );
    // The file's size, and its decoded size.
    let limits = Limits {
        max_csv_bytes: 1_000,
        ..Limits::default()
    };
    let big = "a,b\n".repeat(300).into_bytes();
    assert_eq!(
        Source::with_limits("t.csv", big, limits).read_all(),
        Err(ReadError::TextTooLarge { limit: 1_000 })
    );
    let names = "林建国".repeat(160);
    let (gbk, _, _) = encoding_rs::GBK.encode(&names);
    assert!(gbk.len() <= 1_000);
    let refused = Source::with_limits("t.csv", gbk.into_owned(), limits).read_all();
    assert_eq!(refused, Err(ReadError::TextTooLarge { limit: 1_000 }));
    assert_eq!(
        refused.unwrap_err().to_string(),
        "文件过大：解码后超过 1000 字节"
    );
    let limits = Limits {
        max_file_bytes: MIB,
        ..Limits::default()
    };
    let huge = vec![b'a'; MIB as usize + 1];
    assert_eq!(
        Source::with_limits("t.xlsx", huge, limits).read_all(),
        Err(ReadError::FileTooLarge { limit: MIB })
    );
}

#[test]
fn csv_reads_as_the_core_reads_it() {
    let limits = Limits::default();
    for text in [
        "\u{FEFF}# comment\r\na,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\r\nlast,\n",
        "姓名,身份证号\n林建国,11010519491231002X\n\n   \n,,\n\"多\n行\",x",
        "a\"b,\"c\"d,\"\"\n#x\n\"",
        "",
        "\n\n",
    ] {
        let core: Vec<_> = registry_core::csv::Records::new(text)
            .map(|r| r.map_err(|e| ReadError::Quote(e.line)))
            .collect();
        let ours: Vec<_> = CsvRecords::new(text, limits).collect();
        assert_eq!(ours, core, "{text:?}");
    }
}

#[test]
fn limits_grow_with_the_rows_asked_for() {
    assert_eq!(Limits::for_rows(200_000), Limits::default());
    let small = Limits::for_rows(10);
    assert_eq!(small.max_rows, 10);
    assert_eq!(small.max_sheet_bytes, Limits::default().max_sheet_bytes);
    let large = Limits::for_rows(1_000_000);
    assert_eq!(large.max_sheet_bytes, 5 * 256 * MIB);
    assert_eq!(large.max_shared_strings, 5_000_000);
    assert_eq!(large.max_columns, 64);
    assert_eq!(large.max_part_bytes, 16 * MIB);
    assert_eq!(grouped(4_096), "4096");
    assert_eq!(grouped(200_000), "200,000");
    assert_eq!(grouped(1_000_000), "1,000,000");
}

#[test]
fn errors_have_stable_codes() {
    let e = ReadError::TooManyRows {
        line: 200_001,
        limit: 200_000,
    };
    assert_eq!(e.code(), "table.too_many_rows");
    assert!(e.is_limit());
    assert!(!ReadError::Empty.is_limit());
}

// Peak memory, each case in a process of its own (this test binary, run again).

/// The peak resident memory of this process, in KiB (Linux).
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// What a child process saw: its resident memory before reading and its peak while reading
/// (KiB), the records read, the error's code, and the file's size.
#[derive(Debug)]
struct Seen {
    before_kib: u64,
    peak_kib: u64,
    records: usize,
    code: String,
    file_bytes: usize,
}

/// Runs `case` in a child process (this test binary again).
fn in_child(case: &str) -> Seen {
    let exe = std::env::current_exe().unwrap();
    let output = std::process::Command::new(exe)
        .args([
            "--exact",
            "table::limit_tests::child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("REGISTRY_LIMIT_CASE", case)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let line = stdout
        .lines()
        .find_map(|l| l.split("RESULT ").nth(1))
        .unwrap_or_else(|| panic!("no result: {stdout}"));
    let fields: Vec<&str> = line.split(' ').collect();
    Seen {
        before_kib: fields[0].parse().unwrap(),
        peak_kib: fields[1].parse().unwrap(),
        records: fields[2].parse().unwrap(),
        code: fields[3].to_owned(),
        file_bytes: fields[4].parse().unwrap(),
    }
}

/// Shared strings at the limits: a million strings, 32 bytes each.
fn strings_at_the_limits() -> Vec<u8> {
    let start = bombs::sheet_start();
    let sheet = Part::deflated(
        "xl/worksheets/sheet1.xml",
        &[
            Piece::Once(start.as_bytes()),
            Piece::Repeat(br#"<row><c t="s"><v>999999</v></c></row>"#, 1_000),
            Piece::Once(bombs::SHEET_END),
        ],
    );
    let mut strings = Vec::with_capacity(50 * 1_000_000);
    strings.extend_from_slice(SST_START);
    for i in 0..1_000_000 {
        strings.extend_from_slice(format!("<si><t>{i:032}</t></si>").as_bytes());
    }
    strings.extend_from_slice(SST_END);
    let part = Part::stored("xl/sharedStrings.xml", &strings);
    bombs::workbook(vec![sheet, part])
}

/// The memory tests' child process: without `REGISTRY_LIMIT_CASE` (an ordinary test run) it
/// does nothing.
#[test]
fn child() {
    let Ok(case) = std::env::var("REGISTRY_LIMIT_CASE") else {
        return;
    };
    let bytes = match case.as_str() {
        "rows" => bombs::rows(ROW, 5_000_000),
        "strings" => bombs::workbook(vec![shared_strings(&[
            Piece::Once(SST_START),
            Piece::Repeat(b"<si><t>x</t></si>", 3_000_000),
            Piece::Once(SST_END),
        ])]),
        "element" => {
            let start = bombs::sheet_start();
            bombs::workbook(vec![Part::deflated(
                "xl/worksheets/sheet1.xml",
                &[
                    Piece::Once(start.as_bytes()),
                    Piece::Once(b"<row><c t=\"inlineStr\"><is><t>"),
                    Piece::Repeat(b"x<b/>", 40 * MIB),
                    Piece::Once(b"</t></is></c></row>"),
                    Piece::Once(bombs::SHEET_END),
                ],
            )])
        }
        "at-limits" => strings_at_the_limits(),
        other => panic!("unknown case {other}"),
    };
    let file_bytes = bytes.len();
    // The peak from here on: what the reading takes.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = peak_kib();
    let source = Source::new("bomb.xlsx", bytes);
    // Every record held, as the institution list's import holds them.
    let mut held = Vec::new();
    let mut error = None;
    source.read(|item| match item {
        Ok(record) => {
            held.push(record);
            true
        }
        Err(e) => {
            error = Some(e);
            false
        }
    });
    let records = held.len();
    let peak = peak_kib();
    println!(
        "RESULT {before} {peak} {records} {} {file_bytes}",
        error.map_or("none", |e| e.code())
    );
}

#[cfg(target_os = "linux")]
#[test]
fn bombs_are_refused_in_little_memory() {
    for (case, records, code, growth_mib) in [
        // Five million rows in about 1 MB: stopped at the 200,001st.
        ("rows", 200_000, "table.too_many_rows", 64),
        // Three million shared strings: refused at the 1,000,001st, before calamine
        // reserves room for any.
        ("strings", 0, "file.too_many_shared_strings", 16),
        // One cell whose text, in 40 million runs, calamine would join into 40 MB.
        ("element", 0, "file.element_too_large", 16),
        // What the limits allow: a million shared strings, read.
        ("at-limits", 1_000, "none", 200),
    ] {
        let seen = in_child(case);
        eprintln!(
            "{case}: file {:.1} MiB, peak {:.1} MiB (before reading {:.1} MiB), {} records, {}",
            seen.file_bytes as f64 / MIB as f64,
            seen.peak_kib as f64 / 1024.0,
            seen.before_kib as f64 / 1024.0,
            seen.records,
            seen.code
        );
        assert_eq!(
            (seen.records, seen.code.as_str()),
            (records, code),
            "{case}"
        );
        assert!(
            seen.peak_kib - seen.before_kib < growth_mib * 1024,
            "{case}: {seen:?}"
        );
    }
}

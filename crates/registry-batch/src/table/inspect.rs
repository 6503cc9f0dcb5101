//! The checks an .xlsx file passes before calamine opens it.
//!
//! calamine 0.38 reads a workbook's `sharedStrings.xml` whole when it opens the workbook
//! (reserving room for as many strings as the file's `uniqueCount` announces), its
//! `styles.xml` whole (each cell format copying its number format and font), and a sheet
//! as a stream of XML events, each held whole in a buffer. Nothing in calamine bounds any
//! of it, and the ZIP reader it uses trusts nothing but inflates anything. So the file is
//! checked here first, with the same ZIP and XML readers (same versions):
//!
//! 1. the number of central-directory headers in the file, before the ZIP reader builds
//!    its index of them;
//! 2. the ZIP directory: every part's declared inflated size against its limit (worksheets,
//!    the shared strings, anything else), their sum, and their compression ratio;
//! 3. every part inflated through [`Counted`], which stops reading at the part's limit
//!    whatever the directory declared, and whose XML parts are read as XML events here,
//!    with no event larger than [`Limits::max_element_bytes`] (the counter refuses to read
//!    further), no cell or shared string whose text is larger, the shared strings counted,
//!    and the styles' cell formats weighed.
//!
//! What passes can be opened by calamine within bounded memory: each part it reads whole
//! is at most its limit, and each XML event it buffers at most one element.

use std::io::{self, BufRead, BufReader, Cursor, Read};

use quick_xml::events::Event;

use super::{Limits, ReadError};

/// Parts smaller than this are not checked for their compression ratio (small parts of
/// real files can compress very well, and are harmless).
const RATIO_FLOOR: u64 = 1024 * 1024;

/// The memory the styles' cell formats may take in calamine, estimated as their number
/// times [`STYLE_BASE`] plus the largest number format and font name (each format copies
/// one of each).
const STYLE_BUDGET: u64 = 128 * 1024 * 1024;

/// What one cell format takes in calamine besides the texts it copies (its `Style`, with
/// room to spare).
const STYLE_BASE: u64 = 1024;

/// The inflating reader's buffer.
const BUFFER: usize = 8 * 1024;

/// What the inspection read, for tests.
#[derive(Debug, Default)]
pub(super) struct Tally {
    /// Bytes inflated, every part together.
    pub(super) inflated: u64,
    /// The largest XML event read.
    pub(super) largest_event: u64,
}

/// What a part is, by its name, as calamine finds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// `sharedStrings.xml`: read whole by calamine.
    SharedStrings,
    /// `styles.xml`: read whole by calamine.
    Styles,
    /// A worksheet: streamed by calamine.
    Sheet,
    /// Other XML: the workbook and its relationships (read whole), and parts calamine
    /// does not read.
    Xml,
    /// Anything else (images, printer settings).
    Binary,
}

impl Role {
    fn of(name: &str) -> Role {
        let name = name.replace('\\', "/").to_ascii_lowercase();
        if name.ends_with("sharedstrings.xml") {
            Role::SharedStrings
        } else if name.ends_with("styles.xml") {
            Role::Styles
        } else if name.contains("worksheets/") {
            Role::Sheet
        } else if name.ends_with(".xml") || name.ends_with(".rels") || name.ends_with(".vml") {
            Role::Xml
        } else {
            Role::Binary
        }
    }

    fn limit(self, limits: &Limits) -> u64 {
        match self {
            Role::SharedStrings => limits.max_shared_strings_bytes,
            Role::Sheet => limits.max_sheet_bytes,
            Role::Styles | Role::Xml | Role::Binary => limits.max_part_bytes,
        }
    }
}

/// Checks a workbook's bytes against `limits`, counting what it reads in `tally`.
pub(super) fn inspect(bytes: &[u8], limits: &Limits, tally: &mut Tally) -> Result<(), ReadError> {
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(ReadError::Workbook(
            "文件已加密，或是旧版 .xls 文件；请另存为不加密的 .xlsx 文件".to_owned(),
        ));
    }
    // The ZIP reader indexes every central-directory header before anything can be asked
    // of it, and each header starts with this signature.
    let headers = bytes.windows(4).filter(|w| *w == b"PK\x01\x02").count();
    if headers > limits.max_parts {
        return Err(ReadError::TooManyParts {
            limit: limits.max_parts,
        });
    }
    let unreadable = |e: zip::result::ZipError| ReadError::Workbook(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    if archive.len() > limits.max_parts {
        return Err(ReadError::TooManyParts {
            limit: limits.max_parts,
        });
    }
    // What the directory declares.
    let mut declared = 0u64;
    for index in 0..archive.len() {
        let entry = archive.by_index_data(index).map_err(unreadable)?;
        let part = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let limit = Role::of(&part).limit(limits);
        if entry.size() > limit {
            return Err(ReadError::PartTooLarge { part, limit });
        }
        declared = declared.saturating_add(entry.size());
        if declared > limits.max_unpacked_bytes {
            return Err(ReadError::UnpackedTooLarge {
                limit: limits.max_unpacked_bytes,
            });
        }
        if entry.size() > RATIO_FLOOR
            && entry.size() / entry.compressed_size().max(1) > limits.max_compression_ratio
        {
            return Err(ReadError::CompressionRatio {
                part,
                limit: limits.max_compression_ratio,
            });
        }
    }
    // What the parts hold.
    let mut unpacked = 0u64;
    for index in 0..archive.len() {
        let file = archive.by_index(index).map_err(unreadable)?;
        let part = String::from_utf8_lossy(file.name_raw()).into_owned();
        let role = Role::of(&part);
        let left = limits.max_unpacked_bytes.saturating_sub(unpacked);
        let part_limit = role.limit(limits);
        let mut reader = Counted::new(
            BufReader::with_capacity(BUFFER, file),
            part_limit.min(left),
            limits.max_element_bytes,
        );
        let outcome = match role {
            Role::Binary => drain(&mut reader),
            Role::Sheet | Role::Xml => {
                Markup::new(limits.max_element_bytes).scan(&mut reader, tally)
            }
            Role::SharedStrings | Role::Styles => scan(&mut reader, role, &part, limits, tally),
        };
        tally.inflated += reader.total;
        unpacked += reader.total;
        match outcome {
            Ok(()) => {}
            Err(Stop::Size) if part_limit > left => {
                return Err(ReadError::UnpackedTooLarge {
                    limit: limits.max_unpacked_bytes,
                });
            }
            Err(Stop::Size) => {
                return Err(ReadError::PartTooLarge {
                    part,
                    limit: part_limit,
                });
            }
            Err(Stop::Element) => {
                return Err(ReadError::ElementTooLarge {
                    part,
                    limit: limits.max_element_bytes,
                });
            }
            Err(Stop::Refused(e)) => return Err(e),
            Err(Stop::Unreadable(e)) => return Err(ReadError::Workbook(e)),
        }
    }
    Ok(())
}

/// Why a part's reading stopped.
#[derive(Debug)]
pub(super) enum Stop {
    /// The part inflates past its limit.
    Size,
    /// One XML event is larger than an element may be.
    Element,
    /// A limit of what the XML holds.
    Refused(ReadError),
    /// The ZIP data is corrupt (bad deflate data, a wrong checksum).
    Unreadable(String),
}

/// A reader that counts what it gives and stops at a limit: past `limit` bytes in all, or
/// past `element` bytes since the last [`Counted::mark`], it reports an error instead of
/// reading on, so a reader above it (the XML reader's buffer) never holds more than one
/// limit plus one buffer.
#[derive(Debug)]
pub(super) struct Counted<R> {
    inner: R,
    /// Bytes given so far.
    pub(super) total: u64,
    limit: u64,
    /// Bytes given since the mark.
    since_mark: u64,
    element: u64,
    /// The limit passed, if one was.
    stopped: Option<Exceeded>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exceeded {
    Size,
    Element,
}

impl<R: BufRead> Counted<R> {
    pub(super) fn new(inner: R, limit: u64, element: u64) -> Counted<R> {
        Counted {
            inner,
            total: 0,
            limit,
            since_mark: 0,
            element,
            stopped: None,
        }
    }

    /// Starts counting an element.
    fn mark(&mut self) {
        self.since_mark = 0;
    }

    fn stopped_error(&self) -> Option<io::Error> {
        self.stopped
            .map(|e| io::Error::other(format!("limit exceeded: {e:?}")))
    }
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        if let (Some(to), Some(from)) = (buf.get_mut(..n), available.get(..n)) {
            to.copy_from_slice(from);
        }
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Some(e) = self.stopped_error() {
            return Err(e);
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
        self.total += amount as u64;
        self.since_mark += amount as u64;
        if self.total > self.limit {
            self.stopped = Some(Exceeded::Size);
        } else if self.since_mark > self.element {
            self.stopped = Some(Exceeded::Element);
        }
    }
}

impl<R: BufRead> Counted<R> {
    /// The reason for an IO error: a limit passed, or the data.
    fn stop(&self, e: &io::Error) -> Stop {
        match self.stopped {
            Some(Exceeded::Size) => Stop::Size,
            Some(Exceeded::Element) => Stop::Element,
            None => Stop::Unreadable(e.to_string()),
        }
    }
}

/// Reads the rest of a part, counting it (no element limit: not XML).
pub(super) fn drain<R: BufRead>(reader: &mut Counted<R>) -> Result<(), Stop> {
    reader.element = u64::MAX;
    match io::copy(reader, &mut io::sink()) {
        Ok(_) => Ok(()),
        Err(e) => Err(reader.stop(&e)),
    }
}

/// The text calamine gathers into one string: from the start of a `<t>`, `<v>`, `<is>` or
/// `<si>` until its end tag, matched by its full name as calamine matches it (an element
/// left open gathers everything after it). Counted while any is open; the count starts
/// again when none is.
#[derive(Debug, Default)]
struct Gathered {
    /// The names of the open elements (`None`: too long to keep, never closed).
    open: Vec<Option<([u8; Gathered::NAME], usize)>>,
    text: u64,
}

impl Gathered {
    /// Elements open at once, at most (real files: 2).
    const DEPTH: usize = 16;
    /// The longest name kept.
    const NAME: usize = 64;

    fn start(&mut self, name: &[u8]) -> Result<(), Stop> {
        let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
        if matches!(local, b"t" | b"v" | b"is" | b"si") {
            if self.open.len() >= Gathered::DEPTH {
                return Err(Stop::Element);
            }
            let mut kept = [0; Gathered::NAME];
            match kept.get_mut(..name.len()) {
                Some(to) => {
                    to.copy_from_slice(name);
                    self.open.push(Some((kept, name.len())));
                }
                None => self.open.push(None),
            }
        }
        Ok(())
    }

    /// A start whose name is too long to keep: never closed, as far as this knows.
    fn start_unnamed(&mut self) -> Result<(), Stop> {
        if self.open.len() >= Gathered::DEPTH {
            return Err(Stop::Element);
        }
        self.open.push(None);
        Ok(())
    }

    fn end(&mut self, name: &[u8]) {
        let same = |open: &Option<([u8; Gathered::NAME], usize)>| {
            open.as_ref()
                .is_some_and(|(kept, len)| kept.get(..*len) == Some(name))
        };
        if let Some(i) = self.open.iter().rposition(same) {
            self.open.remove(i);
            if self.open.is_empty() {
                self.text = 0;
            }
        }
    }

    fn text(&mut self, bytes: u64, limit: u64) -> Result<(), Stop> {
        if !self.open.is_empty() {
            self.text += bytes;
            if self.text > limit {
                return Err(Stop::Element);
            }
        }
        Ok(())
    }
}

/// Where [`Markup`] is in the XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Text, up to the next `<`.
    Text,
    /// Just after `<`.
    Open,
    /// Just after `<!`.
    Bang,
    /// In a start or end tag, looking for `>` outside quotes.
    Tag { quote: u8 },
    /// In a comment, looking for `-->` (at least `<!---->`).
    Comment,
    /// In a CDATA section, looking for `]]>`.
    CData,
    /// In a processing instruction, looking for `?>`.
    Pi,
    /// A document type declaration, or markup the XML reader refuses: to the end, as far
    /// as this knows.
    Rest,
}

/// Reads an XML part as bytes, finding where each of the XML reader's events starts and
/// ends by the reader's own rules (text up to `<`; a tag up to `>` outside quotes; a
/// comment up to `-->`; CDATA up to `]]>`; a processing instruction up to `?>`), without
/// building the events: the bounds of [`scan`] at the speed of a byte loop, for the large
/// parts (worksheets). Its events are never smaller than the reader's (a document type
/// runs to the end), so a part it passes passes the reader's buffer too.
#[derive(Debug)]
pub(super) struct Markup {
    limit: u64,
    at: At,
    /// Bytes of the current event.
    event: u64,
    /// The first bytes of the current tag, after `<`.
    name: [u8; Markup::NAME],
    name_len: usize,
    /// The last two bytes seen in markup.
    last: [u8; 2],
    gathered: Gathered,
    /// The largest event so far.
    largest: u64,
}

impl Markup {
    const NAME: usize = 64;

    pub(super) fn new(limit: u64) -> Markup {
        Markup {
            limit,
            at: At::Text,
            event: 0,
            name: [0; Markup::NAME],
            name_len: 0,
            last: [0; 2],
            gathered: Gathered::default(),
            largest: 0,
        }
    }

    pub(super) fn scan<R: BufRead>(
        mut self,
        reader: &mut Counted<R>,
        tally: &mut Tally,
    ) -> Result<(), Stop> {
        reader.element = u64::MAX;
        loop {
            let chunk = match reader.fill_buf() {
                Ok([]) => break,
                Ok(chunk) => chunk,
                Err(e) => return Err(reader.stop(&e)),
            };
            let n = chunk.len();
            let outcome = self.feed(chunk);
            tally.largest_event = tally.largest_event.max(self.largest).max(self.event);
            outcome?;
            reader.consume(n);
        }
        Ok(())
    }

    /// Starts a new event at the next byte.
    fn next(&mut self, at: At) {
        self.largest = self.largest.max(self.event);
        self.at = at;
        self.event = 0;
        self.name_len = 0;
        self.last = [0; 2];
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), Stop> {
        let mut i = 0;
        while i < chunk.len() {
            if self.at == At::Text {
                let rest = &chunk[i..];
                let run = rest.iter().position(|&b| b == b'<').unwrap_or(rest.len());
                self.event += run as u64;
                self.gathered.text(run as u64, self.limit)?;
                i += run;
                if i < chunk.len() {
                    self.next(At::Open);
                    self.event = 1;
                    i += 1;
                }
            } else if let At::Tag { quote } = self.at {
                // The bytes up to the next `>` or quote (outside quotes), or the closing
                // quote, at once.
                let rest = &chunk[i..];
                let run = if quote == 0 {
                    rest.iter().position(|&b| matches!(b, b'>' | b'"' | b'\''))
                } else {
                    rest.iter().position(|&b| b == quote)
                }
                .unwrap_or(rest.len());
                self.keep_run(&rest[..run]);
                self.event += run as u64;
                i += run;
                if let Some(&b) = rest.get(run) {
                    i += 1;
                    self.event += 1;
                    self.markup(b)?;
                }
            } else {
                let b = chunk[i];
                i += 1;
                self.event += 1;
                self.markup(b)?;
            }
            if self.event > self.limit {
                return Err(Stop::Element);
            }
        }
        Ok(())
    }

    fn markup(&mut self, b: u8) -> Result<(), Stop> {
        let ended = |last: [u8; 2], a: u8, c: u8| last == [a, a] && c == b'>';
        match self.at {
            At::Text => {}
            At::Open => {
                self.at = match b {
                    b'!' => At::Bang,
                    b'?' => At::Pi,
                    _ => {
                        // The tag's content starts with this byte.
                        self.at = At::Tag { quote: 0 };
                        return self.markup(b);
                    }
                };
            }
            At::Bang => {
                self.at = match b {
                    b'-' => At::Comment,
                    b'[' => At::CData,
                    _ => At::Rest,
                };
            }
            At::Comment => {
                // `<!-` read: 3 bytes; the shortest comment is `<!---->`.
                if self.event >= 7 && ended(self.last, b'-', b) {
                    self.next(At::Text);
                    return Ok(());
                }
            }
            At::CData => {
                self.gathered.text(1, self.limit)?;
                if self.event >= 5 && ended(self.last, b']', b) {
                    self.next(At::Text);
                    return Ok(());
                }
            }
            At::Pi => {
                if self.event >= 3 && self.last[1] == b'?' && b == b'>' {
                    self.next(At::Text);
                    return Ok(());
                }
            }
            At::Tag { quote } => match (quote, b) {
                (0, b'>') => {
                    self.tag()?;
                    self.next(At::Text);
                    return Ok(());
                }
                (0, b'"' | b'\'') => {
                    self.at = At::Tag { quote: b };
                    self.keep(b);
                    return Ok(());
                }
                (q, _) if q == b => {
                    self.at = At::Tag { quote: 0 };
                    self.keep(b);
                    return Ok(());
                }
                _ => {
                    self.keep(b);
                    return Ok(());
                }
            },
            At::Rest => {}
        }
        self.last = [self.last[1], b];
        Ok(())
    }

    /// Keeps a byte of a tag's content (as far as names go).
    fn keep(&mut self, b: u8) {
        if let Some(slot) = self.name.get_mut(self.name_len) {
            *slot = b;
        }
        self.name_len += 1;
        self.last = [self.last[1], b];
    }

    /// Keeps bytes of a tag's content.
    fn keep_run(&mut self, run: &[u8]) {
        let room = Markup::NAME.saturating_sub(self.name_len).min(run.len());
        if let (Some(to), Some(from)) = (
            self.name.get_mut(self.name_len..self.name_len + room),
            run.get(..room),
        ) {
            to.copy_from_slice(from);
        }
        self.name_len += run.len();
        match run {
            [.., a, b] => self.last = [*a, *b],
            [b] => self.last = [self.last[1], *b],
            [] => {}
        }
    }

    /// A tag has ended: its content (after `<`, before `>`) was kept.
    fn tag(&mut self) -> Result<(), Stop> {
        let whitespace = |b: &u8| matches!(b, b' ' | b'\r' | b'\n' | b'\t');
        let kept = &self.name[..self.name_len.min(Markup::NAME)];
        let whole = self.name_len <= Markup::NAME;
        if let Some(content) = kept.strip_prefix(b"/") {
            // An end tag: its name is its whole content, whitespace trimmed at the end.
            if whole {
                let end = content
                    .iter()
                    .rposition(|b| !whitespace(b))
                    .map_or(0, |p| p + 1);
                self.gathered.end(&content[..end]);
            }
            return Ok(());
        }
        if self.last[1] == b'/' {
            return Ok(()); // empty: `<t/>`, or `<t a="1"/>`
        }
        match kept.iter().position(whitespace) {
            Some(p) => self.gathered.start(&kept[..p]),
            None if whole => self.gathered.start(kept),
            // A name longer than kept: an element that cannot be matched.
            None => self.gathered.start_unnamed(),
        }
    }
}

/// Reads a part as XML events, as calamine would, and checks what they hold: no event
/// larger than an element may be (the reader refuses to read further), the text gathered
/// into one string no larger either, the shared strings counted (with the count the part
/// announces), the styles' cell formats weighed. A part that is not well-formed XML is
/// read to its end without the element limit (calamine refuses it if it reads it).
pub(super) fn scan<R: BufRead>(
    reader: &mut Counted<R>,
    role: Role,
    part: &str,
    limits: &Limits,
    tally: &mut Tally,
) -> Result<(), Stop> {
    let mut xml = quick_xml::Reader::from_reader(reader);
    {
        let config = xml.config_mut();
        config.check_end_names = false;
        config.check_comments = false;
        config.trim_text(false);
    }
    let mut gathered = Gathered::default();
    let mut strings = 0u64;
    let mut all_text = 0u64;
    let mut formats = 0u64;
    let mut copied = 0u64;
    let mut buf = Vec::with_capacity(1024);
    loop {
        buf.clear();
        xml.get_mut().mark();
        let event = xml.read_event_into(&mut buf);
        let size = xml.get_ref().since_mark;
        tally.largest_event = tally.largest_event.max(size);
        let mut text = 0u64;
        let started = matches!(event, Ok(Event::Start(_)));
        match event {
            Err(quick_xml::Error::Io(e)) => return Err(xml.get_ref().stop(&e)),
            Err(_) => break,
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                // calamine reads `<x/>` as a start and an end: nothing gathered.
                if started {
                    gathered.start(e.name().as_ref().as_bytes())?;
                }
                let local = e.local_name();
                let local = local.as_ref();
                if role == Role::SharedStrings && local == "si" {
                    strings += 1;
                    if strings > limits.max_shared_strings {
                        return Err(Stop::Refused(ReadError::TooManySharedStrings {
                            limit: limits.max_shared_strings,
                        }));
                    }
                } else if role == Role::SharedStrings && local == "sst" {
                    // calamine reserves room for this many strings before reading one.
                    let announced = e
                        .try_get_attribute("uniqueCount")
                        .ok()
                        .flatten()
                        .and_then(|a| a.value.trim().parse::<u64>().ok());
                    if announced.is_some_and(|n| n > limits.max_shared_strings) {
                        return Err(Stop::Refused(ReadError::TooManySharedStrings {
                            limit: limits.max_shared_strings,
                        }));
                    }
                } else if role == Role::Styles && local == "xf" {
                    formats += 1;
                } else if role == Role::Styles && matches!(local, "numFmt" | "name") {
                    copied = copied.max(size);
                }
            }
            Ok(Event::End(e)) => gathered.end(e.name().as_ref().as_bytes()),
            Ok(Event::Text(t)) => text = t.len() as u64,
            Ok(Event::CData(t)) => text = t.len() as u64,
            Ok(Event::GeneralRef(r)) => text = r.len() as u64 + 2,
            Ok(_) => {}
        }
        if text > 0 && !gathered.open.is_empty() {
            gathered.text(text, limits.max_element_bytes)?;
            if role == Role::SharedStrings {
                all_text += text;
                if all_text > limits.max_shared_string_bytes {
                    return Err(Stop::Refused(ReadError::SharedStringsTooLarge {
                        limit: limits.max_shared_string_bytes,
                    }));
                }
            }
        }
    }
    let reader = xml.get_mut();
    drain(reader)?;
    if role == Role::Styles && formats.saturating_mul(STYLE_BASE + copied) > STYLE_BUDGET {
        return Err(Stop::Refused(ReadError::TooManyStyles {
            part: part.to_owned(),
        }));
    }
    Ok(())
}

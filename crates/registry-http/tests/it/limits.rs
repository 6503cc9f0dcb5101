//! Resource exhaustion through the real server (`registry_http::serve`: TCP, hyper, every
//! middleware): request bodies limited by route before they are read, by their declared
//! length or by counting; the connection's header timeout and the request timeout; and
//! hostile tables uploaded to the import page (decompression bombs, too many rows), whose
//! report shows its first 200 problems and downloads every one.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use poem::http::StatusCode;
use registry_http::{BodyLimits, Config, Timeouts};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

const MIB: u64 = 1 << 20;
const TOKEN: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

/// The test server served over TCP as `registry serve` serves it.
async fn tcp(server: &Server) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = server.state.clone();
    tokio::spawn(registry_http::serve(
        listener,
        state,
        std::future::pending(),
    ));
    addr
}

/// A POST's head with a self-issued CSRF token in the header (cookie and header agree),
/// with a declared length or chunked.
fn head(path: &str, content_type: &str, length: Option<u64>) -> String {
    head_as(
        path,
        content_type,
        length,
        &format!("registry_csrf={TOKEN}"),
        TOKEN,
    )
}

/// The same with a browser's cookies and CSRF token.
fn head_as(
    path: &str,
    content_type: &str,
    length: Option<u64>,
    cookie: &str,
    token: &str,
) -> String {
    let length = match length {
        Some(n) => format!("Content-Length: {n}"),
        None => "Transfer-Encoding: chunked".to_owned(),
    };
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\n\
         X-CSRF-Token: {token}\r\nContent-Type: {content_type}\r\n{length}\r\n\
         Connection: close\r\n\r\n"
    )
}

/// Reads a response until the server closes the connection (at most 10 s): its status
/// and its text.
async fn response(stream: &mut TcpStream) -> (u16, String) {
    let mut bytes = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes)).await;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// Sends `head`, then `first`, then `total` bytes of `piece` (chunked when the head says so) while the
/// server takes them, reading the answer at the same time: the status, the text, and how
/// many bytes the server took before it answered and closed.
async fn send_streaming(
    addr: SocketAddr,
    head: String,
    first: &[u8],
    piece: &[u8],
    total: u64,
) -> (u16, String, u64) {
    let chunked = head.contains("chunked");
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let piece = piece.to_vec();
    let first = first.to_vec();
    let writer = tokio::spawn(async move {
        let mut sent = 0u64;
        // The writing half is kept until the answer is read: a client that closes its
        // side gets no answer (hyper closes a half-closed connection).
        if write.write_all(head.as_bytes()).await.is_err() {
            return (sent, write);
        }
        let mut pieces = std::iter::once(&first)
            .filter(|f| !f.is_empty())
            .chain(std::iter::repeat(&piece));
        while sent < total {
            let piece = pieces.next().unwrap();
            let frame = if chunked {
                let mut frame = format!("{:x}\r\n", piece.len()).into_bytes();
                frame.extend_from_slice(piece);
                frame.extend_from_slice(b"\r\n");
                frame
            } else {
                piece.clone()
            };
            if write.write_all(&frame).await.is_err() {
                return (sent, write);
            }
            sent += piece.len() as u64;
        }
        if chunked {
            let _ = write.write_all(b"0\r\n\r\n").await;
        }
        (sent, write)
    });
    let mut bytes = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), read.read_to_end(&mut bytes)).await;
    let sent = tokio::time::timeout(Duration::from_secs(10), writer)
        .await
        .map_or(u64::MAX, |joined| joined.unwrap().0);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_declared_over_its_limit_is_refused_before_it_is_read() {
    let server = Server::new().await;
    let addr = tcp(&server).await;
    // The login with its token in a header (nothing in the body is needed to pass the
    // CSRF check) declares 400 MB and sends a few bytes: answered at once, unread.
    for (path, content_type, page) in [
        ("/login", "application/x-www-form-urlencoded", true),
        ("/api/v1/session", "application/json", false),
    ] {
        let started = Instant::now();
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = head(path, content_type, Some(400 * 1_000_000));
        stream.write_all(request.as_bytes()).await.unwrap();
        stream.write_all(b"username=admin&password=").await.unwrap();
        let (status, text) = response(&mut stream).await;
        assert_eq!(status, 413, "{path}: {text}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path}: answered without waiting for the body ({:?})",
            started.elapsed()
        );
        // A login is a name and a password: its limit is a few KiB.
        assert!(text.contains("请求内容过大（上限 16 KiB）"), "{text}");
        if page {
            assert!(text.contains("text/html"), "{text}");
        } else {
            assert!(text.contains("\"code\":\"request.too_large\""), "{text}");
        }
    }
    // The server goes on answering.
    let page = server.browser().get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_is_counted_and_reading_stops_at_the_limit() {
    let server = Server::new().await;
    let addr = tcp(&server).await;
    let piece = vec![b'a'; 64 * 1024];
    // A form, with its token in the header, and JSON: 400 MB offered, chunked.
    for (path, content_type, code, limit) in [
        (
            "/search",
            "application/x-www-form-urlencoded",
            None,
            "1 MiB",
        ),
        (
            "/api/v1/public/people/search",
            "application/json",
            Some("request.too_large"),
            "1 MiB",
        ),
        (
            "/login",
            "application/x-www-form-urlencoded",
            None,
            "16 KiB",
        ),
        (
            "/api/v1/session",
            "application/json",
            Some("request.too_large"),
            "16 KiB",
        ),
    ] {
        let (status, text, sent) =
            send_streaming(addr, head(path, content_type, None), b"", &piece, 400 * MIB).await;
        assert_eq!(status, 413, "{path}: {text}");
        assert!(
            text.contains(&format!("请求内容过大（上限 {limit}）")),
            "{text}"
        );
        if let Some(code) = code {
            assert!(text.contains(&format!("\"code\":\"{code}\"")), "{text}");
        }
        // The server stopped reading at its limit and closed: what was sent beyond it sat in
        // the sockets' buffers, far from the 400 MB offered.
        assert!(sent < 64 * MIB, "{path}: {sent} bytes taken");
    }
    // Under the limit, the same form is read and answered.
    let (status, text, _) = send_streaming(
        addr,
        head("/login", "application/x-www-form-urlencoded", None),
        b"",
        b"username=admin&password=wrong",
        1,
    )
    .await;
    assert_ne!(status, 413, "{text}");
    assert_ne!(status, 0, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_upload_routes_take_a_file_and_only_up_to_their_limit() {
    let server = Server::with_config(Config {
        bodies: BodyLimits {
            form_bytes: MIB,
            upload_bytes: 4 * MIB,
            ..BodyLimits::default()
        },
        ..test_config()
    })
    .await;
    let addr = tcp(&server).await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let (cookie, token) = (admin.cookie_header(), admin.csrf());
    let piece = vec![b'x'; 64 * 1024];
    let multipart = "multipart/form-data; boundary=XyZ";
    let file = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\
                 Content-Type: text/csv\r\n\r\n";
    for path in ["/association/exchange/import", "/association/calendar"] {
        let upload = |length| head_as(path, multipart, length, &cookie, &token);
        // A file over the upload limit, chunked: refused, reading stopped.
        let (status, text, sent) =
            send_streaming(addr, upload(None), file, &piece, 400 * MIB).await;
        assert_eq!(status, 413, "{path}: {text}");
        assert!(text.contains("请求内容过大（上限 4 MiB）"), "{text}");
        assert!(sent < 64 * MIB, "{path}: {sent} bytes taken");
        // Over it, declared: refused unread.
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(upload(Some(5 * MIB)).as_bytes())
            .await
            .unwrap();
        stream.write_all(file).await.unwrap();
        assert_eq!(response(&mut stream).await.0, 413, "{path}");
        // 2 MiB, over the form limit but under the upload limit: read whole (and refused
        // as a broken form, for its end is missing, not for its size).
        let (status, text, _) = send_streaming(addr, upload(None), file, &piece, 2 * MIB).await;
        assert_ne!(status, 413, "{path}: {text}");
        assert_ne!(status, 0, "{path}: {text}");
    }
    // The same 2 MiB anywhere else is over the form limit.
    let (status, _, _) = send_streaming(
        addr,
        head_as(
            "/association/exchange/export",
            "application/x-www-form-urlencoded",
            None,
            &cookie,
            &token,
        ),
        b"",
        &piece,
        2 * MIB,
    )
    .await;
    assert_eq!(status, 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_nothing_is_closed_within_the_header_timeout() {
    let server = Server::with_config(Config {
        timeouts: Timeouts {
            header_read: Duration::from_secs(1),
            request: Duration::from_secs(2),
        },
        ..test_config()
    })
    .await;
    let addr = tcp(&server).await;
    // Nothing at all; then half a request head, never finished.
    for opening in [&b""[..], b"GET / HTTP/1.1\r\nHost: localhost\r\n"] {
        let started = Instant::now();
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(opening).await.unwrap();
        let mut bytes = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut bytes)).await;
        assert!(read.is_ok(), "the connection stayed open");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
            "closed after {waited:?}"
        );
    }
    // A kept-alive connection, answered once, then silent: closed as well.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut bytes)).await;
    assert!(read.is_ok(), "the kept-alive connection stayed open");
    assert!(String::from_utf8_lossy(&bytes).starts_with("HTTP/1.1 200"));
    assert!(started.elapsed() < Duration::from_secs(3));
    // A body that stops coming is given up at the request timeout: 503.
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(head("/api/v1/session", "application/json", Some(100)).as_bytes())
        .await
        .unwrap();
    stream.write_all(b"{\"username\":").await.unwrap();
    let (status, text) = response(&mut stream).await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("\"code\":\"request.timeout\""), "{text}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A pass list as .xlsx (the header, then `rows` rows of a name only), as the export
/// writes tables.
fn workbook(rows: usize) -> Vec<u8> {
    let body: Vec<Vec<String>> = (0..rows).map(|n| vec![format!("{n}")]).collect();
    let header: Vec<&str> = PASS_LIST_HEADER.split(',').collect();
    registry_batch::table::write_table(registry_batch::table::Format::Xlsx, "名单", &header, &body)
        .unwrap()
}

const PASS_LIST_HEADER: &str = "姓名,身份证号,评审项目,考核日期,公布日期";

/// `book` with its shared strings replaced by `shared` (deflated).
fn with_shared_strings(book: &[u8], shared: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(book.to_vec())).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for n in 0..archive.len() {
        let file = archive.by_index_raw(n).unwrap();
        if file.name().unwrap() != "xl/sharedStrings.xml" {
            out.raw_copy_file(file).unwrap();
        }
    }
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9));
    out.start_file("xl/sharedStrings.xml", options).unwrap();
    out.write_all(shared).unwrap();
    out.finish().unwrap().into_inner()
}

const SST: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#;

#[tokio::test]
async fn hostile_tables_are_refused_before_they_are_read_whole() {
    let server = Server::new().await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    let upload = |name: &'static str, bytes: Vec<u8>| (name, bytes);
    let book = workbook(3);
    // Shared strings that inflate 16 MiB from a few KB (the bomb's shape, small).
    let mut bomb = format!(r#"{SST} count="16384" uniqueCount="16384">"#).into_bytes();
    let string = format!("<si><t>{}</t></si>", "填".repeat(336));
    bomb.extend(string.repeat(16 * 1024).bytes());
    bomb.extend_from_slice(b"</sst>");
    let bomb = with_shared_strings(&book, &bomb);
    assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
    // Shared strings announcing five million.
    let announced = with_shared_strings(
        &book,
        format!(r#"{SST} count="5000000" uniqueCount="5000000"><si><t>a</t></si></sst>"#)
            .as_bytes(),
    );
    // One row more than the 200,000 allowed (the header is a row).
    let rows = workbook(200_000);
    let mut csv = format!("{PASS_LIST_HEADER}\n");
    for n in 0..200_000 {
        csv.push_str(&format!("{n}\n"));
    }
    for ((name, bytes), expected) in [
        (upload("bomb.xlsx", bomb), "疑似压缩炸弹"),
        (
            upload("announced.xlsx", announced),
            "共享字符串过多：超过 1,000,000 个",
        ),
        (
            upload("rows.xlsx", rows),
            "第200001行：超过行数上限（200,000 行）",
        ),
        (
            upload("rows.csv", csv.into_bytes()),
            "第200001行：超过行数上限（200,000 行）",
        ),
    ] {
        let page = admin
            .upload(
                "/association/exchange/import",
                &[("file", name, &bytes)],
                &[("kind", "qualifications"), ("mode", "all")],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            page.body
        );
        assert!(page.has(expected), "{name}: {}", page.body);
        assert!(page.has("未写入任何数据"), "{name}");
    }
}

/// A name for the `n`th row: 张 and its number in Chinese digits.
fn name(n: u16) -> String {
    let digits: Vec<char> = "零一二三四五六七八九".chars().collect();
    format!(
        "张{}{}{}",
        digits[usize::from(n / 100 % 10)],
        digits[usize::from(n / 10 % 10)],
        digits[usize::from(n % 10)]
    )
}

#[tokio::test]
async fn the_report_shows_200_problems_and_downloads_them_all() {
    let server = Server::new().await;
    let mut admin = server.browser();
    admin.login("admin", ADMIN_PASSWORD).await;
    // 250 rows, each with a problem (no such item), after a header.
    let mut csv = format!("{PASS_LIST_HEADER}\n");
    for n in 0..250u16 {
        let id = resident_id(
            n % 90 + 1,
            date(1970, 1, 1) + time::Duration::days(i64::from(n)),
        );
        csv.push_str(&format!("{},{id},XX-YY,2026-04-01,2026-04-20\n", name(n)));
    }
    let page = admin
        .upload(
            "/association/exchange/import",
            &[("file", "名单.csv", csv.as_bytes())],
            &[("kind", "qualifications"), ("mode", "all")],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    let shown = page.body.matches("不在评审项目目录中").count();
    assert_eq!(
        shown, 200,
        "the page shows the first 200 problems, once each"
    );
    assert!(
        page.has("以上为前 200 条问题，另有 50 条未显示"),
        "{}",
        page.body
    );
    assert!(
        page.has(&name(199)) && !page.has(&name(200)),
        "the first 200 rows in order"
    );
    let report = crate::exchange::report_download(&page);
    assert_eq!(report.lines().count(), 251, "the header and every problem");
    assert!(
        report.contains(&format!("251,{},item.unknown,", name(249))),
        "{report}"
    );
}

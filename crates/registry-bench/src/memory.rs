//! The memory proof (`cargo xtask proof`): the real `registry serve`, sent what used to
//! balloon it, must stay under [`CEILING_KIB`] of peak resident memory (`VmHWM` in
//! `/proc/PID/status`) and keep answering `/healthz` throughout:
//!
//! - a login of 400 MB with its CSRF token in a header, streamed (chunked), and another
//!   declaring 400 MB (both answered 413 at the body limit);
//! - a decompression bomb uploaded on 数据导入 by the association: an .xlsx of about 1 MB
//!   whose shared strings inflate to 1 GiB (refused before it is inflated);
//! - 1,000 logins with 1 MB usernames, ten clients at once (under the body limit: each is
//!   read, and refused: the login page again with its message, or a lockout).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use registry_store::DatabaseUrl;

use crate::harness::{CSRF, association_session, csrf_of, registry_binary, request, start};

/// The most the server may hold at its peak: 256 MiB.
pub(crate) const CEILING_KIB: u64 = 256 * 1024;

/// What the shared strings of the bomb inflate to.
const BOMB_BYTES: u64 = 1 << 30;

/// How long a health check may take while the server is under attack.
const HEALTH_LIMIT: Duration = Duration::from_secs(2);

/// The figures of a run.
#[derive(Debug)]
pub(crate) struct Figures {
    /// Resident memory once healthy, before anything is sent (KiB).
    pub(crate) started_kib: u64,
    /// The peak after each step (KiB): the 400 MB bodies, the bomb, the logins.
    pub(crate) peak_after: Vec<(&'static str, u64)>,
    /// Bytes of the streamed 400 MB body the server took before it answered.
    pub(crate) streamed_taken: u64,
    /// The bomb's size as uploaded.
    pub(crate) bomb_bytes: usize,
    /// The logins' statuses, counted.
    pub(crate) login_statuses: Vec<(u16, u32)>,
    /// Health checks made during the run, those that failed or were slower than
    /// [`HEALTH_LIMIT`], and the slowest.
    pub(crate) health_checks: u64,
    pub(crate) health_failures: u64,
    pub(crate) slowest_health: Duration,
}

fn memory_kib(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("{field} of process {pid}"))
}

/// Streams a chunked POST of `total` bytes until the server stops taking it; the status
/// and how many bytes were taken.
fn stream_body(addr: SocketAddr, path: &str, total: u64) -> Result<(u16, u64)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nCookie: registry_csrf={CSRF}\r\n\
         X-CSRF-Token: {CSRF}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes())?;
    let piece = vec![b'a'; 64 * 1024];
    let mut frame = format!("{:x}\r\n", piece.len()).into_bytes();
    frame.extend_from_slice(&piece);
    frame.extend_from_slice(b"\r\n");
    let mut sent = 0u64;
    while sent < total {
        if stream.write_all(&frame).is_err() {
            break;
        }
        sent += piece.len() as u64;
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let status = String::from_utf8_lossy(&response)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, sent))
}

/// A login as an HTTP client sends a large body: its head with `Expect: 100-continue`, and
/// the body only once the server asks for it. The status of the answer: the server's
/// refusal (413) arrives before the body is sent, so a refused body is never written into
/// a closed connection.
fn login_expecting(addr: SocketAddr, body: &[u8]) -> Result<u16> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: localhost\r\nCookie: registry_csrf={CSRF}\r\n\
         X-CSRF-Token: {CSRF}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    let status_of = |response: &[u8]| -> u16 {
        String::from_utf8_lossy(response)
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    };
    let mut first = [0u8; 1024];
    let read = stream.read(&mut first)?;
    let status = status_of(&first[..read]);
    if status != 100 {
        return Ok(status);
    }
    stream.write_all(body)?;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    // After "100 Continue" and its blank line, the final answer.
    let last = text.rsplit("HTTP/1.1 ").next().unwrap_or_default();
    Ok(last
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0))
}

/// Declares a POST of `length` bytes and sends a few: the status.
fn declare_body(addr: SocketAddr, path: &str, length: u64) -> Result<u16> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nCookie: registry_csrf={CSRF}\r\n\
         X-CSRF-Token: {CSRF}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {length}\r\n\r\nusername="
    );
    stream.write_all(head.as_bytes())?;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    Ok(String::from_utf8_lossy(&response)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0))
}

/// An .xlsx pass list (a header and one row) whose shared strings inflate to
/// [`BOMB_BYTES`], deflated at the best level: about 1 MB.
fn bomb() -> Result<Vec<u8>> {
    let header = ["姓名", "身份证号", "评审项目", "考核日期", "公布日期"];
    let row = vec![vec!["张三".to_owned()]];
    let book = registry_batch::table::write_table(
        registry_batch::table::Format::Xlsx,
        "名单",
        &header,
        &row,
    )?;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(book))?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for n in 0..archive.len() {
        let file = archive.by_index_raw(n)?;
        if file.name()? != "xl/sharedStrings.xml" {
            out.raw_copy_file(file)?;
        }
    }
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .large_file(true);
    out.start_file("xl/sharedStrings.xml", options)?;
    let string = format!("<si><t>{}</t></si>", "填".repeat(336));
    let count = BOMB_BYTES / string.len() as u64;
    out.write_all(
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}" uniqueCount="{count}">"#
        )
        .as_bytes(),
    )?;
    let block = string.repeat(1024);
    for _ in 0..count / 1024 {
        out.write_all(block.as_bytes())?;
    }
    out.write_all(b"</sst>")?;
    Ok(out.finish()?.into_inner())
}

/// Runs the memory proof in `dir`.
pub(crate) async fn proof(dir: &Path, logins: u32) -> Result<Figures> {
    let registry = registry_binary()?;
    let file = dir.join("memory.sqlite3");
    let url = DatabaseUrl::sqlite_file_url(&file);
    let catalogue =
        registry_core::fixtures::review_items().map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let calendar = registry_core::fixtures::calendar().map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let (store, _, _) = crate::register::prepare(&url, &catalogue, &calendar).await?;
    let admin = association_session(&store, &catalogue, &calendar).await?;
    let bomb = bomb()?;
    let (server, addr) = start(&registry, &url, &[])?;
    let pid = server.0.id();
    let started_kib = memory_kib(pid, "VmRSS:")?;

    // /healthz every 100 ms from its own thread, for the whole run.
    let running = Arc::new(AtomicBool::new(true));
    let checks = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let slowest = Arc::new(AtomicU64::new(0));
    let health = {
        let (running, checks, failures, slowest) = (
            Arc::clone(&running),
            Arc::clone(&checks),
            Arc::clone(&failures),
            Arc::clone(&slowest),
        );
        std::thread::spawn(move || {
            while running.load(Ordering::Relaxed) {
                let asked = Instant::now();
                let ok = matches!(
                    request(addr, "GET", "/healthz", "", &[], b""),
                    Ok((200, ..))
                );
                let took = asked.elapsed();
                checks.fetch_add(1, Ordering::Relaxed);
                if !ok || took > HEALTH_LIMIT {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                slowest.fetch_max(took.as_micros() as u64, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };

    let mut peak_after = Vec::new();
    let (status, streamed_taken) = stream_body(addr, "/login", 400_000_000)?;
    ensure!(status == 413, "the streamed 400 MB login: status {status}");
    let status = declare_body(addr, "/login", 400_000_000)?;
    ensure!(status == 413, "the declared 400 MB login: status {status}");
    peak_after.push(("400 MB bodies", memory_kib(pid, "VmHWM:")?));

    let (content_type, body) = crate::crash::multipart(&bomb);
    let (status, _, text) = request(
        addr,
        "POST",
        &format!("/association/exchange/import?csrf={}", csrf_of(&admin)),
        &admin,
        &[("Content-Type", &content_type)],
        &body,
    )?;
    ensure!(
        status == 422 && (text.contains("疑似压缩炸弹") || text.contains("文件过大")),
        "the bomb: status {status}"
    );
    peak_after.push(("decompression bomb", memory_kib(pid, "VmHWM:")?));

    let username = "a".repeat(1_000_000);
    let form = format!("username={username}&password=x");
    let statuses = Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
    let clients: Vec<_> = (0..10u32)
        .map(|_| {
            let form = form.clone();
            let statuses = Arc::clone(&statuses);
            std::thread::spawn(move || {
                for _ in 0..logins / 10 {
                    let status = login_expecting(addr, form.as_bytes()).unwrap_or(0);
                    if let Ok(mut counted) = statuses.lock() {
                        *counted.entry(status).or_insert(0u32) += 1;
                    }
                }
            })
        })
        .collect();
    for client in clients {
        let _ = client.join();
    }
    peak_after.push(("1,000 logins of 1 MB", memory_kib(pid, "VmHWM:")?));
    let healthy = matches!(
        request(addr, "GET", "/healthz", "", &[], b""),
        Ok((200, ..))
    );

    running.store(false, Ordering::Relaxed);
    let _ = health.join();
    drop(server);
    ensure!(healthy, "the server did not answer /healthz after the run");
    let login_statuses: Vec<(u16, u32)> = statuses
        .lock()
        .map(|s| s.iter().map(|(k, v)| (*k, *v)).collect())
        .unwrap_or_default();
    Ok(Figures {
        started_kib,
        peak_after,
        streamed_taken,
        bomb_bytes: bomb.len(),
        login_statuses,
        health_checks: checks.load(Ordering::Relaxed),
        health_failures: failures.load(Ordering::Relaxed),
        slowest_health: Duration::from_micros(slowest.load(Ordering::Relaxed)),
    })
}

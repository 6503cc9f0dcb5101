//! The outage proof (issue 9, `cargo xtask proof`): PostgreSQL is stopped under load and
//! started again, while the real `registry serve` keeps running.
//!
//! Eight clients request, in turn, `/healthz`, the public search page (each time from
//! another forwarded address), the public search API and an institution's workspace. After
//! 3 s the cluster is stopped (`pg_ctlcluster … stop -m fast`, which also cuts the open
//! connections), 6 s later it is started again. Checked:
//!
//! - before the stop every request answers 200;
//! - while the database is down every request answers 503 with the clear message (the page
//!   says 数据库暂时无法访问, the API's JSON has the code `unavailable`, `/healthz` says
//!   so to the load balancer), and none takes more than 3 s; except public searches the
//!   instance still has a cached answer for, which keep answering 200 from memory;
//! - no request anywhere answers 500 or loses its connection;
//! - after the start every request answers 200 again within seconds, from the same server
//!   process (no restart).

use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use registry_store::DatabaseUrl;

use crate::harness::{CSRF, load_people, registry_binary, request, session, start};

/// What a client saw.
#[derive(Clone)]
struct Sample {
    /// When the request started and ended, in seconds from the start of the load.
    started: f64,
    ended: f64,
    path: usize,
    /// The status, or `None` for a lost connection.
    status: Option<u16>,
    body: String,
}

/// The figures of the outage proof.
pub(crate) struct Outcome {
    pub before: usize,
    pub during: usize,
    /// Public searches answered from the cache while the database was down.
    pub cached: usize,
    pub during_worst_ms: f64,
    pub transition: usize,
    pub after: usize,
    pub recovered_after_s: f64,
}

fn cluster(action: &str) -> Result<()> {
    let variable = format!("REGISTRY_PROOF_PG_{}", action.to_ascii_uppercase());
    let status = match std::env::var(&variable) {
        Ok(command) => Command::new("sh").arg("-c").arg(&command).status()?,
        Err(_) => {
            let version = std::fs::read_dir("/etc/postgresql")
                .context("no /etc/postgresql: set REGISTRY_PROOF_PG_STOP and _START")?
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .max()
                .context("no PostgreSQL cluster in /etc/postgresql")?;
            let mut command = Command::new("pg_ctlcluster");
            command.args(["--skip-systemctl-redirect", &version, "main", action]);
            if action == "stop" {
                command.args(["-m", "fast"]);
            }
            command.status()?
        }
    };
    ensure!(status.success(), "PostgreSQL {action} failed");
    Ok(())
}

const PATHS: [&str; 4] = ["/healthz", "search page", "search API", "workspace"];

/// Runs the outage proof on the PostgreSQL database `url` (created empty by the caller).
pub(crate) async fn proof(url: &DatabaseUrl) -> Result<Outcome> {
    let registry = registry_binary()?;
    let catalogue =
        registry_core::fixtures::review_items().map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let calendar = registry_core::fixtures::calendar().map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let (store, institutions, cycle) = crate::register::prepare(url, &catalogue, &calendar).await?;
    let people = crate::register::synthetic(2_000, &catalogue, &institutions, cycle)?;
    load_people(&store, &people).await?;
    let name: String = people[0]
        .name
        .as_str()
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    let cookie: Arc<str> = session(&store, "inst1").await?.into();
    drop(store);

    let (server, addr) = start(&registry, url, &[("REGISTRY_TRUSTED_PROXY", "127.0.0.1")])?;
    let origin = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
    let visitor = Arc::new(AtomicU64::new(1));
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let stop = Arc::clone(&stop);
            let samples = Arc::clone(&samples);
            let visitor = Arc::clone(&visitor);
            let cookie = Arc::clone(&cookie);
            let name = name.clone();
            std::thread::spawn(move || {
                let mut turn = client;
                while !stop.load(Ordering::Relaxed) {
                    let path = turn % PATHS.len();
                    turn += 1;
                    let v = visitor.fetch_add(1, Ordering::Relaxed);
                    let forwarded = format!("10.{}.{}.{}", v >> 16 & 255, v >> 8 & 255, v & 255);
                    let started = origin.elapsed().as_secs_f64();
                    let answer = request_of(addr, path, &name, &cookie, &forwarded);
                    let ended = origin.elapsed().as_secs_f64();
                    let (status, body) = match answer {
                        Ok((status, _, body)) => (Some(status), body),
                        Err(e) => (None, e.to_string()),
                    };
                    if let Ok(mut list) = samples.lock() {
                        list.push(Sample {
                            started,
                            ended,
                            path,
                            status,
                            body,
                        });
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        })
        .collect();

    std::thread::sleep(Duration::from_secs(3));
    let stop_begin = origin.elapsed().as_secs_f64();
    cluster("stop")?;
    let stop_done = origin.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(6));
    let start_begin = origin.elapsed().as_secs_f64();
    let started = cluster("start");
    let start_done = origin.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(10));
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        let _ = client.join();
    }
    started?;
    let mut server = server;
    let alive = server.0.try_wait()?.is_none();
    drop(server);
    ensure!(alive, "the server exited during the outage");

    let samples = samples.lock().map(|l| l.clone()).unwrap_or_default();
    let lost: Vec<&Sample> = samples.iter().filter(|s| s.status.is_none()).collect();
    ensure!(
        lost.is_empty(),
        "{} requests lost their connection (first: {} at {:.2} s: {})",
        lost.len(),
        PATHS[lost[0].path],
        lost[0].started,
        lost[0].body
    );
    let failed: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.status.is_some_and(|c| c >= 500 && c != 503))
        .collect();
    ensure!(
        failed.is_empty(),
        "{} requests answered a server error other than 503 (first: {} {:?} at {:.2} s)",
        failed.len(),
        PATHS[failed[0].path],
        failed[0].status,
        failed[0].started
    );
    let before: Vec<&Sample> = samples.iter().filter(|s| s.ended < stop_begin).collect();
    ensure!(
        before.iter().all(|s| s.status == Some(200)),
        "a request failed before the database was stopped"
    );
    let during: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.started > stop_done && s.ended < start_begin)
        .collect();
    ensure!(
        !during.is_empty(),
        "no request ran while the database was down"
    );
    let mut cached = 0;
    for s in &during {
        // The public search may still answer from its cache (an answer it had): that is
        // the point of the cache, and needs no database.
        if matches!(s.path, 1 | 2) && s.status == Some(200) {
            cached += 1;
            continue;
        }
        ensure!(
            s.status == Some(503),
            "{} answered {:?} while the database was down",
            PATHS[s.path],
            s.status
        );
        let clear = match s.path {
            0 => s.body.contains("database unavailable"),
            2 => s.body.contains("\"unavailable\"") && s.body.contains("数据库暂时无法访问"),
            _ => s.body.contains("数据库暂时无法访问"),
        };
        ensure!(
            clear,
            "{} answered 503 without the message: {}",
            PATHS[s.path],
            s.body
        );
    }
    let during_worst = during
        .iter()
        .map(|s| s.ended - s.started)
        .fold(0.0, f64::max);
    ensure!(
        during_worst < 3.0,
        "a request took {during_worst:.1} s to say the database is down"
    );
    // Recovered: from the first request after which every request answered 200.
    let mut after: Vec<&Sample> = samples.iter().filter(|s| s.started > start_done).collect();
    after.sort_by(|a, b| a.started.total_cmp(&b.started));
    let last_bad = after.iter().rposition(|s| s.status != Some(200));
    let good = match last_bad {
        Some(i) => &after[i + 1..],
        None => &after[..],
    };
    ensure!(
        good.len() >= 20,
        "the server did not recover: {} good requests at the end",
        good.len()
    );
    let recovered_at = last_bad.map_or(start_done, |i| after[i].ended);
    let transition = samples.len() - before.len() - during.len() - good.len();
    Ok(Outcome {
        before: before.len(),
        during: during.len(),
        cached,
        during_worst_ms: during_worst * 1000.0,
        transition,
        after: good.len(),
        recovered_after_s: (recovered_at - start_done).max(0.0),
    })
}

fn request_of(
    addr: SocketAddr,
    path: usize,
    name: &str,
    cookie: &str,
    forwarded: &str,
) -> std::io::Result<(u16, String, String)> {
    let csrf_cookie = format!("registry_csrf={CSRF}");
    match path {
        0 => request(addr, "GET", "/healthz", "", &[], b""),
        1 => request(
            addr,
            "GET",
            &format!("/search?by=name&q={name}"),
            &csrf_cookie,
            &[("X-Forwarded-For", forwarded)],
            b"",
        ),
        2 => request(
            addr,
            "GET",
            &format!("/api/v1/public/people?by=name&q={name}"),
            "",
            &[("X-Forwarded-For", forwarded)],
            b"",
        ),
        _ => request(addr, "GET", "/institution", cookie, &[], b""),
    }
}

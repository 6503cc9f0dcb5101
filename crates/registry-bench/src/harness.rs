//! What the proofs share (`cargo xtask proof`): the real `registry serve` binary started on
//! a database and killed with SIGKILL when dropped, raw HTTP/1.1 requests, sessions minted
//! in the database as a login would, and a synthetic register loaded in one go.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use registry_core::access::PasswordHash;
use registry_core::ports::{Actor, AuditRecord, Entity, Snapshot};
use registry_core::usecases::CreateAssociationAccount;
use registry_store::bulk::BulkPerson;
use registry_store::sessions::SessionSubject;
use registry_store::{DatabaseUrl, Store};

use crate::register::{KEY, now};

/// The CSRF token the clients repeat (double-submit: cookie and header).
pub(crate) const CSRF: &str = "c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5";

/// The server, killed with SIGKILL when dropped.
pub(crate) struct Server(pub(crate) Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn registry_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe
        .parent()
        .context("the bench's directory")?
        .join("registry");
    ensure!(
        path.is_file(),
        "{} is missing: build it first (cargo build --release -p registry-cli)",
        path.display()
    );
    Ok(path)
}

pub(crate) fn start(
    registry: &Path,
    url: &DatabaseUrl,
    env: &[(&str, &str)],
) -> Result<(Server, SocketAddr)> {
    let addr = free_address()?;
    Ok((start_on(registry, url, env, addr)?, addr))
}

/// A loopback address with a port nobody listens on.
pub(crate) fn free_address() -> Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// Starts `registry serve` on `addr` and waits until it answers `/healthz`.
pub(crate) fn start_on(
    registry: &Path,
    url: &DatabaseUrl,
    env: &[(&str, &str)],
    addr: SocketAddr,
) -> Result<Server> {
    let child = Command::new(registry)
        .args(["serve", "--database", &url.to_string(), "--bind"])
        .arg(addr.to_string())
        .env("REGISTRY_DATA_KEY", KEY)
        .env("RUST_LOG", "error")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start registry serve")?;
    let server = Server(child);
    let started = Instant::now();
    loop {
        if let Ok((200, ..)) = request(addr, "GET", "/healthz", "", &[], b"") {
            return Ok(server);
        }
        ensure!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not become healthy"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One HTTP/1.1 request on a connection of its own: the status, the response's head and
/// its body.
pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !cookie.is_empty() {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let (head, rest) = text.split_once("\r\n\r\n").ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the response ended early",
        )
    })?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no status"))?;
    Ok((status, head.to_owned(), rest.to_owned()))
}

/// A session for the account `username`, minted in the database as a login would.
pub(crate) async fn session(store: &Store, username: &str) -> Result<String> {
    let username =
        registry_core::access::Username::parse(username).map_err(|e| anyhow::anyhow!("{e}"))?;
    let account = store
        .account_by_username(&username)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .context("the account")?;
    let token = registry_http::secrets::new_token().map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .create_session(
            &registry_http::secrets::token_hash(&token),
            SessionSubject::Account(account.id),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let csrf = registry_http::secrets::session_csrf_token(&token);
    Ok(format!("registry_session={token}; registry_csrf={csrf}"))
}

/// The CSRF token a cookie string carries (a minted session's is bound to the session;
/// an anonymous visitor's is [`CSRF`]).
pub(crate) fn csrf_of(cookie: &str) -> String {
    cookie
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "registry_csrf")
        .map_or_else(|| CSRF.to_owned(), |(_, value)| value.to_owned())
}

/// Loads `people` into the register in one go (as the bench's bulk load does).
pub(crate) async fn load_people(store: &Store, people: &[BulkPerson]) -> Result<()> {
    let audit = AuditRecord {
        at: now(),
        actor: Actor::System {
            job: "proof".into(),
        },
        action: "import.bulk",
        entity: Entity::Person,
        entity_id: 0,
        person: None,
        before: None,
        after: Some(Snapshot::default().with("people", people.len())),
    };
    store
        .bulk_load(people, &audit)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// An association account `proofadmin` (its password and second factor already chosen) and
/// a session of it.
pub(crate) async fn association_session(
    store: &Store,
    catalogue: &registry_core::review_item::ReviewItemCatalogue,
    calendar: &registry_core::calendar::WorkCalendar,
) -> Result<String> {
    crate::register::run(
        store,
        catalogue,
        calendar,
        CreateAssociationAccount {
            username: "proofadmin".into(),
            duty: registry_core::access::Duty::System,
            password: PasswordHash::new("$argon2id$proof".into()),
            must_change_password: false,
        },
    )
    .await?;
    // An administrator needs a second factor before anything else: this one has set it
    // up (the proof's sessions are made in the database, past the login's code).
    let account = store
        .account_by_username(&registry_core::access::Username::parse("proofadmin")?)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| anyhow::anyhow!("no proofadmin"))?;
    crate::register::run(
        store,
        catalogue,
        calendar,
        registry_core::usecases::EnrolSecondFactor {
            account: account.id,
            factor: registry_core::access::SecondFactor {
                secret: vec![7; 20],
                recovery_hashes: vec![],
            },
        },
    )
    .await?;
    session(store, "proofadmin").await
}

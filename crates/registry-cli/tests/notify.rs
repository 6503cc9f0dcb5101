//! `registry sweep` and `registry notify` against a real SMTP server on loopback (Python's
//! aiosmtpd, `tests/smtp_server.py`, installed by `.ci/run`), over the living demo
//! register built for the test: the digests delivered are exactly those the outbox holds,
//! one per recipient; two `notify` processes at once deliver each once; the sweep and
//! `notify` run again deliver nothing new; the server refusing a recipient leaves that
//! digest queued with the server's answer; no message holds an ID number or a mobile.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use registry_core::ports::{Actor, RegisterTx};
use registry_core::reminder::{DigestState, Recipient, ReminderKind};
use registry_store::{DataKey, DatabaseUrl, Store};

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "registry-cli-notify-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(dir.join("mail")).unwrap();
        Dir(dir)
    }

    fn url(&self) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            self.0.join("registry.sqlite3").display()
        )
    }

    fn mail(&self) -> PathBuf {
        self.0.join("mail")
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The SMTP server, stopped when dropped (its standard input closed).
struct SmtpServer {
    child: Child,
    port: u16,
}

impl SmtpServer {
    fn start(out: &Path) -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "ready",
            "the SMTP server starts (aiosmtpd installed: `python3 -m pip install aiosmtpd`, as .ci/run does)"
        );
        SmtpServer { child, port }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn registry(dir: &Dir, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_registry"));
    command
        .args(args)
        .current_dir(&dir.0)
        .env("DATABASE_URL", dir.url())
        .env("REGISTRY_DATA_KEY", KEY)
        .env_remove("REGISTRY_DATA_KEY_FILE")
        .env_remove("REGISTRY_SMTP_URL")
        .env_remove("REGISTRY_MAIL_FROM")
        .env_remove("REGISTRY_ASSOCIATION_EMAIL")
        .env_remove("REGISTRY_PUBLIC_URL")
        .env_remove("REGISTRY_SMS");
    command
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn store(dir: &Dir) -> Store {
    Store::connect(
        &DatabaseUrl::parse(&dir.url()).unwrap(),
        DataKey::from_hex(KEY).unwrap(),
    )
    .await
    .unwrap()
}

/// The demo register of today, with one institution that will be told something given
/// an address the server refuses; returns that address.
fn build_register(dir: &Dir) -> String {
    runtime().block_on(async {
        let store = store(dir).await;
        store.migrate().await.unwrap();
        let state = registry_http::AppState::load(
            store.clone(),
            registry_http::Config::default(),
            std::sync::Arc::new(registry_http::SystemClock),
        )
        .await
        .unwrap();
        registry_http::demo::load(&state, state.today())
            .await
            .unwrap();
        let actor = Actor::System { job: "test".into() };
        let calendar = state.calendar();
        let setting = state.batch(&actor, &calendar);
        let due = registry_batch::reminders::decide(
            &setting,
            &registry_batch::reminders::ReminderSetup::default(),
        )
        .await
        .unwrap();
        let institution = due
            .iter()
            .find_map(|r| match r.recipient {
                Recipient::Institution(id) => Some(id),
                _ => None,
            })
            .expect("an institution is told something today");
        let version = {
            let mut read = store.begin_read().await.unwrap();
            read.institution(institution)
                .await
                .unwrap()
                .unwrap()
                .version
        };
        let refused = format!("refuse-{}@example.cn", institution.get());
        let context = registry_core::usecases::Context {
            now: setting.now,
            actor: actor.clone(),
            catalogue: &state.catalogue,
            calendar: &calendar,
            entropy: &registry_http::secrets::OsEntropy,
        };
        registry_core::usecases::execute(
            &store,
            &context,
            &registry_core::usecases::ChangeReminderSettings {
                institution,
                email: refused.clone(),
                wanted: ReminderKind::FOR_INSTITUTION.to_vec(),
                version,
            },
        )
        .await
        .unwrap();
        refused
    })
}

/// The messages the server accepted: (envelope recipients, decoded text).
fn received(dir: &Dir) -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.mail())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            let to = text
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("To: "))
                .unwrap_or_default()
                .to_owned();
            (to, text)
        })
        .collect()
}

fn has_digit_run(text: &str, n: usize) -> bool {
    let mut run = 0;
    text.chars().any(|c| {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        run >= n
    })
}

#[test]
fn the_sweep_and_notify_deliver_each_digest_once_through_a_real_smtp_server() {
    let dir = Dir::new();
    let refused = build_register(&dir);
    let server = SmtpServer::start(&dir.mail());
    let smtp = format!("smtp://127.0.0.1:{}", server.port);
    let mail_args = [
        "--smtp",
        smtp.as_str(),
        "--mail-from",
        "注册系统 <noreply@registry.example.cn>",
        "--public-url",
        "https://registry.example.cn",
    ];
    let swept = registry(
        &dir,
        &[
            "sweep",
            "--association-email",
            "duty@association.example.cn",
        ],
    )
    .output()
    .unwrap();
    assert!(swept.status.success(), "{}", text(&swept));
    assert!(text(&swept).contains("新写入发件箱"), "{}", text(&swept));
    // Who the outbox holds reminders for, before anything is sent.
    let expected: std::collections::BTreeSet<Recipient> = runtime().block_on(async {
        store(&dir)
            .await
            .waiting_reminders(100_000)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.recipient)
            .collect()
    });
    assert!(expected.contains(&Recipient::Association));
    let preview = registry(
        &dir,
        &[
            "notify",
            "--dry-run",
            "--public-url",
            "https://registry.example.cn",
        ],
    )
    .output()
    .unwrap();
    assert!(preview.status.success(), "{}", text(&preview));
    assert!(text(&preview).contains("试运行"));
    assert!(received(&dir).is_empty(), "a dry run sends nothing");
    // Two senders at once.
    let notify = || {
        let mut args = vec!["notify"];
        args.extend_from_slice(&mail_args);
        registry(&dir, &args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (one, two) = (notify(), notify());
    for child in [one, two] {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", text(&output));
    }
    let mail = received(&dir);
    let mut to: Vec<String> = mail.iter().map(|(to, _)| to.clone()).collect();
    to.sort();
    let total = to.len();
    to.dedup();
    assert_eq!(to.len(), total, "each digest once: {to:?}");
    let delivered: std::collections::BTreeSet<String> = to.into_iter().collect();
    // One digest per recipient the outbox held reminders for, each sent to the address
    // recorded now, except the one the server refused.
    let digests =
        runtime().block_on(async { store(&dir).await.digests(None, 1000).await.unwrap() });
    let recipients: Vec<Recipient> = digests.iter().map(|d| d.recipient).collect();
    assert_eq!(recipients.len(), expected.len(), "{digests:?}");
    assert_eq!(
        recipients
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>(),
        expected
    );
    let sent: std::collections::BTreeSet<String> = digests
        .iter()
        .filter(|d| d.state == DigestState::Sent)
        .map(|d| d.address.clone())
        .collect();
    assert_eq!(delivered, sent, "exactly the digests marked sent");
    assert!(!delivered.contains(&refused));
    for (to, body) in &mail {
        assert!(
            !has_digit_run(body, 11),
            "a long number in the mail to {to}: {body}"
        );
        assert!(body.contains("https://registry.example.cn/"), "{body}");
        assert!(body.contains("特种设备鉴定评审人员注册系统"), "{body}");
    }
    let association = &mail
        .iter()
        .find(|(to, _)| to == "duty@association.example.cn")
        .unwrap()
        .1;
    assert!(association.contains("逾期未发放"), "{association}");
    // The refused recipient's digest waits, with the server's answer.
    let queued = runtime().block_on(async {
        store(&dir)
            .await
            .digests(Some(DigestState::Queued), 100)
            .await
            .unwrap()
    });
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].address, refused);
    assert!(
        queued[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("550"),
        "{queued:?}"
    );
    // The sweep and notify again: nothing new.
    let again = registry(
        &dir,
        &[
            "sweep",
            "--again",
            "--association-email",
            "duty@association.example.cn",
        ],
    )
    .output()
    .unwrap();
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        text(&again).contains("新写入发件箱 0 条"),
        "{}",
        text(&again)
    );
    let mut args = vec!["notify"];
    args.extend_from_slice(&mail_args);
    let last = registry(&dir, &args).output().unwrap();
    assert!(last.status.success(), "{}", text(&last));
    assert_eq!(received(&dir).len(), mail.len(), "nothing delivered twice");
}

#[test]
fn notify_needs_a_mail_server_and_the_sites_address() {
    let dir = Dir::new();
    let without_url = registry(&dir, &["notify", "--smtp", "smtp://127.0.0.1:25"])
        .output()
        .unwrap();
    assert_eq!(without_url.status.code(), Some(2), "{}", text(&without_url));
    assert!(text(&without_url).contains("--public-url"));
    let without_smtp = registry(
        &dir,
        &["notify", "--public-url", "https://registry.example.cn"],
    )
    .output()
    .unwrap();
    assert_eq!(without_smtp.status.code(), Some(2));
    assert!(text(&without_smtp).contains("未设置邮件服务器"));
    let without_sender = registry(
        &dir,
        &[
            "notify",
            "--smtp",
            "smtp://127.0.0.1:25",
            "--public-url",
            "https://x.example.cn",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(without_sender.status.code(), Some(2));
    assert!(text(&without_sender).contains("--mail-from"));
}

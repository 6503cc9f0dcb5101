//! Reminders over the living demo: the sweep keeps each reminder once (again and again),
//! one digest a day per recipient, never an ID number or a mobile in it; a digest the
//! mail server refuses is tried again, then marked failed and shown on 发件箱 with the
//! server's answer, and sent again from there; two senders at once send each digest once;
//! an institution chooses what it gets and an assessor opts out.

use std::sync::Mutex;

use registry_batch::reminders::{ReminderSetup, queue};
use registry_core::access::Duty;
use registry_core::person::Email;
use registry_core::ports::Actor;
use registry_core::reminder::{Channel, DeliveryPolicy, Recipient};
use registry_http::Config;
use registry_notify::{Delivery, LoggingTexts, Mail, Mailer, Refusal, deliver};

use crate::support::*;

/// A mail server in memory: it keeps what it accepts, or refuses everything.
#[derive(Default)]
struct MailServer {
    accepted: Mutex<Vec<(String, Mail)>>,
    refuse: Option<String>,
}

impl Mailer for MailServer {
    async fn send(&self, to: &str, mail: &Mail) -> Result<(), Refusal> {
        if let Some(answer) = &self.refuse {
            return Err(Refusal(answer.clone()));
        }
        self.accepted
            .lock()
            .unwrap()
            .push((to.to_owned(), mail.clone()));
        Ok(())
    }
}

impl MailServer {
    fn taken(&self) -> Vec<(String, Mail)> {
        std::mem::take(&mut *self.accepted.lock().unwrap())
    }
}

fn setup() -> ReminderSetup {
    ReminderSetup {
        association: Email::parse("duty@association.example.cn"),
        sms: false,
    }
}

fn delivery(policy: DeliveryPolicy) -> Delivery {
    Delivery {
        site: "https://registry.example.cn".to_owned(),
        policy,
        most: 1000,
    }
}

fn configured() -> Config {
    Config {
        mail: registry_http::MailStatus {
            smtp: true,
            association: Some("duty@association.example.cn".to_owned()),
            sms_logged: false,
        },
        ..test_config()
    }
}

async fn demo(config: Config) -> (Server, registry_http::demo::DemoLogins) {
    let today = registry_core::date::china_today(time::OffsetDateTime::now_utc());
    let server = Server::empty(config, today).await;
    let logins = registry_http::demo::load(&server.state, today)
        .await
        .expect("the demo loads");
    (server, logins)
}

/// The reminders due on the server's day, decided without keeping them.
async fn decide_today(server: &Server) -> Vec<registry_core::reminder::Reminder> {
    let actor = Actor::System {
        job: "sweep".into(),
    };
    let calendar = server.state.calendar();
    registry_batch::reminders::decide(&server.state.batch(&actor, &calendar), &setup())
        .await
        .unwrap()
}

async fn sweep_reminders(server: &Server) -> registry_batch::reminders::Queued {
    let actor = Actor::System {
        job: "sweep".into(),
    };
    let calendar = server.state.calendar();
    queue(&server.state.batch(&actor, &calendar), &setup())
        .await
        .expect("the reminders are decided and kept")
}

/// Whether `text` holds a run of `n` digits or more (a mobile has 11, an ID number 17 or
/// 18; dates are written with hyphens).
fn has_digit_run(text: &str, n: usize) -> bool {
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run >= n {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn the_demo_gets_one_digest_per_recipient_once_without_an_id_number_or_a_mobile() {
    let (server, _) = demo(configured()).await;
    // The demo kept today's reminders, as last night's sweep would have: the sweep of
    // the same day adds nothing, however often it runs.
    let first = sweep_reminders(&server).await;
    assert!(first.due > 0, "the demo has reminders due: {first:?}");
    assert_eq!(first.added, 0);
    assert_eq!(sweep_reminders(&server).await.added, 0);
    let waiting = server.store.waiting_reminders(10_000).await.unwrap();
    let kinds: std::collections::BTreeSet<String> = waiting
        .iter()
        .map(|r| r.milestone.kind.code().to_owned())
        .collect();
    for expected in [
        "registration_ending",
        "document_overdue",
        "awaiting_registration",
    ] {
        assert!(kinds.contains(expected), "{expected} in {kinds:?}");
    }
    assert!(
        waiting
            .iter()
            .any(|r| matches!(r.recipient, Recipient::Institution(_))),
        "institutions are told"
    );
    let mail = MailServer::default();
    let policy = DeliveryPolicy::default();
    let now = server.state.clock.now();
    let done = deliver(
        &server.store,
        &mail,
        &LoggingTexts,
        &delivery(policy.clone()),
        now,
    )
    .await
    .unwrap();
    let sent = mail.taken();
    assert!(!sent.is_empty());
    assert_eq!(done.sent.len(), sent.len());
    // One digest per recipient address and day, grouping every reminder of theirs.
    let mut addresses: Vec<&str> = sent.iter().map(|(to, _)| to.as_str()).collect();
    addresses.sort_unstable();
    let before = addresses.len();
    addresses.dedup();
    assert_eq!(before, addresses.len(), "one digest each: {addresses:?}");
    assert!(addresses.contains(&"duty@association.example.cn"));
    for (to, m) in &sent {
        for part in [&m.subject, &m.text, &m.html] {
            assert!(
                !has_digit_run(part, 11),
                "a long number in the mail to {to}: {part}"
            );
        }
        assert!(
            m.text.contains("https://registry.example.cn/"),
            "{}",
            m.text
        );
        assert!(m.html.contains("<table"), "a table: {}", m.html);
    }
    // Nothing waits any more; a second round, the sweep again: nothing sent.
    assert!(server.store.waiting_reminders(10).await.unwrap().is_empty());
    assert_eq!(sweep_reminders(&server).await.added, 0);
    let again = deliver(&server.store, &mail, &LoggingTexts, &delivery(policy), now)
        .await
        .unwrap();
    assert!(again.sent.is_empty() && mail.taken().is_empty());
    // The outbox page lists them as sent.
    let mut admin = server.administrator(Duty::System, "xitong").await;
    let page = admin.get("/association/outbox?state=sent").await;
    assert!(page.has("已发送"), "{}", page.body);
    assert!(page.has("duty@association.example.cn"));
}

#[tokio::test]
async fn two_senders_at_once_send_each_digest_once() {
    let (server, _) = demo(configured()).await;
    two_senders(&server).await;
}

/// The same over PostgreSQL (`REGISTRY_TEST_DATABASE_URL`, which `.ci/run` sets).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_two_senders_at_once_send_each_digest_once() {
    let Some(db) = PgDatabase::create().await else {
        eprintln!("no REGISTRY_TEST_DATABASE_URL: the PostgreSQL half is not run");
        return;
    };
    let today = registry_core::date::china_today(time::OffsetDateTime::now_utc());
    let server = Server::empty_on_postgres(&db.url, configured(), today).await;
    registry_http::demo::load(&server.state, today)
        .await
        .unwrap();
    two_senders(&server).await;
    drop(server);
}

async fn two_senders(server: &Server) {
    sweep_reminders(server).await;
    let beside = server.beside().await;
    let (a, b) = (MailServer::default(), MailServer::default());
    let now = server.state.clock.now();
    let plan = delivery(DeliveryPolicy::default());
    let (one, two) = tokio::join!(
        deliver(&server.store, &a, &LoggingTexts, &plan, now),
        deliver(&beside.store, &b, &LoggingTexts, &plan, now),
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    let mut all: Vec<String> = a
        .taken()
        .into_iter()
        .chain(b.taken())
        .map(|(to, _)| to)
        .collect();
    assert_eq!(all.len(), one.sent.len() + two.sent.len());
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), total, "no digest went twice");
    assert!(total > 1);
}

#[tokio::test]
async fn a_refused_digest_is_tried_again_then_marked_failed_and_sent_again_from_the_page() {
    let (server, _) = demo(configured()).await;
    sweep_reminders(&server).await;
    let answer = "550 5.1.1 mailbox unavailable";
    let refusing = MailServer {
        refuse: Some(answer.to_owned()),
        ..MailServer::default()
    };
    let policy = DeliveryPolicy {
        max_attempts: 2,
        first_retry: time::Duration::minutes(5),
        ..DeliveryPolicy::default()
    };
    let now = server.state.clock.now();
    let first = deliver(
        &server.store,
        &refusing,
        &LoggingTexts,
        &delivery(policy.clone()),
        now,
    )
    .await
    .unwrap();
    assert!(first.sent.is_empty() && first.failed.is_empty());
    assert!(!first.refused.is_empty());
    let mut admin = server.administrator(Duty::System, "xitong").await;
    let page = admin.get("/association/outbox?state=queued").await;
    assert!(
        page.has(answer),
        "the server's answer is shown: {}",
        page.body
    );
    // Before its time, nothing is tried; after it, the last attempt fails it.
    let early = deliver(
        &server.store,
        &refusing,
        &LoggingTexts,
        &delivery(policy.clone()),
        now,
    )
    .await
    .unwrap();
    assert!(early.refused.is_empty() && early.failed.is_empty());
    server.clock.advance(time::Duration::minutes(6));
    let later = server.state.clock.now();
    let last = deliver(
        &server.store,
        &refusing,
        &LoggingTexts,
        &delivery(policy.clone()),
        later,
    )
    .await
    .unwrap();
    assert_eq!(last.failed.len(), first.refused.len());
    let failed = server
        .store
        .digests(Some(registry_core::reminder::DigestState::Failed), 100)
        .await
        .unwrap();
    assert_eq!(failed.len(), first.refused.len());
    let home = admin.get("/association").await;
    assert!(home.has("封提醒邮件发送失败"), "{}", home.body);
    let page = admin.get("/association/outbox?state=failed").await;
    assert!(page.has("发送失败") && page.has(answer));
    // 重新发送 from the digest's page: queued again, sent by the next round.
    let digest = failed
        .iter()
        .find(|d| d.recipient == Recipient::Association)
        .expect("the association's digest failed");
    let detail = admin
        .get(&format!("/association/outbox/{}", digest.id))
        .await;
    assert!(
        detail.has("重新发送") && detail.has("逾期"),
        "{}",
        detail.body
    );
    admin
        .post(&format!("/association/outbox/{}/resend", digest.id), &[])
        .await;
    let good = MailServer::default();
    let resent = deliver(
        &server.store,
        &good,
        &LoggingTexts,
        &delivery(policy),
        later,
    )
    .await
    .unwrap();
    assert_eq!(resent.sent.len(), 1);
    assert_eq!(good.taken()[0].0, "duty@association.example.cn");
    let again = admin
        .post(&format!("/association/outbox/{}/resend", digest.id), &[])
        .await;
    assert!(
        !again.has("未能重新发送"),
        "a sent digest can be sent again"
    );
    let mut auditor = server.administrator(Duty::Audit, "chayue9").await;
    let log = auditor.get("/association/audit").await;
    assert!(log.has("重新发送提醒邮件"), "{}", log.body);
}

#[tokio::test]
async fn an_institution_chooses_its_reminders_and_an_assessor_opts_out() {
    let (server, logins) = demo(configured()).await;
    let due = decide_today(&server).await;
    let (institution, person) = due
        .iter()
        .find_map(|r| match r.recipient {
            Recipient::Institution(id) if r.milestone.kind.code() == "registration_ending" => {
                let person = due.iter().find_map(|p| match p.recipient {
                    Recipient::Person(person)
                        if p.subject == r.subject && p.channel == Channel::Email =>
                    {
                        Some(person)
                    }
                    _ => None,
                });
                Some((id, person))
            }
            _ => None,
        })
        .expect("the demo has a registration ending, told to its institution");
    let username = server
        .store
        .institutions()
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.institution.id == institution)
        .and_then(|i| i.username)
        .expect("the institution has an account");
    let password = logins
        .accounts
        .iter()
        .find(|(u, ..)| *u == username)
        .map(|(_, p, _)| p.clone())
        .expect("the demo prints the institution's password");
    let mut browser = server.browser();
    browser.login(&username, &password).await;
    let page = browser.get("/institution/reminders").await;
    assert!(
        page.has("联系邮箱") && page.has("注册即将到期"),
        "{}",
        page.body
    );
    let version = page
        .between("name=\"version\" value=\"", "\"")
        .expect("the form carries the version");
    // A bad address is refused and nothing changes.
    let refused = browser
        .post(
            "/institution/reminders",
            &[
                ("email", "not-an-address"),
                ("version", &version),
                ("kinds", "fill_in_incomplete"),
            ],
        )
        .await;
    assert!(refused.has("name@example.com"), "{}", refused.body);
    let saved = browser
        .post(
            "/institution/reminders",
            &[
                ("email", "hr@changed.example.cn"),
                ("version", &version),
                ("kinds", "fill_in_incomplete"),
            ],
        )
        .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/institution/reminders?saved=1")
    );
    let shown = browser.get("/institution/reminders?saved=1").await;
    assert!(
        shown.has("已保存") && shown.has("hr@changed.example.cn"),
        "{}",
        shown.body
    );
    let after = decide_today(&server).await;
    for r in after
        .iter()
        .filter(|r| r.recipient == Recipient::Institution(institution))
    {
        assert_eq!(r.milestone.kind.code(), "fill_in_incomplete", "{r:?}");
        assert_eq!(r.address, "hr@changed.example.cn");
    }
    // The assessor turns their own reminders off through the use case the page runs.
    if let Some(person) = person {
        let calendar = server.state.calendar();
        let context = registry_core::usecases::Context {
            now: server.state.clock.now(),
            actor: Actor::Assessor {
                person,
                via: institution,
            },
            catalogue: &server.state.catalogue,
            calendar: &calendar,
            entropy: &registry_http::secrets::OsEntropy,
        };
        registry_core::usecases::execute(
            &server.store,
            &context,
            &registry_core::usecases::ChangeOwnReminders {
                person,
                receive: false,
            },
        )
        .await
        .unwrap();
        let last = decide_today(&server).await;
        assert!(
            !last
                .iter()
                .any(|r| r.recipient == Recipient::Person(person))
        );
    }
    // What the demo had kept before the changes goes out as they now say: the
    // institution's kinds turned off are not sent, the rest to its new address; nothing
    // to the person who opted out.
    let mail = MailServer::default();
    deliver(
        &server.store,
        &mail,
        &LoggingTexts,
        &delivery(DeliveryPolicy::default()),
        server.state.clock.now(),
    )
    .await
    .unwrap();
    let sent = mail.taken();
    assert!(!sent.is_empty());
    let digests = server.store.digests(None, 1000).await.unwrap();
    for d in digests
        .iter()
        .filter(|d| d.recipient == Recipient::Institution(institution))
    {
        assert_eq!(d.address, "hr@changed.example.cn");
    }
    for (to, m) in &sent {
        if to == "hr@changed.example.cn" {
            assert!(!m.text.contains("注册即将到期"), "{}", m.text);
        }
    }
    if let Some(person) = person {
        assert!(
            !digests
                .iter()
                .any(|d| d.recipient == Recipient::Person(person)),
            "the person who opted out gets nothing"
        );
    }
}

#[tokio::test]
async fn in_a_cycles_last_months_people_and_institutions_are_told_of_renewal_and_hours_short() {
    // The demo of 2024-11-15: the 换证 window of 2021—2024 opened on 2024-10-01, the
    // hours-short one on 2024-07-01; the demo has someone short of hours.
    let day = date(2024, 11, 15);
    let server = Server::empty(configured(), day).await;
    let logins = registry_http::demo::load(&server.state, day).await.unwrap();
    let due = decide_today(&server).await;
    let of = |kind: &str| -> Vec<&registry_core::reminder::Reminder> {
        due.iter()
            .filter(|r| r.milestone.kind.code() == kind)
            .collect()
    };
    let window = of("renewal_window");
    assert!(
        window
            .iter()
            .any(|r| matches!(r.recipient, Recipient::Person(_)))
            && window
                .iter()
                .any(|r| matches!(r.recipient, Recipient::Institution(_))),
        "{window:?}"
    );
    assert!(
        window
            .iter()
            .all(|r| r.row.note.starts_with("换证申请已开始（至 2024-12-31）"))
    );
    let short = of("hours_short");
    let (name, ..) = logins
        .assessors
        .iter()
        .find(|a| a.3.contains("换证尚差"))
        .expect("the demo has someone short of hours");
    let theirs: Vec<_> = short.iter().filter(|r| r.row.who == *name).collect();
    assert!(!theirs.is_empty(), "{name} is told: {short:?}");
    assert!(
        theirs.iter().all(|r| r.row.note.contains("尚差")
            && (r.row.note.contains("可参加：") || r.row.note.contains("近期暂无"))),
        "{theirs:?}"
    );
    // Each subject once per recipient and channel: kept once whatever runs the sweep.
    let mut keys: Vec<_> = due.iter().map(|r| r.key()).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n);
}

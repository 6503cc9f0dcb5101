//! Reminders delivered: the outbox's daily digests rendered in Chinese (a text and an
//! HTML part, with the register's own links) and sent by e-mail over SMTP (`lettre`,
//! rustls), or by text message through a [`TextSender`] (only a logging one ships: ready
//! for a provider's HTTP API, nothing sent by default).
//!
//! [`deliver`] gathers the reminders waiting into today's digests, then takes them one at
//! a time (a taken digest is leased: two senders never take the same one), sends each and
//! marks it sent, or refused with the server's answer and the time of the next attempt
//! (the core's `DeliveryPolicy`), or failed. A sender killed between the server's
//! acceptance and the mark leaves the digest to be sent again once its lease ends: a
//! digest may, rarely, arrive twice, never not at all.
//!
//! No e-mail carries an ID number, a phone or an address: the rows are the core's
//! `ReminderRow`s, names and items only.

mod render;

use std::collections::BTreeMap;
use std::future::Future;

use registry_core::date::china_today;
use registry_core::ports::StoreError;
use registry_core::reminder::{Channel, DeliveryPolicy, Recipient};
use registry_store::Store;
use registry_store::outbox::{DigestToSend, QueuedReminder};
use time::OffsetDateTime;

pub use render::{Mail, render};

/// Why a message was not accepted: the server's (or provider's) answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

/// Sends e-mail.
pub trait Mailer: Send + Sync {
    /// Sends one message to `to`.
    fn send(&self, to: &str, mail: &Mail) -> impl Future<Output = Result<(), Refusal>> + Send;
}

/// Sends text messages.
pub trait TextSender: Send + Sync {
    /// Sends one text to the mobile `to`.
    fn send(&self, to: &str, text: &str) -> impl Future<Output = Result<(), Refusal>> + Send;
}

/// A text sender that only writes each message to the log (the number masked): the
/// default, until a provider's API is configured.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoggingTexts;

impl TextSender for LoggingTexts {
    async fn send(&self, to: &str, text: &str) -> Result<(), Refusal> {
        let masked: String = to
            .chars()
            .enumerate()
            .map(|(i, c)| if (3..7).contains(&i) { '*' } else { c })
            .collect();
        tracing::info!(target: "registry::sms", to = masked.as_str(), text, "短信（仅记录，未发送）");
        Ok(())
    }
}

/// E-mail over SMTP.
#[derive(Clone)]
pub struct SmtpMailer {
    url: String,
    from: lettre::message::Mailbox,
    /// Built at the first message, inside the runtime (its pool of connections is a task
    /// of the runtime).
    transport:
        std::sync::Arc<std::sync::OnceLock<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>>>,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .finish()
    }
}

/// A problem with the mail settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// The SMTP address could not be read.
    #[error(
        "SMTP 地址无法识别（应形如 smtp://用户名:密码@主机:587?tls=required 或 smtps://…:465）：{0}"
    )]
    Url(String),
    /// The sender address could not be read.
    #[error("发件人地址无法识别：{0}")]
    From(String),
}

/// How long one exchange with the mail server may take.
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl SmtpMailer {
    /// A mailer for `url` sending as `from`: `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS required), `smtps://user:pass@host:465` (TLS from the start); a plain
    /// `smtp://host:port` sends unencrypted (only for a relay on the same machine).
    pub fn new(url: &str, from: &str) -> Result<SmtpMailer, SetupError> {
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
            .map_err(|e| SetupError::Url(e.to_string()))?;
        let from = from
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| SetupError::From(e.to_string()))?;
        Ok(SmtpMailer {
            url: url.to_owned(),
            from,
            transport: std::sync::Arc::default(),
        })
    }

    fn transport(&self) -> Result<&lettre::AsyncSmtpTransport<lettre::Tokio1Executor>, Refusal> {
        if let Some(transport) = self.transport.get() {
            return Ok(transport);
        }
        let built = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&self.url)
            .map_err(|e| Refusal(e.to_string()))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(self.transport.get_or_init(|| built))
    }
}

impl Mailer for SmtpMailer {
    async fn send(&self, to: &str, mail: &Mail) -> Result<(), Refusal> {
        use lettre::AsyncTransport;
        use lettre::message::MultiPart;
        let to = to
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| Refusal(format!("收件人地址无效：{e}")))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| Refusal(format!("邮件无法生成：{e}")))?;
        self.transport()?
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| Refusal(e.to_string()))
    }
}

/// What one round of delivery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Digests made from the reminders waiting.
    pub gathered: u64,
    /// Digests accepted.
    pub sent: Vec<(Recipient, Channel, String)>,
    /// Digests refused and queued again: (recipient, answer).
    pub refused: Vec<(Recipient, String)>,
    /// Digests refused for the last time, marked failed.
    pub failed: Vec<(Recipient, String)>,
}

/// Where a digest's links point and how many digests one round may send.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The site's public address, for the links (`https://registry.example.cn`).
    pub site: String,
    /// Attempts, their spacing, the lease, staleness.
    pub policy: DeliveryPolicy,
    /// The most digests one round sends (the rest wait for the next round).
    pub most: usize,
}

/// Gathers the reminders waiting into today's digests and sends every digest due, by
/// `mailer` (e-mail) and `texts` (text messages).
pub async fn deliver(
    store: &Store,
    mailer: &impl Mailer,
    texts: &impl TextSender,
    delivery: &Delivery,
    now: OffsetDateTime,
) -> Result<Delivered, StoreError> {
    let today = china_today(now);
    let mut done = Delivered {
        gathered: store
            .gather_digests(today, now, delivery.policy.fresh_since(today))
            .await?,
        ..Delivered::default()
    };
    for _ in 0..delivery.most {
        let Some(digest) = store.take_digest(now, delivery.policy.lease).await? else {
            break;
        };
        let names = store
            .recipient_names(std::iter::once(digest.recipient))
            .await?;
        let name = names.get(&digest.recipient).cloned().unwrap_or_default();
        let outcome = send_one(&digest, &name, mailer, texts, &delivery.site).await;
        let ids: Vec<i64> = digest.rows.iter().map(|(id, _, _)| *id).collect();
        match outcome {
            Ok(()) => {
                store.digest_sent(digest.id, &ids, now).await?;
                done.sent
                    .push((digest.recipient, digest.channel, digest.address.clone()));
            }
            Err(Refusal(answer)) => {
                let retry = delivery.policy.retry_after(digest.attempts);
                store.digest_refused(digest.id, &answer, now, retry).await?;
                tracing::warn!(
                    digest = digest.id,
                    recipient = ?digest.recipient,
                    attempts = digest.attempts,
                    answer = answer.as_str(),
                    "提醒邮件未被接受"
                );
                match retry {
                    Some(_) => done.refused.push((digest.recipient, answer)),
                    None => done.failed.push((digest.recipient, answer)),
                }
            }
        }
    }
    Ok(done)
}

async fn send_one(
    digest: &DigestToSend,
    name: &str,
    mailer: &impl Mailer,
    texts: &impl TextSender,
    site: &str,
) -> Result<(), Refusal> {
    if digest.rows.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = digest.rows.iter().map(|(_, m, r)| (*m, r)).collect();
    let mail = render(digest.recipient, name, digest.day, &rows, site);
    match digest.channel {
        Channel::Email => mailer.send(&digest.address, &mail).await,
        Channel::Sms => texts.send(&digest.address, &mail.short).await,
    }
}

/// The digests the reminders waiting would make, rendered, without sending or marking
/// anything: (recipient, channel, address, mail).
pub async fn preview(
    store: &Store,
    site: &str,
    now: OffsetDateTime,
) -> Result<Vec<(Recipient, Channel, String, Mail)>, StoreError> {
    let waiting = store.waiting_reminders(100_000).await?;
    let mut by: BTreeMap<(Recipient, Channel), Vec<&QueuedReminder>> = BTreeMap::new();
    for r in &waiting {
        by.entry((r.recipient, r.channel)).or_default().push(r);
    }
    let names = store.recipient_names(by.keys().map(|(r, _)| *r)).await?;
    Ok(by
        .into_iter()
        .map(|((recipient, channel), rows)| {
            let address = rows.last().map(|r| r.address.clone()).unwrap_or_default();
            let list: Vec<_> = rows.iter().map(|r| (r.milestone, &r.row)).collect();
            let name = names.get(&recipient).cloned().unwrap_or_default();
            let mail = render(recipient, &name, china_today(now), &list, site);
            (recipient, channel, address, mail)
        })
        .collect())
}

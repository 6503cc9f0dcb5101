//! `registry notify`: sends the reminders the sweep kept in the outbox, one digest a day
//! per recipient, by SMTP; `--dry-run` prints the digests instead. The mail settings here
//! are also `registry serve`'s (which sends every few minutes) and `registry sweep`'s
//! (which decides who is told).

use std::process::ExitCode;

use registry_batch::reminders::ReminderSetup;
use registry_core::person::Email;
use registry_core::reminder::DeliveryPolicy;
use registry_notify::{Delivery, LoggingTexts, SmtpMailer};
use time::OffsetDateTime;

use crate::jobs::{JobArgs, Schema, open_register};
use crate::{FAILURE, USAGE, fail};

/// The mail settings.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct MailArgs {
    /// The SMTP server reminders are sent through:
    /// `smtp://user:password@host:587?tls=required` (STARTTLS required) or
    /// `smtps://user:password@host:465` (TLS from the start); a plain `smtp://host:port`
    /// is unencrypted (only for a relay on the same machine). Without it nothing is sent.
    #[arg(
        long,
        value_name = "URL",
        env = "REGISTRY_SMTP_URL",
        hide_env_values = true
    )]
    pub(crate) smtp: Option<String>,
    /// The sender of reminders, such as `注册系统 <noreply@registry.example.cn>`.
    #[arg(
        long,
        value_name = "ADDRESS",
        env = "REGISTRY_MAIL_FROM",
        hide_env_values = true
    )]
    pub(crate) mail_from: Option<String>,
    /// The association's duty address: certificates and cards due and overdue, pass
    /// lists published. Without it the association gets no e-mail.
    #[arg(
        long,
        value_name = "ADDRESS",
        env = "REGISTRY_ASSOCIATION_EMAIL",
        hide_env_values = true
    )]
    pub(crate) association_email: Option<String>,
    /// Text messages to assessors' mobiles: `off` (the default) or `log` (written to the
    /// log only, until a provider's API is connected).
    #[arg(long, value_name = "MODE", env = "REGISTRY_SMS", default_value = "off")]
    pub(crate) sms: String,
}

impl MailArgs {
    /// Who is told besides the register's own addresses.
    pub(crate) fn setup(&self) -> Result<ReminderSetup, String> {
        let association = match self.association_email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                Email::parse(text)
                    .ok_or_else(|| format!("--association-email {text}：不是电子邮箱地址"))?,
            ),
        };
        let sms = match self.sms.trim() {
            "off" => false,
            "log" => true,
            other => return Err(format!("--sms {other}：应为 off 或 log")),
        };
        Ok(ReminderSetup { association, sms })
    }

    /// The mailer, when a server is configured.
    pub(crate) fn mailer(&self) -> Result<Option<SmtpMailer>, String> {
        let Some(url) = self.smtp.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        let from = self
            .mail_from
            .as_deref()
            .filter(|f| !f.trim().is_empty())
            .ok_or("设置了 --smtp 时须同时设置发件人 --mail-from（REGISTRY_MAIL_FROM）")?;
        SmtpMailer::new(url, from)
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

/// `registry notify`.
#[derive(Debug, clap::Args)]
pub(crate) struct NotifyArgs {
    #[command(flatten)]
    job: JobArgs,
    #[command(flatten)]
    mail: MailArgs,
    /// The site's public address, for the e-mails' links (such as
    /// https://registry.example.cn).
    #[arg(
        long,
        value_name = "URL",
        env = "REGISTRY_PUBLIC_URL",
        hide_env_values = true
    )]
    public_url: Option<String>,
    /// Print the digests the reminders waiting would make, and send nothing.
    #[arg(long)]
    dry_run: bool,
}

/// The delivery settings of the site at `site`.
pub(crate) fn delivery(site: &str) -> Delivery {
    Delivery {
        site: site.trim_end_matches('/').to_owned(),
        policy: DeliveryPolicy::default(),
        most: 1000,
    }
}

pub(crate) fn notify(args: &NotifyArgs) -> ExitCode {
    let Some(site) = args.public_url.as_deref().filter(|u| !u.trim().is_empty()) else {
        return fail(
            "须设置 --public-url（REGISTRY_PUBLIC_URL）：提醒邮件中的链接指向本系统",
            USAGE,
        );
    };
    // Checked here; made again inside the runtime, where its pool of connections lives
    // and ends.
    let configured = match args.mail.mailer() {
        Ok(mailer) => mailer.is_some(),
        Err(message) => return fail(message, USAGE),
    };
    if !configured && !args.dry_run {
        return fail(
            "未设置邮件服务器 --smtp（REGISTRY_SMTP_URL），未发送任何提醒；--dry-run 可查看待发送的内容",
            USAGE,
        );
    }
    let now = OffsetDateTime::now_utc();
    let schema = if args.dry_run {
        Schema::AsItIs
    } else {
        Schema::Migrate
    };
    let delivery = delivery(site);
    open_register(&args.job, "notify", now, schema, false, async |setting| {
        if args.dry_run {
            return match registry_notify::preview(setting.store, &delivery.site, now).await {
                Ok(digests) => {
                    println!(
                        "待发送的提醒（试运行，不发送、不写入）：{} 封",
                        digests.len()
                    );
                    for (recipient, channel, address, mail) in digests {
                        println!(
                            "\n=== {}（{}）{} → {address}\n主题：{}\n\n{}",
                            recipient.label(),
                            recipient,
                            channel.label(),
                            mail.subject,
                            mail.text
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format!("{e:?}"), FAILURE),
            };
        }
        let Ok(Some(mailer)) = args.mail.mailer() else {
            return ExitCode::SUCCESS;
        };
        match registry_notify::deliver(setting.store, &mailer, &LoggingTexts, &delivery, now).await
        {
            Ok(done) => {
                println!(
                    "提醒：已发送 {} 封，被拒收待重试 {} 封，发送失败 {} 封",
                    done.sent.len(),
                    done.refused.len(),
                    done.failed.len()
                );
                for (recipient, channel, address) in &done.sent {
                    println!("  已发送 {recipient} {} {address}", channel.label());
                }
                for (recipient, answer) in done.refused.iter().chain(&done.failed) {
                    println!("  未发送 {recipient}：{answer}");
                }
                if done.failed.is_empty() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(FAILURE)
                }
            }
            Err(e) => fail(format!("发送提醒失败：{e:?}"), FAILURE),
        }
    })
}

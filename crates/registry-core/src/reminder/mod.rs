//! Reminders before anything lapses (提醒): which milestone of the register is reached on a
//! day and who is told, decided here from plain facts and the cycle's policy; the outbox
//! (storage) keeps each reminder once under its [`Reminder::key`], and the daily digest of a
//! recipient groups them ([`sections`]).
//!
//! The milestones ([`ReminderKind`]):
//!
//! - a registration ends in 60, 30 and 7 days (by the cycle's end or the 70th birthday),
//!   to its institution and the person;
//! - the 换证 window opens (3 months before the cycle's end), with each item's outlook, to
//!   the person and each institution that holds an item of theirs;
//! - hours still short 6 months before the cycle's end, with the upcoming courses that
//!   cover the items, to the person and their institutions;
//! - a fill-in entry not completed 10 working days after its password was set, and a
//!   person 等待注册 for 5 working days, to the institution;
//! - certificates and cards due within 3 working days, and overdue; a pass list published
//!   with certificates to issue, to the association.
//!
//! Every number is a field of [`ReminderPolicy`], part of the cycle's policy
//! (`crate::policy::Policy`). The decisions are in [`due`]. Each milestone is reached once: catching up after days
//! without a sweep gives the most urgent one reached, never all that were passed.

pub mod due;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;

use time::{Date, Duration};

use crate::ids::{InstitutionId, PersonId};

pub use crate::policy::ReminderPolicy;

/// A kind of reminder: what an institution or a person chooses to get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReminderKind {
    /// A registration ends soon.
    RegistrationEnding,
    /// The 换证 window of the cycle opened.
    RenewalWindow,
    /// Continuing-education hours or coverage still short.
    HoursShort,
    /// A fill-in entry not completed.
    FillInIncomplete,
    /// A person waiting to be registered.
    AwaitingRegistration,
    /// Certificates and cards due soon (the association).
    DocumentDue,
    /// Certificates and cards overdue (the association).
    DocumentOverdue,
    /// A pass list published, certificates to issue (the association).
    PassList,
}

impl ReminderKind {
    /// Every kind, in the order a digest shows them.
    pub const ALL: [ReminderKind; 8] = [
        ReminderKind::RegistrationEnding,
        ReminderKind::RenewalWindow,
        ReminderKind::HoursShort,
        ReminderKind::FillInIncomplete,
        ReminderKind::AwaitingRegistration,
        ReminderKind::DocumentOverdue,
        ReminderKind::DocumentDue,
        ReminderKind::PassList,
    ];

    /// The kinds an institution may choose.
    pub const FOR_INSTITUTION: [ReminderKind; 5] = [
        ReminderKind::RegistrationEnding,
        ReminderKind::RenewalWindow,
        ReminderKind::HoursShort,
        ReminderKind::FillInIncomplete,
        ReminderKind::AwaitingRegistration,
    ];

    /// The kinds a person gets (all or none: they opt out through their fill-in entry).
    pub const FOR_PERSON: [ReminderKind; 3] = [
        ReminderKind::RegistrationEnding,
        ReminderKind::RenewalWindow,
        ReminderKind::HoursShort,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ReminderKind::RegistrationEnding => "registration_ending",
            ReminderKind::RenewalWindow => "renewal_window",
            ReminderKind::HoursShort => "hours_short",
            ReminderKind::FillInIncomplete => "fill_in_incomplete",
            ReminderKind::AwaitingRegistration => "awaiting_registration",
            ReminderKind::DocumentDue => "document_due",
            ReminderKind::DocumentOverdue => "document_overdue",
            ReminderKind::PassList => "pass_list",
        }
    }

    /// Reads a code.
    pub fn from_code(code: &str) -> Option<ReminderKind> {
        ReminderKind::ALL
            .into_iter()
            .find(|k| k.code() == code.trim())
    }

    /// The Chinese name, a digest's section heading.
    pub fn label(self) -> &'static str {
        match self {
            ReminderKind::RegistrationEnding => "注册即将到期",
            ReminderKind::RenewalWindow => "换证申请已开始",
            ReminderKind::HoursShort => "继续教育课时或覆盖项目不足",
            ReminderKind::FillInIncomplete => "基本信息填报未完成",
            ReminderKind::AwaitingRegistration => "已填报完整，等待注册",
            ReminderKind::DocumentDue => "证书、注册卡即将到期发放",
            ReminderKind::DocumentOverdue => "证书、注册卡逾期未发放",
            ReminderKind::PassList => "合格名单已公布，待发证书",
        }
    }
}

/// One milestone: a kind, and for a registration's end the days before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Milestone {
    /// The kind.
    pub kind: ReminderKind,
    /// The days before the end (only a registration's end has them).
    pub days: Option<u32>,
}

impl Milestone {
    /// A milestone without days.
    pub fn of(kind: ReminderKind) -> Milestone {
        Milestone { kind, days: None }
    }

    /// The stable code, part of the outbox's key: `registration_ending_60`, `pass_list`.
    pub fn code(&self) -> String {
        match self.days {
            Some(days) => format!("{}_{days}", self.kind.code()),
            None => self.kind.code().to_owned(),
        }
    }

    /// Reads a code.
    pub fn from_code(code: &str) -> Option<Milestone> {
        if let Some(kind) = ReminderKind::from_code(code) {
            return Some(Milestone::of(kind));
        }
        let (kind, days) = code.rsplit_once('_')?;
        Some(Milestone {
            kind: ReminderKind::from_code(kind)?,
            days: Some(days.parse().ok()?),
        })
    }
}

/// Who is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Recipient {
    /// The association (its duty address).
    Association,
    /// An institution (its contact e-mail).
    Institution(InstitutionId),
    /// A person (the e-mail of their details).
    Person(PersonId),
}

impl Recipient {
    /// The stable key, part of the outbox's key: `association`, `institution:5`,
    /// `person:7`.
    pub fn key(&self) -> String {
        match self {
            Recipient::Association => "association".to_owned(),
            Recipient::Institution(id) => format!("institution:{}", id.get()),
            Recipient::Person(id) => format!("person:{}", id.get()),
        }
    }

    /// Reads a key.
    pub fn parse(key: &str) -> Option<Recipient> {
        if key == "association" {
            return Some(Recipient::Association);
        }
        let (kind, id) = key.split_once(':')?;
        let id: i64 = id.parse().ok()?;
        match kind {
            "institution" => Some(Recipient::Institution(InstitutionId::new(id))),
            "person" => Some(Recipient::Person(PersonId::new(id))),
            _ => None,
        }
    }

    /// What kind of recipient, in Chinese.
    pub fn label(&self) -> &'static str {
        match self {
            Recipient::Association => "协会",
            Recipient::Institution(_) => "评审机构",
            Recipient::Person(_) => "评审人员",
        }
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// How a reminder travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    /// E-mail, in a daily digest.
    Email,
    /// A text message (to a person's mobile), when a sender is configured.
    Sms,
}

impl Channel {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    /// Reads a code.
    pub fn from_code(code: &str) -> Option<Channel> {
        [Channel::Email, Channel::Sms]
            .into_iter()
            .find(|c| c.code() == code)
    }

    /// The Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Email => "电子邮件",
            Channel::Sms => "短信",
        }
    }
}

/// What a reminder says: one row of a digest's table. Names and items only: never an ID
/// number, a phone or an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderRow {
    /// Whom or what it is about: a person's name, a pass list.
    pub who: String,
    /// The item or items (code and name), or empty.
    pub item: String,
    /// The day that matters (the last day of validity, the due date), if any.
    pub date: Option<Date>,
    /// The sentence.
    pub note: String,
}

/// One reminder decided for one recipient on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    /// What it is about, stable across days: `registration:12:2026-01-01` (a holding's
    /// registration by its first day, so a new registration starts afresh),
    /// `document:5`, `renewal:7:2`.
    pub subject: String,
    /// The milestone reached.
    pub milestone: Milestone,
    /// Who is told.
    pub recipient: Recipient,
    /// How.
    pub channel: Channel,
    /// The address it goes to (e-mail or mobile), as recorded today.
    pub address: String,
    /// What it says.
    pub row: ReminderRow,
}

impl Reminder {
    /// The key under which it is kept once: (subject, milestone, recipient, channel).
    pub fn key(&self) -> (String, String, String, &'static str) {
        (
            self.subject.clone(),
            self.milestone.code(),
            self.recipient.key(),
            self.channel.code(),
        )
    }
}

/// The reminders a recipient has turned off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReminderSettings {
    off: BTreeSet<ReminderKind>,
}

impl ReminderSettings {
    /// Everything on.
    pub fn all() -> ReminderSettings {
        ReminderSettings::default()
    }

    /// Only the kinds `wanted` on, of the kinds `offered`.
    pub fn only(offered: &[ReminderKind], wanted: &[ReminderKind]) -> ReminderSettings {
        ReminderSettings {
            off: offered
                .iter()
                .copied()
                .filter(|k| !wanted.contains(k))
                .collect(),
        }
    }

    /// Whether `kind` is wanted.
    pub fn wants(&self, kind: ReminderKind) -> bool {
        !self.off.contains(&kind)
    }

    /// Whether any of `kinds` is wanted.
    pub fn wants_any(&self, kinds: &[ReminderKind]) -> bool {
        kinds.iter().any(|k| self.wants(*k))
    }

    /// The kinds turned off, as stored: codes separated by commas.
    pub fn to_codes(&self) -> String {
        self.off
            .iter()
            .map(|k| k.code())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads what [`ReminderSettings::to_codes`] wrote (unknown codes are ignored).
    pub fn from_codes(text: &str) -> ReminderSettings {
        ReminderSettings {
            off: text
                .split(',')
                .filter_map(ReminderKind::from_code)
                .collect(),
        }
    }
}

/// How the outbox delivers: attempts, their spacing, how long a reminder may wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// A digest refused this many times is marked failed (shown to the association).
    pub max_attempts: u32,
    /// The wait after the first refusal; each later one doubles it.
    pub first_retry: Duration,
    /// The longest wait between attempts.
    pub longest_retry: Duration,
    /// How long a sender holds a digest it is sending before another may take it (a
    /// sender killed half-way).
    pub lease: Duration,
    /// A reminder not sent within this many days of its milestone (no mail server
    /// configured, say) is dropped as stale instead of arriving late.
    pub stale_days: u32,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            max_attempts: 6,
            first_retry: Duration::minutes(5),
            longest_retry: Duration::hours(6),
            lease: Duration::minutes(10),
            stale_days: 14,
        }
    }
}

impl DeliveryPolicy {
    /// After the `attempts`-th refusal: the wait before the next attempt, or `None` when
    /// the digest is to be marked failed.
    pub fn retry_after(&self, attempts: u32) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let doublings = attempts.saturating_sub(1).min(20);
        let wait = self.first_retry * 2_i32.pow(doublings);
        Some(wait.min(self.longest_retry))
    }

    /// The first day a reminder of `day` is still sent.
    pub fn fresh_since(&self, today: Date) -> Date {
        today - Duration::days(i64::from(self.stale_days))
    }
}

/// The state of a digest in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestState {
    /// Waiting to be sent (or to be tried again).
    Queued,
    /// Taken by a sender.
    Sending,
    /// Accepted by the mail server.
    Sent,
    /// Refused too many times.
    Failed,
}

impl DigestState {
    /// Every state.
    pub const ALL: [DigestState; 4] = [
        DigestState::Queued,
        DigestState::Sending,
        DigestState::Sent,
        DigestState::Failed,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            DigestState::Queued => "queued",
            DigestState::Sending => "sending",
            DigestState::Sent => "sent",
            DigestState::Failed => "failed",
        }
    }

    /// Reads a code.
    pub fn from_code(code: &str) -> Option<DigestState> {
        DigestState::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            DigestState::Queued => "待发送",
            DigestState::Sending => "发送中",
            DigestState::Sent => "已发送",
            DigestState::Failed => "发送失败",
        }
    }
}

/// A digest's rows grouped by kind, in the order of [`ReminderKind::ALL`], each group in
/// the order of its dates (then names).
pub fn sections<'a>(
    rows: impl IntoIterator<Item = (Milestone, &'a ReminderRow)>,
) -> Vec<(ReminderKind, Vec<(Milestone, &'a ReminderRow)>)> {
    let mut all: Vec<(Milestone, &ReminderRow)> = rows.into_iter().collect();
    all.sort_by(|(ma, a), (mb, b)| {
        let rank = |m: &Milestone| ReminderKind::ALL.iter().position(|k| *k == m.kind);
        rank(ma)
            .cmp(&rank(mb))
            .then(a.date.cmp(&b.date))
            .then(a.who.cmp(&b.who))
            .then(a.item.cmp(&b.item))
    });
    let mut out: Vec<(ReminderKind, Vec<(Milestone, &ReminderRow)>)> = Vec::new();
    for (milestone, row) in all {
        match out.last_mut() {
            Some((kind, group)) if *kind == milestone.kind => group.push((milestone, row)),
            _ => out.push((milestone.kind, vec![(milestone, row)])),
        }
    }
    out
}

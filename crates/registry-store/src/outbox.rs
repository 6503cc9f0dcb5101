//! The outbox of reminders and their daily digests.
//!
//! Each reminder the core decides is one row, kept once under (subject, milestone,
//! recipient, channel) by a unique index: a sweep run again, on two instances at once, or
//! killed half-way adds nothing already kept. Once a day the rows waiting for a recipient
//! are gathered into that day's digest (one per recipient, channel and day, by a unique
//! index); a sender takes a digest by one conditional UPDATE (with a lease, so a sender
//! killed half-way leaves it to another after the lease), and marks it sent, or refused
//! with the server's answer and the time of the next attempt, or failed.
//!
//! These writes touch no fact of the register: they do not move the store's generation.

use std::collections::BTreeMap;

use registry_core::ids::{InstitutionId, PersonId};
use registry_core::ports::StoreError;
use registry_core::reminder::{
    Channel, DigestState, Milestone, Recipient, Reminder, ReminderKind, ReminderRow,
    ReminderSettings,
};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, QueryResult, SqliteTransactionMode, TransactionOptions,
    TransactionTrait, Value,
};
use time::{Date, Duration, OffsetDateTime};

use crate::Store;
use crate::error::store_error;
use crate::queries::get;
use crate::url::Engine;

/// How many values one `IN (…)` list holds.
pub(crate) const IN_LIST: usize = 500;

fn utc(at: OffsetDateTime) -> OffsetDateTime {
    at.to_offset(time::UtcOffset::UTC)
}

/// A digest taken by a sender.
#[derive(Debug, Clone)]
pub struct DigestToSend {
    /// Its id.
    pub id: i64,
    /// To whom.
    pub recipient: Recipient,
    /// How.
    pub channel: Channel,
    /// The address.
    pub address: String,
    /// Its day.
    pub day: Date,
    /// The attempts so far, this one included.
    pub attempts: u32,
    /// Its reminders: (row id, milestone, row).
    pub rows: Vec<(i64, Milestone, ReminderRow)>,
}

/// A digest as the outbox page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestListing {
    /// Its id.
    pub id: i64,
    /// To whom.
    pub recipient: Recipient,
    /// The recipient's name (an institution's, a person's; the association).
    pub name: String,
    /// How.
    pub channel: Channel,
    /// The address.
    pub address: String,
    /// Its day.
    pub day: Date,
    /// Its state.
    pub state: DigestState,
    /// Attempts so far.
    pub attempts: u32,
    /// When it will be tried next (queued).
    pub next_attempt_at: OffsetDateTime,
    /// The mail server's last refusal.
    pub last_error: Option<String>,
    /// When the server accepted it.
    pub sent_at: Option<OffsetDateTime>,
    /// How many reminders it carries.
    pub reminders: u64,
}

/// A reminder kept in the outbox, as the page and a dry run show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedReminder {
    /// Its id.
    pub id: i64,
    /// To whom.
    pub recipient: Recipient,
    /// How.
    pub channel: Channel,
    /// The address.
    pub address: String,
    /// The milestone.
    pub milestone: Milestone,
    /// What it says.
    pub row: ReminderRow,
    /// The day it was decided.
    pub queued_on: Date,
    /// Its digest, once gathered.
    pub digest: Option<i64>,
}

/// The outbox in figures, for the association's workspace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxFigures {
    /// Reminders waiting for a digest or in a queued one.
    pub queued: u64,
    /// Digests marked failed.
    pub failed: u64,
    /// Digests sent since the day asked for.
    pub sent: u64,
}

fn channel(text: &str) -> Result<Channel, StoreError> {
    Channel::from_code(text).ok_or_else(|| StoreError::Unexpected(format!("channel {text}")))
}

fn recipient(text: &str) -> Result<Recipient, StoreError> {
    Recipient::parse(text).ok_or_else(|| StoreError::Unexpected(format!("recipient {text}")))
}

fn milestone(text: &str) -> Result<Milestone, StoreError> {
    Milestone::from_code(text).ok_or_else(|| StoreError::Unexpected(format!("milestone {text}")))
}

fn queued_row(r: &QueryResult) -> Result<QueuedReminder, StoreError> {
    Ok(QueuedReminder {
        id: get(r, "id")?,
        recipient: recipient(&get::<String>(r, "recipient")?)?,
        channel: channel(&get::<String>(r, "channel")?)?,
        address: get(r, "address")?,
        milestone: milestone(&get::<String>(r, "milestone")?)?,
        row: ReminderRow {
            who: get(r, "who")?,
            item: get(r, "item")?,
            date: get(r, "date")?,
            note: get(r, "note")?,
        },
        queued_on: get(r, "queued_on")?,
        digest: get(r, "digest_id")?,
    })
}

const QUEUED_COLUMNS: &str =
    "id, recipient, channel, address, milestone, who, item, date, note, queued_on, digest_id";

impl Store {
    /// A write transaction of the outbox: it waits its turn among SQLite's writers like a
    /// use case's, but does not mark the register's data changed.
    async fn outbox_tx(
        &self,
    ) -> Result<
        (
            DatabaseTransaction,
            Option<tokio::sync::OwnedMutexGuard<()>>,
        ),
        StoreError,
    > {
        let writer = match self.engine {
            Engine::Sqlite => Some(std::sync::Arc::clone(&self.writers).lock_owned().await),
            Engine::Postgres => None,
        };
        let options = TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: (self.engine == Engine::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
        };
        let tx = self
            .db
            .begin_with_options(options)
            .await
            .map_err(store_error)?;
        Ok((tx, writer))
    }

    async fn run_on(
        &self,
        tx: &DatabaseTransaction,
        sql: &str,
        values: Vec<Value>,
    ) -> Result<u64, StoreError> {
        tx.execute_raw(crate::sql::statement_for(self.engine, sql, values))
            .await
            .map(|r| r.rows_affected())
            .map_err(store_error)
    }

    pub(crate) async fn rows_on(
        &self,
        tx: &DatabaseTransaction,
        sql: &str,
        values: Vec<Value>,
    ) -> Result<Vec<QueryResult>, StoreError> {
        tx.query_all_raw(crate::sql::statement_for(self.engine, sql, values))
            .await
            .map_err(store_error)
    }

    /// Keeps the reminders decided on `today`, in one transaction; those already kept
    /// under their key are left as they are. Returns how many are new.
    pub async fn queue_reminders(
        &self,
        reminders: &[Reminder],
        today: Date,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let (tx, _writer) = self.outbox_tx().await?;
        let mut added = 0;
        for r in reminders {
            added += self
                .run_on(
                    &tx,
                    "INSERT INTO outbox (subject, milestone, recipient, channel, address, who, \
                     item, date, note, queued_on, queued_at, state, digest_id) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', NULL) \
                     ON CONFLICT (subject, milestone, recipient, channel) DO NOTHING",
                    vec![
                        r.subject.clone().into(),
                        r.milestone.code().into(),
                        r.recipient.key().into(),
                        r.channel.code().into(),
                        r.address.clone().into(),
                        r.row.who.clone().into(),
                        r.row.item.clone().into(),
                        r.row.date.into(),
                        r.row.note.clone().into(),
                        today.into(),
                        utc(now).into(),
                    ],
                )
                .await?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(added)
    }

    /// Gathers the reminders waiting for a digest into today's digest of their recipient
    /// and channel (a recipient whose digest of today was already taken waits for
    /// tomorrow's); those decided before `fresh_since` are dropped as stale. Returns how
    /// many digests it made.
    pub async fn gather_digests(
        &self,
        today: Date,
        now: OffsetDateTime,
        fresh_since: Date,
    ) -> Result<u64, StoreError> {
        let (tx, _writer) = self.outbox_tx().await?;
        self.run_on(
            &tx,
            "UPDATE outbox SET state = 'stale' \
             WHERE state = 'queued' AND digest_id IS NULL AND queued_on < ?",
            vec![fresh_since.into()],
        )
        .await?;
        let waiting = self
            .rows_on(
                &tx,
                "SELECT recipient, channel, MAX(id) AS last FROM outbox \
                 WHERE state = 'queued' AND digest_id IS NULL GROUP BY recipient, channel",
                vec![],
            )
            .await?;
        let mut made = 0;
        for w in waiting {
            let (who, how): (String, String) = (get(&w, "recipient")?, get(&w, "channel")?);
            let last: i64 = get(&w, "last")?;
            let queued: String = self
                .rows_on(
                    &tx,
                    "SELECT address FROM outbox WHERE id = ?",
                    vec![last.into()],
                )
                .await?
                .first()
                .map(|r| get(r, "address"))
                .transpose()?
                .unwrap_or_default();
            // The address as recorded now (an institution or a person may have changed
            // it since the reminder was decided); none: nothing to send, the rows dropped.
            let Some(address) = self.current_address(&tx, &who, &how, queued).await? else {
                self.run_on(
                    &tx,
                    "UPDATE outbox SET state = 'stale' \
                     WHERE state = 'queued' AND digest_id IS NULL AND recipient = ? AND channel = ?",
                    vec![who.clone().into(), how.clone().into()],
                )
                .await?;
                continue;
            };
            // What the recipient turned off since: not sent.
            let off = self
                .rows_on(
                    &tx,
                    "SELECT off FROM reminder_settings WHERE recipient = ?",
                    vec![who.clone().into()],
                )
                .await?
                .first()
                .map(|r| get::<String>(r, "off"))
                .transpose()?
                .map(|codes| ReminderSettings::from_codes(&codes))
                .unwrap_or_default();
            for kind in ReminderKind::ALL.into_iter().filter(|k| !off.wants(*k)) {
                self.run_on(
                    &tx,
                    "UPDATE outbox SET state = 'stale' WHERE state = 'queued' \
                     AND digest_id IS NULL AND recipient = ? AND channel = ? \
                     AND (milestone = ? OR substr(milestone, 1, ?) = ?)",
                    vec![
                        who.clone().into(),
                        how.clone().into(),
                        kind.code().into(),
                        i32::try_from(kind.code().len() + 1).unwrap_or(0).into(),
                        format!("{}_", kind.code()).into(),
                    ],
                )
                .await?;
            }
            let left = self
                .rows_on(
                    &tx,
                    "SELECT COUNT(*) AS n FROM outbox WHERE state = 'queued' \
                     AND digest_id IS NULL AND recipient = ? AND channel = ?",
                    vec![who.clone().into(), how.clone().into()],
                )
                .await?
                .first()
                .map(|r| get::<i64>(r, "n"))
                .transpose()?
                .unwrap_or(0);
            if left == 0 {
                continue;
            }
            made += self
                .run_on(
                    &tx,
                    "INSERT INTO digests (recipient, channel, address, day, state, attempts, \
                     next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'queued', 0, ?, ?) \
                     ON CONFLICT (recipient, channel, day) DO NOTHING",
                    vec![
                        who.clone().into(),
                        how.clone().into(),
                        address.into(),
                        today.into(),
                        utc(now).into(),
                        utc(now).into(),
                    ],
                )
                .await?;
            self.run_on(
                &tx,
                "UPDATE outbox SET digest_id = (SELECT d.id FROM digests d \
                 WHERE d.recipient = ? AND d.channel = ? AND d.day = ? AND d.state = 'queued') \
                 WHERE state = 'queued' AND digest_id IS NULL AND recipient = ? AND channel = ?",
                vec![
                    who.clone().into(),
                    how.clone().into(),
                    today.into(),
                    who.into(),
                    how.into(),
                ],
            )
            .await?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(made)
    }

    /// Where a recipient's digest goes now: an institution's contact e-mail, a person's
    /// e-mail or mobile as recorded today; the association's address as the sweep was
    /// given it (`queued`).
    async fn current_address(
        &self,
        tx: &DatabaseTransaction,
        recipient: &str,
        channel: &str,
        queued: String,
    ) -> Result<Option<String>, StoreError> {
        let sql = match (Recipient::parse(recipient), channel) {
            (Some(Recipient::Institution(_)), "email") => {
                "SELECT email AS address FROM institutions WHERE id = ?"
            }
            (Some(Recipient::Person(_)), "email") => {
                "SELECT email AS address FROM people WHERE id = ?"
            }
            (Some(Recipient::Person(_)), "sms") => {
                "SELECT mobile AS address FROM people WHERE id = ?"
            }
            _ => return Ok(Some(queued).filter(|a| !a.is_empty())),
        };
        let id: i64 = recipient
            .split_once(':')
            .and_then(|(_, id)| id.parse().ok())
            .unwrap_or_default();
        Ok(self
            .rows_on(tx, sql, vec![id.into()])
            .await?
            .first()
            .map(|r| get::<Option<String>>(r, "address"))
            .transpose()?
            .flatten()
            .filter(|a| !a.trim().is_empty()))
    }

    /// Takes the next digest due to be sent (queued and its time come, or taken by a
    /// sender whose lease ran out) for `lease`, counting the attempt; `None` when there is
    /// none. Two senders never take the same one: the taking is one conditional UPDATE.
    pub async fn take_digest(
        &self,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<DigestToSend>, StoreError> {
        let now = utc(now);
        let due = "((state = 'queued' AND next_attempt_at <= ?) \
                   OR (state = 'sending' AND lease_until < ?))";
        let candidates = self
            .rows(
                &format!("SELECT id FROM digests WHERE {due} ORDER BY id LIMIT 20"),
                vec![now.into(), now.into()],
            )
            .await?;
        for c in candidates {
            let id: i64 = get(&c, "id")?;
            let (tx, _writer) = self.outbox_tx().await?;
            let taken = self
                .run_on(
                    &tx,
                    &format!(
                        "UPDATE digests SET state = 'sending', lease_until = ?, \
                         attempts = attempts + 1 WHERE id = ? AND {due}"
                    ),
                    vec![(now + lease).into(), id.into(), now.into(), now.into()],
                )
                .await?;
            if taken == 0 {
                continue;
            }
            let head = self
                .rows_on(
                    &tx,
                    "SELECT recipient, channel, address, day, attempts FROM digests WHERE id = ?",
                    vec![id.into()],
                )
                .await?;
            let head = head
                .first()
                .ok_or_else(|| StoreError::Unexpected(format!("digest {id} vanished")))?;
            let rows = self
                .rows_on(
                    &tx,
                    &format!(
                        "SELECT {QUEUED_COLUMNS} FROM outbox \
                         WHERE digest_id = ? AND state = 'queued' ORDER BY id"
                    ),
                    vec![id.into()],
                )
                .await?
                .iter()
                .map(|r| queued_row(r).map(|q| (q.id, q.milestone, q.row)))
                .collect::<Result<Vec<_>, _>>()?;
            let digest = DigestToSend {
                id,
                recipient: recipient(&get::<String>(head, "recipient")?)?,
                channel: channel(&get::<String>(head, "channel")?)?,
                address: get(head, "address")?,
                day: get(head, "day")?,
                attempts: u32::try_from(get::<i32>(head, "attempts")?).unwrap_or(0),
                rows,
            };
            tx.commit().await.map_err(store_error)?;
            return Ok(Some(digest));
        }
        Ok(None)
    }

    /// Marks a digest accepted by the server, with the reminders it carried (`rows`);
    /// any reminder added to it while it was being sent goes back to wait for the next.
    pub async fn digest_sent(
        &self,
        id: i64,
        rows: &[i64],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (tx, _writer) = self.outbox_tx().await?;
        self.run_on(
            &tx,
            "UPDATE digests SET state = 'sent', sent_at = ?, lease_until = NULL, \
             last_error = NULL WHERE id = ?",
            vec![utc(now).into(), id.into()],
        )
        .await?;
        for chunk in rows.chunks(IN_LIST) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut values: Vec<Value> = vec![id.into()];
            values.extend(chunk.iter().map(|r| Value::from(*r)));
            self.run_on(
                &tx,
                &format!(
                    "UPDATE outbox SET state = 'sent' WHERE digest_id = ? AND id IN ({marks})"
                ),
                values,
            )
            .await?;
        }
        self.run_on(
            &tx,
            "UPDATE outbox SET digest_id = NULL WHERE digest_id = ? AND state = 'queued'",
            vec![id.into()],
        )
        .await?;
        tx.commit().await.map_err(store_error)
    }

    /// Marks a digest refused with the server's `answer`: queued again after `retry`, or
    /// failed when there is none.
    pub async fn digest_refused(
        &self,
        id: i64,
        answer: &str,
        now: OffsetDateTime,
        retry: Option<Duration>,
    ) -> Result<(), StoreError> {
        let answer: String = answer.chars().take(1000).collect();
        let (state, next) = match retry {
            Some(wait) => (DigestState::Queued, utc(now) + wait),
            None => (DigestState::Failed, utc(now)),
        };
        self.rows(
            "UPDATE digests SET state = ?, next_attempt_at = ?, lease_until = NULL, \
             last_error = ? WHERE id = ? RETURNING id",
            vec![state.code().into(), next.into(), answer.into(), id.into()],
        )
        .await?;
        Ok(())
    }

    /// The digests, latest first, of one state when given, at most `limit`.
    pub async fn digests(
        &self,
        state: Option<DigestState>,
        limit: u64,
    ) -> Result<Vec<DigestListing>, StoreError> {
        match state {
            Some(state) => {
                self.list_digests("d.state = ?", state.code().into(), limit)
                    .await
            }
            None => self.list_digests("1 = ?", 1.into(), limit).await,
        }
    }

    /// One digest.
    pub async fn digest(&self, id: i64) -> Result<Option<DigestListing>, StoreError> {
        Ok(self
            .list_digests("d.id = ?", id.into(), 1)
            .await?
            .into_iter()
            .next())
    }

    async fn list_digests(
        &self,
        condition: &str,
        value: Value,
        limit: u64,
    ) -> Result<Vec<DigestListing>, StoreError> {
        let sql = format!(
            "SELECT d.id, d.recipient, d.channel, d.address, d.day, d.state, d.attempts, \
             d.next_attempt_at, d.last_error, d.sent_at, \
             (SELECT COUNT(*) FROM outbox o WHERE o.digest_id = d.id) AS reminders \
             FROM digests d WHERE {condition} ORDER BY d.id DESC LIMIT ?"
        );
        let values: Vec<Value> = vec![
            value,
            i64::try_from(limit.clamp(1, 1000)).unwrap_or(1000).into(),
        ];
        let mut listed = self
            .rows(&sql, values)
            .await?
            .iter()
            .map(|r| {
                let state: String = get(r, "state")?;
                Ok(DigestListing {
                    id: get(r, "id")?,
                    recipient: recipient(&get::<String>(r, "recipient")?)?,
                    name: String::new(),
                    channel: channel(&get::<String>(r, "channel")?)?,
                    address: get(r, "address")?,
                    day: get(r, "day")?,
                    state: DigestState::from_code(&state)
                        .ok_or_else(|| StoreError::Unexpected(format!("digest state {state}")))?,
                    attempts: u32::try_from(get::<i32>(r, "attempts")?).unwrap_or(0),
                    next_attempt_at: get(r, "next_attempt_at")?,
                    last_error: get(r, "last_error")?,
                    sent_at: get(r, "sent_at")?,
                    reminders: u64::try_from(get::<i64>(r, "reminders")?).unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let names = self
            .recipient_names(listed.iter().map(|d| d.recipient))
            .await?;
        for d in &mut listed {
            d.name = names.get(&d.recipient).cloned().unwrap_or_default();
        }
        Ok(listed)
    }

    /// The names of recipients: an institution's, a person's, 协会.
    pub async fn recipient_names(
        &self,
        recipients: impl Iterator<Item = Recipient>,
    ) -> Result<BTreeMap<Recipient, String>, StoreError> {
        let mut names = BTreeMap::new();
        let (mut institutions, mut people) = (Vec::new(), Vec::new());
        for r in recipients {
            match r {
                Recipient::Association => {
                    names.insert(r, "协会".to_owned());
                }
                Recipient::Institution(id) => institutions.push(id.get()),
                Recipient::Person(id) => people.push(id.get()),
            }
        }
        for (table, ids, make) in [
            (
                "institutions",
                institutions,
                (|id| Recipient::Institution(InstitutionId::new(id))) as fn(i64) -> Recipient,
            ),
            ("people", people, |id| Recipient::Person(PersonId::new(id))),
        ] {
            let mut ids = ids;
            ids.sort_unstable();
            ids.dedup();
            for chunk in ids.chunks(IN_LIST) {
                let marks = vec!["?"; chunk.len()].join(", ");
                for r in self
                    .rows(
                        &format!("SELECT id, name FROM {table} WHERE id IN ({marks})"),
                        chunk.iter().map(|id| Value::from(*id)).collect(),
                    )
                    .await?
                {
                    names.insert(make(get(&r, "id")?), get(&r, "name")?);
                }
            }
        }
        Ok(names)
    }

    /// The reminders of a digest.
    pub async fn digest_reminders(&self, digest: i64) -> Result<Vec<QueuedReminder>, StoreError> {
        self.rows(
            &format!("SELECT {QUEUED_COLUMNS} FROM outbox WHERE digest_id = ? ORDER BY id"),
            vec![digest.into()],
        )
        .await?
        .iter()
        .map(queued_row)
        .collect()
    }

    /// The reminders still to be sent (not yet in a digest, or in a queued one), by
    /// recipient, at most `limit`.
    pub async fn waiting_reminders(&self, limit: u64) -> Result<Vec<QueuedReminder>, StoreError> {
        self.rows(
            &format!(
                "SELECT {QUEUED_COLUMNS} FROM outbox WHERE state = 'queued' \
                 ORDER BY recipient, channel, id LIMIT ?"
            ),
            vec![i64::try_from(limit.clamp(1, 100_000)).unwrap_or(1).into()],
        )
        .await?
        .iter()
        .map(queued_row)
        .collect()
    }

    /// The outbox in figures: reminders waiting, digests failed, digests sent since
    /// `since`.
    pub async fn outbox_figures(&self, since: OffsetDateTime) -> Result<OutboxFigures, StoreError> {
        let rows = self
            .rows(
                "SELECT (SELECT COUNT(*) FROM outbox WHERE state = 'queued') AS queued, \
                 (SELECT COUNT(*) FROM digests WHERE state = 'failed') AS failed, \
                 (SELECT COUNT(*) FROM digests WHERE state = 'sent' AND sent_at >= ?) AS sent",
                vec![utc(since).into()],
            )
            .await?;
        let Some(r) = rows.first() else {
            return Ok(OutboxFigures::default());
        };
        let n = |c: &str| get::<i64>(r, c).map(|v| u64::try_from(v).unwrap_or(0));
        Ok(OutboxFigures {
            queued: n("queued")?,
            failed: n("failed")?,
            sent: n("sent")?,
        })
    }
}

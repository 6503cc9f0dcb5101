//! Sessions and failure counters, kept in the database so that several server instances
//! share them: a login on one instance is valid on all, and a lockout counts every
//! instance's failures.
//!
//! Times are stored in UTC (so that SQLite's text timestamps compare in order). Only a
//! hash of a session's token is stored: a copy of the database opens no session.

use registry_core::access::{Account, AccountId, Username};
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::ports::{RegisterTx, StoreError};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Value};
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::Store;
use crate::entity::{sessions, throttles};
use crate::error::store_error;

fn utc(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(UtcOffset::UTC)
}

/// Who a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSubject {
    /// A logged-in account.
    Account(AccountId),
    /// An assessor who unlocked one institution's fill-in entry for themselves.
    Assessor {
        /// The person.
        person: PersonId,
        /// The institution whose entry they unlocked.
        institution: InstitutionId,
    },
}

/// A stored session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRecord {
    /// Whose it is.
    pub subject: SessionSubject,
    /// When it began.
    pub created_at: OffsetDateTime,
    /// When it was last used.
    pub last_seen_at: OffsetDateTime,
}

/// A failure counter's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    /// Failures within the current window.
    pub count: u32,
    /// When the current window ends (and a lock, if any, lifts).
    pub window_ends: OffsetDateTime,
}

/// The key of the counter of the failed logins under a well-formed login name, known or
/// not.
pub fn login_key(username: &Username) -> String {
    format!("login:{username}")
}

/// The key of the counter of every attempt at the fill-in password of a person's entry
/// through an institution, from any client: the entry's ceiling.
pub fn fill_in_entry_key(person: PersonId, institution: InstitutionId) -> String {
    format!("fill-in:{person}:{institution}")
}

/// The key of the counter of the attempts at an entry's fill-in password from one client
/// address. Every such key of an entry begins with the key for the client `""`, which
/// [`RegisterTx::forget_fill_in_attempts`] deletes by.
pub fn fill_in_client_key(person: PersonId, institution: InstitutionId, client: &str) -> String {
    format!("fill-in:{person}:{institution}:client:{client}")
}

/// A session with, for an account's session, the account (if it still exists) and whether
/// its institution is active (`None` for the association's accounts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The session.
    pub session: SessionRecord,
    /// The account of an account's session, and its institution's `active`.
    pub account: Option<(Account, Option<bool>)>,
}

fn session_record(row: sessions::Model) -> Result<SessionRecord, StoreError> {
    let subject = match (row.account_id, row.person_id, row.institution_id) {
        (Some(account), None, _) => SessionSubject::Account(AccountId::new(account)),
        (None, Some(person), Some(institution)) => SessionSubject::Assessor {
            person: PersonId::new(person),
            institution: InstitutionId::new(institution),
        },
        _ => return Err(StoreError::Unexpected("a session with no subject".into())),
    };
    Ok(SessionRecord {
        subject,
        created_at: row.created_at,
        last_seen_at: row.last_seen_at,
    })
}

impl Store {
    /// Starts a session under the hash of its token.
    pub async fn create_session(
        &self,
        token_hash: &str,
        subject: SessionSubject,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (account, person, institution) = match subject {
            SessionSubject::Account(id) => (Some(id.get()), None, None),
            SessionSubject::Assessor {
                person,
                institution,
            } => (None, Some(person.get()), Some(institution.get())),
        };
        sessions::Entity::insert(sessions::ActiveModel {
            token_hash: Set(token_hash.to_owned()),
            account_id: Set(account),
            person_id: Set(person),
            institution_id: Set(institution),
            created_at: Set(utc(now)),
            last_seen_at: Set(utc(now)),
        })
        .exec_without_returning(self.db())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    /// The session stored under this token hash.
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        sessions::Entity::find_by_id(token_hash.to_owned())
            .one(self.db())
            .await
            .map_err(store_error)?
            .map(session_record)
            .transpose()
    }

    /// The session stored under this token hash with, for an account's session, the
    /// account and whether its institution (if any) is active: one statement, so one round
    /// trip on every signed-in request (a single SELECT reads one snapshot on both engines).
    pub async fn signed_in(&self, token_hash: &str) -> Result<Option<SignedIn>, StoreError> {
        use sea_orm::FromQueryResult;
        let sql = "SELECT s.token_hash AS s_token_hash, s.account_id AS s_account_id, \
                   s.person_id AS s_person_id, s.institution_id AS s_institution_id, \
                   s.created_at AS s_created_at, s.last_seen_at AS s_last_seen_at, \
                   a.id AS a_id, a.username AS a_username, a.role AS a_role, a.duty AS a_duty, \
                   a.institution_id AS a_institution_id, a.password_hash AS a_password_hash, \
                   a.active AS a_active, a.must_change_password AS a_must_change_password, \
                   a.password_changed_on AS a_password_changed_on, \
                   a.totp_secret AS a_totp_secret, a.totp_last_step AS a_totp_last_step, \
                   a.second_factor_required AS a_second_factor_required, \
                   a.version AS a_version, i.active AS i_active \
                   FROM sessions s \
                   LEFT JOIN accounts a ON a.id = s.account_id \
                   LEFT JOIN institutions i ON i.id = a.institution_id \
                   WHERE s.token_hash = ?";
        let rows = self.rows(sql, vec![token_hash.into()]).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let session =
            session_record(sessions::Model::from_query_result(row, "s_").map_err(store_error)?)?;
        let found: Option<i64> = row.try_get("", "a_id").map_err(store_error)?;
        let account = match found {
            Some(_) => {
                let account = crate::convert::account_from_row(
                    crate::entity::accounts::Model::from_query_result(row, "a_")
                        .map_err(store_error)?,
                )?;
                let institution_active: Option<bool> =
                    row.try_get("", "i_active").map_err(store_error)?;
                Some((account, institution_active))
            }
            None => None,
        };
        Ok(Some(SignedIn { session, account }))
    }

    /// Records that the session was used now.
    pub async fn touch_session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sessions::Entity::update_many()
            .col_expr(
                sessions::Column::LastSeenAt,
                sea_orm::sea_query::Expr::value(utc(now)),
            )
            .filter(sessions::Column::TokenHash.eq(token_hash))
            .exec(self.db())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sessions::Entity::delete_by_id(token_hash.to_owned())
            .exec(self.db())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// Forgets sessions unused since `before`, and the lockout and search counters whose
    /// window began before it (no window is longer than a day: pass a day ago or earlier).
    pub async fn purge_sessions(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let result = sessions::Entity::delete_many()
            .filter(sessions::Column::LastSeenAt.lt(utc(before)))
            .exec(self.db())
            .await
            .map_err(store_error)?;
        let counters = throttles::Entity::delete_many()
            .filter(throttles::Column::WindowStart.lt(utc(before)))
            .exec(self.db())
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected + counters.rows_affected)
    }

    /// The failures counted under `key` in the window of `window` that is current at `now`.
    pub async fn failures(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<Failures, StoreError> {
        let row = throttles::Entity::find_by_id(key.to_owned())
            .one(self.db())
            .await
            .map_err(store_error)?;
        Ok(match row {
            Some(row) if row.window_start + window > now => Failures {
                count: u32::try_from(row.failures).unwrap_or(0),
                window_ends: row.window_start + window,
            },
            _ => Failures {
                count: 0,
                window_ends: now + window,
            },
        })
    }

    /// Counts one more failure under `key`, starting a new window if the last one ended;
    /// one statement, so concurrent failures on several instances all count.
    pub async fn record_failure(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<Failures, StoreError> {
        self.add_to_count(key, 1, now, window).await
    }

    /// Adds `n` to the count under `key` (starting a new window if the last one ended) and
    /// returns the total: for counts kept in memory and written now and then.
    pub async fn add_to_count(
        &self,
        key: &str,
        n: u32,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<Failures, StoreError> {
        let now = utc(now);
        let cutoff = now - window;
        let n = i32::try_from(n).unwrap_or(i32::MAX);
        let sql = "INSERT INTO throttles (key, window_start, failures) VALUES (?, ?, ?) \
                   ON CONFLICT (key) DO UPDATE SET \
                     failures = CASE WHEN throttles.window_start <= ? THEN ? ELSE throttles.failures + ? END, \
                     window_start = CASE WHEN throttles.window_start <= ? THEN ? ELSE throttles.window_start END \
                   RETURNING failures, window_start";
        let values: Vec<Value> = vec![
            key.into(),
            now.into(),
            n.into(),
            cutoff.into(),
            n.into(),
            n.into(),
            cutoff.into(),
            now.into(),
        ];
        let rows = self.rows(sql, values).await?;
        let row = rows
            .first()
            .ok_or_else(|| StoreError::Unexpected("the counter returned nothing".into()))?;
        let failures: i32 = row.try_get("", "failures").map_err(store_error)?;
        let start: OffsetDateTime = row.try_get("", "window_start").map_err(store_error)?;
        Ok(Failures {
            count: u32::try_from(failures).unwrap_or(0),
            window_ends: start + window,
        })
    }

    /// Takes one back from the count under `key` (an attempt counted before it was checked,
    /// which succeeded).
    pub async fn release_count(&self, key: &str) -> Result<(), StoreError> {
        self.rows(
            "UPDATE throttles SET failures = failures - 1 WHERE key = ? AND failures > 0 \
             RETURNING failures",
            vec![key.into()],
        )
        .await?;
        Ok(())
    }

    /// Forgets the failures under `key` (after a success).
    pub async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        throttles::Entity::delete_by_id(key.to_owned())
            .exec(self.db())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// The account with this login name (for a login).
    pub async fn account_by_username(
        &self,
        username: &Username,
    ) -> Result<Option<Account>, StoreError> {
        let mut tx = self.begin_read().await?;
        tx.account_by_username(username).await
    }

    /// The account with this id.
    pub async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        let mut tx = self.begin_read().await?;
        tx.account(id).await
    }
}

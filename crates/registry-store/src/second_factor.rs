//! What a login's second factor needs from storage, outside any use case: the account's
//! TOTP secret (opened with the data key), the acceptance of a time step (once only, on
//! every instance: one conditional UPDATE), a recovery code used once, and the logins
//! waiting for their code (a password checked, no session yet; 5 minutes).

use registry_core::access::AccountId;
use registry_core::ports::StoreError;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::Store;
use crate::entity::{accounts, login_challenges, recovery_codes};
use crate::error::store_error;

/// What a sealed TOTP secret is bound to.
pub(crate) const SEALED_AS: &[u8] = b"totp_secret";

/// Times are kept in UTC, so that SQLite's text compares as time does.
fn utc(at: OffsetDateTime) -> OffsetDateTime {
    at.to_offset(UtcOffset::UTC)
}

/// How long a login waits for its code.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);

/// How long an offered secret may be set up: time to scan it and type a code.
pub const OFFER_LIFETIME: Duration = Duration::minutes(30);

/// What an offer is bound to: its purpose and the account it was made to.
fn offer_binding(account: AccountId) -> Vec<u8> {
    format!("second_factor_offer:{}", account.get()).into_bytes()
}

impl Store {
    /// Seals a secret offered to `account` for setting up its second factor, with the
    /// moment it stops being accepted: what comes back with the code proves the secret was
    /// the server's, made for this account, and recent (an account cannot choose its own).
    pub fn seal_offer(
        &self,
        account: AccountId,
        secret: &[u8],
        now: OffsetDateTime,
    ) -> Result<Vec<u8>, StoreError> {
        let until = (now + OFFER_LIFETIME).unix_timestamp();
        let mut plain = until.to_be_bytes().to_vec();
        plain.extend_from_slice(secret);
        self.key()
            .seal(&plain, &offer_binding(account))
            .map_err(StoreError::Unexpected)
    }

    /// The secret of an offer [`Store::seal_offer`] made to `account`, if it opens with the
    /// data key for this account and has not lapsed by `now`.
    pub fn open_offer(
        &self,
        account: AccountId,
        sealed: &[u8],
        now: OffsetDateTime,
    ) -> Option<Vec<u8>> {
        let plain = self.key().open(sealed, &offer_binding(account)).ok()?;
        let (until, secret) = plain.split_at_checked(8)?;
        let until = i64::from_be_bytes(until.try_into().ok()?);
        (now.unix_timestamp() <= until).then(|| secret.to_vec())
    }

    /// The account's TOTP secret, if it set one up.
    pub async fn totp_secret(&self, account: AccountId) -> Result<Option<Vec<u8>>, StoreError> {
        let row = accounts::Entity::find_by_id(account.get())
            .one(self.db())
            .await
            .map_err(store_error)?;
        row.and_then(|r| r.totp_secret)
            .map(|sealed| self.key().open(&sealed, SEALED_AS))
            .transpose()
            .map_err(StoreError::Unexpected)
    }

    /// Accepts the time step of a right code if no later or equal step was accepted
    /// before: `false` for a code used already (a replay), in one statement.
    pub async fn accept_totp_step(
        &self,
        account: AccountId,
        step: i64,
    ) -> Result<bool, StoreError> {
        let result = accounts::Entity::update_many()
            .col_expr(accounts::Column::TotpLastStep, Expr::value(step))
            .filter(accounts::Column::Id.eq(account.get()))
            .filter(
                Condition::any()
                    .add(accounts::Column::TotpLastStep.is_null())
                    .add(accounts::Column::TotpLastStep.lt(step)),
            )
            .exec(self.db())
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected == 1)
    }

    /// Uses a recovery code (by its hash) once: `false` if it is not one of the account's
    /// or was used.
    pub async fn use_recovery_code(
        &self,
        account: AccountId,
        hash: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let result = recovery_codes::Entity::update_many()
            .col_expr(recovery_codes::Column::UsedAt, Expr::value(utc(now)))
            .filter(recovery_codes::Column::AccountId.eq(account.get()))
            .filter(recovery_codes::Column::CodeHash.eq(hash))
            .filter(recovery_codes::Column::UsedAt.is_null())
            .exec(self.db())
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected == 1)
    }

    /// How many of the account's recovery codes are still unused.
    pub async fn recovery_codes_left(&self, account: AccountId) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        recovery_codes::Entity::find()
            .filter(recovery_codes::Column::AccountId.eq(account.get()))
            .filter(recovery_codes::Column::UsedAt.is_null())
            .count(self.db())
            .await
            .map_err(store_error)
    }

    /// A login waiting for its code, under the hash of its token.
    pub async fn create_challenge(
        &self,
        token_hash: &str,
        account: AccountId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        login_challenges::Entity::insert(login_challenges::ActiveModel {
            token_hash: Set(token_hash.to_owned()),
            account_id: Set(account.get()),
            created_at: Set(utc(now)),
        })
        .exec_without_returning(self.db())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    /// The account of a login still waiting for its code at `now` (at most
    /// [`CHALLENGE_LIFETIME`] old).
    pub async fn challenge(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<AccountId>, StoreError> {
        let row = login_challenges::Entity::find_by_id(token_hash.to_owned())
            .one(self.db())
            .await
            .map_err(store_error)?;
        Ok(row
            .filter(|r| r.created_at + CHALLENGE_LIFETIME > now)
            .map(|r| AccountId::new(r.account_id)))
    }

    /// Ends a login's wait (its code was right, or it is abandoned), and every wait older
    /// than [`CHALLENGE_LIFETIME`].
    pub async fn end_challenge(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        login_challenges::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(login_challenges::Column::TokenHash.eq(token_hash))
                    .add(login_challenges::Column::CreatedAt.lt(utc(now - CHALLENGE_LIFETIME))),
            )
            .exec(self.db())
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

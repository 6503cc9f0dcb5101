//! The security administrator's read: every account with its institution and the failed
//! logins counted against its name, for 账户管理.

use registry_core::access::Account;
use registry_core::ids::InstitutionId;
use registry_core::ports::StoreError;
use sea_orm::FromQueryResult;
use time::OffsetDateTime;

use crate::Store;
use crate::error::store_error;

/// An account as the security administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountListing {
    /// The account.
    pub account: Account,
    /// An institution account's institution: id, name, whether it is active.
    pub institution: Option<(InstitutionId, String, bool)>,
    /// The failed logins counted against the account's name, and when their window began
    /// (whether they lock it is the policy's to say).
    pub failures: Option<(u32, OffsetDateTime)>,
}

impl Store {
    /// The duties of the active administrators (one small indexed read, for the system
    /// administrator's workspace and `registry serve`).
    pub async fn active_duties(&self) -> Result<Vec<registry_core::access::Duty>, StoreError> {
        let rows = self
            .rows(
                // An administrator written before the duties (duty NULL) is a system one,
                // as `convert::account_from_row` reads it.
                "SELECT DISTINCT COALESCE(duty, 'system') AS duty FROM accounts \
                 WHERE role = 'association' AND active",
                vec![],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let code: String = row.try_get("", "duty").map_err(store_error)?;
                registry_core::access::Duty::parse(&code)
                    .ok_or_else(|| StoreError::Unexpected(format!("unknown duty {code}")))
            })
            .collect()
    }

    /// The hashes of the `n` passwords an account used last before its current one, the
    /// latest first.
    pub async fn earlier_passwords(
        &self,
        account: registry_core::access::AccountId,
        n: u32,
    ) -> Result<Vec<registry_core::access::PasswordHash>, StoreError> {
        use crate::entity::password_history;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
        Ok(password_history::Entity::find()
            .filter(password_history::Column::AccountId.eq(account.get()))
            .order_by_desc(password_history::Column::Id)
            .limit(u64::from(n))
            .all(self.db())
            .await
            .map_err(store_error)?
            .into_iter()
            .map(|row| registry_core::access::PasswordHash::new(row.password_hash))
            .collect())
    }

    /// Every account: the administrators first, then institutions' by their number.
    pub async fn accounts(&self) -> Result<Vec<AccountListing>, StoreError> {
        let sql = "SELECT a.id AS a_id, a.username AS a_username, a.role AS a_role, \
                   a.duty AS a_duty, a.institution_id AS a_institution_id, \
                   a.password_hash AS a_password_hash, a.active AS a_active, \
                   a.must_change_password AS a_must_change_password, a.version AS a_version, \
                   a.password_changed_on AS a_password_changed_on, \
                   a.totp_secret AS a_totp_secret, a.totp_last_step AS a_totp_last_step, \
                   a.second_factor_required AS a_second_factor_required, \
                   i.name AS i_name, i.active AS i_active, \
                   t.failures AS t_failures, t.window_start AS t_window_start \
                   FROM accounts a \
                   LEFT JOIN institutions i ON i.id = a.institution_id \
                   LEFT JOIN throttles t ON t.key = 'login:' || a.username \
                   ORDER BY CASE WHEN a.institution_id IS NULL THEN 0 ELSE 1 END, \
                   i.number, a.username";
        let rows = self.rows(sql, vec![]).await?;
        rows.iter()
            .map(|row| {
                let account = crate::convert::account_from_row(
                    crate::entity::accounts::Model::from_query_result(row, "a_")
                        .map_err(store_error)?,
                )?;
                let name: Option<String> = row.try_get("", "i_name").map_err(store_error)?;
                let active: Option<bool> = row.try_get("", "i_active").map_err(store_error)?;
                let institution = match (account.role, name, active) {
                    (registry_core::access::Role::Institution(id), Some(name), Some(active)) => {
                        Some((id, name, active))
                    }
                    _ => None,
                };
                let failures: Option<i32> = row.try_get("", "t_failures").map_err(store_error)?;
                let since: Option<OffsetDateTime> =
                    row.try_get("", "t_window_start").map_err(store_error)?;
                Ok(AccountListing {
                    account,
                    institution,
                    failures: failures
                        .zip(since)
                        .map(|(n, at)| (u32::try_from(n).unwrap_or(0), at)),
                })
            })
            .collect()
    }
}

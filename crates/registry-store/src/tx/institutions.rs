//! Institutions and accounts.

use registry_core::access::{Account, AccountId, PasswordHash, Role, SecondFactor, Username};
use registry_core::ids::{InstitutionId, PersonId};
use registry_core::institution::{Institution, InstitutionDetails};
use registry_core::ports::{
    Conflict, Duplicate, Entity as DomainEntity, SessionsToEnd, StoreError,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter,
};

use super::StoreTx;
use crate::convert::*;
use crate::entity::{
    accounts, correction_requests, institutions, password_history, recovery_codes, sessions,
    throttles,
};
use crate::error::store_error;

pub(super) async fn institution(
    tx: &mut StoreTx,
    id: InstitutionId,
) -> Result<Option<Institution>, StoreError> {
    institutions::Entity::find_by_id(id.get())
        .one(&tx.tx)
        .await
        .map_err(store_error)?
        .map(institution_from_row)
        .transpose()
}

pub(super) async fn insert_institution(
    tx: &mut StoreTx,
    details: &InstitutionDetails,
) -> Result<InstitutionId, StoreError> {
    let row = institutions::ActiveModel {
        id: NotSet,
        active: Set(true),
        version: Set(1),
        ..institution_model(details)
    };
    let inserted = institutions::Entity::insert(row)
        .exec(&tx.tx)
        .await
        .map_err(|e| unique_or(e, institution_duplicate))?;
    Ok(InstitutionId::new(inserted.last_insert_id))
}

pub(super) async fn update_institution(
    tx: &mut StoreTx,
    institution: &Institution,
) -> Result<i64, StoreError> {
    let model = institutions::ActiveModel {
        active: Set(institution.active),
        ..institution_model(&institution.details)
    };
    let result = institutions::Entity::update_many()
        .set(model)
        .col_expr(
            institutions::Column::Version,
            Expr::col(institutions::Column::Version).add(1),
        )
        .filter(institutions::Column::Id.eq(institution.id.get()))
        .filter(institutions::Column::Version.eq(institution.version))
        .exec(&tx.tx)
        .await
        .map_err(|e| unique_or(e, institution_duplicate))?;
    if result.rows_affected == 0 {
        return Err(StoreError::Conflict(Conflict::Stale(
            DomainEntity::Institution,
        )));
    }
    Ok(institution.version + 1)
}

pub(super) async fn account(
    tx: &mut StoreTx,
    id: AccountId,
) -> Result<Option<Account>, StoreError> {
    accounts::Entity::find_by_id(id.get())
        .one(&tx.tx)
        .await
        .map_err(store_error)?
        .map(account_from_row)
        .transpose()
}

pub(super) async fn account_by_username(
    tx: &mut StoreTx,
    username: &Username,
) -> Result<Option<Account>, StoreError> {
    accounts::Entity::find()
        .filter(accounts::Column::Username.eq(username.as_str()))
        .one(&tx.tx)
        .await
        .map_err(store_error)?
        .map(account_from_row)
        .transpose()
}

pub(super) async fn account_of_institution(
    tx: &mut StoreTx,
    institution: InstitutionId,
) -> Result<Option<Account>, StoreError> {
    accounts::Entity::find()
        .filter(accounts::Column::InstitutionId.eq(institution.get()))
        .one(&tx.tx)
        .await
        .map_err(store_error)?
        .map(account_from_row)
        .transpose()
}

pub(super) async fn insert_account(
    tx: &mut StoreTx,
    username: &Username,
    role: Role,
    password: &PasswordHash,
    must_change_password: bool,
    changed_on: time::Date,
) -> Result<AccountId, StoreError> {
    let (role_code, institution) = role_columns(role);
    let inserted = accounts::Entity::insert(accounts::ActiveModel {
        id: NotSet,
        username: Set(username.as_str().to_owned()),
        role: Set(role_code.to_owned()),
        duty: Set(role.duty().map(|d| d.code().to_owned())),
        institution_id: Set(institution),
        password_hash: Set(password.as_str().to_owned()),
        active: Set(true),
        must_change_password: Set(must_change_password),
        password_changed_on: Set(Some(changed_on)),
        totp_secret: Set(None),
        totp_last_step: Set(None),
        second_factor_required: Set(false),
        version: Set(1),
    })
    .exec(&tx.tx)
    .await
    .map_err(|e| unique_or(e, |_| StoreError::Duplicate(Duplicate::Username)))?;
    Ok(AccountId::new(inserted.last_insert_id))
}

/// The stored role and institution of a role (the duty is its own column).
fn role_columns(role: Role) -> (&'static str, Option<i64>) {
    match role {
        Role::Association(_) => ("association", None),
        Role::Institution(id) => ("institution", Some(id.get())),
    }
}

pub(super) async fn update_account(tx: &mut StoreTx, account: &Account) -> Result<i64, StoreError> {
    let (role, institution) = role_columns(account.role);
    let result = accounts::Entity::update_many()
        .col_expr(accounts::Column::Role, Expr::value(role))
        .col_expr(accounts::Column::InstitutionId, Expr::value(institution))
        .col_expr(
            accounts::Column::Duty,
            Expr::value(account.role.duty().map(|d| d.code())),
        )
        .col_expr(
            accounts::Column::PasswordHash,
            Expr::value(account.password.as_str()),
        )
        .col_expr(accounts::Column::Active, Expr::value(account.active))
        .col_expr(
            accounts::Column::MustChangePassword,
            Expr::value(account.must_change_password),
        )
        .col_expr(
            accounts::Column::PasswordChangedOn,
            Expr::value(account.password_changed_on),
        )
        .col_expr(
            accounts::Column::SecondFactorRequired,
            Expr::value(account.second_factor_required),
        )
        .col_expr(
            accounts::Column::Version,
            Expr::col(accounts::Column::Version).add(1),
        )
        .filter(accounts::Column::Id.eq(account.id.get()))
        .filter(accounts::Column::Version.eq(account.version))
        .exec(&tx.tx)
        .await
        .map_err(store_error)?;
    if result.rows_affected == 0 {
        return Err(StoreError::Conflict(Conflict::Stale(DomainEntity::Account)));
    }
    Ok(account.version + 1)
}

pub(super) async fn end_sessions(
    tx: &mut StoreTx,
    which: SessionsToEnd<'_>,
) -> Result<(), StoreError> {
    let delete = sessions::Entity::delete_many();
    let delete = match which {
        SessionsToEnd::Account { account, keep } => {
            let delete = delete.filter(sessions::Column::AccountId.eq(account.get()));
            match keep {
                Some(keep) => delete.filter(sessions::Column::TokenHash.ne(keep)),
                None => delete,
            }
        }
        SessionsToEnd::Entry {
            person,
            institution,
        } => delete
            .filter(sessions::Column::PersonId.eq(person.get()))
            .filter(sessions::Column::InstitutionId.eq(institution.get())),
        SessionsToEnd::Institution(institution) => delete.filter(
            Condition::any()
                .add(sessions::Column::InstitutionId.eq(institution.get()))
                .add(
                    sessions::Column::AccountId.in_subquery(
                        Query::select()
                            .column(accounts::Column::Id)
                            .from(accounts::Entity)
                            .and_where(accounts::Column::InstitutionId.eq(institution.get()))
                            .to_owned(),
                    ),
                ),
        ),
    };
    delete.exec(&tx.tx).await.map_err(store_error)?;
    Ok(())
}

/// Deletes the counters of a fill-in entry: its own (the ceiling) and those of each
/// client address that tried it (`crate::sessions::fill_in_client_key`).
pub(super) async fn set_second_factor(
    tx: &mut StoreTx,
    account: AccountId,
    factor: Option<&SecondFactor>,
) -> Result<(), StoreError> {
    let sealed = factor
        .map(|f| tx.key.seal(&f.secret, crate::second_factor::SEALED_AS))
        .transpose()
        .map_err(StoreError::Unexpected)?;
    accounts::Entity::update_many()
        .col_expr(accounts::Column::TotpSecret, Expr::value(sealed))
        .col_expr(
            accounts::Column::TotpLastStep,
            Expr::value(Option::<i64>::None),
        )
        .filter(accounts::Column::Id.eq(account.get()))
        .exec(&tx.tx)
        .await
        .map_err(store_error)?;
    recovery_codes::Entity::delete_many()
        .filter(recovery_codes::Column::AccountId.eq(account.get()))
        .exec(&tx.tx)
        .await
        .map_err(store_error)?;
    for hash in factor
        .map(|f| f.recovery_hashes.as_slice())
        .unwrap_or_default()
    {
        recovery_codes::Entity::insert(recovery_codes::ActiveModel {
            id: NotSet,
            account_id: Set(account.get()),
            code_hash: Set(hash.clone()),
            used_at: Set(None),
        })
        .exec(&tx.tx)
        .await
        .map_err(store_error)?;
    }
    Ok(())
}

pub(super) async fn insert_correction(
    tx: &mut StoreTx,
    person: PersonId,
    institution: InstitutionId,
    text: &registry_core::text::Text,
    at: time::OffsetDateTime,
) -> Result<i64, StoreError> {
    let inserted = correction_requests::Entity::insert(correction_requests::ActiveModel {
        id: NotSet,
        person_id: Set(person.get()),
        institution_id: Set(institution.get()),
        text: Set(text.as_str().to_owned()),
        created_at: Set(at.to_offset(time::UtcOffset::UTC)),
        answered_at: Set(None),
        answer: Set(None),
    })
    .exec(&tx.tx)
    .await
    .map_err(store_error)?;
    Ok(inserted.last_insert_id)
}

pub(super) async fn answer_correction(
    tx: &mut StoreTx,
    id: i64,
    institution: InstitutionId,
    answer: Option<&registry_core::text::Text>,
    at: time::OffsetDateTime,
) -> Result<Option<PersonId>, StoreError> {
    let Some(row) = correction_requests::Entity::find_by_id(id)
        .filter(correction_requests::Column::InstitutionId.eq(institution.get()))
        .filter(correction_requests::Column::AnsweredAt.is_null())
        .one(&tx.tx)
        .await
        .map_err(store_error)?
    else {
        return Ok(None);
    };
    let result = correction_requests::Entity::update_many()
        .col_expr(
            correction_requests::Column::AnsweredAt,
            Expr::value(at.to_offset(time::UtcOffset::UTC)),
        )
        .col_expr(
            correction_requests::Column::Answer,
            Expr::value(answer.map(|a| a.as_str().to_owned())),
        )
        .filter(correction_requests::Column::Id.eq(id))
        .filter(correction_requests::Column::AnsweredAt.is_null())
        .exec(&tx.tx)
        .await
        .map_err(store_error)?;
    Ok((result.rows_affected == 1).then(|| PersonId::new(row.person_id)))
}

pub(super) async fn remember_password(
    tx: &mut StoreTx,
    account: AccountId,
    password: &PasswordHash,
    replaced_at: time::OffsetDateTime,
) -> Result<(), StoreError> {
    password_history::Entity::insert(password_history::ActiveModel {
        id: NotSet,
        account_id: Set(account.get()),
        password_hash: Set(password.as_str().to_owned()),
        replaced_at: Set(replaced_at),
    })
    .exec(&tx.tx)
    .await
    .map_err(store_error)?;
    Ok(())
}

pub(super) async fn forget_login_attempts(
    tx: &mut StoreTx,
    username: &Username,
) -> Result<(), StoreError> {
    throttles::Entity::delete_many()
        .filter(throttles::Column::Key.eq(crate::sessions::login_key(username)))
        .exec(&tx.tx)
        .await
        .map_err(store_error)?;
    Ok(())
}

pub(super) async fn forget_fill_in_attempts(
    tx: &mut StoreTx,
    person: PersonId,
    institution: InstitutionId,
) -> Result<(), StoreError> {
    let per_client = crate::sessions::fill_in_client_key(person, institution, "");
    throttles::Entity::delete_many()
        .filter(
            Condition::any()
                .add(
                    throttles::Column::Key
                        .eq(crate::sessions::fill_in_entry_key(person, institution)),
                )
                // The prefix is digits and punctuation that LIKE does not interpret.
                .add(throttles::Column::Key.like(format!("{per_client}%"))),
        )
        .exec(&tx.tx)
        .await
        .map_err(store_error)?;
    Ok(())
}

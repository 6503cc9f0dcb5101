//! The core's `MachineTx`: training providers and API tokens.

use registry_core::api_token::{ApiToken, NewToken, TokenSecretHash};
use registry_core::ids::{ProviderId, TokenId};
use registry_core::ports::{MachineTx, StoreError};
use registry_core::provider::{ProviderDetails, TrainingProvider};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use time::OffsetDateTime;

use super::StoreTx;
use crate::entity::{api_tokens, training_providers};
use crate::error::store_error;

fn utc(at: OffsetDateTime) -> OffsetDateTime {
    at.to_offset(time::UtcOffset::UTC)
}

pub(crate) fn provider_from_row(
    row: training_providers::Model,
) -> Result<TrainingProvider, StoreError> {
    Ok(TrainingProvider {
        id: ProviderId::new(row.id),
        details: ProviderDetails {
            name: crate::convert::text(&row.name, registry_core::provider::NAME_MAX)?,
            contact: crate::convert::optional_text(
                row.contact.as_deref(),
                registry_core::provider::CONTACT_MAX,
            )?,
        },
    })
}

pub(crate) fn token_from_row(row: api_tokens::Model) -> Result<ApiToken, StoreError> {
    use registry_core::api_token::TokenHolder;
    use registry_core::ids::InstitutionId;
    let holder = match (row.institution_id, row.provider_id) {
        (Some(i), None) => TokenHolder::Institution(InstitutionId::new(i)),
        (None, Some(p)) => TokenHolder::Provider(ProviderId::new(p)),
        _ => {
            return Err(StoreError::Unexpected(format!(
                "token {} has no single holder",
                row.id
            )));
        }
    };
    Ok(ApiToken {
        id: TokenId::new(row.id),
        name: crate::convert::text(&row.name, registry_core::api_token::NAME_MAX)?,
        holder,
        scopes: ApiToken::scopes_from_codes(&row.scopes),
        expires_on: row.expires_on,
        issued_at: row.issued_at,
        issued_by: row.issued_by,
        revoked_at: row.revoked_at,
        last_used_at: row.last_used_at,
    })
}

impl MachineTx for StoreTx {
    async fn providers(&mut self) -> Result<Vec<TrainingProvider>, StoreError> {
        training_providers::Entity::find()
            .order_by_asc(training_providers::Column::Name)
            .order_by_asc(training_providers::Column::Id)
            .all(&self.tx)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(provider_from_row)
            .collect()
    }

    async fn provider(&mut self, id: ProviderId) -> Result<Option<TrainingProvider>, StoreError> {
        training_providers::Entity::find_by_id(id.get())
            .one(&self.tx)
            .await
            .map_err(store_error)?
            .map(provider_from_row)
            .transpose()
    }

    async fn insert_provider(
        &mut self,
        details: &ProviderDetails,
    ) -> Result<ProviderId, StoreError> {
        let inserted = training_providers::Entity::insert(training_providers::ActiveModel {
            id: NotSet,
            name: Set(details.name.as_str().to_owned()),
            contact: Set(details.contact.as_ref().map(|c| c.as_str().to_owned())),
        })
        .exec(&self.tx)
        .await
        .map_err(store_error)?;
        Ok(ProviderId::new(inserted.last_insert_id))
    }

    async fn tokens(&mut self) -> Result<Vec<ApiToken>, StoreError> {
        api_tokens::Entity::find()
            .order_by_desc(api_tokens::Column::Id)
            .all(&self.tx)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(token_from_row)
            .collect()
    }

    async fn token(&mut self, id: TokenId) -> Result<Option<ApiToken>, StoreError> {
        api_tokens::Entity::find_by_id(id.get())
            .one(&self.tx)
            .await
            .map_err(store_error)?
            .map(token_from_row)
            .transpose()
    }

    async fn insert_token(
        &mut self,
        token: &NewToken,
        secret: &TokenSecretHash,
        at: OffsetDateTime,
        issued_by: &str,
    ) -> Result<TokenId, StoreError> {
        use registry_core::api_token::TokenHolder;
        let (institution, provider) = match token.holder {
            TokenHolder::Institution(i) => (Some(i.get()), None),
            TokenHolder::Provider(p) => (None, Some(p.get())),
        };
        let inserted = api_tokens::Entity::insert(api_tokens::ActiveModel {
            id: NotSet,
            name: Set(token.name.as_str().to_owned()),
            institution_id: Set(institution),
            provider_id: Set(provider),
            scopes: Set(ApiToken::scope_codes(&token.scopes)),
            expires_on: Set(token.expires_on),
            issued_at: Set(utc(at)),
            issued_by: Set(issued_by.to_owned()),
            revoked_at: Set(None),
            last_used_at: Set(None),
            secret_hash: Set(secret.as_str().to_owned()),
        })
        .exec(&self.tx)
        .await
        .map_err(store_error)?;
        Ok(TokenId::new(inserted.last_insert_id))
    }

    async fn revoke_token(&mut self, id: TokenId, at: OffsetDateTime) -> Result<bool, StoreError> {
        let changed = api_tokens::Entity::update_many()
            .col_expr(
                api_tokens::Column::RevokedAt,
                sea_orm::sea_query::Expr::value(utc(at)),
            )
            .filter(api_tokens::Column::Id.eq(id.get()))
            .filter(api_tokens::Column::RevokedAt.is_null())
            .exec(&self.tx)
            .await
            .map_err(store_error)?;
        Ok(changed.rows_affected > 0)
    }
}

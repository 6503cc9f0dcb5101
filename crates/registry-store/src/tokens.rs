//! Finding the API token of a request by the hash of its secret, and marking its use: on
//! every request that sends `Authorization: Bearer`, outside the register's transactions
//! (as a session is found).

use registry_core::api_token::ApiToken;
use registry_core::ports::StoreError;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use time::OffsetDateTime;

use crate::Store;
use crate::entity::api_tokens;
use crate::error::store_error;

impl Store {
    /// The token whose secret hashes to `secret_hash`, revoked or expired or not.
    pub async fn token_by_secret(&self, secret_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        api_tokens::Entity::find()
            .filter(api_tokens::Column::SecretHash.eq(secret_hash))
            .one(self.db())
            .await
            .map_err(store_error)?
            .map(crate::tx::token_from_row)
            .transpose()
    }

    /// Records that the token was used at `now` (callers write at most once a minute).
    pub async fn touch_token(
        &self,
        token: registry_core::ids::TokenId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        api_tokens::Entity::update_many()
            .col_expr(
                api_tokens::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(now.to_offset(time::UtcOffset::UTC)),
            )
            .filter(api_tokens::Column::Id.eq(token.get()))
            .exec(self.db())
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

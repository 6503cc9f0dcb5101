//! The port of machine clients: training providers and the API tokens issued to them and
//! to institutions.

use std::future::Future;

use time::OffsetDateTime;

use super::StoreError;
use crate::api_token::{ApiToken, NewToken, TokenSecretHash};
use crate::ids::{ProviderId, TokenId};
use crate::provider::{ProviderDetails, TrainingProvider};

/// Reads and writes of providers and tokens, within a transaction of the register (a part
/// of [`super::RegisterTx`]). Finding a token by its secret, on every request, is the
/// store's own (like a session's).
pub trait MachineTx: Send {
    /// Every training provider, by name.
    fn providers(
        &mut self,
    ) -> impl Future<Output = Result<Vec<TrainingProvider>, StoreError>> + Send;

    /// One provider.
    fn provider(
        &mut self,
        id: ProviderId,
    ) -> impl Future<Output = Result<Option<TrainingProvider>, StoreError>> + Send;

    /// Adds a provider.
    fn insert_provider(
        &mut self,
        details: &ProviderDetails,
    ) -> impl Future<Output = Result<ProviderId, StoreError>> + Send;

    /// Every token, newest first.
    fn tokens(&mut self) -> impl Future<Output = Result<Vec<ApiToken>, StoreError>> + Send;

    /// One token.
    fn token(
        &mut self,
        id: TokenId,
    ) -> impl Future<Output = Result<Option<ApiToken>, StoreError>> + Send;

    /// Keeps a token issued at `at` by `issued_by`, under the hash of its secret.
    fn insert_token(
        &mut self,
        token: &NewToken,
        secret: &TokenSecretHash,
        at: OffsetDateTime,
        issued_by: &str,
    ) -> impl Future<Output = Result<TokenId, StoreError>> + Send;

    /// Revokes a token at `at`, if it was not revoked before; whether it was revoked now.
    fn revoke_token(
        &mut self,
        id: TokenId,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

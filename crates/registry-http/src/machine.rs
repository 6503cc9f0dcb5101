//! What the pages and the API share about machine clients: a new token's secret, and the
//! list of tokens with their holders' names and standing today.

use registry_core::api_token::{ApiToken, Standing, TokenHolder, TokenSecretHash};
use registry_core::ports::{MachineTx, RegisterTx, StoreError};

use crate::AppState;
use crate::secrets::{new_token, token_hash};

/// The prefix of every token's secret, so that a secret pasted where it should not be is
/// recognised (by secret scanners, by people).
pub(crate) const SECRET_PREFIX: &str = "rgt_";

/// A new secret, as shown once, and the hash kept.
pub(crate) fn issue_secret() -> Result<(String, TokenSecretHash), StoreError> {
    let secret = format!(
        "{SECRET_PREFIX}{}",
        new_token().map_err(|e| StoreError::Unexpected(e.to_string()))?
    );
    let hash = TokenSecretHash::new(token_hash(&secret));
    Ok((secret, hash))
}

/// A token as listed.
pub(crate) struct TokenRow {
    pub(crate) token: ApiToken,
    /// The institution's or provider's name.
    pub(crate) holder_name: String,
    /// Whether it works today.
    pub(crate) standing: Standing,
}

/// Every token, newest first, with its holder's name and its standing today.
pub(crate) async fn token_rows(state: &AppState) -> Result<Vec<TokenRow>, StoreError> {
    let today = state.today();
    let mut tx = state.store.begin_read().await?;
    let tokens = tx.tokens().await?;
    let mut rows = Vec::with_capacity(tokens.len());
    for token in tokens {
        let holder_name = match token.holder {
            TokenHolder::Institution(id) => tx
                .institution(id)
                .await?
                .map(|i| i.details.name.as_str().to_owned()),
            TokenHolder::Provider(id) => tx
                .provider(id)
                .await?
                .map(|p| p.details.name.as_str().to_owned()),
        }
        .unwrap_or_default();
        rows.push(TokenRow {
            standing: token.standing(today),
            token,
            holder_name,
        });
    }
    Ok(rows)
}

/// The training providers as a form's choices: (id as text, name), by name.
pub(crate) async fn provider_choices(
    state: &AppState,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut tx = state.store.begin_read().await?;
    Ok(tx
        .providers()
        .await?
        .into_iter()
        .map(|p| (p.id.to_string(), p.details.name.as_str().to_owned()))
        .collect())
}

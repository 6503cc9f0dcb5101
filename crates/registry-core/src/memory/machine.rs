//! The in-memory register's training providers and API tokens.

use time::OffsetDateTime;

use super::MemoryTx;
use crate::api_token::{ApiToken, NewToken, TokenSecretHash};
use crate::ids::{ProviderId, TokenId};
use crate::ports::{MachineTx, StoreError};
use crate::provider::{ProviderDetails, TrainingProvider};

impl MachineTx for MemoryTx {
    async fn providers(&mut self) -> Result<Vec<TrainingProvider>, StoreError> {
        let mut all: Vec<TrainingProvider> = self.state.providers.values().cloned().collect();
        all.sort_by(|a, b| a.details.name.cmp(&b.details.name));
        Ok(all)
    }

    async fn provider(&mut self, id: ProviderId) -> Result<Option<TrainingProvider>, StoreError> {
        Ok(self.state.providers.get(&id).cloned())
    }

    async fn insert_provider(
        &mut self,
        details: &ProviderDetails,
    ) -> Result<ProviderId, StoreError> {
        let state = self.write()?;
        let id = ProviderId::new(state.next_id());
        state.providers.insert(
            id,
            TrainingProvider {
                id,
                details: details.clone(),
            },
        );
        Ok(id)
    }

    async fn tokens(&mut self) -> Result<Vec<ApiToken>, StoreError> {
        Ok(self
            .state
            .tokens
            .values()
            .rev()
            .map(|(t, _)| t.clone())
            .collect())
    }

    async fn token(&mut self, id: TokenId) -> Result<Option<ApiToken>, StoreError> {
        Ok(self.state.tokens.get(&id).map(|(t, _)| t.clone()))
    }

    async fn insert_token(
        &mut self,
        token: &NewToken,
        secret: &TokenSecretHash,
        at: OffsetDateTime,
        issued_by: &str,
    ) -> Result<TokenId, StoreError> {
        let state = self.write()?;
        if state.tokens.values().any(|(_, h)| h == secret.as_str()) {
            return Err(StoreError::Unexpected("token secret reused".into()));
        }
        let id = TokenId::new(state.next_id());
        state.tokens.insert(
            id,
            (
                ApiToken {
                    id,
                    name: token.name.clone(),
                    holder: token.holder,
                    scopes: token.scopes.clone(),
                    expires_on: token.expires_on,
                    issued_at: at,
                    issued_by: issued_by.to_owned(),
                    revoked_at: None,
                    last_used_at: None,
                },
                secret.as_str().to_owned(),
            ),
        );
        Ok(id)
    }

    async fn revoke_token(&mut self, id: TokenId, at: OffsetDateTime) -> Result<bool, StoreError> {
        let state = self.write()?;
        match state.tokens.get_mut(&id) {
            Some((token, _)) if token.revoked_at.is_none() => {
                token.revoked_at = Some(at);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// Adds a course (`RegisterTx::insert_course`): its provider must exist, as the foreign key
/// of real storage requires.
pub(super) fn insert_course(
    state: &mut super::State,
    details: &crate::education::CourseDetails,
    provider: Option<ProviderId>,
) -> Result<crate::ids::CourseId, StoreError> {
    if provider.is_some_and(|p| !state.providers.contains_key(&p)) {
        return Err(StoreError::Unexpected("no such provider".into()));
    }
    let id = crate::ids::CourseId::new(state.next_id());
    state.courses.insert(
        id,
        crate::education::TrainingCourse {
            id,
            details: details.clone(),
            provider,
        },
    );
    Ok(id)
}

//! The use cases of machine clients: training providers, and the API tokens the security
//! administrator issues to institutions and providers and revokes.

use super::{Context, UseCase, UseCaseError};
use crate::api_token::{ApiToken, NewToken, TokenForm, TokenHolder, TokenSecretHash};
use crate::date::format_date;
use crate::ids::{ProviderId, TokenId};
use crate::ports::{Entity, RegisterTx, Snapshot};
use crate::provider::{ProviderDetails, ProviderForm};

/// Adds a training provider.
#[derive(Debug, Clone)]
pub struct CreateProvider {
    /// The form.
    pub form: ProviderForm,
}

impl UseCase for CreateProvider {
    type Output = ProviderId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<ProviderId, UseCaseError> {
        let details = ProviderDetails::parse(&self.form)?;
        let id = tx.insert_provider(&details).await?;
        let after = Snapshot::default().with("name", &details.name).with(
            "contact",
            details.contact.as_ref().map_or("", |c| c.as_str()),
        );
        tx.audit(&ctx.audit(
            "provider.create",
            Entity::Provider,
            id.get(),
            None,
            None,
            Some(after),
        ))
        .await?;
        Ok(id)
    }
}

fn token_snapshot(
    name: &str,
    holder: TokenHolder,
    scopes: &std::collections::BTreeSet<crate::api_token::Scope>,
    expires_on: time::Date,
) -> Snapshot {
    Snapshot::default()
        .with("name", name)
        .with("holder", holder)
        .with("scopes", ApiToken::scope_codes(scopes))
        .with("expires_on", format_date(expires_on))
}

/// Issues an API token: its holder must exist (an institution active), its scopes fit the
/// holder, its expiry within a year and a day. The caller made the secret and passes its
/// hash; the secret is shown once and never kept.
#[derive(Debug, Clone)]
pub struct IssueToken {
    /// The form.
    pub form: TokenForm,
    /// The hash of the new secret.
    pub secret: TokenSecretHash,
}

impl UseCase for IssueToken {
    type Output = TokenId;

    async fn run<T: RegisterTx>(
        &self,
        ctx: &Context<'_>,
        tx: &mut T,
    ) -> Result<TokenId, UseCaseError> {
        match self.form.holder {
            TokenHolder::Institution(id) => {
                super::active_institution(tx, id).await?;
            }
            TokenHolder::Provider(id) => {
                tx.provider(id)
                    .await?
                    .ok_or(UseCaseError::NotFound(Entity::Provider))?;
            }
        }
        let token = NewToken::parse(&self.form, ctx.today())?;
        let issued_by = ctx.actor.describe();
        let id = tx
            .insert_token(&token, &self.secret, ctx.now, &issued_by)
            .await?;
        tx.audit(&ctx.audit(
            "token.issue",
            Entity::Token,
            id.get(),
            None,
            None,
            Some(token_snapshot(
                token.name.as_str(),
                token.holder,
                &token.scopes,
                token.expires_on,
            )),
        ))
        .await?;
        Ok(id)
    }
}

/// Revokes an API token: it never works again. Revoking one revoked before changes
/// nothing and is not an error.
#[derive(Debug, Clone)]
pub struct RevokeToken {
    /// The token.
    pub token: TokenId,
}

impl UseCase for RevokeToken {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        let token = tx
            .token(self.token)
            .await?
            .ok_or(UseCaseError::NotFound(Entity::Token))?;
        if tx.revoke_token(self.token, ctx.now).await? {
            let before = token_snapshot(
                token.name.as_str(),
                token.holder,
                &token.scopes,
                token.expires_on,
            );
            tx.audit(&ctx.audit(
                "token.revoke",
                Entity::Token,
                token.id.get(),
                None,
                Some(before),
                None,
            ))
            .await?;
        }
        Ok(())
    }
}

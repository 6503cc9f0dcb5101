//! The lockout of password checks (logins and fill-in entries): every attempt is counted
//! in the database, under its subject (the account or the person's entry) and its client
//! address, *before* its password is checked, in one statement each. Attempts sent all at
//! once are therefore counted all at once: at most the policy's number of them get their
//! password checked in a window, however many arrive together and on however many server
//! instances. A success forgets the subject's failures and gives the client its attempt
//! back; a failure stays counted.

use registry_core::ports::StoreError;

use crate::AppState;
use crate::pages::minutes_until;

/// An attempt admitted to a password check.
pub(crate) struct Attempt {
    subject: String,
    client: String,
}

/// Counts an attempt on `subject` from `client` and admits it, or says for how many
/// minutes both are locked (`Err`).
pub(crate) async fn admit(
    state: &AppState,
    subject: String,
    client: &str,
) -> Result<Result<Attempt, i64>, StoreError> {
    let now = state.clock.now();
    let policy = state.config.lockout;
    let window = time::Duration::minutes(i64::from(policy.window_minutes));
    let client = format!("client:{client}");
    let by_subject = state.store.add_to_count(&subject, 1, now, window).await?;
    let by_client = state.store.add_to_count(&client, 1, now, window).await?;
    if by_subject.count > policy.per_subject {
        return Ok(Err(minutes_until(by_subject.window_ends, now)));
    }
    if by_client.count > policy.per_client {
        return Ok(Err(minutes_until(by_client.window_ends, now)));
    }
    Ok(Ok(Attempt { subject, client }))
}

impl Attempt {
    /// The password was right.
    pub(crate) async fn succeeded(self, state: &AppState) -> Result<(), StoreError> {
        state.store.clear_failures(&self.subject).await?;
        state.store.release_count(&self.client).await
    }
}

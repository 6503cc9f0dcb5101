//! The port of reminder settings: what each recipient chose to get.

use std::future::Future;

use super::StoreError;
use crate::reminder::{Recipient, ReminderSettings};

/// Reads and writes of the reminder settings, within a transaction of the register
/// (a part of [`super::RegisterTx`]).
pub trait ReminderTx: Send {
    /// What `recipient` chose (everything on when they never chose).
    fn reminder_settings(
        &mut self,
        recipient: Recipient,
    ) -> impl Future<Output = Result<ReminderSettings, StoreError>> + Send;

    /// Queues a digest of the outbox again, with its reminders (one sent, or marked
    /// failed); whether there was such a digest. A register without an outbox has none.
    fn resend_digest(
        &mut self,
        digest: i64,
        at: time::OffsetDateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records what `recipient` chose.
    fn set_reminder_settings(
        &mut self,
        recipient: Recipient,
        settings: &ReminderSettings,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

//! The in-memory register's reminder settings.

use super::MemoryTx;
use crate::ports::{ReminderTx, StoreError};
use crate::reminder::{Recipient, ReminderSettings};

impl ReminderTx for MemoryTx {
    async fn reminder_settings(
        &mut self,
        recipient: Recipient,
    ) -> Result<ReminderSettings, StoreError> {
        Ok(self
            .state
            .reminder_settings
            .get(&recipient)
            .cloned()
            .unwrap_or_default())
    }

    async fn resend_digest(
        &mut self,
        _digest: i64,
        _at: time::OffsetDateTime,
    ) -> Result<bool, StoreError> {
        // The in-memory register keeps no outbox.
        Ok(false)
    }

    async fn set_reminder_settings(
        &mut self,
        recipient: Recipient,
        settings: &ReminderSettings,
    ) -> Result<(), StoreError> {
        self.write()?
            .reminder_settings
            .insert(recipient, settings.clone());
        Ok(())
    }
}

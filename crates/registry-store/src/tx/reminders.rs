//! The core's `ReminderTx`: each recipient's reminder settings, one row per recipient
//! that chose (none: everything on).

use registry_core::ports::{ReminderTx, StoreError};
use registry_core::reminder::{Recipient, ReminderSettings};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use time::OffsetDateTime;

use super::StoreTx;
use crate::entity::reminder_settings;
use crate::error::store_error;

impl ReminderTx for StoreTx {
    async fn reminder_settings(
        &mut self,
        recipient: Recipient,
    ) -> Result<ReminderSettings, StoreError> {
        Ok(reminder_settings::Entity::find_by_id(recipient.key())
            .one(&self.tx)
            .await
            .map_err(store_error)?
            .map(|row| ReminderSettings::from_codes(&row.off))
            .unwrap_or_default())
    }

    async fn resend_digest(&mut self, digest: i64, at: OffsetDateTime) -> Result<bool, StoreError> {
        let at = at.to_offset(time::UtcOffset::UTC);
        let changed = self
            .tx
            .execute_raw(crate::sql::statement_for(
                self.engine,
                "UPDATE digests SET state = 'queued', attempts = 0, next_attempt_at = ?, \
                 lease_until = NULL WHERE id = ? AND state IN ('failed', 'sent')",
                vec![at.into(), digest.into()],
            ))
            .await
            .map_err(store_error)?
            .rows_affected();
        if changed > 0 {
            self.tx
                .execute_raw(crate::sql::statement_for(
                    self.engine,
                    "UPDATE outbox SET state = 'queued' WHERE digest_id = ? AND state = 'sent'",
                    vec![digest.into()],
                ))
                .await
                .map_err(store_error)?;
        }
        Ok(changed > 0)
    }

    async fn set_reminder_settings(
        &mut self,
        recipient: Recipient,
        settings: &ReminderSettings,
    ) -> Result<(), StoreError> {
        reminder_settings::Entity::insert(reminder_settings::ActiveModel {
            recipient: Set(recipient.key()),
            off: Set(settings.to_codes()),
        })
        .on_conflict(
            OnConflict::column(reminder_settings::Column::Recipient)
                .update_column(reminder_settings::Column::Off)
                .to_owned(),
        )
        .exec_without_returning(&self.tx)
        .await
        .map_err(store_error)?;
        Ok(())
    }
}

//! Reminder settings: an institution's contact e-mail and the reminders it gets; a
//! person's choice, through their fill-in entry, to get their own reminders or not.

use super::{Context, UseCase, UseCaseError};
use crate::ids::{InstitutionId, PersonId};
use crate::institution::Institution;
use crate::person::Email;
use crate::ports::{Entity, RegisterTx, Snapshot};
use crate::reminder::{Recipient, ReminderKind, ReminderSettings};
use crate::violation::{Violation, Violations};

/// An institution sets where its reminders go and which it gets.
#[derive(Debug, Clone)]
pub struct ChangeReminderSettings {
    /// The institution (its own settings only).
    pub institution: InstitutionId,
    /// The contact e-mail, as typed (empty: none, and nothing is sent).
    pub email: String,
    /// The kinds it wants, of [`ReminderKind::FOR_INSTITUTION`].
    pub wanted: Vec<ReminderKind>,
    /// The institution's version read when the form was shown.
    pub version: i64,
}

fn settings_snapshot(email: Option<&Email>, settings: &ReminderSettings) -> Snapshot {
    Snapshot::default()
        .with("email", email.map(Email::as_str).unwrap_or_default())
        .with("reminders_off", settings.to_codes())
}

impl UseCase for ChangeReminderSettings {
    type Output = i64;

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<i64, UseCaseError> {
        let email = match self.email.trim() {
            "" => None,
            typed => Some(Email::parse(typed).ok_or_else(|| {
                Violations::from(Violation::BadFormat {
                    field: "email",
                    label: "联系邮箱",
                    expected: "应形如 name@example.com",
                })
            })?),
        };
        let before = tx
            .institution(self.institution)
            .await?
            .ok_or(UseCaseError::NotFound(Entity::Institution))?;
        before.ensure_active()?;
        let recipient = Recipient::Institution(self.institution);
        let settings_before = tx.reminder_settings(recipient).await?;
        let settings = ReminderSettings::only(&ReminderKind::FOR_INSTITUTION, &self.wanted);
        let mut details = before.details.clone();
        details.email = email.clone();
        let version = tx
            .update_institution(&Institution {
                details,
                version: self.version,
                ..before.clone()
            })
            .await?;
        tx.set_reminder_settings(recipient, &settings).await?;
        tx.audit(&ctx.audit(
            "institution.reminders",
            Entity::Institution,
            self.institution.get(),
            None,
            Some(settings_snapshot(
                before.details.email.as_ref(),
                &settings_before,
            )),
            Some(settings_snapshot(email.as_ref(), &settings)),
        ))
        .await?;
        Ok(version)
    }
}

/// The association sends a digest of the outbox again (one the mail server refused for
/// the last time, or one a recipient says never arrived).
#[derive(Debug, Clone)]
pub struct ResendDigest {
    /// The digest.
    pub digest: i64,
}

impl UseCase for ResendDigest {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        if !tx.resend_digest(self.digest, ctx.now).await? {
            return Err(Violations::from(Violation::DigestNotResendable).into());
        }
        tx.audit(&ctx.audit(
            "outbox.resend",
            Entity::Digest,
            self.digest,
            None,
            None,
            Some(Snapshot::default().with("digest", self.digest)),
        ))
        .await?;
        Ok(())
    }
}

/// A person chooses, through their fill-in entry, whether they get their own reminders
/// (by e-mail to the address of their details, and by text message where one is sent).
#[derive(Debug, Clone)]
pub struct ChangeOwnReminders {
    /// The person.
    pub person: PersonId,
    /// Whether they want them.
    pub receive: bool,
}

impl UseCase for ChangeOwnReminders {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        tx.person(self.person)
            .await?
            .ok_or(UseCaseError::NotFound(Entity::Person))?;
        let recipient = Recipient::Person(self.person);
        let before = tx.reminder_settings(recipient).await?;
        let wanted: &[ReminderKind] = if self.receive {
            &ReminderKind::FOR_PERSON
        } else {
            &[]
        };
        let after = ReminderSettings::only(&ReminderKind::FOR_PERSON, wanted);
        if before == after {
            return Ok(());
        }
        tx.set_reminder_settings(recipient, &after).await?;
        tx.audit(&ctx.audit(
            "person.reminders",
            Entity::Person,
            self.person.get(),
            Some(self.person),
            Some(Snapshot::default().with("reminders_off", before.to_codes())),
            Some(Snapshot::default().with("reminders_off", after.to_codes())),
        ))
        .await?;
        Ok(())
    }
}

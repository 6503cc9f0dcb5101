//! The facts reminders are decided from, read in one transaction: registrations ending,
//! fill-in entries not completed, holdings waiting to be registered, and how to reach
//! everyone they name (the core's `reminder::due` decides; the outbox keeps).

use std::collections::BTreeMap;

use registry_core::holding::EntryProgress;
use registry_core::ids::{HoldingId, InstitutionId, PersonId};
use registry_core::person::{Email, MobilePhone, PersonName};
use registry_core::ports::StoreError;
use registry_core::reminder::due::{
    AwaitingFact, Contacts, EntryFact, InstitutionContact, PersonContact, RegistrationFact,
};
use registry_core::reminder::{Recipient, ReminderSettings};
use sea_orm::{DatabaseTransaction, TransactionTrait, Value};
use time::Date;

use crate::Store;
use crate::error::store_error;
use crate::outbox::IN_LIST;
use crate::queries::{get, item};

fn name(text: &str) -> Result<PersonName, StoreError> {
    PersonName::parse(text).map_err(|e| StoreError::Unexpected(e.to_string()))
}

/// The plain facts the core decides reminders from, as the store holds them.
#[derive(Debug, Clone, Default)]
pub struct ReminderRows {
    /// Registrations in force that end by the horizon asked for.
    pub registrations: Vec<RegistrationFact>,
    /// Fill-in entries not completed, at active institutions that hold an item of the
    /// person.
    pub entries: Vec<EntryFact>,
    /// Holdings waiting to be registered, at active institutions.
    pub awaiting: Vec<AwaitingFact>,
    /// The institutions and the people named above, with their settings (the
    /// association's address and the text-message switch are the caller's).
    pub contacts: Contacts,
}

impl Store {
    /// The facts of the reminders due on `today`: registrations in force ending by
    /// `until`, entries not completed, holdings waiting, and the contacts of everyone
    /// they name. Read in one transaction.
    pub async fn reminder_rows(
        &self,
        today: Date,
        until: Date,
    ) -> Result<ReminderRows, StoreError> {
        let tx = self.db.begin().await.map_err(store_error)?;
        let mut out = ReminderRows::default();
        for r in self
            .rows_on(
                &tx,
                "SELECT h.id, h.person_id, p.name, h.institution_id, h.item_code, h.valid_from, \
                 h.valid_until FROM holdings h JOIN people p ON p.id = h.person_id \
                 JOIN institutions i ON i.id = h.institution_id \
                 WHERE h.state = 'registered' AND h.valid_until >= ? AND h.valid_until <= ? \
                 AND i.active ORDER BY h.id",
                vec![today.into(), until.into()],
            )
            .await?
        {
            out.registrations.push(RegistrationFact {
                holding: HoldingId::new(get(&r, "id")?),
                person: PersonId::new(get(&r, "person_id")?),
                name: name(&get::<String>(&r, "name")?)?,
                institution: InstitutionId::new(get(&r, "institution_id")?),
                item: item(&get::<String>(&r, "item_code")?)?,
                valid_from: get(&r, "valid_from")?,
                valid_until: get(&r, "valid_until")?,
            });
        }
        for r in self
            .rows_on(
                &tx,
                "SELECT e.person_id, p.name, e.institution_id, \
                 COALESCE(e.password_set_on, e.since) AS set_on, e.progress \
                 FROM employments e JOIN people p ON p.id = e.person_id \
                 JOIN institutions i ON i.id = e.institution_id \
                 WHERE e.progress <> 'complete' AND i.active AND EXISTS (SELECT 1 FROM holdings h \
                 WHERE h.person_id = e.person_id AND h.institution_id = e.institution_id \
                 AND h.state <> 'released') ORDER BY e.person_id, e.institution_id",
                vec![],
            )
            .await?
        {
            let progress: String = get(&r, "progress")?;
            out.entries.push(EntryFact {
                person: PersonId::new(get(&r, "person_id")?),
                name: name(&get::<String>(&r, "name")?)?,
                institution: InstitutionId::new(get(&r, "institution_id")?),
                password_set_on: get(&r, "set_on")?,
                progress: EntryProgress::from_code(&progress)
                    .ok_or_else(|| StoreError::Unexpected(format!("progress {progress}")))?,
            });
        }
        for r in self
            .rows_on(
                &tx,
                "SELECT h.id, h.person_id, p.name, h.institution_id, h.item_code, \
                 COALESCE(h.state_since, h.since) AS since \
                 FROM holdings h JOIN people p ON p.id = h.person_id \
                 JOIN institutions i ON i.id = h.institution_id \
                 WHERE h.state = 'awaiting_registration' AND i.active ORDER BY h.id",
                vec![],
            )
            .await?
        {
            out.awaiting.push(AwaitingFact {
                holding: HoldingId::new(get(&r, "id")?),
                person: PersonId::new(get(&r, "person_id")?),
                name: name(&get::<String>(&r, "name")?)?,
                institution: InstitutionId::new(get(&r, "institution_id")?),
                item: item(&get::<String>(&r, "item_code")?)?,
                since: get(&r, "since")?,
            });
        }
        let settings: BTreeMap<String, ReminderSettings> = self
            .rows_on(&tx, "SELECT recipient, off FROM reminder_settings", vec![])
            .await?
            .iter()
            .map(|r| {
                Ok((
                    get::<String>(r, "recipient")?,
                    ReminderSettings::from_codes(&get::<String>(r, "off")?),
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        let settings_of = |who: Recipient| settings.get(&who.key()).cloned().unwrap_or_default();
        for r in self
            .rows_on(
                &tx,
                "SELECT id, name, email, active FROM institutions",
                vec![],
            )
            .await?
        {
            let id = InstitutionId::new(get(&r, "id")?);
            out.contacts.institutions.insert(
                id,
                InstitutionContact {
                    name: get(&r, "name")?,
                    email: get::<Option<String>>(&r, "email")?
                        .as_deref()
                        .and_then(Email::parse),
                    settings: settings_of(Recipient::Institution(id)),
                    active: get(&r, "active")?,
                },
            );
        }
        let mut people: Vec<i64> = out.registrations.iter().map(|r| r.person.get()).collect();
        people.sort_unstable();
        people.dedup();
        self.add_people(&tx, &people, &settings, &mut out.contacts)
            .await?;
        Ok(out)
    }

    /// Adds the contacts of `people` (their e-mail and mobile, their settings).
    async fn add_people(
        &self,
        tx: &DatabaseTransaction,
        people: &[i64],
        settings: &BTreeMap<String, ReminderSettings>,
        contacts: &mut Contacts,
    ) -> Result<(), StoreError> {
        for chunk in people.chunks(IN_LIST) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let values = chunk.iter().map(|id| Value::from(*id)).collect();
            for r in self
                .rows_on(
                    tx,
                    &format!("SELECT id, email, mobile FROM people WHERE id IN ({marks})"),
                    values,
                )
                .await?
            {
                let id = PersonId::new(get(&r, "id")?);
                contacts.people.insert(
                    id,
                    PersonContact {
                        email: get::<Option<String>>(&r, "email")?
                            .as_deref()
                            .and_then(Email::parse),
                        mobile: get::<Option<String>>(&r, "mobile")?
                            .as_deref()
                            .and_then(MobilePhone::parse),
                        settings: settings
                            .get(&Recipient::Person(id).key())
                            .cloned()
                            .unwrap_or_default(),
                    },
                );
            }
        }
        Ok(())
    }

    /// The contacts of more `people` (those whose records the caller read).
    pub async fn person_contacts(
        &self,
        people: &[PersonId],
        contacts: &mut Contacts,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin().await.map_err(store_error)?;
        let settings: BTreeMap<String, ReminderSettings> = self
            .rows_on(
                &tx,
                "SELECT recipient, off FROM reminder_settings WHERE recipient LIKE 'person:%'",
                vec![],
            )
            .await?
            .iter()
            .map(|r| {
                Ok((
                    get::<String>(r, "recipient")?,
                    ReminderSettings::from_codes(&get::<String>(r, "off")?),
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        let ids: Vec<i64> = people
            .iter()
            .map(|p| p.get())
            .filter(|id| !contacts.people.contains_key(&PersonId::new(*id)))
            .collect();
        self.add_people(&tx, &ids, &settings, contacts).await
    }
}

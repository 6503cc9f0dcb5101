//! Everything the register knows about one person that a rule or a page reads, loaded in
//! one place.

use crate::assessment::OnSiteAssessment;
use crate::document::Document;
use crate::education::{Attendance, TrainingCourse};
use crate::holding::{Holding, RegistrationRecord};
use crate::ids::PersonId;
use crate::person::Person;
use crate::ports::{RegisterTx, StoreError};
use crate::qualification::Qualification;
use crate::registration::PersonFacts;

/// A person with their qualifications, holdings, registration history, continuing
/// education and on-site assessments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// The person, with their details.
    pub person: Person,
    /// The items they passed.
    pub qualifications: Vec<Qualification>,
    /// Every holding of their items, at any institution, released ones included.
    pub holdings: Vec<Holding>,
    /// Every registration of their items, at any institution.
    pub history: Vec<RegistrationRecord>,
    /// The training courses they attended.
    pub courses: Vec<TrainingCourse>,
    /// Their attendance entries.
    pub attendance: Vec<Attendance>,
    /// Their on-site assessments.
    pub assessments: Vec<OnSiteAssessment>,
    /// Their documents: every edition of their certificate and cards.
    pub documents: Vec<Document>,
}

impl PersonRecord {
    /// Loads the person's record, or `None` when there is no such person.
    pub async fn load<T: RegisterTx>(
        tx: &mut T,
        person: PersonId,
    ) -> Result<Option<PersonRecord>, StoreError> {
        match tx.person(person).await? {
            Some(found) => Self::load_for(tx, found).await.map(Some),
            None => Ok(None),
        }
    }

    /// Loads the rest of the record of a person already read (or locked) in `tx`.
    pub async fn load_for<T: RegisterTx>(
        tx: &mut T,
        person: Person,
    ) -> Result<PersonRecord, StoreError> {
        let id = person.id;
        Ok(PersonRecord {
            qualifications: tx.qualifications(id).await?,
            holdings: tx.holdings_of(id).await?,
            history: tx.registrations_of(id).await?,
            courses: tx.courses_of(id).await?,
            attendance: tx.attendance_of(id).await?,
            assessments: tx.assessments_of(id).await?,
            documents: tx.documents_of(id).await?,
            person,
        })
    }

    /// The facts the registration rules read.
    pub fn facts(&self) -> PersonFacts<'_> {
        PersonFacts {
            person: &self.person,
            qualifications: &self.qualifications,
            history: &self.history,
            courses: &self.courses,
            attendance: &self.attendance,
            documents: &self.documents,
        }
    }
}

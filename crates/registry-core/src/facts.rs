//! What the rules read about one person, and the reference data they read: the facts are
//! loaded by the caller (a use case in its transaction, a page through
//! [`crate::read::record::PersonRecord`]) and handed to the rules, which do no IO.

use crate::cycle::Cycles;
use crate::document::Document;
use crate::education::{Attendance, TrainingCourse};
use crate::holding::RegistrationRecord;
use crate::person::Person;
use crate::qualification::Qualification;
use crate::review_item::ReviewItemCatalogue;

/// Everything the register knows about a person that bears on registering their items.
#[derive(Debug, Clone, Copy)]
pub struct PersonFacts<'a> {
    /// The person, with their details.
    pub person: &'a Person,
    /// The items they passed.
    pub qualifications: &'a [Qualification],
    /// Every registration of their items, at any institution.
    pub history: &'a [RegistrationRecord],
    /// The training courses they attended.
    pub courses: &'a [TrainingCourse],
    /// Their attendance entries.
    pub attendance: &'a [Attendance],
    /// Their documents (the certificate's editions among them), every state.
    pub documents: &'a [Document],
}

/// The register's reference data the rules read.
#[derive(Debug, Clone, Copy)]
pub struct Reference<'a> {
    /// The review items.
    pub catalogue: &'a ReviewItemCatalogue,
    /// The registration cycles.
    pub cycles: &'a Cycles,
}

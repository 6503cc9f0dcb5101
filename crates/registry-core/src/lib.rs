//! The pure domain of the register of special-equipment licensing assessors
//! (特种设备鉴定评审人员): every rule of the register, and nothing else.
//!
//! This crate does no IO: no database, network, files or clock. Today's date and the
//! current moment are parameters; reference data (the review-item catalogue, the
//! working-day calendar) is parsed from text the caller read. Storage plugs in through the
//! traits of [`ports`]; the use cases of [`usecases`] are written once against them.
//!
//! Map of the crate:
//! - identity codes: [`resident_id`], [`credit_code`], [`registration_number`];
//! - reference data: [`review_item`], [`calendar`], [`holiday_law`] (the law's holidays and
//!   the estimated calendar of deadlines), [`fixtures`];
//! - the register's records: [`person`], [`institution`], [`qualification`], [`holding`],
//!   [`cycle`], [`education`], [`assessment`];
//! - what a change of a cycle's dates may not do: [`cycle_change`];
//! - the rules across them: [`date`] (age), [`policy`], [`registration`], [`renewal`]
//!   (换证), [`certificate`];
//! - accounts and access rules: [`access`]; machine clients: [`api_token`] and the
//!   training providers of [`provider`];
//! - errors: [`violation`];
//! - ports, use cases, and an in-memory register: [`ports`], [`usecases`], [`memory`];
//! - the read side, what every page and answer shows: [`read`].

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![warn(missing_docs)]

pub mod access;
pub mod api_token;
pub mod assessment;
pub mod calendar;
pub mod certificate;
pub mod credentials;
pub mod credit_code;
pub mod csv;
pub mod cycle;
pub mod cycle_change;
pub mod date;
pub mod document;
pub mod education;
pub mod exchange;
pub mod facts;
pub mod fixtures;
pub mod holding;
pub mod holiday_law;
pub mod ids;
pub mod institution;
pub mod memory;
pub mod person;
pub mod policy;
pub mod ports;
pub mod provider;
pub mod qualification;
pub mod read;
pub mod registration;
pub mod registration_number;
pub mod reminder;
pub mod renewal;
pub mod resident_id;
pub mod retention;
pub mod review_item;
pub mod text;
pub mod usecases;
pub mod violation;

//! Integration tests of registry-core: the use cases on the in-memory register, property
//! tests of the rules, and snapshots of every message a user can read.

mod cycles;
mod documents;
mod education;
mod entries;
mod messages;
mod properties;
mod support;
mod usecases;

//! The migrations: one set for SQLite and PostgreSQL, each file one migration, each run
//! in a transaction (SQLite's DDL is transactional too, so a failed migration leaves
//! nothing behind).

use sea_orm_migration::prelude::*;

mod m20261126_000001_schema;
mod m20261126_000002_reference_data;
mod m20261127_000003_access;
mod m20261127_000004_documents;
pub(crate) mod m20261127_000005_cycles_never_overlap;
mod m20261128_000006_cycle_bindings;
mod m20261130_000007_late_hours;
mod m20261130_000010_cycle_version;
mod m20261130_000011_name_key;
mod m20261130_000012_audit_chain;
mod m20261130_000013_job_locks;
mod m20261201_000014_duties;
mod m20261201_000015_password_policy;
mod m20261201_000016_second_factor;
mod m20261201_000017_corrections;
mod m20261202_000018_reminders;
mod m20261203_000019_machine_clients;

/// The register's migrations, in order.
#[derive(Debug)]
pub(crate) struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_schema::Migration),
            Box::new(m20261126_000002_reference_data::Migration),
            Box::new(m20261127_000003_access::Migration),
            Box::new(m20261127_000004_documents::Migration),
            Box::new(m20261127_000005_cycles_never_overlap::Migration),
            Box::new(m20261128_000006_cycle_bindings::Migration),
            Box::new(m20261130_000007_late_hours::Migration),
            Box::new(m20261130_000010_cycle_version::Migration),
            Box::new(m20261130_000011_name_key::Migration),
            Box::new(m20261130_000012_audit_chain::Migration),
            Box::new(m20261130_000013_job_locks::Migration),
            Box::new(m20261201_000014_duties::Migration),
            Box::new(m20261201_000015_password_policy::Migration),
            Box::new(m20261201_000016_second_factor::Migration),
            Box::new(m20261201_000017_corrections::Migration),
            Box::new(m20261202_000018_reminders::Migration),
            Box::new(m20261203_000019_machine_clients::Migration),
        ]
    }
}

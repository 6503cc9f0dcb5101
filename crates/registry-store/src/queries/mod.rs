//! The reads behind the pages, each served by an index so that it stays fast at a million
//! people:
//!
//! | query | index |
//! |---|---|
//! | [`Store::self_service_search`]: name + the institution the core identified | `ix_people_name`, `ix_employments` primary key |
//! | [`Store::public_search`]: name, ID number or registration number; registered people only | `ix_people_name`, `people.id_hash` and `people.registration_number` unique |
//! | [`Store::pool_search`]: qualified items no institution holds, by name and/or item | `ix_people_name` or `ix_qualifications_item_person`, and `ux_holdings_one_active` |
//! | [`Store::institution_people`]: an institution's people with each item's state | `ix_holdings_institution` |
//! | [`Store::person_history`]: everything about one person | the person's foreign-key indexes and `ix_audit_log_person` |
//!
//! By audience: [`public`] (the public search, the pool, the self-service search),
//! [`institution`] (an institution's people, expiring registrations, assessments),
//! [`association`] (institutions, people, courses, a person's history, the audit log).
//! Results are the core's types and plain structs; no row type leaves the crate.

use registry_core::holding::Holding;

use registry_core::ports::StoreError;

use registry_core::registration_number::RegistrationNumber;

use registry_core::review_item::ReviewItemCode;

use sea_orm::{ConnectionTrait, QueryResult, Statement, Value};

use crate::convert::holding_from_row;

use crate::Store;
use crate::error::store_error;

pub mod accounts;
pub mod association;
pub(crate) mod cache;
pub mod dashboard;
pub mod institution;
pub mod public;

pub use accounts::*;
pub use association::*;
pub use institution::*;
pub use public::*;

/// The most rows a search returns in one page.
pub const MAX_PAGE: u64 = 100;

pub(crate) fn get<T: sea_orm::TryGetable>(
    row: &QueryResult,
    column: &str,
) -> Result<T, StoreError> {
    row.try_get("", column).map_err(store_error)
}

pub(crate) fn item(text: &str) -> Result<ReviewItemCode, StoreError> {
    ReviewItemCode::parse(text).map_err(|e| StoreError::Unexpected(e.to_string()))
}

fn number(text: Option<String>) -> Result<Option<RegistrationNumber>, StoreError> {
    text.as_deref()
        .map(RegistrationNumber::parse)
        .transpose()
        .map_err(|e| StoreError::Unexpected(e.to_string()))
}

fn page(limit: u64) -> u64 {
    limit.clamp(1, MAX_PAGE)
}

impl Store {
    /// A statement from SQL written with `?` placeholders, numbered for PostgreSQL.
    fn statement(&self, sql: &str, values: Vec<Value>) -> Statement {
        crate::sql::statement_for(self.engine(), sql, values)
    }

    pub(crate) async fn rows(
        &self,
        sql: &str,
        values: Vec<Value>,
    ) -> Result<Vec<QueryResult>, StoreError> {
        self.db()
            .query_all_raw(self.statement(sql, values))
            .await
            .map_err(store_error)
    }
}

fn holding_row(row: &QueryResult) -> Result<Holding, StoreError> {
    use crate::entity::holdings;
    use sea_orm::FromQueryResult;
    let model = holdings::Model::from_query_result(row, "").map_err(store_error)?;
    holding_from_row(model)
}

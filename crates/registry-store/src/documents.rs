//! The lists of certificates and cards (what is to be issued, what a pass list or an
//! institution has) and the log of public verifications.
//!
//! | query | served by |
//! |---|---|
//! | [`Store::documents`] pending, by kind and institution | `ix_documents_pending` (partial: pending editions only) |
//! | [`Store::documents`] by pass list | `ix_documents_pass_list` |
//! | [`Store::pass_lists`] | `ix_documents_pass_list` |

use std::collections::BTreeMap;

use registry_core::document::{Document, DocumentKind};
use registry_core::ids::{DocumentId, InstitutionId, PersonId};
use registry_core::person::Person;
use registry_core::ports::{RegisterTx, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use time::{Date, OffsetDateTime};

use crate::Store;
use crate::entity::{documents, verifications};
use crate::error::store_error;

/// Which editions to list.
#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    /// Certificates or cards; both when `None`.
    pub kind: Option<DocumentKind>,
    /// Only waiting to be issued.
    pub pending_only: bool,
    /// Cards of this institution.
    pub institution: Option<InstitutionId>,
    /// Certificates made by the pass list published on this day.
    pub pass_list: Option<Date>,
    /// Exactly these editions.
    pub ids: Option<Vec<DocumentId>>,
    /// Of the people this institution employs (any item not released).
    pub employed_by: Option<InstitutionId>,
    /// At most this many, newest first (pending ones oldest first).
    pub limit: u64,
}

/// An edition with what its lists show.
#[derive(Debug, Clone)]
pub struct DocumentListing {
    /// The edition.
    pub document: Document,
    /// Its person.
    pub person: Person,
    /// For a card, the institution's name.
    pub institution_name: Option<String>,
}

/// One pass list (a publication date of exam results) and its certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassList {
    /// The publication date.
    pub published_on: Date,
    /// Certificates made by it, every edition.
    pub certificates: u64,
    /// Of those, waiting to be issued.
    pub pending: u64,
}

impl Store {
    /// Every edition of `kind` marked mailed on or after `since`, with its items.
    pub async fn documents_mailed_since(
        &self,
        kind: DocumentKind,
        since: Date,
    ) -> Result<Vec<Document>, StoreError> {
        let rows = documents::Entity::find()
            .filter(documents::Column::Kind.eq(kind.code()))
            .filter(documents::Column::MailedOn.gte(since))
            .all(self.db())
            .await
            .map_err(store_error)?;
        let tx = self.begin_read().await?;
        tx.documents_with_items(rows).await
    }

    /// The editions matching `filter`, with their person and institution.
    pub async fn documents(
        &self,
        filter: &DocumentFilter,
    ) -> Result<Vec<DocumentListing>, StoreError> {
        let mut find = documents::Entity::find();
        if let Some(kind) = filter.kind {
            find = find.filter(documents::Column::Kind.eq(kind.code()));
        }
        if filter.pending_only {
            find = find
                .filter(documents::Column::MailedOn.is_null())
                .filter(documents::Column::VoidedOn.is_null())
                .order_by_asc(documents::Column::Id);
        } else {
            find = find.order_by_desc(documents::Column::Id);
        }
        if let Some(institution) = filter.institution {
            find = find.filter(documents::Column::InstitutionId.eq(institution.get()));
        }
        if let Some(day) = filter.pass_list {
            find = find.filter(documents::Column::PassList.eq(day));
        }
        if let Some(institution) = filter.employed_by {
            find = find.filter(Expr::cust_with_values(
                "person_id IN (SELECT person_id FROM holdings \
                 WHERE institution_id = ? AND state <> 'released')",
                [institution.get()],
            ));
        }
        if let Some(ids) = &filter.ids {
            find = find.filter(documents::Column::Id.is_in(ids.iter().map(|d| d.get())));
        }
        let mut tx = self.begin_read().await?;
        let rows = find
            .limit(filter.limit.max(1))
            .all(&tx.tx)
            .await
            .map_err(store_error)?;
        let editions = tx.documents_with_items(rows).await?;
        let mut people: BTreeMap<PersonId, Person> = BTreeMap::new();
        let mut names: BTreeMap<InstitutionId, String> = BTreeMap::new();
        let mut out = Vec::with_capacity(editions.len());
        for document in editions {
            let person = match people.get(&document.details.person) {
                Some(p) => p.clone(),
                None => {
                    let p = tx.person(document.details.person).await?.ok_or_else(|| {
                        StoreError::Unexpected("a document without its person".into())
                    })?;
                    people.insert(p.id, p.clone());
                    p
                }
            };
            let institution_name = match document.details.institution {
                None => None,
                Some(id) => match names.get(&id) {
                    Some(name) => Some(name.clone()),
                    None => {
                        let name = tx
                            .institution(id)
                            .await?
                            .map(|i| i.details.name.as_str().to_owned())
                            .unwrap_or_default();
                        names.insert(id, name.clone());
                        Some(name)
                    }
                },
            };
            out.push(DocumentListing {
                document,
                person,
                institution_name,
            });
        }
        Ok(out)
    }

    /// The pass lists with certificates, newest first.
    pub async fn pass_lists(&self) -> Result<Vec<PassList>, StoreError> {
        let rows: Vec<(Option<Date>, i64, i64)> = documents::Entity::find()
            .select_only()
            .column(documents::Column::PassList)
            .column_as(Expr::cust("COUNT(id)"), "certificates")
            .column_as(
                Expr::cust(
                    "SUM(CASE WHEN mailed_on IS NULL AND voided_on IS NULL THEN 1 ELSE 0 END)",
                ),
                "pending",
            )
            .filter(documents::Column::Kind.eq(DocumentKind::Certificate.code()))
            .filter(documents::Column::PassList.is_not_null())
            .group_by(documents::Column::PassList)
            .order_by_desc(documents::Column::PassList)
            .into_tuple()
            .all(self.db())
            .await
            .map_err(store_error)?;
        Ok(rows
            .into_iter()
            .filter_map(|(day, certificates, pending)| {
                Some(PassList {
                    published_on: day?,
                    certificates: u64::try_from(certificates).unwrap_or(0),
                    pending: u64::try_from(pending).unwrap_or(0),
                })
            })
            .collect())
    }

    /// Records one look-up on the public verification page: by `token` or `code`, what
    /// it found (`valid`, `invalid`, `unknown`), and the client's address.
    pub async fn log_verification(
        &self,
        at: OffsetDateTime,
        document: Option<DocumentId>,
        lookup: &str,
        outcome: &str,
        client: &str,
    ) -> Result<(), StoreError> {
        verifications::Entity::insert(verifications::ActiveModel {
            id: NotSet,
            at: Set(at.to_offset(time::UtcOffset::UTC)),
            document_id: Set(document.map(DocumentId::get)),
            lookup: Set(lookup.to_owned()),
            outcome: Set(outcome.chars().take(24).collect()),
            client: Set(client.chars().take(64).collect()),
        })
        .exec(self.db())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    /// Records the look-ups of one batch verification in one statement: each
    /// `(document, outcome)` (no document: the code or number named none).
    pub async fn log_verifications(
        &self,
        at: OffsetDateTime,
        lookups: &[(Option<DocumentId>, &str)],
        lookup: &str,
        client: &str,
    ) -> Result<(), StoreError> {
        if lookups.is_empty() {
            return Ok(());
        }
        let at = at.to_offset(time::UtcOffset::UTC);
        let rows = lookups
            .iter()
            .map(|(document, outcome)| verifications::ActiveModel {
                id: NotSet,
                at: Set(at),
                document_id: Set(document.map(DocumentId::get)),
                lookup: Set(lookup.to_owned()),
                outcome: Set(outcome.chars().take(24).collect()),
                client: Set(client.chars().take(64).collect()),
            });
        verifications::Entity::insert_many(rows)
            .exec_without_returning(self.db())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// How many times an edition was looked up, and when last.
    pub async fn verifications_of(
        &self,
        document: DocumentId,
    ) -> Result<(u64, Option<OffsetDateTime>), StoreError> {
        let rows = verifications::Entity::find()
            .filter(verifications::Column::DocumentId.eq(document.get()))
            .order_by_desc(verifications::Column::Id)
            .all(self.db())
            .await
            .map_err(store_error)?;
        Ok((rows.len() as u64, rows.first().map(|r| r.at)))
    }
}

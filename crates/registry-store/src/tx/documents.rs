//! Editions of certificates and cards, with their items in the order printed.

use std::collections::BTreeMap;

use registry_core::document::{Document, NewDocument, VerificationCode, VerificationToken};
use registry_core::ids::{DocumentId, InstitutionId, PersonId};
use registry_core::ports::{Conflict, Entity as DomainEntity, StoreError};
use registry_core::review_item::ReviewItemCode;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::StoreTx;
use crate::convert::*;
use crate::entity::{document_items, documents};
use crate::error::store_error;

pub(super) async fn documents_of(
    tx: &mut StoreTx,
    person: PersonId,
) -> Result<Vec<Document>, StoreError> {
    let rows = documents::Entity::find()
        .filter(documents::Column::PersonId.eq(person.get()))
        .order_by_asc(documents::Column::Id)
        .all(&tx.tx)
        .await
        .map_err(store_error)?;
    tx.documents_with_items(rows).await
}

pub(super) async fn document(
    tx: &mut StoreTx,
    id: DocumentId,
) -> Result<Option<Document>, StoreError> {
    tx.one_document(documents::Column::Id.eq(id.get())).await
}

pub(super) async fn document_by_token(
    tx: &mut StoreTx,
    token: &VerificationToken,
) -> Result<Option<Document>, StoreError> {
    tx.one_document(documents::Column::Token.eq(token.as_str()))
        .await
}

pub(super) async fn document_by_code(
    tx: &mut StoreTx,
    code: &VerificationCode,
) -> Result<Option<Document>, StoreError> {
    tx.one_document(documents::Column::Code.eq(code.as_str()))
        .await
}

pub(super) async fn insert_document(
    tx: &mut StoreTx,
    d: &NewDocument,
) -> Result<DocumentId, StoreError> {
    let inserted = documents::Entity::insert(documents::ActiveModel {
        id: NotSet,
        kind: Set(d.kind.code().to_owned()),
        person_id: Set(d.person.get()),
        institution_id: Set(d.institution.map(InstitutionId::get)),
        token: Set(d.token.as_str().to_owned()),
        code: Set(d.code.as_str().to_owned()),
        created_on: Set(d.created_on),
        pass_list: Set(d.pass_list),
        valid_until: Set(d.valid_until),
        replaces_id: Set(d.replaces.map(DocumentId::get)),
        mailed_on: Set(None),
        tracking: Set(None),
        voided_on: Set(None),
        void_reason: Set(None),
        version: Set(0),
    })
    .exec(&tx.tx)
    .await
    .map_err(|e| {
        unique_or(e, |constraint| {
            if constraint.contains("one_pending") {
                StoreError::Conflict(Conflict::Stale(DomainEntity::Document))
            } else {
                // A token or code drawn twice: run again with fresh keys.
                StoreError::Retry
            }
        })
    })?;
    let id = inserted.last_insert_id;
    if !d.items.is_empty() {
        let rows = d
            .items
            .iter()
            .enumerate()
            .map(|(position, item)| document_items::ActiveModel {
                document_id: Set(id),
                item_code: Set(item.as_str().to_owned()),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            });
        document_items::Entity::insert_many(rows)
            .exec(&tx.tx)
            .await
            .map_err(store_error)?;
    }
    Ok(DocumentId::new(id))
}

pub(super) async fn update_document(
    tx: &mut StoreTx,
    document: &Document,
) -> Result<i64, StoreError> {
    let mailed = document.mailed.as_ref();
    let result = documents::Entity::update_many()
        .col_expr(
            documents::Column::MailedOn,
            Expr::value(mailed.map(|m| m.on)),
        )
        .col_expr(
            documents::Column::Tracking,
            Expr::value(mailed.map(|m| m.tracking.as_str().to_owned())),
        )
        .col_expr(
            documents::Column::VoidedOn,
            Expr::value(document.voided.map(|v| v.on)),
        )
        .col_expr(
            documents::Column::VoidReason,
            Expr::value(document.voided.map(|v| v.reason.code().to_owned())),
        )
        .col_expr(
            documents::Column::Version,
            Expr::col(documents::Column::Version).add(1),
        )
        .filter(documents::Column::Id.eq(document.id.get()))
        .filter(documents::Column::Version.eq(document.version))
        .exec(&tx.tx)
        .await
        .map_err(store_error)?;
    if result.rows_affected == 0 {
        return Err(StoreError::Conflict(Conflict::Stale(
            DomainEntity::Document,
        )));
    }
    Ok(document.version + 1)
}

impl StoreTx {
    /// Documents with their items (in the order printed).
    pub(crate) async fn documents_with_items(
        &self,
        rows: Vec<documents::Model>,
    ) -> Result<Vec<Document>, StoreError> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut items: BTreeMap<i64, Vec<ReviewItemCode>> = BTreeMap::new();
        for row in document_items::Entity::find()
            .filter(document_items::Column::DocumentId.is_in(ids))
            .order_by_asc(document_items::Column::DocumentId)
            .order_by_asc(document_items::Column::Position)
            .all(&self.tx)
            .await
            .map_err(store_error)?
        {
            items
                .entry(row.document_id)
                .or_default()
                .push(code(&row.item_code)?);
        }
        rows.into_iter()
            .map(|row| {
                let listed = items.remove(&row.id).unwrap_or_default();
                document_from_row(row, listed)
            })
            .collect()
    }

    async fn one_document(
        &self,
        filter: sea_orm::sea_query::SimpleExpr,
    ) -> Result<Option<Document>, StoreError> {
        let rows = documents::Entity::find()
            .filter(filter)
            .all(&self.tx)
            .await
            .map_err(store_error)?;
        Ok(self.documents_with_items(rows).await?.into_iter().next())
    }
}

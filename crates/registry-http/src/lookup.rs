//! 添加人员's look-up, shared by the page (`/institution/add/find`) and
//! `POST /api/v1/institution/people/lookup`: a qualified person named by name *and* whole
//! ID number (one who knows both may learn the rest), with each item they passed and
//! whether the institution may employ them in it — decided by the core
//! (`read::employment::holder_of`, `read::pool::over_pool_age`). Nobody, or another name
//! with that ID number, is one answer: not found.

use registry_core::ids::{InstitutionId, PersonId};
use registry_core::ports::{RegisterTx, StoreError};
use registry_core::read::employment::{Holder, holder_of};
use registry_core::read::pool::over_pool_age;
use registry_core::resident_id::ResidentId;
use registry_core::review_item::ReviewItemCode;

use crate::AppState;

/// A person found, with what the institution may employ.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub(crate) person: PersonId,
    pub(crate) name: String,
    pub(crate) masked_id: String,
    /// Each item passed: `Ok` when the institution may employ them in it, else why not.
    pub(crate) items: Vec<(ReviewItemCode, Result<(), String>)>,
}

/// The qualified person with this name and ID number, as `institution` may see them.
pub(crate) async fn find_person(
    state: &AppState,
    institution: InstitutionId,
    name: &str,
    id: &ResidentId,
) -> Result<Option<Found>, StoreError> {
    let mut tx = state.store.begin_read().await?;
    let Some(person) = tx.person_by_resident_id(id).await? else {
        return Ok(None);
    };
    if person.name.as_str() != name.trim() {
        return Ok(None);
    }
    let holdings = tx.holdings_of(person.id).await?;
    let over_age = over_pool_age(
        person.resident_id.birth_date(),
        &tx.cycles().await?,
        state.today(),
    );
    let items = tx
        .qualifications(person.id)
        .await?
        .into_iter()
        .map(|q| {
            let may = match (holder_of(&holdings, &q.item, institution), over_age) {
                (Holder::Nobody, None) => Ok(()),
                (Holder::Nobody, Some(limit)) => Err(format!("已满{limit}周岁，不能聘用")),
                (Holder::This, _) => Err("本机构已聘用".to_owned()),
                (Holder::Another, _) => Err("已由其他机构聘用".to_owned()),
            };
            (q.item, may)
        })
        .collect();
    Ok(Some(Found {
        person: person.id,
        name: person.name.as_str().to_owned(),
        masked_id: person.resident_id.masked(),
        items,
    }))
}

//! The association's operations (促进会): the institutions with their login accounts
//! (listing, creating, editing, disabling, resetting the password) and recording exam
//! results (考核合格名单).

use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use registry_core::access::PasswordHash;
use registry_core::ids::InstitutionId;
use registry_core::institution::InstitutionForm;
use registry_core::ports::RegisterTx;
use registry_core::qualification::ExamResultForm;
use registry_core::usecases::{
    CreateInstitution, RecordExamResult, SetAccountPassword, UpdateInstitution,
};

use super::wire::Secret;
use super::{ApiError, ApiResult, Tag, association, error_body, new_secret, state};

#[derive(Object, Debug)]
struct InstitutionOut {
    id: i64,
    name: String,
    number: String,
    credit_code: String,
    provincial_number: Option<String>,
    national_number: Option<String>,
    contact: Option<String>,
    active: bool,
    version: i64,
    username: Option<String>,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct InstitutionIn {
    name: String,
    number: String,
    credit_code: String,
    #[oai(default)]
    provincial_number: String,
    #[oai(default)]
    national_number: String,
    #[oai(default)]
    contact: String,
}

impl InstitutionIn {
    fn form(&self) -> InstitutionForm {
        InstitutionForm {
            name: self.name.clone(),
            number: self.number.clone(),
            credit_code: self.credit_code.clone(),
            provincial_number: self.provincial_number.clone(),
            national_number: self.national_number.clone(),
            contact: self.contact.clone(),
        }
    }
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct NewInstitution {
    institution: InstitutionIn,
    /// The login name of the institution's account.
    username: String,
}

#[derive(Object, Debug)]
struct CreatedInstitution {
    id: i64,
    username: String,
    /// Shown once; must be changed at the first login.
    initial_password: String,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct InstitutionUpdate {
    institution: InstitutionIn,
    active: bool,
    /// The version read.
    version: i64,
}

#[derive(Object, Debug)]
struct Version {
    version: i64,
}

#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
struct ExamResultIn {
    resident_id: String,
    name: String,
    items: Vec<String>,
    /// YYYY-MM-DD
    exam_date: String,
    /// YYYY-MM-DD
    published_on: String,
}

#[derive(Object, Debug)]
struct ExamRecorded {
    person_id: i64,
    created: bool,
    added: Vec<String>,
    already: Vec<String>,
}

/// The association's operations (tag 促进会).
pub(crate) struct AssociationApi;

#[OpenApi]
impl AssociationApi {
    /// Every institution, with its login name.
    #[oai(path = "/institutions", method = "get", tag = "Tag::Association")]
    async fn institutions(&self, req: &Request) -> ApiResult<Json<Vec<InstitutionOut>>> {
        association(req)?;
        let state = state(req)?;
        let text =
            |t: &Option<registry_core::text::Text>| t.as_ref().map(|t| t.as_str().to_owned());
        Ok(Json(
            state
                .store
                .institutions()
                .await?
                .into_iter()
                .map(|l| {
                    let d = &l.institution.details;
                    InstitutionOut {
                        id: l.institution.id.get(),
                        name: d.name.as_str().to_owned(),
                        number: d.number.as_str().to_owned(),
                        credit_code: d.credit_code.as_str().to_owned(),
                        provincial_number: text(&d.provincial_number),
                        national_number: text(&d.national_number),
                        contact: text(&d.contact),
                        active: l.institution.active,
                        version: l.institution.version,
                        username: l.username,
                    }
                })
                .collect(),
        ))
    }

    /// Creates an institution with its login account; the initial password is returned
    /// once.
    #[oai(path = "/institutions", method = "post", tag = "Tag::Association")]
    async fn create_institution(
        &self,
        req: &Request,
        body: Json<NewInstitution>,
    ) -> ApiResult<Json<CreatedInstitution>> {
        let actor = association(req)?;
        let state = state(req)?;
        let (password, hash) = new_secret().await?;
        let (id, _) = state
            .run(
                actor,
                &CreateInstitution {
                    form: body.institution.form(),
                    username: body.username.clone(),
                    password: PasswordHash::new(hash),
                },
            )
            .await?;
        Ok(Json(CreatedInstitution {
            id: id.get(),
            username: body.username.trim().to_ascii_lowercase(),
            initial_password: password,
        }))
    }

    /// Edits, disables or enables an institution.
    #[oai(path = "/institutions/:id", method = "put", tag = "Tag::Association")]
    async fn update_institution(
        &self,
        req: &Request,
        id: Path<i64>,
        body: Json<InstitutionUpdate>,
    ) -> ApiResult<Json<Version>> {
        let actor = association(req)?;
        let state = state(req)?;
        let version = state
            .run(
                actor,
                &UpdateInstitution {
                    id: InstitutionId::new(id.0),
                    form: body.institution.form(),
                    active: body.active,
                    version: body.version,
                },
            )
            .await?;
        Ok(Json(Version { version }))
    }

    /// Resets an institution's login password (returned once; must be changed).
    #[oai(
        path = "/institutions/:id/password",
        method = "post",
        tag = "Tag::Association"
    )]
    async fn reset_institution_password(
        &self,
        req: &Request,
        id: Path<i64>,
    ) -> ApiResult<Json<Secret>> {
        let actor = association(req)?;
        let state = state(req)?;
        let account = {
            let mut tx = state.store.begin_read().await?;
            tx.account_of_institution(InstitutionId::new(id.0)).await?
        }
        .ok_or_else(|| ApiError::NotFound(error_body("not_found.institution", "未找到该机构")))?;
        let (password, hash) = new_secret().await?;
        state
            .run(
                actor,
                &SetAccountPassword {
                    account: account.id,
                    password: PasswordHash::new(hash),
                    must_change_password: true,
                    keep_session: None,
                },
            )
            .await?;
        Ok(Json(Secret { password }))
    }

    /// Records an exam result (考核合格名单): refused for candidates aged 65 or over on the
    /// exam date.
    #[oai(path = "/exam-results", method = "post", tag = "Tag::Association")]
    async fn record_exam(
        &self,
        req: &Request,
        body: Json<ExamResultIn>,
    ) -> ApiResult<Json<ExamRecorded>> {
        let actor = association(req)?;
        let state = state(req)?;
        let recorded = state
            .run(
                actor,
                &RecordExamResult {
                    form: ExamResultForm {
                        resident_id: body.resident_id.clone(),
                        name: body.name.clone(),
                        items: body.items.clone(),
                        exam_date: body.exam_date.clone(),
                        published_on: body.published_on.clone(),
                    },
                },
            )
            .await?;
        Ok(Json(ExamRecorded {
            person_id: recorded.person.get(),
            created: recorded.created,
            added: recorded
                .added
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            already: recorded
                .already
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
        }))
    }
}

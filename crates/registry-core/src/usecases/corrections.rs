//! Corrections (PIPL 第四十六条: the right to have one's information corrected): an
//! assessor asks, through their fill-in entry, for a correction of what they cannot change
//! themselves (an exam result, a registration, a document); the request lands in the queue
//! of the institution whose entry they used, which answers it once it has acted (or had
//! the association act).

use super::{Context, UseCase, UseCaseError};
use crate::ids::{InstitutionId, PersonId};
use crate::ports::{Entity, RegisterTx, Snapshot};
use crate::text::{Text, TextProblem};
use crate::violation::{Violation, Violations};

/// The longest request, in characters.
pub const CORRECTION_MAX: usize = 500;
/// The longest answer, in characters.
pub const ANSWER_MAX: usize = 200;

fn text(
    input: &str,
    max: usize,
    field: &'static str,
    label: &'static str,
) -> Result<Option<Text>, Violation> {
    match Text::parse(input, max) {
        Ok(text) => Ok(Some(text)),
        Err(TextProblem::Empty) => Ok(None),
        Err(TextProblem::TooLong { max }) => Err(Violation::TooLong { field, label, max }),
        Err(TextProblem::ControlCharacter) => Err(Violation::BadCharacter { field, label }),
    }
}

/// The person asks the institution to correct something.
#[derive(Debug, Clone)]
pub struct RequestCorrection {
    /// The person.
    pub person: PersonId,
    /// The institution whose entry they used.
    pub institution: InstitutionId,
    /// What is wrong and what it should be, as typed.
    pub text: String,
}

impl UseCase for RequestCorrection {
    type Output = i64;

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<i64, UseCaseError> {
        let (field, label) = ("correction", "更正内容");
        let text = text(&self.text, CORRECTION_MAX, field, label)
            .and_then(|t| t.ok_or(Violation::Missing { field, label }))
            .map_err(Violations::from)?;
        let id = tx
            .insert_correction(self.person, self.institution, &text, ctx.now)
            .await?;
        tx.audit(
            &ctx.audit(
                "person.request_correction",
                Entity::Person,
                self.person.get(),
                Some(self.person),
                None,
                Some(
                    Snapshot::default()
                        .with("institution", self.institution)
                        .with("correction", &text),
                ),
            ),
        )
        .await?;
        Ok(id)
    }
}

/// The institution answers a request of its queue.
#[derive(Debug, Clone)]
pub struct AnswerCorrection {
    /// The request.
    pub id: i64,
    /// The institution answering (only its own queue).
    pub institution: InstitutionId,
    /// What was done, as typed (may be empty).
    pub answer: String,
}

impl UseCase for AnswerCorrection {
    type Output = ();

    async fn run<T: RegisterTx>(&self, ctx: &Context<'_>, tx: &mut T) -> Result<(), UseCaseError> {
        let answer =
            text(&self.answer, ANSWER_MAX, "answer", "处理结果").map_err(Violations::from)?;
        let person = tx
            .answer_correction(self.id, self.institution, answer.as_ref(), ctx.now)
            .await?
            .ok_or(UseCaseError::NotFound(Entity::Person))?;
        tx.audit(
            &ctx.audit(
                "person.answer_correction",
                Entity::Person,
                person.get(),
                Some(person),
                None,
                Some(
                    Snapshot::default()
                        .with("institution", self.institution)
                        .with("answer", answer.as_ref().map(Text::as_str).unwrap_or("")),
                ),
            ),
        )
        .await?;
        Ok(())
    }
}

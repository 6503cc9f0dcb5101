//! Training providers (培训机构): the bodies that run continuing-education courses. A
//! course may name its provider; the provider's systems may then post the attendance of
//! that course, and of no other, through an API token (see [`crate::api_token`]).

use crate::ids::ProviderId;
use crate::text::{Text, TextProblem};
use crate::violation::{Violation, Violations};

/// The longest name of a provider.
pub const NAME_MAX: usize = 100;
/// The longest contact text.
pub const CONTACT_MAX: usize = 100;

/// What the association's form sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderForm {
    /// 培训机构名称
    pub name: String,
    /// 联系人及电话 (optional)
    pub contact: String,
}

/// A provider's recorded facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderDetails {
    /// The name.
    pub name: Text,
    /// Who to call there.
    pub contact: Option<Text>,
}

fn text_violation(p: TextProblem, field: &'static str, label: &'static str) -> Violation {
    match p {
        TextProblem::Empty => Violation::Missing { field, label },
        TextProblem::TooLong { max } => Violation::TooLong { field, label, max },
        TextProblem::ControlCharacter => Violation::BadCharacter { field, label },
    }
}

impl ProviderDetails {
    /// Parses the form; every problem at once.
    pub fn parse(form: &ProviderForm) -> Result<ProviderDetails, Violations> {
        let mut problems = Vec::new();
        let name = Text::parse(&form.name, NAME_MAX)
            .map_err(|p| problems.push(text_violation(p, "name", "培训机构名称")))
            .ok();
        let contact = Text::parse_optional(&form.contact, CONTACT_MAX)
            .map_err(|p| problems.push(text_violation(p, "contact", "联系人及电话")))
            .ok();
        match (name, contact) {
            (Some(name), Some(contact)) if problems.is_empty() => {
                Ok(ProviderDetails { name, contact })
            }
            _ => Err(Violations::new(problems)),
        }
    }
}

/// A training provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingProvider {
    /// The identifier.
    pub id: ProviderId,
    /// Its facts.
    pub details: ProviderDetails,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_needs_a_name_and_may_omit_the_contact() {
        let ok = ProviderDetails::parse(&ProviderForm {
            name: " 华东培训中心 ".into(),
            contact: String::new(),
        })
        .unwrap();
        assert_eq!(ok.name.as_str(), "华东培训中心");
        assert_eq!(ok.contact, None);
        let bad = ProviderDetails::parse(&ProviderForm {
            name: String::new(),
            contact: "x".repeat(CONTACT_MAX + 1),
        })
        .unwrap_err();
        assert_eq!(bad.codes(), vec!["field.missing", "field.too_long"]);
    }
}

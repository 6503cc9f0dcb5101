//! API tokens (接口令牌) of machine clients: an institution's systems (its HR system
//! recording on-site assessments, say) or a training provider's (posting attendance
//! rosters). The association's security administrator issues a token to one holder, with
//! a name, scopes and an expiry; the secret is shown once and stored only as its hash;
//! a token is revocable, and every use is attributed to it in the audit log.
//!
//! What a token may do is its holder's rights narrowed to its scopes: an institution's
//! token acts for that institution alone, a provider's for that provider's courses alone,
//! and no token does any of the association's work.

use std::collections::BTreeSet;
use std::fmt;

use time::{Date, OffsetDateTime};

use crate::date::parse_date;
use crate::ids::{InstitutionId, ProviderId, TokenId};
use crate::text::{Text, TextProblem};
use crate::violation::{Violation, Violations};

/// The longest name of a token.
pub const NAME_MAX: usize = 50;

/// The longest a token may run, in days from its issue: a year and a day, so that a
/// token issued on a day may run to the same day of the next year.
pub const MAX_DAYS: i64 = 366;

/// Whom a token acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenHolder {
    /// An institution (鉴定评审机构).
    Institution(InstitutionId),
    /// A training provider (培训机构).
    Provider(ProviderId),
}

impl fmt::Display for TokenHolder {
    /// `institution:3`, `provider:2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenHolder::Institution(id) => write!(f, "institution:{id}"),
            TokenHolder::Provider(id) => write!(f, "provider:{id}"),
        }
    }
}

/// What a token may do, within its holder's rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// 查询本机构人员、评审项、展望、现场评审与证件.
    InstitutionRead,
    /// 登记人员、设置填报密码、注册、换证、退回、挂失补发、提醒设置.
    InstitutionWrite,
    /// 记录现场评审.
    Assessments,
    /// 报送本培训机构培训班的课时.
    Attendance,
}

impl Scope {
    /// Every scope, in the order forms list them.
    pub const ALL: [Scope; 4] = [
        Scope::InstitutionRead,
        Scope::InstitutionWrite,
        Scope::Assessments,
        Scope::Attendance,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Scope::InstitutionRead => "institution.read",
            Scope::InstitutionWrite => "institution.write",
            Scope::Assessments => "assessments.write",
            Scope::Attendance => "attendance.write",
        }
    }

    /// The scope of a code.
    pub fn from_code(code: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Scope::InstitutionRead => "查询本机构人员与证件",
            Scope::InstitutionWrite => "办理本机构人员的登记、注册与退回",
            Scope::Assessments => "记录现场评审",
            Scope::Attendance => "报送本培训机构培训班的课时",
        }
    }

    /// Whether a token of this kind of holder may have the scope.
    pub fn fits(self, holder: TokenHolder) -> bool {
        match holder {
            TokenHolder::Institution(_) => matches!(
                self,
                Scope::InstitutionRead | Scope::InstitutionWrite | Scope::Assessments
            ),
            TokenHolder::Provider(_) => self == Scope::Attendance,
        }
    }
}

/// The hash of a token's secret (the secret itself is shown once and never kept).
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSecretHash(String);

impl TokenSecretHash {
    /// Wraps a hash the caller computed.
    pub fn new(hash: String) -> TokenSecretHash {
        TokenSecretHash(hash)
    }

    /// The hash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenSecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecretHash(…)")
    }
}

/// What the issuing form sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenForm {
    /// 令牌名称 (which system uses it).
    pub name: String,
    /// The holder.
    pub holder: TokenHolder,
    /// Scope codes.
    pub scopes: Vec<String>,
    /// 有效期至 (the last day it works), `YYYY-MM-DD`.
    pub expires_on: String,
}

/// A token about to be issued, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// The name.
    pub name: Text,
    /// The holder.
    pub holder: TokenHolder,
    /// The scopes, at least one, each fitting the holder.
    pub scopes: BTreeSet<Scope>,
    /// The last day it works.
    pub expires_on: Date,
}

impl NewToken {
    /// Parses the form as of `today`; every problem at once.
    pub fn parse(form: &TokenForm, today: Date) -> Result<NewToken, Violations> {
        let mut problems = Vec::new();
        let name = Text::parse(&form.name, NAME_MAX)
            .map_err(|p| {
                problems.push(match p {
                    TextProblem::Empty => Violation::Missing {
                        field: "name",
                        label: "令牌名称",
                    },
                    TextProblem::TooLong { max } => Violation::TooLong {
                        field: "name",
                        label: "令牌名称",
                        max,
                    },
                    TextProblem::ControlCharacter => Violation::BadCharacter {
                        field: "name",
                        label: "令牌名称",
                    },
                });
            })
            .ok();
        let mut scopes = BTreeSet::new();
        for raw in &form.scopes {
            match Scope::from_code(raw.trim()) {
                Some(scope) if scope.fits(form.holder) => {
                    scopes.insert(scope);
                }
                Some(scope) => problems.push(Violation::TokenScopeNotForHolder {
                    scope: scope.label(),
                }),
                None => problems.push(Violation::TokenScopeUnknown(
                    raw.trim().chars().take(40).collect(),
                )),
            }
        }
        if form.scopes.is_empty() {
            problems.push(Violation::TokenNoScope);
        }
        let expires_on = if form.expires_on.trim().is_empty() {
            problems.push(Violation::Missing {
                field: "expires_on",
                label: "有效期至",
            });
            None
        } else {
            match parse_date(&form.expires_on) {
                Ok(day) if day < today => {
                    problems.push(Violation::TokenExpiry { max_days: MAX_DAYS });
                    None
                }
                Ok(day) if (day - today).whole_days() > MAX_DAYS => {
                    problems.push(Violation::TokenExpiry { max_days: MAX_DAYS });
                    None
                }
                Ok(day) => Some(day),
                Err(e) => {
                    problems.push(e.into());
                    None
                }
            }
        };
        match (name, expires_on) {
            (Some(name), Some(expires_on)) if problems.is_empty() => Ok(NewToken {
                name,
                holder: form.holder,
                scopes,
                expires_on,
            }),
            _ => Err(Violations::new(problems)),
        }
    }
}

/// An issued token, as kept (without its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// The identifier.
    pub id: TokenId,
    /// The name.
    pub name: Text,
    /// The holder.
    pub holder: TokenHolder,
    /// The scopes.
    pub scopes: BTreeSet<Scope>,
    /// The last day it works.
    pub expires_on: Date,
    /// When it was issued.
    pub issued_at: OffsetDateTime,
    /// The administrator who issued it.
    pub issued_by: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<OffsetDateTime>,
}

/// Whether a token works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// It works.
    Active,
    /// Revoked: it never works again.
    Revoked,
    /// Its last day has passed.
    Expired,
}

impl Standing {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Standing::Active => "active",
            Standing::Revoked => "revoked",
            Standing::Expired => "expired",
        }
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Standing::Active => "有效",
            Standing::Revoked => "已吊销",
            Standing::Expired => "已过期",
        }
    }
}

impl ApiToken {
    /// Whether it works on `today`: revoked first, then past its last day.
    pub fn standing(&self, today: Date) -> Standing {
        if self.revoked_at.is_some() {
            Standing::Revoked
        } else if today > self.expires_on {
            Standing::Expired
        } else {
            Standing::Active
        }
    }

    /// Whether it has the scope.
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// The scopes as codes, comma-separated (for storage and the audit log).
    pub fn scope_codes(scopes: &BTreeSet<Scope>) -> String {
        scopes
            .iter()
            .map(|s| s.code())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The scopes of stored codes (unknown codes are dropped: a token never gains a right
    /// by a code it does not know).
    pub fn scopes_from_codes(codes: &str) -> BTreeSet<Scope> {
        codes.split(',').filter_map(Scope::from_code).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn form(scopes: &[&str], expires_on: &str) -> TokenForm {
        TokenForm {
            name: "人事系统".into(),
            holder: TokenHolder::Institution(InstitutionId::new(3)),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            expires_on: expires_on.into(),
        }
    }

    #[test]
    fn a_token_runs_at_most_a_year_and_a_day_from_today() {
        let today = date!(2026 - 12 - 01);
        assert!(NewToken::parse(&form(&["institution.read"], "2027-12-02"), today).is_ok());
        assert!(NewToken::parse(&form(&["institution.read"], "2026-12-01"), today).is_ok());
        for late in ["2027-12-03", "2026-11-30"] {
            let e = NewToken::parse(&form(&["institution.read"], late), today).unwrap_err();
            assert_eq!(e.codes(), vec!["token.expiry"], "{late}");
        }
    }

    #[test]
    fn scopes_must_fit_the_holder_and_every_problem_is_told() {
        let today = date!(2026 - 12 - 01);
        let mut f = form(&["attendance.write", "admin", "assessments.write"], "bad");
        f.name = String::new();
        let e = NewToken::parse(&f, today).unwrap_err();
        assert_eq!(
            e.codes(),
            vec![
                "field.missing",
                "token.scope_not_for_holder",
                "token.scope_unknown",
                "date.format"
            ]
        );
        let provider = TokenForm {
            holder: TokenHolder::Provider(ProviderId::new(1)),
            ..form(&["institution.write"], "2027-01-01")
        };
        assert_eq!(
            NewToken::parse(&provider, today).unwrap_err().codes(),
            vec!["token.scope_not_for_holder"]
        );
        assert_eq!(
            NewToken::parse(&form(&[], "2027-01-01"), today)
                .unwrap_err()
                .codes(),
            vec!["token.no_scope"]
        );
    }

    #[test]
    fn a_token_works_through_its_last_day_and_never_after_revocation() {
        let mut token = ApiToken {
            id: TokenId::new(1),
            name: Text::parse("x", 10).unwrap(),
            holder: TokenHolder::Provider(ProviderId::new(1)),
            scopes: [Scope::Attendance].into_iter().collect(),
            expires_on: date!(2027 - 01 - 31),
            issued_at: datetime!(2026-12-01 08:00 UTC),
            issued_by: "security".into(),
            revoked_at: None,
            last_used_at: None,
        };
        assert_eq!(token.standing(date!(2027 - 01 - 31)), Standing::Active);
        assert_eq!(token.standing(date!(2027 - 02 - 01)), Standing::Expired);
        token.revoked_at = Some(datetime!(2026-12-02 08:00 UTC));
        assert_eq!(token.standing(date!(2026 - 12 - 05)), Standing::Revoked);
        assert!(token.allows(Scope::Attendance));
        assert!(!token.allows(Scope::InstitutionRead));
        assert_eq!(
            ApiToken::scopes_from_codes("attendance.write,root"),
            token.scopes
        );
    }
}

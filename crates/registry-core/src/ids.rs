//! Identifiers of the register's records. Storage assigns them; the core only compares and
//! carries them.

use std::fmt;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a value that storage assigned.
            pub const fn new(value: i64) -> Self {
                Self(value)
            }

            /// The stored value.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id!(
    /// A person (assessor or exam candidate).
    PersonId
);
id!(
    /// An assessment institution.
    InstitutionId
);
id!(
    /// The holding of one review item of one person by one institution.
    HoldingId
);
id!(
    /// A registration cycle.
    CycleId
);
id!(
    /// A training course.
    CourseId
);
id!(
    /// One attendance entry (or its reversal).
    AttendanceId
);
id!(
    /// An on-site assessment.
    AssessmentId
);
id!(
    /// An edition of a certificate or card.
    DocumentId
);
id!(
    /// A training provider (培训机构), whose courses' attendance it may post.
    ProviderId
);
id!(
    /// An API token of a machine client.
    TokenId
);

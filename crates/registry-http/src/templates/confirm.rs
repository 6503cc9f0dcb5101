//! The pages that stand between a click and what it does: asking before a certificate's PDF
//! discloses ID numbers, asking before 退回人员, and the fill-in password slip shown once.

use askama::Template;

use super::Layout;

/// A page that asks before it discloses full ID numbers (a certificate's PDF): a GET shows
/// it, its button POSTs, and only the POST writes the audit entry and prints.
#[derive(Template)]
#[template(path = "confirm_disclosure.html")]
pub(crate) struct ConfirmDisclosure {
    pub(crate) layout: Layout,
    pub(crate) title: String,
    pub(crate) message: String,
    pub(crate) action: String,
    pub(crate) button: String,
    pub(crate) back: (String, String),
}

/// 退回人员, asked once more: the person, the item and the reason, what follows, and the
/// button that releases.
#[derive(Template)]
#[template(path = "confirm_release.html")]
pub(crate) struct ConfirmRelease {
    pub(crate) layout: Layout,
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) item: String,
    pub(crate) item_name: String,
    pub(crate) reason: String,
}

/// The fill-in password shown once, printable as a slip for the person.
#[derive(Template)]
#[template(path = "fill_in_slip.html")]
pub(crate) struct FillInSlip {
    pub(crate) layout: Layout,
    pub(crate) title: String,
    pub(crate) intro: String,
    pub(crate) person_name: String,
    pub(crate) institution_name: String,
    pub(crate) password: String,
    pub(crate) issued_on: String,
    /// The self-service entry's address, to print.
    pub(crate) self_service: String,
    pub(crate) back: String,
}

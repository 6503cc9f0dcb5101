//! The view models of certificates and cards: a row of a list, the association's lists
//! (with the mailing form) and the institution's.

use askama::Template;

use super::{Layout, Pager};

/// One edition of a certificate or card in a list.
#[derive(Debug, Clone)]
pub(crate) struct DocumentRow {
    pub(crate) id: i64,
    /// Ticked in the mailing form (kept after a refusal).
    pub(crate) ticked: bool,
    pub(crate) serial: String,
    pub(crate) name: String,
    pub(crate) person_link: Option<String>,
    pub(crate) institution: String,
    pub(crate) items: String,
    /// What its deadline counts from: the pass list, or the day it was made.
    pub(crate) basis: String,
    /// The last day to issue it, `YYYY-MM-DD` (or why it cannot be computed).
    pub(crate) due: String,
    /// Why the last day is an estimate (a year of the calendar not loaded yet); `None`
    /// for an official day.
    pub(crate) due_estimate: Option<String>,
    pub(crate) overdue: bool,
    pub(crate) state: &'static str,
    pub(crate) state_code: &'static str,
    pub(crate) mailed: Option<String>,
    pub(crate) void: Option<String>,
    /// Why it cannot be issued now.
    pub(crate) blocked: Option<String>,
    pub(crate) pending: bool,
    pub(crate) pdf: Option<String>,
    /// The PDF shows full ID numbers: it is printed by a POST, which is audited.
    pub(crate) pdf_discloses: bool,
    pub(crate) replace_action: Option<String>,
}

#[derive(Template)]
#[template(path = "association_documents.html")]
pub(crate) struct AssociationDocuments {
    pub(crate) layout: Layout,
    pub(crate) title: &'static str,
    pub(crate) summary: String,
    pub(crate) explanation: &'static str,
    pub(crate) path: &'static str,
    pub(crate) back: String,
    pub(crate) filter_label: &'static str,
    pub(crate) filter_name: &'static str,
    pub(crate) filter_value: String,
    pub(crate) filter_options: Vec<(String, String)>,
    pub(crate) show: String,
    pub(crate) shows: Vec<(&'static str, &'static str)>,
    pub(crate) pager: Pager,
    pub(crate) batch_pdf: Option<String>,
    /// The batch PDF shows full ID numbers: printed by a POST, which is audited.
    pub(crate) batch_discloses: bool,
    pub(crate) batch_label: &'static str,
    pub(crate) documents: Vec<DocumentRow>,
    pub(crate) selectable: bool,
    pub(crate) show_institution: bool,
    /// The mailing form's day (today, or what was typed) and tracking number.
    pub(crate) on: String,
    pub(crate) tracking: String,
    pub(crate) errors: Vec<String>,
    pub(crate) notice: Option<String>,
}

#[derive(Template)]
#[template(path = "institution_documents.html")]
pub(crate) struct InstitutionDocuments {
    pub(crate) layout: Layout,
    /// The two lists: (shown now, heading, address).
    pub(crate) kinds: Vec<(bool, &'static str, String)>,
    pub(crate) kind: &'static str,
    pub(crate) show: &'static str,
    pub(crate) shows: Vec<(&'static str, &'static str)>,
    pub(crate) documents: Vec<DocumentRow>,
    pub(crate) pager: Pager,
    pub(crate) errors: Vec<String>,
    pub(crate) notice: Option<String>,
}

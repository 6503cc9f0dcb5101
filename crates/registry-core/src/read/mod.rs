//! The read side of the register: what the pages, the API, the exports and the batch jobs
//! show, decided here once so that no two places of the interface can contradict each
//! other.
//!
//! - [`employment`]: whether an institution employs a person (it actively holds one of
//!   their items), and the fill-in entry that opens only then;
//! - [`record`]: everything the register knows about one person, loaded in one place;
//! - [`institution_view`]: a person as an institution sees them, each held item with
//!   whether it can be registered and every reason it cannot;
//! - [`outlook`]: for each of a person's items, what holds today and the next step (register
//!   now, renew the certificate for the next cycle, …) with every reason it is blocked, and
//!   the person's hours and working days;
//! - [`pool`]: who may be found in the pool (无聘用单位人员);
//! - [`dashboard`]: the workspaces' figures — coverage of each item at each institution
//!   today and in 3, 6 and 12 months, registrations ending soon, the age profile, the
//!   registrations in force month by month (all together and per item);
//! - [`queues`]: what the association must act on — the issue queues of certificates and
//!   cards, the 换证 of a cycle counted by reason;
//! - [`runs`]: the runs of batch jobs (imports, sweeps) with their outcome;
//! - [`review_team`]: 评审组核验 — whether a person held an item at an institution on the
//!   day of a review, and their working days so far;
//! - [`own_data`]: a person's own data as the register holds it, and who saw their full ID
//!   number (PIPL).
//!
//! Adapters render what these functions return; they decide nothing themselves.

pub mod audit;
pub mod dashboard;
pub mod employment;
pub mod institution_view;
pub mod outlook;
pub mod own_data;
pub mod pool;
pub mod queues;
pub mod record;
pub mod review_team;
pub mod runs;

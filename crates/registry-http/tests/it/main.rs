//! The web system through the whole poem stack (every middleware, the routes, a real
//! SQLite database), driven like a browser: cookies kept, CSRF tokens repeated.

mod access;
mod api;
mod api_lists;
mod audit_log;
mod canaries;
mod cycles;
mod dashboard;
mod deadlines;
mod demo;
mod documents;
mod duties;
mod education;
mod entries;
mod exchange;
mod flow;
mod instances;
mod limits;
mod lists;
mod lockout;
mod logs;
mod movement;
mod operations;
mod own_data;
mod passwords;
mod reminders;
mod renewals;
mod second_factor;
mod security;
mod support;
mod team;
mod tokens;

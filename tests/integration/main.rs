//! The one integration-test binary (polars makes every extra binary slow to
//! link). Tests drive the real `tally` binary on workbooks they write, on
//! the samples and on the shared corpus, or the library's pipeline where
//! they need values the reports do not show.

mod book;
mod check_cli;
mod common;
mod corpus;
// Against a Dovecot IMAP server, which runs on Unix only.
#[cfg(unix)]
mod fetch;
mod history;
mod hostile;
mod issues;
mod mail;
mod pages;
mod plan;
mod projects;
mod rules;
mod run;
mod samples;
mod servers;
mod shapes;
mod template;
mod units;
mod words;

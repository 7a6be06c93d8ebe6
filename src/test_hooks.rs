//! Test hooks: environment variables the integration tests set to make
//! tally fail in chosen ways (a reading worker that dies or hangs, a
//! reading thread that panics, a store that fails half-way, a fetch killed
//! between files). They are read only in debug builds, which `cargo test`
//! runs: a release build given to a bureau ignores them, so no stray
//! variable can make it misbehave.

use std::ffi::OsString;

/// The hook's value, in a debug build.
pub fn value(name: &str) -> Option<OsString> {
    if cfg!(debug_assertions) {
        std::env::var_os(name)
    } else {
        None
    }
}

/// The hook's value as a number, in a debug build.
pub fn number<T: std::str::FromStr>(name: &str) -> Option<T> {
    value(name)?.to_str()?.parse().ok()
}

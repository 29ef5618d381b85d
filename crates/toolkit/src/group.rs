//! Collapsible log groups (`::group::` / `::endgroup::`).

use crate::runner::Runner;

/// Closes its group when dropped, so a `?` or early `return` inside a group cannot leave the
/// rest of the log folded into it.
#[derive(Debug)]
#[must_use = "the group ends when this guard is dropped; bind it with `let _group = ...`"]
pub struct GroupGuard<'a> {
    runner: &'a Runner,
}

impl<'a> GroupGuard<'a> {
    pub(crate) fn new(runner: &'a Runner) -> Self {
        Self { runner }
    }
}

impl Drop for GroupGuard<'_> {
    fn drop(&mut self) {
        self.runner.end_group();
    }
}

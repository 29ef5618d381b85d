//! The environment a tool reads, as a plain map.
//!
//! Every other module reads variables through [`Env`] instead of `std::env`, so that a test can
//! describe a whole runner (inputs, output files, event payload) as a list of pairs, and so that
//! two tests running in parallel threads never see each other's variables.

use std::collections::BTreeMap;

/// A snapshot of environment variables.
///
/// Build it once in `main` with [`Env::from_process`], or in a test with
/// `Env::from_iter([("INPUT_NAME", "value")])`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// An environment with no variables at all.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Snapshot of the current process environment.
    ///
    /// Variables whose name or value is not valid UTF-8 are left out: nothing the runner sets
    /// for a step is non-UTF-8, and a lossy conversion could silently change a value.
    #[must_use]
    pub fn from_process() -> Self {
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect()
    }

    /// The value of `name`, if set (possibly empty).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The value of `name` if it is set to something other than the empty string.
    ///
    /// The runner and many shells set variables to `""` to mean "not configured", so file
    /// command paths and URLs are read through this.
    #[must_use]
    pub fn get_non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Set `name` to `value`, replacing any previous value.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }

    /// Builder form of [`Env::set`], handy in tests.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set(name, value);
        self
    }

    /// Remove `name`, returning its previous value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.vars.remove(name)
    }

    /// All variables, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// True when running inside a GitHub Actions job (`GITHUB_ACTIONS=true`).
    ///
    /// nektos/act sets it too, which is what we want: act is a runner for our purposes.
    #[must_use]
    pub fn is_github_actions(&self) -> bool {
        self.get("GITHUB_ACTIONS") == Some("true")
    }

    /// True when step debug logging is on (`RUNNER_DEBUG=1`, set by the runner when the
    /// `ACTIONS_STEP_DEBUG` secret or "re-run with debug logging" is used).
    #[must_use]
    pub fn is_debug(&self) -> bool {
        self.get("RUNNER_DEBUG") == Some("1")
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self {
            vars: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

impl<K: Into<String>, V: Into<String>> Extend<(K, V)> for Env {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.set(k, v);
        }
    }
}

/// True when `env` describes a GitHub Actions job (`GITHUB_ACTIONS=true`).
#[must_use]
pub fn is_github_actions(env: &Env) -> bool {
    env.is_github_actions()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_iter_and_get() {
        let env = Env::from_iter([("A", "1"), ("EMPTY", "")]);
        assert_eq!(env.get("A"), Some("1"));
        assert_eq!(env.get("EMPTY"), Some(""));
        assert_eq!(env.get_non_empty("EMPTY"), None);
        assert_eq!(env.get("MISSING"), None);
    }

    #[test]
    fn github_actions_flag_requires_exact_true() {
        assert!(Env::from_iter([("GITHUB_ACTIONS", "true")]).is_github_actions());
        assert!(!Env::from_iter([("GITHUB_ACTIONS", "TRUE")]).is_github_actions());
        assert!(!Env::new().is_github_actions());
        assert!(is_github_actions(
            &Env::new().with("GITHUB_ACTIONS", "true")
        ));
    }

    #[test]
    fn debug_flag_requires_one() {
        assert!(Env::from_iter([("RUNNER_DEBUG", "1")]).is_debug());
        assert!(!Env::from_iter([("RUNNER_DEBUG", "true")]).is_debug());
        assert!(!Env::new().is_debug());
    }

    #[test]
    fn from_process_reads_path() {
        // PATH is set in every environment cargo runs tests in.
        assert!(Env::from_process().get("PATH").is_some());
    }
}

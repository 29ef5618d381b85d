//! The default variables the runner sets for every step (`GITHUB_*`, `RUNNER_*`).

use std::path::PathBuf;

use crate::env::Env;

/// Where GitHub.com serves its web pages; GHES sets its own `GITHUB_SERVER_URL`.
pub const DEFAULT_SERVER_URL: &str = "https://github.com";
/// GitHub.com's REST API; GHES sets its own `GITHUB_API_URL`.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// GitHub.com's GraphQL endpoint.
pub const DEFAULT_GRAPHQL_URL: &str = "https://api.github.com/graphql";

/// The job's context as set in the environment. Everything is optional except the URLs, which
/// default to GitHub.com, so that a tool run locally can still build links.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GithubContext {
    /// `GITHUB_ACTIONS=true`.
    pub is_github_actions: bool,
    /// `GITHUB_REPOSITORY`, `owner/name`.
    pub repository: Option<String>,
    /// `GITHUB_REPOSITORY_OWNER`.
    pub repository_owner: Option<String>,
    /// `GITHUB_SHA`.
    pub sha: Option<String>,
    /// `GITHUB_REF`, e.g. `refs/heads/main`, `refs/pull/7/merge`.
    pub git_ref: Option<String>,
    /// `GITHUB_REF_NAME`, e.g. `main`, `7/merge`, `v1.0.0`.
    pub ref_name: Option<String>,
    /// `GITHUB_REF_TYPE`: `branch` or `tag`.
    pub ref_type: Option<String>,
    /// `GITHUB_HEAD_REF`: source branch of a pull request (only for PR events).
    pub head_ref: Option<String>,
    /// `GITHUB_BASE_REF`: target branch of a pull request (only for PR events).
    pub base_ref: Option<String>,
    /// `GITHUB_SERVER_URL`, default [`DEFAULT_SERVER_URL`].
    pub server_url: String,
    /// `GITHUB_API_URL`, default [`DEFAULT_API_URL`].
    pub api_url: String,
    /// `GITHUB_GRAPHQL_URL`, default [`DEFAULT_GRAPHQL_URL`].
    pub graphql_url: String,
    /// `GITHUB_WORKSPACE`: the checkout directory.
    pub workspace: Option<String>,
    /// `GITHUB_EVENT_NAME`.
    pub event_name: Option<String>,
    /// `GITHUB_EVENT_PATH`.
    pub event_path: Option<String>,
    /// `GITHUB_WORKFLOW`: workflow name.
    pub workflow: Option<String>,
    /// `GITHUB_JOB`: job id.
    pub job: Option<String>,
    /// `GITHUB_ACTION`: step id (or a generated one).
    pub action: Option<String>,
    /// `GITHUB_ACTOR`.
    pub actor: Option<String>,
    /// `GITHUB_RUN_ID`.
    pub run_id: Option<String>,
    /// `GITHUB_RUN_NUMBER`.
    pub run_number: Option<String>,
    /// `GITHUB_RUN_ATTEMPT`.
    pub run_attempt: Option<String>,
    /// `RUNNER_TEMP`: a directory emptied after each job.
    pub runner_temp: Option<String>,
    /// `RUNNER_TOOL_CACHE`.
    pub runner_tool_cache: Option<String>,
    /// `RUNNER_OS`: `Linux`, `Windows` or `macOS`.
    pub runner_os: Option<String>,
    /// `RUNNER_ARCH`: `X86`, `X64`, `ARM` or `ARM64`.
    pub runner_arch: Option<String>,
}

impl GithubContext {
    /// Where the tools resolve relative paths from inputs: `GITHUB_WORKSPACE`, or, outside a
    /// runner, the current directory.
    ///
    /// # Errors
    /// No `GITHUB_WORKSPACE`, and the current directory cannot be read.
    pub fn workspace_dir(&self) -> std::io::Result<PathBuf> {
        match &self.workspace {
            Some(dir) => Ok(PathBuf::from(dir)),
            None => std::env::current_dir(),
        }
    }

    /// Read the context from `env`. Empty variables count as unset.
    #[must_use]
    pub fn from_env(env: &Env) -> Self {
        let get = |name: &str| env.get_non_empty(name).map(str::to_owned);
        let url = |name: &str, default: &str| {
            env.get_non_empty(name)
                .unwrap_or(default)
                .trim_end_matches('/')
                .to_owned()
        };
        Self {
            is_github_actions: env.is_github_actions(),
            repository: get("GITHUB_REPOSITORY"),
            repository_owner: get("GITHUB_REPOSITORY_OWNER"),
            sha: get("GITHUB_SHA"),
            git_ref: get("GITHUB_REF"),
            ref_name: get("GITHUB_REF_NAME"),
            ref_type: get("GITHUB_REF_TYPE"),
            head_ref: get("GITHUB_HEAD_REF"),
            base_ref: get("GITHUB_BASE_REF"),
            server_url: url("GITHUB_SERVER_URL", DEFAULT_SERVER_URL),
            api_url: url("GITHUB_API_URL", DEFAULT_API_URL),
            graphql_url: url("GITHUB_GRAPHQL_URL", DEFAULT_GRAPHQL_URL),
            workspace: get("GITHUB_WORKSPACE"),
            event_name: get("GITHUB_EVENT_NAME"),
            event_path: get("GITHUB_EVENT_PATH"),
            workflow: get("GITHUB_WORKFLOW"),
            job: get("GITHUB_JOB"),
            action: get("GITHUB_ACTION"),
            actor: get("GITHUB_ACTOR"),
            run_id: get("GITHUB_RUN_ID"),
            run_number: get("GITHUB_RUN_NUMBER"),
            run_attempt: get("GITHUB_RUN_ATTEMPT"),
            runner_temp: get("RUNNER_TEMP"),
            runner_tool_cache: get("RUNNER_TOOL_CACHE"),
            runner_os: get("RUNNER_OS"),
            runner_arch: get("RUNNER_ARCH"),
        }
    }

    /// `(owner, name)` from `GITHUB_REPOSITORY`.
    #[must_use]
    pub fn repo(&self) -> Option<(&str, &str)> {
        let (owner, name) = self.repository.as_deref()?.split_once('/')?;
        (!owner.is_empty() && !name.is_empty()).then_some((owner, name))
    }

    /// Web page of the repository.
    #[must_use]
    pub fn repository_url(&self) -> Option<String> {
        Some(format!(
            "{}/{}",
            self.server_url,
            self.repository.as_deref()?
        ))
    }

    /// Web page of this run (of this attempt when `GITHUB_RUN_ATTEMPT` > 1).
    #[must_use]
    pub fn run_url(&self) -> Option<String> {
        let base = format!(
            "{}/actions/runs/{}",
            self.repository_url()?,
            self.run_id.as_deref()?
        );
        Some(match self.run_attempt.as_deref() {
            Some(attempt) if attempt != "1" => format!("{base}/attempts/{attempt}"),
            _ => base,
        })
    }

    /// Web page of commit `sha` in this repository.
    #[must_use]
    pub fn commit_url(&self, sha: &str) -> Option<String> {
        Some(format!("{}/commit/{sha}", self.repository_url()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_outside_a_runner() {
        let ctx = GithubContext::from_env(&Env::new());
        assert!(!ctx.is_github_actions);
        assert_eq!(ctx.server_url, "https://github.com");
        assert_eq!(ctx.api_url, "https://api.github.com");
        assert_eq!(ctx.graphql_url, "https://api.github.com/graphql");
        assert_eq!(ctx.repo(), None);
        assert_eq!(ctx.run_url(), None);
    }

    #[test]
    fn reads_runner_variables() {
        let env = Env::from_iter([
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "octo/app"),
            ("GITHUB_SHA", "abc"),
            ("GITHUB_REF", "refs/pull/7/merge"),
            ("GITHUB_REF_NAME", "7/merge"),
            ("GITHUB_HEAD_REF", "feature"),
            ("GITHUB_BASE_REF", "main"),
            ("GITHUB_SERVER_URL", "https://ghe.example.com/"),
            ("GITHUB_API_URL", "https://ghe.example.com/api/v3"),
            ("GITHUB_WORKSPACE", "/w"),
            ("RUNNER_TEMP", "/tmp/r"),
            ("RUNNER_OS", "Linux"),
            ("RUNNER_ARCH", "X64"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_RUN_ATTEMPT", "2"),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_ACTOR", ""),
        ]);
        let ctx = GithubContext::from_env(&env);
        assert!(ctx.is_github_actions);
        assert_eq!(ctx.repo(), Some(("octo", "app")));
        assert_eq!(ctx.sha.as_deref(), Some("abc"));
        assert_eq!(ctx.git_ref.as_deref(), Some("refs/pull/7/merge"));
        assert_eq!(ctx.ref_name.as_deref(), Some("7/merge"));
        assert_eq!(ctx.head_ref.as_deref(), Some("feature"));
        assert_eq!(ctx.base_ref.as_deref(), Some("main"));
        assert_eq!(ctx.server_url, "https://ghe.example.com");
        assert_eq!(ctx.api_url, "https://ghe.example.com/api/v3");
        assert_eq!(ctx.workspace.as_deref(), Some("/w"));
        assert_eq!(ctx.runner_temp.as_deref(), Some("/tmp/r"));
        assert_eq!(ctx.runner_os.as_deref(), Some("Linux"));
        assert_eq!(ctx.runner_arch.as_deref(), Some("X64"));
        assert_eq!(ctx.event_name.as_deref(), Some("pull_request"));
        assert_eq!(ctx.actor, None);
        assert_eq!(
            ctx.run_url().as_deref(),
            Some("https://ghe.example.com/octo/app/actions/runs/42/attempts/2")
        );
        assert_eq!(
            ctx.commit_url("abc").as_deref(),
            Some("https://ghe.example.com/octo/app/commit/abc")
        );
    }

    #[test]
    fn the_workspace_is_github_workspace_else_the_current_directory() {
        let given = GithubContext {
            workspace: Some("/home/runner/work/app/app".to_owned()),
            ..GithubContext::default()
        };
        assert_eq!(
            given.workspace_dir().unwrap(),
            PathBuf::from("/home/runner/work/app/app")
        );
        assert_eq!(
            GithubContext::default().workspace_dir().unwrap(),
            std::env::current_dir().unwrap()
        );
    }
}

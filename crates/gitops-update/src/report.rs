//! What a run came to, and how it is reported: the step's outputs and the job summary.

use gantry_image_ref::ImageRef;
use gantry_toolkit::{Runner, Summary};

use crate::config::Config;
use crate::update::Prepared;

/// Every output the tool writes.
pub const OUTPUTS: &[&str] = &[
    "result",
    "changed",
    "commit",
    "reference",
    "previous-reference",
    "files",
    "pull-request-url",
    "argocd-health",
    "revert-commit",
];

/// Where a commit goes.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The branch the commit is made on top of.
    pub base: String,
    /// The branch it is pushed to (the base, or the pull request's branch).
    pub into: String,
    /// Push whatever the branch was (the pull request's own branch).
    pub force: bool,
    pub message: String,
}

/// What happened to the change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Delivered {
    /// The files already had the reference: no commit.
    #[default]
    Unchanged,
    /// Edited, rendered and shown; nothing written.
    DryRun,
    /// `push: none`: the working tree's files were edited.
    Edited,
    /// Pushed to the branch.
    Pushed { branch: String },
}

/// One render of the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub command: String,
    pub bytes: usize,
}

/// Argo CD's last word on the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followed {
    /// Healthy, Degraded, ..., or `timed out` / `stopped`.
    pub health: String,
    pub detail: String,
    pub healthy: bool,
}

/// What a run did, for the outputs and the summary.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub reference: ImageRef,
    pub branch: String,
    /// The tip the last attempt edited.
    pub base_commit: Option<String>,
    pub prepared: Prepared,
    pub attempts: u32,
    pub rendered: Vec<Rendered>,
    pub delivery: Delivered,
    pub commit: Option<String>,
    pub pull_request: Option<(u64, String)>,
    pub followed: Option<Followed>,
    /// The commit that undid ours after Argo CD failed (or the closed pull request's number).
    pub reverted: Option<String>,
    /// Set when the run fails after something was pushed: reported, then the exit code.
    pub failure: Option<String>,
}

impl Outcome {
    pub fn new(reference: ImageRef, branch: String) -> Outcome {
        Outcome {
            reference,
            branch,
            base_commit: None,
            prepared: Prepared::default(),
            attempts: 0,
            rendered: Vec::new(),
            delivery: Delivered::Unchanged,
            commit: None,
            pull_request: None,
            followed: None,
            reverted: None,
            failure: None,
        }
    }

    /// The `result` output.
    pub fn result(&self) -> &'static str {
        if self.reverted.is_some() {
            return "reverted";
        }
        match (&self.delivery, &self.pull_request) {
            (Delivered::Pushed { .. }, Some(_)) => "proposed",
            (Delivered::Pushed { .. }, None) => "pushed",
            (Delivered::Unchanged, _) => "unchanged",
            (Delivered::DryRun, _) => "dry-run",
            (Delivered::Edited, _) => "edited",
        }
    }

    /// The reference the files had before (the first changed file's).
    pub fn previous(&self) -> String {
        self.prepared
            .previous
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    }
}

/// The outputs of an outcome, in [`OUTPUTS`] order.
pub fn outputs(outcome: &Outcome) -> Vec<(&'static str, String)> {
    let files: Vec<&str> = outcome
        .prepared
        .updates
        .iter()
        .map(|u| u.path.as_str())
        .collect();
    vec![
        ("result", outcome.result().to_owned()),
        (
            "changed",
            (!outcome.prepared.updates.is_empty()).to_string(),
        ),
        ("commit", outcome.commit.clone().unwrap_or_default()),
        ("reference", outcome.reference.to_string()),
        ("previous-reference", outcome.previous()),
        (
            "files",
            serde_json::to_string(&files).unwrap_or_else(|_| "[]".to_owned()),
        ),
        (
            "pull-request-url",
            outcome
                .pull_request
                .as_ref()
                .map(|(_, url)| url.clone())
                .unwrap_or_default(),
        ),
        (
            "argocd-health",
            outcome
                .followed
                .as_ref()
                .map(|f| f.health.clone())
                .unwrap_or_default(),
        ),
        (
            "revert-commit",
            outcome.reverted.clone().unwrap_or_default(),
        ),
    ]
}

/// Write the outputs and the summary.
pub fn report(runner: &Runner, config: &Config, outcome: &Outcome) -> anyhow::Result<()> {
    for (name, value) in outputs(outcome) {
        runner.set_output(name, &value)?;
    }
    let mut summary = Summary::new();
    summary_of(&mut summary, config, outcome);
    runner.write_summary(&summary)?;
    Ok(())
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

/// The job summary: what was set where, the render check, the delivery, Argo CD.
pub fn summary_of(summary: &mut Summary, config: &Config, outcome: &Outcome) {
    summary.heading(2, "gitops-update");
    let head = match &outcome.delivery {
        Delivered::Unchanged => format!(
            "Nothing to change: every file already sets `{}` to `{}`; no commit.",
            config.image, outcome.reference
        ),
        Delivered::DryRun => format!(
            "Dry run: `{}` would be set to `{}`; nothing was committed or pushed.",
            config.image, outcome.reference
        ),
        Delivered::Edited => format!(
            "`{}` set to `{}` in the working tree (push: none); nothing was committed.",
            config.image, outcome.reference
        ),
        Delivered::Pushed { branch } => format!(
            "`{}` set to `{}`: commit `{}` pushed to `{branch}`{}.",
            config.image,
            outcome.reference,
            outcome.commit.as_deref().map(short).unwrap_or_default(),
            if outcome.attempts > 1 {
                format!(" (after {} attempts: concurrent updates)", outcome.attempts)
            } else {
                String::new()
            }
        ),
    };
    summary.paragraph(&head);
    if !outcome.prepared.updates.is_empty() {
        let rows: Vec<Vec<String>> = outcome
            .prepared
            .updates
            .iter()
            .flat_map(|u| {
                u.changes.iter().map(move |c| {
                    vec![
                        format!("`{}`", u.path),
                        format!("{}", c.line),
                        format!("`{}`", c.field),
                        c.old
                            .as_deref()
                            .map_or_else(|| "(added)".to_owned(), |o| format!("`{o}`")),
                        format!("`{}`", c.new),
                    ]
                })
            })
            .collect();
        summary.table(["file", "line", "field", "before", "after"], rows);
    }
    for (file, why) in &outcome.prepared.skipped {
        summary.paragraph(&format!("Skipped `{file}` (allow-missing): {why}"));
    }
    if !outcome.rendered.is_empty() {
        let rows: Vec<Vec<String>> = outcome
            .rendered
            .iter()
            .map(|r| {
                vec![
                    format!("`{}`", r.command),
                    format!("{} bytes, carries the reference", r.bytes),
                ]
            })
            .collect();
        summary.table(["render check", "result"], rows);
    }
    if let Some((number, url)) = &outcome.pull_request {
        summary.paragraph(&format!("Pull request [#{number}]({url})."));
    }
    if let Some(followed) = &outcome.followed {
        summary.paragraph(&format!(
            "Argo CD: **{}**. {}",
            followed.health, followed.detail
        ));
    }
    if let Some(reverted) = &outcome.reverted {
        summary.paragraph(&format!("Reverted: `{}`.", short(reverted)));
    }
    if let Some(failure) = &outcome.failure {
        summary.paragraph(&format!("Failed: {failure}"));
    }
}

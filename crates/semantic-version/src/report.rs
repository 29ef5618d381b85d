//! What a run reports: the notes files, the step's outputs and the job summary.

use std::path::PathBuf;

use anyhow::Context as _;
use gantry_toolkit::{Runner, Summary};
use semver::Version;

use crate::outputs::{self, PackageResult};
use crate::release::{Run, short, stopped_early};
use crate::rules::Bump;
use crate::version::PlanReason;

/// Writes each result's notes file, then the outputs (naming complete files) and the summary.
pub(crate) fn report(
    run: &Run<'_>,
    results: &mut [PackageResult],
    dev_reason: Option<&str>,
) -> anyhow::Result<()> {
    let Run {
        runner,
        config,
        stop,
        ..
    } = *run;
    stop.check("writing the outputs").map_err(stopped_early)?;
    // Files first, so that the output naming one always names a complete file.
    let notes_dir = notes_dir(runner)?;
    for r in results.iter_mut() {
        let file = notes_dir.join(if r.package.is_empty() {
            format!("{}-notes.md", step_id(runner))
        } else {
            format!("{}-{}-notes.md", step_id(runner), r.package)
        });
        std::fs::write(&file, &r.notes)
            .with_context(|| format!("cannot write {}", file.display()))?;
        r.notes_file = file.to_string_lossy().into_owned();
    }
    for (name, value) in outputs::values(results, config.monorepo()) {
        runner.set_output(&name, &value)?;
    }
    let mut summary = Summary::new();
    summary_of(&mut summary, results, config.dry_run, dev_reason);
    runner.write_summary(&summary)?;
    Ok(())
}

fn step_id(runner: &Runner) -> String {
    runner
        .env()
        .get_non_empty("GITHUB_ACTION")
        .unwrap_or("local")
        .replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_',
            "_",
        )
        + &format!("-{}", std::process::id())
}

fn notes_dir(runner: &Runner) -> anyhow::Result<PathBuf> {
    let dir = runner
        .env()
        .get_non_empty("RUNNER_TEMP")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("gantry-semantic-version");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

fn summary_of(
    summary: &mut Summary,
    results: &[PackageResult],
    dry_run: bool,
    dev_reason: Option<&str>,
) {
    summary.heading(2, "semantic-version");
    if dry_run {
        summary.paragraph("Dry run: nothing was written.");
    }
    if let Some(reason) = dev_reason {
        summary.paragraph(&format!("Dev build: {reason}."));
    }
    for r in results {
        if !r.package.is_empty() {
            summary.heading(3, &format!("Package `{}`", r.package));
        }
        let v = |v: &Option<Version>| v.as_ref().map_or("—".to_string(), ToString::to_string);
        let reason = match r.plan.reason {
            PlanReason::FirstRelease => "first release",
            PlanReason::Bump => "commits since the last release",
            PlanReason::ReleaseAs => "Release-As footer",
            PlanReason::NothingToRelease => "nothing to release",
            PlanReason::NothingNewSincePrerelease => "nothing new since the last prerelease",
            PlanReason::DevBuild => "dev build",
        };
        summary.table(
            ["", "value"],
            [
                vec!["version".to_string(), format!("`{}`", v(&r.plan.version))],
                vec!["previous".to_string(), format!("`{}`", v(&r.plan.previous))],
                vec!["tag".to_string(), r.tag.clone()],
                vec!["bump".to_string(), r.plan.bump.as_str().to_string()],
                vec!["released".to_string(), r.plan.released.to_string()],
                vec!["why".to_string(), reason.to_string()],
                vec!["commits".to_string(), r.commit_count.to_string()],
            ],
        );
        let rows: Vec<Vec<String>> = r
            .analysis
            .commits
            .iter()
            .map(|c| {
                let (ty, scope) = c.conventional.as_ref().map_or_else(
                    || (String::new(), String::new()),
                    |cc| (cc.r#type.clone(), cc.scope.clone().unwrap_or_default()),
                );
                vec![
                    format!("`{}`", c.short_sha()),
                    ty,
                    scope,
                    if c.counts() {
                        c.bump.as_str().to_string()
                    } else {
                        format!("{} (not counted)", Bump::None.as_str())
                    },
                    c.subject.clone(),
                ]
            })
            .collect();
        if !rows.is_empty() {
            summary.table(["sha", "type", "scope", "bump", "subject"], rows);
        }
        if !r.analysis.unparseable.is_empty() {
            let body = r
                .analysis
                .unparseable
                .iter()
                .map(|u| format!("- `{}` {}: {}", short(&u.sha), u.subject, u.reason))
                .collect::<Vec<_>>()
                .join("\n");
            summary.details(
                &match r.analysis.unparseable.len() {
                    1 => "1 commit is not a Conventional Commit (not counted)".to_owned(),
                    n => format!("{n} commits are not Conventional Commits (not counted)"),
                },
                &body,
            );
        }
        if !r.not_semver.is_empty() {
            summary.paragraph(&format!(
                "{} tags match `{}` but are not semantic versions (skipped).",
                r.not_semver.len(),
                r.tag_format
            ));
        }
        if !r.notes.is_empty() {
            summary.details("Release notes", &r.notes);
        }
    }
}

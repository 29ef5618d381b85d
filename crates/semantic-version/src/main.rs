//! `semantic-version`: the binary. On a runner it reads `INPUT_*`; as a CLI the flags below
//! stand in for them and outputs print as `name=value` (or one JSON object with `--json`).

use std::process::ExitCode;

use clap::Parser;
use gantry_toolkit::{CommonFlags, run};
use semantic_version::config::INPUTS;
use semantic_version::outputs::FIXED_OUTPUTS;

/// The next version from Conventional Commits; release notes, tags and GitHub releases.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// GitHub token (for the release); better given as INPUT_TOKEN. [input: token]
    #[arg(long)]
    token: Option<String>,
    /// The repository directory. [input: working-directory]
    #[arg(long)]
    working_directory: Option<String>,
    /// Release tag format, with `${version}` once. [input: tag-format]
    #[arg(long)]
    tag_format: Option<String>,
    /// Branches that release, one a line. [input: release-branches]
    #[arg(long)]
    release_branches: Option<String>,
    /// `branch=identifier` lines, e.g. `develop=beta`. [input: prerelease-branches]
    #[arg(long)]
    prerelease_branches: Option<String>,
    /// Release rules (YAML list of {type, scope, release}). [input: release-rules]
    #[arg(long)]
    release_rules: Option<String>,
    /// Use the pull-request title of merge commits. [input: use-pr-title]
    #[arg(long)]
    use_pr_title: Option<String>,
    /// Version of the first release. [input: first-release]
    #[arg(long)]
    first_release: Option<String>,
    /// While 0.x, breaking changes bump the minor. [input: bump-minor-pre-major]
    #[arg(long)]
    bump_minor_pre_major: Option<String>,
    /// While 0.x, features bump the patch. [input: bump-patch-for-minor-pre-major]
    #[arg(long)]
    bump_patch_for_minor_pre_major: Option<String>,
    /// Monorepo packages (YAML: name → {paths, tag-format}). [input: packages]
    #[arg(long)]
    packages: Option<String>,
    /// CHANGELOG file to prepend the notes to. [input: changelog]
    #[arg(long)]
    changelog: Option<String>,
    /// Create and push the annotated tag. [input: create-tag]
    #[arg(long)]
    create_tag: Option<String>,
    /// Create the GitHub release. [input: create-release]
    #[arg(long)]
    create_release: Option<String>,
    /// Move the floating vX and vX.Y tags. [input: floating-tags]
    #[arg(long)]
    floating_tags: Option<String>,
    /// Compute and print everything, write nothing. [input: dry-run]
    #[arg(long)]
    dry_run: Option<String>,
    /// Commits fetched first into a shallow clone. [input: initial-fetch-depth]
    #[arg(long)]
    initial_fetch_depth: Option<String>,
    /// owner/name for the links of the notes (else GITHUB_REPOSITORY, else the remote).
    /// [input: repository]
    #[arg(long)]
    repository: Option<String>,
    /// The whole run's deadline, in seconds. [input: timeout-seconds]
    #[arg(long)]
    timeout_seconds: Option<String>,
    #[command(flatten)]
    common: CommonFlags,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(builder) = cli
        .common
        .runner_builder("semantic-version", &[INPUTS], FIXED_OUTPUTS)
    else {
        return ExitCode::SUCCESS; // `--action-contract` printed the contract
    };
    let runner = builder
        .input_override("token", cli.token)
        .input_override("working-directory", cli.working_directory)
        .input_override("tag-format", cli.tag_format)
        .input_override("release-branches", cli.release_branches)
        .input_override("prerelease-branches", cli.prerelease_branches)
        .input_override("release-rules", cli.release_rules)
        .input_override("use-pr-title", cli.use_pr_title)
        .input_override("first-release", cli.first_release)
        .input_override("bump-minor-pre-major", cli.bump_minor_pre_major)
        .input_override(
            "bump-patch-for-minor-pre-major",
            cli.bump_patch_for_minor_pre_major,
        )
        .input_override("packages", cli.packages)
        .input_override("changelog", cli.changelog)
        .input_override("create-tag", cli.create_tag)
        .input_override("create-release", cli.create_release)
        .input_override("floating-tags", cli.floating_tags)
        .input_override("dry-run", cli.dry_run)
        .input_override("initial-fetch-depth", cli.initial_fetch_depth)
        .input_override("repository", cli.repository)
        .input_override("timeout-seconds", cli.timeout_seconds)
        .build();
    run(&runner, semantic_version::run::run)
}

//! `ecr-push`: the binary. On a runner it reads `INPUT_*`; as a CLI the flags below stand in
//! for the most used inputs (every input can be given as `INPUT_<NAME>`), and outputs print as
//! `name=value` (or one JSON object with `--json`).

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use ecr_push::config::INPUTS;
use ecr_push::outputs::OUTPUTS;
use gantry_aws_setup::AWS_INPUTS;
use gantry_toolkit::{CommonFlags, run};

/// Build, tag, push and promote container images in Amazon ECR.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The ECR repository. [input: repository]
    #[arg(long)]
    repository: Option<String>,
    /// build, push or promote. [input: mode]
    #[arg(long)]
    mode: Option<String>,
    /// Tag rules: sha, semver, dev, branch, pr, latest, raw:<tag>. [input: tags]
    #[arg(long)]
    tags: Option<String>,
    /// The version for the semver rule (`--version` prints the tool's). [input: version]
    #[arg(long = "image-version")]
    image_version: Option<String>,
    /// OCI image layout directory or `docker save` tarball (mode push). [input: image-path]
    #[arg(long)]
    image_path: Option<String>,
    /// Tag or digest of the image to promote (mode promote). [input: source]
    #[arg(long)]
    source: Option<String>,
    /// Build context (mode build). [input: context]
    #[arg(long)]
    context: Option<String>,
    /// Dockerfile (mode build). [input: dockerfile]
    #[arg(long)]
    dockerfile: Option<String>,
    /// Registry API endpoint instead of ECR's (tests, mirrors). [input: registry-endpoint]
    #[arg(long)]
    registry_endpoint: Option<String>,
    /// Account ids; the first is pushed to. [input: registry-ids]
    #[arg(long)]
    registry_ids: Option<String>,
    /// AWS region. [input: aws-region]
    #[arg(long)]
    aws_region: Option<String>,
    /// Create the repository when missing. [input: create-repository]
    #[arg(long)]
    create_repository: Option<String>,
    /// Compute and print everything, change nothing. [input: dry-run]
    #[arg(long)]
    dry_run: Option<String>,
    #[command(flatten)]
    common: CommonFlags,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(builder) = cli
        .common
        .runner_builder("ecr-push", &[INPUTS, AWS_INPUTS], OUTPUTS)
    else {
        return ExitCode::SUCCESS; // `--action-contract` printed the contract
    };
    let runner = Arc::new(
        builder
            .input_override("repository", cli.repository)
            .input_override("mode", cli.mode)
            .input_override("tags", cli.tags)
            .input_override("version", cli.image_version)
            .input_override("image-path", cli.image_path)
            .input_override("source", cli.source)
            .input_override("context", cli.context)
            .input_override("dockerfile", cli.dockerfile)
            .input_override("registry-endpoint", cli.registry_endpoint)
            .input_override("registry-ids", cli.registry_ids)
            .input_override("create-repository", cli.create_repository)
            .input_override("dry-run", cli.dry_run)
            .input_override("aws-region", cli.aws_region)
            .build(),
    );
    run(&runner, |_| ecr_push::run::run(&runner))
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_is_consistent() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}

//! The flows of a run, one module each: [`build`] (Docker, then the registry push), [`push`]
//! (an OCI layout or `docker save` tarball), [`promote`] (more tags by ECR's API) and [`copy`]
//! (an image from another account, region or repository over the registry API); and the steps
//! every mode shares, [`repository`] (before) and [`scan`] (the gate, after). Here: what they
//! share, a [`Session`] (the registry pushed to, logged in), connecting to the registry, the
//! push of an [`Image`] and how a push is recorded in the [`Outcome`].

pub mod build;
pub mod copy;
pub mod promote;
pub mod push;
pub mod repository;
pub mod scan;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use gantry_aws_setup::AwsContext;
use gantry_toolkit::Runner;

use crate::config::{Config, RegistryEndpoint};
use crate::ecr::SdkEcr;
use crate::image::Image;
use crate::login::Credentials;
use crate::outputs::Outcome;
use crate::plan;
use crate::push::{OciRegistry, PushOptions, Registry, STREAM_ABOVE, push};

/// The first retry's delay for registry requests.
const BACKOFF: Duration = Duration::from_millis(200);

/// What every flow works with: the run's configuration and the registry pushed to, logged in.
#[derive(Debug, Clone, Copy)]
pub struct Session<'a> {
    pub runner: &'a Runner,
    pub config: &'a Config,
    pub aws: &'a AwsContext,
    pub ecr: &'a SdkEcr,
    /// The account pushed to.
    pub account: &'a str,
    /// `<account>.dkr.ecr.<region>.amazonaws.com`.
    pub registry: &'a str,
    pub credentials: &'a Credentials,
    /// Whether the repository's tags are immutable.
    pub immutable: bool,
}

fn runner_temp(runner: &Runner) -> PathBuf {
    runner
        .env()
        .get_non_empty("RUNNER_TEMP")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}

async fn connect(
    config: &Config,
    registry: &str,
    credentials: &Credentials,
) -> anyhow::Result<OciRegistry> {
    connect_to(config, registry, credentials, &config.repository).await
}

async fn connect_to(
    config: &Config,
    registry: &str,
    credentials: &Credentials,
    repository: &str,
) -> anyhow::Result<OciRegistry> {
    let RegistryEndpoint { host, insecure } =
        plan::data_plane(config.registry_endpoint.as_ref(), registry);
    OciRegistry::connect(
        &host,
        repository,
        insecure,
        Some(credentials.clone()),
        Duration::from_secs(300),
        config.max_concurrency,
        config.push_retries,
    )
    .await
    .with_context(|| format!("cannot reach the registry at {host}"))
}

async fn push_image(
    runner: &Runner,
    config: &Config,
    target: &OciRegistry,
    image: &Image,
    immutable: bool,
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    let root = image
        .root()
        .ok_or_else(|| anyhow!("the image has no manifest"))?;
    outcome.digest = root.digest.clone();
    outcome.platforms = image.platforms();
    if config.dry_run {
        let mut missing = 0usize;
        for blob in &image.blobs {
            if !target.blob_exists(&blob.digest).await? {
                missing += 1;
            }
        }
        outcome.notes.push(format!(
            "dry run: {missing} of {} blobs would be uploaded, then tags {}",
            image.blobs.len(),
            config.tags.join(", ")
        ));
        return Ok(());
    }
    let _group = runner.group("Push");
    let options = PushOptions {
        concurrency: config.max_concurrency,
        retries: config.push_retries,
        backoff: BACKOFF,
        mount_from: config.mount_from.clone(),
        immutable,
        stream_above: STREAM_ABOVE,
    };
    let log = |line: String| runner.info(&line);
    let report = push(target, image, &config.tags, &options, &log).await?;
    record(outcome, &report);
    Ok(())
}

fn record(outcome: &mut Outcome, report: &crate::push::PushReport) {
    if report.retries > 0 {
        outcome
            .notes
            .push(format!("{} registry request(s) retried", report.retries));
    }
    if !report.tags_unchanged.is_empty() {
        outcome.notes.push(format!(
            "tags already on this image: {}",
            report.tags_unchanged.join(", ")
        ));
    }
    outcome.pushed = report.blobs_uploaded
        + report.blobs_mounted
        + report.manifests_pushed
        + report.tags_pushed.len()
        > 0;
    outcome.blobs_uploaded = report.blobs_uploaded;
    outcome.bytes_uploaded = report.bytes_uploaded;
    outcome.blobs_existing = report.blobs_existing;
    outcome.blobs_mounted = report.blobs_mounted;
}

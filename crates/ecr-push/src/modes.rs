//! The flows of a run, one module each: [`build`] (Docker, then the registry push),
//! [`push`](mod@push) (an OCI layout or `docker save` tarball), [`promote`] (more tags by ECR's
//! API) and [`copy`] (an image from another account, region or repository over the registry
//! API); and the steps every mode shares, [`repository`] (before) and [`scan`] (the gate,
//! after). The decisions they carry out are [`crate::plan`]'s. Here: what the flows share, a
//! [`Session`] (the registry pushed to, logged in), connecting to the registry, the push of an
//! [`Image`], and what a push records in the [`Outcome`] ([`record_image`], [`record_push`]).

pub mod build;
pub mod copy;
pub mod promote;
pub mod push;
pub mod repository;
pub mod scan;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use gantry_aws_setup::AwsContext;
use gantry_toolkit::Runner;

use crate::config::{Config, RegistryEndpoint};
use crate::ecr::{EcrImage, SdkEcr};
use crate::image::Image;
use crate::login::Credentials;
use crate::outputs::Outcome;
use crate::plan;
use crate::plan::{CacheTarget, TagAction};
use crate::push::{
    OciRegistry, PushOptions, PushReport, Registry, STREAM_ABOVE, Staged, stage, write_tags,
};

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

/// How the run pushes: the inputs' concurrency and retries, mounting from `mount_from`, to a
/// repository whose tags are `immutable` or not.
fn push_options(config: &Config, mount_from: Vec<String>, immutable: bool) -> PushOptions {
    PushOptions {
        concurrency: config.max_concurrency,
        retries: config.push_retries,
        backoff: BACKOFF,
        mount_from,
        immutable,
        stream_above: STREAM_ABOVE,
    }
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

/// What a flow leaves for after the scan gate: the tags. Written by [`write_pending`] only when
/// the gate passes (or there is none), so an image that fails it gets no new tag.
// One value per run: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Pending {
    /// No tag to write (a dry run).
    Nothing,
    /// The tags of an image pushed by digest, over the registry API; then, with an inline
    /// build cache, the image tagged as the cache too.
    Registry {
        target: OciRegistry,
        staged: Staged,
        inline_cache: Option<(Image, CacheTarget)>,
    },
    /// PutImage per tag, for an image already in the repository (promote).
    Promote {
        image: EcrImage,
        actions: Vec<TagAction>,
    },
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pending::Nothing => f.write_str("Nothing"),
            Pending::Registry {
                staged,
                inline_cache,
                ..
            } => f
                .debug_struct("Registry")
                .field("staged", staged)
                .field("inline_cache", &inline_cache.as_ref().map(|(_, c)| c))
                .finish_non_exhaustive(),
            Pending::Promote { image, actions } => f
                .debug_struct("Promote")
                .field("image", image)
                .field("actions", actions)
                .finish(),
        }
    }
}

/// What a flow did before the gate: the digests ECR scans and the tags left to write.
#[derive(Debug)]
pub struct Staging {
    pub scan_targets: Vec<String>,
    pub pending: Pending,
}

impl Staging {
    pub fn nothing() -> Staging {
        Staging {
            scan_targets: Vec::new(),
            pending: Pending::Nothing,
        }
    }
}

/// Pushes `image` to `target` by digest (blobs, then manifests); the tags are left pending.
async fn stage_image(
    runner: &Runner,
    config: &Config,
    target: OciRegistry,
    image: &Image,
    immutable: bool,
    outcome: &mut Outcome,
) -> anyhow::Result<Staging> {
    if !record_image(outcome, image) {
        bail!("the image has no manifest");
    }
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
        return Ok(Staging::nothing());
    }
    let _group = runner.group("Push");
    let options = push_options(config, config.mount_from.clone(), immutable);
    let log = |line: String| runner.info(&line);
    let staged = stage(&target, image, &config.tags, &options, &log).await?;
    record_push(outcome, &staged.report);
    Ok(Staging {
        scan_targets: plan::scanned_images(image),
        pending: Pending::Registry {
            target,
            staged,
            inline_cache: None,
        },
    })
}

/// Writes the tags a flow left pending (after the scan gate passed).
pub async fn write_pending(
    session: &Session<'_>,
    pending: Pending,
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    match pending {
        Pending::Nothing => Ok(()),
        Pending::Registry {
            target,
            staged,
            inline_cache,
        } => {
            let Session {
                runner,
                config,
                immutable,
                ..
            } = *session;
            let _group = runner.group("Tag");
            let options = push_options(config, Vec::new(), immutable);
            let log = |line: String| runner.info(&line);
            let report = write_tags(&target, staged, &options, &log).await?;
            record_push(outcome, &report);
            if let Some((image, cache)) = inline_cache {
                build::update_inline_cache(session, &image, &cache).await?;
            }
            Ok(())
        }
        Pending::Promote { image, actions } => {
            promote::write_tags(session, &image, &actions, outcome).await
        }
    }
}

/// Records the image the tags name: its digest (its root manifest's) and platforms. `false`,
/// recording nothing: the image has no manifest.
pub fn record_image(outcome: &mut Outcome, image: &Image) -> bool {
    let Some(root) = image.root() else {
        return false;
    };
    outcome.digest = root.digest.clone();
    outcome.platforms = image.platforms();
    true
}

/// Records what a push did: whether it wrote anything (blobs, manifests or tags), its blob
/// counts, and notes for retried requests and tags that already named the image.
pub fn record_push(outcome: &mut Outcome, report: &PushReport) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{Manifest, OCI_INDEX, OCI_MANIFEST};

    #[test]
    fn record_image_table() {
        let manifest = |digest: &str, media_type: &str, platform: Option<&str>| Manifest {
            digest: digest.into(),
            media_type: media_type.into(),
            bytes: Vec::new(),
            platform: platform.map(String::from),
        };
        for (manifests, recorded, digest, platforms) in [
            (Vec::new(), false, "", &[][..]),
            (
                vec![manifest("sha256:m", OCI_MANIFEST, None)],
                true,
                "sha256:m",
                &[][..],
            ),
            (
                vec![
                    manifest("sha256:a", OCI_MANIFEST, Some("linux/amd64")),
                    manifest("sha256:b", OCI_MANIFEST, Some("linux/arm64")),
                    manifest("sha256:i", OCI_INDEX, None),
                ],
                true,
                "sha256:i",
                &["linux/amd64", "linux/arm64"][..],
            ),
        ] {
            let image = Image {
                blobs: Vec::new(),
                manifests,
                workdir: None,
            };
            let mut outcome = Outcome::default();
            assert_eq!(record_image(&mut outcome, &image), recorded);
            assert_eq!(outcome.digest, digest);
            assert_eq!(outcome.platforms, platforms);
        }
    }

    #[test]
    fn record_push_table() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let nothing = PushReport {
            blobs_existing: 3,
            tags_unchanged: tags(&["v1"]),
            ..PushReport::default()
        };
        let cases = [
            (nothing, false, &["tags already on this image: v1"][..]),
            (
                PushReport {
                    blobs_uploaded: 2,
                    bytes_uploaded: 2048,
                    retries: 1,
                    ..PushReport::default()
                },
                true,
                &["1 registry request(s) retried"][..],
            ),
            (
                PushReport {
                    blobs_mounted: 1,
                    ..PushReport::default()
                },
                true,
                &[][..],
            ),
            (
                PushReport {
                    manifests_pushed: 1,
                    ..PushReport::default()
                },
                true,
                &[][..],
            ),
            (
                PushReport {
                    tags_pushed: tags(&["v2"]),
                    tags_unchanged: tags(&["sha-1", "v1"]),
                    retries: 2,
                    ..PushReport::default()
                },
                true,
                &[
                    "2 registry request(s) retried",
                    "tags already on this image: sha-1, v1",
                ][..],
            ),
            (PushReport::default(), false, &[][..]),
        ];
        for (report, pushed, notes) in cases {
            let mut outcome = Outcome {
                notes: vec!["before".into()],
                ..Outcome::default()
            };
            record_push(&mut outcome, &report);
            assert_eq!(outcome.pushed, pushed, "{report:?}");
            assert_eq!(outcome.notes[1..], *notes, "{report:?}");
            assert_eq!(
                (
                    outcome.blobs_uploaded,
                    outcome.bytes_uploaded,
                    outcome.blobs_existing,
                    outcome.blobs_mounted
                ),
                (
                    report.blobs_uploaded,
                    report.bytes_uploaded,
                    report.blobs_existing,
                    report.blobs_mounted
                ),
                "{report:?}"
            );
        }
    }
}

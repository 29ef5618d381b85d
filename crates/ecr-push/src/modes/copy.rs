//! Mode `promote` from another account, region or repository: a copy over the registry API.

use anyhow::{Context as _, bail};

use super::{Session, connect, connect_to, push_options, record_image, record_push};
use crate::config::SourceRepository;
use crate::ecr::{Ecr, SdkEcr};
use crate::image::ImageSelector;
use crate::login;
use crate::outputs::Outcome;
use crate::plan::{self, CopyRoute};
use crate::push::push_from;
use crate::remote::read_remote;

/// Copies an image from another account, region or repository over the registry API: blobs
/// the target has are skipped; in the same registry they are mounted (no bytes move); from
/// another registry they are streamed through, one blob per upload slot, each checked against
/// its digest. Then manifests and tags, as in every push. Returns the digests ECR scans.
pub async fn run(
    session: &Session<'_>,
    from: &SourceRepository,
    source: &ImageSelector,
    outcome: &mut Outcome,
) -> anyhow::Result<Vec<String>> {
    let Session {
        runner,
        config,
        aws,
        account,
        registry,
        credentials,
        immutable,
        ..
    } = *session;
    let CopyRoute {
        source_host,
        same_registry,
        login_region,
        mount_from,
    } = plan::copy_route(from, account, &config.aws.region, &config.mount_from);
    let source_credentials = match login_region {
        None => credentials.clone(),
        Some(region) => {
            let data = SdkEcr::in_region(aws, Some(&region))
                .authorization()
                .await
                .with_context(|| format!("cannot log in to ECR in {region}"))?;
            login::credentials(runner, &data)?
        }
    };
    let source_registry =
        connect_to(config, &source_host, &source_credentials, &from.repository).await?;
    let reference = match source {
        ImageSelector::Tag(t) => t.clone(),
        ImageSelector::Digest(d) => d.clone(),
    };
    let image = read_remote(&source_registry, &reference)
        .await
        .with_context(|| format!("cannot read {source_host}/{}{}", from.repository, source))?;
    runner.info(&format!(
        "copying {source_host}/{}{} ({} blobs, {} bytes) {}",
        from.repository,
        source,
        image.blobs.len(),
        image.blob_bytes(),
        if same_registry {
            "by mounting blobs in the same registry"
        } else {
            "by streaming blobs between registries"
        }
    ));
    let target = connect(config, registry, credentials).await?;
    if !record_image(outcome, &image) {
        bail!("the source image has no manifest");
    }
    if config.dry_run {
        outcome.notes.push(format!(
            "dry run: {} would be copied and tagged {}",
            outcome.digest,
            config.tags.join(", ")
        ));
        return Ok(Vec::new());
    }
    let options = push_options(config, mount_from, immutable);
    let _group = runner.group("Copy");
    let log = |line: String| runner.info(&line);
    let report = push_from(
        &target,
        &image,
        &config.tags,
        &options,
        &source_registry,
        &log,
    )
    .await?;
    record_push(outcome, &report);
    Ok(plan::scanned_images(&image))
}

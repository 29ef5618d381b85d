//! Mode `promote` from another account, region or repository: a copy over the registry API.

use anyhow::{Context as _, bail};

use super::{
    Pending, Session, Staging, connect, connect_to, push_options, record_image, record_push,
};
use crate::config::SourceRepository;
use crate::ecr::{Ecr, SdkEcr};
use crate::image::ImageSelector;
use crate::login;
use crate::outputs::Outcome;
use crate::plan::{self, CopyRoute};
use crate::push::stage_from;
use crate::remote::read_remote;

/// Copies an image from another account, region or repository over the registry API: blobs
/// the target has are skipped; in the same registry they are mounted (no bytes move); from
/// another registry they are streamed through, one blob per upload slot, each checked against
/// its digest. Then the manifests, as in every push; the tags are left for after the scan gate.
pub async fn run(
    session: &Session<'_>,
    from: &SourceRepository,
    source: &ImageSelector,
    outcome: &mut Outcome,
) -> anyhow::Result<Staging> {
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
    } = plan::copy_route(from, account, config.region(), &config.mount_from);
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
        return Ok(Staging::nothing());
    }
    let options = push_options(config, mount_from, immutable);
    let _group = runner.group("Copy");
    let log = |line: String| runner.info(&line);
    let staged = stage_from(
        &target,
        &image,
        &config.tags,
        &options,
        &source_registry,
        &log,
    )
    .await?;
    record_push(outcome, &staged.report);
    Ok(Staging {
        scan_targets: plan::scanned_images(&image),
        pending: Pending::Registry {
            target,
            staged,
            inline_cache: None,
        },
    })
}

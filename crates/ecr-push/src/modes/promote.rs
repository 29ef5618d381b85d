//! Mode `promote` within the repository: more tags on an image already in ECR, by ECR's API
//! (BatchGetImage, then PutImage per tag). No blob moves. The tags are planned (and an
//! immutable tag naming another image refused) before the scan gate, and written after it: the
//! source digest's findings are checked before any PutImage.

use std::collections::BTreeMap;

use anyhow::bail;

use super::{Pending, Session, Staging};
use crate::ecr::{Ecr, EcrImage, PutOutcome};
use crate::image::{ImageSelector, sha256_digest};
use crate::outputs::Outcome;
use crate::plan;
use crate::promote;

/// Plans the tags for the image `source` names; they are written after the scan gate
/// ([`write_tags`]), which checks that image's digest.
pub async fn run(
    session: &Session<'_>,
    source: &ImageSelector,
    outcome: &mut Outcome,
) -> anyhow::Result<Staging> {
    let Session {
        runner,
        config,
        ecr,
        account,
        immutable,
        ..
    } = *session;
    let _group = runner.group("Promote");
    let image = ecr
        .get_image(account, &config.repository, source)
        .await?
        .ok_or_else(|| promote::PromoteError::SourceMissing {
            repository: config.repository.clone(),
            selector: source.to_string(),
        })?;
    let manifest_digest = sha256_digest(image.manifest.as_bytes());
    if let Some(note) = plan::digest_note(&image.digest, &manifest_digest, source) {
        runner.warning(&note);
        outcome.notes.push(note);
    }
    let mut current = BTreeMap::new();
    for tag in &config.tags {
        let digest = ecr
            .get_image(
                account,
                &config.repository,
                &ImageSelector::Tag(tag.clone()),
            )
            .await?
            .map(|i| i.digest);
        current.insert(tag.clone(), digest);
    }
    let actions = promote::plan(
        &config.repository,
        &image.digest,
        &current,
        &config.tags,
        immutable,
    )?;
    outcome.digest = manifest_digest;
    if config.dry_run {
        for action in &actions {
            if let Some(what) = action.change() {
                outcome
                    .notes
                    .push(format!("dry run: tag {} would be {what}", action.tag()));
            }
        }
    }
    Ok(Staging {
        scan_targets: vec![image.digest.clone()],
        pending: Pending::Promote { image, actions },
    })
}

/// PutImage for each tag `actions` adds or moves.
pub async fn write_tags(
    session: &Session<'_>,
    image: &EcrImage,
    actions: &[promote::TagAction],
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    let Session {
        runner,
        config,
        ecr,
        account,
        ..
    } = *session;
    let _group = runner.group("Tag");
    for action in actions {
        let tag = action.tag();
        let Some(what) = action.change() else {
            runner.info(&format!("{tag}: already names this image"));
            continue;
        };
        if config.dry_run {
            continue;
        }
        match ecr
            .put_image(account, &config.repository, image, tag)
            .await?
        {
            PutOutcome::Tagged => {
                runner.info(&format!("{tag}: {what}"));
                outcome.pushed = true;
            }
            PutOutcome::AlreadyTagged => runner.info(&format!("{tag}: already names this image")),
            PutOutcome::TagImmutable(message) => {
                bail!(
                    "tag '{tag}' was given to another image while promoting (immutable repository '{}'): {message}",
                    config.repository
                )
            }
        }
    }
    Ok(())
}

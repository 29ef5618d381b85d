//! Mode `push`: an OCI image layout directory or a `docker save` tarball, read from disk and
//! pushed over the registry API (no Docker daemon).

use std::path::Path;

use gantry_toolkit::Runner;

use super::{Session, connect, push_image, runner_temp};
use crate::archive::read_archive;
use crate::image::Image;
use crate::layout::read_layout;
use crate::outputs::Outcome;
use crate::plan;

/// Pushes the image at `image_path`; returns the digests ECR scans.
pub async fn run(
    session: &Session<'_>,
    image_path: &Path,
    outcome: &mut Outcome,
) -> anyhow::Result<Vec<String>> {
    let Session {
        runner,
        config,
        registry,
        credentials,
        immutable,
        ..
    } = *session;
    let image = read_image(runner, image_path)?;
    let target = connect(config, registry, credentials).await?;
    push_image(runner, config, &target, &image, immutable, outcome).await?;
    Ok(plan::scanned_images(&image))
}

fn read_image(runner: &Runner, path: &Path) -> anyhow::Result<Image> {
    let image = if path.is_dir() {
        read_layout(path)?
    } else {
        read_archive(path, &runner_temp(runner))?
    };
    runner.info(&format!(
        "image {}: {} blobs, {} bytes{}",
        image.root().map(|m| m.digest.as_str()).unwrap_or_default(),
        image.blobs.len(),
        image.blob_bytes(),
        if image.platforms().is_empty() {
            String::new()
        } else {
            format!(", platforms {}", image.platforms().join(", "))
        }
    ));
    Ok(image)
}

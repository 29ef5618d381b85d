//! Mode `push`: an OCI image layout directory or a `docker save` tarball, read from disk and
//! pushed over the registry API (no Docker daemon).

use std::path::Path;

use gantry_toolkit::Runner;

use super::{Session, Staging, connect, runner_temp, stage_image};
use crate::archive::read_archive;
use crate::image::Image;
use crate::layout::read_layout;
use crate::outputs::Outcome;

/// Pushes the image at `image_path` by digest; its tags are left for after the scan gate.
pub async fn run(
    session: &Session<'_>,
    image_path: &Path,
    outcome: &mut Outcome,
) -> anyhow::Result<Staging> {
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
    stage_image(runner, config, target, &image, immutable, outcome).await
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

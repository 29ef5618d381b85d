//! The scan gate's inputs and verdict: whether it applies, which digests ECR scans, and the
//! failure a verdict over the threshold is.

use crate::config::ScanGate;
use crate::image::{Image, is_index};
use crate::scan::{ScanReport, Severity, Verdict, judge};

/// The gate to hold the run to: input `scan-severity-threshold`'s, unless a dry run (nothing
/// was pushed) or nothing to scan (`targets`, the digests ECR scans, is empty).
pub fn scan_gate(gate: Option<ScanGate>, dry_run: bool, targets: &[String]) -> Option<ScanGate> {
    gate.filter(|_| !dry_run && !targets.is_empty())
}

/// The digests ECR scans for `image`: single-platform images, so the image, or each image an
/// index lists.
pub fn scanned_images(image: &Image) -> Vec<String> {
    match image.root() {
        Some(root) if is_index(&root.media_type) => image
            .manifests
            .iter()
            .filter(|m| !is_index(&m.media_type))
            .map(|m| m.digest.clone())
            .collect(),
        Some(root) => vec![root.digest.clone()],
        None => Vec::new(),
    }
}

/// The scan found something at or above the threshold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the scan of {image_ref} found {counts}: at or above the threshold {} (input 'scan-severity-threshold')",
    threshold.as_str()
)]
pub struct GateFailure {
    /// `<registry>/<repository>@<digest>`.
    pub image_ref: String,
    /// `1 CRITICAL, 2 HIGH`: the counts at or above the threshold.
    pub counts: String,
    pub threshold: Severity,
}

/// The gate's verdict on `report` for the image `image_ref`.
pub fn gate_verdict(
    report: &ScanReport,
    threshold: Severity,
    image_ref: &str,
) -> Result<(), GateFailure> {
    match judge(report, threshold) {
        Verdict::Pass => Ok(()),
        Verdict::Fail(over) => Err(GateFailure {
            image_ref: image_ref.to_string(),
            counts: over
                .iter()
                .map(|(s, n)| format!("{n} {s}"))
                .collect::<Vec<_>>()
                .join(", "),
            threshold,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::image::{DOCKER_MANIFEST, Manifest, OCI_INDEX, OCI_MANIFEST};

    #[test]
    fn scan_gate_table() {
        let gate = ScanGate {
            threshold: Severity::High,
            timeout: Duration::from_secs(60),
        };
        let one = ["sha256:a".to_string()];
        for (given, dry_run, targets, applies) in [
            (Some(gate), false, &one[..], true),
            (Some(gate), true, &one[..], false),
            (Some(gate), false, &[][..], false),
            (None, false, &one[..], false),
        ] {
            assert_eq!(
                scan_gate(given, dry_run, targets),
                applies.then_some(gate),
                "{given:?} dry_run={dry_run} {targets:?}"
            );
        }
    }

    fn manifest(digest: &str, media_type: &str) -> Manifest {
        Manifest {
            digest: digest.into(),
            media_type: media_type.into(),
            bytes: Vec::new(),
            platform: None,
        }
    }

    #[test]
    fn scanned_images_table() {
        let image = |manifests: Vec<Manifest>| Image {
            blobs: Vec::new(),
            manifests,
            workdir: None,
        };
        for (manifests, want) in [
            (Vec::new(), &[][..]),
            (vec![manifest("sha256:m", OCI_MANIFEST)], &["sha256:m"][..]),
            (
                vec![manifest("sha256:d", DOCKER_MANIFEST)],
                &["sha256:d"][..],
            ),
            (
                vec![
                    manifest("sha256:amd64", OCI_MANIFEST),
                    manifest("sha256:arm64", OCI_MANIFEST),
                    manifest("sha256:index", OCI_INDEX),
                ],
                &["sha256:amd64", "sha256:arm64"][..],
            ),
        ] {
            assert_eq!(scanned_images(&image(manifests)), want);
        }
    }

    #[test]
    fn gate_verdict_table() {
        let report = |counts: &[(&str, u64)]| ScanReport {
            counts: counts.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            findings: Vec::new(),
        };
        let image = "1.dkr.ecr.us-east-1.amazonaws.com/api@sha256:a";
        for (counts, threshold, want) in [
            (&[][..], Severity::Low, None),
            (&[("MEDIUM", 3)][..], Severity::High, None),
            (
                &[("CRITICAL", 1), ("HIGH", 2), ("LOW", 5)][..],
                Severity::High,
                Some(
                    "the scan of 1.dkr.ecr.us-east-1.amazonaws.com/api@sha256:a found 1 CRITICAL, 2 HIGH: at or above the threshold HIGH (input 'scan-severity-threshold')",
                ),
            ),
        ] {
            let got = gate_verdict(&report(counts), threshold, image)
                .err()
                .map(|e| e.to_string());
            assert_eq!(got.as_deref(), want, "{counts:?} at {threshold:?}");
        }
    }
}

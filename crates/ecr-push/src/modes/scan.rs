//! The step after every mode: the scan gate. Waits for ECR's findings of the images pushed,
//! then fails the run when any is at or above the threshold ([`plan::gate_verdict`]); the run
//! writes the outputs and the summary first, so that they still tell what was found.

use std::time::Duration;

use super::Session;
use crate::ecr::wait_for_scan;
use crate::outputs::Outcome;
use crate::plan::{self, GateFailure};
use crate::repository::ObservedRepository;
use crate::scan::ScanReport;

/// The gate over `scan_targets` (the digests ECR scans), when input
/// `scan-severity-threshold` asks for one: `Some` failure when the findings are at or above the
/// threshold (the outcome has them).
pub async fn gate(
    session: &Session<'_>,
    observed: Option<&ObservedRepository>,
    scan_targets: &[String],
    outcome: &mut Outcome,
) -> anyhow::Result<Option<GateFailure>> {
    let Session {
        runner,
        config,
        ecr,
        account,
        ..
    } = *session;
    let Some(gate) = plan::scan_gate(config.scan, config.dry_run, scan_targets) else {
        return Ok(None);
    };
    let _group = runner.group("Scan findings");
    let log = |line: String| runner.info(&line);
    let scan_on_push = plan::scan_on_push(observed, &config.repository_settings);
    let deadline = tokio::time::Instant::now() + gate.timeout;
    let mut report = ScanReport::default();
    for digest in scan_targets {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let one = wait_for_scan(
            ecr,
            account,
            &config.repository,
            digest,
            scan_on_push,
            left.max(Duration::from_secs(1)),
            &log,
        )
        .await?;
        report.merge(one);
    }
    let verdict = plan::gate_verdict(&report, gate.threshold, &outcome.image_ref());
    let counts = report.counts_json();
    outcome.scan = Some(report);
    if let Err(failure) = verdict {
        return Ok(Some(failure));
    }
    runner.info(&format!(
        "scan findings {counts} are below the threshold {}",
        gate.threshold.as_str()
    ));
    Ok(None)
}

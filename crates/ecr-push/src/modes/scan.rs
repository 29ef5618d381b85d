//! The step after every mode: the scan gate. Waits for ECR's findings of the images pushed,
//! then fails the run when any is at or above the threshold ([`crate::scan::judge`]).

use std::time::Duration;

use anyhow::bail;

use super::Session;
use crate::ecr::wait_for_scan;
use crate::outputs::{self, Outcome};
use crate::plan;
use crate::repository::ObservedRepository;
use crate::scan::{Verdict, judge};

/// The gate over `scan_targets` (the digests ECR scans), when input
/// `scan-severity-threshold` asks for one.
pub async fn gate(
    session: &Session<'_>,
    observed: Option<&ObservedRepository>,
    scan_targets: &[String],
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    let Session {
        runner,
        config,
        ecr,
        account,
        ..
    } = *session;
    if let Some(gate) = config
        .scan
        .filter(|_| !config.dry_run && !scan_targets.is_empty())
    {
        let _group = runner.group("Scan findings");
        let log = |line: String| runner.info(&line);
        let scan_on_push = plan::scan_on_push(observed, &config.repository_settings);
        let deadline = tokio::time::Instant::now() + gate.timeout;
        let mut report = crate::scan::ScanReport::default();
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
        let verdict = judge(&report, gate.threshold);
        outcome.scan = Some(report);
        if let Verdict::Fail(over) = verdict {
            let counts = over
                .iter()
                .map(|(s, n)| format!("{n} {s}"))
                .collect::<Vec<_>>()
                .join(", ");
            // Outputs and summary still tell what was found.
            for (name, value) in outputs::values(outcome) {
                runner.set_output(name, &value)?;
            }
            runner.write_summary(&outputs::summary(outcome))?;
            bail!(
                "the scan of {} found {counts}: at or above the threshold {} (input 'scan-severity-threshold')",
                outcome.image_ref(),
                gate.threshold.as_str()
            );
        }
        runner.info(&format!(
            "scan findings {} are below the threshold {}",
            outcome
                .scan
                .as_ref()
                .map(|r| r.counts_json())
                .unwrap_or_default(),
            gate.threshold.as_str()
        ));
    }
    Ok(())
}

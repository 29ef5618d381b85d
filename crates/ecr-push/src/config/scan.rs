//! Inputs `scan-severity-threshold` and `scan-timeout-seconds`: the scan gate.

use std::time::Duration;

use gantry_toolkit::input::Inputs;

use super::{ConfigError, invalid};
use crate::scan::Severity;

/// The scan gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanGate {
    pub threshold: Severity,
    pub timeout: Duration,
}

/// The gate inputs `scan-severity-threshold` and `scan-timeout-seconds` ask for; `None`: no
/// gate (the timeout is checked all the same).
pub(super) fn scan_gate(inputs: &Inputs) -> Result<Option<ScanGate>, ConfigError> {
    let scan = match inputs.get("scan-severity-threshold") {
        None => None,
        Some(raw) if raw.eq_ignore_ascii_case("none") => None,
        Some(raw) => Some(ScanGate {
            threshold: Severity::parse(&raw).ok_or_else(|| {
                invalid(
                    "scan-severity-threshold",
                    &raw,
                    "one of none, informational, low, medium, high, critical (any case)",
                )
            })?,
            timeout: Duration::from_secs(inputs.get_number(
                "scan-timeout-seconds",
                1..=3600,
                "whole seconds from 1 to 3600",
            )?),
        }),
    };
    if scan.is_none() {
        inputs.get_number(
            "scan-timeout-seconds",
            1..=3600,
            "whole seconds from 1 to 3600",
        )?;
    }
    Ok(scan)
}

//! The scan gate: wait for ECR's scan findings of the pushed image, then fail when any finding
//! is at or above the threshold. The decision ([`judge`]) is pure; the waiting goes through the
//! [`crate::ecr::Ecr`] trait.

use std::collections::BTreeMap;

/// ECR's severities, lowest first. `UNDEFINED` (no score) ranks with informational.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// `high`, `HIGH`, ... (`undefined` counts as informational).
    pub fn parse(text: &str) -> Option<Severity> {
        Some(match text.to_ascii_uppercase().as_str() {
            "INFORMATIONAL" | "UNDEFINED" => Severity::Informational,
            "LOW" => Severity::Low,
            "MEDIUM" => Severity::Medium,
            "HIGH" => Severity::High,
            "CRITICAL" => Severity::Critical,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "INFORMATIONAL",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
    ];
}

/// One finding, as shown in the summary table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub name: String,
    pub severity: String,
    pub package: String,
    pub uri: String,
}

/// What a finished scan reported.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScanReport {
    /// Counts by ECR's severity names (`HIGH`, `UNDEFINED`, ...), as reported.
    pub counts: BTreeMap<String, u64>,
    pub findings: Vec<Finding>,
}

impl ScanReport {
    /// Adds another image's findings (the images of a multi-platform index).
    pub fn merge(&mut self, other: ScanReport) {
        for (severity, n) in other.counts {
            *self.counts.entry(severity).or_insert(0) += n;
        }
        self.findings.extend(other.findings);
    }

    /// The counts as the `scan-findings` output: `{"HIGH":1}`.
    pub fn counts_json(&self) -> String {
        serde_json::to_string(&self.counts).unwrap_or_else(|_| "{}".into())
    }
}

/// The state of a scan as polled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanState {
    InProgress,
    Complete(ScanReport),
    Failed(String),
    /// No scan exists for the image (scan on push is off, or it has not started yet).
    NotFound,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// The severities at or above the threshold and their counts.
    Fail(Vec<(String, u64)>),
}

/// Whether `report` passes a gate at `threshold`.
pub fn judge(report: &ScanReport, threshold: Severity) -> Verdict {
    let over: Vec<(String, u64)> = report
        .counts
        .iter()
        .filter(|(name, n)| **n > 0 && Severity::parse(name).is_some_and(|s| s >= threshold))
        .map(|(name, n)| (name.clone(), *n))
        .collect();
    if over.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail(over)
    }
}

/// The findings summary as markdown rows: severity counts first, then up to `limit` findings
/// worst first.
pub fn summary_rows(report: &ScanReport, limit: usize) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let mut counts: Vec<Vec<String>> = Vec::new();
    for sev in Severity::ALL {
        let n = report.counts.get(sev.as_str()).copied().unwrap_or(0);
        counts.push(vec![sev.as_str().to_string(), n.to_string()]);
    }
    if let Some(n) = report.counts.get("UNDEFINED") {
        counts.push(vec!["UNDEFINED".into(), n.to_string()]);
    }
    let mut findings = report.findings.clone();
    findings.sort_by_key(|f| std::cmp::Reverse(Severity::parse(&f.severity)));
    let rows = findings
        .iter()
        .take(limit)
        .map(|f| {
            vec![
                f.severity.clone(),
                f.name.clone(),
                f.package.clone(),
                f.uri.clone(),
            ]
        })
        .collect();
    (counts, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(counts: &[(&str, u64)]) -> ScanReport {
        ScanReport {
            counts: counts.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            findings: Vec::new(),
        }
    }

    #[test]
    fn judge_table() {
        for (counts, threshold, pass) in [
            (&[][..], Severity::Low, true),
            (&[("HIGH", 1)][..], Severity::High, false),
            (&[("HIGH", 1)][..], Severity::Critical, true),
            (&[("MEDIUM", 3), ("LOW", 2)][..], Severity::High, true),
            (&[("CRITICAL", 1)][..], Severity::Informational, false),
            (&[("HIGH", 0)][..], Severity::Low, true),
            (&[("UNDEFINED", 2)][..], Severity::Informational, false),
            (&[("UNDEFINED", 2)][..], Severity::Low, true),
        ] {
            let verdict = judge(&report(counts), threshold);
            assert_eq!(
                verdict == Verdict::Pass,
                pass,
                "{counts:?} at {threshold:?}"
            );
        }
    }

    #[test]
    fn reports_of_several_images_add_up() {
        let mut total = report(&[("HIGH", 1)]);
        total.merge(report(&[("HIGH", 2), ("LOW", 1)]));
        assert_eq!(total.counts_json(), r#"{"HIGH":3,"LOW":1}"#);
    }

    #[test]
    fn severity_parsing() {
        assert_eq!(Severity::parse("high"), Some(Severity::High));
        assert_eq!(Severity::parse("Critical"), Some(Severity::Critical));
        assert_eq!(Severity::parse("severe"), None);
        assert!(Severity::Critical > Severity::High);
    }

    #[test]
    fn counts_json_and_rows() {
        let mut r = report(&[("HIGH", 1), ("LOW", 2)]);
        r.findings.push(Finding {
            name: "CVE-1".into(),
            severity: "LOW".into(),
            package: "a".into(),
            uri: String::new(),
        });
        r.findings.push(Finding {
            name: "CVE-2".into(),
            severity: "HIGH".into(),
            package: "b".into(),
            uri: String::new(),
        });
        assert_eq!(r.counts_json(), r#"{"HIGH":1,"LOW":2}"#);
        let (counts, rows) = summary_rows(&r, 10);
        assert_eq!(counts[1], vec!["HIGH".to_string(), "1".to_string()]);
        assert_eq!(rows[0][1], "CVE-2");
    }
}

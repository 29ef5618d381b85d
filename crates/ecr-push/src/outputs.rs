//! Results → output values and the job summary. Pure: the run writes them through the runner.

use gantry_toolkit::Summary;

use crate::lifecycle::Preview;
use crate::login::Credentials;
use crate::scan::{ScanReport, summary_rows};

/// Every output, in the order of `action.yml`.
pub const OUTPUTS: &[&str] = &[
    "registry",
    "image",
    "digest",
    "image-ref",
    "tags",
    "pushed",
    "scan-findings",
    "docker-username",
    "docker-password",
];

/// What a run came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub mode: String,
    /// `<account>.dkr.ecr.<region>.amazonaws.com`.
    pub registry: String,
    pub repository: String,
    /// `sha256:…` of the manifest (or index) the tags name.
    pub digest: String,
    pub tags: Vec<String>,
    /// Whether this run wrote anything to the registry (blobs, manifests or tags).
    pub pushed: bool,
    /// One line per notable thing that happened, for the summary.
    pub notes: Vec<String>,
    pub platforms: Vec<String>,
    pub blobs_uploaded: usize,
    pub bytes_uploaded: u64,
    pub blobs_existing: usize,
    pub blobs_mounted: usize,
    pub scan: Option<ScanReport>,
    pub dry_run: bool,
    /// The scan gate failed: no tag was written (output `tags` is `[]`).
    pub gate_failed: bool,
    /// Mode `build-only`: the image's name in the local engine.
    pub local_image: Option<String>,
    /// Mode `login`: the registry's credentials (the password masked when they were made).
    pub login: Option<Credentials>,
    /// Input `lifecycle-preview`: what the lifecycle policy would expire today.
    pub lifecycle_preview: Option<Preview>,
}

impl Outcome {
    /// The tags the run wrote or found in place: none when the gate failed.
    pub fn tags_written(&self) -> &[String] {
        if self.gate_failed { &[] } else { &self.tags }
    }

    pub fn image(&self) -> String {
        if let Some(local) = &self.local_image {
            return local.clone();
        }
        match self.tags_written().first() {
            Some(tag) => format!("{}/{}:{tag}", self.registry, self.repository),
            None => format!("{}/{}", self.registry, self.repository),
        }
    }

    pub fn image_ref(&self) -> String {
        if self.digest.is_empty() || self.registry.is_empty() {
            String::new()
        } else {
            format!("{}/{}@{}", self.registry, self.repository, self.digest)
        }
    }
}

/// The outputs, in [`OUTPUTS`] order.
pub fn values(o: &Outcome) -> Vec<(&'static str, String)> {
    vec![
        ("registry", o.registry.clone()),
        ("image", o.image()),
        ("digest", o.digest.clone()),
        ("image-ref", o.image_ref()),
        (
            "tags",
            serde_json::to_string(o.tags_written()).unwrap_or_else(|_| "[]".into()),
        ),
        (
            "pushed",
            if o.pushed { "true" } else { "false" }.to_string(),
        ),
        (
            "scan-findings",
            o.scan
                .as_ref()
                .map(ScanReport::counts_json)
                .unwrap_or_else(|| "{}".into()),
        ),
        (
            "docker-username",
            o.login
                .as_ref()
                .map(|c| c.username.clone())
                .unwrap_or_default(),
        ),
        (
            "docker-password",
            o.login
                .as_ref()
                .map(|c| c.password.clone())
                .unwrap_or_default(),
        ),
    ]
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// The job summary.
pub fn summary(o: &Outcome) -> Summary {
    let mut s = Summary::new();
    let title = if o.dry_run {
        format!("ecr-push ({}, dry run)", o.mode)
    } else {
        format!("ecr-push ({})", o.mode)
    };
    s.heading(3, &title);
    if o.login.is_some() {
        s.table(
            ["", "value"],
            [vec![
                "registry".to_string(),
                format!(
                    "`{}` (credentials in outputs `docker-username`, `docker-password`, masked)",
                    o.registry
                ),
            ]],
        );
        return s;
    }
    let mut tags = o
        .tags
        .iter()
        .map(|t| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join(" ");
    if o.gate_failed {
        tags = format!("none written: the scan gate failed (would have been {tags})");
    }
    let mut rows = vec![
        vec![
            "image".to_string(),
            format!("`{}/{}`", o.registry, o.repository),
        ],
        vec!["tags".to_string(), tags],
        vec!["digest".to_string(), format!("`{}`", o.digest)],
        vec![
            "blobs".to_string(),
            format!(
                "{} uploaded ({}), {} already there, {} mounted",
                o.blobs_uploaded,
                human_bytes(o.bytes_uploaded),
                o.blobs_existing,
                o.blobs_mounted
            ),
        ],
    ];
    if !o.platforms.is_empty() {
        rows.push(vec!["platforms".to_string(), o.platforms.join(", ")]);
    }
    s.table(["", "value"], rows);
    if !o.notes.is_empty() {
        s.list(o.notes.iter().map(String::as_str));
    }
    if let Some(report) = &o.scan {
        let (counts, findings) = summary_rows(report, 20);
        s.heading(4, "Scan findings");
        s.table(["severity", "count"], counts);
        if !findings.is_empty() {
            s.details(
                "Findings (worst first, at most 20)",
                &findings
                    .iter()
                    .map(|r| format!("- {} {} {} {}", r[0], r[1], r[2], r[3]))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
    }
    if let Some(preview) = &o.lifecycle_preview {
        lifecycle_section(&mut s, preview);
    }
    s
}

/// The most images the preview lists in its table.
const PREVIEW_ROWS: usize = 50;

fn lifecycle_section(s: &mut Summary, preview: &Preview) {
    s.heading(4, "Lifecycle preview (nothing was expired)");
    match preview {
        Preview::NoRepository => {
            s.paragraph("The repository does not exist yet: nothing to expire.");
        }
        Preview::NoPolicy => {
            s.paragraph("The repository has no lifecycle policy: no image expires.");
        }
        Preview::Unreadable(reason) => {
            s.paragraph(&format!(
                "ecr-push cannot evaluate this policy: {}",
                gantry_toolkit::summary::escape_html(reason)
            ));
        }
        Preview::Evaluated { images, expiring } => {
            s.paragraph(&format!(
                "{} of {images} images would expire today.",
                expiring.len()
            ));
            if !expiring.is_empty() {
                let rows: Vec<Vec<String>> = expiring
                    .iter()
                    .take(PREVIEW_ROWS)
                    .map(|r| {
                        let tags = if r.tags.is_empty() {
                            "(untagged)".to_string()
                        } else {
                            r.tags
                                .iter()
                                .map(|t| format!("`{t}`"))
                                .collect::<Vec<_>>()
                                .join(" ")
                        };
                        vec![
                            format!("`{}`", r.digest),
                            tags,
                            format!("{} days ago", r.age_days),
                            r.rule.clone(),
                        ]
                    })
                    .collect();
                s.table(["image", "tags", "pushed", "expired by"], rows);
                if expiring.len() > PREVIEW_ROWS {
                    s.paragraph(&format!("… and {} more.", expiring.len() - PREVIEW_ROWS));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_values() {
        let o = Outcome {
            registry: "1.dkr.ecr.us-east-1.amazonaws.com".into(),
            repository: "api".into(),
            digest: "sha256:ab".into(),
            tags: vec!["sha-1234567".into(), "v1.0.0".into()],
            pushed: true,
            ..Outcome::default()
        };
        let v = values(&o);
        assert_eq!(v.iter().map(|(n, _)| *n).collect::<Vec<_>>(), OUTPUTS);
        assert_eq!(v[1].1, "1.dkr.ecr.us-east-1.amazonaws.com/api:sha-1234567");
        assert_eq!(v[3].1, "1.dkr.ecr.us-east-1.amazonaws.com/api@sha256:ab");
        assert_eq!(v[4].1, r#"["sha-1234567","v1.0.0"]"#);
        assert_eq!(v[5].1, "true");
        assert_eq!(v[6].1, "{}");
    }

    #[test]
    fn sizes() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(2048), "2.0 KiB");
        assert_eq!(human_bytes(200 * 1024 * 1024), "200.0 MiB");
    }
}

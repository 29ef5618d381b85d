//! ECR lifecycle policies, evaluated the way ECR documents it, as a pure function
//! ([`evaluate`]), and the retention policy a repository that ecr-push creates gets
//! ([`Retention::policy`]), which never expires an image that carries a release tag.
//!
//! The evaluation follows "Lifecycle policy evaluation rules" in the Amazon ECR User Guide
//! (<https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html>):
//! - every rule selects images by `tagStatus` (`tagged` with a `tagPrefixList` or a
//!   `tagPatternList`, every entry of which must match one of the image's tags; `untagged`;
//!   `any`) and marks some of them by its count (`imageCountMoreThan`: all but the newest N by
//!   push time; `sinceImagePushed`: those pushed more than N days ago);
//! - rules are evaluated together and applied by priority (lowest number first): an image is
//!   decided by the highest-priority rule that selects it, and expired only if that rule marks
//!   it. An image that a higher-priority rule selects is never expired by a lower one, though
//!   the lower rule still counts it (the guide: lower rules "can still identify them as if they
//!   haven't been expired"; its multiple-rules example A has rule 2 marking images rule 1 saw).
//!
//! The local AWS emulator (moto) stores and validates lifecycle policies (PutLifecyclePolicy,
//! GetLifecyclePolicy) but never applies them and has no lifecycle preview, so nothing here
//! relies on it: [`evaluate`] is checked against the guide's own examples.
//!
//! Not evaluated (the policy is reported as one ecr-push cannot preview): the archive storage
//! class and `transition` actions, and the `sinceImagePulled` / `sinceImageTransitioned` counts,
//! which need facts (last pull, archive time) that ecr-push does not read.

use std::fmt;

use serde_json::{Value, json};

/// An image as the evaluator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub digest: String,
    pub tags: Vec<String>,
    /// Push time, seconds since the Unix epoch.
    pub pushed_at: i64,
}

/// Which images a rule selects by their tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagStatus {
    /// Images with at least one tag, and every entry of the filter matching one of them.
    Tagged(TagFilter),
    Untagged,
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagFilter {
    /// `tagPrefixList`: each prefix starts one of the image's tags.
    Prefixes(Vec<String>),
    /// `tagPatternList`: each pattern (`*` matches any run of characters) matches one whole tag.
    Patterns(Vec<String>),
}

/// Which selected images a rule marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// `imageCountMoreThan`: keep the newest N by push time, mark the rest.
    MoreThan(u32),
    /// `sinceImagePushed` in days: mark those pushed more than N days ago.
    SincePushedDays(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub priority: u32,
    pub description: String,
    pub tags: TagStatus,
    pub count: Count,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule {}", self.priority)?;
        if !self.description.is_empty() {
            write!(f, " (\"{}\")", self.description)?;
        }
        Ok(())
    }
}

/// A lifecycle policy: its rules in priority order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub rules: Vec<Rule>,
}

/// A policy ecr-push cannot read or evaluate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("lifecycle policy{}: {reason}", .rule.map(|p| format!(" rule {p}")).unwrap_or_default())]
pub struct PolicyError {
    /// The rule's priority, when one rule is at fault.
    pub rule: Option<u32>,
    pub reason: String,
}

fn bad(rule: Option<u32>, reason: impl Into<String>) -> PolicyError {
    PolicyError {
        rule,
        reason: reason.into(),
    }
}

/// The most `*` a pattern may hold (the guide's tag pattern list limit).
pub const MAX_WILDCARDS: usize = 4;

impl Policy {
    /// Reads a policy document and checks it against the guide's rules: unique priorities, the
    /// `any` rule last, at most one `untagged` rule, a tag list only with `tagged` (one kind),
    /// `countUnit: days` only with `sinceImagePushed`, counts from 1, at most four `*` a pattern.
    pub fn parse(doc: &Value) -> Result<Policy, PolicyError> {
        let rules = doc
            .get("rules")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(None, "no \"rules\" list"))?;
        let mut out = Vec::new();
        for rule in rules {
            out.push(parse_rule(rule)?);
        }
        out.sort_by_key(|r| r.priority);
        for pair in out.windows(2) {
            if pair[0].priority == pair[1].priority {
                return Err(bad(Some(pair[0].priority), "two rules have this priority"));
            }
        }
        if out.iter().filter(|r| r.tags == TagStatus::Untagged).count() > 1 {
            return Err(bad(None, "only one rule may select untagged images"));
        }
        if let Some(pos) = out.iter().position(|r| r.tags == TagStatus::Any)
            && pos + 1 != out.len()
        {
            return Err(bad(
                Some(out[pos].priority),
                "a rule with tagStatus any must have the highest priority number",
            ));
        }
        Ok(Policy { rules: out })
    }

    /// The policy document ECR takes.
    pub fn to_json(&self) -> Value {
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|r| {
                let mut selection = serde_json::Map::new();
                let status = match &r.tags {
                    TagStatus::Tagged(_) => "tagged",
                    TagStatus::Untagged => "untagged",
                    TagStatus::Any => "any",
                };
                selection.insert("tagStatus".into(), json!(status));
                match &r.tags {
                    TagStatus::Tagged(TagFilter::Prefixes(p)) => {
                        selection.insert("tagPrefixList".into(), json!(p));
                    }
                    TagStatus::Tagged(TagFilter::Patterns(p)) => {
                        selection.insert("tagPatternList".into(), json!(p));
                    }
                    _ => {}
                }
                match r.count {
                    Count::MoreThan(n) => {
                        selection.insert("countType".into(), json!("imageCountMoreThan"));
                        selection.insert("countNumber".into(), json!(n));
                    }
                    Count::SincePushedDays(n) => {
                        selection.insert("countType".into(), json!("sinceImagePushed"));
                        selection.insert("countUnit".into(), json!("days"));
                        selection.insert("countNumber".into(), json!(n));
                    }
                }
                json!({
                    "rulePriority": r.priority,
                    "description": r.description,
                    "selection": selection,
                    "action": { "type": "expire" }
                })
            })
            .collect();
        json!({ "rules": rules })
    }
}

fn parse_rule(rule: &Value) -> Result<Rule, PolicyError> {
    let priority = rule
        .get("rulePriority")
        .and_then(Value::as_u64)
        .and_then(|p| u32::try_from(p).ok())
        .filter(|p| *p > 0)
        .ok_or_else(|| bad(None, "a rule has no positive whole \"rulePriority\""))?;
    let at = Some(priority);
    let description = rule
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match rule.pointer("/action/type").and_then(Value::as_str) {
        Some("expire") => {}
        Some(other) => {
            return Err(bad(
                at,
                format!("action '{other}' is not evaluated by ecr-push (only expire)"),
            ));
        }
        None => return Err(bad(at, "no action type")),
    }
    let selection = rule
        .get("selection")
        .ok_or_else(|| bad(at, "no selection"))?;
    if let Some(class) = selection.get("storageClass").and_then(Value::as_str)
        && class != "standard"
    {
        return Err(bad(
            at,
            format!("storage class '{class}' is not evaluated by ecr-push"),
        ));
    }
    let list = |key: &str| -> Result<Option<Vec<String>>, PolicyError> {
        match selection.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .ok_or_else(|| bad(at, format!("{key} holds a value that is not a tag")))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(bad(at, format!("{key} is not a list"))),
        }
    };
    let prefixes = list("tagPrefixList")?;
    let patterns = list("tagPatternList")?;
    let tags = match selection.get("tagStatus").and_then(Value::as_str) {
        Some("tagged") => match (prefixes, patterns) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    at,
                    "a rule takes tagPrefixList or tagPatternList, not both",
                ));
            }
            (Some(p), None) if !p.is_empty() => TagStatus::Tagged(TagFilter::Prefixes(p)),
            (None, Some(p)) if !p.is_empty() => {
                if let Some(p) = p.iter().find(|p| p.matches('*').count() > MAX_WILDCARDS) {
                    return Err(bad(
                        at,
                        format!("pattern '{p}' has more than {MAX_WILDCARDS} wildcards"),
                    ));
                }
                TagStatus::Tagged(TagFilter::Patterns(p))
            }
            _ => {
                return Err(bad(
                    at,
                    "tagStatus tagged needs a tagPrefixList or a tagPatternList",
                ));
            }
        },
        Some(status @ ("untagged" | "any")) => {
            if prefixes.is_some() || patterns.is_some() {
                return Err(bad(at, format!("tagStatus {status} takes no tag list")));
            }
            if status == "untagged" {
                TagStatus::Untagged
            } else {
                TagStatus::Any
            }
        }
        other => {
            return Err(bad(
                at,
                format!(
                    "tagStatus {} is not one of tagged, untagged, any",
                    other.unwrap_or("(missing)")
                ),
            ));
        }
    };
    let number = selection
        .get("countNumber")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| bad(at, "countNumber is not a whole number from 1"))?;
    let unit = selection.get("countUnit").and_then(Value::as_str);
    let count = match selection.get("countType").and_then(Value::as_str) {
        Some("imageCountMoreThan") => {
            if unit.is_some() {
                return Err(bad(at, "countUnit only goes with sinceImagePushed"));
            }
            Count::MoreThan(number)
        }
        Some("sinceImagePushed") => match unit {
            Some("days") => Count::SincePushedDays(number),
            _ => return Err(bad(at, "sinceImagePushed needs countUnit days")),
        },
        Some(other) => {
            return Err(bad(
                at,
                format!("countType {other} is not evaluated by ecr-push"),
            ));
        }
        None => return Err(bad(at, "no countType")),
    };
    Ok(Rule {
        priority,
        description,
        tags,
        count,
    })
}

/// Whether `pattern` (`*` matches any run of characters, even none) matches all of `tag`.
pub fn pattern_matches(pattern: &str, tag: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == tag;
    };
    if parts.len() == 1 {
        return pattern == tag;
    }
    if tag.len() < first.len() + last.len() || !tag.starts_with(first) || !tag.ends_with(last) {
        return false;
    }
    let mut rest = &tag[first.len()..tag.len() - last.len()];
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

impl Rule {
    /// Whether the rule selects `image` by its tags.
    pub fn selects(&self, image: &Image) -> bool {
        match &self.tags {
            TagStatus::Any => true,
            TagStatus::Untagged => image.tags.is_empty(),
            TagStatus::Tagged(filter) => {
                !image.tags.is_empty()
                    && match filter {
                        TagFilter::Prefixes(ps) => ps
                            .iter()
                            .all(|p| image.tags.iter().any(|t| t.starts_with(p.as_str()))),
                        TagFilter::Patterns(ps) => ps
                            .iter()
                            .all(|p| image.tags.iter().any(|t| pattern_matches(p, t))),
                    }
            }
        }
    }
}

/// One image the policy expires, and the rule that does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry<'a> {
    pub image: &'a Image,
    pub rule: &'a Rule,
}

const DAY: i64 = 24 * 60 * 60;

/// The images `policy` expires at `now` (seconds since the epoch), oldest first. Pure. Images
/// are told apart by position, not digest (moto gives images of PutImage one digest).
pub fn evaluate<'a>(policy: &'a Policy, images: &'a [Image], now: i64) -> Vec<Expiry<'a>> {
    // Newest first; the digest, then the position, break ties, so that the result does not
    // depend on the order ECR lists images in.
    let mut order: Vec<usize> = (0..images.len()).collect();
    order.sort_by(|&a, &b| {
        images[b]
            .pushed_at
            .cmp(&images[a].pushed_at)
            .then_with(|| images[a].digest.cmp(&images[b].digest))
            .then_with(|| a.cmp(&b))
    });
    // What each rule marks, evaluated over every image it selects.
    let marks: Vec<std::collections::HashSet<usize>> = policy
        .rules
        .iter()
        .map(|rule| {
            let selected = order.iter().copied().filter(|&i| rule.selects(&images[i]));
            match rule.count {
                Count::MoreThan(n) => selected.skip(n as usize).collect(),
                Count::SincePushedDays(days) => selected
                    .filter(|&i| now - images[i].pushed_at > i64::from(days) * DAY)
                    .collect(),
            }
        })
        .collect();
    let mut out: Vec<Expiry<'a>> = order
        .iter()
        .filter_map(|&i| {
            let image = &images[i];
            // Decided by the first rule (by priority) that selects it.
            let (index, rule) = policy
                .rules
                .iter()
                .enumerate()
                .find(|(_, r)| r.selects(image))?;
            marks[index].contains(&i).then_some(Expiry { image, rule })
        })
        .collect();
    out.reverse();
    out
}

/// Release tags as ecr-push's `semver` rule writes them (`v<semver>`): what the retention policy
/// protects and what a policy is checked against.
pub const RELEASE_PATTERN: &str = "v*.*.*";

/// Tags of the release shape that a rule protecting releases must select.
const RELEASE_SAMPLES: &[&str] = &["v1.2.3", "v0.10.0-rc.1", "v10.20.30"];

/// A rule that keeps at least this many images (or this many days) is taken to keep them:
/// ecr-push's own release rule keeps the newest 9999 release images.
pub const KEEP_RELEASES: u32 = 9999;
const KEEP_DAYS: u32 = 36_500;

fn keeps(count: Count) -> bool {
    match count {
        Count::MoreThan(n) => n >= KEEP_RELEASES,
        Count::SincePushedDays(d) => d >= KEEP_DAYS,
    }
}

/// The rules of `policy` that can expire an image carrying a release tag ([`RELEASE_PATTERN`]):
/// every rule that can select such an image (any rule but an untagged one: a promoted image
/// carries `dev-` or `sha-` tags beside its version) and that comes before a rule selecting
/// every release image, which then decides them (and is listed too unless it keeps them).
pub fn release_risks(policy: &Policy) -> Vec<&Rule> {
    let mut out = Vec::new();
    for rule in &policy.rules {
        if rule.tags == TagStatus::Untagged {
            continue;
        }
        let covers_all = RELEASE_SAMPLES.iter().all(|tag| {
            rule.selects(&Image {
                digest: String::new(),
                tags: vec![tag.to_string()],
                pushed_at: 0,
            })
        });
        if !(covers_all && keeps(rule.count)) {
            out.push(rule);
        }
        if covers_all {
            break;
        }
    }
    out
}

/// The retention a repository that ecr-push creates (or updates) gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Keep the newest N images of each tag family (`pr-`, `dev-`, `sha-`, then every other
    /// tag such as branch tags).
    pub keep_last: Option<u32>,
    /// Untagged images expire N days after their push.
    pub expire_untagged_days: Option<u32>,
    /// A first rule keeps every image with a release tag (up to [`KEEP_RELEASES`]); off, release
    /// images are counted in their other families like any image.
    pub protect_releases: bool,
}

/// The non-release tag families, in the order their rules come.
pub const FAMILIES: &[&str] = &["pr-*", "dev-*", "sha-*"];

impl Retention {
    /// The policy, or `None` when it would expire nothing. Rule by rule: release images kept
    /// (it comes first, so no later rule can expire them), untagged images expire after N days,
    /// the newest N of each family are kept, and last an `any` rule keeps the newest N of
    /// everything else. ECR counts every image a rule selects, also those an earlier rule
    /// decides, so an image with a family tag counts in the `any` rule too.
    pub fn policy(&self) -> Option<Policy> {
        if self.keep_last.is_none() && self.expire_untagged_days.is_none() {
            return None;
        }
        let mut rules = Vec::new();
        let mut push = |description: String, tags: TagStatus, count: Count| {
            rules.push(Rule {
                priority: rules.len() as u32 + 1,
                description,
                tags,
                count,
            });
        };
        if self.protect_releases {
            push(
                format!("keep release images ({RELEASE_PATTERN})"),
                TagStatus::Tagged(TagFilter::Patterns(vec![RELEASE_PATTERN.into()])),
                Count::MoreThan(KEEP_RELEASES),
            );
        }
        if let Some(days) = self.expire_untagged_days {
            push(
                format!("expire untagged images {days} days after push"),
                TagStatus::Untagged,
                Count::SincePushedDays(days),
            );
        }
        if let Some(n) = self.keep_last {
            for family in FAMILIES {
                push(
                    format!("keep the last {n} {family} images"),
                    TagStatus::Tagged(TagFilter::Patterns(vec![(*family).into()])),
                    Count::MoreThan(n),
                );
            }
            push(
                format!("keep the last {n} images of other tags (branch tags and others)"),
                TagStatus::Any,
                Count::MoreThan(n),
            );
        }
        Some(Policy { rules })
    }
}

/// What `lifecycle-preview` reports: which images the policy in effect would expire today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preview {
    /// The repository does not exist (a dry run that would create it): nothing to expire.
    NoRepository,
    /// The repository has no lifecycle policy: nothing expires.
    NoPolicy,
    /// ecr-push cannot evaluate the policy (a feature it does not model).
    Unreadable(String),
    Evaluated {
        /// Images in the repository.
        images: usize,
        /// Those the policy expires, oldest first.
        expiring: Vec<PreviewRow>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    pub digest: String,
    pub tags: Vec<String>,
    /// Whole days since the push.
    pub age_days: i64,
    /// The rule that expires it ([`Rule`]'s display).
    pub rule: String,
}

/// The preview of `policy` over `images` at `now`. Pure.
pub fn preview(policy: Option<&Value>, images: &[Image], now: i64) -> Preview {
    let Some(doc) = policy else {
        return Preview::NoPolicy;
    };
    match Policy::parse(doc) {
        Err(e) => Preview::Unreadable(e.to_string()),
        Ok(policy) => Preview::Evaluated {
            images: images.len(),
            expiring: evaluate(&policy, images, now)
                .into_iter()
                .map(|e| PreviewRow {
                    digest: e.image.digest.clone(),
                    tags: e.image.tags.clone(),
                    age_days: (now - e.image.pushed_at).max(0) / DAY,
                    rule: e.rule.to_string(),
                })
                .collect(),
        },
    }
}

/// The lines that differ between two policy documents, as a unified-style diff of their
/// pretty-printed JSON (`-` the repository's, `+` the inputs'), for the log.
pub fn diff(have: Option<&Value>, want: Option<&Value>) -> String {
    let lines = |v: Option<&Value>| -> Vec<String> {
        v.map(|v| {
            serde_json::to_string_pretty(v)
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
    };
    let (a, b) = (lines(have), lines(want));
    // Longest common subsequence, small documents.
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(format!("  {}", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(format!("+ {}", b[j]));
            j += 1;
        } else {
            out.push(format!("- {}", a[i]));
            i += 1;
        }
    }
    out.join("\n")
}

#[cfg(test)]
mod tests;

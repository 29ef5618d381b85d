//! The next version from the last release and the analysed bump.
//!
//! - No bump and no `Release-As` → no release: [`VersionPlan::released`] is false and the
//!   version stays the last release.
//! - First release (no last release): [`VersionInput::first_release`] (default `1.0.0`; `0.1.0`
//!   is common), whatever the bump; a `Release-As` wins over it.
//! - `Release-As` must be greater than the last release, else [`VersionError::ReleaseAsNotGreater`].
//! - Pre-1.0 (last release `0.y.z`): by default a breaking change releases `1.0.0`, as
//!   semantic-release and release-please do. Two knobs, named after release-please's:
//!   [`PreMajor::bump_minor_pre_major`] makes a breaking change bump the minor (`0.3.1` →
//!   `0.4.0`), [`PreMajor::bump_patch_for_minor_pre_major`] makes a feature bump the patch
//!   (`0.3.1` → `0.3.2`). With both, breaking → minor and feature → patch. Leaving 0.x is then a
//!   deliberate `Release-As: 1.0.0`.
//! - A last release that is itself a prerelease graduates the way npm's `semver.inc` does:
//!   `2.0.0-rc.1` + any bump up to major → `2.0.0`; `1.2.0-rc.1` + patch → `1.2.0`,
//!   + minor → `1.2.0`; `1.2.3-rc.1` + minor → `1.3.0`.
//! - Prerelease channel (`beta` on `develop`): the base is computed as above from the last
//!   STABLE release and the bump of every commit since it; the version is
//!   `<base>-<channel>.<N>`, N = 1 + the highest `<base>-<channel>.*` number among the existing
//!   versions (pass every tag's version, of all branches: numbers must never repeat). A
//!   `Release-As` that has its own prerelease part is used as written.
//! - Dev builds (feature branches): `<base>-dev.<n>+<short sha>`, n = commits since the last
//!   release, base = the next release version (at least the next patch, so that the dev version
//!   sorts above the last release), and the image tag `dev-<short sha>`. Never a release.

use std::cmp::Ordering;
use std::fmt;

use semver::{BuildMetadata, Prerelease, Version};

use crate::rules::Bump;

/// Release-please's two pre-1.0 knobs; both off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PreMajor {
    /// While 0.x, a breaking change bumps the minor.
    pub bump_minor_pre_major: bool,
    /// While 0.x, a feature bumps the patch.
    pub bump_patch_for_minor_pre_major: bool,
}

/// Where the version goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Channel {
    /// A normal release (`main`).
    #[default]
    Stable,
    /// A prerelease channel (`develop` → `1.3.0-beta.4`).
    Prerelease {
        /// The channel identifier: `beta`, `rc`, `next` (letters, digits, `-`; not only digits).
        identifier: String,
        /// Versions of every existing tag (all branches), to number the prerelease.
        existing: Vec<Version>,
        /// Whether any commit after the newest prerelease of this channel is releasable (has a
        /// bump or a `Release-As`); `None` when the channel has no prerelease since the last
        /// stable release. `Some(false)` means nothing new: no release.
        releasable_since_last_prerelease: Option<bool>,
    },
    /// A dev build of a feature branch: never released.
    Dev {
        /// Commits since the last release (`n` in `-dev.n`).
        commits_since_release: u64,
        /// The abbreviated SHA of the built commit (hex).
        short_sha: String,
    },
}

/// Everything [`next_version`] needs; all pure values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInput {
    /// The last STABLE release (highest matching tag merged into HEAD); `None` before the first.
    pub last_release: Option<Version>,
    /// The analysed bump of the commits since the last release.
    pub bump: Bump,
    /// A `Release-As` footer's version.
    pub release_as: Option<Version>,
    /// The version of the first release (default `1.0.0`).
    pub first_release: Version,
    pub pre_major: PreMajor,
    pub channel: Channel,
}

impl VersionInput {
    /// A stable-channel input with the defaults (first release `1.0.0`, no pre-1.0 knobs).
    pub fn new(last_release: Option<Version>, bump: Bump) -> Self {
        VersionInput {
            last_release,
            bump,
            release_as: None,
            first_release: Version::new(1, 0, 0),
            pre_major: PreMajor::default(),
            channel: Channel::Stable,
        }
    }
}

/// Why the plan is what it is (for the summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanReason {
    /// No tag yet: the first release.
    FirstRelease,
    /// The analysed bump applied to the last release.
    Bump,
    /// A `Release-As` footer.
    ReleaseAs,
    /// Nothing releasable since the last release.
    NothingToRelease,
    /// Nothing releasable since the channel's newest prerelease.
    NothingNewSincePrerelease,
    /// A dev build.
    DevBuild,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionPlan {
    /// A tag and a release are to be created.
    pub released: bool,
    /// The new version; without a release the last release (`None` if there is none); for a
    /// dev build the dev version.
    pub version: Option<Version>,
    pub previous: Option<Version>,
    /// The part that changed from the previous release to the new base version (`none` without
    /// a release). Reflects the pre-1.0 knobs: `0.3.0` → `0.4.0` is `minor`. A first release
    /// compares with `0.0.0` (`1.0.0` is `major`).
    pub bump: Bump,
    /// The version has a prerelease part (prerelease channel, dev build, or such a `Release-As`).
    pub prerelease: bool,
    /// `dev-<short sha>` for a dev build.
    pub dev_tag: Option<String>,
    pub reason: PlanReason,
}

impl VersionPlan {
    pub fn major(&self) -> Option<u64> {
        self.version.as_ref().map(|v| v.major)
    }

    pub fn minor(&self) -> Option<u64> {
        self.version.as_ref().map(|v| v.minor)
    }

    pub fn patch(&self) -> Option<u64> {
        self.version.as_ref().map(|v| v.patch)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error(
        "Release-As {release_as} is not greater than the last release {last}; a release can only \
         move forward"
    )]
    ReleaseAsNotGreater { release_as: Version, last: Version },
    #[error(
        "prerelease identifier `{identifier}` is not valid: {reason} (use letters, digits and `-`, \
         such as `beta` or `rc`)"
    )]
    InvalidPrereleaseIdentifier { identifier: String, reason: String },
    #[error(
        "{version} is already released (its tag exists, likely on another branch): merge that \
         release into this branch before publishing {version} prereleases"
    )]
    BaseAlreadyReleased { version: Version },
    #[error("`{short_sha}` is not an abbreviated commit SHA (hex digits)")]
    InvalidShortSha { short_sha: String },
    #[error("the first release version {version} must not be 0.0.0")]
    InvalidFirstRelease { version: Version },
}

/// Compares versions by semver precedence (build metadata ignored).
pub fn cmp_precedence(a: &Version, b: &Version) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| a.pre.cmp(&b.pre))
}

/// The bump after the pre-1.0 knobs, for a last release `last`.
pub fn effective_bump(last: &Version, bump: Bump, pre_major: PreMajor) -> Bump {
    if last.major != 0 {
        return bump;
    }
    match bump {
        Bump::Major if pre_major.bump_minor_pre_major => Bump::Minor,
        Bump::Minor if pre_major.bump_patch_for_minor_pre_major => Bump::Patch,
        other => other,
    }
}

/// `version` incremented by `bump` (npm's rules for a version with a prerelease part);
/// prerelease and build parts are dropped. `Bump::None` returns the version unchanged.
pub fn increment(version: &Version, bump: Bump) -> Version {
    let pre = !version.pre.is_empty();
    let (major, minor, patch) = (version.major, version.minor, version.patch);
    let (major, minor, patch) = match bump {
        Bump::None => return version.clone(),
        Bump::Major if pre && minor == 0 && patch == 0 => (major, 0, 0),
        Bump::Major => (major + 1, 0, 0),
        Bump::Minor if pre && patch == 0 => (major, minor, 0),
        Bump::Minor => (major, minor + 1, 0),
        Bump::Patch if pre => (major, minor, patch),
        Bump::Patch => (major, minor, patch + 1),
    };
    Version::new(major, minor, patch)
}

/// The changed component from `from` (or `0.0.0`) to `to`.
fn changed_part(from: Option<&Version>, to: &Version) -> Bump {
    let zero = Version::new(0, 0, 0);
    let from = from.unwrap_or(&zero);
    if to.major != from.major {
        Bump::Major
    } else if to.minor != from.minor {
        Bump::Minor
    } else if to.patch != from.patch {
        Bump::Patch
    } else {
        Bump::None
    }
}

/// The base version to release, or `None` when nothing asks for a release.
fn base_version(input: &VersionInput) -> Result<Option<(Version, Bump, PlanReason)>, VersionError> {
    let last = input.last_release.as_ref();
    if let Some(ra) = &input.release_as {
        if let Some(last) = last
            && cmp_precedence(ra, last) != Ordering::Greater
        {
            return Err(VersionError::ReleaseAsNotGreater {
                release_as: ra.clone(),
                last: last.clone(),
            });
        }
        return Ok(Some((
            ra.clone(),
            changed_part(last, ra),
            PlanReason::ReleaseAs,
        )));
    }
    if input.bump == Bump::None {
        return Ok(None);
    }
    let Some(last) = last else {
        let first = &input.first_release;
        if *first == Version::new(0, 0, 0) {
            return Err(VersionError::InvalidFirstRelease {
                version: first.clone(),
            });
        }
        return Ok(Some((
            first.clone(),
            changed_part(None, first),
            PlanReason::FirstRelease,
        )));
    };
    let bump = effective_bump(last, input.bump, input.pre_major);
    Ok(Some((increment(last, bump), bump, PlanReason::Bump)))
}

/// The next version.
pub fn next_version(input: &VersionInput) -> Result<VersionPlan, VersionError> {
    let previous = input.last_release.clone();
    let unreleased = |reason| VersionPlan {
        released: false,
        version: previous.clone(),
        previous: previous.clone(),
        bump: Bump::None,
        prerelease: previous.as_ref().is_some_and(|v| !v.pre.is_empty()),
        dev_tag: None,
        reason,
    };

    match &input.channel {
        Channel::Stable => {
            let Some((version, bump, reason)) = base_version(input)? else {
                return Ok(unreleased(PlanReason::NothingToRelease));
            };
            Ok(VersionPlan {
                released: true,
                prerelease: !version.pre.is_empty(),
                version: Some(version),
                previous,
                bump,
                dev_tag: None,
                reason,
            })
        }
        Channel::Prerelease {
            identifier,
            existing,
            releasable_since_last_prerelease,
        } => {
            validate_identifier(identifier)?;
            let Some((base, bump, reason)) = base_version(input)? else {
                return Ok(unreleased(PlanReason::NothingToRelease));
            };
            if *releasable_since_last_prerelease == Some(false) {
                return Ok(unreleased(PlanReason::NothingNewSincePrerelease));
            }
            let version = if base.pre.is_empty() {
                if existing
                    .iter()
                    .any(|v| v.pre.is_empty() && cmp_precedence(v, &base) == Ordering::Equal)
                {
                    return Err(VersionError::BaseAlreadyReleased { version: base });
                }
                let n = next_prerelease_number(&base, identifier, existing);
                with_pre(&base, &format!("{identifier}.{n}"))?
            } else {
                base
            };
            Ok(VersionPlan {
                released: true,
                version: Some(version),
                previous,
                bump,
                prerelease: true,
                dev_tag: None,
                reason,
            })
        }
        Channel::Dev {
            commits_since_release,
            short_sha,
        } => {
            let sha = short_sha.trim().to_ascii_lowercase();
            if sha.is_empty() || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(VersionError::InvalidShortSha {
                    short_sha: short_sha.clone(),
                });
            }
            let floor = VersionInput {
                bump: input.bump.max(Bump::Patch),
                ..input.clone()
            };
            let (base, bump, _) = match base_version(&floor)? {
                Some(b) => b,
                None => (
                    input.first_release.clone(),
                    Bump::None,
                    PlanReason::DevBuild,
                ),
            };
            let base = Version::new(base.major, base.minor, base.patch);
            let mut version = with_pre(&base, &format!("dev.{commits_since_release}"))?;
            version.build =
                BuildMetadata::new(&sha).map_err(|_| VersionError::InvalidShortSha {
                    short_sha: short_sha.clone(),
                })?;
            Ok(VersionPlan {
                released: false,
                version: Some(version),
                previous,
                bump,
                prerelease: true,
                dev_tag: Some(format!("dev-{sha}")),
                reason: PlanReason::DevBuild,
            })
        }
    }
}

fn validate_identifier(identifier: &str) -> Result<(), VersionError> {
    let invalid = |reason: &str| VersionError::InvalidPrereleaseIdentifier {
        identifier: identifier.to_string(),
        reason: reason.to_string(),
    };
    if identifier.is_empty() {
        return Err(invalid("it is empty"));
    }
    if !identifier
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(invalid("only letters, digits and `-` are allowed"));
    }
    if identifier.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("it must not be only digits"));
    }
    Ok(())
}

fn with_pre(base: &Version, pre: &str) -> Result<Version, VersionError> {
    let mut v = base.clone();
    v.pre = Prerelease::new(pre).map_err(|e| VersionError::InvalidPrereleaseIdentifier {
        identifier: pre.to_string(),
        reason: e.to_string(),
    })?;
    Ok(v)
}

/// 1 + the highest N of `<base>-<identifier>.N` in `existing` (`<base>-<identifier>` counts
/// as 0); 1 when there is none.
pub fn next_prerelease_number(base: &Version, identifier: &str, existing: &[Version]) -> u64 {
    existing
        .iter()
        .filter(|v| (v.major, v.minor, v.patch) == (base.major, base.minor, base.patch))
        .filter_map(|v| {
            let pre = v.pre.as_str();
            let rest = pre.strip_prefix(identifier)?;
            if rest.is_empty() {
                return Some(0);
            }
            rest.strip_prefix('.')?.parse::<u64>().ok()
        })
        .max()
        .map_or(1, |n| n + 1)
}

impl fmt::Display for PlanReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PlanReason::FirstRelease => "first release",
            PlanReason::Bump => "bump from the commits",
            PlanReason::ReleaseAs => "Release-As footer",
            PlanReason::NothingToRelease => "no releasable commits",
            PlanReason::NothingNewSincePrerelease => "nothing new since the last prerelease",
            PlanReason::DevBuild => "dev build",
        })
    }
}

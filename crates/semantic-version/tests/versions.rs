#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Tables for the next version and for tag formats.

use semantic_version::rules::Bump;
use semantic_version::tag_format::{TagFormat, TagFormatError, TagMatch};
use semantic_version::version::{
    Channel, PlanReason, PreMajor, VersionError, VersionInput, increment, next_version,
};
use semver::Version;

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

fn input(last: Option<&str>, bump: Bump) -> VersionInput {
    VersionInput::new(last.map(v), bump)
}

/// Renders a plan: `1.3.0 minor` for a release, `- (1.2.0)` for none.
fn show(input: &VersionInput) -> String {
    match next_version(input) {
        Ok(p) if p.released => format!(
            "{} {}",
            p.version.map(|v| v.to_string()).unwrap_or_default(),
            p.bump
        ),
        Ok(p) => format!(
            "- ({})",
            p.version
                .map(|v| v.to_string())
                .unwrap_or_else(|| "none".into())
        ),
        Err(e) => format!("ERR {e}"),
    }
}

#[test]
fn stable_releases() {
    let table: &[(Option<&str>, Bump, &str)] = &[
        // First release: 1.0.0 whatever the bump; nothing releasable → nothing.
        (None, Bump::Patch, "1.0.0 major"),
        (None, Bump::Minor, "1.0.0 major"),
        (None, Bump::Major, "1.0.0 major"),
        (None, Bump::None, "- (none)"),
        // Each bump.
        (Some("1.2.3"), Bump::None, "- (1.2.3)"),
        (Some("1.2.3"), Bump::Patch, "1.2.4 patch"),
        (Some("1.2.3"), Bump::Minor, "1.3.0 minor"),
        (Some("1.2.3"), Bump::Major, "2.0.0 major"),
        // Pre-1.0 without knobs: a breaking change leaves 0.x (semantic-release, release-please).
        (Some("0.3.1"), Bump::Major, "1.0.0 major"),
        (Some("0.3.1"), Bump::Minor, "0.4.0 minor"),
        (Some("0.3.1"), Bump::Patch, "0.3.2 patch"),
        // A prerelease as the last release graduates (npm's rules).
        (Some("2.0.0-rc.1"), Bump::Patch, "2.0.0 patch"),
        (Some("2.0.0-rc.1"), Bump::Major, "2.0.0 major"),
        (Some("1.2.0-rc.1"), Bump::Minor, "1.2.0 minor"),
        (Some("1.2.3-rc.1"), Bump::Minor, "1.3.0 minor"),
        (Some("1.2.3-rc.1"), Bump::Major, "2.0.0 major"),
        // Build metadata of the last release is dropped.
        (Some("1.2.3+build.5"), Bump::Patch, "1.2.4 patch"),
    ];
    for (last, bump, want) in table {
        assert_eq!(show(&input(*last, *bump)), *want, "{last:?} + {bump}");
    }
}

#[test]
fn first_release_is_configurable() {
    let mut i = input(None, Bump::Major);
    i.first_release = v("0.1.0");
    let plan = next_version(&i).unwrap();
    assert_eq!(plan.version, Some(v("0.1.0")));
    assert_eq!(plan.bump, Bump::Minor);
    assert_eq!(plan.reason, PlanReason::FirstRelease);
    assert_eq!(
        (plan.major(), plan.minor(), plan.patch()),
        (Some(0), Some(1), Some(0))
    );
    assert!(!plan.prerelease);

    i.first_release = v("0.0.0");
    assert!(matches!(
        next_version(&i),
        Err(VersionError::InvalidFirstRelease { .. })
    ));
}

#[test]
fn pre_major_knobs() {
    let knobs = |minor: bool, patch: bool| PreMajor {
        bump_minor_pre_major: minor,
        bump_patch_for_minor_pre_major: patch,
    };
    // (last, bump, bump-minor-pre-major, bump-patch-for-minor-pre-major, expected)
    let table: &[(&str, Bump, bool, bool, &str)] = &[
        ("0.3.1", Bump::Major, true, false, "0.4.0 minor"),
        ("0.3.1", Bump::Minor, true, false, "0.4.0 minor"),
        ("0.3.1", Bump::Major, false, true, "1.0.0 major"),
        ("0.3.1", Bump::Minor, false, true, "0.3.2 patch"),
        ("0.3.1", Bump::Major, true, true, "0.4.0 minor"),
        ("0.3.1", Bump::Minor, true, true, "0.3.2 patch"),
        ("0.3.1", Bump::Patch, true, true, "0.3.2 patch"),
        // The knobs do nothing from 1.0.0 on.
        ("1.3.1", Bump::Major, true, true, "2.0.0 major"),
        ("1.3.1", Bump::Minor, true, true, "1.4.0 minor"),
    ];
    for (last, bump, minor, patch, want) in table {
        let mut i = input(Some(last), *bump);
        i.pre_major = knobs(*minor, *patch);
        assert_eq!(
            show(&i),
            *want,
            "{last} + {bump} (minor={minor}, patch={patch})"
        );
    }
}

#[test]
fn release_as() {
    let table: &[(Option<&str>, Bump, &str, &str)] = &[
        (Some("1.2.3"), Bump::None, "2.0.0", "2.0.0 major"),
        (Some("1.2.3"), Bump::Major, "1.5.0", "1.5.0 minor"),
        (Some("1.2.3"), Bump::Patch, "1.2.5", "1.2.5 patch"),
        (Some("0.9.0"), Bump::Patch, "1.0.0", "1.0.0 major"),
        (None, Bump::None, "0.5.0", "0.5.0 minor"),
        (Some("1.2.3"), Bump::Minor, "2.0.0-rc.1", "2.0.0-rc.1 major"),
        (
            Some("1.2.3"),
            Bump::Minor,
            "1.2.3",
            "ERR Release-As 1.2.3 is not greater than the last release 1.2.3; a release can only move forward",
        ),
        (
            Some("1.2.3"),
            Bump::Minor,
            "1.0.0",
            "ERR Release-As 1.0.0 is not greater than the last release 1.2.3; a release can only move forward",
        ),
        (
            Some("1.2.3"),
            Bump::Minor,
            "1.2.3-rc.1",
            "ERR Release-As 1.2.3-rc.1 is not greater than the last release 1.2.3; a release can only move forward",
        ),
    ];
    for (last, bump, release_as, want) in table {
        let mut i = input(*last, *bump);
        i.release_as = Some(v(release_as));
        assert_eq!(show(&i), *want, "{last:?} Release-As {release_as}");
    }
    let mut i = input(Some("1.2.3"), Bump::None);
    i.release_as = Some(v("2.0.0-rc.1"));
    let plan = next_version(&i).unwrap();
    assert!(plan.prerelease);
    assert_eq!(plan.reason, PlanReason::ReleaseAs);
}

fn beta(existing: &[&str], since_last: Option<bool>) -> Channel {
    Channel::Prerelease {
        identifier: "beta".to_string(),
        existing: existing.iter().map(|s| v(s)).collect(),
        releasable_since_last_prerelease: since_last,
    }
}

#[test]
fn prerelease_channel() {
    // (last stable, bump since it, existing tags, releasable since the newest beta, expected)
    type Row = (
        Option<&'static str>,
        Bump,
        &'static [&'static str],
        Option<bool>,
        &'static str,
    );
    let table: &[Row] = &[
        (Some("1.2.0"), Bump::Minor, &[], None, "1.3.0-beta.1 minor"),
        (
            Some("1.2.0"),
            Bump::Minor,
            &["1.2.0", "1.3.0-beta.1", "1.3.0-beta.3"],
            Some(true),
            "1.3.0-beta.4 minor",
        ),
        // Numbers of other bases and channels do not count.
        (
            Some("1.2.0"),
            Bump::Minor,
            &["1.3.0-alpha.7", "1.4.0-beta.9", "1.3.0-beta.2"],
            Some(true),
            "1.3.0-beta.3 minor",
        ),
        // `1.3.0-beta` without a number counts as 0; `beta.x` and `betamax.5` do not count.
        (
            Some("1.2.0"),
            Bump::Minor,
            &["1.3.0-beta", "1.3.0-beta.x", "1.3.0-betamax.5"],
            Some(true),
            "1.3.0-beta.1 minor",
        ),
        // A breaking change after beta.2 of 1.3.0 moves the base to 2.0.0.
        (
            Some("1.2.0"),
            Bump::Major,
            &["1.3.0-beta.2"],
            Some(true),
            "2.0.0-beta.1 major",
        ),
        // Nothing new since the newest beta: no release.
        (
            Some("1.2.0"),
            Bump::Minor,
            &["1.3.0-beta.2"],
            Some(false),
            "- (1.2.0)",
        ),
        (Some("1.2.0"), Bump::None, &[], None, "- (1.2.0)"),
        // First release on a channel.
        (None, Bump::Minor, &[], None, "1.0.0-beta.1 major"),
        // The base is already released (on another branch).
        (
            Some("1.2.0"),
            Bump::Minor,
            &["1.3.0"],
            Some(true),
            "ERR 1.3.0 is already released (its tag exists, likely on another branch): merge that release into this branch before publishing 1.3.0 prereleases",
        ),
    ];
    for (last, bump, existing, since, want) in table {
        let mut i = input(*last, *bump);
        i.channel = beta(existing, *since);
        assert_eq!(show(&i), *want, "{last:?} + {bump} with {existing:?}");
    }

    let mut i = input(Some("1.2.0"), Bump::Minor);
    i.channel = beta(&[], None);
    let plan = next_version(&i).unwrap();
    assert!(plan.prerelease && plan.released);
    assert_eq!(plan.previous, Some(v("1.2.0")));

    // Release-As on a channel: the base, numbered; one with its own prerelease part as written.
    i.release_as = Some(v("2.0.0"));
    i.channel = beta(&["2.0.0-beta.1"], Some(true));
    assert_eq!(show(&i), "2.0.0-beta.2 major");
    i.release_as = Some(v("2.0.0-rc.1"));
    assert_eq!(show(&i), "2.0.0-rc.1 major");
}

#[test]
fn prerelease_identifiers_are_checked() {
    for (identifier, reason) in [
        ("", "it is empty"),
        ("be ta", "only letters, digits and `-` are allowed"),
        ("beta.1", "only letters, digits and `-` are allowed"),
        ("123", "it must not be only digits"),
    ] {
        let mut i = input(Some("1.0.0"), Bump::Patch);
        i.channel = Channel::Prerelease {
            identifier: identifier.to_string(),
            existing: vec![],
            releasable_since_last_prerelease: None,
        };
        let err = next_version(&i).unwrap_err();
        assert!(err.to_string().contains(reason), "{identifier:?}: {err}");
    }
}

#[test]
fn dev_builds() {
    // (last, bump, release-as, commits since, expected version)
    type Row = (
        Option<&'static str>,
        Bump,
        Option<&'static str>,
        u64,
        &'static str,
    );
    let table: &[Row] = &[
        (Some("1.2.3"), Bump::None, None, 4, "1.2.4-dev.4+abc1234"),
        (Some("1.2.3"), Bump::Patch, None, 1, "1.2.4-dev.1+abc1234"),
        (Some("1.2.3"), Bump::Minor, None, 12, "1.3.0-dev.12+abc1234"),
        (Some("1.2.3"), Bump::Major, None, 3, "2.0.0-dev.3+abc1234"),
        (None, Bump::None, None, 7, "1.0.0-dev.7+abc1234"),
        (
            Some("1.2.3"),
            Bump::Patch,
            Some("3.0.0"),
            2,
            "3.0.0-dev.2+abc1234",
        ),
        (
            Some("1.2.3"),
            Bump::Patch,
            Some("3.0.0-rc.1"),
            2,
            "3.0.0-dev.2+abc1234",
        ),
    ];
    for (last, bump, release_as, n, want) in table {
        let mut i = input(*last, *bump);
        i.release_as = release_as.map(v);
        i.channel = Channel::Dev {
            commits_since_release: *n,
            short_sha: "ABC1234".to_string(),
        };
        let plan = next_version(&i).unwrap();
        assert_eq!(
            plan.version.unwrap().to_string(),
            *want,
            "{last:?} + {bump}"
        );
        assert!(!plan.released);
        assert!(plan.prerelease);
        assert_eq!(plan.dev_tag.as_deref(), Some("dev-abc1234"));
        assert_eq!(plan.reason, PlanReason::DevBuild);
    }
    // A dev version sorts above the last release and below the next one.
    assert!(v("1.2.4-dev.4+abc1234") > v("1.2.3") && v("1.2.4-dev.4+abc1234") < v("1.2.4"));

    let mut i = input(Some("1.2.3"), Bump::None);
    i.channel = Channel::Dev {
        commits_since_release: 1,
        short_sha: "not-hex".to_string(),
    };
    assert!(matches!(
        next_version(&i),
        Err(VersionError::InvalidShortSha { .. })
    ));
}

#[test]
fn increments() {
    assert_eq!(increment(&v("1.2.3"), Bump::None), v("1.2.3"));
    assert_eq!(increment(&v("1.2.3-beta.1"), Bump::Patch), v("1.2.3"));
    assert_eq!(increment(&v("0.0.1"), Bump::Major), v("1.0.0"));
}

// ---------------------------------------------------------------------------------------------
// Tag formats
// ---------------------------------------------------------------------------------------------

#[test]
fn tag_format_round_trip() {
    let table = [
        ("v${version}", "1.2.3", "v1.2.3", "v1", "v1.2"),
        ("${version}", "1.2.3", "1.2.3", "1", "1.2"),
        (
            "api-v${version}",
            "0.4.0",
            "api-v0.4.0",
            "api-v0",
            "api-v0.4",
        ),
        (
            "release/${version}",
            "2.0.0-rc.1",
            "release/2.0.0-rc.1",
            "release/2",
            "release/2.0",
        ),
        (
            "v${version}-stable",
            "1.0.0-beta.2",
            "v1.0.0-beta.2-stable",
            "v1-stable",
            "v1.0-stable",
        ),
    ];
    for (format, version, tag, major, minor) in table {
        let f = TagFormat::parse(format).unwrap();
        let version = v(version);
        assert_eq!(f.format(&version), tag);
        assert_eq!(f.parse_tag(tag), Some(version.clone()), "{format} {tag}");
        assert_eq!(f.major_tag(&version), major);
        assert_eq!(f.minor_tag(&version), minor);
    }
    assert_eq!(
        TagFormat::default(),
        TagFormat::parse("v${version}").unwrap()
    );
}

#[test]
fn tag_classification() {
    let v_format = TagFormat::parse("v${version}").unwrap();
    let plain = TagFormat::parse("${version}").unwrap();
    let api = TagFormat::parse("api-v${version}").unwrap();
    let table: &[(&TagFormat, &str, TagMatch)] = &[
        (&v_format, "v1.2.3", TagMatch::Version(v("1.2.3"))),
        (
            &v_format,
            "v1.2.3+build.7",
            TagMatch::Version(v("1.2.3+build.7")),
        ),
        (&v_format, "v1", TagMatch::Floating),
        (&v_format, "v1.2", TagMatch::Floating),
        (&v_format, "v1.2.x", TagMatch::NotSemver),
        (&v_format, "v01.2.3", TagMatch::NotSemver),
        (&v_format, "vnext", TagMatch::NotSemver),
        (&v_format, "1.2.3", TagMatch::OtherFormat),
        (&v_format, "V1.2.3", TagMatch::OtherFormat),
        (&v_format, "api-v1.2.3", TagMatch::OtherFormat),
        (&api, "api-v1.2.3", TagMatch::Version(v("1.2.3"))),
        (&api, "v1.2.3", TagMatch::OtherFormat),
        (&api, "web-v1.2.3", TagMatch::OtherFormat),
        (&plain, "1.2.3", TagMatch::Version(v("1.2.3"))),
        (&plain, "api-v1.2.3", TagMatch::OtherFormat),
        (&plain, "1.2.3.4", TagMatch::NotSemver),
    ];
    for (format, tag, want) in table {
        assert_eq!(format.classify(tag), *want, "{format:?} {tag}");
    }

    let scan = v_format.scan([
        "v1.0.0",
        "v1",
        "v1.1.0",
        "vfoo",
        "api-v9.0.0",
        "v2.0.0-rc.1",
    ]);
    let versions: Vec<&str> = scan.versions.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(versions, ["v1.0.0", "v1.1.0", "v2.0.0-rc.1"]);
    assert_eq!(scan.not_semver, ["vfoo"]);
    assert_eq!((scan.floating, scan.other), (1, 1));
}

#[test]
fn bad_tag_formats() {
    let table = [
        (
            "v",
            "tag-format `v` must contain `${version}` exactly once (for example `v${version}` or `api-v${version}`), found it 0 times",
        ),
        (
            "",
            "tag-format `` must contain `${version}` exactly once (for example `v${version}` or `api-v${version}`), found it 0 times",
        ),
        (
            "${version}-${version}",
            "tag-format `${version}-${version}` must contain `${version}` exactly once (for example `v${version}` or `api-v${version}`), found it 2 times",
        ),
        (
            "v$version",
            "tag-format `v$version` must contain `${version}` exactly once (for example `v${version}` or `api-v${version}`), found it 0 times",
        ),
        (
            "${name}-v${version}",
            "tag-format `${name}-v${version}` has an unknown placeholder `${name}`; the only placeholder is `${version}`",
        ),
        (
            "my tag ${version}",
            "tag-format `my tag ${version}` would not make a valid git tag name: spaces and control characters are not allowed",
        ),
        (
            "v${version}:x",
            "tag-format `v${version}:x` would not make a valid git tag name: the characters ~ ^ : ? * [ \\ are not allowed",
        ),
        (
            "-${version}",
            "tag-format `-${version}` would not make a valid git tag name: a tag cannot begin with `-`, `/` or `.`",
        ),
        (
            "${version}.lock",
            "tag-format `${version}.lock` would not make a valid git tag name: a tag cannot end with `/`, `.` or `.lock`",
        ),
        (
            "a..b/${version}",
            "tag-format `a..b/${version}` would not make a valid git tag name: `..`, `@{` and `//` are not allowed",
        ),
    ];
    for (format, want) in table {
        let err = TagFormat::parse(format).unwrap_err();
        assert_eq!(err.to_string(), want, "{format:?}");
    }
    assert!(matches!(
        TagFormat::parse("x"),
        Err(TagFormatError::Placeholder { count: 0, .. })
    ));
}

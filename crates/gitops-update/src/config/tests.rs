use super::*;

/// `rollback-to`, the reference of `image-ref`, `image`, and the reference it comes to.
type RollbackCase<'a> = (&'a str, Option<ImageRef>, Option<String>, Option<String>);

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn helm_paths_name_each_role_once() {
    let paths = |repository: Option<&str>, tag: Option<&str>, image: Option<&str>| HelmPaths {
        repository: repository.map(str::to_owned),
        tag: tag.map(str::to_owned),
        digest: None,
        image: image.map(str::to_owned),
    };
    let cases: Vec<(Vec<String>, Option<HelmPaths>)> = vec![
        (
            strings(&["repository=image.repository", "tag=image.tag"]),
            Some(paths(Some("image.repository"), Some("image.tag"), None)),
        ),
        (
            strings(&["tag = api.image.tag"]),
            Some(paths(None, Some("api.image.tag"), None)),
        ),
        (
            strings(&["image=frontend.image"]),
            Some(paths(None, None, Some("frontend.image"))),
        ),
        // Hyphenated keys are real (opentelemetry-demo's chart).
        (
            strings(&["tag=opentelemetry-collector.image.tag"]),
            Some(paths(None, Some("opentelemetry-collector.image.tag"), None)),
        ),
        (strings(&["image.tag"]), None),
        (strings(&["version=image.tag"]), None),
        (strings(&["tag=image..tag"]), None),
        (strings(&["tag=", "repository=image.repository"]), None),
        (strings(&["tag=a.tag", "tag=b.tag"]), None),
        (strings(&["image=app.image", "tag=app.tag"]), None),
        (strings(&[]), None),
    ];
    for (pairs, expected) in cases {
        assert_eq!(parse_helm_paths(&pairs).ok(), expected, "{pairs:?}");
    }
}

#[test]
fn authors_and_branches() {
    assert_eq!(
        parse_author("Deploy Bot <deploy@example.com>"),
        Some(("Deploy Bot".to_owned(), "deploy@example.com".to_owned()))
    );
    for bad in [
        "nobody",
        "<a@b>",
        "Name <not-an-email>",
        "Name <a@b",
        "Na<me <a@b>",
    ] {
        assert_eq!(parse_author(bad), None, "{bad}");
    }
    for good in ["main", "envs/production", "release-1.x", "feature/a_b"] {
        assert!(valid_branch(good), "{good}");
    }
    for bad in [
        "", "-x", "a..b", "a b", "a~1", "x.lock", "a/", "/a", "a//b", "@", "a@{1}", "a/.b",
    ] {
        assert!(!valid_branch(bad), "{bad}");
    }
}

#[test]
fn rollback_to_takes_a_tag_a_digest_or_a_whole_reference() {
    let digest = format!("sha256:{}", "c".repeat(64));
    let base = ImageRef::parse("ghcr.io/acme/api").unwrap();
    let cases: Vec<RollbackCase<'_>> = vec![
        (
            "v1.4.2",
            None,
            Some("ghcr.io/acme/api".into()),
            Some("ghcr.io/acme/api:v1.4.2".into()),
        ),
        (
            &digest,
            Some(base.clone()),
            None,
            Some(format!("ghcr.io/acme/api@{digest}")),
        ),
        (
            "ghcr.io/acme/api:v1.0.0",
            None,
            None,
            Some("ghcr.io/acme/api:v1.0.0".into()),
        ),
        // The tag of the reference given with image-ref is replaced.
        (
            "v0.9",
            Some(ImageRef::parse("ghcr.io/acme/api:v2").unwrap()),
            None,
            Some("ghcr.io/acme/api:v0.9".into()),
        ),
        ("v1", None, None, None),
        ("ghcr.io/acme/api", None, None, None),
        ("-bad", None, Some("api".into()), None),
    ];
    for (raw, reference, image, expected) in cases {
        let got = rollback_reference(raw, reference, image)
            .ok()
            .map(|r| r.to_string());
        assert_eq!(got, expected, "{raw}");
    }
}

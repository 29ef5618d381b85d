//! `create-repository` and `update-repository` against moto's ECR.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::*;

struct Seen {
    mutability: String,
    scan_on_push: bool,
    encryption: String,
    lifecycle: Option<serde_json::Value>,
    tags: Vec<(String, String)>,
}

fn describe(repo: &str) -> Seen {
    let ecr = ecr();
    runtime().block_on(async {
        let out = ecr
            .describe_repositories()
            .repository_names(repo)
            .send()
            .await
            .unwrap();
        let r = &out.repositories()[0];
        let lifecycle = ecr
            .get_lifecycle_policy()
            .repository_name(repo)
            .send()
            .await
            .ok()
            .and_then(|o| {
                o.lifecycle_policy_text()
                    .map(|t| serde_json::from_str(t).unwrap())
            });
        let tags = ecr
            .list_tags_for_resource()
            .resource_arn(r.repository_arn().unwrap())
            .send()
            .await
            .unwrap()
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        Seen {
            mutability: r.image_tag_mutability().unwrap().as_str().to_string(),
            scan_on_push: r.image_scanning_configuration().unwrap().scan_on_push(),
            encryption: r
                .encryption_configuration()
                .unwrap()
                .encryption_type()
                .as_str()
                .to_string(),
            lifecycle,
            tags,
        }
    })
}

#[test]
fn creates_the_repository_with_every_setting() {
    let job = Job::new();
    let repo = unique_repo("create");
    let dir = layout_dir(&job, "image");
    layout(&dir, 300, 1, 100);
    let text = ok(&job.run(&[
        ("repository", &repo),
        ("mode", "push"),
        ("image-path", "image"),
        ("create-repository", "true"),
        ("encryption", "KMS"),
        ("lifecycle-keep-last", "10"),
        ("lifecycle-expire-untagged-days", "3"),
        ("repository-tags", "team=core\nservice=api"),
    ]));
    assert!(
        text.contains(&format!("created repository {repo}")),
        "{text}"
    );
    let seen = describe(&repo);
    assert_eq!(seen.mutability, "IMMUTABLE");
    assert!(seen.scan_on_push);
    assert_eq!(seen.encryption, "KMS");
    // moto stores (and validates) the policy; it never applies it.
    let rules = seen.lifecycle.unwrap()["rules"].as_array().unwrap().clone();
    assert_eq!(rules.len(), 6);
    assert_eq!(rules[0]["selection"]["tagPatternList"][0], "v*.*.*");
    assert_eq!(rules[0]["selection"]["countNumber"], 9999);
    assert_eq!(rules[1]["selection"]["tagStatus"], "untagged");
    assert_eq!(rules[1]["selection"]["countNumber"], 3);
    assert_eq!(rules[4]["selection"]["tagPatternList"][0], "sha-*");
    assert_eq!(rules[5]["selection"]["tagStatus"], "any");
    assert_eq!(rules[5]["selection"]["countNumber"], 10);
    assert!(seen.tags.contains(&("team".into(), "core".into())));
    assert!(seen.tags.contains(&("service".into(), "api".into())));
    assert!(job.tool.summary().contains("created repository"));
}

#[test]
fn an_existing_repository_is_reported_not_changed_unless_asked() {
    let job = Job::new();
    let repo = unique_repo("existing");
    create_repo(&repo, false);
    let dir = layout_dir(&job, "image");
    layout(&dir, 301, 1, 100);
    let inputs = [
        ("repository", repo.as_str()),
        ("mode", "push"),
        ("image-path", "image"),
        ("create-repository", "true"),
        ("repository-tags", "team=core"),
    ];
    let text = ok(&job.run(&inputs));
    assert!(
        text.contains("image tag mutability is MUTABLE, inputs ask for IMMUTABLE (left as is; set input 'update-repository: true' to apply)"),
        "{text}"
    );
    assert!(text.contains("scan on push is false"), "{text}");
    assert!(
        text.contains("the repository has no lifecycle policy"),
        "{text}"
    );
    assert!(text.contains("resource tags team are missing"), "{text}");
    let seen = describe(&repo);
    assert_eq!(seen.mutability, "MUTABLE");
    assert!(seen.lifecycle.is_none());

    let mut with_update = inputs.to_vec();
    with_update.push(("update-repository", "true"));
    let text = ok(&job.run(&with_update));
    assert!(
        text.contains("applied 4 repository change(s)") || job.tool.summary().contains("applied 4"),
        "{text}"
    );
    let seen = describe(&repo);
    assert_eq!(seen.mutability, "IMMUTABLE");
    assert!(seen.scan_on_push);
    assert!(seen.lifecycle.is_some());
    assert!(seen.tags.contains(&("team".into(), "core".into())));

    // Now nothing differs.
    let text = ok(&job.run(&with_update));
    assert!(!text.contains("::warning"), "{text}");
    assert!(!job.tool.summary().contains("applied"));
}

/// Issue 20, item 1: the old default policy ("keep the last 1 image", any tag) on an existing
/// repository is warned about by rule, its replacement shown as a diff, and
/// `lifecycle-preview` lists what it expires today. moto keeps the policy but never applies it
/// and has no lifecycle preview: the preview is ecr-push's own evaluation over DescribeImages.
#[test]
fn a_policy_that_can_expire_releases_is_warned_and_previewed() {
    let job = Job::new();
    let repo = unique_repo("retention");
    create_repo(&repo, false);
    let old = serde_json::json!({ "rules": [
        { "rulePriority": 1, "description": "expire untagged images 7 days after push",
          "selection": { "tagStatus": "untagged", "countType": "sinceImagePushed",
                         "countUnit": "days", "countNumber": 7 },
          "action": { "type": "expire" } },
        { "rulePriority": 2, "description": "keep the last 1 images",
          "selection": { "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1 },
          "action": { "type": "expire" } }
    ] });
    runtime().block_on(async {
        ecr()
            .put_lifecycle_policy()
            .repository_name(&repo)
            .lifecycle_policy_text(old.to_string())
            .send()
            .await
            .unwrap();
    });
    // Two images in ECR's API (the pushes of these tests reach the local registry, not moto's
    // image list), a second apart: moto's push times are whole seconds.
    for (n, tag) in ["first", "second"].into_iter().enumerate() {
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": format!("sha256:{}", format!("{n}").repeat(64)),
                "size": 2
            },
            "layers": []
        });
        runtime().block_on(async {
            ecr()
                .put_image()
                .repository_name(&repo)
                .image_manifest(manifest.to_string())
                .image_tag(tag)
                .send()
                .await
                .unwrap();
        });
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    let dir = layout_dir(&job, "second");
    layout(&dir, 311, 1, 100);
    let inputs = [
        ("repository", repo.as_str()),
        ("mode", "push"),
        ("image-path", "second"),
        ("tags", "raw:second"),
        ("dry-run", "true"),
        ("lifecycle-preview", "true"),
    ];
    let text = ok(&job.run(&inputs));
    assert!(
        text.contains("::warning::") && text.contains(
            "the lifecycle policy's rule 2 (\"keep the last 1 images\") can expire images that carry a release tag (v*.*.*)"
        ),
        "{text}"
    );
    assert!(
        text.contains("lifecycle policy change that 'update-repository: true' would apply"),
        "{text}"
    );
    let diff_line = |sign: &str, text_: &str| {
        text.lines()
            .any(|l| l.starts_with(sign) && l.trim_start_matches(sign).trim() == text_)
    };
    assert!(diff_line("- ", "\"countNumber\": 1,"), "{text}");
    assert!(diff_line("+ ", "\"v*.*.*\""), "{text}");
    let summary = job.tool.summary();
    assert!(
        summary.contains("Lifecycle preview (nothing was expired)"),
        "{summary}"
    );
    assert!(
        summary.contains("1 of 2 images would expire today."),
        "{summary}"
    );
    let (_, preview) = summary.split_once("Lifecycle preview").unwrap();
    assert!(preview.contains("`first`"), "{summary}");
    assert!(!preview.contains("`second`"), "{summary}");
    assert!(
        summary.contains("rule 2 (\"keep the last 1 images\")"),
        "{summary}"
    );
    // Nothing changed: the policy is the old one, both images are there.
    assert_eq!(describe(&repo).lifecycle, Some(old));

    // A dry run with update-repository previews the policy it would apply: the new default
    // keeps both.
    let mut with_update = inputs.to_vec();
    with_update.push(("update-repository", "true"));
    let text = ok(&job.run(&with_update));
    assert!(
        text.contains("lifecycle policy change that update-repository would apply (dry run)"),
        "{text}"
    );
    let summary = job.tool.summary();
    assert!(
        summary.contains("0 of 2 images would expire today."),
        "{summary}"
    );
}

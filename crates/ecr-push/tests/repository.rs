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
    let rules = seen.lifecycle.unwrap()["rules"].as_array().unwrap().clone();
    assert_eq!(rules[0]["selection"]["tagStatus"], "untagged");
    assert_eq!(rules[0]["selection"]["countNumber"], 3);
    assert_eq!(rules[1]["selection"]["countType"], "imageCountMoreThan");
    assert_eq!(rules[1]["selection"]["countNumber"], 10);
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

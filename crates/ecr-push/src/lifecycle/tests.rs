//! The evaluator against the examples of the Amazon ECR User Guide, "Examples of lifecycle
//! policies in Amazon ECR"
//! (<https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html>),
//! in both their current form (`tagPatternList`) and their earlier one (`tagPrefixList`), and
//! the retention policy ecr-push writes. moto never evaluates a policy, so these tests are the
//! only check of the evaluation: none of them talks to a service.

use super::*;

const NOW: i64 = 1_800_000_000;

fn image(name: &str, tags: &[&str], days_ago: i64) -> Image {
    Image {
        digest: format!("sha256:{name}"),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        pushed_at: NOW - days_ago * DAY,
    }
}

fn expired(policy: &Value, images: &[Image]) -> Vec<String> {
    let policy = Policy::parse(policy).unwrap();
    let mut out: Vec<String> = evaluate(&policy, images, NOW)
        .iter()
        .map(|e| e.image.digest.trim_start_matches("sha256:").to_string())
        .collect();
    out.sort();
    out
}

fn rule(priority: u32, selection: Value) -> Value {
    json!({
        "rulePriority": priority,
        "description": format!("Rule {priority}"),
        "selection": selection,
        "action": { "type": "expire" }
    })
}

/// The guide's repository for "Filtering on multiple rules" (examples A and B).
fn beta_prod_repository() -> Vec<Image> {
    vec![
        image("A", &["beta-1", "prod-1"], 10),
        image("B", &["beta-2", "prod-2"], 9),
        image("C", &["beta-3"], 8),
    ]
}

fn keep_one(list: &str, entry: &str) -> Value {
    json!({ "tagStatus": "tagged", list: [entry], "countType": "imageCountMoreThan", "countNumber": 1 })
}

#[test]
fn guide_example_filtering_on_image_age() {
    // Current form: tagged images matching prod* older than 14 days expire.
    let policy = json!({ "rules": [rule(1, json!({
        "tagStatus": "tagged", "tagPatternList": ["prod*"],
        "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14 }))] });
    let images = [
        image("old", &["prod-1"], 15),
        image("exact", &["prod"], 14),
        image("new", &["prod-2"], 3),
        image("other", &["beta-1"], 30),
        image("none", &[], 30),
    ];
    assert_eq!(expired(&policy, &images), ["old"]);
    // Earlier form: untagged images older than 14 days.
    let policy = json!({ "rules": [rule(1, json!({
        "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
        "countNumber": 14 }))] });
    assert_eq!(expired(&policy, &images), ["none"]);
}

#[test]
fn guide_example_filtering_on_image_count() {
    // Keep only one untagged image (the newest), expire the others.
    let policy = json!({ "rules": [rule(1, json!({
        "tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1 }))] });
    let images = [
        image("u1", &[], 3),
        image("u2", &[], 2),
        image("u3", &[], 1),
        image("t", &["prod"], 9),
    ];
    assert_eq!(expired(&policy, &images), ["u1", "u2"]);
}

#[test]
fn guide_example_multiple_rules_a() {
    // Rule 1 (prod) marks A; rule 2 (beta) would mark A and B, but B is rule 1's: only A.
    for (list, p, b) in [
        ("tagPatternList", "prod*", "beta*"),
        ("tagPrefixList", "prod", "beta"),
    ] {
        let policy = json!({ "rules": [rule(1, keep_one(list, p)), rule(2, keep_one(list, b))] });
        assert_eq!(expired(&policy, &beta_prod_repository()), ["A"], "{list}");
    }
}

#[test]
fn guide_example_multiple_rules_b() {
    // The same rules, priorities swapped: rule 1 (beta) marks A and B; rule 2 sees nothing new.
    for (list, p, b) in [
        ("tagPatternList", "prod*", "beta*"),
        ("tagPrefixList", "prod", "beta"),
    ] {
        let policy = json!({ "rules": [rule(1, keep_one(list, b)), rule(2, keep_one(list, p))] });
        assert_eq!(
            expired(&policy, &beta_prod_repository()),
            ["A", "B"],
            "{list}"
        );
    }
}

#[test]
fn guide_example_multiple_tags_in_one_rule_a() {
    // Both entries must match: only C and F are selected, and only C is older than 5 days.
    let images = [
        image("A", &["alpha-1"], 12),
        image("B", &["beta-1"], 11),
        image("C", &["alpha-2", "beta-2"], 10),
        image("D", &["alpha-3"], 4),
        image("E", &["beta-3"], 3),
        image("F", &["alpha-4", "beta-4"], 2),
    ];
    for (list, a, b) in [
        ("tagPatternList", "alpha*", "beta*"),
        ("tagPrefixList", "alpha", "beta"),
    ] {
        let policy = json!({ "rules": [rule(1, json!({
            "tagStatus": "tagged", list: [a, b], "countType": "sinceImagePushed",
            "countNumber": 5, "countUnit": "days" }))] });
        assert_eq!(expired(&policy, &images), ["C"], "{list}");
    }
}

#[test]
fn guide_example_multiple_tags_in_one_rule_b() {
    // Tags are not exclusive: all three carry alpha and beta; the newest one is kept.
    let images = [
        image("A", &["alpha-1", "beta-1", "gamma-1"], 10),
        image("B", &["alpha-2", "beta-2"], 9),
        image("C", &["alpha-3", "beta-3", "gamma-2"], 8),
    ];
    for (list, a, b) in [
        ("tagPatternList", "alpha*", "beta*"),
        ("tagPrefixList", "alpha", "beta"),
    ] {
        let policy = json!({ "rules": [rule(1, json!({
            "tagStatus": "tagged", list: [a, b], "countType": "imageCountMoreThan",
            "countNumber": 1 }))] });
        assert_eq!(expired(&policy, &images), ["A", "B"], "{list}");
    }
}

#[test]
fn any_rule_last_counts_every_image_but_expires_only_its_own() {
    // The guide's evaluation rules: a rule still counts images a higher rule decides.
    let policy = json!({ "rules": [
        rule(1, keep_one("tagPatternList", "v*.*.*")),
        rule(2, json!({ "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2 })),
    ] });
    let images = [
        image("rel-old", &["v1.0.0"], 9),
        image("main", &["main"], 8),
        image("rel-new", &["v1.1.0"], 7),
        image("dev", &["dev-1"], 6),
        image("u", &[], 5),
    ];
    // Rule 1 expires rel-old; rule 2 keeps u and dev (newest two), rel-new is rule 1's.
    assert_eq!(expired(&policy, &images), ["main", "rel-old"]);
}

#[test]
fn patterns_table() {
    for (pattern, tag, want) in [
        ("prod*", "prod", true),
        ("prod*", "prod-1", true),
        ("prod*", "preprod", false),
        ("*prod", "preprod", true),
        ("v*.*.*", "v1.2.3", true),
        ("v*.*.*", "v1.2.3-rc.1", true),
        ("v*.*.*", "v1.2", false),
        ("v*.*.*", "dev-1.2.3", false),
        ("*", "x", true),
        ("a*b*c", "abc", true),
        ("a*b*c", "ac", false),
        ("a*a", "a", false),
        ("exact", "exact", true),
        ("exact", "exact1", false),
    ] {
        assert_eq!(pattern_matches(pattern, tag), want, "{pattern} {tag}");
    }
}

#[test]
fn invalid_policies_table() {
    let r = |sel: Value| json!({ "rules": [rule(1, sel)] });
    let cases = [
        (json!({}), "no \"rules\""),
        (
            r(
                json!({ "tagStatus": "tagged", "countType": "imageCountMoreThan", "countNumber": 1 }),
            ),
            "needs a tagPrefixList",
        ),
        (
            r(
                json!({ "tagStatus": "tagged", "tagPrefixList": ["a"], "tagPatternList": ["a"], "countType": "imageCountMoreThan", "countNumber": 1 }),
            ),
            "not both",
        ),
        (
            r(
                json!({ "tagStatus": "untagged", "tagPrefixList": ["a"], "countType": "imageCountMoreThan", "countNumber": 1 }),
            ),
            "takes no tag list",
        ),
        (
            r(json!({ "tagStatus": "any", "countType": "sinceImagePushed", "countNumber": 1 })),
            "countUnit days",
        ),
        (
            r(
                json!({ "tagStatus": "any", "countType": "imageCountMoreThan", "countUnit": "days", "countNumber": 1 }),
            ),
            "only goes with",
        ),
        (
            r(json!({ "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 0 })),
            "from 1",
        ),
        (
            r(
                json!({ "tagStatus": "tagged", "tagPatternList": ["*a*b*c*d*"], "countType": "imageCountMoreThan", "countNumber": 1 }),
            ),
            "more than 4 wildcards",
        ),
        (
            r(
                json!({ "tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 1 }),
            ),
            "not evaluated",
        ),
        (
            json!({ "rules": [
                rule(1, json!({ "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1 })),
                rule(2, keep_one("tagPrefixList", "a")),
            ] }),
            "highest priority",
        ),
        (
            json!({ "rules": [rule(1, keep_one("tagPrefixList", "a")), rule(1, keep_one("tagPrefixList", "b"))] }),
            "two rules",
        ),
        (
            json!({ "rules": [
                rule(1, json!({ "tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1 })),
                rule(2, json!({ "tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 2 })),
            ] }),
            "only one rule",
        ),
    ];
    for (doc, want) in cases {
        let err = Policy::parse(&doc).unwrap_err().to_string();
        assert!(err.contains(want), "{doc}: {err}");
    }
}

fn default_retention() -> Retention {
    Retention {
        keep_last: Some(10),
        expire_untagged_days: Some(7),
        protect_releases: true,
    }
}

#[test]
fn default_policy_round_trips_and_protects_releases() {
    let policy = default_retention().policy().unwrap();
    assert_eq!(Policy::parse(&policy.to_json()).unwrap(), policy);
    assert!(release_risks(&policy).is_empty(), "{policy:?}");
    let priorities: Vec<u32> = policy.rules.iter().map(|r| r.priority).collect();
    assert_eq!(priorities, [1, 2, 3, 4, 5, 6]);
    assert_eq!(policy.rules[0].description, "keep release images (v*.*.*)");
    let off = Retention {
        protect_releases: false,
        ..default_retention()
    }
    .policy()
    .unwrap();
    let risks: Vec<u32> = release_risks(&off).iter().map(|r| r.priority).collect();
    assert_eq!(risks, [2, 3, 4, 5]);
    assert!(
        Retention {
            keep_last: None,
            expire_untagged_days: None,
            protect_releases: true
        }
        .policy()
        .is_none()
    );
}

#[test]
fn release_risks_table() {
    let any = |n: u32| {
        rule(
            9,
            json!({ "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": n }),
        )
    };
    let untagged = rule(
        1,
        json!({ "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7 }),
    );
    let keep_v = |n: u32| {
        rule(
            2,
            json!({ "tagStatus": "tagged", "tagPatternList": ["v*"], "countType": "imageCountMoreThan", "countNumber": n }),
        )
    };
    let dev = rule(3, keep_one("tagPatternList", "dev-*"));
    let cases: Vec<(Vec<Value>, Vec<u32>)> = vec![
        (vec![untagged.clone()], vec![]),
        (vec![untagged.clone(), any(10)], vec![9]),
        (vec![keep_v(20), dev.clone(), any(10)], vec![2]),
        (vec![keep_v(9999), dev.clone(), any(10)], vec![]),
        (
            vec![
                rule(1, keep_one("tagPatternList", "dev-*")),
                keep_v(9999),
                any(10),
            ],
            vec![1],
        ),
        (vec![dev.clone()], vec![3]),
    ];
    for (rules, want) in cases {
        let policy = Policy::parse(&json!({ "rules": rules })).unwrap();
        let got: Vec<u32> = release_risks(&policy).iter().map(|r| r.priority).collect();
        assert_eq!(got, want, "{policy:?}");
    }
}

/// A small deterministic generator (xorshift), so the simulated history is the same each run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Pushes `tags` as a new image at `at`; a tag that moves leaves its old image (untagged when
/// it had no other tag), as a mutable repository does.
fn push(images: &mut Vec<Image>, tags: Vec<String>, at: i64, n: usize) {
    for image in images.iter_mut() {
        image.tags.retain(|t| !tags.contains(t));
    }
    images.push(Image {
        digest: format!("sha256:{n:06}"),
        tags,
        pushed_at: at,
    });
}

/// ECR applying the policy: the expired images are deleted.
fn apply(policy: &Policy, images: &mut Vec<Image>, now: i64) -> Vec<String> {
    let gone: Vec<String> = evaluate(policy, images, now)
        .iter()
        .map(|e| e.image.digest.clone())
        .collect();
    images.retain(|i| !gone.contains(&i.digest));
    gone
}

/// The acceptance: an image tagged `v1.4.2` (promoted: it also has its `sha-`
/// and `dev-` tags) survives 1,000 pushes of other tags (dev, pr, sha, a moving branch tag,
/// untagged cache images) a few hours apart, with the policy applied after each push; the old
/// default ("keep the last 10 images", tagStatus any) loses it within a dozen pushes.
#[test]
fn default_policy_keeps_a_release_through_1000_pushes() {
    let simulate = |policy: &Policy| -> Option<usize> {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut images = Vec::new();
        let start = NOW - 1000 * 3 * 3600;
        push(
            &mut images,
            vec!["sha-1a2b3c4".into(), "dev-1a2b3c4".into(), "v1.4.2".into()],
            start,
            0,
        );
        for n in 1..=1000usize {
            let at = start + n as i64 * 3 * 3600;
            let sha = format!("{:07x}", rng.next() & 0xfff_ffff);
            let tags = match rng.next() % 5 {
                0 => vec![format!("sha-{sha}"), format!("pr-{}", rng.next() % 40)],
                1 => vec![format!("sha-{sha}"), format!("dev-{sha}"), "main".into()],
                2 => vec![format!("sha-{sha}"), format!("dev-{sha}")],
                3 => vec![format!("feature-{}", rng.next() % 7)],
                _ => vec![],
            };
            push(&mut images, tags, at, n);
            apply(policy, &mut images, at);
            if !images.iter().any(|i| i.tags.iter().any(|t| t == "v1.4.2")) {
                return Some(n);
            }
        }
        None
    };
    let policy = default_retention().policy().unwrap();
    assert_eq!(simulate(&policy), None, "the release image was expired");
    let old = Policy::parse(&json!({ "rules": [
        rule(1, json!({ "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7 })),
        rule(2, json!({ "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10 })),
    ] }))
    .unwrap();
    let lost = simulate(&old).expect("the old default keeps it");
    assert!(lost <= 12, "lost after {lost} pushes");
}

#[test]
fn diff_shows_changed_lines() {
    let have = json!({ "rules": [ { "rulePriority": 1 } ] });
    let want = json!({ "rules": [ { "rulePriority": 2 } ] });
    let d = diff(Some(&have), Some(&want));
    assert!(d.contains("- ") && d.contains("\"rulePriority\": 1"), "{d}");
    assert!(d.contains("+ ") && d.contains("\"rulePriority\": 2"), "{d}");
    assert!(diff(None, Some(&want)).lines().all(|l| l.starts_with("+ ")));
}

#[test]
fn preview_lists_what_expires_with_the_rule() {
    let policy = default_retention().policy().unwrap().to_json();
    let images = [
        image("rel", &["v1.0.0", "sha-0000001"], 400),
        image("u-old", &[], 8),
        image("u-new", &[], 1),
    ];
    let Preview::Evaluated {
        images: n,
        expiring,
    } = preview(Some(&policy), &images, NOW)
    else {
        panic!("not evaluated")
    };
    assert_eq!(n, 3);
    assert_eq!(
        expiring,
        [PreviewRow {
            digest: "sha256:u-old".into(),
            tags: vec![],
            age_days: 8,
            rule: "rule 2 (\"expire untagged images 7 days after push\")".into(),
        }]
    );
    assert_eq!(preview(None, &images, NOW), Preview::NoPolicy);
    assert!(matches!(
        preview(Some(&json!({"rules": [{"rulePriority": 1}]})), &images, NOW),
        Preview::Unreadable(_)
    ));
}

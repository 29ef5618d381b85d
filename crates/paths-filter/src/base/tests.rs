//! Table-driven tests of [`plan`] over real webhook payloads (@octokit/webhooks-examples) and
//! hand-made partial ones.

use super::*;
use gantry_testkit::Services;
use serde_json::json;

const B: &str = "1111111111111111111111111111111111111111";
const ZERO: &str = "0000000000000000000000000000000000000000";

/// A real example payload for `event` (first one with `action`).
fn example(event: &str, action: Option<&str>) -> Value {
    Services::get().webhook_example(event, action)
}

/// `value` with the JSON pointers in `set` replaced (`null` removes the field).
fn with(mut value: Value, set: &[(&str, Value)]) -> Value {
    for (pointer, new) in set {
        let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
        let target = if parent.is_empty() {
            &mut value
        } else {
            value
                .pointer_mut(parent)
                .unwrap_or_else(|| panic!("no {parent} in the payload"))
        };
        let map = target.as_object_mut().unwrap();
        if new.is_null() {
            map.remove(key);
        } else {
            map.insert(key.to_owned(), new.clone());
        }
    }
    value
}

fn payload(name: &str, raw: Value) -> EventPayload {
    EventPayload::from_value(name, raw).unwrap()
}

fn inputs() -> BaseInputs {
    BaseInputs::default()
}

fn token() -> BaseInputs {
    BaseInputs {
        token_present: true,
        ..BaseInputs::default()
    }
}

fn merge_base(base: &str, head: &str) -> ChangeSource {
    ChangeSource::GitMergeBase {
        base: base.to_owned(),
        head: head.to_owned(),
    }
}

fn range(before: &str, after: &str, fallback: Option<ChangeSource>) -> ChangeSource {
    ChangeSource::GitRange {
        before: before.to_owned(),
        after: after.to_owned(),
        if_before_missing: fallback.map(Box::new),
    }
}

fn last(head: &str) -> ChangeSource {
    ChangeSource::LastCommit {
        head: head.to_owned(),
    }
}

fn all(head: &str) -> ChangeSource {
    ChangeSource::AllFiles {
        head: head.to_owned(),
    }
}

fn api(number: u64, expected: Option<u64>, fallback: ChangeSource) -> ChangeSource {
    ChangeSource::PullRequestApi {
        number,
        expected_files: expected,
        fallback: Some(Box::new(fallback)),
    }
}

struct Case {
    name: &'static str,
    event: Option<EventPayload>,
    inputs: BaseInputs,
    expect: Result<ChangeSource, &'static str>,
    warnings: usize,
}

fn ok(
    name: &'static str,
    event: Option<EventPayload>,
    inputs: BaseInputs,
    expect: ChangeSource,
) -> Case {
    Case {
        name,
        event,
        inputs,
        expect: Ok(expect),
        warnings: 0,
    }
}

fn err(
    name: &'static str,
    event: Option<EventPayload>,
    inputs: BaseInputs,
    input: &'static str,
) -> Case {
    Case {
        name,
        event,
        inputs,
        expect: Err(input),
        warnings: 0,
    }
}

fn warned(mut case: Case, warnings: usize) -> Case {
    case.warnings = warnings;
    case
}

fn run(cases: Vec<Case>) {
    let mut failures = Vec::new();
    for case in cases {
        let got = plan(case.event.as_ref(), &case.inputs);
        // Asking for the default branch only when needed decides the same.
        let unasked = BaseInputs {
            default_branch: None,
            ..case.inputs.clone()
        };
        let asked = plan_asking(case.event.as_ref(), &unasked, || {
            case.inputs.default_branch.clone()
        });
        if asked != got {
            failures.push(format!(
                "{}: asking for the default branch gives {asked:?}\n   not {got:?}",
                case.name
            ));
        }
        match (&got, &case.expect) {
            (Ok(plan), Ok(source)) => {
                if &plan.source != source {
                    failures.push(format!(
                        "{}: expected {source:?}\n   got {:?}",
                        case.name, plan.source
                    ));
                }
                if plan.warnings.len() != case.warnings {
                    failures.push(format!(
                        "{}: expected {} warnings, got {:?}",
                        case.name, case.warnings, plan.warnings
                    ));
                }
                if plan.reason.is_empty() {
                    failures.push(format!("{}: empty reason", case.name));
                }
            }
            (Err(BaseError::MissingInput { input, .. }), Err(expected)) => {
                if input != expected {
                    failures.push(format!(
                        "{}: the error names `{input}`, expected `{expected}`",
                        case.name
                    ));
                }
                let message = got.as_ref().unwrap_err().to_string();
                if !message.contains(&format!("set the input `{expected}`")) {
                    failures.push(format!("{}: unhelpful error: {message}", case.name));
                }
            }
            (got, expected) => failures.push(format!(
                "{}: expected {expected:?}\n   got {got:?}",
                case.name
            )),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

// ---- push --------------------------------------------------------------------------------

#[test]
fn push_events() {
    // The first push example is a new tag; the others are derived from it (default: master).
    let tag = example("push", None);
    assert_eq!(tag["ref"], "refs/tags/simple-tag");
    let branch = |r: &str, before: &str| {
        payload(
            "push",
            with(
                tag.clone(),
                &[("/ref", json!(r)), ("/before", json!(before))],
            ),
        )
    };
    let base = |b: &str| BaseInputs {
        base: Some(b.to_owned()),
        ..inputs()
    };
    run(vec![
        ok(
            "new tag: the previous tag",
            Some(payload("push", tag.clone())),
            inputs(),
            ChangeSource::PreviousTag {
                head: HEAD.to_owned(),
            },
        ),
        ok(
            "moved tag: its previous commit, else the previous tag",
            Some(payload("push", with(tag.clone(), &[("/before", json!(B))]))),
            inputs(),
            range(
                B,
                HEAD,
                Some(ChangeSource::PreviousTag {
                    head: HEAD.to_owned(),
                }),
            ),
        ),
        ok(
            "deleted tag: nothing",
            Some(payload(
                "push",
                with(
                    tag.clone(),
                    &[
                        ("/before", json!(B)),
                        ("/after", json!(ZERO)),
                        ("/deleted", json!(true)),
                    ],
                ),
            )),
            inputs(),
            ChangeSource::NoChanges,
        ),
        ok(
            "first push of the default branch: every file",
            Some(branch("refs/heads/master", ZERO)),
            inputs(),
            all(HEAD),
        ),
        ok(
            "first push of another branch: merge-base with the default branch",
            Some(branch("refs/heads/feature", ZERO)),
            inputs(),
            merge_base("master", HEAD),
        ),
        ok(
            "push to the default branch: before..HEAD, else the last commit",
            Some(branch("refs/heads/master", B)),
            inputs(),
            range(B, HEAD, Some(last(HEAD))),
        ),
        ok(
            "push to another branch: merge-base with the default branch (dorny)",
            Some(branch("refs/heads/feature", B)),
            inputs(),
            merge_base("master", HEAD),
        ),
        ok(
            "base = the pushed branch: before..HEAD, else merge-base with the default branch",
            Some(branch("refs/heads/feature", B)),
            base("feature"),
            range(B, HEAD, Some(merge_base("master", HEAD))),
        ),
        ok(
            "base as a full ref",
            Some(branch("refs/heads/feature", B)),
            base("refs/heads/feature"),
            range(B, HEAD, Some(merge_base("master", HEAD))),
        ),
        ok(
            "base = another branch: merge-base",
            Some(branch("refs/heads/feature", B)),
            base("develop"),
            merge_base("develop", HEAD),
        ),
        ok(
            "base = a SHA: compared directly",
            Some(branch("refs/heads/feature", B)),
            base("2222222222222222222222222222222222222222"),
            range("2222222222222222222222222222222222222222", HEAD, None),
        ),
        ok(
            "base on a tag push: the generic rule",
            Some(payload("push", tag.clone())),
            base("main"),
            merge_base("main", HEAD),
        ),
        ok(
            "ref input is the head",
            Some(branch("refs/heads/master", B)),
            BaseInputs {
                ref_: Some("release".to_owned()),
                ..inputs()
            },
            merge_base("master", "release"),
        ),
        ok(
            "ref input naming the pushed branch",
            Some(branch("refs/heads/master", B)),
            BaseInputs {
                ref_: Some("refs/heads/master".to_owned()),
                ..inputs()
            },
            range(B, "refs/heads/master", Some(last("refs/heads/master"))),
        ),
        ok(
            "deleted branch: nothing",
            Some(payload(
                "push",
                with(
                    tag.clone(),
                    &[
                        ("/ref", json!("refs/heads/feature")),
                        ("/before", json!(B)),
                        ("/after", json!(ZERO)),
                    ],
                ),
            )),
            inputs(),
            ChangeSource::NoChanges,
        ),
        warned(
            ok(
                "no before on the default branch: the last commit, with a warning",
                Some(payload(
                    "push",
                    with(
                        tag.clone(),
                        &[
                            ("/ref", json!("refs/heads/master")),
                            ("/before", Value::Null),
                        ],
                    ),
                )),
                inputs(),
                last(HEAD),
            ),
            1,
        ),
        err(
            "no default branch anywhere: name `base`",
            Some(payload(
                "push",
                json!({"ref": "refs/heads/feature", "before": B, "after": B}),
            )),
            inputs(),
            "base",
        ),
        ok(
            "no default branch in the payload, given by the caller",
            Some(payload(
                "push",
                json!({"ref": "refs/heads/feature", "before": ZERO, "after": B}),
            )),
            BaseInputs {
                default_branch: Some("main".to_owned()),
                ..inputs()
            },
            merge_base("main", HEAD),
        ),
        err(
            "empty payload",
            Some(payload("push", json!({}))),
            inputs(),
            "base",
        ),
        warned(
            ok(
                "empty payload with a default branch and GITHUB_REF: the last commit",
                Some(payload("push", json!({}))),
                BaseInputs {
                    default_branch: Some("main".to_owned()),
                    current_ref: Some("refs/heads/main".to_owned()),
                    ..inputs()
                },
                last(HEAD),
            ),
            1,
        ),
        ok(
            "fields of the wrong type read as absent",
            Some(payload(
                "push",
                json!({"ref": 7, "before": [1], "after": {"x": 1}, "deleted": "yes",
                       "repository": {"default_branch": "main"}}),
            )),
            BaseInputs {
                current_ref: Some("refs/heads/topic".to_owned()),
                ..inputs()
            },
            merge_base("main", HEAD),
        ),
    ]);
}

// ---- pull requests -----------------------------------------------------------------------

#[test]
fn pull_request_events() {
    let opened = example("pull_request", Some("opened"));
    let base_sha = opened["pull_request"]["base"]["sha"]
        .as_str()
        .unwrap()
        .to_owned();
    let head_sha = opened["pull_request"]["head"]["sha"]
        .as_str()
        .unwrap()
        .to_owned();
    let number = opened["pull_request"]["number"].as_u64().unwrap();
    let changed = opened["pull_request"]["changed_files"].as_u64();
    let review = example("pull_request_review", Some("submitted"));
    let comment = example("pull_request_review_comment", Some("created"));
    let git = merge_base(&base_sha, HEAD);
    run(vec![
        ok(
            "token: the API, git as the fallback",
            Some(payload("pull_request", opened.clone())),
            token(),
            api(number, changed, git.clone()),
        ),
        ok(
            "no token: merge-base with the base commit",
            Some(payload("pull_request", opened.clone())),
            inputs(),
            git.clone(),
        ),
        ok(
            "no token, base input: merge-base with it",
            Some(payload("pull_request", opened.clone())),
            BaseInputs {
                base: Some("refs/heads/develop".to_owned()),
                ..inputs()
            },
            merge_base("develop", HEAD),
        ),
        ok(
            "no token, ref input: the head",
            Some(payload("pull_request", opened.clone())),
            BaseInputs {
                ref_: Some(head_sha.clone()),
                ..inputs()
            },
            merge_base(&base_sha, &head_sha),
        ),
        warned(
            ok(
                "token with base and ref: both ignored for the API, with warnings",
                Some(payload("pull_request", opened.clone())),
                BaseInputs {
                    base: Some("develop".to_owned()),
                    ref_: Some("topic".to_owned()),
                    token_present: true,
                    ..inputs()
                },
                api(number, changed, merge_base("develop", "topic")),
            ),
            2,
        ),
        ok(
            "pull_request_target, token: the API",
            Some(payload("pull_request_target", opened.clone())),
            token(),
            api(number, changed, merge_base(&base_sha, &head_sha)),
        ),
        ok(
            "pull_request_target, no token: the head commit, not the checked-out base (dorny fails)",
            Some(payload("pull_request_target", opened.clone())),
            inputs(),
            merge_base(&base_sha, &head_sha),
        ),
        err(
            "pull_request_target, no token, no head sha: name `ref`",
            Some(payload(
                "pull_request_target",
                with(opened.clone(), &[("/pull_request/head/sha", Value::Null)]),
            )),
            inputs(),
            "ref",
        ),
        ok(
            "pull_request_review: as pull_request",
            Some(payload("pull_request_review", review.clone())),
            token(),
            api(
                review["pull_request"]["number"].as_u64().unwrap(),
                review["pull_request"]["changed_files"].as_u64(),
                merge_base(
                    review["pull_request"]["base"]["sha"].as_str().unwrap(),
                    HEAD,
                ),
            ),
        ),
        ok(
            "pull_request_review_comment, no token",
            Some(payload("pull_request_review_comment", comment.clone())),
            inputs(),
            merge_base(
                comment["pull_request"]["base"]["sha"].as_str().unwrap(),
                HEAD,
            ),
        ),
        ok(
            "no base sha: the base branch",
            Some(payload(
                "pull_request",
                with(opened.clone(), &[("/pull_request/base/sha", Value::Null)]),
            )),
            inputs(),
            merge_base("master", HEAD),
        ),
        ok(
            "token, no base at all: the API without a fallback",
            Some(payload(
                "pull_request",
                json!({"number": 9, "pull_request": {"changed_files": 3}}),
            )),
            token(),
            ChangeSource::PullRequestApi {
                number: 9,
                expected_files: Some(3),
                fallback: None,
            },
        ),
        err(
            "no token, empty payload: name `base`",
            Some(payload("pull_request", json!({}))),
            inputs(),
            "base",
        ),
        warned(
            ok(
                "token but no number: git, with a warning",
                Some(payload(
                    "pull_request",
                    json!({"pull_request": {"base": {"sha": B}}}),
                )),
                token(),
                merge_base(B, HEAD),
            ),
            1,
        ),
        err(
            "token, no number, no base: name `base`",
            Some(payload(
                "pull_request_review",
                json!({"pull_request": null}),
            )),
            token(),
            "base",
        ),
        ok(
            "wrong types read as absent; the number from the event",
            Some(payload(
                "pull_request",
                json!({"number": 4, "pull_request": {"number": "four", "changed_files": "x",
                        "base": {"sha": 5, "ref": "main"}}}),
            )),
            token(),
            api(4, None, merge_base("main", HEAD)),
        ),
        ok(
            "review payload that is not an object",
            Some(payload("pull_request_review", json!([1, 2]))),
            BaseInputs {
                base: Some("main".to_owned()),
                ..inputs()
            },
            merge_base("main", HEAD),
        ),
    ]);
}

// ---- merge queue, runs, dispatches, schedules ---------------------------------------------

#[test]
fn merge_group_events() {
    let group = example("merge_group", Some("checks_requested"));
    let base_sha = group["merge_group"]["base_sha"]
        .as_str()
        .unwrap()
        .to_owned();
    run(vec![
        ok(
            "merge-base with merge_group.base_sha",
            Some(payload("merge_group", group.clone())),
            token(),
            merge_base(&base_sha, HEAD),
        ),
        ok(
            "no base_sha: base_ref",
            Some(payload(
                "merge_group",
                with(group.clone(), &[("/merge_group/base_sha", Value::Null)]),
            )),
            inputs(),
            merge_base("main", HEAD),
        ),
        ok(
            "base input: the generic rule",
            Some(payload("merge_group", group.clone())),
            BaseInputs {
                base: Some("develop".to_owned()),
                ..inputs()
            },
            merge_base("develop", HEAD),
        ),
        err(
            "empty payload",
            Some(payload("merge_group", json!({}))),
            inputs(),
            "base",
        ),
        ok(
            "empty payload, default branch given",
            Some(payload("merge_group", json!({"merge_group": null}))),
            BaseInputs {
                default_branch: Some("trunk".to_owned()),
                ..inputs()
            },
            merge_base("trunk", HEAD),
        ),
    ]);
}

#[test]
fn workflow_run_events() {
    let completed = example("workflow_run", Some("completed"));
    let head_sha = completed["workflow_run"]["head_sha"]
        .as_str()
        .unwrap()
        .to_owned();
    let same_repo = with(
        completed.clone(),
        &[(
            "/workflow_run/head_repository/full_name",
            completed["repository"]["full_name"].clone(),
        )],
    );
    let pr_run = with(
        same_repo.clone(),
        &[(
            "/workflow_run/pull_requests",
            json!([{"number": 12, "base": {"ref": "main", "sha": B}, "head": {"ref": "topic"}}]),
        )],
    );
    run(vec![
        ok(
            "from a fork (example payload): merge-base with the default branch",
            Some(payload("workflow_run", completed.clone())),
            inputs(),
            merge_base("main", &head_sha),
        ),
        ok(
            "on the default branch: the run's last commit",
            Some(payload("workflow_run", same_repo.clone())),
            inputs(),
            last(&head_sha),
        ),
        ok(
            "on another branch: merge-base with the default branch",
            Some(payload(
                "workflow_run",
                with(
                    same_repo.clone(),
                    &[("/workflow_run/head_branch", json!("topic"))],
                ),
            )),
            inputs(),
            merge_base("main", &head_sha),
        ),
        ok(
            "a pull request's run with a token: the API",
            Some(payload("workflow_run", pr_run.clone())),
            token(),
            api(12, None, merge_base(B, &head_sha)),
        ),
        ok(
            "a pull request's run without a token: merge-base with its base",
            Some(payload("workflow_run", pr_run.clone())),
            inputs(),
            merge_base(B, &head_sha),
        ),
        ok(
            "base input",
            Some(payload("workflow_run", same_repo.clone())),
            BaseInputs {
                base: Some("main".to_owned()),
                ..inputs()
            },
            last(&head_sha),
        ),
        warned(
            err(
                "empty payload: name `base`",
                Some(payload("workflow_run", json!({}))),
                inputs(),
                "base",
            ),
            1,
        ),
        warned(
            ok(
                "no head_sha: the checked-out HEAD, with a warning",
                Some(payload(
                    "workflow_run",
                    json!({"workflow_run": {"head_branch": "main"},
                           "repository": {"default_branch": "main"}}),
                )),
                inputs(),
                last(HEAD),
            ),
            1,
        ),
    ]);
}

#[test]
fn dispatch_schedule_and_other_events() {
    let dispatch = example("workflow_dispatch", None);
    assert_eq!(dispatch["ref"], "refs/heads/main");
    let repo_dispatch = example("repository_dispatch", None);
    let on = |r: &str| BaseInputs {
        current_ref: Some(r.to_owned()),
        ..inputs()
    };
    run(vec![
        ok(
            "workflow_dispatch on the default branch: the last commit",
            Some(payload("workflow_dispatch", dispatch.clone())),
            inputs(),
            last(HEAD),
        ),
        ok(
            "workflow_dispatch on another branch: merge-base with the default branch",
            Some(payload(
                "workflow_dispatch",
                with(dispatch.clone(), &[("/ref", json!("refs/heads/topic"))]),
            )),
            inputs(),
            merge_base("main", HEAD),
        ),
        ok(
            "workflow_dispatch with a base SHA",
            Some(payload("workflow_dispatch", dispatch.clone())),
            BaseInputs {
                base: Some(B.to_owned()),
                ..inputs()
            },
            range(B, HEAD, None),
        ),
        ok(
            "repository_dispatch on its branch (the default): the last commit",
            Some(payload("repository_dispatch", repo_dispatch.clone())),
            inputs(),
            last(HEAD),
        ),
        ok(
            "schedule on the default branch (GITHUB_REF): the last commit",
            Some(payload(
                "schedule",
                json!({"schedule": "0 0 * * *", "repository": {"default_branch": "main"}}),
            )),
            on("refs/heads/main"),
            last(HEAD),
        ),
        ok(
            "schedule without GITHUB_REF: merge-base with the default branch",
            Some(payload(
                "schedule",
                json!({"repository": {"default_branch": "main"}}),
            )),
            inputs(),
            merge_base("main", HEAD),
        ),
        err(
            "schedule, empty payload: name `base`",
            Some(payload("schedule", json!({}))),
            on("refs/heads/main"),
            "base",
        ),
        ok(
            "an event gantry does not model",
            Some(payload(
                "issues",
                json!({"action": "opened", "repository": {"default_branch": "main"}}),
            )),
            on("refs/heads/feature"),
            merge_base("main", HEAD),
        ),
        ok(
            "no event (CLI) on the default branch",
            None,
            BaseInputs {
                default_branch: Some("main".to_owned()),
                current_ref: Some("main".to_owned()),
                ..inputs()
            },
            last(HEAD),
        ),
        ok(
            "no event (CLI) with base",
            None,
            BaseInputs {
                base: Some("origin-main".to_owned()),
                ..inputs()
            },
            merge_base("origin-main", HEAD),
        ),
        err("no event, no base: name `base`", None, inputs(), "base"),
    ]);
}

#[test]
fn base_head_means_the_working_tree_on_every_event() {
    let head = BaseInputs {
        base: Some("HEAD".to_owned()),
        ..token()
    };
    let events = [
        payload("push", example("push", None)),
        payload("pull_request", example("pull_request", Some("opened"))),
        payload("merge_group", json!({})),
        payload("schedule", json!({})),
    ];
    let mut cases: Vec<Case> = events
        .into_iter()
        .map(|e| {
            ok(
                "base HEAD",
                Some(e),
                head.clone(),
                ChangeSource::WorkingTree { untracked: true },
            )
        })
        .collect();
    cases.push(ok(
        "base HEAD without an event",
        None,
        head.clone(),
        ChangeSource::WorkingTree { untracked: true },
    ));
    cases.push(warned(
        ok(
            "ref is ignored, with a warning",
            None,
            BaseInputs {
                ref_: Some("main".to_owned()),
                ..head
            },
            ChangeSource::WorkingTree { untracked: true },
        ),
        1,
    ));
    run(cases);
}

#[test]
fn the_default_branch_is_asked_for_only_when_the_decision_needs_it() {
    let asks = |event: Option<EventPayload>, inputs: BaseInputs| {
        let asked = std::cell::Cell::new(false);
        let plan = plan_asking(event.as_ref(), &inputs, || {
            asked.set(true);
            Some("main".to_owned())
        });
        (asked.get(), plan.map(|p| p.source))
    };
    let base = |b: &str, current: &str| BaseInputs {
        base: Some(b.to_owned()),
        current_ref: Some(current.to_owned()),
        ..inputs()
    };
    // A base that is not the branch being built: the default branch plays no part.
    assert_eq!(
        asks(None, base("HEAD~1", "refs/heads/main")),
        (false, Ok(merge_base("HEAD~1", HEAD)))
    );
    assert_eq!(
        asks(None, base(B, "refs/heads/feature")),
        (false, Ok(range(B, HEAD, None)))
    );
    // No base: the default branch is the base.
    let current = BaseInputs {
        current_ref: Some("refs/heads/feature".to_owned()),
        ..inputs()
    };
    assert_eq!(asks(None, current), (true, Ok(merge_base("main", HEAD))));
    // The base is the branch being built: whether the default branch differs decides.
    assert_eq!(
        asks(None, base("release", "refs/heads/release")),
        (true, Ok(last(HEAD)))
    );
    // Named by the payload: never asked.
    let push = payload(
        "push",
        json!({"ref": "refs/heads/feature", "before": B, "after": B,
               "repository": {"default_branch": "trunk"}}),
    );
    assert_eq!(
        asks(Some(push), inputs()),
        (false, Ok(merge_base("trunk", HEAD)))
    );
}

#[test]
fn reasons_are_readable() {
    let push = payload(
        "push",
        json!({"ref": "refs/heads/main", "before": B, "after": B,
               "repository": {"default_branch": "main"}}),
    );
    let plan = plan(Some(&push), &inputs()).unwrap();
    assert_eq!(
        plan.reason,
        "push to main: comparing the commit before the push (1111111) with HEAD (if it is gone after a force push: git diff HEAD^..HEAD)"
    );
    assert_eq!(plan.source.describe(), "git diff 1111111..HEAD");
    let error = super::plan(None, &inputs()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot tell what to compare for the '(none)' event: no input `base`, and the payload has no repository.default_branch to compare with; set the input `base` (a branch such as `main`, a tag, or a commit SHA to compare with; `HEAD` for uncommitted changes)"
    );
}

#[test]
fn sha_and_ref_helpers() {
    assert!(is_sha(B));
    assert!(is_sha(&"ab".repeat(32)));
    assert!(!is_sha("1111111"));
    assert!(!is_sha(&"g".repeat(40)));
    assert_eq!(short_ref("refs/heads/a/b"), "a/b");
    assert_eq!(short_ref("refs/tags/v1"), "v1");
    assert_eq!(short_ref("refs/pull/1/merge"), "refs/pull/1/merge");
    assert_eq!(short_ref("main"), "main");
}

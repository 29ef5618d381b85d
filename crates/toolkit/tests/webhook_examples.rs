//! Every relevant example payload of `@octokit/webhooks-examples` (real payloads GitHub sent)
//! parses into the typed `Event`, with its key fields present.
//!
//! The package is installed by `scripts/setup` into `.tools/node/node_modules/`; these tests
//! fail (never skip) when it is missing.
// Helpers here are test code too: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use gantry_toolkit::{Event, EventPayload};
use serde_json::Value;

fn examples_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GANTRY_WEBHOOK_EXAMPLES").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../.tools/node/node_modules/@octokit/webhooks-examples")
}

/// `{event name: [payload, ...]}` from the package's `api.github.com/index.json`.
fn examples(name: &str) -> Vec<Value> {
    let index = examples_dir().join("api.github.com/index.json");
    let text = std::fs::read_to_string(&index).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): the @octokit/webhooks-examples npm package is missing; \
             run scripts/setup (or set GANTRY_WEBHOOK_EXAMPLES to the package directory)",
            index.display()
        )
    });
    let webhooks: Vec<Value> = serde_json::from_str(&text).unwrap();
    webhooks
        .into_iter()
        .find(|w| w["name"] == name)
        .map(|w| w["examples"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default()
}

fn is_sha(s: Option<&str>) -> bool {
    s.is_some_and(|s| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn parse(name: &str, payload: Value) -> EventPayload {
    let text = serde_json::to_string(&payload).unwrap();
    EventPayload::parse(name, &text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn push() {
    let examples = examples("push");
    assert!(
        examples.len() >= 5,
        "expected several push examples, found {}",
        examples.len()
    );
    for payload in examples {
        let parsed = parse("push", payload.clone());
        let Event::Push(push) = &parsed.event else {
            panic!("push parsed as {:?}", parsed.event);
        };
        assert!(is_sha(push.after.as_deref()), "after: {:?}", push.after);
        assert!(is_sha(push.before.as_deref()), "before: {:?}", push.before);
        let git_ref = push.git_ref.as_deref().unwrap();
        assert!(git_ref.starts_with("refs/"), "{git_ref}");
        assert!(push.branch().is_some() || push.tag().is_some(), "{git_ref}");
        assert_eq!(push.created, payload["created"] == true);
        assert_eq!(push.deleted, payload["deleted"] == true);
        assert_eq!(
            push.commits.len(),
            payload["commits"].as_array().unwrap().len()
        );
        if push.deleted {
            assert!(push.head_commit.is_none());
            assert_eq!(parsed.event.head_sha(), None);
        } else {
            let head = push.head_commit.as_ref().unwrap();
            assert_eq!(head.id, push.after);
            assert_eq!(parsed.event.head_sha(), push.after.as_deref());
        }
        for commit in &push.commits {
            assert!(is_sha(commit.id.as_deref()));
            assert!(commit.message.is_some());
        }
        let repo = push.repository.as_ref().unwrap();
        assert!(repo.full_name.as_deref().unwrap().contains('/'));
        assert!(repo.id.is_some());
        assert_eq!(parsed.raw, payload);
    }
}

#[test]
fn pull_request_and_pull_request_target() {
    let examples = examples("pull_request");
    assert!(examples.len() >= 20, "found {}", examples.len());
    for payload in examples {
        for name in ["pull_request", "pull_request_target"] {
            let parsed = parse(name, payload.clone());
            assert_eq!(parsed.name, name);
            let Event::PullRequest(e) = &parsed.event else {
                panic!("{name} parsed as {:?}", parsed.event);
            };
            let pr = &e.pull_request;
            assert!(e.action.is_some());
            assert!(e.number.is_some());
            assert_eq!(pr.number, e.number);
            assert!(is_sha(pr.base.sha.as_deref()), "base sha {:?}", pr.base.sha);
            assert!(is_sha(pr.head.sha.as_deref()), "head sha {:?}", pr.head.sha);
            assert!(pr.base.git_ref.as_deref().is_some_and(|r| !r.is_empty()));
            assert!(pr.head.git_ref.as_deref().is_some_and(|r| !r.is_empty()));
            assert!(pr.changed_files.is_some());
            assert!(pr.commits.is_some());
            assert_eq!(parsed.event.base_sha(), pr.base.sha.as_deref());
            assert_eq!(parsed.event.head_sha(), pr.head.sha.as_deref());
            assert!(pr.is_from_fork().is_some());
        }
    }
}

#[test]
fn merge_group() {
    let examples = examples("merge_group");
    assert!(!examples.is_empty());
    for payload in examples {
        let parsed = parse("merge_group", payload);
        let Event::MergeGroup(e) = &parsed.event else {
            panic!("parsed as {:?}", parsed.event);
        };
        let mg = &e.merge_group;
        assert!(is_sha(mg.head_sha.as_deref()));
        assert!(is_sha(mg.base_sha.as_deref()));
        assert!(
            mg.head_ref
                .as_deref()
                .unwrap()
                .starts_with("refs/heads/gh-readonly-queue/")
        );
        assert!(mg.base_ref.as_deref().unwrap().starts_with("refs/heads/"));
        assert_eq!(parsed.event.head_sha(), mg.head_sha.as_deref());
        assert_eq!(parsed.event.base_sha(), mg.base_sha.as_deref());
    }
}

#[test]
fn workflow_dispatch() {
    let examples = examples("workflow_dispatch");
    assert!(!examples.is_empty());
    for payload in examples {
        let parsed = parse("workflow_dispatch", payload.clone());
        let Event::WorkflowDispatch(e) = &parsed.event else {
            panic!("parsed as {:?}", parsed.event);
        };
        assert!(e.git_ref.as_deref().unwrap().starts_with("refs/heads/"));
        assert_eq!(
            e.inputs.len(),
            payload["inputs"].as_object().map_or(0, |m| m.len())
        );
        assert!(e.repository.is_some());
    }
}

#[test]
fn workflow_run() {
    let examples = examples("workflow_run");
    assert!(!examples.is_empty());
    for payload in examples {
        let parsed = parse("workflow_run", payload.clone());
        let Event::WorkflowRun(e) = &parsed.event else {
            panic!("parsed as {:?}", parsed.event);
        };
        let run = &e.workflow_run;
        assert!(is_sha(run.head_sha.as_deref()));
        assert!(run.head_branch.is_some());
        assert!(run.event.is_some());
        assert!(run.id.is_some());
        assert_eq!(
            run.conclusion.as_deref(),
            payload["workflow_run"]["conclusion"].as_str()
        );
        assert_eq!(parsed.event.head_sha(), run.head_sha.as_deref());
    }
}

#[test]
fn repository_dispatch() {
    let examples = examples("repository_dispatch");
    assert!(!examples.is_empty());
    for payload in examples {
        let parsed = parse("repository_dispatch", payload.clone());
        let Event::RepositoryDispatch(e) = &parsed.event else {
            panic!("parsed as {:?}", parsed.event);
        };
        assert!(e.action.is_some());
        assert!(e.branch.is_some());
        assert_eq!(e.client_payload, payload["client_payload"]);
    }
}

#[test]
fn schedule_if_present() {
    // The package has no schedule examples today; parse any that appear.
    for payload in examples("schedule") {
        let parsed = parse("schedule", payload);
        let Event::Schedule(e) = &parsed.event else {
            panic!("parsed as {:?}", parsed.event);
        };
        assert!(e.schedule.is_some());
    }
}

#[test]
fn every_other_example_parses_without_error() {
    let index = examples_dir().join("api.github.com/index.json");
    let text = std::fs::read_to_string(&index)
        .unwrap_or_else(|e| panic!("cannot read {} ({e}): run scripts/setup", index.display()));
    let webhooks: Vec<Value> = serde_json::from_str(&text).unwrap();
    let mut count = 0;
    for webhook in webhooks {
        let name = webhook["name"].as_str().unwrap();
        for payload in webhook["examples"].as_array().unwrap() {
            parse(name, payload.clone());
            count += 1;
        }
    }
    assert!(count > 200, "only {count} examples");
}

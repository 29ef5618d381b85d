use serde_json::{Value, json};

use super::*;

/// The commit followed.
const C: &str = "cccccccccccccccccccccccccccccccccccccccc";
/// The revision before it (does not contain it).
const OLD: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// A later commit of the branch (contains it).
const LATER: &str = "dddddddddddddddddddddddddddddddddddddddd";

fn app(value: Value) -> Application {
    serde_json::from_value(value).unwrap()
}

/// An application compared with `revision`, `sync`, `health`, automated sync.
fn status(revision: &str, sync: &str, health: &str) -> Value {
    json!({
        "metadata": {"name": "api", "namespace": "argocd"},
        "spec": {"project": "default", "syncPolicy": {"automated": {"prune": true}}},
        "status": {
            "sync": {"status": sync, "revision": revision},
            "health": {"status": health},
            "reconciledAt": "2024-01-01T00:00:00Z"
        }
    })
}

fn with(mut base: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let slot = if parent.is_empty() {
        &mut base
    } else {
        base.pointer_mut(parent).unwrap()
    };
    slot[key] = value;
    base
}

fn decide_it(app_json: Value) -> (Decision, Vec<String>) {
    let mut asked = Vec::new();
    let mut contains = |revision: &str| {
        asked.push(revision.to_owned());
        revision == LATER
    };
    let decision = decide(&app(app_json), C, &mut contains);
    (decision, asked)
}

#[test]
fn the_rules_in_a_table() {
    let deployment_degraded = json!([{
        "group": "apps", "kind": "Deployment", "namespace": "shop", "name": "api",
        "health": {"status": "Degraded", "message": "Deployment \"api\" exceeded its progress deadline"}
    }, {
        "kind": "Service", "namespace": "shop", "name": "api", "health": {"status": "Healthy"}
    }]);
    let deployment_progressing = json!([{
        "kind": "Deployment", "namespace": "shop", "name": "api",
        "health": {"status": "Progressing", "message": "Waiting for rollout to finish: 1 old replicas are pending termination..."}
    }]);
    let failed_op = |phase: &str, revision: &str| {
        json!({
            "phase": phase,
            "message": "one or more objects failed to apply, reason: Deployment.apps \"api\" is invalid",
            "operation": {"sync": {"revision": revision}},
            "syncResult": {"revision": revision},
            "startedAt": "2024-01-01T00:00:00Z",
            "finishedAt": "2024-01-01T00:00:05Z"
        })
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "synced and healthy on the commit",
            status(C, "Synced", "Healthy"),
            "synced to ccccccc and Healthy",
        ),
        (
            "synced and healthy on a later commit that contains it",
            status(LATER, "Synced", "Healthy"),
            "synced to ddddddd and Healthy",
        ),
        (
            "still on the old revision",
            status(OLD, "Synced", "Healthy"),
            "Argo CD has not seen commit ccccccc yet (it compares with aaaaaaa)",
        ),
        (
            "degraded on the old revision is not ours",
            with(
                status(OLD, "Synced", "Degraded"),
                "/status/resources",
                deployment_degraded.clone(),
            ),
            "Argo CD has not seen commit ccccccc yet (it compares with aaaaaaa)",
        ),
        (
            "seen, not synced yet (automated)",
            status(C, "OutOfSync", "Healthy"),
            "Argo CD has not synced ccccccc yet (OutOfSync)",
        ),
        (
            "seen, not synced, no automated sync",
            with(
                status(C, "OutOfSync", "Healthy"),
                "/spec/syncPolicy",
                json!(null),
            ),
            "Argo CD has not synced ccccccc yet (OutOfSync; the application has no automated sync)",
        ),
        (
            "automated sync turned off with enabled: false",
            with(
                status(C, "OutOfSync", "Healthy"),
                "/spec/syncPolicy/automated/enabled",
                json!(false),
            ),
            "Argo CD has not synced ccccccc yet (OutOfSync; the application has no automated sync)",
        ),
        (
            "out of sync and degraded: the live state is the old revision's",
            status(C, "OutOfSync", "Degraded"),
            "Argo CD has not synced ccccccc yet (OutOfSync)",
        ),
        (
            "synced and progressing",
            with(
                status(C, "Synced", "Progressing"),
                "/status/resources",
                deployment_progressing,
            ),
            "synced to ccccccc, health Progressing: Deployment shop/api: Waiting for rollout to finish: 1 old replicas are pending termination...",
        ),
        (
            "synced and suspended",
            status(C, "Synced", "Suspended"),
            "synced to ccccccc, health Suspended",
        ),
        (
            "synced and missing",
            with(
                status(C, "Synced", "Missing"),
                "/status/health/message",
                json!("Resource has not been created"),
            ),
            "synced to ccccccc, health Missing: Resource has not been created",
        ),
        (
            "synced, health unknown",
            status(C, "Synced", "Unknown"),
            "synced to ccccccc, health Unknown",
        ),
        (
            "synced, a health code this version does not know",
            status(C, "Synced", "Hibernating"),
            "synced to ccccccc, health Hibernating",
        ),
        (
            "synced and degraded on the commit",
            with(
                status(C, "Synced", "Degraded"),
                "/status/resources",
                deployment_degraded.clone(),
            ),
            "Argo CD reports the application Degraded at ccccccc: Deployment shop/api: Deployment \"api\" exceeded its progress deadline",
        ),
        (
            "degraded on a later commit",
            status(LATER, "Synced", "Degraded"),
            "Argo CD reports the application Degraded at ddddddd: no message",
        ),
        (
            "cannot compare",
            with(
                status(C, "Unknown", "Healthy"),
                "/status/conditions",
                json!([
                    {"type": "ComparisonError", "message": "rpc error: code = Unknown desc = kustomize build failed"},
                    {"type": "OrphanedResourceWarning", "message": "1 orphaned resource"}
                ]),
            ),
            "Argo CD cannot compare the live state with ccccccc (sync status Unknown); ComparisonError: rpc error: code = Unknown desc = kustomize build failed",
        ),
        (
            "an operation running on the commit",
            with(
                status(OLD, "OutOfSync", "Healthy"),
                "/status/operationState",
                json!({"phase": "Running", "message": "waiting for healthy state of apps/Deployment/api", "operation": {"sync": {"revision": C}}}),
            ),
            "a sync operation to ccccccc is Running: waiting for healthy state of apps/Deployment/api",
        ),
        (
            "an operation retrying after a failure stays Running",
            with(
                status(C, "OutOfSync", "Degraded"),
                "/status/operationState",
                json!({"phase": "Running", "message": "one or more objects failed to apply. Retrying attempt #1 at 3:04PM.", "operation": {"sync": {"revision": C}}, "syncResult": {"revision": C}}),
            ),
            "a sync operation to ccccccc is Running: one or more objects failed to apply. Retrying attempt #1 at 3:04PM.",
        ),
        (
            "an operation terminating",
            with(
                status(C, "OutOfSync", "Healthy"),
                "/status/operationState",
                json!({"phase": "Terminating", "operation": {"sync": {}}}),
            ),
            "a sync operation is Terminating",
        ),
        (
            "the sync of the commit failed",
            with(
                status(C, "OutOfSync", "Healthy"),
                "/status/operationState",
                failed_op("Failed", C),
            ),
            "Argo CD's sync to ccccccc ended Failed: one or more objects failed to apply, reason: Deployment.apps \"api\" is invalid",
        ),
        (
            "the sync of a later commit ended in error (requested revision only)",
            with(
                status(LATER, "Unknown", "Healthy"),
                "/status/operationState",
                json!({"phase": "Error", "message": "ComparisonError: manifest generation failed", "operation": {"sync": {"revision": LATER}}}),
            ),
            "Argo CD's sync to ddddddd ended Error: ComparisonError: manifest generation failed",
        ),
        (
            "a failed sync of the old revision is not ours",
            with(
                status(OLD, "OutOfSync", "Healthy"),
                "/status/operationState",
                failed_op("Failed", OLD),
            ),
            "Argo CD has not seen commit ccccccc yet (it compares with aaaaaaa)",
        ),
        (
            "a failed sync of the old revision, then the commit synced",
            with(
                status(C, "Synced", "Healthy"),
                "/status/operationState",
                failed_op("Failed", OLD),
            ),
            "synced to ccccccc and Healthy",
        ),
        (
            "a succeeded sync and a rollout in progress",
            with(
                status(C, "Synced", "Progressing"),
                "/status/operationState",
                json!({"phase": "Succeeded", "message": "successfully synced (all tasks run)", "syncResult": {"revision": C}}),
            ),
            "synced to ccccccc, health Progressing",
        ),
        (
            "a sync requested, not started",
            with(
                status(OLD, "OutOfSync", "Healthy"),
                "/operation",
                json!({"sync": {"prune": false}, "initiatedBy": {"username": "ci"}}),
            ),
            "a sync is requested and not started yet",
        ),
        (
            "multi-source: a chart version and the commit",
            json!({
                "metadata": {"name": "api"},
                "status": {
                    "sync": {"status": "Synced", "revisions": ["1.2.3", C]},
                    "health": {"status": "Healthy"}
                }
            }),
            "synced to ccccccc and Healthy",
        ),
        (
            "nothing compared yet",
            json!({"metadata": {"name": "api"}}),
            "Argo CD has not seen commit ccccccc yet (it has compared no revision yet)",
        ),
        (
            "nulls where objects and lists go",
            json!({
                "metadata": {"name": "api", "namespace": null},
                "spec": null,
                "status": {"sync": {"status": null, "revision": null, "revisions": null},
                           "health": null, "conditions": null, "resources": null,
                           "operationState": null}
            }),
            "Argo CD has not seen commit ccccccc yet (it has compared no revision yet)",
        ),
    ];
    for (name, app_json, expected) in cases {
        let (decision, _) = decide_it(app_json);
        assert_eq!(decision.to_string(), expected, "{name}");
    }
}

#[test]
fn decisions_carry_the_revision_and_phase() {
    assert_eq!(
        decide_it(status(LATER, "Synced", "Healthy")).0,
        Decision::Healthy {
            revision: LATER.to_owned()
        }
    );
    let (failed, _) = decide_it(with(
        status(C, "OutOfSync", "Healthy"),
        "/status/operationState",
        json!({"phase": "Error", "syncResult": {"revision": C}}),
    ));
    assert_eq!(
        failed,
        Decision::Failed(Failure::SyncFailed {
            phase: Phase::Error,
            revision: C.to_owned(),
            message: "no message".to_owned()
        })
    );
    let (waiting, _) = decide_it(status(OLD, "Synced", "Healthy"));
    assert_eq!(
        waiting,
        Decision::Waiting(Waiting::NotSeen {
            commit: C.to_owned(),
            compared: Some(OLD.to_owned()),
            errors: vec![]
        })
    );
}

#[test]
fn the_commit_itself_is_never_asked_about() {
    let (_, asked) = decide_it(status(C, "Synced", "Healthy"));
    assert!(asked.is_empty(), "{asked:?}");
    // Upper-case SHAs are the same commit.
    let (decision, asked) = decide_it(status(&C.to_uppercase(), "Synced", "Healthy"));
    assert!(matches!(decision, Decision::Healthy { .. }), "{decision:?}");
    assert!(asked.is_empty());
    let (_, asked) = decide_it(status(OLD, "Synced", "Healthy"));
    assert_eq!(asked, [OLD]);
}

#[test]
fn many_degraded_resources_are_summed_up() {
    let resources: Vec<Value> = (1..=5)
        .map(|i| {
            json!({"kind": "Deployment", "namespace": "shop", "name": format!("w{i}"),
                   "health": {"status": "Degraded"}})
        })
        .collect();
    let (decision, _) = decide_it(with(
        with(
            status(C, "Synced", "Degraded"),
            "/status/resources",
            json!(resources),
        ),
        "/status/health/message",
        json!("2 of 5 workloads failed"),
    ));
    assert_eq!(
        decision.to_string(),
        "Argo CD reports the application Degraded at ccccccc: 2 of 5 workloads failed; Deployment shop/w1; Deployment shop/w2; Deployment shop/w3; and 2 more"
    );
}

#[test]
fn short_shas() {
    assert_eq!(short(C), "ccccccc");
    assert_eq!(short("HEAD"), "HEAD");
    assert_eq!(short("1.2.3"), "1.2.3");
}

//! What a run deploys and whether it deploys at all (pure): which controller deploys the
//! service, which task definition to register or to reuse (and how a rollback by image tag
//! finds one), whether the run may still change the service, whether anything changes, and the
//! UpdateService that does it. Over the tool's own types ([`ServiceSnapshot`], task definition
//! JSON, [`Changes`], [`ImageRef`]), never over SDK types or input strings; [`crate::run`]
//! fetches what these need and acts on what they decide.

use gantry_toolkit::Signal;
use serde_json::Value;

use gantry_ecs::deploy::check_deployable;
use gantry_ecs::diff::{Change, diff};
use gantry_ecs::image::ImageRef;
use gantry_ecs::taskdef::{self, image_of, short_name};
use gantry_ecs::{CircuitBreaker, Deployment, RolloutState, ServiceSnapshot, ServiceUpdate};

use crate::config::{Changes, Config, PropagateTags};
use crate::error::RolloutError;
use crate::render::{render, target_container};

/// Who deploys the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// ECS itself (rolling update, blue/green, linear, canary): UpdateService, then the
    /// deployment it started is watched by id.
    Ecs,
    /// CodeDeploy, with an AppSpec whose load balancer sends traffic to `container` on `port`.
    CodeDeploy { container: String, port: i32 },
}

/// Which controller deploys `before`, refusing what ecs-rollout cannot deploy. A CODE_DEPLOY
/// service is deployed through CodeDeploy (other callers of [`check_deployable`] refuse it),
/// and needs a load balancer for the AppSpec. `service`: the service as the caller named it,
/// for the error.
pub fn route(before: &ServiceSnapshot, service: &str) -> Result<Route, RolloutError> {
    match check_deployable(before) {
        Ok(()) => Ok(Route::Ecs),
        Err(gantry_ecs::Error::CodeDeployController { .. }) => {
            match before.load_balancers.first() {
                Some((container, port)) => Ok(Route::CodeDeploy {
                    container: container.clone(),
                    port: *port,
                }),
                None => Err(RolloutError::CodeDeployNoLoadBalancer {
                    service: service.to_owned(),
                }),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Where the new task definition starts, with what was fetched for it.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// The changes rendered over this JSON: the running revision, or a file.
    Render(&'a Value),
    /// An existing revision (`name` as given, `definition` as described): deployed as it is
    /// when no change is asked for, else the base the changes are rendered over.
    Revision {
        name: &'a str,
        definition: &'a Value,
    },
    /// A revision deployed as it is, whatever the changes: where a rollback goes.
    AsItIs { arn: &'a str, definition: &'a Value },
}

/// The revision the service runs.
#[derive(Debug, Clone, Copy)]
pub struct Running<'a> {
    pub arn: &'a str,
    pub definition: &'a Value,
}

/// What the run deploys.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTaskDefinition {
    /// The task definition (rendered, or the reused revision's as described).
    pub definition: Value,
    /// The revision to deploy as it is; `None`: register `definition` first.
    pub reuse: Option<String>,
    /// How `definition` differs from the running revision.
    pub diff: Vec<Change>,
}

/// The ARN a described revision reports, else its name as given.
pub fn arn_of(definition: &Value, name: &str) -> String {
    definition
        .get("taskDefinitionArn")
        .and_then(Value::as_str)
        .unwrap_or(name)
        .to_owned()
}

/// Which task definition to deploy, and whether it must be registered: the source, rendered
/// with `changes` unless it is deployed as it is; a render that differs in nothing from the
/// running revision deploys that revision instead of a copy of it. A named container must
/// exist even when nothing else changes, and what will be registered must convert completely
/// (checked before anything is registered, dry run included).
pub fn task_definition(
    source: Source<'_>,
    changes: &Changes,
    running: Running<'_>,
) -> Result<NewTaskDefinition, RolloutError> {
    let (definition, reuse) = match source {
        Source::Render(base) => (render(base, changes)?, None),
        Source::Revision { name, definition } if changes.is_empty() => {
            (definition.clone(), Some(arn_of(definition, name)))
        }
        Source::Revision { definition, .. } => (render(definition, changes)?, None),
        Source::AsItIs { arn, definition } => (definition.clone(), Some(arn.to_owned())),
    };
    if let Some(c) = &changes.container {
        target_container(&definition, Some(c), "container")?;
    }
    let diff = diff(running.definition, &definition);
    let reuse = match reuse {
        None if diff.is_empty() => Some(running.arn.to_owned()),
        other => other,
    };
    if reuse.is_none() {
        taskdef::validate(&definition)?;
    }
    Ok(NewTaskDefinition {
        definition,
        reuse,
        diff,
    })
}

/// Going back by image tag: the container, and its image with the tag, which must exist in
/// the private ECR repository `repository` of registry `account` before anything is deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retag {
    pub container: String,
    pub account: String,
    pub repository: String,
    pub tag: String,
    /// The container's image with `tag`.
    pub image: ImageRef,
}

/// The image to go back to: the running revision's `container` (default: its only, or only
/// essential, container) with `tag`. Only an image in a private ECR registry qualifies: the tag
/// is checked there first.
pub fn retag(running: &Value, container: Option<&str>, tag: &str) -> Result<Retag, RolloutError> {
    let container = target_container(running, container, "rollback-image-tag")?;
    let image = image_of(running, &container).unwrap_or_default();
    let Some(parsed) = ImageRef::parse(image) else {
        return Err(RolloutError::RollbackImage(format!(
            "container {container} runs '{image}', which is not an image reference ecs-rollout can re-tag"
        )));
    };
    let Some((account, _)) = parsed.ecr() else {
        return Err(RolloutError::RollbackImage(format!(
            "container {container} runs '{image}', which is not in a private ECR registry, so the tag cannot be checked before deploying: roll back with rollback-task-definition"
        )));
    };
    Ok(Retag {
        account: account.to_owned(),
        repository: parsed.repository.clone(),
        tag: tag.to_owned(),
        image: parsed.with_tag(tag),
        container,
    })
}

impl Retag {
    /// The error when ECR does not have the tag.
    pub fn missing(&self) -> RolloutError {
        RolloutError::RollbackImage(format!(
            "tag '{}' does not exist in ECR repository {} (registry {}): nothing was deployed; check the tag (ecr-push outputs it)",
            self.tag, self.repository, self.account
        ))
    }

    /// Whether `definition` runs exactly the image to go back to in the container: such a
    /// revision is the version as it was, environment included, and is redeployed as it is.
    pub fn is_run_by(&self, definition: &Value) -> bool {
        image_of(definition, &self.container) == Some(self.image.to_string().as_str())
    }

    /// When no revision runs the image: the running revision with the container's image
    /// swapped (what is rendered and registered).
    pub fn changes(&self) -> Changes {
        Changes {
            images: vec![(self.container.clone(), self.image.clone())],
            ..Changes::default()
        }
    }
}

/// Whether the run may go on to change the service: not once the runner cancelled it, nor once
/// the deadline passed (checked after the pre-deploy task). `revision`: what was registered for
/// the deployment, named in the deadline's message.
pub fn go_ahead(
    signal: Option<Signal>,
    deadline_passed: bool,
    revision: &str,
) -> Result<(), RolloutError> {
    if let Some(signal) = signal {
        return Err(RolloutError::CancelledBeforeDeploy(signal));
    }
    if deadline_passed {
        return Err(RolloutError::DeadlineBeforeDeploy(format!(
            "{} was registered but not deployed",
            short_name(revision)
        )));
    }
    Ok(())
}

/// What the run asks of the service besides the revision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServiceSettings {
    /// `None`: keep the service's.
    pub desired_count: Option<i32>,
    /// Start a deployment even when nothing changes.
    pub force_new_deployment: bool,
    /// `None`: keep the service's.
    pub circuit_breaker: Option<CircuitBreaker>,
    /// `None`: keep the service's.
    pub propagate_tags: Option<PropagateTags>,
    /// `None`: keep the service's.
    pub enable_ecs_managed_tags: Option<bool>,
}

impl ServiceSettings {
    /// What the inputs ask of the service beside the revision.
    pub fn of(config: &Config) -> ServiceSettings {
        ServiceSettings {
            desired_count: config.desired_count,
            force_new_deployment: config.force_new_deployment,
            circuit_breaker: config.circuit_breaker.wanted(),
            propagate_tags: config.propagate_tags,
            enable_ecs_managed_tags: config.enable_ecs_managed_tags,
        }
    }

    /// Nothing asked beside the revision (what CODE_DEPLOY services take).
    pub fn is_empty(&self) -> bool {
        *self == ServiceSettings::default()
    }
}

/// Nothing to do: the service already runs `revision`, no new deployment is forced, and the
/// desired count and circuit breaker asked for (if any) are the service's already. Then no
/// revision is registered (the caller deploys an existing one) and no deployment starts.
pub fn is_noop(revision: &str, before: &ServiceSnapshot, settings: &ServiceSettings) -> bool {
    revision == before.task_definition
        && !settings.force_new_deployment
        && settings.desired_count.is_none_or(|n| n == before.desired)
        && settings
            .circuit_breaker
            .is_none_or(|cb| Some(cb) == before.circuit_breaker)
        && settings
            .propagate_tags
            .is_none_or(|p| Some(p.as_str()) == before.propagate_tags.as_deref())
        && settings
            .enable_ecs_managed_tags
            .is_none_or(|on| on == before.enable_ecs_managed_tags)
}

/// The UpdateService that deploys `revision` with `settings`. Deploying the revision the
/// service already runs forces a new deployment: UpdateService would otherwise start none.
pub fn update(
    cluster: &str,
    service: &str,
    revision: &str,
    before: &ServiceSnapshot,
    settings: &ServiceSettings,
) -> ServiceUpdate {
    ServiceUpdate {
        cluster: cluster.to_owned(),
        service: service.to_owned(),
        task_definition: Some(revision.to_owned()),
        desired_count: settings.desired_count,
        force_new_deployment: settings.force_new_deployment || revision == before.task_definition,
        circuit_breaker: settings.circuit_breaker,
        propagate_tags: settings.propagate_tags.map(|p| p.as_str().to_owned()),
        enable_ecs_managed_tags: settings.enable_ecs_managed_tags,
        alarms: None,
    }
}

/// A deployment of the service still in progress, which ours replaces (worth a warning).
pub fn superseded(before: &ServiceSnapshot) -> Option<&Deployment> {
    before
        .primary()
        .filter(|p| p.rollout_state == Some(RolloutState::InProgress))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_ecs::{Controller, DeploymentStatus, Strategy};
    use serde_json::json;

    const RUNNING: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:4";
    const OLDER: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:2";
    const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api";

    fn def(arn: &str, image: &str) -> Value {
        json!({
            "taskDefinitionArn": arn,
            "family": "api",
            "revision": taskdef::revision_of(arn),
            "status": "ACTIVE",
            "containerDefinitions": [
                {"name": "api", "image": image, "essential": true},
                {"name": "sidecar", "image": "reg.io/envoy:1", "essential": false}
            ]
        })
    }

    fn image(text: &str) -> Option<ImageRef> {
        Some(ImageRef::parse(text).unwrap())
    }

    fn service(td: &str, desired: i32, circuit_breaker: Option<CircuitBreaker>) -> ServiceSnapshot {
        ServiceSnapshot {
            arn: String::new(),
            name: "api".into(),
            status: "ACTIVE".into(),
            task_definition: td.into(),
            desired,
            running: desired,
            pending: 0,
            controller: Controller::Ecs,
            strategy: Strategy::Rolling,
            circuit_breaker,
            bake_time_minutes: None,
            launch_type: None,
            network: None,
            deployments: vec![],
            events: vec![],
            current_service_deployment: None,
            load_balancers: vec![],
            traffic_shift: vec![],
            shift_step: None,
            propagate_tags: None,
            enable_ecs_managed_tags: false,
            alarms: None,
        }
    }

    fn deployment(status: DeploymentStatus, state: Option<RolloutState>) -> Deployment {
        Deployment {
            id: "ecs-svc/1".into(),
            status,
            task_definition: RUNNING.into(),
            desired: 2,
            running: 1,
            pending: 1,
            failed_tasks: 0,
            rollout_state: state,
            rollout_reason: None,
            created_at_ms: None,
        }
    }

    #[test]
    fn who_deploys_the_service() {
        let lb = vec![("web".to_owned(), 8080)];
        let other = |s: &str| Strategy::Other(s.into());
        // (name, controller, strategy, load balancers, Ok(route) or Err(the error says))
        type Case<'a> = (
            &'a str,
            Controller,
            Strategy,
            &'a [(String, i32)],
            Result<Route, &'a str>,
        );
        let table: &[Case] = &[
            (
                "rolling update",
                Controller::Ecs,
                Strategy::Rolling,
                &[],
                Ok(Route::Ecs),
            ),
            (
                "ECS blue/green",
                Controller::Ecs,
                Strategy::BlueGreen,
                &lb,
                Ok(Route::Ecs),
            ),
            (
                "ECS canary",
                Controller::Ecs,
                other("CANARY"),
                &lb,
                Ok(Route::Ecs),
            ),
            (
                "ECS linear",
                Controller::Ecs,
                other("LINEAR"),
                &lb,
                Ok(Route::Ecs),
            ),
            (
                "CodeDeploy with a load balancer",
                Controller::CodeDeploy,
                Strategy::Rolling,
                &lb,
                Ok(Route::CodeDeploy {
                    container: "web".into(),
                    port: 8080,
                }),
            ),
            (
                "CodeDeploy without one: named as the caller named it",
                Controller::CodeDeploy,
                Strategy::Rolling,
                &[],
                Err("service 'prod/api' uses the CODE_DEPLOY controller but has no load balancer"),
            ),
            (
                "an external controller",
                Controller::External,
                Strategy::Rolling,
                &lb,
                Err("EXTERNAL deployment controller"),
            ),
            (
                "an unknown strategy",
                Controller::Ecs,
                other("SHADOW"),
                &[],
                Err("strategy 'SHADOW'"),
            ),
        ];
        for (name, controller, strategy, lbs, want) in table {
            let before = ServiceSnapshot {
                controller: controller.clone(),
                strategy: strategy.clone(),
                load_balancers: lbs.to_vec(),
                ..service(RUNNING, 2, None)
            };
            match (route(&before, "prod/api"), want) {
                (Ok(got), Ok(want)) => assert_eq!(&got, want, "{name}"),
                (Err(e), Err(says)) => assert!(e.to_string().contains(says), "{name}: {e}"),
                (got, _) => panic!("{name}: {got:?}"),
            }
        }
    }

    #[test]
    fn the_service_is_changed_only_before_a_signal_and_the_deadline() {
        // (name, signal, deadline passed, Ok or Err(the error says))
        type Case<'a> = (&'a str, Option<Signal>, bool, Result<(), &'a str>);
        let table: &[Case] = &[
            ("neither", None, false, Ok(())),
            (
                "cancelled",
                Some(Signal::Terminate),
                false,
                Err("cancelled by SIGTERM before the service was changed"),
            ),
            (
                "cancelled and late: the signal is the reason",
                Some(Signal::Interrupt),
                true,
                Err("cancelled by SIGINT"),
            ),
            (
                "late",
                None,
                true,
                Err(
                    "the deadline (timeout-seconds) passed before the service was changed: api:4 was registered but not deployed",
                ),
            ),
        ];
        for (name, signal, late, want) in table {
            match (go_ahead(*signal, *late, RUNNING), want) {
                (Ok(()), Ok(())) => {}
                (Err(e), Err(says)) => assert!(e.to_string().contains(says), "{name}: {e}"),
                (got, _) => panic!("{name}: {got:?}"),
            }
        }
    }

    #[test]
    fn nothing_to_deploy_only_when_nothing_changes() {
        let on = CircuitBreaker {
            enable: true,
            rollback: true,
        };
        let off = CircuitBreaker::default();
        let keep = ServiceSettings::default();
        // (name, revision, the service's circuit breaker, settings, no-op)
        type Case<'a> = (
            &'a str,
            &'a str,
            Option<CircuitBreaker>,
            ServiceSettings,
            bool,
        );
        let table: &[Case] = &[
            (
                "the same revision, nothing asked",
                RUNNING,
                None,
                keep,
                true,
            ),
            ("another revision", OLDER, None, keep, false),
            (
                "forced",
                RUNNING,
                None,
                ServiceSettings {
                    force_new_deployment: true,
                    ..keep
                },
                false,
            ),
            (
                "the desired count it has",
                RUNNING,
                None,
                ServiceSettings {
                    desired_count: Some(2),
                    ..keep
                },
                true,
            ),
            (
                "another desired count",
                RUNNING,
                None,
                ServiceSettings {
                    desired_count: Some(3),
                    ..keep
                },
                false,
            ),
            (
                "the circuit breaker it has",
                RUNNING,
                Some(on),
                ServiceSettings {
                    circuit_breaker: Some(on),
                    ..keep
                },
                true,
            ),
            (
                "another circuit breaker",
                RUNNING,
                Some(off),
                ServiceSettings {
                    circuit_breaker: Some(on),
                    ..keep
                },
                false,
            ),
            (
                "a circuit breaker where the service reports none",
                RUNNING,
                None,
                ServiceSettings {
                    circuit_breaker: Some(off),
                    ..keep
                },
                false,
            ),
            ("the circuit breaker kept", RUNNING, Some(on), keep, true),
            (
                "tags propagated from where they are not",
                RUNNING,
                Some(on),
                ServiceSettings {
                    propagate_tags: Some(PropagateTags::Service),
                    ..keep
                },
                false,
            ),
            (
                "ECS managed tags, which the service has off",
                RUNNING,
                Some(on),
                ServiceSettings {
                    enable_ecs_managed_tags: Some(false),
                    ..keep
                },
                true,
            ),
        ];
        for (name, revision, cb, settings, want) in table {
            let before = service(RUNNING, 2, *cb);
            assert_eq!(is_noop(revision, &before, settings), *want, "{name}");
        }
    }

    #[test]
    fn settings_that_ask_nothing() {
        let keep = ServiceSettings::default();
        // (name, settings, asks nothing)
        let table: &[(&str, ServiceSettings, bool)] = &[
            ("keep everything", keep, true),
            (
                "a desired count",
                ServiceSettings {
                    desired_count: Some(0),
                    ..keep
                },
                false,
            ),
            (
                "forced",
                ServiceSettings {
                    force_new_deployment: true,
                    ..keep
                },
                false,
            ),
            (
                "a circuit breaker, even off",
                ServiceSettings {
                    circuit_breaker: Some(CircuitBreaker::default()),
                    ..keep
                },
                false,
            ),
        ];
        for (name, settings, want) in table {
            assert_eq!(settings.is_empty(), *want, "{name}");
        }
    }

    #[test]
    fn the_update_forces_a_deployment_of_the_running_revision() {
        let on = CircuitBreaker {
            enable: true,
            rollback: false,
        };
        let before = service(RUNNING, 2, None);
        // (name, revision, settings, forced)
        let table: &[(&str, &str, ServiceSettings, bool)] = &[
            ("a new revision", OLDER, ServiceSettings::default(), false),
            (
                "a new revision, forced",
                OLDER,
                ServiceSettings {
                    force_new_deployment: true,
                    ..ServiceSettings::default()
                },
                true,
            ),
            (
                "the running revision with a new count",
                RUNNING,
                ServiceSettings {
                    desired_count: Some(4),
                    circuit_breaker: Some(on),
                    ..ServiceSettings::default()
                },
                true,
            ),
        ];
        for (name, revision, settings, forced) in table {
            let u = update("prod", "api", revision, &before, settings);
            assert_eq!(
                u,
                ServiceUpdate {
                    cluster: "prod".into(),
                    service: "api".into(),
                    task_definition: Some((*revision).into()),
                    desired_count: settings.desired_count,
                    force_new_deployment: *forced,
                    circuit_breaker: settings.circuit_breaker,
                    propagate_tags: settings.propagate_tags.map(|p| p.as_str().to_owned()),
                    enable_ecs_managed_tags: settings.enable_ecs_managed_tags,
                    alarms: None,
                },
                "{name}"
            );
        }
    }

    #[test]
    fn a_deployment_in_progress_is_superseded() {
        use DeploymentStatus::{Active, Primary};
        // (name, deployments, superseded)
        let table: &[(&str, Vec<Deployment>, bool)] = &[
            ("none", vec![], false),
            (
                "primary in progress",
                vec![deployment(Primary, Some(RolloutState::InProgress))],
                true,
            ),
            (
                "primary completed",
                vec![deployment(Primary, Some(RolloutState::Completed))],
                false,
            ),
            (
                "primary failed",
                vec![deployment(Primary, Some(RolloutState::Failed))],
                false,
            ),
            ("no rollout state", vec![deployment(Primary, None)], false),
            (
                "only an active one in progress",
                vec![deployment(Active, Some(RolloutState::InProgress))],
                false,
            ),
        ];
        for (name, deployments, want) in table {
            let before = ServiceSnapshot {
                deployments: deployments.clone(),
                ..service(RUNNING, 2, None)
            };
            assert_eq!(superseded(&before).is_some(), *want, "{name}");
        }
    }

    #[test]
    fn which_task_definition_to_deploy() {
        let running = def(RUNNING, "reg.io/api:v1");
        let older = def(OLDER, "reg.io/api:v0");
        let file = json!({"family": "api", "containerDefinitions": [
            {"name": "api", "image": "reg.io/api:v1", "essential": true},
            {"name": "sidecar", "image": "reg.io/envoy:1", "essential": false}]});
        let none = Changes::default();
        let v2 = Changes {
            image: image("reg.io/api:v2"),
            ..Changes::default()
        };
        let only_container = Changes {
            container: Some("api".into()),
            ..Changes::default()
        };
        // (name, source, changes, expected: reused revision (None: register), the new image,
        // changed paths)
        type Case<'a> = (
            &'a str,
            Source<'a>,
            &'a Changes,
            Option<&'a str>,
            &'a str,
            &'a [&'a str],
        );
        let image_path = "containerDefinitions[api].image";
        let table: &[Case] = &[
            (
                "the running revision with a change: registered",
                Source::Render(&running),
                &v2,
                None,
                "reg.io/api:v2",
                &[image_path],
            ),
            (
                "the running revision unchanged: deployed as it is, not copied",
                Source::Render(&running),
                &none,
                Some(RUNNING),
                "reg.io/api:v1",
                &[],
            ),
            (
                "a container named, nothing else: the running revision",
                Source::Render(&running),
                &only_container,
                Some(RUNNING),
                "reg.io/api:v1",
                &[],
            ),
            (
                "a file equal to the running revision: the running revision",
                Source::Render(&file),
                &none,
                Some(RUNNING),
                "reg.io/api:v1",
                &[],
            ),
            (
                "a file with a change: registered",
                Source::Render(&file),
                &v2,
                None,
                "reg.io/api:v2",
                &[image_path],
            ),
            (
                "an existing revision without changes: deployed as it is",
                Source::Revision {
                    name: "api:2",
                    definition: &older,
                },
                &none,
                Some(OLDER),
                "reg.io/api:v0",
                &[image_path],
            ),
            (
                "an existing revision with changes: the base of a new one",
                Source::Revision {
                    name: "api:2",
                    definition: &older,
                },
                &v2,
                None,
                "reg.io/api:v2",
                &[image_path],
            ),
            (
                "a revision to go back to: as it is",
                Source::AsItIs {
                    arn: OLDER,
                    definition: &older,
                },
                &none,
                Some(OLDER),
                "reg.io/api:v0",
                &[image_path],
            ),
            (
                "the running revision as it is",
                Source::AsItIs {
                    arn: RUNNING,
                    definition: &running,
                },
                &none,
                Some(RUNNING),
                "reg.io/api:v1",
                &[],
            ),
        ];
        for (name, source, changes, reuse, new_image, paths) in table {
            let running = Running {
                arn: RUNNING,
                definition: &running,
            };
            let got = task_definition(*source, changes, running).unwrap();
            let changed: Vec<&str> = got
                .diff
                .iter()
                .map(|c| match c {
                    Change::Added { path, .. }
                    | Change::Removed { path, .. }
                    | Change::Changed { path, .. } => path.as_str(),
                })
                .collect();
            assert_eq!(
                (
                    got.reuse.as_deref(),
                    image_of(&got.definition, "api"),
                    changed.as_slice()
                ),
                (*reuse, Some(*new_image), *paths),
                "{name}"
            );
        }
    }

    #[test]
    fn what_cannot_be_deployed_is_refused() {
        let running = def(RUNNING, "reg.io/api:v1");
        // Keys ECS may not know are ECS's to refuse; a definition with no family is not one.
        let unregistrable = json!({"containerDefinitions": [
            {"name": "api", "image": "reg.io/api:v1", "essential": true}]});
        let db = Changes {
            container: Some("db".into()),
            ..Changes::default()
        };
        let web_image = Changes {
            images: vec![("web".into(), ImageRef::parse("x:1").unwrap())],
            ..Changes::default()
        };
        // (name, source, changes, the error says)
        let table: &[(&str, Source, &Changes, &str)] = &[
            (
                "a named container that is not there, even with nothing else set",
                Source::Render(&running),
                &db,
                "input 'container' names container 'db'",
            ),
            (
                "a change to a container that is not there",
                Source::Render(&running),
                &web_image,
                "input 'images' names container 'web'",
            ),
            (
                "what would be registered is not a task definition",
                Source::Render(&unregistrable),
                &Changes::default(),
                "it has no 'family'",
            ),
        ];
        for (name, source, changes, says) in table {
            let running = Running {
                arn: RUNNING,
                definition: &running,
            };
            let e = task_definition(*source, changes, running)
                .unwrap_err()
                .to_string();
            assert!(e.contains(says), "{name}: {e}");
        }
    }

    #[test]
    fn the_arn_a_revision_reports_else_its_name() {
        let table: &[(&str, Value, &str, &str)] = &[
            ("described", def(OLDER, "x"), "api:2", OLDER),
            (
                "no ARN in the answer",
                json!({"family": "api"}),
                "api:2",
                "api:2",
            ),
        ];
        for (name, definition, given, want) in table {
            assert_eq!(arn_of(definition, given), *want, "{name}");
        }
    }

    #[test]
    fn going_back_by_image_tag() {
        let ecr = def(RUNNING, &format!("{ECR}:v3"));
        let hub = def(RUNNING, "nginx:1.27");
        let bad = def(RUNNING, "Not An Image");
        // (name, running, container, Ok(retagged image) or Err(the error says))
        type Case<'a> = (&'a str, &'a Value, Option<&'a str>, Result<String, &'a str>);
        let table: &[Case] = &[
            (
                "the only essential container's ECR image",
                &ecr,
                None,
                Ok(format!("{ECR}:v1")),
            ),
            (
                "a named container",
                &ecr,
                Some("api"),
                Ok(format!("{ECR}:v1")),
            ),
            (
                "a container that is not there",
                &ecr,
                Some("db"),
                Err("names container 'db'"),
            ),
            (
                "not in ECR: the tag cannot be checked",
                &hub,
                None,
                Err("not in a private ECR registry"),
            ),
            (
                "not an image reference",
                &bad,
                None,
                Err("not an image reference ecs-rollout can re-tag"),
            ),
        ];
        for (name, running, container, want) in table {
            match (retag(running, *container, "v1"), want) {
                (Ok(r), Ok(image)) => {
                    assert_eq!(r.image.to_string(), *image, "{name}");
                    assert_eq!(
                        (
                            r.container.as_str(),
                            r.account.as_str(),
                            r.repository.as_str()
                        ),
                        ("api", "123456789012", "team/api"),
                        "{name}"
                    );
                }
                (Err(e), Err(says)) => assert!(e.to_string().contains(says), "{name}: {e}"),
                (got, _) => panic!("{name}: {got:?}"),
            }
        }
    }

    #[test]
    fn a_retag_finds_its_revision_or_renders_one() {
        let r = retag(&def(RUNNING, &format!("{ECR}:v3")), None, "v1").unwrap();
        // (name, revision, runs the image)
        let table: &[(&str, Value, bool)] = &[
            ("runs the tag", def(OLDER, &format!("{ECR}:v1")), true),
            ("runs another tag", def(OLDER, &format!("{ECR}:v2")), false),
            (
                "runs the tag in another container",
                json!({"containerDefinitions": [{"name": "worker", "image": format!("{ECR}:v1")}]}),
                false,
            ),
        ];
        for (name, revision, want) in table {
            assert_eq!(r.is_run_by(revision), *want, "{name}");
        }
        let rendered = render(&def(RUNNING, &format!("{ECR}:v3")), &r.changes()).unwrap();
        assert_eq!(
            image_of(&rendered, "api").map(str::to_owned),
            Some(format!("{ECR}:v1"))
        );
        assert!(r.missing().to_string().contains(
            "tag 'v1' does not exist in ECR repository team/api (registry 123456789012)"
        ));
    }
}

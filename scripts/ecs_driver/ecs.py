"""ECS's deployment engine as the driver plays it, on moto's ECS backend (and its ELBv2 backend
for CANARY / LINEAR traffic shifting). Every function takes the driver's `State` and runs with
its lock held."""

from __future__ import annotations

import datetime
import time
from typing import Any, Dict, List, Optional, Tuple

from moto.cloudwatch.models import cloudwatch_backends
from moto.ecs import models as ecs_models
from moto.elbv2.models import elbv2_backends

from .records import Scenario
from .state import NativeShift, Rollout, State, StopRequest, TaskRun

# A rollout in one of these stages is no longer moved by the ticker.
FINISHED_STAGES = ("done", "gone", "failed", "rolled-back")

# Blue/green lifecycle stages a deployment reports (DescribeServiceDeployments) while in
# progress, by the fraction of its scenario's time that has passed.
BLUE_GREEN_STAGES = [
    (0.1, "PRE_SCALE_UP"),
    (0.3, "SCALE_UP"),
    (0.5, "TEST_TRAFFIC_SHIFT"),
    (0.7, "PRODUCTION_TRAFFIC_SHIFT"),
    (1.0, "BAKE_TIME"),
]


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def new_deployment_id() -> str:
    return f"ecs-svc/{ecs_models.mock_random.randint(0, 32**12)}"


def event(service: Any, message: str) -> None:
    service.events.insert(
        0,
        {
            "id": ecs_models.mock_random.get_random_hex(8)
            + "-"
            + ecs_models.mock_random.get_random_hex(4),
            "createdAt": now(),
            "message": f"(service {service.name}) {message}",
        },
    )


# --- rolling deployments -------------------------------------------------------------------------


def new_deployment(
    state: State,
    service: Any,
    task_definition: str,
    scenario: Scenario,
    previous_td: Optional[str],
) -> Dict[str, Any]:
    """A new PRIMARY deployment of `task_definition` (the others go ACTIVE), driven by
    `scenario`; `previous_td` is what the service ran before (None: nothing to go back to)."""
    deployment_id = new_deployment_id()
    t = now()
    deployment = {
        "createdAt": t,
        "desiredCount": service.desired_count,
        "failedTasks": 0,
        "id": deployment_id,
        "launchType": service.launch_type,
        "pendingCount": service.desired_count,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
        "runningCount": 0,
        "status": "PRIMARY",
        "taskDefinition": task_definition,
        "updatedAt": t,
    }
    for old in service.deployments:
        if old["status"] == "PRIMARY":
            old["status"] = "ACTIVE"
            old["updatedAt"] = t
    service.deployments.insert(0, deployment)
    service.running_count = sum(d["runningCount"] for d in service.deployments)
    service.pending_count = sum(d["pendingCount"] for d in service.deployments)
    arn = (
        f"arn:aws:ecs:{service.region_name}:{service._account_id}:service-deployment/"
        f"{service.cluster_name}/{service.name}/{ecs_models.mock_random.get_random_hex(20)}"
    )
    # DescribeServices names it (currentServiceDeployment), as ECS does
    service.current_service_deployment = arn
    rollout = Rollout(
        arn=arn,
        service=service,
        deployment=deployment,
        scenario=scenario,
        created=time.time(),
        started=time.monotonic(),
        previous=previous_td,
        # only an update shifts traffic: a new service has nothing to shift from
        shift=native_shift(service) if previous_td else None,
    )
    state.service_deployments[arn] = rollout
    state.driven[deployment_id] = rollout
    state.log_transition(service, deployment, "IN_PROGRESS")
    event(service, f"has started {service.desired_count} tasks: deployment {deployment_id}.")
    return deployment


def complete(state: State, service: Any, deployment: Dict[str, Any]) -> None:
    deployment["rolloutState"] = "COMPLETED"
    deployment["rolloutStateReason"] = f"ECS deployment {deployment['id']} completed."
    deployment["runningCount"] = deployment["desiredCount"]
    deployment["pendingCount"] = 0
    deployment["updatedAt"] = now()
    service.deployments[:] = [d for d in service.deployments if d is deployment]
    service.running_count = deployment["runningCount"]
    service.pending_count = 0
    service.task_definition = deployment["taskDefinition"]
    state.log_transition(service, deployment, "COMPLETED")
    event(service, f"deployment {deployment['id']} completed.")
    event(service, "has reached a steady state.")


def circuit_breaker(state: State, rollout: Rollout) -> None:
    service, deployment = rollout.service, rollout.deployment
    reason = rollout.scenario.reason
    deployment["rolloutState"] = "FAILED"
    deployment["rolloutStateReason"] = reason
    deployment["updatedAt"] = now()
    state.log_transition(service, deployment, "FAILED")
    event(service, f"deployment {deployment['id']} deployment failed: {reason}")


def fail_task(service: Any, deployment: Dict[str, Any]) -> None:
    deployment["failedTasks"] += 1
    short = ecs_models.mock_random.get_random_hex(32)
    event(service, f"(task {short}) failed container health checks.")


def step(state: State, rollout: Rollout) -> None:
    """Advances one rollout according to its scenario."""
    service, deployment, scenario = rollout.service, rollout.deployment, rollout.scenario
    if deployment not in service.deployments:
        rollout.stage = "gone"
        return
    kind, after = scenario.kind, scenario.after
    elapsed = time.monotonic() - rollout.started
    stage = rollout.stage
    if kind in ("healthy", "slow"):
        if stage == "start" and elapsed >= after / 2 and deployment["desiredCount"] > 0:
            deployment["runningCount"] = max(1, deployment["desiredCount"] // 2)
            deployment["pendingCount"] = deployment["desiredCount"] - deployment["runningCount"]
            rollout.stage = "half"
        if elapsed >= after:
            complete(state, service, deployment)
            rollout.stage = "done"
    elif kind in ("failing", "rollback"):
        # one task fails every after/3 seconds; the circuit breaker trips at `after`
        if stage in ("start", "failing") and elapsed >= after / 3 * (deployment["failedTasks"] + 1):
            fail_task(service, deployment)
            rollout.stage = "failing"
        if stage in ("start", "failing") and elapsed >= after:
            circuit_breaker(state, rollout)
            rollout.stage = "failed"
            if kind == "rollback" and rollout.previous:
                rolled = new_deployment(
                    state,
                    service,
                    rollout.previous,
                    Scenario(kind="healthy", after=scenario.rollback_after),
                    None,
                )
                service.task_definition = rollout.previous
                event(
                    service,
                    f"rolling back to deployment {rolled['id']}: "
                    f"{deployment['rolloutStateReason']}",
                )
                rollout.stage = "rolled-back"
    elif kind == "pending":
        if stage == "start" and elapsed >= 0.5:
            event(
                service,
                "was unable to place a task because no container instance met all of its requirements.",
            )
            rollout.stage = "pending"


# --- ECS's own CANARY / LINEAR traffic shifting --------------------------------------------------


def rule_forward(service: Any, rule_arn: str) -> Optional[Dict[str, Any]]:
    """The forward config (dict, moto's own) of a listener rule, or None."""
    backend = elbv2_backends[service._account_id][service.region_name]
    try:
        rules = backend.describe_rules(listener_arn=None, rule_arns=[rule_arn])
    except Exception:  # noqa: BLE001 - a missing rule means no shifting, as a misconfigured ECS would
        return None
    for action in rules[0].actions:
        forward = action.data.get("ForwardConfig")
        if forward and forward.get("TargetGroups"):
            return forward
    return None


def native_shift(service: Any) -> Optional[NativeShift]:
    """How ECS would shift traffic for a new deployment of this service, or None."""
    config = getattr(service, "deployment_configuration", None) or {}
    strategy = config.get("strategy")
    if strategy not in ("CANARY", "LINEAR"):
        return None
    for lb in service.load_balancers or []:
        advanced = lb.get("advancedConfiguration") or {}
        rule = advanced.get("productionListenerRule")
        groups = {lb.get("targetGroupArn"), advanced.get("alternateTargetGroupArn")}
        forward = rule_forward(service, rule) if rule else None
        if not forward:
            continue
        weights = {tg["TargetGroupArn"]: int(tg.get("Weight", 1)) for tg in forward["TargetGroups"]}
        if not groups <= set(weights):
            continue
        blue = max(groups, key=lambda g: weights[g])
        green = next(g for g in groups if g != blue)
        if strategy == "CANARY":
            percents = [float((config.get("canaryConfiguration") or {}).get("canaryPercent", 10))]
        else:
            step_percent = float((config.get("linearConfiguration") or {}).get("stepPercent", 10))
            percents = []
            p = step_percent
            while p < 100:
                percents.append(p)
                p += step_percent
        return NativeShift(rule=rule, blue=blue, green=green, percents=tuple(percents or [100.0]))
    return None


def set_weights(service: Any, shift: NativeShift, green_percent: float) -> None:
    forward = rule_forward(service, shift.rule)
    if not forward:
        return
    green = int(round(green_percent))
    for tg in forward["TargetGroups"]:
        if tg["TargetGroupArn"] == shift.green:
            tg["Weight"] = green
        elif tg["TargetGroupArn"] == shift.blue:
            tg["Weight"] = 100 - green


def fraction(rollout: Rollout) -> float:
    """How much of its scenario's time the rollout has had (1.0 when the scenario takes none)."""
    after = rollout.scenario.after
    return (time.monotonic() - rollout.started) / after if after else 1.0


def native_green_percent(rollout: Rollout) -> float:
    """Green's share now: 0 while scaling up, the canary percent or linear steps, then 100."""
    f = fraction(rollout)
    percents = rollout.shift.percents
    if f < 0.1:
        return 0.0
    if f >= 0.8:
        return 100.0
    index = int((f - 0.1) / 0.7 * len(percents))
    return percents[min(index, len(percents) - 1)]


def native_stage(rollout: Rollout) -> str:
    f = fraction(rollout)
    if f < 0.1:
        return "SCALE_UP"
    if f < 0.8:
        return "PRODUCTION_TRAFFIC_SHIFT"
    return "BAKE_TIME"


def step_native(rollout: Rollout) -> None:
    """Moves the weights of one CANARY/LINEAR deployment that is still in progress."""
    deployment, service, shift = rollout.deployment, rollout.service, rollout.shift
    if rollout.stopped:
        return
    if deployment["rolloutState"] == "FAILED":
        # the circuit breaker failed it: ECS puts the traffic back on blue
        set_weights(service, shift, 0.0)
        rollout.shift_done = True
        return
    green = 100.0 if deployment["rolloutState"] == "COMPLETED" else native_green_percent(rollout)
    if rollout.green_now != green:
        set_weights(service, shift, green)
        rollout.green_now = green
        if deployment["rolloutState"] == "COMPLETED":
            rollout.shift_done = True


# --- StopServiceDeployment, ListServiceDeployments, DescribeServiceDeployments (moto lacks them) --


def stop_service_deployment(state: State, body: Dict[str, Any]) -> Tuple[str, Dict[str, Any]]:
    arn = body.get("serviceDeploymentArn", "")
    rollout = state.service_deployments.get(arn)
    if rollout is None:
        return "400 Bad Request", {
            "__type": "ServiceDeploymentNotFoundException",
            "message": f"The service deployment {arn} does not exist.",
        }
    stop_type = body.get("stopType", "ROLLBACK")
    if stop_type not in ("ROLLBACK", "ABORT"):
        return "400 Bad Request", {
            "__type": "InvalidParameterException",
            "message": f"stopType {stop_type} is not valid: ROLLBACK or ABORT.",
        }
    if rollout.stopped or rollout.deployment["rolloutState"] != "IN_PROGRESS":
        return "400 Bad Request", {
            "__type": "ConflictException",
            "message": f"The service deployment {arn} is not in progress.",
        }
    roll_back(state, rollout, stop_type, f"Service deployment stopped ({stop_type}) by request.")
    return "200 OK", {"serviceDeploymentArn": arn}


def roll_back(state: State, rollout: Rollout, stop_type: str, reason: str) -> None:
    """Stops an in-progress deployment as ECS does: traffic back on blue and, with ROLLBACK and
    a previous revision, the service back on it."""
    deployment, service = rollout.deployment, rollout.service
    rollout.stopped = StopRequest(type=stop_type, at=time.monotonic())
    state.driven.pop(deployment["id"], None)
    deployment["rolloutState"] = "FAILED"
    deployment["rolloutStateReason"] = reason
    state.log_transition(service, deployment, "FAILED")
    previous = rollout.previous
    if rollout.shift:
        set_weights(service, rollout.shift, 0.0)
    if stop_type == "ROLLBACK" and previous:
        # ECS puts production traffic back on blue, which still runs the previous revision.
        restored = {
            **deployment,
            "id": new_deployment_id(),
            "taskDefinition": previous,
            "status": "PRIMARY",
            "rolloutState": "COMPLETED",
            "rolloutStateReason": "rolled back",
            "runningCount": service.desired_count,
            "pendingCount": 0,
            "failedTasks": 0,
            "createdAt": now(),
            "updatedAt": now(),
        }
        service.deployments[:] = [restored]
        service.task_definition = previous
        service.running_count = service.desired_count
        service.pending_count = 0
        event(service, f"service deployment {rollout.arn} rolled back to {previous}.")


def alarms_in_alarm(service: Any) -> List[str]:
    """The service's deployment alarms in ALARM state, when ECS acts on them (enabled, with
    rollback), read from moto's CloudWatch."""
    config = getattr(service, "deployment_configuration", None) or {}
    alarms = config.get("alarms") or {}
    if not (alarms.get("enable") and alarms.get("rollback")):
        return []
    known = cloudwatch_backends[service._account_id][service.region_name].alarms
    names = alarms.get("alarmNames") or []
    return [n for n in names if n in known and known[n].state_value == "ALARM"]


def tick_alarms(state: State) -> None:
    """ECS watches a deployment's alarms while it is in progress (bake time included) and rolls
    it back once one is in ALARM."""
    for rollout in list(state.service_deployments.values()):
        if rollout.stopped or rollout.deployment["rolloutState"] != "IN_PROGRESS":
            continue
        firing = alarms_in_alarm(rollout.service)
        if firing and rollout.previous:
            roll_back(
                state,
                rollout,
                "ROLLBACK",
                "Service deployment rolled back because the CloudWatch alarm(s) "
                f"{', '.join(firing)} are in ALARM state.",
            )


def service_deployment(rollout: Rollout, brief: bool) -> Dict[str, Any]:
    """A ServiceDeployment (or its brief) as ECS's blue/green engine would report it now."""
    deployment, kind = rollout.deployment, rollout.scenario.kind
    rollout_state = deployment["rolloutState"]
    reason = None
    stopped = rollout.stopped
    if stopped:
        settled = time.monotonic() - stopped.at >= 1.0
        if stopped.type == "ABORT":
            status = "STOPPED"
        else:
            status = "ROLLBACK_SUCCESSFUL" if settled else "ROLLBACK_IN_PROGRESS"
        stage, reason = "PRODUCTION_TRAFFIC_SHIFT", deployment["rolloutStateReason"]
    elif rollout_state == "COMPLETED":
        status, stage = "SUCCESSFUL", "CLEAN_UP"
    elif rollout_state == "FAILED":
        status = "ROLLBACK_SUCCESSFUL" if kind == "rollback" else "STOPPED"
        stage, reason = "SCALE_UP", deployment["rolloutStateReason"]
    elif kind == "pending":
        status, stage = "IN_PROGRESS", "SCALE_UP"
    else:
        status = "IN_PROGRESS"
        f = fraction(rollout)
        stage = next((name for limit, name in BLUE_GREEN_STAGES if f < limit), "BAKE_TIME")
        if rollout.shift:
            stage = native_stage(rollout)
    service = rollout.service
    out = {
        "serviceDeploymentArn": rollout.arn,
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        "createdAt": rollout.created,
        "startedAt": rollout.created,
        "status": status,
    }
    if reason:
        out["statusReason"] = reason
    revision = rollout.arn.replace("service-deployment", "service-revision")
    if brief:
        out["targetServiceRevisionArn"] = revision
    else:
        out["lifecycleStage"] = stage
        out["targetServiceRevision"] = {
            "arn": revision,
            "requestedTaskCount": deployment["desiredCount"],
            "runningTaskCount": deployment["runningCount"],
            "pendingTaskCount": deployment["pendingCount"],
        }
    return out


def service_deployments_api(state: State, op: str, body: Dict[str, Any]) -> Dict[str, Any]:
    """The answer to ListServiceDeployments or DescribeServiceDeployments."""
    if op == "ListServiceDeployments":
        cluster = (body.get("cluster") or "default").split("/")[-1]
        name = body.get("service", "").split("/")[-1]
        after = (body.get("createdAt") or {}).get("after")
        found = [
            r
            for r in state.service_deployments.values()
            if r.service.cluster_name == cluster
            and r.service.name == name
            and (after is None or r.created >= float(after))
        ]
        found.sort(key=lambda r: r.created, reverse=True)
        return {"serviceDeployments": [service_deployment(r, True) for r in found]}
    arns = body.get("serviceDeploymentArns", [])
    known = state.service_deployments
    return {
        "serviceDeployments": [service_deployment(known[a], False) for a in arns if a in known],
        "failures": [{"arn": a, "reason": "MISSING"} for a in arns if a not in known],
    }


# --- one-off tasks --------------------------------------------------------------------------------


def step_task(run: TaskRun) -> bool:
    """Stops the task once its outcome's time has come; True when it did."""
    task, outcome = run.task, run.outcome
    if time.monotonic() - run.started < outcome.after:
        return False
    task.status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stopped_reason = outcome.reason
    for container in task.containers:
        container.last_status = "STOPPED"
        container.exitCode = outcome.exit_code
    return True


# --- one tick of ECS's engine -----------------------------------------------------------------


def tick(state: State) -> None:
    """Moves every rollout, one-off task and CANARY/LINEAR shift one step (lock held)."""
    tick_alarms(state)
    for deployment_id, rollout in list(state.driven.items()):
        if rollout.stage in FINISHED_STAGES:
            del state.driven[deployment_id]
            continue
        step(state, rollout)
    for arn, run in list(state.tasks.items()):
        if step_task(run):
            del state.tasks[arn]


def tick_shifts(state: State) -> None:
    for rollout in state.service_deployments.values():
        if rollout.shift and not rollout.shift_done:
            step_native(rollout)


# --- hooks into moto's ECS backend -----------------------------------------------------------

_Backend = ecs_models.EC2ContainerServiceBackend
_create_service = _Backend.create_service
_update_service = _Backend.update_service
_run_task = _Backend.run_task


def install(state: State) -> None:
    """Makes moto's ECS backend start a driven deployment for every CreateService and every
    UpdateService that changes the task definition (or forces one), and hold one-off tasks
    RUNNING until their outcome."""

    def create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
        service = _create_service(self, *args, **kwargs)
        if service.deployment_controller.get("type", "ECS") == "ECS":
            service.deployments = []
            service.events = []
            scenario = state.next_scenario(service.cluster_name, service.name)
            new_deployment(state, service, service.task_definition, scenario, None)
        return service

    def update_service(self: Any, props: Dict[str, Any]) -> Any:
        requested = dict(props)
        cluster = requested.get("cluster", "default")
        name = requested.get("service", "").split("/")[-1]
        before = self._get_service(cluster, name)
        previous_td = before.task_definition
        service = _update_service(self, props)
        new_td = requested.get("task_definition")
        if new_td and ":" not in new_td.split("/")[-1]:
            new_td = self.describe_task_definition(new_td).arn
        if new_td and not new_td.startswith("arn:"):
            new_td = self.describe_task_definition(new_td).arn
        changed = bool(new_td) and new_td != previous_td
        if service.deployment_controller.get("type", "ECS") == "ECS" and (
            changed or requested.get("force_new_deployment")
        ):
            # moto changed the service's task definition at once; ECS only does at the end.
            td = new_td or previous_td
            service.task_definition = previous_td
            scenario = state.next_scenario(service.cluster_name, service.name)
            new_deployment(state, service, td, scenario, previous_td)
            service.task_definition = td
        elif requested.get("desired_count") is not None and service.deployments:
            primary = service.deployments[0]
            primary["desiredCount"] = service.desired_count
            if primary["rolloutState"] == "COMPLETED":
                primary["runningCount"] = service.desired_count
        return service

    def run_task(self: Any, cluster_str: str, *args: Any, **kwargs: Any) -> Any:
        tasks = _run_task(self, cluster_str, *args, **kwargs)
        cluster = self._get_cluster(cluster_str).name
        for task in tasks:
            outcome = state.next_task_outcome(cluster)
            task.status = "RUNNING"
            for container in task.containers:
                container.last_status = "RUNNING"
            state.tasks[task.task_arn] = TaskRun(task=task, outcome=outcome, started=time.monotonic())
        return tasks

    _Backend.create_service = create_service
    _Backend.update_service = update_service
    _Backend.run_task = run_task

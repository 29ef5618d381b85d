#!/usr/bin/env python3
"""A test double for AWS's ECS *rollout engine*, on top of the real moto.

moto's ECS keeps one deployment per service forever (rolloutState stays IN_PROGRESS, UpdateService
adds no deployment). This process runs moto in-process (moto's ThreadedMotoServer) on loopback and
adds what ECS's deployment scheduler would do, per service, following a *scenario* chosen by the
test before it deploys:

  healthy   the new deployment becomes PRIMARY + COMPLETED after `after` seconds, the old ones
            are removed, running = desired, and the service reports a steady state
  slow      same as healthy with a long `after` (default 30 s)
  failing   tasks fail (failedTasks grows, events), then the circuit breaker marks the deployment
            FAILED after `after` seconds; the service keeps it as PRIMARY (no ECS rollback)
  rollback  like failing, then ECS rolls back by itself: a new PRIMARY deployment of the previous
            task definition completes, ours goes ACTIVE then away, with ECS's reason
  pending   tasks stay PENDING forever ("unable to place a task")

For every deployment it also answers ListServiceDeployments / DescribeServiceDeployments (which
moto lacks) with the blue/green lifecycle stages ECS would go through (PRE_SCALE_UP, SCALE_UP,
TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP) spread over the scenario's time;
plus, for one-off tasks (RunTask), the exit code and delay of the next tasks, and throttling:
the next N ECS calls answer ThrottlingException.

ECS's own CANARY and LINEAR strategies (deploymentConfiguration.strategy, with canaryConfiguration
or linearConfiguration): when the service's load balancer has an advancedConfiguration with a
productionListenerRule, the driver shifts that rule's weights in moto's ELBv2 (same process) the
way ECS does, between the group that has the traffic (blue) and the other one (green): nothing
for the first 10 % of the scenario's time (SCALE_UP), then the canary percent (or linear steps)
until 80 % (PRODUCTION_TRAFFIC_SHIFT), then all traffic on green (BAKE_TIME) until the deployment
completes. StopServiceDeployment (moto lacks it; answered by the driver) with stopType ROLLBACK
puts all traffic back on blue at once, brings the previous task definition back as the completed
deployment, and reports ROLLBACK_IN_PROGRESS, then ROLLBACK_SUCCESSFUL one second later; ABORT
reports STOPPED.

CodeDeploy (moto stores applications, deployment groups and deployments, but its deployments stay
"Created" forever, errorInformation is always empty and StopDeployment is missing): for every
CreateDeployment the driver follows a CodeDeploy scenario queued for the (application, deployment
group), playing what CodeDeploy's ECS blue/green engine would do:

  succeeds  Created -> InProgress -> Succeeded after `after` seconds (default 1); at the end the ECS
            service of the deployment group runs the AppSpec's TaskDefinition, as after CodeDeploy's
            traffic shift
  slow      same as succeeds with a long `after` (default 30 s)
  fails     Created -> InProgress -> Failed after `after` seconds with errorInformation
            {code, message} (`code` default HEALTH_CONSTRAINTS, `reason` the message); the service
            keeps its task definition (CodeDeploy rolled back)
StopDeployment (answered by the driver) marks the deployment Stopped with errorInformation
DEPLOYMENT_STOPPED (`rollbackInfo` when autoRollbackEnabled); the service keeps its task definition.

Every AWS call still goes to moto; the driver only changes moto's ECS backend state (under one
lock with the requests) and records each call (time, operation) for the benchmark.

Control API on the same port, JSON over HTTP:
  GET  /_driver/health                 -> {"ok": true}
  POST /_driver/scenario {cluster, service, scenarios: [{kind, after?, reason?}, ...]}
        queue of scenarios, one per deployment the service gets next (CreateService and
        UpdateService each make one); when empty: healthy after 1 s
  POST /_driver/codedeploy {application, group, scenarios: [{kind, after?, reason?, code?}, ...]}
        queue of CodeDeploy scenarios, one per CreateDeployment of that deployment group; when
        empty: succeeds after 1 s
  POST /_driver/tasks {cluster, outcomes: [{exit_code, after?, reason?}, ...]}
  POST /_driver/throttle {count, skip?, cluster?, operations?: ["DescribeServices", ...]}
        after `skip` matching calls, the next `count` ones answer ThrottlingException
  GET  /_driver/requests               -> [{t, op, cluster}]  (t: seconds since the epoch)
  GET  /_driver/transitions            -> [{t, cluster, service, deployment, state}]
  POST /_driver/reset-log

usage: ecs-driver.py [--port N] [--exit-on-stdin-eof [--remove-on-exit LOG]]
Prints one JSON line {"url": "http://127.0.0.1:PORT"} once it serves.
"""

import argparse
import datetime
import io
import json
import logging
import os
import sys
import threading
import time

from moto.codedeploy import models as cd_models
from moto.codedeploy import responses as cd_responses
from moto.ecs import models as ecs_models
from moto.elbv2.models import elbv2_backends
from moto.moto_api import state_manager
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

LOCK = threading.RLock()
DEFAULT_SCENARIO = {"kind": "healthy", "after": 1.0}
TICK = 0.1

# (cluster name, service name) -> list of scenario dicts still to use
SCENARIOS = {}
# cluster name -> list of task outcome dicts still to use
TASK_OUTCOMES = {}
# deployment id -> driver state of a deployment it drives
DRIVEN = {}
# task arn -> (task, outcome, started)
TASKS = {}
# service deployment ARN -> record, for ListServiceDeployments / DescribeServiceDeployments
# (which moto lacks); every deployment has one, as in ECS
SERVICE_DEPLOYMENTS = {}
# (application, deployment group) -> list of CodeDeploy scenario dicts still to use
CD_SCENARIOS = {}
# CodeDeploy deployment id -> driver state (every deployment created through the driver)
CD_DRIVEN = {}
THROTTLE = {"count": 0, "skip": 0, "operations": None, "cluster": None}
REQUESTS = []
TRANSITIONS = []


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def event(service, message):
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


def transition(service, deployment, state):
    TRANSITIONS.append(
        {
            "t": time.time(),
            "cluster": service.cluster_name,
            "service": service.name,
            "deployment": deployment["id"],
            "state": state,
        }
    )


def next_scenario(service):
    queue = SCENARIOS.get((service.cluster_name, service.name)) or []
    if queue:
        return queue.pop(0)
    return dict(DEFAULT_SCENARIO)


def new_deployment(service, task_definition, scenario, previous_td):
    deployment_id = f"ecs-svc/{ecs_models.mock_random.randint(0, 32**12)}"
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
    SERVICE_DEPLOYMENTS[arn] = {
        "arn": arn,
        "service": service,
        "deployment": deployment,
        "scenario": scenario,
        "created": time.time(),
        "started": time.monotonic(),
        "previous": previous_td,
        # only an update shifts traffic: a new service has nothing to shift from
        "shift": native_shift(service) if previous_td else None,
    }
    DRIVEN[deployment_id] = {
        "service": service,
        "deployment": deployment,
        "scenario": scenario,
        "started": time.monotonic(),
        "previous": previous_td,
        "stage": "start",
    }
    transition(service, deployment, "IN_PROGRESS")
    event(service, f"has started {service.desired_count} tasks: deployment {deployment_id}.")
    return deployment


def complete(service, deployment):
    deployment["rolloutState"] = "COMPLETED"
    deployment["rolloutStateReason"] = f"ECS deployment {deployment['id']} completed."
    deployment["runningCount"] = deployment["desiredCount"]
    deployment["pendingCount"] = 0
    deployment["updatedAt"] = now()
    service.deployments[:] = [d for d in service.deployments if d is deployment]
    service.running_count = deployment["runningCount"]
    service.pending_count = 0
    service.task_definition = deployment["taskDefinition"]
    transition(service, deployment, "COMPLETED")
    event(service, f"deployment {deployment['id']} completed.")
    event(service, "has reached a steady state.")


def circuit_breaker(service, state):
    deployment = state["deployment"]
    reason = state["scenario"].get(
        "reason",
        "ECS deployment circuit breaker: tasks failed to start.",
    )
    deployment["rolloutState"] = "FAILED"
    deployment["rolloutStateReason"] = reason
    deployment["updatedAt"] = now()
    transition(service, deployment, "FAILED")
    event(service, f"deployment {deployment['id']} deployment failed: {reason}")


def fail_task(service, deployment):
    deployment["failedTasks"] += 1
    short = ecs_models.mock_random.get_random_hex(32)
    event(
        service,
        f"(task {short}) failed container health checks.",
    )


def step(state):
    """Advances one driven deployment according to its scenario."""
    service, deployment, scenario = state["service"], state["deployment"], state["scenario"]
    if deployment not in service.deployments:
        state["stage"] = "gone"
        return
    kind = scenario.get("kind", "healthy")
    elapsed = time.monotonic() - state["started"]
    after = float(scenario.get("after", 30.0 if kind == "slow" else 1.0))
    stage = state["stage"]
    if kind in ("healthy", "slow"):
        if stage == "start" and elapsed >= after / 2 and deployment["desiredCount"] > 0:
            deployment["runningCount"] = max(1, deployment["desiredCount"] // 2)
            deployment["pendingCount"] = deployment["desiredCount"] - deployment["runningCount"]
            state["stage"] = "half"
        if elapsed >= after:
            complete(service, deployment)
            state["stage"] = "done"
    elif kind in ("failing", "rollback"):
        if stage in ("start", "failing") and elapsed >= after / 3 * (deployment["failedTasks"] + 1):
            fail_task(service, deployment)
            state["stage"] = "failing"
        if stage in ("start", "failing") and elapsed >= after:
            circuit_breaker(service, state)
            state["stage"] = "failed"
            if kind == "rollback" and state["previous"]:
                rolled = new_deployment(
                    service,
                    state["previous"],
                    {"kind": "healthy", "after": scenario.get("rollback_after", 1.0)},
                    None,
                )
                service.task_definition = state["previous"]
                event(
                    service,
                    f"rolling back to deployment {rolled['id']}: "
                    f"{deployment['rolloutStateReason']}",
                )
                state["stage"] = "rolled-back"
    elif kind == "pending":
        if stage == "start" and elapsed >= 0.5:
            event(
                service,
                "was unable to place a task because no container instance met all of its requirements.",
            )
            state["stage"] = "pending"


BLUE_GREEN_STAGES = [
    (0.1, "PRE_SCALE_UP"),
    (0.3, "SCALE_UP"),
    (0.5, "TEST_TRAFFIC_SHIFT"),
    (0.7, "PRODUCTION_TRAFFIC_SHIFT"),
    (1.0, "BAKE_TIME"),
]


# --- ECS's own CANARY / LINEAR traffic shifting ---------------------------------------------------


def deployment_configuration(service):
    return getattr(service, "deployment_configuration", None) or {}


def rule_forward(service, rule_arn):
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


def native_shift(service):
    """How ECS would shift traffic for a new deployment of this service, or None."""
    config = deployment_configuration(service)
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
            step = float((config.get("linearConfiguration") or {}).get("stepPercent", 10))
            percents = []
            p = step
            while p < 100:
                percents.append(p)
                p += step
        return {"rule": rule, "blue": blue, "green": green, "percents": percents or [100.0]}
    return None


def set_weights(service, shift, green_percent):
    forward = rule_forward(service, shift["rule"])
    if not forward:
        return
    green = int(round(green_percent))
    for tg in forward["TargetGroups"]:
        if tg["TargetGroupArn"] == shift["green"]:
            tg["Weight"] = green
        elif tg["TargetGroupArn"] == shift["blue"]:
            tg["Weight"] = 100 - green


def native_fraction(record):
    scenario = record["scenario"]
    kind = scenario.get("kind", "healthy")
    after = float(scenario.get("after", 30.0 if kind == "slow" else 1.0))
    return (time.monotonic() - record["started"]) / after if after else 1.0


def native_green_percent(record):
    """Green's share now: 0 while scaling up, the canary percent or linear steps, then 100."""
    f = native_fraction(record)
    percents = record["shift"]["percents"]
    if f < 0.1:
        return 0.0
    if f >= 0.8:
        return 100.0
    index = int((f - 0.1) / 0.7 * len(percents))
    return percents[min(index, len(percents) - 1)]


def native_stage(record):
    f = native_fraction(record)
    if f < 0.1:
        return "SCALE_UP"
    if f < 0.8:
        return "PRODUCTION_TRAFFIC_SHIFT"
    return "BAKE_TIME"


def step_native(record):
    """Moves the weights of one CANARY/LINEAR deployment that is still in progress."""
    deployment, service = record["deployment"], record["service"]
    if record.get("stopped"):
        return
    if deployment["rolloutState"] == "FAILED":
        # the circuit breaker failed it: ECS puts the traffic back on blue
        set_weights(service, record["shift"], 0.0)
        record["shift_done"] = True
        return
    green = 100.0 if deployment["rolloutState"] == "COMPLETED" else native_green_percent(record)
    if record.get("green_now") != green:
        set_weights(service, record["shift"], green)
        record["green_now"] = green
        if deployment["rolloutState"] == "COMPLETED":
            record["shift_done"] = True


def stop_service_deployment(body):
    arn = body.get("serviceDeploymentArn", "")
    record = SERVICE_DEPLOYMENTS.get(arn)
    if record is None:
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
    deployment, service = record["deployment"], record["service"]
    if record.get("stopped") or deployment["rolloutState"] != "IN_PROGRESS":
        return "400 Bad Request", {
            "__type": "ConflictException",
            "message": f"The service deployment {arn} is not in progress.",
        }
    record["stopped"] = {"type": stop_type, "at": time.monotonic()}
    record["stop_requests"] = record.get("stop_requests", 0) + 1
    DRIVEN.pop(deployment["id"], None)
    deployment["rolloutState"] = "FAILED"
    deployment["rolloutStateReason"] = f"Service deployment stopped ({stop_type}) by request."
    transition(service, deployment, "FAILED")
    previous = record.get("previous")
    if record.get("shift"):
        set_weights(service, record["shift"], 0.0)
    if stop_type == "ROLLBACK" and previous:
        # ECS puts production traffic back on blue, which still runs the previous revision.
        service.deployments[:] = [d for d in service.deployments if d is not deployment]
        restored = {
            **deployment,
            "id": f"ecs-svc/{ecs_models.mock_random.randint(0, 32**12)}",
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
        event(service, f"service deployment {arn} rolled back to {previous}.")
    return "200 OK", {"serviceDeploymentArn": arn}


def service_deployment(record, brief):
    """A ServiceDeployment (or its brief) as ECS's blue/green engine would report it now."""
    deployment, scenario = record["deployment"], record["scenario"]
    kind = scenario.get("kind", "healthy")
    after = float(scenario.get("after", 30.0 if kind == "slow" else 1.0))
    state = deployment["rolloutState"]
    reason = None
    stopped = record.get("stopped")
    if stopped:
        settled = time.monotonic() - stopped["at"] >= 1.0
        if stopped["type"] == "ABORT":
            status = "STOPPED"
        else:
            status = "ROLLBACK_SUCCESSFUL" if settled else "ROLLBACK_IN_PROGRESS"
        stage, reason = "PRODUCTION_TRAFFIC_SHIFT", deployment["rolloutStateReason"]
    elif state == "COMPLETED":
        status, stage = "SUCCESSFUL", "CLEAN_UP"
    elif state == "FAILED":
        status = "ROLLBACK_SUCCESSFUL" if kind == "rollback" else "STOPPED"
        stage, reason = "SCALE_UP", deployment["rolloutStateReason"]
    elif kind == "pending":
        status, stage = "IN_PROGRESS", "SCALE_UP"
    else:
        fraction = (time.monotonic() - record["started"]) / after if after else 1.0
        status = "IN_PROGRESS"
        stage = next((name for limit, name in BLUE_GREEN_STAGES if fraction < limit), "BAKE_TIME")
        if record.get("shift"):
            stage = native_stage(record)
    service = record["service"]
    out = {
        "serviceDeploymentArn": record["arn"],
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        "createdAt": record["created"],
        "startedAt": record["created"],
        "status": status,
    }
    if reason:
        out["statusReason"] = reason
    if brief:
        out["targetServiceRevisionArn"] = record["arn"].replace("service-deployment", "service-revision")
    else:
        out["lifecycleStage"] = stage
        out["targetServiceRevision"] = {
            "arn": record["arn"].replace("service-deployment", "service-revision"),
            "requestedTaskCount": deployment["desiredCount"],
            "runningTaskCount": deployment["runningCount"],
            "pendingTaskCount": deployment["pendingCount"],
        }
    return out


def service_deployments_api(op, body):
    if op == "ListServiceDeployments":
        cluster = (body.get("cluster") or "default").split("/")[-1]
        name = body.get("service", "").split("/")[-1]
        after = (body.get("createdAt") or {}).get("after")
        found = [
            r for r in SERVICE_DEPLOYMENTS.values()
            if r["service"].cluster_name == cluster and r["service"].name == name
            and (after is None or r["created"] >= float(after))
        ]
        found.sort(key=lambda r: r["created"], reverse=True)
        return {"serviceDeployments": [service_deployment(r, True) for r in found]}
    arns = body.get("serviceDeploymentArns", [])
    return {
        "serviceDeployments": [
            service_deployment(SERVICE_DEPLOYMENTS[a], False) for a in arns if a in SERVICE_DEPLOYMENTS
        ],
        "failures": [{"arn": a, "reason": "MISSING"} for a in arns if a not in SERVICE_DEPLOYMENTS],
    }


def step_task(arn, entry):
    task, outcome, started = entry
    if time.monotonic() - started < float(outcome.get("after", 1.0)):
        return False
    task.status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stopped_reason = outcome.get("reason", "Essential container in task exited")
    for container in task.containers:
        container.last_status = "STOPPED"
        container.exitCode = int(outcome.get("exit_code", 0))
    return True


def ticker():
    while True:
        time.sleep(TICK)
        with LOCK:
            for dep_id, state in list(DRIVEN.items()):
                if state["stage"] in ("done", "gone", "failed", "rolled-back"):
                    del DRIVEN[dep_id]
                    continue
                step(state)
            for arn, entry in list(TASKS.items()):
                if step_task(arn, entry):
                    del TASKS[arn]
            for state in CD_DRIVEN.values():
                step_codedeploy(state)
            for record in SERVICE_DEPLOYMENTS.values():
                if record.get("shift") and not record.get("shift_done"):
                    step_native(record)


# --- hooks into moto's ECS backend -----------------------------------------------------------

_create_service = ecs_models.EC2ContainerServiceBackend.create_service
_update_service = ecs_models.EC2ContainerServiceBackend.update_service
_run_task = ecs_models.EC2ContainerServiceBackend.run_task


def create_service(self, *args, **kwargs):
    service = _create_service(self, *args, **kwargs)
    if service.deployment_controller.get("type", "ECS") == "ECS":
        service.deployments = []
        service.events = []
        new_deployment(service, service.task_definition, next_scenario(service), None)
    return service


def update_service(self, props):
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
        new_deployment(service, td, next_scenario(service), previous_td)
        service.task_definition = td
    elif requested.get("desired_count") is not None and service.deployments:
        primary = service.deployments[0]
        primary["desiredCount"] = service.desired_count
        if primary["rolloutState"] == "COMPLETED":
            primary["runningCount"] = service.desired_count
    return service


def run_task(self, cluster_str, *args, **kwargs):
    tasks = _run_task(self, cluster_str, *args, **kwargs)
    cluster = self._get_cluster(cluster_str).name
    for task in tasks:
        queue = TASK_OUTCOMES.get(cluster) or []
        outcome = queue.pop(0) if queue else {"exit_code": 0, "after": 1.0}
        task.status = "RUNNING"
        for container in task.containers:
            container.last_status = "RUNNING"
        TASKS[task.task_arn] = (task, outcome, time.monotonic())
    return tasks


ecs_models.EC2ContainerServiceBackend.create_service = create_service
ecs_models.EC2ContainerServiceBackend.update_service = update_service
ecs_models.EC2ContainerServiceBackend.run_task = run_task


# --- CodeDeploy -------------------------------------------------------------------------------

_create_cd_deployment = cd_models.CodeDeployBackend.create_deployment
_cd_deployment_info = cd_responses._deployment_info


def appspec_task_definition(revision):
    """The TaskDefinition of an ECS AppSpec (JSON content; YAML is not parsed here)."""
    content = ((revision or {}).get("appSpecContent") or {}).get("content") or "{}"
    try:
        spec = json.loads(content)
        return spec["Resources"][0]["TargetService"]["Properties"]["TaskDefinition"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def create_cd_deployment(self, application_name, deployment_group_name, revision, *args, **kwargs):
    deployment_id = _create_cd_deployment(
        self, application_name, deployment_group_name, revision, *args, **kwargs
    )
    deployment = self.deployments[deployment_id]
    queue = CD_SCENARIOS.get((application_name, deployment_group_name)) or []
    scenario = queue.pop(0) if queue else {"kind": "succeeds", "after": 1.0}
    group = self.deployment_groups[application_name][deployment_group_name]
    services = [
        (s.get("clusterName"), s.get("serviceName")) for s in (group.ecs_services or [])
    ]
    CD_DRIVEN[deployment_id] = {
        "deployment": deployment,
        "scenario": scenario,
        "started": time.monotonic(),
        "backend": ecs_models.ecs_backends[self.account_id][self.region_name],
        "services": services,
        "task_definition": appspec_task_definition(revision),
        "error": None,
        "rollback": None,
    }
    return deployment_id


def cd_set(state, status, error=None):
    deployment = state["deployment"]
    deployment.status = status
    if status == "InProgress" and deployment.start_time is None:
        deployment.start_time = now()
    if status in ("Succeeded", "Failed", "Stopped"):
        deployment.complete_time = now()
    if error:
        state["error"] = error


def step_codedeploy(state):
    deployment, scenario = state["deployment"], state["scenario"]
    if deployment.status in ("Succeeded", "Failed", "Stopped"):
        return
    kind = scenario.get("kind", "succeeds")
    after = float(scenario.get("after", 30.0 if kind == "slow" else 1.0))
    elapsed = time.monotonic() - state["started"]
    if deployment.status == "Created" and elapsed >= min(0.2, after / 4):
        cd_set(state, "InProgress")
    if elapsed < after:
        return
    if kind in ("succeeds", "slow"):
        # CodeDeploy shifted the traffic to the replacement task set: the service runs it.
        for cluster, name in state["services"]:
            try:
                service = state["backend"]._get_service(cluster, name)
            except Exception:  # noqa: BLE001 - a group may name a service that is gone
                continue
            if state["task_definition"]:
                service.task_definition = state["task_definition"]
        cd_set(state, "Succeeded")
    elif kind == "fails":
        cd_set(
            state,
            "Failed",
            {
                "code": scenario.get("code", "HEALTH_CONSTRAINTS"),
                "message": scenario.get(
                    "reason", "The overall deployment failed because too many individual instances failed deployment."
                ),
            },
        )


def stop_cd_deployment(body):
    deployment_id = body.get("deploymentId", "")
    state = CD_DRIVEN.get(deployment_id)
    if state is None:
        return "400 Bad Request", {
            "__type": "DeploymentDoesNotExistException",
            "message": f"The deployment {deployment_id} does not exist.",
        }
    if state["deployment"].status in ("Succeeded", "Failed", "Stopped"):
        return "400 Bad Request", {
            "__type": "DeploymentAlreadyCompletedException",
            "message": f"The deployment {deployment_id} has already completed.",
        }
    cd_set(
        state,
        "Stopped",
        {"code": "DEPLOYMENT_STOPPED", "message": "The deployment was stopped by the user."},
    )
    if body.get("autoRollbackEnabled"):
        state["rollback"] = {"rollbackMessage": "Deployment rolled back by the user's stop request."}
    state["stop_requests"] = state.get("stop_requests", 0) + 1
    return "200 OK", {"status": "Pending", "statusMessage": "Stopping the deployment"}


def cd_deployment_info(deployment):
    info = _cd_deployment_info(deployment)
    state = CD_DRIVEN.get(deployment.deployment_id)
    if state is not None:
        info["errorInformation"] = state["error"] or {}
        info["rollbackInfo"] = state["rollback"] or {}
    return info


cd_models.CodeDeployBackend.create_deployment = create_cd_deployment
cd_responses._deployment_info = cd_deployment_info


# --- the WSGI layer: control API, request log, throttling, one lock ------------------------------


def json_response(start_response, status, body):
    data = json.dumps(body, default=str).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def read_body(environ):
    """The request's raw body; the WSGI input is replaced by an unread copy for moto."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    return raw


def deployment_cluster(arn):
    """arn:…:service-deployment/<cluster>/<service>/<id> -> <cluster>"""
    parts = (arn or "").split("/")
    return parts[-3] if len(parts) >= 4 else None


def control(environ, start_response):
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    body = {}
    if method == "POST":
        body = json.loads(read_body(environ) or b"{}")
    with LOCK:
        if path == "/_driver/health":
            return json_response(start_response, "200 OK", {"ok": True})
        if path == "/_driver/scenario" and method == "POST":
            key = (body["cluster"], body["service"])
            SCENARIOS.setdefault(key, []).extend(body.get("scenarios", []))
            return json_response(start_response, "200 OK", {"queued": len(SCENARIOS[key])})
        if path == "/_driver/codedeploy" and method == "POST":
            key = (body["application"], body["group"])
            CD_SCENARIOS.setdefault(key, []).extend(body.get("scenarios", []))
            return json_response(start_response, "200 OK", {"queued": len(CD_SCENARIOS[key])})
        if path == "/_driver/tasks" and method == "POST":
            TASK_OUTCOMES.setdefault(body["cluster"], []).extend(body.get("outcomes", []))
            return json_response(start_response, "200 OK", {"ok": True})
        if path == "/_driver/throttle" and method == "POST":
            THROTTLE["count"] = int(body.get("count", 0))
            THROTTLE["skip"] = int(body.get("skip", 0))
            THROTTLE["cluster"] = body.get("cluster")
            THROTTLE["operations"] = body.get("operations")
            return json_response(start_response, "200 OK", {"ok": True})
        if path == "/_driver/requests":
            return json_response(start_response, "200 OK", list(REQUESTS))
        if path == "/_driver/transitions":
            return json_response(start_response, "200 OK", list(TRANSITIONS))
        if path == "/_driver/reset-log" and method == "POST":
            REQUESTS.clear()
            TRANSITIONS.clear()
            return json_response(start_response, "200 OK", {"ok": True})
    return json_response(start_response, "404 Not Found", {"error": f"no {method} {path}"})


class Driver:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/_driver/"):
            return control(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        op = target.split(".")[-1] if target else environ.get("PATH_INFO", "")
        cluster = None
        body = {}
        # Answered by the driver (moto lacks them): CodeDeploy's StopDeployment, ECS's
        # StopServiceDeployment.
        stops = {
            ("CodeDeploy_", "StopDeployment"): (stop_cd_deployment, lambda b: None),
            ("AmazonEC2ContainerService", "StopServiceDeployment"): (
                stop_service_deployment,
                lambda b: deployment_cluster(b.get("serviceDeploymentArn")),
            ),
        }
        for (prefix, name), (answer_stop, cluster_of) in stops.items():
            if target.startswith(prefix) and op == name:
                body = json.loads(read_body(environ) or b"{}")
                with LOCK:
                    REQUESTS.append({"t": time.time(), "op": op, "cluster": cluster_of(body)})
                    status, answer = answer_stop(body)
                return json_response(start_response, status, answer)
        if target.startswith("AmazonEC2ContainerService"):
            # Read the body to know the cluster, then hand moto an unread copy.
            raw = read_body(environ)
            try:
                body = json.loads(raw or b"{}")
                cluster = (body.get("cluster") or "default").split("/")[-1]
                arns = body.get("serviceDeploymentArns")
                if arns and "cluster" not in body:
                    cluster = deployment_cluster(arns[0])
            except ValueError:
                cluster = None
        with LOCK:
            REQUESTS.append({"t": time.time(), "op": op, "cluster": cluster})
            ops = THROTTLE["operations"]
            matches = (
                THROTTLE["count"] > 0
                and target.startswith("AmazonEC2ContainerService")
                and (not ops or op in ops)
                and (not THROTTLE["cluster"] or THROTTLE["cluster"] == cluster)
            )
            if matches and THROTTLE["skip"] > 0:
                THROTTLE["skip"] -= 1
            elif matches:
                THROTTLE["count"] -= 1
                return json_response(
                    start_response,
                    "400 Bad Request",
                    {"__type": "ThrottlingException", "message": "Rate exceeded"},
                )
            if op in ("ListServiceDeployments", "DescribeServiceDeployments"):
                return json_response(start_response, "200 OK", service_deployments_api(op, body))
            # moto answers from the same backend state the ticker changes: one at a time.
            return self.app(environ, start_response)


class DrivenMotoServer(ThreadedMotoServer):
    """moto's ThreadedMotoServer with the driver's WSGI layer in front of moto's app."""

    def _server_entry(self):
        app = Driver(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    parser.add_argument("--remove-on-exit", metavar="FILE",
                        help="with --exit-on-stdin-eof: delete FILE (our log) when exiting")
    args = parser.parse_args()
    # One line per request on stderr would drown the test logs; the request log is /_driver/requests.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # One-off tasks stop when the driver says so, not on moto's schedule.
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})
    server = DrivenMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    threading.Thread(target=ticker, daemon=True).start()
    print(json.dumps({"url": f"http://{host}:{port}"}), flush=True)
    if args.exit_on_stdin_eof:
        # The test process that started us holds our stdin: when it exits, so do we.
        sys.stdin.read()
        if args.remove_on_exit:
            try:
                os.unlink(args.remove_on_exit)
            except OSError:
                pass
        os._exit(0)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()

"""The driver's one state object, and the records of what it drives.

Everything the driver knows lives in one `State` instance, behind its `lock`: the queues a test
fills through the control API, the deployments, tasks and CodeDeploy deployments being played,
the throttling rule, and the two logs. The WSGI layer holds the lock around every AWS call and
control request, and the ticker around every step, so moto's backend state and this one change
together, one at a time.

Standard library only: moto's objects (a service, its deployment dicts, a task, a CodeDeploy
deployment) are held here, but not touched.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Tuple

from .records import (
    DEFAULT_CODEDEPLOY_SCENARIO,
    DEFAULT_SCENARIO,
    DEFAULT_TASK_OUTCOME,
    CodeDeployRequest,
    CodeDeployScenario,
    RequestLogEntry,
    Scenario,
    ScenarioRequest,
    TaskOutcome,
    TasksRequest,
    ThrottleRule,
    Transition,
)
from .taskdefs import Registered


@dataclass(frozen=True)
class NativeShift:
    """How ECS's CANARY or LINEAR strategy moves a production listener rule's weights for one
    deployment: from `blue` (the target group that had the traffic) to `green`, through
    `percents` (green's share at each step)."""

    rule: str
    blue: str
    green: str
    percents: Tuple[float, ...]


@dataclass(frozen=True)
class StopRequest:
    """A StopServiceDeployment the driver answered: its stopType and when (monotonic)."""

    type: str
    at: float


@dataclass(eq=False)
class Rollout:
    """One ECS service deployment the driver plays: ECS's `deployment` (moto's dict, which
    DescribeServices shows) and its ServiceDeployment (ListServiceDeployments,
    DescribeServiceDeployments), which every deployment has, as in ECS."""

    #: the service deployment ARN (DescribeServices' currentServiceDeployment)
    arn: str
    service: Any  # moto's ecs Service
    deployment: Dict[str, Any]
    scenario: Scenario
    #: seconds since the epoch (the ServiceDeployment's createdAt)
    created: float
    #: time.monotonic() at creation: the scenario's clock
    started: float
    #: the task definition the service ran before (None for a new service and for a rollback)
    previous: Optional[str]
    #: ECS's own CANARY / LINEAR traffic shift, when the service has one
    shift: Optional[NativeShift]
    #: where the scenario is: start, half, failing, pending; then done, failed, rolled-back, gone
    stage: str = "start"
    stopped: Optional[StopRequest] = None
    #: green's share of the production rule the driver last set
    green_now: Optional[float] = None
    shift_done: bool = False


@dataclass(eq=False)
class TaskRun:
    """A one-off task (RunTask) that runs until its outcome says it stops."""

    task: Any  # moto's ecs Task
    outcome: TaskOutcome
    started: float


@dataclass(eq=False)
class CodeDeployRun:
    """A CodeDeploy deployment the driver plays."""

    deployment: Any  # moto's codedeploy DeploymentInfo
    scenario: CodeDeployScenario
    started: float
    ecs_backend: Any  # the ECS backend of the deployment's account and region
    #: (cluster, service) of the deployment group's ECS services
    services: List[Tuple[Optional[str], Optional[str]]]
    #: the AppSpec's TaskDefinition (None when it names none)
    task_definition: Optional[str]
    #: errorInformation and rollbackInfo, once there are any
    error: Optional[Dict[str, str]] = None
    rollback: Optional[Dict[str, str]] = None


@dataclass(eq=False)
class State:
    """Everything the driver knows; touch it only while holding `lock`."""

    lock: Any = field(default_factory=threading.RLock)
    #: (cluster, service) -> scenarios of its next deployments
    scenarios: Dict[Tuple[str, str], List[Scenario]] = field(default_factory=dict)
    #: (application, deployment group) -> scenarios of its next CodeDeploy deployments
    codedeploy_scenarios: Dict[Tuple[str, str], List[CodeDeployScenario]] = field(
        default_factory=dict
    )
    #: cluster -> outcomes of its next one-off tasks
    task_outcomes: Dict[str, List[TaskOutcome]] = field(default_factory=dict)
    #: deployment id -> the rollouts the ticker still moves
    driven: Dict[str, Rollout] = field(default_factory=dict)
    #: service deployment ARN -> every rollout, for ListServiceDeployments and
    #: DescribeServiceDeployments (which moto lacks)
    service_deployments: Dict[str, Rollout] = field(default_factory=dict)
    #: task ARN -> one-off tasks still running
    tasks: Dict[str, TaskRun] = field(default_factory=dict)
    #: CodeDeploy deployment id -> every CodeDeploy deployment created through the driver
    codedeploy: Dict[str, CodeDeployRun] = field(default_factory=dict)
    #: task definition ARN -> its RegisterTaskDefinition as sent (see `taskdefs`)
    task_definitions: Dict[str, Registered] = field(default_factory=dict)
    throttle: ThrottleRule = field(default_factory=ThrottleRule)
    requests: List[RequestLogEntry] = field(default_factory=list)
    transitions: List[Transition] = field(default_factory=list)

    # --- the control API's queues -------------------------------------------------------------

    def queue_scenarios(self, request: ScenarioRequest) -> int:
        queue = self.scenarios.setdefault((request.cluster, request.service), [])
        queue.extend(request.scenarios)
        return len(queue)

    def queue_codedeploy(self, request: CodeDeployRequest) -> int:
        queue = self.codedeploy_scenarios.setdefault((request.application, request.group), [])
        queue.extend(request.scenarios)
        return len(queue)

    def queue_task_outcomes(self, request: TasksRequest) -> None:
        self.task_outcomes.setdefault(request.cluster, []).extend(request.outcomes)

    def next_scenario(self, cluster: str, service: str) -> Scenario:
        queue = self.scenarios.get((cluster, service))
        return queue.pop(0) if queue else DEFAULT_SCENARIO

    def next_codedeploy_scenario(self, application: str, group: str) -> CodeDeployScenario:
        queue = self.codedeploy_scenarios.get((application, group))
        return queue.pop(0) if queue else DEFAULT_CODEDEPLOY_SCENARIO

    def next_task_outcome(self, cluster: str) -> TaskOutcome:
        queue = self.task_outcomes.get(cluster)
        return queue.pop(0) if queue else DEFAULT_TASK_OUTCOME

    # --- throttling and the logs ----------------------------------------------------------------

    def throttles(self, op: str, cluster: Optional[str]) -> Optional[ThrottleRule]:
        """The rule, when this ECS call is one it fails or delays; counts it against the rule."""
        rule = self.throttle
        if not rule.matches(op, cluster):
            return None
        if rule.skip > 0:
            self.throttle = replace(rule, skip=rule.skip - 1)
            return None
        self.throttle = replace(rule, count=rule.count - 1)
        return rule

    def log_request(self, op: str, cluster: Optional[str]) -> None:
        self.requests.append(RequestLogEntry(t=time.time(), op=op, cluster=cluster))

    def log_transition(self, service: Any, deployment: Dict[str, Any], state: str) -> None:
        self.transitions.append(
            Transition(
                t=time.time(),
                cluster=service.cluster_name,
                service=service.name,
                deployment=deployment["id"],
                state=state,
            )
        )

    def reset_log(self) -> None:
        self.requests.clear()
        self.transitions.clear()

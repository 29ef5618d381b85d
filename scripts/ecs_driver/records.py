"""The driver's typed records, and the one place where control-API JSON becomes them.

Inputs (what a test queues through the control API): `Scenario`, `CodeDeployScenario`,
`TaskOutcome`, `ThrottleRule`, each parsed by `parse_control` with a `BadRequest` (HTTP 400) that
names the field and what is valid. Outputs (what the driver logs): `RequestLogEntry` and
`Transition`, answered as JSON by GET /_driver/requests and /_driver/transitions.

Standard library only: nothing here touches moto.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional, Tuple, Union

# --- what the control API accepts ---------------------------------------------------------------

ECS_KINDS = ("healthy", "slow", "failing", "rollback", "pending")
CODEDEPLOY_KINDS = ("succeeds", "slow", "fails")

#: rolloutStateReason of a deployment the circuit breaker failed (unless the scenario says)
CIRCUIT_BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."
CODEDEPLOY_FAILURE_CODE = "HEALTH_CONSTRAINTS"
CODEDEPLOY_FAILURE_MESSAGE = (
    "The overall deployment failed because too many individual instances failed deployment."
)
TASK_STOPPED_REASON = "Essential container in task exited"


@dataclass(frozen=True)
class Scenario:
    """What one ECS deployment of a service does (see the driver's docstring for each kind)."""

    kind: str = "healthy"
    #: seconds until the deployment completes (healthy, slow) or the circuit breaker fails it
    #: (failing, rollback); default 30 for slow, else 1
    after: float = 1.0
    #: failing, rollback: the FAILED deployment's rolloutStateReason
    reason: str = CIRCUIT_BREAKER_REASON
    #: rollback: seconds the rollback deployment takes to complete
    rollback_after: float = 1.0


#: what a deployment does when its service has no scenario queued
DEFAULT_SCENARIO = Scenario()


@dataclass(frozen=True)
class CodeDeployScenario:
    """What one CodeDeploy deployment of a deployment group does."""

    kind: str = "succeeds"
    #: seconds until Succeeded or Failed; default 30 for slow, else 1
    after: float = 1.0
    #: fails: errorInformation.code and .message
    code: str = CODEDEPLOY_FAILURE_CODE
    reason: str = CODEDEPLOY_FAILURE_MESSAGE


DEFAULT_CODEDEPLOY_SCENARIO = CodeDeployScenario()


@dataclass(frozen=True)
class TaskOutcome:
    """How one one-off task (RunTask) ends: its container exits with `exit_code` after `after` s."""

    exit_code: int = 0
    after: float = 1.0
    reason: str = TASK_STOPPED_REASON


DEFAULT_TASK_OUTCOME = TaskOutcome()


@dataclass(frozen=True)
class ThrottleRule:
    """After `skip` matching ECS calls, the next `count` answer `error` (ThrottlingException
    unless said otherwise, e.g. AccessDeniedException), or with `delay` > 0 are answered as
    usual after `delay` seconds. A call matches when it is on `cluster` (None: any) and is one of
    `operations` (empty: any)."""

    count: int = 0
    skip: int = 0
    cluster: Optional[str] = None
    operations: Tuple[str, ...] = ()
    error: str = "ThrottlingException"
    delay: float = 0.0

    def matches(self, op: str, cluster: Optional[str]) -> bool:
        return (
            self.count > 0
            and (not self.operations or op in self.operations)
            and (not self.cluster or self.cluster == cluster)
        )


@dataclass(frozen=True)
class ScenarioRequest:
    """POST /_driver/scenario"""

    cluster: str
    service: str
    scenarios: Tuple[Scenario, ...]


@dataclass(frozen=True)
class CodeDeployRequest:
    """POST /_driver/codedeploy"""

    application: str
    group: str
    scenarios: Tuple[CodeDeployScenario, ...]


@dataclass(frozen=True)
class TasksRequest:
    """POST /_driver/tasks"""

    cluster: str
    outcomes: Tuple[TaskOutcome, ...]


# --- what the driver logs ------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestLogEntry:
    """One AWS call the driver saw: `t` seconds since the epoch, the operation, the ECS cluster
    it concerns (None for calls that are not ECS's or name no cluster)."""

    t: float
    op: str
    cluster: Optional[str]

    def to_json(self) -> Dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Transition:
    """One rolloutState the driver gave a deployment: IN_PROGRESS, COMPLETED or FAILED."""

    t: float
    cluster: str
    service: str
    deployment: str
    state: str

    def to_json(self) -> Dict[str, Any]:
        return asdict(self)


# --- parsing --------------------------------------------------------------------------------------


class BadRequest(ValueError):
    """A control-API request the driver refuses: HTTP 400 {"error": message, "field": field}."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


class _Object:
    """One JSON object being parsed. Every getter names the field (a path such as
    `scenarios[1].after`) in its error; a JSON null counts as absent."""

    def __init__(self, value: Any, path: str, fields: Tuple[str, ...]):
        if not isinstance(value, dict):
            raise BadRequest(path, f"must be a JSON object, not {_type_name(value)}")
        for name in value:
            if name not in fields:
                raise BadRequest(
                    self._path(path, name), f"unknown field; valid fields: {', '.join(fields)}"
                )
        self.value = value
        self.path = path

    @staticmethod
    def _path(path: str, name: str) -> str:
        return f"{path}.{name}" if path else name

    def field(self, name: str) -> str:
        return self._path(self.path, name)

    def has(self, name: str) -> bool:
        return self.value.get(name) is not None

    def string(self, name: str, default: Optional[str] = None, required: bool = False) -> Any:
        v = self.value.get(name)
        if v is None:
            if required:
                raise BadRequest(self.field(name), "is required (a non-empty string)")
            return default
        if not isinstance(v, str) or (required and not v):
            what = "a non-empty string" if required else "a string"
            raise BadRequest(self.field(name), f"must be {what}, not {json.dumps(v)}")
        return v

    def choice(self, name: str, valid: Tuple[str, ...], default: str) -> str:
        v = self.value.get(name)
        if v is None:
            return default
        if v not in valid:
            raise BadRequest(self.field(name), f"{json.dumps(v)} is not one of {', '.join(valid)}")
        return v

    def seconds(self, name: str, default: float) -> float:
        v = self.value.get(name)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise BadRequest(
                self.field(name), f"must be a number of seconds >= 0, not {json.dumps(v)}"
            )
        return float(v)

    def integer(self, name: str, default: int, minimum: Optional[int] = None) -> int:
        v = self.value.get(name)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, int) or (minimum is not None and v < minimum):
            bound = f" >= {minimum}" if minimum is not None else ""
            raise BadRequest(self.field(name), f"must be an integer{bound}, not {json.dumps(v)}")
        return v

    def array(self, name: str) -> List[Any]:
        v = self.value.get(name)
        if v is None:
            return []
        if not isinstance(v, list):
            raise BadRequest(self.field(name), f"must be an array, not {_type_name(v)}")
        return v

    def only_for(self, names: Tuple[str, ...], kinds: Tuple[str, ...], kind: str) -> None:
        """Fields that mean something for some kinds only are refused with the others."""
        if kind in kinds:
            return
        for name in names:
            if self.has(name):
                raise BadRequest(
                    self.field(name), f"applies to kind {' or '.join(kinds)} only, not {kind}"
                )


def parse_scenario(value: Any, path: str) -> Scenario:
    o = _Object(value, path, ("kind", "after", "reason", "rollback_after"))
    kind = o.choice("kind", ECS_KINDS, "healthy")
    o.only_for(("reason",), ("failing", "rollback"), kind)
    o.only_for(("rollback_after",), ("rollback",), kind)
    return Scenario(
        kind=kind,
        after=o.seconds("after", 30.0 if kind == "slow" else 1.0),
        reason=o.string("reason", CIRCUIT_BREAKER_REASON),
        rollback_after=o.seconds("rollback_after", 1.0),
    )


def parse_codedeploy_scenario(value: Any, path: str) -> CodeDeployScenario:
    o = _Object(value, path, ("kind", "after", "code", "reason"))
    kind = o.choice("kind", CODEDEPLOY_KINDS, "succeeds")
    o.only_for(("code", "reason"), ("fails",), kind)
    return CodeDeployScenario(
        kind=kind,
        after=o.seconds("after", 30.0 if kind == "slow" else 1.0),
        code=o.string("code", CODEDEPLOY_FAILURE_CODE),
        reason=o.string("reason", CODEDEPLOY_FAILURE_MESSAGE),
    )


def parse_task_outcome(value: Any, path: str) -> TaskOutcome:
    o = _Object(value, path, ("exit_code", "after", "reason"))
    return TaskOutcome(
        exit_code=o.integer("exit_code", 0),
        after=o.seconds("after", 1.0),
        reason=o.string("reason", TASK_STOPPED_REASON),
    )


def parse_scenario_request(body: Any) -> ScenarioRequest:
    o = _Object(body, "", ("cluster", "service", "scenarios"))
    return ScenarioRequest(
        cluster=o.string("cluster", required=True),
        service=o.string("service", required=True),
        scenarios=tuple(
            parse_scenario(s, f"scenarios[{i}]") for i, s in enumerate(o.array("scenarios"))
        ),
    )


def parse_codedeploy_request(body: Any) -> CodeDeployRequest:
    o = _Object(body, "", ("application", "group", "scenarios"))
    return CodeDeployRequest(
        application=o.string("application", required=True),
        group=o.string("group", required=True),
        scenarios=tuple(
            parse_codedeploy_scenario(s, f"scenarios[{i}]")
            for i, s in enumerate(o.array("scenarios"))
        ),
    )


def parse_tasks_request(body: Any) -> TasksRequest:
    o = _Object(body, "", ("cluster", "outcomes"))
    return TasksRequest(
        cluster=o.string("cluster", required=True),
        outcomes=tuple(
            parse_task_outcome(s, f"outcomes[{i}]") for i, s in enumerate(o.array("outcomes"))
        ),
    )


def parse_throttle_request(body: Any) -> ThrottleRule:
    o = _Object(body, "", ("count", "skip", "cluster", "operations", "error", "delay"))
    operations = o.array("operations")
    error = o.string("error") or "ThrottlingException"
    if not error.isalnum():
        raise BadRequest("error", f"must be an AWS error code such as AccessDeniedException, not {json.dumps(error)}")
    for i, op in enumerate(operations):
        if not isinstance(op, str) or not op:
            raise BadRequest(
                f"operations[{i}]",
                f"must be an ECS operation name such as DescribeServices, not {json.dumps(op)}",
            )
    return ThrottleRule(
        count=o.integer("count", 0, minimum=0),
        skip=o.integer("skip", 0, minimum=0),
        cluster=o.string("cluster"),
        operations=tuple(operations),
        error=error,
        delay=o.seconds("delay", 0.0),
    )


ControlRequest = Union[ScenarioRequest, CodeDeployRequest, TasksRequest, ThrottleRule]

#: POST path -> its parser: the control API's inputs, all parsed here
PARSERS = {
    "/_driver/scenario": parse_scenario_request,
    "/_driver/codedeploy": parse_codedeploy_request,
    "/_driver/tasks": parse_tasks_request,
    "/_driver/throttle": parse_throttle_request,
}


def parse_control(path: str, raw: bytes) -> ControlRequest:
    """The record a control-API POST carries, or BadRequest."""
    try:
        body = json.loads(raw or b"{}")
    except ValueError as e:
        raise BadRequest("", f"the body is not JSON: {e}") from None
    return PARSERS[path](body)

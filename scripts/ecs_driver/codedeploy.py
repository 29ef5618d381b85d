"""CodeDeploy's ECS blue/green engine as the driver plays it, on moto's CodeDeploy backend (whose
deployments otherwise stay Created forever, with no errorInformation and no StopDeployment).
Every function takes the driver's `State` and runs with its lock held."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any, Dict, Optional, Tuple

from moto.codedeploy import models as cd_models
from moto.codedeploy import responses as cd_responses
from moto.ecs import models as ecs_models

from .state import CodeDeployRun, State

FINAL_STATUSES = ("Succeeded", "Failed", "Stopped")


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def appspec_task_definition(revision: Optional[Dict[str, Any]]) -> Optional[str]:
    """The TaskDefinition of an ECS AppSpec (JSON content; YAML is not parsed here)."""
    content = ((revision or {}).get("appSpecContent") or {}).get("content") or "{}"
    try:
        spec = json.loads(content)
        return spec["Resources"][0]["TargetService"]["Properties"]["TaskDefinition"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def set_status(run: CodeDeployRun, status: str, error: Optional[Dict[str, str]] = None) -> None:
    deployment = run.deployment
    deployment.status = status
    if status == "InProgress" and deployment.start_time is None:
        deployment.start_time = now()
    if status in FINAL_STATUSES:
        deployment.complete_time = now()
    if error:
        run.error = error


def step(run: CodeDeployRun) -> None:
    """Advances one CodeDeploy deployment according to its scenario."""
    deployment, scenario = run.deployment, run.scenario
    if deployment.status in FINAL_STATUSES:
        return
    after = scenario.after
    elapsed = time.monotonic() - run.started
    if deployment.status == "Created" and elapsed >= min(0.2, after / 4):
        set_status(run, "InProgress")
    if elapsed < after:
        return
    if scenario.kind in ("succeeds", "slow"):
        # CodeDeploy shifted the traffic to the replacement task set: the service runs it.
        for cluster, name in run.services:
            try:
                service = run.ecs_backend._get_service(cluster, name)
            except Exception:  # noqa: BLE001 - a group may name a service that is gone
                continue
            if run.task_definition:
                service.task_definition = run.task_definition
        set_status(run, "Succeeded")
    elif scenario.kind == "fails":
        set_status(run, "Failed", {"code": scenario.code, "message": scenario.reason})


def tick(state: State) -> None:
    for run in state.codedeploy.values():
        step(run)


def stop_deployment(state: State, body: Dict[str, Any]) -> Tuple[str, Dict[str, Any]]:
    """CodeDeploy's StopDeployment (moto lacks it)."""
    deployment_id = body.get("deploymentId", "")
    run = state.codedeploy.get(deployment_id)
    if run is None:
        return "400 Bad Request", {
            "__type": "DeploymentDoesNotExistException",
            "message": f"The deployment {deployment_id} does not exist.",
        }
    if run.deployment.status in FINAL_STATUSES:
        return "400 Bad Request", {
            "__type": "DeploymentAlreadyCompletedException",
            "message": f"The deployment {deployment_id} has already completed.",
        }
    set_status(
        run,
        "Stopped",
        {"code": "DEPLOYMENT_STOPPED", "message": "The deployment was stopped by the user."},
    )
    if body.get("autoRollbackEnabled"):
        run.rollback = {"rollbackMessage": "Deployment rolled back by the user's stop request."}
    return "200 OK", {"status": "Pending", "statusMessage": "Stopping the deployment"}


# --- hooks into moto's CodeDeploy backend ---------------------------------------------------------

_create_deployment = cd_models.CodeDeployBackend.create_deployment
_deployment_info = cd_responses._deployment_info


def install(state: State) -> None:
    """Makes every CreateDeployment a deployment the driver plays, and GetDeployment /
    BatchGetDeployments report its errorInformation and rollbackInfo."""

    def create_deployment(
        self: Any,
        application_name: str,
        deployment_group_name: str,
        revision: Any,
        *args: Any,
        **kwargs: Any,
    ) -> str:
        deployment_id = _create_deployment(
            self, application_name, deployment_group_name, revision, *args, **kwargs
        )
        group = self.deployment_groups[application_name][deployment_group_name]
        state.codedeploy[deployment_id] = CodeDeployRun(
            deployment=self.deployments[deployment_id],
            scenario=state.next_codedeploy_scenario(application_name, deployment_group_name),
            started=time.monotonic(),
            ecs_backend=ecs_models.ecs_backends[self.account_id][self.region_name],
            services=[
                (s.get("clusterName"), s.get("serviceName")) for s in (group.ecs_services or [])
            ],
            task_definition=appspec_task_definition(revision),
        )
        return deployment_id

    def deployment_info(deployment: Any) -> Dict[str, Any]:
        info = _deployment_info(deployment)
        run = state.codedeploy.get(deployment.deployment_id)
        if run is not None:
            info["errorInformation"] = run.error or {}
            info["rollbackInfo"] = run.rollback or {}
        return info

    cd_models.CodeDeployBackend.create_deployment = create_deployment
    cd_responses._deployment_info = deployment_info

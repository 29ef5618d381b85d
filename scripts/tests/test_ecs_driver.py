"""Tests of the ECS rollout driver (scripts/ecs-driver.py, the package scripts/ecs_driver).

The Rust tests trust the driver to play ECS's deployment engine (and CodeDeploy's) the way AWS
does; these tests pin what it plays to AWS's documentation, each citing the page. Where the
driver departs from AWS on purpose (the driver's docstring lists those), the test pins what it
does and says so.

The real driver runs as a subprocess on a free loopback port, started the way
crates/testkit/src/ecs_driver.rs starts it (--exit-on-stdin-eof --remove-on-exit LOG); boto3
(which moto brings into the tools venv) drives it, plus its control API over plain HTTP.

Run with the tools venv's python (scripts/setup makes it; scripts/test runs this):

    .tools/venv/bin/python -B -m unittest discover -s scripts/tests -v
"""

import datetime
import itertools
import json
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

# Hermetic AWS clients: no shared config, credentials or instance metadata of this machine.
os.environ.update(
    AWS_CONFIG_FILE="/dev/null",
    AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    AWS_EC2_METADATA_DISABLED="true",
)
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
    os.environ.pop(_name, None)

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

DRIVER_SCRIPT = Path(__file__).resolve().parent.parent / "ecs-driver.py"
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/ecs-infrastructure"
CIRCUIT_BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."


class DriverProcess:
    """scripts/ecs-driver.py as testkit runs it: its stdin held open, its log removed on exit."""

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        fd, self.log = tempfile.mkstemp(prefix="ecs-driver-test-", suffix=".log")
        self.stderr = os.fdopen(fd, "w")
        self.proc = subprocess.Popen(
            [sys.executable, str(DRIVER_SCRIPT), "--port", str(self.port),
             "--exit-on-stdin-eof", "--remove-on-exit", self.log],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
        )
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            ready = sel.select(timeout=90)
        self.line = self.proc.stdout.readline().decode() if ready else ""
        if not self.line:
            self.proc.kill()
            raise RuntimeError(f"the driver did not start; its log:\n{self.log_text()}")
        self.url = json.loads(self.line)["url"]

    def log_text(self):
        try:
            return Path(self.log).read_text()
        except OSError:
            return "(no log)"

    def stop(self):
        """Closes its stdin, as the test process exiting does; returns its exit code."""
        self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.stderr.close()


DRIVER = None


def setUpModule():
    global DRIVER
    DRIVER = DriverProcess()


def tearDownModule():
    code = DRIVER.stop()
    log_left = os.path.exists(DRIVER.log)
    if log_left:
        os.unlink(DRIVER.log)
    # --exit-on-stdin-eof: exit 0 when the stdin closes; --remove-on-exit: its log is gone
    if code != 0 or log_left:
        raise AssertionError(f"driver exit code {code}, log left behind: {log_left}")


# --- helpers -------------------------------------------------------------------------------------

_names = itertools.count(1)


def unique(prefix):
    """A short name no other test uses (ELB names are limited to 32 characters)."""
    return f"{prefix}{next(_names)}-{os.getpid() % 100000}"


def client(service, **config):
    return boto3.client(
        service,
        endpoint_url=DRIVER.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        # one attempt: a ThrottlingException must reach the test, not a retry
        config=Config(retries={"total_max_attempts": 1}, **config),
    )


def control(path, body=None, method=None):
    """(HTTP status, JSON answer) of a control-API call; a body means POST."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(
        DRIVER.url + path, data=data, method=method or ("POST" if data is not None else "GET"),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def post_ok(path, body):
    status, answer = control(path, body)
    assert status == 200, (path, body, status, answer)
    return answer


def wait_for(probe, timeout, what):
    """Polls `probe` every 50 ms until it returns something true; returns that."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; last: {last!r}")


def distinct(values):
    """The values in order, each run of equal ones once."""
    out = []
    for v in values:
        if not out or out[-1] != v:
            out.append(v)
    return out


def sample_until(probe, done, timeout):
    """Calls `probe` every 50 ms until `done(value)`; the distinct values seen, in order."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        v = probe()
        seen.append(v)
        if done(v):
            return distinct(seen)
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s; seen: {distinct(seen)}")
        time.sleep(0.05)


class EcsCase(unittest.TestCase):
    """A fresh cluster with task definitions `family:1..3` (images v1..v3) for each test."""

    maxDiff = None

    def setUp(self):
        self.ecs = client("ecs")
        self.cluster = unique("c")
        self.family = unique("api")
        self.ecs.create_cluster(clusterName=self.cluster)
        self.td = [
            self.ecs.register_task_definition(
                family=self.family,
                containerDefinitions=[{"name": "app", "image": f"example/api:v{i}", "memory": 256}],
            )["taskDefinition"]["taskDefinitionArn"]
            for i in (1, 2, 3)
        ]

    def scenario(self, *scenarios, service="api"):
        post_ok("/_driver/scenario",
                {"cluster": self.cluster, "service": service, "scenarios": list(scenarios)})

    def create_service(self, desired=2, first_after=0.3, settle=True, **extra):
        """Service `api` on td[0]; its first deployment healthy after `first_after` s."""
        self.scenario({"kind": "healthy", "after": first_after})
        self.ecs.create_service(
            cluster=self.cluster, serviceName="api", taskDefinition=self.td[0],
            desiredCount=desired, launchType="FARGATE", **extra,
        )
        if settle:
            self.wait_rollout("COMPLETED", first_after + 3)

    def service(self):
        return self.ecs.describe_services(cluster=self.cluster, services=["api"])["services"][0]

    def primary(self):
        return self.service()["deployments"][0]

    def primary_fields(self, *names):
        """Fields of the PRIMARY deployment, read in one DescribeServices."""
        primary = self.primary()
        return tuple(primary[n] for n in names)

    def wait_rollout(self, state, timeout, deployment_id=None):
        """The deployment (PRIMARY, or `deployment_id`) once its rolloutState is `state`."""

        def probe():
            for d in self.service()["deployments"]:
                if (d["id"] == deployment_id if deployment_id else d["status"] == "PRIMARY"):
                    return d if d["rolloutState"] == state else None
            return None

        return wait_for(probe, timeout, f"rolloutState {state}")

    def update(self, td, **extra):
        """UpdateService; the new PRIMARY deployment."""
        self.ecs.update_service(cluster=self.cluster, service="api", taskDefinition=td, **extra)
        return self.primary()

    def events(self):
        return [e["message"] for e in self.service()["events"]]

    def transitions(self):
        _, log = control("/_driver/transitions")
        return [(t["deployment"], t["state"]) for t in log if t["cluster"] == self.cluster]

    def service_deployment(self, arn):
        answer = self.ecs.describe_service_deployments(serviceDeploymentArns=[arn])
        return answer["serviceDeployments"][0]


# --- deployments and their rolloutState ------------------------------------------------------------


class RollingDeploymentTest(EcsCase):
    def test_new_service_deployment_goes_in_progress_then_completed(self):
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html
        # rolloutState: "When a service deployment is started, it begins in an IN_PROGRESS
        # state. When the service reaches a steady state, the deployment transitions to a
        # COMPLETED state." status PRIMARY: "The most recent deployment of a service."
        self.create_service(desired=4, first_after=1.0, settle=False)
        d = self.primary()
        self.assertEqual(
            {k: d[k] for k in ("status", "rolloutState", "rolloutStateReason", "taskDefinition",
                               "desiredCount", "runningCount", "pendingCount", "failedTasks")},
            {"status": "PRIMARY", "rolloutState": "IN_PROGRESS",
             "rolloutStateReason": f"ECS deployment {d['id']} in progress.",
             "taskDefinition": self.td[0], "desiredCount": 4, "runningCount": 0,
             "pendingCount": 4, "failedTasks": 0},
        )
        self.assertTrue(d["id"].startswith("ecs-svc/"), d["id"])
        # tasks start: half of them run halfway through, then all of them
        counts = sample_until(
            lambda: self.primary_fields("runningCount", "pendingCount"),
            lambda v: v == (4, 0), 4)
        self.assertEqual(counts, [(0, 4), (2, 2), (4, 0)])
        done = self.primary()
        self.assertEqual(done["rolloutState"], "COMPLETED")
        self.assertEqual(done["rolloutStateReason"], f"ECS deployment {d['id']} completed.")
        s = self.service()
        self.assertEqual((s["runningCount"], s["pendingCount"]), (4, 0))
        # service events, newest first:
        # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html
        self.assertEqual(self.events(), [
            "(service api) has reached a steady state.",
            f"(service api) deployment {d['id']} completed.",
            f"(service api) has started 4 tasks: deployment {d['id']}.",
        ])
        self.assertEqual(self.transitions(), [(d["id"], "IN_PROGRESS"), (d["id"], "COMPLETED")])

    def test_update_makes_a_new_primary_the_old_one_active_then_removed(self):
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html
        # ACTIVE: "A service deployment that still has running tasks, but are in the process of
        # being replaced with a new PRIMARY deployment." Once replaced, the old deployment is
        # gone from DescribeServices.
        self.create_service()
        old = self.primary()
        self.scenario({"kind": "healthy", "after": 0.8})
        new = self.update(self.td[1])
        deployments = self.service()["deployments"]
        self.assertEqual(
            [(d["id"], d["status"], d["rolloutState"], d["taskDefinition"]) for d in deployments],
            [(new["id"], "PRIMARY", "IN_PROGRESS", self.td[1]),
             (old["id"], "ACTIVE", "COMPLETED", self.td[0])],
        )
        # UpdateService's task definition is the service's at once (DescribeServices)
        self.assertEqual(self.service()["taskDefinition"], self.td[1])
        self.wait_rollout("COMPLETED", 4)
        self.assertEqual([d["id"] for d in self.service()["deployments"]], [new["id"]])
        self.assertEqual(self.transitions()[-2:],
                         [(new["id"], "IN_PROGRESS"), (new["id"], "COMPLETED")])

    def test_force_new_deployment_and_scaling(self):
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
        # forceNewDeployment: "Determines whether to force a new deployment of the service ...
        # you can use this option to start a new deployment with no service definition changes."
        # A desiredCount change alone starts no deployment.
        self.create_service(desired=2)
        first = self.primary()
        self.ecs.update_service(cluster=self.cluster, service="api", desiredCount=3)
        scaled = self.service()["deployments"]
        self.assertEqual([d["id"] for d in scaled], [first["id"]])
        self.assertEqual((scaled[0]["desiredCount"], scaled[0]["runningCount"]), (3, 3))
        self.scenario({"kind": "healthy", "after": 0.3})
        self.ecs.update_service(cluster=self.cluster, service="api", forceNewDeployment=True)
        forced = self.primary()
        self.assertNotEqual(forced["id"], first["id"])
        self.assertEqual((forced["taskDefinition"], forced["rolloutState"]),
                         (self.td[0], "IN_PROGRESS"))
        self.wait_rollout("COMPLETED", 3)
        # the same task definition again is no change: no deployment
        self.ecs.update_service(cluster=self.cluster, service="api", taskDefinition=self.td[0])
        self.assertEqual(self.primary()["id"], forced["id"])

    def test_pending_tasks_never_place(self):
        # A deployment whose tasks cannot be placed stays IN_PROGRESS with the service event
        # "(service service-name) was unable to place a task because no container instance met
        # all of its requirements." (the event messages page:
        # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages-list.html)
        self.create_service()
        self.scenario({"kind": "pending"})
        new = self.update(self.td[1])
        wait_for(lambda: any("unable to place a task" in m for m in self.events()), 3,
                 "the placement event")
        self.assertIn("(service api) was unable to place a task because no container instance "
                      "met all of its requirements.", self.events())
        time.sleep(0.8)
        d = self.primary()
        self.assertEqual((d["id"], d["rolloutState"], d["runningCount"], d["pendingCount"]),
                         (new["id"], "IN_PROGRESS", 0, 2))
        sd = self.service_deployment(self.service()["currentServiceDeployment"])
        self.assertEqual((sd["status"], sd["lifecycleStage"]), ("IN_PROGRESS", "SCALE_UP"))


class CircuitBreakerTest(EcsCase):
    def test_failing_deployment_trips_the_circuit_breaker(self):
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html
        # "If the service fails to reach a steady state and circuit breaker is turned on, the
        # deployment transitions to a FAILED state. A deployment in FAILED state doesn't launch
        # any new tasks." failedTasks: "The number of consecutively failed tasks".
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html
        # threshold: "a minimum threshold of 3 and a maximum threshold of 200 ... 0.5 * desired
        # task count". The driver models time, not the threshold: one task fails every after/3
        # seconds and the breaker trips at `after`, with failedTasks 3 whatever the desired
        # count. That matches AWS up to 6 desired tasks; with 10 (here), AWS would wait for 5.
        self.create_service(desired=10)
        old = self.primary()
        self.scenario({"kind": "failing", "after": 1.5})
        new = self.update(self.td[1])
        seen = sample_until(lambda: self.primary_fields("failedTasks", "rolloutState"),
                            lambda v: v[1] == "FAILED", 5)
        self.assertEqual(seen, [(0, "IN_PROGRESS"), (1, "IN_PROGRESS"), (2, "IN_PROGRESS"),
                                (3, "FAILED")])
        d = self.wait_rollout("FAILED", 1)
        self.assertEqual((d["id"], d["status"], d["failedTasks"], d["rolloutStateReason"]),
                         (new["id"], "PRIMARY", 3, CIRCUIT_BREAKER_REASON))
        # no rollback: the failed deployment stays PRIMARY, the old one ACTIVE, nothing moves
        time.sleep(0.5)
        self.assertEqual(
            [(x["id"], x["status"], x["rolloutState"]) for x in self.service()["deployments"]],
            [(new["id"], "PRIMARY", "FAILED"), (old["id"], "ACTIVE", "COMPLETED")],
        )
        events = self.events()
        self.assertEqual(events[0], f"(service api) deployment {new['id']} deployment failed: "
                                    f"{CIRCUIT_BREAKER_REASON}")
        # "(service AWS-Service) (task ff3e71a4-...) failed container health checks."
        # https://repost.aws/knowledge-center/ecs-troubleshoot-deployment-failures
        health = [m for m in events if m.endswith(") failed container health checks.")]
        self.assertEqual(len(health), 3)
        self.assertTrue(all(m.startswith("(service api) (task ") for m in health), health)
        self.assertEqual(self.transitions()[-2:],
                         [(new["id"], "IN_PROGRESS"), (new["id"], "FAILED")])
        # the ServiceDeployment of a failure without rollback is STOPPED
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html
        sd = self.service_deployment(self.service()["currentServiceDeployment"])
        self.assertEqual((sd["status"], sd["statusReason"]), ("STOPPED", CIRCUIT_BREAKER_REASON))

    def test_failing_with_its_own_reason(self):
        self.create_service(desired=1)
        self.scenario({"kind": "failing", "after": 0.6, "reason": "tasks failed to pull"})
        self.update(self.td[1])
        d = self.wait_rollout("FAILED", 3)
        self.assertEqual(d["rolloutStateReason"], "tasks failed to pull")

    def test_rollback_to_the_last_completed_deployment(self):
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentCircuitBreaker.html
        # rollback: "If rollback is on, when a service deployment fails, the service is rolled
        # back to the last deployment that completed successfully."
        self.create_service(desired=2)
        self.scenario({"kind": "rollback", "after": 0.9, "rollback_after": 0.6})
        ours = self.update(self.td[1])
        def rollback_deployment():
            primary = self.primary()
            return primary if primary["id"] != ours["id"] else None

        rolled = wait_for(rollback_deployment, 4, "the rollback deployment")
        deployments = self.service()["deployments"]
        self.assertEqual(
            [(d["status"], d["rolloutState"], d["taskDefinition"]) for d in deployments],
            [("PRIMARY", "IN_PROGRESS", self.td[0]),
             ("ACTIVE", "FAILED", self.td[1]),
             ("ACTIVE", "COMPLETED", self.td[0])],
        )
        self.assertEqual(deployments[1]["rolloutStateReason"], CIRCUIT_BREAKER_REASON)
        self.assertEqual(self.service()["taskDefinition"], self.td[0])
        # DEPARTURE (in the driver's docstring): our ServiceDeployment is ROLLBACK_SUCCESSFUL
        # already, while the rollback deployment is still IN_PROGRESS
        listed = self.ecs.list_service_deployments(cluster=self.cluster, service="api")
        ours_arn = listed["serviceDeployments"][1]["serviceDeploymentArn"]
        self.assertEqual(self.service_deployment(ours_arn)["status"], "ROLLBACK_SUCCESSFUL")
        self.assertIn(f"(service api) rolling back to deployment {rolled['id']}: "
                      f"{CIRCUIT_BREAKER_REASON}", self.events())
        self.wait_rollout("COMPLETED", 3)
        self.assertEqual(
            [(d["id"], d["rolloutState"], d["taskDefinition"]) for d in self.service()["deployments"]],
            [(rolled["id"], "COMPLETED", self.td[0])],
        )
        self.assertEqual(self.transitions()[-4:], [
            (ours["id"], "IN_PROGRESS"), (ours["id"], "FAILED"),
            (rolled["id"], "IN_PROGRESS"), (rolled["id"], "COMPLETED"),
        ])
        # the rolled-back ServiceDeployment: ROLLBACK_SUCCESSFUL, with the breaker's reason
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html
        listed = self.ecs.list_service_deployments(cluster=self.cluster, service="api")
        arns = [x["serviceDeploymentArn"] for x in listed["serviceDeployments"]]
        statuses = [self.service_deployment(a)["status"] for a in arns]
        self.assertEqual(statuses, ["SUCCESSFUL", "ROLLBACK_SUCCESSFUL", "SUCCESSFUL"])
        self.assertEqual(self.service_deployment(arns[1])["statusReason"], CIRCUIT_BREAKER_REASON)

    def test_rollback_goes_to_the_previous_task_definition_even_if_it_failed(self):
        # DEPARTURE (in the driver's docstring): ECS rolls back to the last deployment that
        # COMPLETED (td[0] here); the driver rolls back to the task definition the service had
        # before the update (td[1], whose deployment FAILED).
        self.create_service(desired=1)
        self.scenario({"kind": "failing", "after": 0.5},
                      {"kind": "rollback", "after": 0.5, "rollback_after": 0.3})
        self.update(self.td[1])
        self.wait_rollout("FAILED", 3)
        self.update(self.td[2])
        wait_for(lambda: [d["taskDefinition"] for d in self.service()["deployments"]] == [self.td[1]]
                 and self.primary()["rolloutState"] == "COMPLETED", 4, "the rollback")
        self.assertEqual(self.service()["taskDefinition"], self.td[1])


# --- ListServiceDeployments / DescribeServiceDeployments (moto lacks them) -----------------------


class ServiceDeploymentsTest(EcsCase):
    def test_lifecycle_stages_and_listing(self):
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html
        # lifecycleStage: PRE_SCALE_UP, SCALE_UP, TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT,
        # BAKE_TIME, CLEAN_UP; status IN_PROGRESS, then SUCCESSFUL. DEPARTURE (in the driver's
        # docstring): the driver reports these blue/green stages for every deployment, this
        # rolling one included, spread over the scenario's time (10/20/20/20/30 %).
        self.create_service()
        first = self.service()["currentServiceDeployment"]
        self.assertIn(f":service-deployment/{self.cluster}/api/", first)
        since = datetime.datetime.now(datetime.timezone.utc)
        time.sleep(0.05)
        self.scenario({"kind": "healthy", "after": 2.5})
        self.update(self.td[1])
        current = self.service()["currentServiceDeployment"]
        self.assertNotEqual(current, first)
        def stage():
            sd = self.service_deployment(current)
            return sd["status"], sd["lifecycleStage"]

        seen = sample_until(stage, lambda v: v[0] == "SUCCESSFUL", 5)
        self.assertEqual(seen, [
            ("IN_PROGRESS", "PRE_SCALE_UP"), ("IN_PROGRESS", "SCALE_UP"),
            ("IN_PROGRESS", "TEST_TRAFFIC_SHIFT"), ("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT"),
            ("IN_PROGRESS", "BAKE_TIME"), ("SUCCESSFUL", "CLEAN_UP"),
        ])
        sd = self.service_deployment(current)
        self.assertEqual(sd["targetServiceRevision"]["requestedTaskCount"], 2)
        self.assertEqual(sd["targetServiceRevision"]["runningTaskCount"], 2)
        self.assertEqual(sd["serviceArn"], self.service()["serviceArn"])
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServiceDeployments.html
        # newest first; createdAt filters
        listed = self.ecs.list_service_deployments(cluster=self.cluster, service="api")
        self.assertEqual([x["serviceDeploymentArn"] for x in listed["serviceDeployments"]],
                         [current, first])
        self.assertEqual(listed["serviceDeployments"][0]["targetServiceRevisionArn"],
                         current.replace("service-deployment", "service-revision"))
        recent = self.ecs.list_service_deployments(cluster=self.cluster, service="api",
                                                   createdAt={"after": since})
        self.assertEqual([x["serviceDeploymentArn"] for x in recent["serviceDeployments"]],
                         [current])
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServiceDeployments.html
        # an unknown ARN is a failure with reason MISSING
        unknown = current[:-4] + "zzzz"
        answer = self.ecs.describe_service_deployments(serviceDeploymentArns=[first, unknown])
        self.assertEqual([x["serviceDeploymentArn"] for x in answer["serviceDeployments"]], [first])
        self.assertEqual(answer["failures"], [{"arn": unknown, "reason": "MISSING"}])


# --- StopServiceDeployment (moto lacks it) -------------------------------------------------------


class StopServiceDeploymentTest(EcsCase):
    def test_rollback(self):
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html
        # ROLLBACK "rolls back the service deployment to the previous service revision".
        # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stop-service-deployment.html
        # IN_PROGRESS -> (ROLLBACK_REQUESTED) -> ROLLBACK_IN_PROGRESS; it ends
        # ROLLBACK_SUCCESSFUL (API_ServiceDeployment). The driver goes IN_PROGRESS ->
        # ROLLBACK_IN_PROGRESS -> ROLLBACK_SUCCESSFUL one second later (DEPARTURE, in the
        # driver's docstring: no ROLLBACK_REQUESTED, and the previous revision is COMPLETED at
        # once).
        self.create_service()
        self.scenario({"kind": "healthy", "after": 10})
        ours = self.update(self.td[1])
        arn = self.service()["currentServiceDeployment"]
        answer = self.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
        self.assertEqual(answer["serviceDeploymentArn"], arn)
        deployments = self.service()["deployments"]
        self.assertEqual(len(deployments), 1)
        self.assertEqual(
            (deployments[0]["status"], deployments[0]["rolloutState"],
             deployments[0]["taskDefinition"], deployments[0]["runningCount"]),
            ("PRIMARY", "COMPLETED", self.td[0], 2),
        )
        self.assertNotEqual(deployments[0]["id"], ours["id"])
        self.assertEqual(self.service()["taskDefinition"], self.td[0])
        self.assertEqual(self.transitions()[-1], (ours["id"], "FAILED"))
        sd = self.service_deployment(arn)
        self.assertEqual((sd["status"], sd["statusReason"]),
                         ("ROLLBACK_IN_PROGRESS", "Service deployment stopped (ROLLBACK) by request."))
        wait_for(lambda: self.service_deployment(arn)["status"] == "ROLLBACK_SUCCESSFUL", 3,
                 "ROLLBACK_SUCCESSFUL")
        self.assertIn(f"(service api) service deployment {arn} rolled back to {self.td[0]}.",
                      self.events())
        # a stopped deployment is no longer in progress: ECS answers ConflictException
        with self.assertRaises(ClientError) as e:
            self.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
        self.assertEqual(e.exception.response["Error"]["Code"], "ConflictException")
        # stopType is optional; ROLLBACK is the default
        self.scenario({"kind": "healthy", "after": 10})
        self.update(self.td[2])
        arn = self.service()["currentServiceDeployment"]
        self.ecs.stop_service_deployment(serviceDeploymentArn=arn)
        self.assertEqual(self.service_deployment(arn)["status"], "ROLLBACK_IN_PROGRESS")
        self.assertEqual(self.service()["taskDefinition"], self.td[0])

    def test_abort(self):
        # stopType ABORT (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html,
        # valid values ABORT | ROLLBACK): the ServiceDeployment is STOPPED; the driver fails the
        # deployment and rolls nothing back.
        self.create_service()
        self.scenario({"kind": "healthy", "after": 10})
        ours = self.update(self.td[1])
        arn = self.service()["currentServiceDeployment"]
        self.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ABORT")
        d = self.primary()
        self.assertEqual((d["id"], d["rolloutState"], d["rolloutStateReason"]),
                         (ours["id"], "FAILED", "Service deployment stopped (ABORT) by request."))
        self.assertEqual(len(self.service()["deployments"]), 2)
        self.assertEqual(self.service()["taskDefinition"], self.td[1])
        time.sleep(1.1)
        sd = self.service_deployment(arn)
        self.assertEqual((sd["status"], sd["lifecycleStage"]), ("STOPPED", "PRODUCTION_TRAFFIC_SHIFT"))

    def test_errors(self):
        # API_StopServiceDeployment errors: ServiceDeploymentNotFoundException,
        # InvalidParameterException (a stopType other than ABORT | ROLLBACK), ConflictException
        # (not in progress)
        self.create_service()
        arn = self.service()["currentServiceDeployment"]
        cases = [
            (dict(serviceDeploymentArn=arn[:-4] + "zzzz"), "ServiceDeploymentNotFoundException"),
            (dict(serviceDeploymentArn=arn, stopType="PAUSE"), "InvalidParameterException"),
            (dict(serviceDeploymentArn=arn), "ConflictException"),  # it COMPLETED
        ]
        # botocore would refuse stopType PAUSE itself: let it through to the driver
        unchecked = client("ecs", parameter_validation=False)
        for params, code in cases:
            with self.subTest(code=code), self.assertRaises(ClientError) as e:
                unchecked.stop_service_deployment(**params)
            self.assertEqual(e.exception.response["Error"]["Code"], code)
            self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)


# --- ECS's own CANARY and LINEAR strategies on the production listener rule ---------------------


class TrafficShiftTest(EcsCase):
    """Service `api` behind an ALB rule forwarding 100 % to `stable` and 0 % to `canary`, with
    ECS's advancedConfiguration (alternate target group, production listener rule)."""

    def setUp(self):
        super().setUp()
        ec2, self.elb = client("ec2"), client("elbv2")
        name = unique("lb")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24",
                              AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
            for i, az in ((1, "a"), (2, "b"))
        ]
        lb = self.elb.create_load_balancer(Name=name, Subnets=subnets, Type="application")[
            "LoadBalancers"][0]["LoadBalancerArn"]

        def group(suffix):
            return self.elb.create_target_group(
                Name=f"{name}-{suffix}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
            )["TargetGroups"][0]["TargetGroupArn"]

        self.stable, self.canary = group("s"), group("c")
        listener = self.elb.create_listener(
            LoadBalancerArn=lb, Protocol="HTTP", Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": self.stable}],
        )["Listeners"][0]["ListenerArn"]
        self.rule = self.elb.create_rule(
            ListenerArn=listener, Priority=10,
            Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
            Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                {"TargetGroupArn": self.stable, "Weight": 100},
                {"TargetGroupArn": self.canary, "Weight": 0},
            ]}}],
        )["Rules"][0]["RuleArn"]

    def strategy_service(self, config):
        self.create_service(loadBalancers=[{
            "targetGroupArn": self.stable, "containerName": "app", "containerPort": 80,
            "advancedConfiguration": {"alternateTargetGroupArn": self.canary,
                                      "productionListenerRule": self.rule, "roleArn": ROLE},
        }])
        self.ecs.update_service(cluster=self.cluster, service="api",
                                deploymentConfiguration={**config, "bakeTimeInMinutes": 0})
        self.assertEqual(len(self.service()["deployments"]), 1, "a configuration change deploys nothing")

    def weights(self):
        """(stable, canary) weights of the production rule."""
        rule = self.elb.describe_rules(RuleArns=[self.rule])["Rules"][0]
        forward = next(a for a in rule["Actions"] if a["Type"] == "forward")
        w = {t["TargetGroupArn"]: t.get("Weight", 1) for t in forward["ForwardConfig"]["TargetGroups"]}
        return w[self.stable], w[self.canary]

    def watch(self, arn, until, timeout):
        """Distinct ((stable, canary), lifecycleStage) pairs until `until(stage status)`."""

        def probe():
            sd = self.service_deployment(arn)
            return self.weights(), sd["lifecycleStage"], sd["status"]

        seen = sample_until(probe, lambda v: until(v[2]), timeout)
        return distinct([(w, stage) for w, stage, _ in seen])

    def test_canary(self):
        # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/canary-deployment.html
        # "traffic is shifted in two phases: first to the canary percentage, then to complete
        # the deployment". The driver: nothing for the first 10 % of the scenario's time
        # (SCALE_UP), the canary percent until 80 % (PRODUCTION_TRAFFIC_SHIFT), then all of it
        # (BAKE_TIME) until the deployment completes.
        self.strategy_service({"strategy": "CANARY", "canaryConfiguration": {
            "canaryPercent": 20.0, "canaryBakeTimeInMinutes": 1}})
        self.assertEqual(self.weights(), (100, 0))
        self.scenario({"kind": "healthy", "after": 2.0})
        self.update(self.td[1])
        arn = self.service()["currentServiceDeployment"]
        seen = self.watch(arn, lambda status: status == "SUCCESSFUL", 5)
        # (weights move on the driver's tick, the stage is computed per request: compare apart)
        self.assertEqual(distinct([w for w, _ in seen]), [(100, 0), (80, 20), (0, 100)])
        self.assertEqual(distinct([stage for _, stage in seen]),
                         ["SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"])
        # the next deployment shifts from the group that now has the traffic
        self.scenario({"kind": "healthy", "after": 1.0})
        self.update(self.td[2])
        wait_for(lambda: self.weights() == (20, 80), 2, "the canary on the stable group")
        self.wait_rollout("COMPLETED", 3)
        wait_for(lambda: self.weights() == (100, 0), 1, "all traffic back on stable")

    def test_linear(self):
        # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/linear-deployment.html
        # LINEAR shifts traffic in equal steps of stepPercent (25 %: 25, 50, 75, then all).
        self.strategy_service({"strategy": "LINEAR", "linearConfiguration": {
            "stepPercent": 25.0, "stepBakeTimeInMinutes": 1}})
        self.scenario({"kind": "healthy", "after": 3.0})
        self.update(self.td[1])
        arn = self.service()["currentServiceDeployment"]
        seen = self.watch(arn, lambda status: status == "SUCCESSFUL", 6)
        self.assertEqual(distinct([w for w, _ in seen]),
                         [(100, 0), (75, 25), (50, 50), (25, 75), (0, 100)])

    def test_stop_rollback_puts_all_traffic_back_at_once(self):
        # API_StopServiceDeployment ROLLBACK: back to the previous revision, which blue still
        # runs: all production traffic on blue at once.
        self.strategy_service({"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 10.0}})
        self.scenario({"kind": "healthy", "after": 10})
        self.update(self.td[1])
        arn = self.service()["currentServiceDeployment"]
        wait_for(lambda: self.weights() == (90, 10), 3, "the canary's 10 %")
        self.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
        self.assertEqual(self.weights(), (100, 0))
        self.assertEqual(self.service_deployment(arn)["status"], "ROLLBACK_IN_PROGRESS")
        wait_for(lambda: self.service_deployment(arn)["status"] == "ROLLBACK_SUCCESSFUL", 3,
                 "ROLLBACK_SUCCESSFUL")
        self.assertEqual(self.weights(), (100, 0))
        self.assertEqual([d["taskDefinition"] for d in self.service()["deployments"]], [self.td[0]])

    def test_circuit_breaker_puts_traffic_back_on_blue(self):
        # A deployment the circuit breaker fails (API_Deployment: FAILED) no longer gets
        # production traffic: the driver puts it all back on blue.
        self.strategy_service({"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 30.0}})
        self.scenario({"kind": "failing", "after": 1.2})
        self.update(self.td[1])
        arn = self.service()["currentServiceDeployment"]
        seen = self.watch(arn, lambda status: status == "STOPPED", 4)
        self.assertEqual(distinct([w for w, _ in seen])[:2], [(100, 0), (70, 30)])
        wait_for(lambda: self.weights() == (100, 0), 1, "all traffic back on stable")
        self.assertEqual(self.primary()["rolloutState"], "FAILED")

    def test_an_alarm_in_alarm_rolls_the_deployment_back(self):
        # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html
        # ECS watches the deployment's alarms and, with rollback on, rolls back by itself once
        # one of them is in ALARM: nobody calls StopServiceDeployment. Alarms with rollback off
        # are only watched.
        cloudwatch = client("cloudwatch")
        names = [unique("gate"), unique("watched")]
        for name in names:
            cloudwatch.put_metric_alarm(
                AlarmName=name, ComparisonOperator="GreaterThanThreshold", Threshold=0.05,
                EvaluationPeriods=1, Namespace="AWS/ApplicationELB", MetricName="RequestCount",
                Statistic="Sum", Period=60,
            )
        self.strategy_service({"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 10.0},
                               "alarms": {"alarmNames": names[1:], "enable": True, "rollback": False}})
        self.scenario({"kind": "healthy", "after": 10})
        self.update(self.td[1])
        arn = self.service()["currentServiceDeployment"]
        wait_for(lambda: self.weights() == (90, 10), 3, "the canary's 10 %")
        cloudwatch.set_alarm_state(AlarmName=names[1], StateValue="ALARM", StateReason="test")
        time.sleep(0.5)
        self.assertEqual(self.service_deployment(arn)["status"], "IN_PROGRESS", "rollback off: watched only")
        self.ecs.update_service(cluster=self.cluster, service="api", deploymentConfiguration={
            **self.service()["deploymentConfiguration"],
            "alarms": {"alarmNames": names, "enable": True, "rollback": True}})
        cloudwatch.set_alarm_state(AlarmName=names[0], StateValue="ALARM", StateReason="test")
        wait_for(lambda: self.service_deployment(arn)["status"] == "ROLLBACK_SUCCESSFUL", 3,
                 "ECS's own rollback")
        self.assertIn(names[0], self.service_deployment(arn)["statusReason"])
        self.assertEqual(self.weights(), (100, 0))
        self.assertEqual([d["taskDefinition"] for d in self.service()["deployments"]], [self.td[0]])


# --- CodeDeploy's ECS blue/green engine -------------------------------------------------------------


class CodeDeployTest(EcsCase):
    def setUp(self):
        super().setUp()
        self.cd = client("codedeploy")
        self.ecs.create_service(
            cluster=self.cluster, serviceName="api", taskDefinition=self.td[0], desiredCount=1,
            deploymentController={"type": "CODE_DEPLOY"},
            loadBalancers=[{"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1",
                            "containerName": "app", "containerPort": 8080}],
        )
        self.app, self.group = unique("app"), unique("dg")
        self.cd.create_application(applicationName=self.app, computePlatform="ECS")
        self.cd.create_deployment_group(
            applicationName=self.app, deploymentGroupName=self.group,
            serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy",
            ecsServices=[{"serviceName": "api", "clusterName": self.cluster}],
            deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        )

    def queue(self, *scenarios):
        post_ok("/_driver/codedeploy",
                {"application": self.app, "group": self.group, "scenarios": list(scenarios)})

    def deploy(self, td):
        appspec = {"version": 0.0, "Resources": [{"TargetService": {
            "Type": "AWS::ECS::Service",
            "Properties": {"TaskDefinition": td,
                           "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 8080}}}}]}
        return self.cd.create_deployment(
            applicationName=self.app, deploymentGroupName=self.group,
            revision={"revisionType": "AppSpecContent",
                      "appSpecContent": {"content": json.dumps(appspec)}},
        )["deploymentId"]

    def info(self, deployment_id):
        return self.cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]

    def test_an_ecs_service_has_no_driven_deployment(self):
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html
        # "This is used only when a service uses the ECS deployment controller type."
        self.assertEqual(self.service()["deployments"], [])

    def test_succeeds(self):
        # https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeploymentInfo.html
        # status: Created | Queued | InProgress | Baking | Succeeded | Failed | Stopped | Ready.
        # The driver: Created -> InProgress -> Succeeded; then the service runs the AppSpec's
        # task definition (CodeDeploy moved the traffic to the replacement task set).
        self.queue({"kind": "succeeds", "after": 1.0})
        deployment_id = self.deploy(self.td[1])
        statuses = sample_until(lambda: self.info(deployment_id)["status"],
                                lambda s: s == "Succeeded", 4)
        self.assertEqual(statuses, ["Created", "InProgress", "Succeeded"])
        info = self.info(deployment_id)
        self.assertLessEqual(info["createTime"], info["startTime"])
        self.assertLessEqual(info["startTime"], info["completeTime"])
        self.assertFalse(info.get("errorInformation"))
        self.assertEqual(self.service()["taskDefinition"], self.td[1])
        # nothing queued: succeeds after 1 s
        deployment_id = self.deploy(self.td[2])
        wait_for(lambda: self.info(deployment_id)["status"] == "Succeeded", 3, "Succeeded")
        self.assertEqual(self.service()["taskDefinition"], self.td[2])

    def test_fails(self):
        # https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ErrorInformation.html
        # HEALTH_CONSTRAINTS: "The deployment failed on too many instances to be successfully
        # deployed within the instance health constraints specified." The service keeps its
        # task definition (CodeDeploy rolled back).
        self.queue({"kind": "fails", "after": 0.4},
                   {"kind": "fails", "after": 0.4, "code": "ECS_UPDATE_ERROR", "reason": "no luck"})
        first, second = self.deploy(self.td[1]), self.deploy(self.td[2])
        for deployment_id, error in [
            (first, {"code": "HEALTH_CONSTRAINTS", "message": "The overall deployment failed "
                     "because too many individual instances failed deployment."}),
            (second, {"code": "ECS_UPDATE_ERROR", "message": "no luck"}),
        ]:
            wait_for(lambda: self.info(deployment_id)["status"] == "Failed", 3, "Failed")
            self.assertEqual(self.info(deployment_id)["errorInformation"], error)
        self.assertEqual(self.service()["taskDefinition"], self.td[0])

    def test_stop(self):
        # https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_StopDeployment.html
        # answers {status, statusMessage}; autoRollbackEnabled rolls back. Errors:
        # DeploymentDoesNotExistException, DeploymentAlreadyCompletedException.
        # DEPARTURE (in the driver's docstring): errorInformation.code is DEPLOYMENT_STOPPED,
        # which is not in CodeDeploy's ErrorCode enum (a user's stop is MANUAL_STOP there).
        self.queue({"kind": "slow"})
        deployment_id = self.deploy(self.td[1])
        wait_for(lambda: self.info(deployment_id)["status"] == "InProgress", 2, "InProgress")
        answer = self.cd.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
        self.assertEqual((answer["status"], answer["statusMessage"]),
                         ("Pending", "Stopping the deployment"))
        info = self.info(deployment_id)
        self.assertEqual(info["status"], "Stopped")
        self.assertIn("completeTime", info)
        self.assertEqual(info["errorInformation"], {
            "code": "DEPLOYMENT_STOPPED", "message": "The deployment was stopped by the user."})
        self.assertEqual(info["rollbackInfo"],
                         {"rollbackMessage": "Deployment rolled back by the user's stop request."})
        self.assertEqual(self.service()["taskDefinition"], self.td[0])
        for params, code in [
            (dict(deploymentId=deployment_id), "DeploymentAlreadyCompletedException"),
            (dict(deploymentId="d-NOSUCHONE"), "DeploymentDoesNotExistException"),
        ]:
            with self.subTest(code=code), self.assertRaises(ClientError) as e:
                self.cd.stop_deployment(**params)
            self.assertEqual(e.exception.response["Error"]["Code"], code)


# --- one-off tasks ---------------------------------------------------------------------------------


class TaskTest(EcsCase):
    def test_tasks_run_then_stop_with_their_exit_code(self):
        # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
        # a task goes RUNNING -> ... -> STOPPED; the container's exitCode and the task's
        # stoppedReason say how it ended (API_Container, API_Task).
        post_ok("/_driver/tasks", {"cluster": self.cluster, "outcomes": [
            {"exit_code": 3, "after": 0.4, "reason": "Essential container in task exited"}]})

        def run():
            return self.ecs.run_task(cluster=self.cluster, taskDefinition=self.td[0],
                                     launchType="FARGATE")["tasks"][0]["taskArn"]

        def task(arn):
            return self.ecs.describe_tasks(cluster=self.cluster, tasks=[arn])["tasks"][0]

        def stopped(arn):
            t = task(arn)
            return t if t["lastStatus"] == "STOPPED" else None

        arn = run()
        t = task(arn)
        self.assertEqual((t["lastStatus"], t["containers"][0]["lastStatus"]), ("RUNNING", "RUNNING"))
        t = wait_for(lambda: stopped(arn), 3, "STOPPED")
        self.assertEqual((t["desiredStatus"], t["stoppedReason"], t["containers"][0]["exitCode"],
                          t["containers"][0]["lastStatus"]),
                         ("STOPPED", "Essential container in task exited", 3, "STOPPED"))
        # nothing queued: exit 0 after 1 s
        started = time.monotonic()
        arn = run()
        t = wait_for(lambda: stopped(arn), 3, "STOPPED")
        self.assertGreaterEqual(time.monotonic() - started, 0.9)
        self.assertEqual(t["containers"][0]["exitCode"], 0)


# --- throttling and the request log -----------------------------------------------------------------


class ThrottleTest(EcsCase):
    def tearDown(self):
        post_ok("/_driver/throttle", {"count": 0})

    def assert_throttled(self, call):
        # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html
        # "If you exceed an API throttling quota, you get the ThrottlingException error code."
        # ... "Rate exceeded (Service: AmazonECS; Status Code: 400; Error Code: ThrottlingException"
        # DEPARTURE (in the driver's docstring): a rule counts calls; AWS's are token buckets.
        with self.assertRaises(ClientError) as e:
            call()
        err = e.exception.response
        self.assertEqual((err["Error"]["Code"], err["Error"]["Message"],
                          err["ResponseMetadata"]["HTTPStatusCode"]),
                         ("ThrottlingException", "Rate exceeded", 400))

    def test_skip_then_count_matching_calls(self):
        self.create_service()
        other = unique("c")
        self.ecs.create_cluster(clusterName=other)
        post_ok("/_driver/throttle", {"cluster": self.cluster, "count": 2, "skip": 1,
                                      "operations": ["DescribeServices"]})

        def describe(cluster=None):
            return self.ecs.describe_services(cluster=cluster or self.cluster, services=["api"])

        describe(other)  # another cluster: neither skipped nor throttled
        self.ecs.list_services(cluster=self.cluster)  # another operation: likewise
        describe()  # skipped
        self.assert_throttled(describe)
        describe(other)
        self.assert_throttled(describe)
        describe()  # the count is spent
        describe()

    def test_another_error_than_throttling(self):
        self.create_service()
        post_ok("/_driver/throttle", {"cluster": self.cluster, "count": 1,
                                      "operations": ["DescribeServices"],
                                      "error": "AccessDeniedException"})
        with self.assertRaises(ClientError) as raised:
            self.ecs.describe_services(cluster=self.cluster, services=["api"])
        self.assertEqual(raised.exception.response["Error"]["Code"], "AccessDeniedException")
        self.ecs.describe_services(cluster=self.cluster, services=["api"])  # the count is spent

    def test_a_slow_answer(self):
        self.create_service()
        post_ok("/_driver/throttle", {"cluster": self.cluster, "count": 1,
                                      "operations": ["DescribeServices"], "delay": 1.5})
        start = time.monotonic()
        answer = self.ecs.describe_services(cluster=self.cluster, services=["api"])
        self.assertGreaterEqual(time.monotonic() - start, 1.5)
        self.assertEqual(answer["services"][0]["serviceName"], "api")
        start = time.monotonic()
        self.ecs.describe_services(cluster=self.cluster, services=["api"])  # the count is spent
        self.assertLess(time.monotonic() - start, 1.0)

    def test_any_ecs_call_and_only_ecs_calls(self):
        # no cluster and no operations: the next ECS calls, whichever; other services' calls
        # are never throttled (nor counted)
        post_ok("/_driver/throttle", {"count": 1, "operations": None})
        client("codedeploy").list_applications()
        self.assert_throttled(lambda: self.ecs.list_clusters())
        self.ecs.list_clusters()

    def test_request_log(self):
        status, _ = control("/_driver/reset-log", {})
        self.assertEqual(status, 200)
        self.assertEqual(control("/_driver/requests"), (200, []))
        self.assertEqual(control("/_driver/transitions"), (200, []))
        before = time.time()
        self.create_service()
        arn = self.service()["currentServiceDeployment"]
        self.ecs.describe_service_deployments(serviceDeploymentArns=[arn])
        client("codedeploy").list_applications()
        with self.assertRaises(ClientError):
            self.ecs.stop_service_deployment(serviceDeploymentArn=arn)
        _, log = control("/_driver/requests")
        self.assertTrue(all(set(r) == {"t", "op", "cluster"} for r in log), log)
        self.assertTrue(all(before <= r["t"] <= time.time() for r in log), log)
        ops = [(r["op"], r["cluster"]) for r in log if r["op"] != "DescribeServices"]
        self.assertEqual(ops, [
            ("CreateService", self.cluster),
            # the cluster of a service deployment ARN
            ("DescribeServiceDeployments", self.cluster),
            ("ListApplications", None),
            ("StopServiceDeployment", self.cluster),
        ])
        _, transitions = control("/_driver/transitions")
        self.assertEqual([set(t) for t in transitions],
                         [{"t", "cluster", "service", "deployment", "state"}] * 2)
        self.assertEqual([(t["cluster"], t["service"], t["state"]) for t in transitions],
                         [(self.cluster, "api", "IN_PROGRESS"), (self.cluster, "api", "COMPLETED")])


# --- the control API -------------------------------------------------------------------------------


class TaskDefinitionTest(unittest.TestCase):
    """ECS returns a task definition as it was registered: "DescribeTaskDefinition ... Describes
    a task definition" with every parameter of RegisterTaskDefinition
    (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html).
    moto keeps a subset; the driver puts back what moto dropped, and lists it."""

    def test_describe_answers_every_field_registered(self):
        ecs = client("ecs")
        family = unique("td")
        container = {
            "name": "app",
            "image": "public.ecr.aws/nginx/nginx:1",
            "memory": 128,
            "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
            "firelensConfiguration": {"type": "fluentbit"},
            "environment": [],
        }
        arn = ecs.register_task_definition(
            family=family,
            containerDefinitions=[container],
            enableFaultInjection=True,
            volumes=[{"name": "efs", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}],
        )["taskDefinition"]["taskDefinitionArn"]
        described = ecs.describe_task_definition(taskDefinition=f"{family}:1")["taskDefinition"]
        self.assertEqual(described["taskDefinitionArn"], arn)
        self.assertIs(described["enableFaultInjection"], True)
        self.assertEqual(described["containerDefinitions"][0]["linuxParameters"],
                         container["linuxParameters"])
        self.assertEqual(described["containerDefinitions"][0]["firelensConfiguration"],
                         {"type": "fluentbit"})
        # moto adds ECS's default rootDirectory "/"
        self.assertEqual(described["volumes"][0]["efsVolumeConfiguration"]["fileSystemId"],
                         "fs-1")
        status, listed = control("/_driver/task-definitions")
        self.assertEqual(status, 200)
        records = {r["arn"]: r for r in listed}
        self.assertEqual(records[arn]["sent"]["family"], family)
        # what moto's own answer lacked (enableFaultInjection is not a field moto models)
        self.assertIn("enableFaultInjection", records[arn]["dropped"])
        # moto's own values and defaults stay: the answer is ECS's shape, not just the body
        self.assertEqual(described["status"], "ACTIVE")
        self.assertEqual(described["revision"], 1)

    def test_fill_in_keeps_moto_values_and_puts_back_only_what_is_missing(self):
        sys.path.insert(0, str(DRIVER_SCRIPT.parent))
        from ecs_driver.taskdefs import fill_in

        kept = {"family": "f", "revision": 3,
                "containerDefinitions": [{"name": "a", "cpu": 0, "image": "x"}]}
        sent = {"family": "f", "tags": [{"key": "k", "value": "v"}], "pidMode": "task",
                "containerDefinitions": [{"name": "a", "image": "x", "systemControls": []}]}
        filled, dropped = fill_in(kept, sent)
        self.assertEqual(filled["revision"], 3)
        self.assertEqual(filled["pidMode"], "task")
        self.assertEqual(filled["containerDefinitions"][0],
                         {"name": "a", "cpu": 0, "image": "x", "systemControls": []})
        self.assertNotIn("tags", filled)
        self.assertEqual(dropped, ["pidMode", "containerDefinitions[0].systemControls"])


class ControlApiTest(unittest.TestCase):
    def test_health_and_unknown_paths(self):
        self.assertEqual(control("/_driver/health"), (200, {"ok": True}))
        self.assertEqual(control("/_driver/nothing"), (404, {"error": "no GET /_driver/nothing"}))
        self.assertEqual(control("/_driver/scenario"), (404, {"error": "no GET /_driver/scenario"}))

    def test_queues_answer_their_length(self):
        key = {"cluster": unique("c"), "service": "api"}
        self.assertEqual(post_ok("/_driver/scenario", {**key, "scenarios": [
            {"kind": "healthy", "after": 1}, {"kind": "slow"}, {"kind": "pending"},
            {"kind": "failing", "after": 0.5, "reason": "r"},
            {"kind": "rollback", "after": 2, "rollback_after": 0.5}]}), {"queued": 5})
        self.assertEqual(post_ok("/_driver/scenario", {**key, "scenarios": []}), {"queued": 5})
        group = {"application": unique("a"), "group": "g"}
        self.assertEqual(post_ok("/_driver/codedeploy", {**group, "scenarios": [
            {"kind": "succeeds"}, {"kind": "slow", "after": 3},
            {"kind": "fails", "code": "X", "reason": "y"}]}), {"queued": 3})
        self.assertEqual(post_ok("/_driver/tasks", {"cluster": unique("c"), "outcomes": [
            {"exit_code": 1}, {"exit_code": 0, "after": 0.1, "reason": "done"}]}), {"ok": True})
        # as testkit sends it: operations null when any
        self.assertEqual(post_ok("/_driver/throttle", {"cluster": unique("c"), "count": 0,
                                                       "skip": 0, "operations": None}), {"ok": True})

    def test_bad_input_is_a_400_naming_the_field(self):
        scenario = {"cluster": "c", "service": "s"}
        cases = [
            ("/_driver/scenario", b"{not json", "", "the body is not JSON"),
            ("/_driver/scenario", [], "", "must be a JSON object, not an array"),
            ("/_driver/scenario", {"service": "s"}, "cluster", "is required"),
            ("/_driver/scenario", {"cluster": "", "service": "s"}, "cluster", "non-empty string"),
            ("/_driver/scenario", {"cluster": 1, "service": "s"}, "cluster", "non-empty string, not 1"),
            ("/_driver/scenario", {**scenario, "scenario": []}, "scenario",
             "unknown field; valid fields: cluster, service, scenarios"),
            ("/_driver/scenario", {**scenario, "scenarios": {}}, "scenarios", "must be an array"),
            ("/_driver/scenario", {**scenario, "scenarios": ["healthy"]}, "scenarios[0]",
             "must be a JSON object, not a string"),
            ("/_driver/scenario", {**scenario, "scenarios": [{"kind": "fast"}]}, "scenarios[0].kind",
             '"fast" is not one of healthy, slow, failing, rollback, pending'),
            ("/_driver/scenario", {**scenario, "scenarios": [{"after": -1}]}, "scenarios[0].after",
             "must be a number of seconds >= 0, not -1"),
            ("/_driver/scenario", {**scenario, "scenarios": [{"after": "2"}]}, "scenarios[0].after",
             'not "2"'),
            ("/_driver/scenario", {**scenario, "scenarios": [{"after": True}]}, "scenarios[0].after",
             "not true"),
            ("/_driver/scenario", {**scenario, "scenarios": [{}, {"kind": "healthy", "afer": 1}]},
             "scenarios[1].afer", "unknown field; valid fields: kind, after, reason, rollback_after"),
            ("/_driver/scenario", {**scenario, "scenarios": [{"kind": "healthy", "reason": "x"}]},
             "scenarios[0].reason", "applies to kind failing or rollback only, not healthy"),
            ("/_driver/scenario", {**scenario, "scenarios": [{"kind": "failing", "rollback_after": 1}]},
             "scenarios[0].rollback_after", "applies to kind rollback only, not failing"),
            ("/_driver/codedeploy", {"application": "a", "scenarios": []}, "group", "is required"),
            ("/_driver/codedeploy", {"application": "a", "group": "g", "scenarios": [{"kind": "healthy"}]},
             "scenarios[0].kind", '"healthy" is not one of succeeds, slow, fails'),
            ("/_driver/codedeploy", {"application": "a", "group": "g",
                                     "scenarios": [{"kind": "succeeds", "code": "X"}]},
             "scenarios[0].code", "applies to kind fails only, not succeeds"),
            ("/_driver/tasks", {"cluster": "c", "outcomes": [{"exit_code": 1.5}]},
             "outcomes[0].exit_code", "must be an integer, not 1.5"),
            ("/_driver/tasks", {"cluster": "c", "outcomes": [{"exit": 1}]},
             "outcomes[0].exit", "valid fields: exit_code, after, reason"),
            ("/_driver/throttle", {"count": -1}, "count", "must be an integer >= 0, not -1"),
            ("/_driver/throttle", {"count": 1, "skip": "1"}, "skip", 'must be an integer >= 0, not "1"'),
            ("/_driver/throttle", {"count": 1, "operations": "DescribeServices"}, "operations",
             "must be an array, not a string"),
            ("/_driver/throttle", {"count": 1, "operations": [""]}, "operations[0]",
             "must be an ECS operation name"),
            ("/_driver/throttle", {"count": 1, "cluster": ["c"]}, "cluster", "must be a string"),
            ("/_driver/throttle", {"count": 1, "delay": -1}, "delay",
             "must be a number of seconds >= 0, not -1"),
            ("/_driver/throttle", {"count": 1, "error": "Access Denied"}, "error",
             'must be an AWS error code such as AccessDeniedException, not "Access Denied"'),
        ]
        for path, body, field, message in cases:
            with self.subTest(path=path, body=body):
                status, answer = control(path, body)
                self.assertEqual(status, 400, answer)
                self.assertEqual(answer["field"], field)
                self.assertIn(message, answer["error"])
                if field:
                    self.assertTrue(answer["error"].startswith(f"{field}: "), answer["error"])

    def test_a_refused_request_changes_nothing(self):
        key = {"cluster": unique("c"), "service": "api"}
        status, _ = control("/_driver/scenario", {**key, "scenarios": [{"kind": "healthy"},
                                                                       {"kind": "nope"}]})
        self.assertEqual(status, 400)
        self.assertEqual(post_ok("/_driver/scenario", {**key, "scenarios": []}), {"queued": 0})
        # a refused throttle rule leaves the one in force
        ecs = client("ecs")
        post_ok("/_driver/throttle", {"count": 0})
        status, _ = control("/_driver/throttle", {"count": 5, "skip": -1})
        self.assertEqual(status, 400)
        ecs.list_clusters()


class CommandLineTest(unittest.TestCase):
    def test_prints_one_json_line_with_the_url_on_the_port_asked(self):
        # testkit reads exactly this line (crates/testkit/src/ecs_driver.rs)
        self.assertEqual(json.loads(DRIVER.line), {"url": f"http://127.0.0.1:{DRIVER.port}"})
        self.assertTrue(DRIVER.line.endswith("\n"))
        # the log file stays while the driver runs; tearDownModule checks it goes at exit
        self.assertTrue(os.path.exists(DRIVER.log))


if __name__ == "__main__":
    unittest.main()

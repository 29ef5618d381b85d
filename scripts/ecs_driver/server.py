"""The driver's process: moto's ThreadedMotoServer with a WSGI layer in front (control API,
request log, throttling, the stops moto lacks, one lock), the ticker, and the command line."""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
import threading
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from moto.moto_api import state_manager
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from . import codedeploy, ecs, taskdefs
from .records import (
    PARSERS,
    BadRequest,
    CodeDeployRequest,
    ScenarioRequest,
    TasksRequest,
    ThrottleRule,
    parse_control,
)
from .state import State

TICK = 0.1

StartResponse = Callable[..., Any]


def json_response(start_response: StartResponse, status: str, body: Any) -> List[bytes]:
    data = json.dumps(body, default=str).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def read_body(environ: Dict[str, Any]) -> bytes:
    """The request's raw body; the WSGI input is replaced by an unread copy for moto."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    return raw


def deployment_cluster(arn: Optional[str]) -> Optional[str]:
    """arn:…:service-deployment/<cluster>/<service>/<id> -> <cluster>"""
    parts = (arn or "").split("/")
    return parts[-3] if len(parts) >= 4 else None


def control(state: State, environ: Dict[str, Any], start_response: StartResponse) -> List[bytes]:
    """The control API under /_driver/ (see the driver's docstring)."""
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    request = None
    if method == "POST" and path in PARSERS:
        try:
            request = parse_control(path, read_body(environ))
        except BadRequest as e:
            return json_response(
                start_response, "400 Bad Request", {"error": str(e), "field": e.field}
            )
    with state.lock:
        if path == "/_driver/health":
            return json_response(start_response, "200 OK", {"ok": True})
        if isinstance(request, ScenarioRequest):
            queued = state.queue_scenarios(request)
            return json_response(start_response, "200 OK", {"queued": queued})
        if isinstance(request, CodeDeployRequest):
            queued = state.queue_codedeploy(request)
            return json_response(start_response, "200 OK", {"queued": queued})
        if isinstance(request, TasksRequest):
            state.queue_task_outcomes(request)
            return json_response(start_response, "200 OK", {"ok": True})
        if isinstance(request, ThrottleRule):
            state.throttle = request
            return json_response(start_response, "200 OK", {"ok": True})
        if path == "/_driver/requests":
            return json_response(start_response, "200 OK", [r.to_json() for r in state.requests])
        if path == "/_driver/task-definitions":
            return json_response(
                start_response, "200 OK", [r.to_json() for r in state.task_definitions.values()]
            )
        if path == "/_driver/transitions":
            return json_response(
                start_response, "200 OK", [t.to_json() for t in state.transitions]
            )
        if path == "/_driver/reset-log" and method == "POST":
            state.reset_log()
            return json_response(start_response, "200 OK", {"ok": True})
    return json_response(start_response, "404 Not Found", {"error": f"no {method} {path}"})


class DriverApp:
    """The WSGI layer in front of moto's app."""

    def __init__(self, state: State, moto_app: Any):
        self.state = state
        self.moto_app = moto_app
        # Answered by the driver (moto lacks them): (X-Amz-Target prefix, operation) -> the
        # answer, and the cluster a call concerns (for the request log)
        self.stops: Dict[Tuple[str, str], Tuple[Callable[..., Any], Callable[[Any], Any]]] = {
            ("CodeDeploy_", "StopDeployment"): (codedeploy.stop_deployment, lambda b: None),
            ("AmazonEC2ContainerService", "StopServiceDeployment"): (
                ecs.stop_service_deployment,
                lambda b: deployment_cluster(b.get("serviceDeploymentArn")),
            ),
        }

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        state = self.state
        if environ.get("PATH_INFO", "").startswith("/_driver/"):
            return control(state, environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        op = target.split(".")[-1] if target else environ.get("PATH_INFO", "")
        cluster = None
        body: Dict[str, Any] = {}
        for (prefix, name), (answer_stop, cluster_of) in self.stops.items():
            if target.startswith(prefix) and op == name:
                body = json.loads(read_body(environ) or b"{}")
                with state.lock:
                    state.log_request(op, cluster_of(body))
                    status, answer = answer_stop(state, body)
                return json_response(start_response, status, answer)
        is_ecs = target.startswith("AmazonEC2ContainerService")
        if is_ecs:
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
        with state.lock:
            state.log_request(op, cluster)
            rule = state.throttles(op, cluster) if is_ecs else None
        if rule is not None and rule.delay > 0:
            # A slow answer: the call waits (without the lock: other calls go on), then is
            # answered as usual.
            time.sleep(rule.delay)
        elif rule is not None:
            message = "Rate exceeded" if rule.error == "ThrottlingException" else f"{op}: {rule.error}"
            return json_response(
                start_response, "400 Bad Request", {"__type": rule.error, "message": message}
            )
        with state.lock:
            if op in ("ListServiceDeployments", "DescribeServiceDeployments"):
                return json_response(
                    start_response, "200 OK", ecs.service_deployments_api(state, op, body)
                )
            if is_ecs and op in ("RegisterTaskDefinition", "DescribeTaskDefinition"):
                return self.task_definition(op, body, environ, start_response)
            # moto answers from the same backend state the ticker changes: one at a time.
            return self.moto_app(environ, start_response)

    def task_definition(self, op: str, body: Dict[str, Any], environ: Dict[str, Any],
                        start_response: StartResponse) -> List[bytes]:
        """RegisterTaskDefinition recorded as sent; DescribeTaskDefinition answered with what
        moto dropped of it put back (see `taskdefs`)."""
        status, headers, raw = self.moto(environ)
        if status.startswith("200"):
            answer = json.loads(raw)
            kept = answer.get("taskDefinition") or {}
            arn = kept.get("taskDefinitionArn", "")
            if op == "RegisterTaskDefinition":
                _, dropped = taskdefs.fill_in(kept, body)
                self.state.task_definitions[arn] = taskdefs.Registered(arn, body, tuple(dropped))
            elif arn in self.state.task_definitions:
                answer["taskDefinition"], _ = taskdefs.fill_in(
                    kept, self.state.task_definitions[arn].sent
                )
                raw = json.dumps(answer).encode()
                headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
                headers.append(("Content-Length", str(len(raw))))
        start_response(status, headers)
        return [raw]

    def moto(self, environ: Dict[str, Any]) -> Tuple[str, List[Tuple[str, str]], bytes]:
        """moto's answer to a request: status, headers and body."""
        captured: Dict[str, Any] = {}

        def start(status: str, headers: List[Tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, list(headers)
            return lambda data: None

        chunks = self.moto_app(environ, start)
        try:
            raw = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
        return captured["status"], captured["headers"], raw


class DrivenMotoServer(ThreadedMotoServer):
    """moto's ThreadedMotoServer with the driver's WSGI layer in front of moto's app."""

    def __init__(self, state: State, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.state = state

    def _server_entry(self) -> None:
        app = DriverApp(self.state, DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


def tick(state: State) -> None:
    """One step of every engine, under the lock."""
    with state.lock:
        ecs.tick(state)
        codedeploy.tick(state)
        ecs.tick_shifts(state)


def ticker(state: State) -> None:
    while True:
        time.sleep(TICK)
        tick(state)


def main(argv: Optional[List[str]] = None, description: Optional[str] = None) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    parser.add_argument("--remove-on-exit", metavar="FILE",
                        help="with --exit-on-stdin-eof: delete FILE (our log) when exiting")
    args = parser.parse_args(argv)
    # One line per request on stderr would drown the test logs; the request log is /_driver/requests.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # One-off tasks stop when the driver says so, not on moto's schedule.
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})
    state = State()
    ecs.install(state)
    codedeploy.install(state)
    server = DrivenMotoServer(state, ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    threading.Thread(target=ticker, args=(state,), daemon=True).start()
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

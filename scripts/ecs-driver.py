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

Task definitions: moto keeps only the top-level fields it models; the driver records each
RegisterTaskDefinition body and puts back into DescribeTaskDefinition's answer what moto dropped,
as ECS would answer (scripts/ecs_driver/taskdefs.py).

Every AWS call still goes to moto; the driver only changes moto's ECS backend state (under one
lock with the requests) and records each call (time, operation, cluster) for the benchmark.

Where it departs from AWS (scripts/tests/test_ecs_driver.py pins each, with the AWS pages):
  - The circuit breaker counts time, not failures: one task fails every after/3 seconds and the
    deployment is FAILED at `after` with failedTasks 3, whatever the desired count. AWS's
    threshold is 0.5 x desired count, at least 3 and at most 200: the same up to 6 tasks, more
    failures (so more time) above.
  - rollback goes back to the task definition the service had before the update, which is
    ECS's "last deployment that completed successfully" unless that one failed or never
    completed. Its ServiceDeployment reports ROLLBACK_SUCCESSFUL as soon as ours is FAILED.
  - ListServiceDeployments / DescribeServiceDeployments report the blue/green lifecycle stages
    for every deployment, rolling ones included, on the scenario's clock.
  - StopServiceDeployment skips ROLLBACK_REQUESTED; the restored deployment is COMPLETED at once.
  - CodeDeploy's StopDeployment reports errorInformation.code DEPLOYMENT_STOPPED, which is not in
    CodeDeploy's ErrorCode enum (a user's stop is MANUAL_STOP there); kept as is, since
    ecs-rollout prints it for a stopped deployment.
  - Throttling is a count of calls, not AWS's token buckets.

Control API on the same port, JSON over HTTP (fields with ? are optional; null is absent):
  GET  /_driver/health                 -> {"ok": true}
  POST /_driver/scenario {cluster, service, scenarios?: [{kind?, after?, reason?, rollback_after?}]}
        queue of scenarios, one per deployment the service gets next (CreateService and
        UpdateService each make one); when empty: healthy after 1 s. kind: healthy (default),
        slow, failing, rollback, pending; after: seconds (30 for slow, else 1); reason (failing,
        rollback): the FAILED deployment's rolloutStateReason; rollback_after (rollback):
        seconds the rollback deployment takes (1). -> {"queued": length of the queue}
  POST /_driver/codedeploy {application, group, scenarios?: [{kind?, after?, code?, reason?}]}
        queue of CodeDeploy scenarios, one per CreateDeployment of that deployment group; when
        empty: succeeds after 1 s. kind: succeeds (default), slow, fails; code and reason: fails
        only. -> {"queued": length of the queue}
  POST /_driver/tasks {cluster, outcomes?: [{exit_code?, after?, reason?}]}
        how the next one-off tasks of the cluster end (exit 0 after 1 s when none is queued)
  POST /_driver/throttle {count?, skip?, cluster?, operations?: ["DescribeServices", ...], error?,
                          delay?}
        replaces the rule: after `skip` matching ECS calls, the next `count` ones answer
        `error` (default ThrottlingException; e.g. AccessDeniedException), or with `delay`
        (seconds) are answered as usual that much later (no cluster: any cluster; no
        operations: any operation)
  GET  /_driver/requests               -> [{t, op, cluster}]  (t: seconds since the epoch)
  GET  /_driver/transitions            -> [{t, cluster, service, deployment, state}]
  GET  /_driver/task-definitions       -> [{arn, sent, dropped}]: every RegisterTaskDefinition
        body as sent, and the paths moto's own answer lacks (DescribeTaskDefinition answers
        moto's task definition with those put back: ECS returns what it was given)
  POST /_driver/reset-log              empties both logs
A request the driver cannot use (not JSON, a missing or unknown field, a wrong type, a kind or
value out of range) changes nothing and answers 400 {"error": "<field>: <what is valid>",
"field": "<field>"}, e.g. 'scenarios[1].kind: "fast" is not one of healthy, slow, ...'.

The code is the package next to this file, scripts/ecs_driver/ (records: the control API's
records and their parsing; state: the one State object; ecs and codedeploy: the engines; server:
the WSGI layer, the ticker, the command line). Its tests, scripts/tests/, run in scripts/test.

usage: ecs-driver.py [--port N] [--exit-on-stdin-eof [--remove-on-exit LOG]]
Prints one JSON line {"url": "http://127.0.0.1:PORT"} once it serves.
"""

import os
import sys

# The driver is the package next to this file (scripts/ecs_driver); no __pycache__ in the checkout.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ecs_driver.server import main  # noqa: E402

if __name__ == "__main__":
    main(description=__doc__.split("\n")[0])

"""The ECS rollout driver behind scripts/ecs-driver.py (its entry point; its docstring describes
what the driver plays and its control API).

  records     the control API's inputs and the logs, as typed records; parsing and its 400s
  state       the one State object (lock, queues, what is being driven, throttling, logs)
  ecs         ECS's deployment engine: rolling deployments, circuit breaker, rollback,
              CANARY / LINEAR shifting, StopServiceDeployment, service deployments, one-off tasks
  codedeploy  CodeDeploy's ECS blue/green engine: deployments, StopDeployment
  taskdefs    task definitions answered whole, as registered (moto keeps a subset)
  server      the WSGI layer in front of moto, the ticker, the command line
"""

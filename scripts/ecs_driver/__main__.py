"""python -m ecs_driver (from scripts/): the same as scripts/ecs-driver.py."""

from .server import main

main(description="A test double for AWS's ECS rollout engine, on top of the real moto.")

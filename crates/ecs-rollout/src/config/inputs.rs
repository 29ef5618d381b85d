//! The tool's inputs, declared once: the CLI flags, the `INPUT_*` reading, `--action-contract`
//! and the checks of `action.yml` and the README all come from this table.

use gantry_toolkit::InputSpec;

/// Every input of the action but the AWS ones ([`gantry_aws_setup::AWS_INPUTS`], which follow
/// it), declared once ([`gantry_toolkit::spec`]): the CLI flags, the defaults of empty inputs and
/// `--action-contract` come from here, and the contract test holds `action.yml` and the README to
/// it. The flagged inputs come first, in `--help` order.
pub const INPUTS: &[InputSpec] = &[
    InputSpec::new("cluster", "The ECS cluster (name or ARN).")
        .required()
        .flag("The ECS cluster."),
    InputSpec::new("service", "The ECS service (name or ARN).")
        .required()
        .flag("The ECS service."),
    InputSpec::new(
        "mode",
        "`deploy` a new version, or `rollback` to a previous one (by `rollback-task-definition` \
         or `rollback-image-tag`).",
    )
    .default("deploy")
    .flag("deploy or rollback."),
    InputSpec::new(
        "task-definition",
        "Where the new task definition starts: empty for the service's current one, a JSON file \
         in the workspace (RegisterTaskDefinition input or DescribeTaskDefinition output), or \
         an ARN / `family:revision`.",
    )
    .flag("A JSON file, an ARN or family:revision; default the service's."),
    InputSpec::new(
        "container",
        "The container that `image-ref`, `environment`, `secrets`, `docker-labels`, \
         `environment-files`, `command`, `log-configuration`, `pre-deploy-command` and \
         `smoke-test-command` apply to. Default: the only (or only essential) container.",
    )
    .flag("The container single-container inputs apply to."),
    InputSpec::new(
        "images",
        "Images per container, one `container=image` a line.",
    )
    .flag("`container=image` lines."),
    InputSpec::new(
        "image-ref",
        "One image for `container`, such as the `image-ref` output of ecr-push.",
    )
    .flag("One image for the container."),
    InputSpec::new(
        "environment",
        "Environment variables to set, one `NAME=value` a line (others are kept).",
    )
    .flag("`NAME=value` lines."),
    InputSpec::new(
        "secrets",
        "Secrets to set, one `NAME=source` a line: a Secrets Manager or SSM parameter ARN, or \
         an SSM parameter name.",
    )
    .flag("`NAME=source` lines."),
    InputSpec::new(
        "docker-labels",
        "Docker labels to set on `container`, one `KEY=value` a line (others are kept). Values \
         are shown as hashes, never in the log.",
    )
    .flag("`KEY=value` lines."),
    InputSpec::new(
        "environment-files",
        "Environment files for `container`, one S3 object ARN a line (`arn:aws:s3:::bucket/app.env`), \
         added to the ones it has.",
    )
    .flag("S3 object ARNs of .env files."),
    InputSpec::new(
        "command",
        "The container's command: a JSON array of strings, or words separated by spaces.",
    )
    .flag("The container's command."),
    InputSpec::new(
        "log-configuration",
        "The container's logConfiguration as JSON, such as `{\"logDriver\": \"awslogs\", \
         \"options\": {...}}`.",
    )
    .flag("logConfiguration JSON."),
    InputSpec::new("cpu", "Task CPU units (`256`, `0.5 vCPU`).").flag("Task CPU."),
    InputSpec::new("memory", "Task memory in MiB (`512`, `1 GB`).").flag("Task memory."),
    InputSpec::new(
        "desired-count",
        "Set the service's desired task count. Empty keeps it.",
    )
    .flag("Desired task count."),
    InputSpec::new(
        "force-new-deployment",
        "Start a deployment even when the task definition does not change.",
    )
    .default("false")
    .flag(""),
    InputSpec::new(
        "circuit-breaker",
        "The deployment circuit breaker: `keep` the service's setting, `rollback` (enable, ECS \
         rolls back), `on` (enable), or `off`.",
    )
    .default("keep")
    .flag("keep, rollback, on, off."),
    InputSpec::new(
        "propagate-tags",
        "Copy tags to the service's tasks from the `SERVICE` or the `TASK_DEFINITION`, or `NONE`. \
         Default: keep the service's setting.",
    )
    .flag("SERVICE, TASK_DEFINITION or NONE."),
    InputSpec::new(
        "enable-ecs-managed-tags",
        "Tag the service's tasks with ECS's own tags (cluster and service name). Default: keep \
         the service's setting.",
    )
    .flag("true or false."),
    InputSpec::new(
        "smoke-test-command",
        "After the deployment completed, a one-off task of the new task definition with this \
         command (on `container`); it must exit 0, else the service is rolled back. Its log \
         location is printed.",
    )
    .flag(""),
    InputSpec::new(
        "wait",
        "Watch the deployment until it completes or fails (and roll back). `false` returns once \
         it started.",
    )
    .default("true")
    .flag("Watch the deployment to its end."),
    InputSpec::new(
        "timeout-seconds",
        "One deadline for the whole run; the watch ends at two thirds of it so that a rollback \
         has the rest.",
    )
    .default("900")
    .flag("Deadline of the whole run."),
    InputSpec::new(
        "pending-timeout-seconds",
        "Fail (and roll back) when no task of the deployment started in this time.",
    )
    .default("300")
    .flag(""),
    InputSpec::new(
        "rollback-on-failure",
        "On failure, timeout or cancellation, go back to the last task definition that \
         completed a deployment, and wait for it.",
    )
    .default("true")
    .flag(""),
    InputSpec::new(
        "rollback-task-definition",
        "`mode: rollback`: the task definition to go back to (`family:revision` or ARN).",
    )
    .flag(""),
    InputSpec::new(
        "rollback-image-tag",
        "`mode: rollback`: the image tag to go back to (checked in ECR first); the newest \
         revision running it is redeployed, else one is registered.",
    )
    .flag(""),
    InputSpec::new(
        "pre-deploy-command",
        "A one-off task of the new task definition with this command (e.g. migrations), run \
         before the service is touched; it must exit 0.",
    )
    .flag(""),
    InputSpec::new(
        "pre-deploy-timeout-seconds",
        "How long the pre-deploy task may run, at most `timeout-seconds`. Default 600, or \
         `timeout-seconds` when that is shorter.",
    )
    .flag(""),
    InputSpec::new(
        "deregister-failed",
        "Deregister the revision that failed, after the rollback (never one that runs).",
    )
    .default("false")
    .flag(""),
    InputSpec::new(
        "verify",
        "Before registering anything, check that what the task definition refers to exists: every image (ECR, or a manifest HEAD elsewhere), every secret (Secrets Manager, SSM), the task and execution roles, and each awslogs log group (unless `awslogs-create-group`). A missing one stops the deploy, naming the container, the field and the resource; one that cannot be checked (no permission, another region) is a warning.",
    )
    .default("true")
    .flag("Check what the task definition refers to before registering it."),
    InputSpec::new(
        "dry-run",
        "Print the task definition diff against what runs now; register and deploy nothing.",
    )
    .default("false")
    .flag("Print the diff, change nothing."),
    InputSpec::new(
        "codedeploy-application",
        "CODE_DEPLOY services: the CodeDeploy application. Default \
         `AppECS-<cluster>-<service>`.",
    ),
    InputSpec::new(
        "codedeploy-deployment-group",
        "CODE_DEPLOY services: the CodeDeploy deployment group. Default \
         `DgpECS-<cluster>-<service>`.",
    ),
    InputSpec::new(
        "codedeploy-appspec-hooks",
        "CODE_DEPLOY services: AppSpec hooks, `EVENT=FUNCTION` lines (events BeforeInstall, \
         AfterInstall, AfterAllowTestTraffic, BeforeAllowTraffic, AfterAllowTraffic; a Lambda \
         function name or ARN).",
    ),
];

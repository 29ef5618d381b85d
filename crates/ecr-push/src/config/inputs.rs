//! The input table: every input but the AWS ones, declared once.

use gantry_toolkit::InputSpec;

/// Every input of the action but the AWS ones ([`gantry_aws_setup::AWS_INPUTS`], which follow
/// it), declared once ([`gantry_toolkit::spec`]): the CLI flags, the defaults of empty inputs and
/// `--action-contract` come from here, and the contract test holds `action.yml` and the README to
/// it. The flagged inputs come first, in `--help` order.
pub const INPUTS: &[InputSpec] = &[
    InputSpec::new(
        "repository",
        "The ECR repository, such as `team/api`. Required (but for mode `login`).",
    )
    .flag("The ECR repository."),
    InputSpec::new(
        "mode",
        "`build` (Docker build, then push), `build-only` (Docker build and report, push \
         nothing, no AWS: for pull requests), `push` (an OCI layout directory or `docker save` \
         tarball), `promote` (add tags to an image already in ECR, no pull) or `login` (log in \
         only: outputs the registry and masked Docker credentials).",
    )
    .default("build")
    .flag("build, build-only, push, promote or login."),
    InputSpec::new(
        "tags",
        "Tag rules, comma-separated or one a line: `sha`, `semver`, `dev`, `branch`, `pr`, \
         `latest`, `raw:<tag>`.",
    )
    .default("sha, semver, pr")
    .flag("Tag rules: sha, semver, dev, branch, pr, latest, raw:<tag>."),
    InputSpec::new(
        "version",
        "The version for the `semver` rule (such as semantic-version's output); default a \
         `vX.Y.Z` tag ref.",
    )
    .flag_named(
        "image-version",
        "The version for the semver rule (`--version` prints the tool's).",
    ),
    InputSpec::new(
        "image-path",
        "OCI image layout directory or `docker save` tarball to push (mode push).",
    )
    .flag("OCI image layout directory or `docker save` tarball (mode push)."),
    InputSpec::new(
        "source",
        "Tag or `sha256:` digest of the image to promote (mode promote); or a whole ECR image \
         `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>` (or `@sha256:…`) to copy \
         from another account, region or repository.",
    )
    .flag("Tag or digest of the image to promote (mode promote)."),
    InputSpec::new(
        "context",
        "Build context directory (mode build), relative to the workspace.",
    )
    .default(".")
    .flag("Build context (mode build)."),
    InputSpec::new(
        "dockerfile",
        "Dockerfile (mode build), relative to the workspace. Default `<context>/Dockerfile`.",
    )
    .flag("Dockerfile (mode build)."),
    InputSpec::new(
        "registry-endpoint",
        "Reach the registry API here instead of `<account>.dkr.ecr.<region>.amazonaws.com`: a \
         mirror, or a local registry in tests. Plain `http://` only on loopback.",
    )
    .flag("Registry API endpoint instead of ECR's (tests, mirrors)."),
    InputSpec::new(
        "registry-ids",
        "AWS account ids, comma-separated; the first is pushed to, all are logged in for the \
         build. Default the caller's account.",
    )
    .flag("Account ids; the first is pushed to."),
    InputSpec::new(
        "create-repository",
        "Create the repository when it does not exist.",
    )
    .default("false")
    .flag("Create the repository when missing."),
    InputSpec::new(
        "dry-run",
        "Validate, log in, read the repository and the image, and report; change nothing.",
    )
    .default("false")
    .flag("Compute and print everything, change nothing."),
    InputSpec::new(
        "semver-floating",
        "With `semver`, also tag `vX.Y` and `vX` (never for prereleases).",
    )
    .default("false"),
    InputSpec::new(
        "sha-length",
        "Characters of the commit sha in `sha-` and `dev-` tags (7 to 40).",
    )
    .default("7"),
    InputSpec::new(
        "build-args",
        "Build arguments, one `KEY=VALUE` a line (mode build). Only names are printed; for \
         credentials use `secrets` (a build argument's value stays in the image's history).",
    ),
    InputSpec::new(
        "secrets",
        "BuildKit secrets for `RUN --mount=type=secret,id=<id>`, one a line: \
         `id=<id>,env=<VARIABLE>` or `id=<id>,src=<file>` (relative to the workspace). The \
         value is masked and is in no layer, history or log.",
    ),
    InputSpec::new(
        "ssh",
        "SSH for `RUN --mount=type=ssh`, one a line: `default` (the agent at `SSH_AUTH_SOCK`) \
         or `<id>=<key or socket path>`.",
    ),
    InputSpec::new("no-cache", "Build every step again (`--no-cache`).").default("false"),
    InputSpec::new("pull", "Pull newer versions of base images (`--pull`).").default("false"),
    InputSpec::new("target", "Build stage to stop at (mode build)."),
    InputSpec::new(
        "platforms",
        "Platforms such as `linux/amd64,linux/arm64` (mode build; several need docker buildx).",
    ),
    InputSpec::new(
        "labels",
        "Extra image labels, one `key=value` a line (only keys are printed); the OCI source, \
         revision, version and created labels are always set.",
    ),
    InputSpec::new(
        "provenance",
        "Attach buildx provenance attestations (off: ECR would list them as extra untagged \
         images).",
    )
    .default("false"),
    InputSpec::new(
        "cache-tag",
        "Keep the build cache in ECR under this tag (mode build): a registry cache in ECR's \
         accepted form with buildx (`image-manifest=true,oci-mediatypes=true`), else an inline \
         cache in the image, also tagged as the cache.",
    ),
    InputSpec::new(
        "cache-repository",
        "Repository of the build cache; default the image's. The cache tag moves, so it must \
         have mutable tags.",
    ),
    InputSpec::new(
        "login-public",
        "Also log in to ECR Public (mode build), so the build pulls `public.ecr.aws` base \
         images with the account's rate limits instead of anonymous ones.",
    )
    .default("false"),
    InputSpec::new(
        "force",
        "Build even when an image for this commit's tag already exists.",
    )
    .default("false"),
    InputSpec::new(
        "docker",
        "The Docker CLI to run (a command on PATH or a path).",
    )
    .default("docker"),
    InputSpec::new(
        "mount-from",
        "Repositories of the same registry to mount blobs from before uploading them.",
    ),
    InputSpec::new(
        "update-repository",
        "Apply the repository settings below to an existing repository (otherwise differences \
         are only reported).",
    )
    .default("false"),
    InputSpec::new(
        "image-tag-mutability",
        "`immutable` or `mutable`, for a repository ecr-push creates or updates.",
    )
    .default("immutable"),
    InputSpec::new(
        "scan-on-push",
        "Scan images on push, for a repository ecr-push creates or updates.",
    )
    .default("true"),
    InputSpec::new(
        "encryption",
        "`AES256` or `KMS`, for a repository ecr-push creates (ECR cannot change it later).",
    )
    .default("AES256"),
    InputSpec::new(
        "kms-key",
        "KMS key ARN or alias with encryption KMS; default the AWS-managed key.",
    ),
    InputSpec::new(
        "lifecycle-keep-last",
        "Lifecycle rules: keep the last N images of each tag family (`pr-`, `dev-`, `sha-`, \
         then branch and other tags; 0: no such rules).",
    )
    .default("10"),
    InputSpec::new(
        "lifecycle-expire-untagged-days",
        "Lifecycle rule: expire untagged images after N days (0: no such rule).",
    )
    .default("7"),
    InputSpec::new(
        "lifecycle-protect-releases",
        "Lifecycle rule: never expire an image that carries a release tag (`v*.*.*`, as the \
         `semver` rule writes them; ECR keeps the newest 9999). `false` lets the other rules \
         expire release images.",
    )
    .default("true"),
    InputSpec::new(
        "lifecycle-preview",
        "List in the summary which images the repository's lifecycle policy would expire \
         today; changes nothing.",
    )
    .default("false"),
    InputSpec::new(
        "repository-tags",
        "AWS resource tags for the repository, one `key=value` a line.",
    ),
    InputSpec::new(
        "scan-severity-threshold",
        "Fail when the image's scan has findings at or above this severity: `informational`, \
         `low`, `medium`, `high`, `critical`; empty or `none` for no gate.",
    ),
    InputSpec::new(
        "scan-timeout-seconds",
        "How long to wait for scan findings.",
    )
    .default("600"),
    InputSpec::new("max-concurrency", "Parallel blob uploads (1 to 32).").default("4"),
    InputSpec::new(
        "push-retries",
        "Retries of each registry request on connection errors and 5xx answers, with \
         exponential backoff.",
    )
    .default("5"),
    InputSpec::new("timeout-seconds", "The whole run's deadline.").default("1800"),
];

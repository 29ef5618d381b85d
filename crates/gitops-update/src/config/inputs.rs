//! The inputs of gitops-update: its one table, from which `--help`, the `INPUT_*` reading,
//! the defaults and the action contract come.

use gantry_toolkit::InputSpec;

/// Every input of the action, declared once ([`gantry_toolkit::spec`]).
pub const INPUTS: &[InputSpec] = &[
    InputSpec::new(
        "files",
        "The files to update, one a line or comma-separated, relative to the working \
         directory; globs (`overlays/*/kustomization.yaml`, `apps/**/values.yaml`) are expanded \
         in the repository's files.",
    )
    .required()
    .flag("Files or globs to update, one a line."),
    InputSpec::new(
        "image-ref",
        "The reference to set, as ecr-push's `image-ref` output: `repo:tag`, `repo@sha256:…` or \
         `repo:tag@sha256:…`. Or give `tag` and/or `digest` (with `image`).",
    )
    .flag("The image reference to set (repo:tag[@digest])."),
    InputSpec::new(
        "image",
        "The image as the files name it, without tag: kustomize's `images[].name`, the \
         repository of a manifest's `image:`. Default the repository of `image-ref`.",
    )
    .flag("The image as the files name it (default image-ref's repository)."),
    InputSpec::new(
        "tag",
        "The tag to set, when `image-ref` is not given (or to override its tag).",
    )
    .flag("The tag to set."),
    InputSpec::new(
        "digest",
        "The digest to set (`sha256:` and 64 hex digits), when `image-ref` is not given.",
    )
    .flag("The digest to set."),
    InputSpec::new(
        "form",
        "Where the files keep the reference: `auto` (kustomizations, Argo CD Applications and \
         workload manifests told apart by their content), `kustomize`, `helm` (values files, at \
         `helm-paths`), `manifest` or `argocd`.",
    )
    .default("auto")
    .flag("auto, kustomize, helm, manifest or argocd."),
    InputSpec::new(
        "container",
        "Manifests: update the containers with this name, whatever image they run (default: \
         the containers whose image is `image`).",
    )
    .flag("Match manifest containers by name."),
    InputSpec::new(
        "helm-paths",
        "Helm values (and Argo CD helm.parameters): where the image is, as `role=dotted.path` \
         pairs, one a line or comma-separated; roles `repository`, `tag`, `digest`, or `image` \
         for one `repo:tag` string.",
    )
    .default("repository=image.repository,tag=image.tag")
    .flag("role=path pairs: repository, tag, digest or image."),
    InputSpec::new(
        "allow-missing",
        "A file where the image is not found is skipped with a warning instead of failing the \
         run.",
    )
    .default("false")
    .flag("Skip files that do not use the image."),
    InputSpec::new(
        "render-check",
        "After the edit, before anything is committed: `auto` renders with `kubectl kustomize` \
         each kustomization that changed (and those in `render-paths`) and checks that the \
         output carries the new reference; `none` skips it; anything else is a command run in \
         a checkout of the new commit (no shell) whose output must carry the new reference.",
    )
    .default("auto")
    .flag("auto, none, or a command whose output must carry the reference."),
    InputSpec::new(
        "render-paths",
        "More kustomization directories to render with `kubectl kustomize` (overlays that use \
         the changed files), one a line.",
    )
    .flag("More kustomization directories to render."),
    InputSpec::new(
        "mode",
        "`update` sets the reference; `rollback` sets it back to `rollback-to`, or to the one \
         before the last gitops-update commit of this image.",
    )
    .default("update")
    .flag("update or rollback."),
    InputSpec::new(
        "rollback-to",
        "rollback mode: the tag, digest or reference to go back to; empty: the one before the \
         last gitops-update commit of this image on the branch.",
    )
    .flag("The tag or reference to roll back to."),
    InputSpec::new(
        "push",
        "How the change is delivered: `branch` commits on the remote's `branch` and pushes; \
         `pull-request` pushes `pull-request-branch` and opens or updates a pull request into \
         `branch` (needs `token`); `none` only edits the files in the working tree (a later \
         step commits them).",
    )
    .default("branch")
    .flag("branch, pull-request, commit or none."),
    InputSpec::new(
        "branch",
        "The branch to commit to (or the pull request's base). Default the checkout's branch.",
    )
    .flag("The branch to commit to."),
    InputSpec::new(
        "remote",
        "The git remote to fetch from and push to; its URL may be another repository than \
         the workflow's (checked out with a token or deploy key).",
    )
    .default("origin")
    .flag("The git remote."),
    InputSpec::new(
        "pull-request-branch",
        "pull-request: the branch of the pull request; `${image}` is the image's last path \
         segment, `${branch}` the base.",
    )
    .default("gitops-update/${branch}/${image}")
    .flag("The pull request's branch."),
    InputSpec::new(
        "token",
        "GitHub token for `push: pull-request` (contents and pull-requests write on the \
         repository of `remote`).",
    ),
    InputSpec::new(
        "repository",
        "pull-request: owner/name of the repository of `remote`; default GITHUB_REPOSITORY.",
    )
    .flag("owner/name for the pull request."),
    InputSpec::new(
        "commit-message",
        "The commit's subject; `${image}` the image, `${reference}` the new reference, \
         `${tag}` its tag (else digest), `${source}` the source commit. Trailers naming the \
         image, reference and source commit are added.",
    )
    .default("deploy(${image}): ${tag}")
    .flag("The commit subject template."),
    InputSpec::new(
        "source-commit",
        "The commit the image was built from, named in the commit message; default \
         GITHUB_SHA.",
    )
    .flag("The source commit."),
    InputSpec::new(
        "commit-author",
        "`Name <email>` of the commit's author and committer.",
    )
    .default("github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>")
    .flag("Name <email> of the commit."),
    InputSpec::new(
        "push-attempts",
        "Pushes tried when a concurrent update moved the branch (fetch, re-apply, push).",
    )
    .default("5")
    .flag("Pushes tried against concurrent updates."),
    InputSpec::new(
        "argocd-server",
        "Argo CD's URL (`https://argocd.example.com`): after the push, wait until \
         `argocd-application` has synced the commit and is Healthy; empty: do not follow.",
    )
    .flag("Argo CD URL to follow."),
    InputSpec::new(
        "argocd-token",
        "An Argo CD API token (account with `applications, get` and, with argocd-sync, \
         `sync`).",
    ),
    InputSpec::new(
        "argocd-application",
        "The Argo CD application that deploys the files.",
    )
    .flag("The Argo CD application."),
    InputSpec::new(
        "argocd-app-namespace",
        "The application's namespace, when it is not Argo CD's own.",
    )
    .flag("The application's namespace."),
    InputSpec::new(
        "argocd-sync",
        "Ask Argo CD to sync the commit (for applications without automated sync).",
    )
    .default("false")
    .flag("Ask Argo CD to sync."),
    InputSpec::new(
        "revert-on-failure",
        "When Argo CD reports the application Degraded, its sync failed, or the deadline \
         passed: revert the commit (or close the pull request).",
    )
    .default("true")
    .flag("Revert when Argo CD fails."),
    InputSpec::new(
        "working-directory",
        "The checkout of the GitOps repository, relative to the workspace.",
    )
    .flag("The GitOps repository's checkout."),
    InputSpec::new(
        "dry-run",
        "Edit, render and show the diff; commit, push and call nothing.",
    )
    .default("false")
    .flag("Show the change; write nothing."),
    InputSpec::new(
        "timeout-seconds",
        "Deadline of the whole run, Argo CD included; past it (or on SIGTERM) nothing more is \
         pushed and, when following Argo CD, the commit is reverted.",
    )
    .default("600")
    .flag("The whole run's deadline, in seconds."),
];

//! One run: inputs → the target reference (for a rollback: read from the history) → for each
//! attempt: fetch the branch's tip, edit the files as they are there, commit in a private index,
//! render that commit, push (a push that lost a race to a concurrent update starts the next
//! attempt on the new tip) → follow Argo CD, reverting the commit when the application fails.
//! The only module that strings the layers together; every decision is in [`crate::plan`],
//! [`crate::update`], [`crate::edit`] or [`crate::argocd`].

use anyhow::Context as _;
use gantry_image_ref::ImageRef;
use gantry_toolkit::{GithubContext, Runner, Stop};

use crate::config::{Config, Mode, Push, RenderCheck, Wanted};
use crate::edit::Target;
pub use crate::effects::Effects;
use crate::git::{Git, GitCli, PushError};
use crate::plan;
use crate::render::{Programs, Render};
use crate::report::{self, Delivery, Outcome, Rendered};
use crate::update::{self, EditSettings, FileUpdate, Prepared};

pub fn run(runner: &Runner) -> anyhow::Result<()> {
    // Masked before anything could print them.
    let _ = runner.get_secret_input("token");
    let _ = runner.get_secret_input("argocd-token");
    let context = GithubContext::from_env(runner.env());
    let workspace = context
        .workspace_dir()
        .context("cannot read the current directory")?;
    let config = Config::from_inputs(runner.inputs(), &workspace, context.sha.as_deref())?;
    let stop = Stop::install(Some(config.timeout))
        .context("cannot listen for the runner's cancellation")?
        .with_input("timeout-seconds");
    let git = GitCli::open(
        &config.working_directory,
        &config.remote,
        config.author.clone(),
        stop.clone(),
    )
    .context("cannot open the GitOps repository's checkout (working-directory)")?;
    let render = Programs::new(stop.clone());
    let effects = Effects {
        git: &git,
        render: &render,
        runner,
        stop: &stop,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(execute(&config, &effects, &context));
    match outcome {
        Ok(outcome) => {
            report::report(runner, &config, &outcome)?;
            match &outcome.failure {
                Some(failure) => Err(anyhow::anyhow!("{failure}")),
                None => Ok(()),
            }
        }
        Err(error) => Err(error),
    }
}

/// Everything after the inputs: what to set, delivering it, following Argo CD.
///
/// # Errors
/// Anything that stops the run before a change reached the remote (nothing was pushed then);
/// a failure after the push is in [`Outcome::failure`], with what was done.
pub async fn execute<G: Git, R: Render>(
    config: &Config,
    effects: &Effects<'_, G, R>,
    context: &GithubContext,
) -> anyhow::Result<Outcome> {
    let git = effects.git;
    let branch = match &config.branch {
        Some(branch) => branch.clone(),
        None => git
            .current_branch()?
            .ok_or(crate::git::GitError::Detached)?,
    };
    let settings = EditSettings {
        form: config.form,
        helm: &config.helm_paths,
        allow_missing: config.allow_missing,
    };
    if config.push == Push::None {
        return edit_working_tree(config, effects, &settings).await;
    }
    let rollback = config.mode == Mode::Rollback;
    let tip = git.fetch(&branch, rollback)?;
    let files =
        plan::select_files(&config.files, &git.files(&tip)?).map_err(|(pattern, why)| {
            anyhow::anyhow!(
                "input 'files': '{pattern}': {why} (branch {branch} of the remote '{}')",
                config.remote
            )
        })?;
    let (target, undoes) = target_of(config, git, &tip, &files, &settings)?;
    effects.runner.info(&format!(
        "setting {} to {} in {} file(s) of {branch}",
        config.image,
        target.new,
        files.len()
    ));
    let message = plan::commit_message(
        &config.commit_message,
        &config.image,
        &target.new,
        config.source_commit.as_deref(),
        undoes.as_deref(),
    );
    let into = match config.push {
        Push::PullRequest => {
            plan::pull_request_branch(&config.pull_request_branch, &branch, &config.image)
        }
        _ => branch.clone(),
    };
    let mut outcome = Outcome::new(target.new.clone(), branch.clone());
    // The first attempt edits the tip just fetched; a lost race fetches again.
    outcome.base_commit = Some(tip.clone());
    let delivered = deliver(
        config,
        effects,
        &settings,
        &target,
        &files,
        &Delivery {
            base: branch.clone(),
            into: into.clone(),
            force: config.push == Push::PullRequest,
            message: message.clone(),
        },
        &mut outcome,
    )?;
    let Some(commit) = delivered else {
        return Ok(outcome);
    };
    if config.push == Push::PullRequest {
        let client = crate::pulls::client(config, context)?;
        let title = message.lines().next().unwrap_or_default();
        let body = crate::pulls::body(&outcome, &message);
        let pull =
            crate::pulls::propose(&client, effects.stop, &branch, &into, title, &body).await?;
        effects
            .runner
            .info(&format!("pull request #{}: {}", pull.number, pull.html_url));
        outcome.pull_request = Some((pull.number, pull.html_url));
    }
    if let Some(argocd) = &config.argocd {
        crate::follow::follow_and_undo(
            config,
            effects,
            context,
            argocd,
            &commit,
            &target,
            &mut outcome,
        )
        .await;
    }
    Ok(outcome)
}

/// The target: the reference asked for, or (rollback without `rollback-to`) the one before the
/// last gitops-update commit of the image, with the commit it undoes.
fn target_of<G: Git>(
    config: &Config,
    git: &G,
    tip: &str,
    files: &[String],
    settings: &EditSettings<'_>,
) -> anyhow::Result<(Target, Option<String>)> {
    let target = |new: ImageRef| Target {
        name: config.image.clone(),
        container: config.container.clone(),
        new,
    };
    match &config.wanted {
        Wanted::Reference(reference) => Ok((target(reference.clone()), None)),
        Wanted::Previous => {
            let history = git.history(tip, files, 1000)?;
            let undone = plan::commit_to_undo(&config.image, &history).ok_or_else(|| {
                anyhow::anyhow!(
                    "mode rollback: no gitops-update commit of {} is in the history of the files on this branch; name the version with rollback-to",
                    config.image
                )
            })?;
            let parent = git.parent(undone)?.ok_or_else(|| {
                anyhow::anyhow!("mode rollback: commit {undone} has no parent to go back to; name the version with rollback-to")
            })?;
            let before = git.read_all(&parent, files)?;
            // Only the name matters for reading; `image` was checked to parse.
            let probe = target(ImageRef::parse(&config.image).unwrap_or_else(|| ImageRef {
                registry: None,
                repository: config.image.clone(),
                tag: None,
                digest: None,
            }));
            let current = update::current(&before, &probe, settings)?.ok_or_else(|| {
                anyhow::anyhow!(
                    "mode rollback: the files did not use {} before commit {}; name the version with rollback-to",
                    config.image,
                    &undone[..undone.len().min(12)]
                )
            })?;
            let previous = plan::previous_reference(
                &config.image,
                current.repository.as_deref(),
                current.tag.as_deref(),
                current.digest.as_deref(),
            )
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "mode rollback: the files had no tag or digest of {} before commit {undone}",
                    config.image
                )
            })?;
            Ok((target(previous), Some(undone.to_owned())))
        }
    }
}

/// Commit the edit on the tip of `delivery.base`, render it, push it to `delivery.into`; on a
/// lost race, again on the new tip. The pushed commit; `None` when nothing changed or in a dry
/// run.
pub(crate) fn deliver<G: Git, R: Render>(
    config: &Config,
    effects: &Effects<'_, G, R>,
    settings: &EditSettings<'_>,
    target: &Target,
    files: &[String],
    delivery: &Delivery,
    outcome: &mut Outcome,
) -> anyhow::Result<Option<String>> {
    let git = effects.git;
    // After a lost race: the tip it was made on, and what the remote said.
    let mut raced: Option<(String, String)> = None;
    for attempt in 1..=config.push_attempts {
        let tip = if attempt == 1 && outcome.base_commit.is_some() {
            outcome.base_commit.clone().unwrap_or_default()
        } else {
            git.fetch(&delivery.base, false)?
        };
        if let Some((before, detail)) = raced.take_if(|(before, _)| *before == tip) {
            anyhow::bail!(
                "{detail}; {} is still at {}, so no concurrent update moved it: the remote refuses this push (a protected branch, a hook?); nothing was pushed",
                delivery.base,
                &before[..before.len().min(12)]
            );
        }
        outcome.base_commit = Some(tip.clone());
        let prepared = update::prepare(&git.read_all(&tip, files)?, target, settings)?;
        outcome.attempts = attempt;
        if prepared.updates.is_empty() {
            outcome.prepared = prepared;
            outcome.delivery = report::Delivered::Unchanged;
            return Ok(None);
        }
        let commit = git.commit(
            &tip,
            &update::changed_files(&prepared.updates),
            &delivery.message,
        )?;
        outcome.rendered = render_commit(config, effects, &commit, &prepared, &target.new)?;
        outcome.prepared = prepared;
        if config.dry_run {
            outcome.delivery = report::Delivered::DryRun;
            return Ok(None);
        }
        match git.push(&commit, &delivery.into, delivery.force) {
            Ok(()) => {
                outcome.commit = Some(commit.clone());
                outcome.delivery = report::Delivered::Pushed {
                    branch: delivery.into.clone(),
                };
                return Ok(Some(commit));
            }
            Err(PushError::Raced { detail, .. }) if attempt < config.push_attempts => {
                raced = Some((tip.clone(), detail));
                effects.runner.info(&format!(
                    "{} moved while this run was updating it (a concurrent update): fetching it again (attempt {} of {})",
                    delivery.base,
                    attempt + 1,
                    config.push_attempts
                ));
            }
            Err(PushError::Raced { branch, .. }) => {
                anyhow::bail!(
                    "{branch} kept moving: {} pushes were each overtaken by a concurrent update; nothing was pushed. Raise push-attempts, or serialise the jobs that update it (a `concurrency:` group)",
                    config.push_attempts
                );
            }
            Err(PushError::Failed(error)) => return Err(error.into()),
        }
    }
    anyhow::bail!("push-attempts is 0")
}

/// The render check of a commit: render it as `render-check` says; each output must carry the
/// new reference. Nothing is pushed when it fails.
fn render_commit<G: Git, R: Render>(
    config: &Config,
    effects: &Effects<'_, G, R>,
    commit: &str,
    prepared: &Prepared,
    reference: &ImageRef,
) -> anyhow::Result<Vec<Rendered>> {
    let Some(work) = render_work(config, prepared) else {
        return Ok(Vec::new());
    };
    // The directories the render needs, as far as the kustomizations tell; the whole commit
    // when that is not enough (or for the user's command, whose needs are unknown).
    if let RenderWork::Kustomize(dirs) = &work {
        let text = |dir: &str| {
            ["kustomization.yaml", "kustomization.yml", "Kustomization"]
                .iter()
                .find_map(|name| {
                    let path = if dir.is_empty() {
                        (*name).to_owned()
                    } else {
                        format!("{dir}/{name}")
                    };
                    effects.git.read(commit, &path).ok().flatten()
                })
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        };
        let cones = plan::render_cones(dirs, text);
        let small = effects.git.checkout(commit, Some(&cones))?;
        if let Ok(rendered) = check_renders(effects.render, &small.root, &work, reference) {
            return Ok(rendered);
        }
    }
    let whole = effects.git.checkout(commit, None)?;
    check_renders(effects.render, &whole.root, &work, reference)
}

/// What the render check runs for these updates: nothing with `render-check: none`, or when
/// no kustomization changed and `render-paths` names none.
fn render_work(config: &Config, prepared: &Prepared) -> Option<RenderWork> {
    match &config.render {
        RenderCheck::None => None,
        RenderCheck::Auto => {
            let changed: Vec<(String, crate::edit::Form)> = prepared
                .updates
                .iter()
                .map(|u| (u.path.clone(), u.form.clone()))
                .collect();
            Some(plan::render_dirs(&changed, &config.render_paths))
                .filter(|dirs| !dirs.is_empty())
                .map(RenderWork::Kustomize)
        }
        RenderCheck::Command(command) => Some(RenderWork::Command(command.clone())),
    }
}

/// What the render check runs.
pub(crate) enum RenderWork {
    Kustomize(Vec<String>),
    Command(Vec<String>),
}

pub(crate) fn check_renders<R: Render>(
    render: &R,
    root: &std::path::Path,
    work: &RenderWork,
    reference: &ImageRef,
) -> anyhow::Result<Vec<Rendered>> {
    let jobs: Vec<(String, anyhow::Result<String>)> = match work {
        RenderWork::Kustomize(dirs) => dirs
            .iter()
            .map(|dir| {
                (
                    format!("kubectl kustomize {dir}"),
                    render.kustomize(root, dir).map_err(anyhow::Error::from),
                )
            })
            .collect(),
        RenderWork::Command(command) => vec![(
            command.join(" "),
            render.command(root, command).map_err(anyhow::Error::from),
        )],
    };
    let mut rendered = Vec::new();
    for (what, output) in jobs {
        let output = output.with_context(|| {
            format!("the render check failed, so nothing was committed: {what}")
        })?;
        if !plan::rendered_carries(&output, reference) {
            anyhow::bail!(
                "the render check failed, so nothing was committed: `{what}` renders without {reference}; the edited file is not used there (add the image to it, or name the overlays that use it in render-paths)"
            );
        }
        rendered.push(Rendered {
            command: what,
            bytes: output.len(),
        });
    }
    Ok(rendered)
}

/// `push: none`: the files of the working tree are edited in place and checked; nothing is
/// committed.
async fn edit_working_tree<G: Git, R: Render>(
    config: &Config,
    effects: &Effects<'_, G, R>,
    settings: &EditSettings<'_>,
) -> anyhow::Result<Outcome> {
    let root = &config.working_directory;
    let listed = list_working_tree(root)?;
    let files = plan::select_files(&config.files, &listed)
        .map_err(|(pattern, why)| anyhow::anyhow!("input 'files': '{pattern}': {why}"))?;
    let Wanted::Reference(reference) = &config.wanted else {
        anyhow::bail!(
            "mode rollback without rollback-to reads the branch's history: use push: branch or pull-request, or name the version with rollback-to"
        );
    };
    let target = Target {
        name: config.image.clone(),
        container: config.container.clone(),
        new: reference.clone(),
    };
    let mut contents = Vec::new();
    for file in &files {
        let content =
            std::fs::read(root.join(file)).with_context(|| format!("cannot read {file}"))?;
        contents.push((file.clone(), content));
    }
    let prepared = update::prepare(&contents, &target, settings)?;
    let mut outcome = Outcome::new(reference.clone(), String::new());
    if prepared.updates.is_empty() {
        outcome.prepared = prepared;
        outcome.delivery = report::Delivered::Unchanged;
        return Ok(outcome);
    }
    if !config.dry_run {
        write_files(root, &prepared.updates, |u| &u.new)?;
    }
    if let Some(work) = render_work(config, &prepared).filter(|_| !config.dry_run) {
        match check_renders(effects.render, root, &work, reference) {
            Ok(rendered) => outcome.rendered = rendered,
            Err(error) => {
                write_files(root, &prepared.updates, |u| &u.old)?;
                return Err(error.context("the files were restored"));
            }
        }
    }
    outcome.prepared = prepared;
    outcome.delivery = if config.dry_run {
        report::Delivered::DryRun
    } else {
        report::Delivered::Edited
    };
    Ok(outcome)
}

fn write_files(
    root: &std::path::Path,
    updates: &[FileUpdate],
    content: impl Fn(&FileUpdate) -> &Vec<u8>,
) -> anyhow::Result<()> {
    for update in updates {
        std::fs::write(root.join(&update.path), content(update))
            .with_context(|| format!("cannot write {}", update.path))?;
    }
    Ok(())
}

/// The files under `root`, relative and `/`-separated, without `.git`.
fn list_working_tree(root: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?
        {
            let entry = entry?;
            let path = entry.path();
            if entry.file_name() == ".git" {
                continue;
            }
            if entry.file_type()?.is_dir() {
                dirs.push(path);
            } else if let Ok(relative) = path.strip_prefix(root) {
                files.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    files.sort();
    Ok(files)
}

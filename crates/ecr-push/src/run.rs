//! One run: inputs → config → AWS (login, repository) → build / push / promote → scan gate →
//! outputs and summary. The only module that strings the layers together.
//!
//! Cancellation: the run has one deadline (`timeout-seconds`) and stops on SIGTERM or Ctrl-C
//! (how the runner cancels a job). Tags are written last, so a run stopped at any point leaves
//! no tag naming an incomplete image: at most blobs and untagged manifests, which the "expire
//! untagged" lifecycle rule removes, and which a re-run reuses.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use gantry_toolkit::{Event, GithubContext, Runner, Stop};

use crate::archive::read_archive;
use crate::build::{self, Builder, Output};
use crate::config::{Config, Mode, SourceRepository};
use crate::ecr::wait_for_scan;
use crate::ecr::{Ecr, EcrPublic, PUBLIC_REGISTRY, PutOutcome, SdkEcr, SdkEcrPublic};
use crate::image::{Image, ImageSelector, sha256_digest};
use crate::layout::read_layout;
use crate::login::{self, Credentials, DockerConfig};
use crate::outputs::{self, Outcome};
use crate::promote::{self, TagAction};
use crate::push::{OciRegistry, PushOptions, Registry, STREAM_ABOVE, push, push_from};
use crate::remote::{RemoteError, read_remote};
use crate::repository::{ObservedRepository, RepositoryPlan, TagMutability, plan};
use crate::scan::{Verdict, judge};
use crate::tags::GitInfo;

/// The first retry's delay for registry requests.
const BACKOFF: Duration = Duration::from_millis(200);

pub fn run(runner: &Arc<Runner>) -> anyhow::Result<()> {
    let context = GithubContext::from_env(runner.env());
    let event = runner
        .event()
        .context("cannot read the event payload (GITHUB_EVENT_PATH)")?;
    let pr_head = event.as_ref().and_then(|e| match &e.event {
        Event::PullRequest(pr) => pr.pull_request.head.sha.clone(),
        _ => None,
    });
    let git = GitInfo::from_context(
        context.git_ref.as_deref(),
        context.sha.as_deref(),
        pr_head.as_deref(),
    );
    let workspace = match &context.workspace {
        Some(dir) => PathBuf::from(dir),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    // Every input is checked here, before anything talks to AWS, the registry or Docker.
    let config = Config::from_inputs(runner.inputs(), runner.env(), &workspace, &git)?;
    let stop = Stop::install(Some(config.timeout))
        .context("cannot listen for the runner's cancellation")?
        .with_input("timeout-seconds");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(async {
        match stop.race(execute(runner, &config, &context)).await {
            Ok(outcome) => outcome,
            Err(reason) => Err(anyhow!(
                "ecr-push stopped: {reason}; no tag was written for an incomplete image"
            )),
        }
    })?;
    for (name, value) in outputs::values(&outcome) {
        runner.set_output(name, &value)?;
    }
    runner.write_summary(&outputs::summary(&outcome))?;
    Ok(())
}

/// The digests ECR scans for `image`: the image, or each image an index lists.
fn scanned_images(image: &Image) -> Vec<String> {
    match image.root() {
        Some(root) if crate::image::is_index(&root.media_type) => image
            .manifests
            .iter()
            .filter(|m| !crate::image::is_index(&m.media_type))
            .map(|m| m.digest.clone())
            .collect(),
        Some(root) => vec![root.digest.clone()],
        None => Vec::new(),
    }
}

fn runner_temp(runner: &Runner) -> PathBuf {
    runner
        .env()
        .get_non_empty("RUNNER_TEMP")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}

async fn execute(
    runner: &Arc<Runner>,
    config: &Config,
    context: &GithubContext,
) -> anyhow::Result<Outcome> {
    runner.info(&format!(
        "ecr-push: {} {} with tags {}",
        config.mode.name(),
        config.repository,
        config.tags.join(", ")
    ));
    let aws = gantry_aws_setup::load(config.aws.clone(), runner.clone())
        .await
        .context("cannot set up AWS")?;
    let ecr = SdkEcr::new(&aws);
    let account = match config.registry_ids.first() {
        Some(id) => id.clone(),
        None => {
            aws.caller_identity()
                .await
                .context("cannot tell which AWS account to push to: give input 'registry-ids'")?
                .account
        }
    };
    let registry = login::registry_host(&account, &config.aws.region);
    let mut outcome = Outcome {
        mode: config.mode.name().to_string(),
        registry: registry.clone(),
        repository: config.repository.clone(),
        tags: config.tags.clone(),
        dry_run: config.dry_run,
        ..Outcome::default()
    };

    // Login: one token opens every registry the credentials may use.
    let credentials = {
        let _group = runner.group("Log in to ECR");
        let data = ecr.authorization().await.context("cannot log in to ECR")?;
        let credentials = login::credentials(runner, &data)?;
        runner.info(&format!(
            "logged in to {registry} as {}",
            credentials.username
        ));
        credentials
    };

    // Repository.
    let observed = ensure_repository(runner, &ecr, config, &account, &mut outcome).await?;
    let immutable = observed
        .as_ref()
        .map_or(config.repository_settings.tag_mutability, |o| {
            o.tag_mutability
        })
        == TagMutability::Immutable;

    // What ECR scans: single-platform images, so for an index each image it lists.
    let scan_targets: Vec<String> = match &config.mode {
        Mode::Promote {
            source,
            from: Some(from),
        } if from.account != account
            || from.region != config.aws.region
            || from.repository != config.repository =>
        {
            let copy = Copy {
                aws: &aws,
                account: &account,
                registry: &registry,
                credentials: &credentials,
                from,
                source,
                immutable,
            };
            copy_image(runner, config, &copy, &mut outcome).await?
        }
        Mode::Promote { source, .. } => {
            vec![
                promote_image(
                    runner,
                    &ecr,
                    config,
                    &Promotion {
                        account: &account,
                        source,
                        immutable,
                    },
                    &mut outcome,
                )
                .await?,
            ]
        }
        Mode::Push { image_path } => {
            let image = read_image(runner, image_path)?;
            let target = connect(config, &registry, &credentials).await?;
            push_image(runner, config, &target, &image, immutable, &mut outcome).await?;
            scanned_images(&image)
        }
        Mode::Build(spec) => {
            let target = connect(config, &registry, &credentials).await?;
            let commit_tag = config
                .tags
                .iter()
                .find(|t| t.starts_with("sha-"))
                .or(config.tags.first())
                .cloned()
                .unwrap_or_default();
            let existing = if config.force {
                None
            } else {
                match read_remote(&target, &commit_tag).await {
                    Ok(mut image) => {
                        // Its blobs are in place: the manifests name them.
                        image.blobs.clear();
                        Some(image)
                    }
                    Err(RemoteError::Missing(_)) => None,
                    Err(e) => {
                        return Err(anyhow!(e).context("cannot check whether the image exists"));
                    }
                }
            };
            if let Some(image) = existing {
                let note = format!(
                    "image {commit_tag} already exists ({}): build skipped (set input 'force: true' to rebuild)",
                    image.root().map(|m| m.digest.as_str()).unwrap_or_default()
                );
                runner.info(&note);
                outcome.notes.push(note);
                push_image(runner, config, &target, &image, immutable, &mut outcome).await?;
                scanned_images(&image)
            } else if config.dry_run {
                outcome
                    .notes
                    .push("dry run: the image would be built and pushed".into());
                Vec::new()
            } else {
                let data_host = data_plane_host(config, &registry);
                let cache = match &spec.cache {
                    Some(cache) => {
                        let repository = cache
                            .repository
                            .clone()
                            .unwrap_or_else(|| config.repository.clone());
                        check_cache_repository(&ecr, &account, &repository, config, immutable)
                            .await?;
                        Some((repository, cache.tag.clone()))
                    }
                    None => None,
                };
                let cache_ref = cache
                    .as_ref()
                    .map(|(repository, tag)| format!("{data_host}/{repository}:{tag}"));
                let mut logins: Vec<(String, Credentials)> = std::iter::once(account.clone())
                    .chain(config.registry_ids.iter().cloned())
                    .map(|id| login::registry_host(&id, &config.aws.region))
                    .chain(std::iter::once(data_host.clone()))
                    .map(|host| (host, credentials.clone()))
                    .collect();
                if spec.login_public {
                    let data = SdkEcrPublic::new(&aws)
                        .authorization()
                        .await
                        .context("cannot log in to ECR Public")?;
                    let public = login::credentials(runner, &data)?;
                    runner.info(&format!(
                        "logged in to {PUBLIC_REGISTRY} as {} for the build's pulls",
                        public.username
                    ));
                    logins.push((PUBLIC_REGISTRY.to_string(), public));
                }
                let user_config = runner
                    .env()
                    .get_non_empty("DOCKER_CONFIG")
                    .map(PathBuf::from)
                    .or_else(|| {
                        runner
                            .env()
                            .get_non_empty("HOME")
                            .map(|h| PathBuf::from(h).join(".docker"))
                    });
                let docker_config =
                    DockerConfig::write(&runner_temp(runner), &logins, user_config.as_deref())?;
                let (image, cache_written) = build_image(
                    runner,
                    config,
                    spec,
                    context,
                    &docker_config,
                    cache_ref.as_deref(),
                )
                .await?;
                drop(docker_config);
                push_image(runner, config, &target, &image, immutable, &mut outcome).await?;
                if let (Some((repository, tag)), false) = (&cache, cache_written) {
                    // The inline cache travels in the image: tag it as the cache too, by
                    // mounting its blobs from the image's repository (no bytes move).
                    let login = Login {
                        registry: &registry,
                        credentials: &credentials,
                    };
                    update_inline_cache(runner, config, login, &image, (repository, tag)).await?;
                }
                scanned_images(&image)
            }
        }
    };

    if let Some(gate) = config
        .scan
        .filter(|_| !config.dry_run && !scan_targets.is_empty())
    {
        let _group = runner.group("Scan findings");
        let log = |line: String| runner.info(&line);
        let scan_on_push = observed
            .as_ref()
            .map_or(config.repository_settings.scan_on_push, |o| o.scan_on_push);
        let deadline = tokio::time::Instant::now() + gate.timeout;
        let mut report = crate::scan::ScanReport::default();
        for digest in &scan_targets {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let one = wait_for_scan(
                &ecr,
                &account,
                &config.repository,
                digest,
                scan_on_push,
                left.max(Duration::from_secs(1)),
                &log,
            )
            .await?;
            report.merge(one);
        }
        let verdict = judge(&report, gate.threshold);
        outcome.scan = Some(report);
        if let Verdict::Fail(over) = verdict {
            let counts = over
                .iter()
                .map(|(s, n)| format!("{n} {s}"))
                .collect::<Vec<_>>()
                .join(", ");
            // Outputs and summary still tell what was found.
            for (name, value) in outputs::values(&outcome) {
                runner.set_output(name, &value)?;
            }
            runner.write_summary(&outputs::summary(&outcome))?;
            bail!(
                "the scan of {} found {counts}: at or above the threshold {} (input 'scan-severity-threshold')",
                outcome.image_ref(),
                gate.threshold.as_str()
            );
        }
        runner.info(&format!(
            "scan findings {} are below the threshold {}",
            outcome
                .scan
                .as_ref()
                .map(|r| r.counts_json())
                .unwrap_or_default(),
            gate.threshold.as_str()
        ));
    }
    Ok(outcome)
}

async fn ensure_repository(
    runner: &Runner,
    ecr: &impl Ecr,
    config: &Config,
    account: &str,
    outcome: &mut Outcome,
) -> anyhow::Result<Option<ObservedRepository>> {
    let _group = runner.group("Repository");
    let observed = ecr
        .describe_repository(account, &config.repository)
        .await
        .context("cannot read the repository")?;
    let repo_plan = plan(
        &config.repository,
        account,
        &config.repository_settings,
        observed.as_ref(),
        config.create_repository,
        config.update_repository,
    )?;
    match repo_plan {
        RepositoryPlan::Create(settings) => {
            if config.dry_run {
                let note = format!("dry run: repository {} would be created", config.repository);
                runner.info(&note);
                outcome.notes.push(note);
                return Ok(None);
            }
            let created = ecr
                .create_repository(account, &config.repository, &settings)
                .await
                .context("cannot create the repository")?;
            let note = format!(
                "created repository {} (tags {}, scan on push {}, encryption {})",
                config.repository,
                settings.tag_mutability.as_str(),
                settings.scan_on_push,
                settings.encryption
            );
            runner.info(&note);
            outcome.notes.push(note);
            Ok(Some(created))
        }
        RepositoryPlan::Existing {
            differences,
            changes,
        } => {
            let Some(observed) = observed else {
                return Ok(None);
            };
            for difference in &differences {
                let text = format!("repository {}: {difference}", config.repository);
                if changes.is_empty() {
                    runner.warning(&format!(
                        "{text} (left as is; set input 'update-repository: true' to apply)"
                    ));
                } else {
                    runner.info(&text);
                }
                outcome.notes.push(text);
            }
            if !config.dry_run {
                for change in &changes {
                    ecr.apply(account, &observed, change)
                        .await
                        .context("cannot update the repository")?;
                }
                if !changes.is_empty() {
                    outcome
                        .notes
                        .push(format!("applied {} repository change(s)", changes.len()));
                    // Mutability as it is now.
                    return Ok(ecr.describe_repository(account, &config.repository).await?);
                }
            }
            Ok(Some(observed))
        }
    }
}

/// The host the registry API is reached at (the endpoint override, else ECR's).
fn data_plane_host(config: &Config, registry: &str) -> String {
    match &config.registry_endpoint {
        Some(endpoint) => endpoint.host.clone(),
        None => registry.to_string(),
    }
}

/// The cache tag moves with every build: its repository must exist and be mutable.
async fn check_cache_repository(
    ecr: &impl Ecr,
    account: &str,
    repository: &str,
    config: &Config,
    image_repository_immutable: bool,
) -> anyhow::Result<()> {
    let immutable = if repository == config.repository {
        image_repository_immutable
    } else {
        match ecr.describe_repository(account, repository).await? {
            Some(observed) => observed.tag_mutability == TagMutability::Immutable,
            None => bail!(
                "input 'cache-repository' names '{repository}', which does not exist in registry {account}: create it (with mutable tags)"
            ),
        }
    };
    if immutable {
        bail!(
            "the build cache tag moves with every build, and repository '{repository}' has immutable tags: set input 'cache-repository' to a repository with mutable tags"
        );
    }
    Ok(())
}

/// A registry and the credentials for it.
#[derive(Clone, Copy)]
struct Login<'a> {
    registry: &'a str,
    credentials: &'a Credentials,
}

/// Tags `image` as the build cache `repository:tag` too.
async fn update_inline_cache(
    runner: &Runner,
    config: &Config,
    login: Login<'_>,
    image: &Image,
    (repository, tag): (&str, &str),
) -> anyhow::Result<()> {
    let target = connect_to(config, login.registry, login.credentials, repository).await?;
    let options = PushOptions {
        concurrency: config.max_concurrency,
        retries: config.push_retries,
        backoff: BACKOFF,
        mount_from: vec![config.repository.clone()],
        immutable: false,
        stream_above: STREAM_ABOVE,
    };
    let log = |line: String| runner.debug(&line);
    let report = push(&target, image, &[tag.to_string()], &options, &log).await?;
    runner.info(&format!(
        "build cache {repository}:{tag} updated ({} blobs mounted, {} uploaded)",
        report.blobs_mounted, report.blobs_uploaded
    ));
    Ok(())
}

async fn connect(
    config: &Config,
    registry: &str,
    credentials: &Credentials,
) -> anyhow::Result<OciRegistry> {
    connect_to(config, registry, credentials, &config.repository).await
}

async fn connect_to(
    config: &Config,
    registry: &str,
    credentials: &Credentials,
    repository: &str,
) -> anyhow::Result<OciRegistry> {
    let (host, insecure) = match &config.registry_endpoint {
        Some(endpoint) => (endpoint.host.clone(), endpoint.insecure),
        None => (registry.to_string(), false),
    };
    OciRegistry::connect(
        &host,
        repository,
        insecure,
        Some(credentials.clone()),
        Duration::from_secs(300),
        config.max_concurrency,
        config.push_retries,
    )
    .await
    .with_context(|| format!("cannot reach the registry at {host}"))
}

fn read_image(runner: &Runner, path: &std::path::Path) -> anyhow::Result<Image> {
    let image = if path.is_dir() {
        read_layout(path)?
    } else {
        read_archive(path, &runner_temp(runner))?
    };
    runner.info(&format!(
        "image {}: {} blobs, {} bytes{}",
        image.root().map(|m| m.digest.as_str()).unwrap_or_default(),
        image.blobs.len(),
        image.blob_bytes(),
        if image.platforms().is_empty() {
            String::new()
        } else {
            format!(", platforms {}", image.platforms().join(", "))
        }
    ));
    Ok(image)
}

async fn push_image(
    runner: &Runner,
    config: &Config,
    target: &OciRegistry,
    image: &Image,
    immutable: bool,
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    let root = image
        .root()
        .ok_or_else(|| anyhow!("the image has no manifest"))?;
    outcome.digest = root.digest.clone();
    outcome.platforms = image.platforms();
    if config.dry_run {
        let mut missing = 0usize;
        for blob in &image.blobs {
            if !target.blob_exists(&blob.digest).await? {
                missing += 1;
            }
        }
        outcome.notes.push(format!(
            "dry run: {missing} of {} blobs would be uploaded, then tags {}",
            image.blobs.len(),
            config.tags.join(", ")
        ));
        return Ok(());
    }
    let _group = runner.group("Push");
    let options = PushOptions {
        concurrency: config.max_concurrency,
        retries: config.push_retries,
        backoff: BACKOFF,
        mount_from: config.mount_from.clone(),
        immutable,
        stream_above: STREAM_ABOVE,
    };
    let log = |line: String| runner.info(&line);
    let report = push(target, image, &config.tags, &options, &log).await?;
    record(outcome, &report);
    Ok(())
}

async fn build_image(
    runner: &Runner,
    config: &Config,
    spec: &crate::config::BuildSpec,
    context: &GithubContext,
    docker_config: &DockerConfig,
    cache: Option<&str>,
) -> anyhow::Result<(Image, bool)> {
    let _group = runner.group("Build");
    let mut env = vec![
        (
            "DOCKER_CONFIG".to_string(),
            docker_config.path().display().to_string(),
        ),
        ("DOCKER_BUILDKIT".to_string(), "1".to_string()),
    ];
    if let Some(host) = runner.env().get_non_empty("DOCKER_HOST") {
        env.push(("DOCKER_HOST".to_string(), host.to_string()));
    }
    let builder = build::detect_builder(&spec.docker, &env);
    // Runner::info masks every registered secret.
    let show = |line: &str| runner.info(line);
    if spec.platforms.len() > 1 && builder != Builder::BuildxContainer {
        return Err(build::BuildError::MultiPlatformWithoutBuildx {
            count: spec.platforms.len(),
            found: builder.describe(),
        }
        .into());
    }
    let version = config.version.as_ref().map(|v| v.to_string()).or_else(|| {
        config
            .tags
            .iter()
            .find(|t| t.starts_with('v') && crate::tags::version_of_tag(t).is_some())
            .map(|t| t.trim_start_matches('v').to_string())
    });
    let labels = build::oci_labels(
        context.repository_url().as_deref(),
        context.sha.as_deref(),
        version.as_deref(),
        &build::rfc3339(std::time::SystemTime::now()),
    );
    let dir = tempfile::Builder::new()
        .prefix("ecr-push-build-")
        .tempdir_in(runner_temp(runner))
        .context("cannot make a temporary directory for the image")?;
    let tarball = dir.path().join("image.tar");
    if builder == Builder::BuildxContainer {
        let args = build::build_args(spec, &labels, builder, &Output::OciTarball(&tarball), cache);
        runner.info(&format!("docker {}", args.join(" ")));
        build::docker(&spec.docker, &args, &env, &show).await?;
    } else {
        let local = format!(
            "ecr-push.local/{}:{}",
            config.repository,
            config
                .tags
                .first()
                .cloned()
                .unwrap_or_else(|| "build".into())
        );
        let args = build::build_args(spec, &labels, builder, &Output::Engine(&local), cache);
        runner.info(&format!("DOCKER_BUILDKIT=1 docker {}", args.join(" ")));
        build::docker(&spec.docker, &args, &env, &show).await?;
        let save = vec![
            "save".to_string(),
            "--output".to_string(),
            tarball.display().to_string(),
            local,
        ];
        build::docker(&spec.docker, &save, &env, &show).await?;
    }
    // Unpacked beside, so the tarball (as large as the image) goes as soon as it is read.
    let image = read_archive(&tarball, &runner_temp(runner))?;
    drop(dir);
    // With a registry cache, buildx wrote the cache itself.
    Ok((image, builder == Builder::BuildxContainer))
}

/// What a copy from another registry or repository needs.
struct Copy<'a> {
    aws: &'a gantry_aws_setup::AwsContext,
    account: &'a str,
    registry: &'a str,
    credentials: &'a Credentials,
    from: &'a SourceRepository,
    source: &'a ImageSelector,
    immutable: bool,
}

/// Copies an image from another account, region or repository over the registry API: blobs
/// the target has are skipped; in the same registry they are mounted (no bytes move); from
/// another registry they are streamed through, one blob per upload slot, each checked against
/// its digest. Then manifests and tags, as in every push.
async fn copy_image(
    runner: &Runner,
    config: &Config,
    copy: &Copy<'_>,
    outcome: &mut Outcome,
) -> anyhow::Result<Vec<String>> {
    let from = copy.from;
    let same_registry = from.account == copy.account && from.region == config.aws.region;
    let source_host = login::registry_host(&from.account, &from.region);
    let source_credentials = if from.region == config.aws.region {
        copy.credentials.clone()
    } else {
        // A token is valid in its own region only.
        let data = SdkEcr::in_region(copy.aws, Some(&from.region))
            .authorization()
            .await
            .with_context(|| format!("cannot log in to ECR in {}", from.region))?;
        login::credentials(runner, &data)?
    };
    let source_registry =
        connect_to(config, &source_host, &source_credentials, &from.repository).await?;
    let reference = match copy.source {
        ImageSelector::Tag(t) => t.clone(),
        ImageSelector::Digest(d) => d.clone(),
    };
    let image = read_remote(&source_registry, &reference)
        .await
        .with_context(|| {
            format!(
                "cannot read {source_host}/{}{}",
                from.repository, copy.source
            )
        })?;
    runner.info(&format!(
        "copying {source_host}/{}{} ({} blobs, {} bytes) {}",
        from.repository,
        copy.source,
        image.blobs.len(),
        image.blob_bytes(),
        if same_registry {
            "by mounting blobs in the same registry"
        } else {
            "by streaming blobs between registries"
        }
    ));
    let target = connect(config, copy.registry, copy.credentials).await?;
    let root = image
        .root()
        .ok_or_else(|| anyhow!("the source image has no manifest"))?;
    outcome.digest = root.digest.clone();
    outcome.platforms = image.platforms();
    if config.dry_run {
        outcome.notes.push(format!(
            "dry run: {} would be copied and tagged {}",
            root.digest,
            config.tags.join(", ")
        ));
        return Ok(Vec::new());
    }
    let mut mount_from = config.mount_from.clone();
    if same_registry {
        mount_from.insert(0, from.repository.clone());
    }
    let options = PushOptions {
        concurrency: config.max_concurrency,
        retries: config.push_retries,
        backoff: BACKOFF,
        mount_from,
        immutable: copy.immutable,
        stream_above: STREAM_ABOVE,
    };
    let _group = runner.group("Copy");
    let log = |line: String| runner.info(&line);
    let report = push_from(
        &target,
        &image,
        &config.tags,
        &options,
        &source_registry,
        &log,
    )
    .await?;
    record(outcome, &report);
    Ok(scanned_images(&image))
}

fn record(outcome: &mut Outcome, report: &crate::push::PushReport) {
    if report.retries > 0 {
        outcome
            .notes
            .push(format!("{} registry request(s) retried", report.retries));
    }
    if !report.tags_unchanged.is_empty() {
        outcome.notes.push(format!(
            "tags already on this image: {}",
            report.tags_unchanged.join(", ")
        ));
    }
    outcome.pushed = report.blobs_uploaded
        + report.blobs_mounted
        + report.manifests_pushed
        + report.tags_pushed.len()
        > 0;
    outcome.blobs_uploaded = report.blobs_uploaded;
    outcome.bytes_uploaded = report.bytes_uploaded;
    outcome.blobs_existing = report.blobs_existing;
    outcome.blobs_mounted = report.blobs_mounted;
}

/// Which image a promote tags, in whose registry, and whether its repository's tags are
/// immutable.
struct Promotion<'a> {
    account: &'a str,
    source: &'a ImageSelector,
    immutable: bool,
}

async fn promote_image(
    runner: &Runner,
    ecr: &impl Ecr,
    config: &Config,
    promotion: &Promotion<'_>,
    outcome: &mut Outcome,
) -> anyhow::Result<String> {
    let Promotion {
        account,
        source,
        immutable,
    } = *promotion;
    let _group = runner.group("Promote");
    let image = ecr
        .get_image(account, &config.repository, source)
        .await?
        .ok_or_else(|| promote::PromoteError::SourceMissing {
            repository: config.repository.clone(),
            selector: source.to_string(),
        })?;
    let manifest_digest = sha256_digest(image.manifest.as_bytes());
    if image.digest != manifest_digest {
        let note = format!(
            "ECR reports digest {} for {source}, but its manifest's sha256 is {manifest_digest}: outputs use the manifest's (a real registry reports the same; the moto emulator does not)",
            image.digest
        );
        runner.warning(&note);
        outcome.notes.push(note);
    }
    let mut current = BTreeMap::new();
    for tag in &config.tags {
        let digest = ecr
            .get_image(
                account,
                &config.repository,
                &ImageSelector::Tag(tag.clone()),
            )
            .await?
            .map(|i| i.digest);
        current.insert(tag.clone(), digest);
    }
    let actions = promote::plan(
        &config.repository,
        &image.digest,
        &current,
        &config.tags,
        immutable,
    )?;
    outcome.digest = manifest_digest;
    for action in &actions {
        let (tag, what) = match action {
            TagAction::AlreadyThere(tag) => {
                runner.info(&format!("{tag}: already names this image"));
                continue;
            }
            TagAction::Add(tag) => (tag, "added".to_string()),
            TagAction::Move { tag, from } => (tag, format!("moved from {from}")),
        };
        if config.dry_run {
            outcome
                .notes
                .push(format!("dry run: tag {tag} would be {what}"));
            continue;
        }
        match ecr
            .put_image(account, &config.repository, &image, tag)
            .await?
        {
            PutOutcome::Tagged => {
                runner.info(&format!("{tag}: {what}"));
                outcome.pushed = true;
            }
            PutOutcome::AlreadyTagged => runner.info(&format!("{tag}: already names this image")),
            PutOutcome::TagImmutable(message) => {
                bail!(
                    "tag '{tag}' was given to another image while promoting (immutable repository '{}'): {message}",
                    config.repository
                )
            }
        }
    }
    Ok(image.digest)
}

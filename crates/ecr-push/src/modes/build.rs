//! Mode `build`: Docker builds the image (skipped when the commit's image is already in the
//! repository), then it is pushed over the registry API, and the build cache kept in ECR.

use anyhow::{Context as _, anyhow};
use gantry_toolkit::{GithubContext, Runner};

use super::{
    Pending, Session, Staging, connect, connect_to, push_options, runner_temp, stage_image,
};
use crate::archive::read_archive;
use crate::build::{self, Output};
use crate::config::{BuildSpec, Config, SecretSource};
use crate::ecr::{Ecr, EcrPublic, PUBLIC_REGISTRY, SdkEcrPublic};
use crate::image::Image;
use crate::login::{self, Credentials, DockerConfig};
use crate::outputs::Outcome;
use crate::plan::{self, BuildStep, CacheTarget};
use crate::push::{OciRegistry, push};
use crate::remote::{RemoteError, read_remote};
use crate::repository::TagMutability;

/// Builds the image `spec` describes and pushes it by digest; its tags are left for after the
/// scan gate.
pub async fn run(
    session: &Session<'_>,
    spec: &BuildSpec,
    context: &GithubContext,
    outcome: &mut Outcome,
) -> anyhow::Result<Staging> {
    let Session {
        runner,
        config,
        registry,
        credentials,
        immutable,
        ..
    } = *session;
    let target = connect(config, registry, credentials).await?;
    let existing = match plan::prebuilt_tag(&config.tags, config.force) {
        None => None,
        Some(commit_tag) => match read_remote(&target, &commit_tag).await {
            Ok(mut image) => {
                // Its blobs are in place: the manifests name them.
                image.blobs.clear();
                Some((commit_tag, image))
            }
            Err(RemoteError::Missing(_)) => None,
            Err(e) => {
                return Err(anyhow!(e).context("cannot check whether the image exists"));
            }
        },
    };
    match plan::build_step(existing, config.dry_run) {
        BuildStep::Retag((commit_tag, image)) => {
            let note = format!(
                "image {commit_tag} already exists ({}): build skipped (set input 'force: true' to rebuild)",
                image.root().map(|m| m.digest.as_str()).unwrap_or_default()
            );
            runner.info(&note);
            outcome.notes.push(note);
            stage_image(runner, config, target, &image, immutable, outcome).await
        }
        BuildStep::WouldBuild => {
            outcome
                .notes
                .push("dry run: the image would be built and pushed".into());
            Ok(Staging::nothing())
        }
        BuildStep::Build => build_and_push(session, spec, context, target, outcome).await,
    }
}

/// Builds the image, pushes it to `target` by digest, and keeps the build cache (an inline
/// cache is tagged with the image's tags, after the gate).
async fn build_and_push(
    session: &Session<'_>,
    spec: &BuildSpec,
    context: &GithubContext,
    target: OciRegistry,
    outcome: &mut Outcome,
) -> anyhow::Result<Staging> {
    let Session {
        runner,
        config,
        aws,
        ecr,
        account,
        registry,
        credentials,
        immutable,
    } = *session;
    let data_host = plan::data_plane_host(config.registry_endpoint.as_ref(), registry);
    let cache = plan::cache_target(spec.cache.as_ref(), &config.repository);
    if let Some(cache) = &cache {
        check_cache_repository(ecr, account, cache, &config.repository, immutable).await?;
    }
    let cache_ref = cache.as_ref().map(|cache| cache.reference(&data_host));
    let mut logins: Vec<(String, Credentials)> =
        plan::build_login_hosts(account, &config.registry_ids, config.region(), &data_host)
            .into_iter()
            .map(|host| (host, credentials.clone()))
            .collect();
    if spec.login_public {
        let data = SdkEcrPublic::new(aws)
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
    let user_config = plan::user_docker_config(
        runner.env().get_non_empty("DOCKER_CONFIG"),
        runner.env().get_non_empty("HOME"),
    );
    let docker_config = DockerConfig::write(&runner_temp(runner), &logins, user_config.as_deref())?;
    let (image, cache_written) = build_image(
        runner,
        config,
        spec,
        context,
        Some(&docker_config),
        cache_ref.as_deref(),
    )
    .await?;
    drop(docker_config);
    let mut staging = stage_image(runner, config, target, &image, immutable, outcome).await?;
    if let (Some(cache), Pending::Registry { inline_cache, .. }) = (
        plan::inline_cache(cache.as_ref(), cache_written),
        &mut staging.pending,
    ) {
        // The inline cache travels in the image: it is tagged as the cache too (by mounting
        // its blobs from the image's repository, no bytes move), once the gate has passed.
        *inline_cache = Some((image, cache.clone()));
    }
    Ok(staging)
}

/// The cache tag moves with every build: its repository must exist and be mutable.
async fn check_cache_repository(
    ecr: &impl Ecr,
    account: &str,
    cache: &CacheTarget,
    image_repository: &str,
    image_repository_immutable: bool,
) -> anyhow::Result<()> {
    let immutable = match plan::cache_repository_to_read(cache, image_repository) {
        None => Some(image_repository_immutable),
        Some(repository) => ecr
            .describe_repository(account, repository)
            .await?
            .map(|observed| observed.tag_mutability == TagMutability::Immutable),
    };
    plan::cache_repository_verdict(cache, account, immutable)?;
    Ok(())
}

/// Tags `image` as the build cache `repository:tag` too.
pub(super) async fn update_inline_cache(
    session: &Session<'_>,
    image: &Image,
    CacheTarget { repository, tag }: &CacheTarget,
) -> anyhow::Result<()> {
    let Session {
        runner,
        config,
        registry,
        credentials,
        ..
    } = *session;
    let target = connect_to(config, registry, credentials, repository).await?;
    let options = push_options(config, vec![config.repository.clone()], false);
    let log = |line: String| runner.debug(&line);
    let report = push(&target, image, &[tag.to_string()], &options, &log).await?;
    runner.info(&format!(
        "build cache {repository}:{tag} updated ({} blobs mounted, {} uploaded)",
        report.blobs_mounted, report.blobs_uploaded
    ));
    Ok(())
}

/// Mode `build-only`: builds the image as a push would, reads it, and reports it; no AWS, no
/// registry, no tag written anywhere but the engine's local name.
pub async fn build_only(
    runner: &Runner,
    config: &Config,
    spec: &BuildSpec,
    context: &GithubContext,
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    if spec.cache.is_some() {
        outcome.notes.push(
            "build-only: the build cache in ECR is neither read nor written (no AWS login)".into(),
        );
    }
    let spec = BuildSpec {
        cache: None,
        ..spec.clone()
    };
    let (image, _) = build_image(runner, config, &spec, context, None, None).await?;
    if !super::record_image(outcome, &image) {
        anyhow::bail!("the build made an image with no manifest");
    }
    outcome.local_image = Some(plan::local_image_name(&config.repository, &config.tags));
    let note = format!(
        "build-only: built {} ({} blobs, {} bytes); nothing was pushed",
        outcome.digest,
        image.blobs.len(),
        image.blob_bytes()
    );
    runner.info(&note);
    outcome.notes.push(note);
    Ok(())
}

/// Builds the image; `docker_config` is the job-private Docker config with the registry logins
/// (`None`: the user's own, for a build-only run).
async fn build_image(
    runner: &Runner,
    config: &Config,
    spec: &BuildSpec,
    context: &GithubContext,
    docker_config: Option<&DockerConfig>,
    cache: Option<&str>,
) -> anyhow::Result<(Image, bool)> {
    let _group = runner.group("Build");
    let mut env = vec![("DOCKER_BUILDKIT".to_string(), "1".to_string())];
    if let Some(docker_config) = docker_config {
        env.push((
            "DOCKER_CONFIG".to_string(),
            docker_config.path().display().to_string(),
        ));
    }
    if let Some(host) = runner.env().get_non_empty("DOCKER_HOST") {
        env.push(("DOCKER_HOST".to_string(), host.to_string()));
    }
    // Secrets: masked before docker can print them; docker reads `env=` variables from its
    // own environment.
    for secret in &spec.secrets {
        match &secret.source {
            SecretSource::Env { name, value } => {
                runner.add_mask(value);
                env.push((name.clone(), value.clone()));
            }
            SecretSource::File(path) => {
                if let Ok(text) = std::fs::read_to_string(path) {
                    runner.add_mask(text.trim());
                }
            }
        }
    }
    if let Some(sock) = runner
        .env()
        .get_non_empty("SSH_AUTH_SOCK")
        .filter(|_| !spec.ssh.is_empty())
    {
        env.push(("SSH_AUTH_SOCK".to_string(), sock.to_string()));
    }
    let builder = build::detect_builder(&spec.docker, &env);
    // Runner::info masks every registered secret.
    let show = |line: &str| runner.info(line);
    plan::check_builder(spec.platforms.len(), builder)?;
    let version = plan::image_version(config.version.as_ref(), &config.tags);
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
    if plan::exports_oci_tarball(builder) {
        let args = build::build_args(spec, &labels, builder, &Output::OciTarball(&tarball), cache);
        runner.info(&format!("docker {}", build::shown_args(&args)));
        build::docker(&spec.docker, &args, &env, &show).await?;
    } else {
        let local = plan::local_image_name(&config.repository, &config.tags);
        let args = build::build_args(spec, &labels, builder, &Output::Engine(&local), cache);
        runner.info(&format!(
            "DOCKER_BUILDKIT=1 docker {}",
            build::shown_args(&args)
        ));
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
    Ok((image, plan::writes_registry_cache(builder)))
}

//! Mode `build`: Docker builds the image (skipped when the commit's image is already in the
//! repository), then it is pushed over the registry API, and the build cache kept in ECR.

use anyhow::{Context as _, anyhow, bail};
use gantry_toolkit::{GithubContext, Runner};

use super::{BACKOFF, Session, connect, connect_to, push_image, runner_temp, scanned_images};
use crate::archive::read_archive;
use crate::build::{self, Builder, Output};
use crate::config::{BuildSpec, Config};
use crate::ecr::{Ecr, EcrPublic, PUBLIC_REGISTRY, SdkEcrPublic};
use crate::image::Image;
use crate::login::{self, Credentials, DockerConfig};
use crate::outputs::Outcome;
use crate::plan;
use crate::push::{PushOptions, STREAM_ABOVE, push};
use crate::remote::{RemoteError, read_remote};
use crate::repository::TagMutability;

/// Builds and pushes the image `spec` describes; returns the digests ECR scans.
pub async fn run(
    session: &Session<'_>,
    spec: &BuildSpec,
    context: &GithubContext,
    outcome: &mut Outcome,
) -> anyhow::Result<Vec<String>> {
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
    let target = connect(config, registry, credentials).await?;
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
        push_image(runner, config, &target, &image, immutable, outcome).await?;
        Ok(scanned_images(&image))
    } else if config.dry_run {
        outcome
            .notes
            .push("dry run: the image would be built and pushed".into());
        Ok(Vec::new())
    } else {
        let data_host = plan::data_plane_host(config.registry_endpoint.as_ref(), registry);
        let cache = match &spec.cache {
            Some(cache) => {
                let repository = cache
                    .repository
                    .clone()
                    .unwrap_or_else(|| config.repository.clone());
                check_cache_repository(ecr, account, &repository, config, immutable).await?;
                Some((repository, cache.tag.clone()))
            }
            None => None,
        };
        let cache_ref = cache
            .as_ref()
            .map(|(repository, tag)| format!("{data_host}/{repository}:{tag}"));
        let mut logins: Vec<(String, Credentials)> = plan::build_login_hosts(
            account,
            &config.registry_ids,
            &config.aws.region,
            &data_host,
        )
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
        push_image(runner, config, &target, &image, immutable, outcome).await?;
        if let (Some((repository, tag)), false) = (&cache, cache_written) {
            // The inline cache travels in the image: tag it as the cache too, by
            // mounting its blobs from the image's repository (no bytes move).
            let login = Login {
                registry,
                credentials,
            };
            update_inline_cache(runner, config, login, &image, (repository, tag)).await?;
        }
        Ok(scanned_images(&image))
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

async fn build_image(
    runner: &Runner,
    config: &Config,
    spec: &BuildSpec,
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

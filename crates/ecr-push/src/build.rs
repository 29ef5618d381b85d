//! Building the image with Docker, then saving it for the registry push.
//!
//! Which [`Builder`]:
//! - buildx with a `docker-container` (or other non-`docker`) driver, as
//!   docker/setup-buildx-action creates: the image is written straight to an OCI tarball
//!   (`--output type=oci`), several platforms work, and the build cache is a registry cache;
//! - buildx with the default `docker` driver (which can export neither OCI tarballs nor a
//!   registry cache): `docker buildx build --load`, then `docker save`, inline cache;
//! - no buildx (Debian's docker.io): `DOCKER_BUILDKIT=1 docker build`, then `docker save`.
//!
//! Either way the push goes through [`crate::push`], so it skips blobs ECR already has and
//! retries like every other push.
//!
//! Provenance attestations are off by default (`--provenance=false`): buildx would otherwise
//! push every single-platform image as an index with an extra `unknown/unknown` manifest, which
//! ECR lists as an untagged image of its own, counts against "keep the last N images", and
//! which some consumers of ECR images (older ECS agents, Lambda) refuse.
//!
//! Command lines are built by pure functions ([`build_args`], [`oci_labels`]) and tested as such.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::config::BuildSpec;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot run '{program}': {source}; install Docker or set input 'docker' to its CLI")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("'{command}' failed ({status}):\n{output}")]
    Failed {
        command: String,
        status: String,
        output: String,
    },
    #[error(
        "input 'platforms' lists {count} platforms, which needs `docker buildx` with a docker-container builder ({found}): build one platform, or create one (`docker buildx create --use`, or docker/setup-buildx-action)"
    )]
    MultiPlatformWithoutBuildx { count: usize, found: &'static str },
}

/// The OCI labels every image gets (`org.opencontainers.image.*`), from the GitHub context.
pub fn oci_labels(
    source: Option<&str>,
    revision: Option<&str>,
    version: Option<&str>,
    created: &str,
) -> Vec<(String, String)> {
    let mut labels = Vec::new();
    let mut add = |k: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            labels.push((format!("org.opencontainers.image.{k}"), v.to_string()));
        }
    };
    add("source", source);
    add("revision", revision);
    add("version", version);
    add("created", Some(created));
    labels
}

/// What builds the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builder {
    /// `DOCKER_BUILDKIT=1 docker build`.
    Plain,
    /// `docker buildx build` on the `docker` driver.
    BuildxDocker,
    /// `docker buildx build` on a `docker-container` (or remote, kubernetes) driver.
    BuildxContainer,
}

impl Builder {
    pub fn describe(self) -> &'static str {
        match self {
            Builder::Plain => "no buildx",
            Builder::BuildxDocker => "buildx on the docker driver",
            Builder::BuildxContainer => "buildx on a docker-container builder",
        }
    }
}

/// How the image leaves the build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output<'a> {
    /// An OCI tarball at this path ([`Builder::BuildxContainer`]).
    OciTarball(&'a Path),
    /// Into the engine under this local name (then `docker save`).
    Engine(&'a str),
}

/// The arguments after the docker CLI. `labels` are the OCI labels then the user's; `cache` is
/// the full reference of the build cache (`<registry>/<repository>:<tag>`), if any.
///
/// The cache in a form ECR accepts: with buildx a registry cache written as an OCI image
/// manifest (`image-manifest=true,oci-mediatypes=true`; ECR refuses buildx's default cache
/// manifest list); without buildx an inline cache (`BUILDKIT_INLINE_CACHE=1`) in the image,
/// which the run then also tags as the cache.
pub fn build_args(
    spec: &BuildSpec,
    labels: &[(String, String)],
    builder: Builder,
    output: &Output<'_>,
    cache: Option<&str>,
) -> Vec<String> {
    let mut args: Vec<String> = match builder {
        Builder::Plain => vec!["build".into()],
        Builder::BuildxDocker => vec![
            "buildx".into(),
            "build".into(),
            "--load".into(),
            // The docker driver stores no attestations; asking for none avoids a warning.
            "--provenance=false".into(),
        ],
        Builder::BuildxContainer => vec![
            "buildx".into(),
            "build".into(),
            format!("--provenance={}", spec.provenance),
        ],
    };
    args.push("--file".into());
    args.push(spec.dockerfile.display().to_string());
    for (k, v) in labels.iter().chain(spec.labels.iter()) {
        args.push("--label".into());
        args.push(format!("{k}={v}"));
    }
    for (k, v) in &spec.build_args {
        args.push("--build-arg".into());
        args.push(format!("{k}={v}"));
    }
    for secret in &spec.secrets {
        args.push("--secret".into());
        args.push(secret.arg());
    }
    for ssh in &spec.ssh {
        args.push("--ssh".into());
        args.push(ssh.clone());
    }
    if spec.no_cache {
        args.push("--no-cache".into());
    }
    if spec.pull {
        args.push("--pull".into());
    }
    if let Some(cache) = cache {
        match output {
            Output::OciTarball(_) => {
                args.push("--cache-from".into());
                args.push(format!("type=registry,ref={cache}"));
                args.push("--cache-to".into());
                args.push(format!(
                    "type=registry,ref={cache},mode=max,image-manifest=true,oci-mediatypes=true"
                ));
            }
            Output::Engine(_) => {
                args.push("--cache-from".into());
                args.push(cache.to_string());
                args.push("--build-arg".into());
                args.push("BUILDKIT_INLINE_CACHE=1".into());
            }
        }
    }
    if let Some(t) = &spec.target {
        args.push("--target".into());
        args.push(t.clone());
    }
    if !spec.platforms.is_empty() {
        args.push("--platform".into());
        args.push(spec.platforms.join(","));
    }
    match output {
        Output::OciTarball(path) => {
            args.push("--output".into());
            args.push(format!("type=oci,dest={}", path.display()));
        }
        Output::Engine(name) => {
            args.push("--tag".into());
            args.push((*name).to_string());
        }
    }
    args.push(spec.context.display().to_string());
    args
}

/// `args` as the log shows them: the values of `--build-arg` and `--label` replaced by `…`
/// (names only: a value may be a credential or private). `--secret` holds names and paths only.
pub fn shown_args(args: &[String]) -> String {
    let mut shown = Vec::with_capacity(args.len());
    let mut hide_value = false;
    for arg in args {
        if hide_value {
            let name = arg.split_once('=').map_or(arg.as_str(), |(k, _)| k);
            shown.push(format!("{name}=…"));
        } else {
            shown.push(arg.clone());
        }
        hide_value = matches!(arg.as_str(), "--build-arg" | "--label");
    }
    shown.join(" ")
}

/// Which builder `docker` offers: buildx (and its current builder's driver, from
/// `docker buildx inspect`) or plain docker.
pub fn detect_builder(docker: &str, env: &[(String, String)]) -> Builder {
    let run = |args: &[&str]| {
        Command::new(docker)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    if run(&["buildx", "version"]).is_none() {
        return Builder::Plain;
    }
    let driver = run(&["buildx", "inspect"])
        .map(|o| driver_of(&String::from_utf8_lossy(&o.stdout)))
        .unwrap_or_default();
    if driver.is_empty() || driver == "docker" {
        Builder::BuildxDocker
    } else {
        Builder::BuildxContainer
    }
}

/// The `Driver:` of `docker buildx inspect`'s output.
pub fn driver_of(inspect: &str) -> String {
    inspect
        .lines()
        .find_map(|l| l.trim().strip_prefix("Driver:"))
        .map(|d| d.trim().to_string())
        .unwrap_or_default()
}

/// Runs one docker command, passing each line it prints to `line` as it comes (the caller
/// masks and logs it). Awaiting it lets the run notice a deadline or SIGTERM during a long
/// build; dropping it kills the command.
pub async fn docker(
    docker: &str,
    args: &[String],
    env: &[(String, String)],
    line: &dyn Fn(&str),
) -> Result<(), BuildError> {
    use futures::StreamExt as _;
    use std::io::BufRead as _;

    let mut child = Command::new(docker)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| BuildError::Spawn {
            program: docker.to_string(),
            source,
        })?;
    let (tx, mut rx) = futures::channel::mpsc::unbounded::<String>();
    let mut readers = Vec::new();
    let streams: Vec<Box<dyn std::io::Read + Send>> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    .collect();
    for stream in streams {
        let tx = tx.clone();
        readers.push(std::thread::spawn(move || {
            for l in std::io::BufReader::new(stream).lines() {
                let Ok(l) = l else { break };
                if tx.unbounded_send(l).is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);
    let guard = KillOnDrop(Some(child));
    let mut tail = std::collections::VecDeque::new();
    while let Some(l) = rx.next().await {
        line(&l);
        tail.push_back(l);
        if tail.len() > 40 {
            tail.pop_front();
        }
    }
    for r in readers {
        let _ = r.join();
    }
    let mut guard = guard;
    let status = match guard.0.take() {
        // Both pipes are closed: the command is exiting.
        Some(mut child) => child.wait().map_err(|source| BuildError::Spawn {
            program: docker.to_string(),
            source,
        })?,
        None => return Ok(()),
    };
    if !status.success() {
        return Err(BuildError::Failed {
            command: format!("{docker} {}", args.first().cloned().unwrap_or_default()),
            status: status.to_string(),
            output: tail.into_iter().collect::<Vec<_>>().join("\n"),
        });
    }
    Ok(())
}

/// Kills the command when the run stops waiting for it (deadline, SIGTERM).
struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// An RFC 3339 UTC timestamp of `now` for the `created` label.
pub fn rfc3339(now: std::time::SystemTime) -> String {
    let secs = now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn spec() -> BuildSpec {
        BuildSpec {
            context: PathBuf::from("/w/api"),
            dockerfile: PathBuf::from("/w/api/Dockerfile"),
            build_args: vec![("VERSION".into(), "1.2.3".into())],
            target: Some("runtime".into()),
            platforms: vec!["linux/amd64".into()],
            labels: vec![("team".into(), "core".into())],
            provenance: false,
            cache: None,
            login_public: false,
            docker: "docker".into(),
            secrets: Vec::new(),
            ssh: Vec::new(),
            no_cache: false,
            pull: false,
        }
    }

    #[test]
    fn plain_docker_build_args() {
        let labels = oci_labels(
            Some("https://github.com/o/r"),
            Some("abc"),
            None,
            "2026-01-01T00:00:00Z",
        );
        let args = build_args(
            &spec(),
            &labels,
            Builder::Plain,
            &Output::Engine("ecr-push/api:sha-abc"),
            None,
        );
        assert_eq!(
            args,
            [
                "build",
                "--file",
                "/w/api/Dockerfile",
                "--label",
                "org.opencontainers.image.source=https://github.com/o/r",
                "--label",
                "org.opencontainers.image.revision=abc",
                "--label",
                "org.opencontainers.image.created=2026-01-01T00:00:00Z",
                "--label",
                "team=core",
                "--build-arg",
                "VERSION=1.2.3",
                "--target",
                "runtime",
                "--platform",
                "linux/amd64",
                "--tag",
                "ecr-push/api:sha-abc",
                "/w/api",
            ]
        );
    }

    #[test]
    fn secrets_ssh_no_cache_pull_and_what_the_log_shows() {
        let mut s = spec();
        s.secrets = vec![
            crate::config::BuildSecret {
                id: "npm".into(),
                source: crate::config::SecretSource::Env {
                    name: "NPM_TOKEN".into(),
                    value: "s3cret".into(),
                },
            },
            crate::config::BuildSecret {
                id: "aws".into(),
                source: crate::config::SecretSource::File(PathBuf::from("/w/aws")),
            },
        ];
        s.ssh = vec!["default".into()];
        s.no_cache = true;
        s.pull = true;
        let args = build_args(&s, &[], Builder::Plain, &Output::Engine("x"), None);
        let text = args.join(" ");
        for want in [
            "--secret id=npm,env=NPM_TOKEN",
            "--secret id=aws,src=/w/aws",
            "--ssh default",
            "--no-cache",
            "--pull",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
        assert!(!text.contains("s3cret"), "{text}");
        assert!(!format!("{s:?}").contains("s3cret"));
        let shown = shown_args(&args);
        assert!(shown.contains("--build-arg VERSION=… "), "{shown}");
        assert!(shown.contains("--label team=… "), "{shown}");
        assert!(
            !shown.contains("1.2.3") && !shown.contains("core"),
            "{shown}"
        );
        assert!(shown.contains("--secret id=npm,env=NPM_TOKEN"), "{shown}");
    }

    #[test]
    fn buildx_writes_oci_without_provenance_by_default() {
        let mut s = spec();
        s.platforms = vec!["linux/amd64".into(), "linux/arm64".into()];
        let args = build_args(
            &s,
            &[],
            Builder::BuildxContainer,
            &Output::OciTarball(Path::new("/tmp/i.tar")),
            Some("1.dkr.ecr.us-east-1.amazonaws.com/api:buildcache"),
        );
        assert!(args.contains(&"type=registry,ref=1.dkr.ecr.us-east-1.amazonaws.com/api:buildcache,mode=max,image-manifest=true,oci-mediatypes=true".to_string()));
        assert_eq!(&args[..2], ["buildx", "build"]);
        assert!(args.contains(&"--provenance=false".to_string()));
        assert!(args.contains(&"type=oci,dest=/tmp/i.tar".to_string()));
        assert!(args.contains(&"linux/amd64,linux/arm64".to_string()));
    }

    #[test]
    fn plain_docker_uses_an_inline_cache() {
        let args = build_args(
            &spec(),
            &[],
            Builder::Plain,
            &Output::Engine("x"),
            Some("r/api:buildcache"),
        );
        let at = args.iter().position(|a| a == "--cache-from").unwrap();
        assert_eq!(args[at + 1], "r/api:buildcache");
        assert!(args.contains(&"BUILDKIT_INLINE_CACHE=1".to_string()));
        assert!(!args.iter().any(|a| a == "--cache-to"));
    }

    #[test]
    fn buildx_on_the_docker_driver_loads_then_saves() {
        let args = build_args(
            &spec(),
            &[],
            Builder::BuildxDocker,
            &Output::Engine("x"),
            Some("r/api:buildcache"),
        );
        assert_eq!(
            &args[..4],
            ["buildx", "build", "--load", "--provenance=false"]
        );
        assert!(args.contains(&"BUILDKIT_INLINE_CACHE=1".to_string()));
        assert!(!args.iter().any(|a| a.starts_with("type=")));
    }

    #[test]
    fn drivers() {
        let inspect = "Name:   builder\nDriver: docker-container\nLast Activity: x\n";
        assert_eq!(driver_of(inspect), "docker-container");
        assert_eq!(driver_of("Name: default\nDriver: docker\n"), "docker");
        assert_eq!(driver_of("nothing"), "");
    }

    #[test]
    fn timestamps() {
        use std::time::{Duration, UNIX_EPOCH};
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_709_251_199)),
            "2024-02-29T23:59:59Z"
        );
    }
}

//! Where a run reads and writes: the account pushed to, the host the registry API is reached
//! at, the flow a mode takes (a promote from elsewhere is a copy), how a copy reaches its
//! source, and the registries a build logs in to.

use std::path::{Path, PathBuf};

use crate::config::{BuildSpec, Mode, RegistryEndpoint, SourceRepository};
use crate::image::ImageSelector;
use crate::login::registry_host;

/// The account pushed to: the first of input `registry-ids`; `None`: the caller's own (the run
/// asks STS).
pub fn target_account(registry_ids: &[String]) -> Option<&str> {
    registry_ids.first().map(String::as_str)
}

/// Where the registry API (the data plane) is reached: the endpoint override (a mirror, or a
/// local registry in tests), else ECR's `registry` over https.
pub fn data_plane(endpoint: Option<&RegistryEndpoint>, registry: &str) -> RegistryEndpoint {
    match endpoint {
        Some(endpoint) => endpoint.clone(),
        None => RegistryEndpoint {
            host: registry.to_string(),
            insecure: false,
        },
    }
}

/// The host of [`data_plane`], as image references name it (the build cache's reference).
pub fn data_plane_host(endpoint: Option<&RegistryEndpoint>, registry: &str) -> String {
    data_plane(endpoint, registry).host
}

/// The flow a run takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow<'a> {
    /// Build with Docker, then push.
    Build(&'a BuildSpec),
    /// Push an OCI layout or `docker save` tarball.
    Push(&'a Path),
    /// More tags on an image in the repository, by ECR's API.
    Promote(&'a ImageSelector),
    /// An image of another account, region or repository, copied over the registry API.
    Copy {
        from: &'a SourceRepository,
        source: &'a ImageSelector,
    },
    /// Build with Docker and report; no AWS, no push.
    BuildOnly(&'a BuildSpec),
    /// Log in only.
    Login,
}

/// The flow of `mode` for the repository `repository` of `account` in `region`: a promote
/// whose source is in another account, region or repository is a copy; one whose source names
/// this very repository (as a whole image reference) only adds tags.
pub fn flow<'a>(mode: &'a Mode, account: &str, region: &str, repository: &str) -> Flow<'a> {
    match mode {
        Mode::Promote {
            source,
            from: Some(from),
        } if from.account != account || from.region != region || from.repository != repository => {
            Flow::Copy { from, source }
        }
        Mode::Promote { source, .. } => Flow::Promote(source),
        Mode::Push { image_path } => Flow::Push(image_path),
        Mode::Build(spec) => Flow::Build(spec),
        Mode::BuildOnly(spec) => Flow::BuildOnly(spec),
        Mode::Login => Flow::Login,
    }
}

/// How a copy reaches its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRoute {
    /// The source's registry, `<account>.dkr.ecr.<region>.amazonaws.com`.
    pub source_host: String,
    /// The source is in the registry pushed to: blobs are mounted (no bytes move), not
    /// streamed between registries.
    pub same_registry: bool,
    /// The source's region when it is not the run's: its registry needs a token of its own (a
    /// token is valid in its own region only). `None`: the run's token opens it.
    pub login_region: Option<String>,
    /// The repositories blobs are mounted from: in the same registry the source's first, then
    /// input `mount-from`.
    pub mount_from: Vec<String>,
}

/// The route of a copy from `from` to `account` in `region`, `mount_from` being input
/// `mount-from`.
pub fn copy_route(
    from: &SourceRepository,
    account: &str,
    region: &str,
    mount_from: &[String],
) -> CopyRoute {
    let same_registry = from.account == account && from.region == region;
    let mut mounts = mount_from.to_vec();
    if same_registry {
        mounts.insert(0, from.repository.clone());
    }
    CopyRoute {
        source_host: registry_host(&from.account, &from.region),
        same_registry,
        login_region: (from.region != region).then(|| from.region.clone()),
        mount_from: mounts,
    }
}

/// The registries a build logs in to, all with the run's token (it opens every registry the
/// credentials may use): the account pushed to, each account of input `registry-ids` (base
/// images in other accounts), then the data plane host (`data_host`, an endpoint override).
pub fn build_login_hosts(
    account: &str,
    registry_ids: &[String],
    region: &str,
    data_host: &str,
) -> Vec<String> {
    std::iter::once(account)
        .chain(registry_ids.iter().map(String::as_str))
        .map(|id| registry_host(id, region))
        .chain(std::iter::once(data_host.to_string()))
        .collect()
}

/// The Docker config directory the job had, whose CLI plugins, buildx builders and contexts the
/// build's private config links in: `DOCKER_CONFIG`, else `~/.docker`.
pub fn user_docker_config(docker_config: Option<&str>, home: Option<&str>) -> Option<PathBuf> {
    docker_config
        .map(PathBuf::from)
        .or_else(|| home.map(|h| PathBuf::from(h).join(".docker")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn target_account_table() {
        let ids = strings(&["111111111111", "222222222222"]);
        assert_eq!(target_account(&ids), Some("111111111111"));
        assert_eq!(target_account(&[]), None);
    }

    #[test]
    fn data_plane_table() {
        let ecr = "1.dkr.ecr.us-east-1.amazonaws.com";
        let local = RegistryEndpoint {
            host: "127.0.0.1:5000".into(),
            insecure: true,
        };
        let mirror = RegistryEndpoint {
            host: "mirror.example.com".into(),
            insecure: false,
        };
        for (endpoint, host, insecure) in [
            (None, ecr, false),
            (Some(&local), "127.0.0.1:5000", true),
            (Some(&mirror), "mirror.example.com", false),
        ] {
            let got = data_plane(endpoint, ecr);
            assert_eq!((got.host.as_str(), got.insecure), (host, insecure));
            assert_eq!(data_plane_host(endpoint, ecr), host);
        }
    }

    #[test]
    fn flow_table() {
        let tag = ImageSelector::Tag("v1".into());
        let from = |account: &str, region: &str, repository: &str| SourceRepository {
            account: account.into(),
            region: region.into(),
            repository: repository.into(),
        };
        let promote = |from: Option<SourceRepository>| Mode::Promote {
            source: tag.clone(),
            from,
        };
        let here = "111111111111";
        let cases = [
            (promote(None), "promote"),
            (promote(Some(from(here, "us-east-1", "api"))), "promote"),
            (promote(Some(from(here, "us-east-1", "other"))), "copy"),
            (promote(Some(from(here, "eu-west-1", "api"))), "copy"),
            (
                promote(Some(from("222222222222", "us-east-1", "api"))),
                "copy",
            ),
            (
                Mode::Push {
                    image_path: PathBuf::from("image.tar"),
                },
                "push",
            ),
            (
                Mode::Build(BuildSpec {
                    context: PathBuf::from("."),
                    dockerfile: PathBuf::from("Dockerfile"),
                    build_args: Vec::new(),
                    target: None,
                    platforms: Vec::new(),
                    labels: Vec::new(),
                    provenance: false,
                    cache: None,
                    login_public: false,
                    docker: "docker".into(),
                    secrets: Vec::new(),
                    ssh: Vec::new(),
                    no_cache: false,
                    pull: false,
                }),
                "build",
            ),
        ];
        for (mode, want) in &cases {
            let got = match flow(mode, here, "us-east-1", "api") {
                Flow::Build(_) => "build",
                Flow::Push(_) => "push",
                Flow::Promote(_) => "promote",
                Flow::Copy { .. } => "copy",
                Flow::BuildOnly(_) => "build-only",
                Flow::Login => "login",
            };
            assert_eq!(got, *want, "{mode:?}");
        }
    }

    #[test]
    fn copy_route_table() {
        let here = "111111111111";
        let other = "222222222222";
        let mounts = strings(&["base"]);
        for (account, region, same, login, mount_from) in [
            (here, "us-east-1", true, None, &["src", "base"][..]),
            (other, "us-east-1", false, None, &["base"][..]),
            (here, "eu-west-1", false, Some("eu-west-1"), &["base"][..]),
            (other, "eu-west-1", false, Some("eu-west-1"), &["base"][..]),
        ] {
            let from = SourceRepository {
                account: account.into(),
                region: region.into(),
                repository: "src".into(),
            };
            let route = copy_route(&from, here, "us-east-1", &mounts);
            assert_eq!(
                route,
                CopyRoute {
                    source_host: format!("{account}.dkr.ecr.{region}.amazonaws.com"),
                    same_registry: same,
                    login_region: login.map(String::from),
                    mount_from: strings(mount_from),
                },
                "{account} {region}"
            );
        }
    }

    #[test]
    fn build_login_hosts_table() {
        let ecr = |account: &str| format!("{account}.dkr.ecr.us-east-1.amazonaws.com");
        for (ids, data_host, want) in [
            (
                &[][..],
                ecr("111111111111"),
                vec![ecr("111111111111"), ecr("111111111111")],
            ),
            (
                &["111111111111", "222222222222"][..],
                "127.0.0.1:5000".to_string(),
                vec![
                    ecr("111111111111"),
                    ecr("111111111111"),
                    ecr("222222222222"),
                    "127.0.0.1:5000".to_string(),
                ],
            ),
        ] {
            assert_eq!(
                build_login_hosts("111111111111", &strings(ids), "us-east-1", &data_host),
                want
            );
        }
    }

    #[test]
    fn user_docker_config_table() {
        for (docker_config, home, want) in [
            (Some("/cfg"), Some("/home/u"), Some("/cfg")),
            (None, Some("/home/u"), Some("/home/u/.docker")),
            (None, None, None),
        ] {
            assert_eq!(
                user_docker_config(docker_config, home),
                want.map(PathBuf::from)
            );
        }
    }
}

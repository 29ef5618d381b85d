//! The decisions of a build: whether to build at all (the commit's image may be in the
//! repository already: then it is only retagged), how the image leaves the builder, what its
//! version label says, and where the build cache goes and whether its repository may hold it.

use semver::Version;

use crate::build::{BuildError, Builder};
use crate::config::CacheSpec;

/// The tag whose image, when the repository has it, is this commit's image built already:
/// the `sha-` tag, else the first (`""` without tags). `None` with input `force`: always build.
pub fn prebuilt_tag(tags: &[String], force: bool) -> Option<String> {
    if force {
        return None;
    }
    Some(
        tags.iter()
            .find(|t| t.starts_with("sha-"))
            .or(tags.first())
            .cloned()
            .unwrap_or_default(),
    )
}

/// What a build run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildStep<T> {
    /// The commit's image (`T`) is in the repository: no build; its blobs and manifests are in
    /// place, so the push writes only the tags it lacks.
    Retag(T),
    /// Dry run: the image would be built and pushed.
    WouldBuild,
    /// Build the image, then push it.
    Build,
}

/// The step given the commit's image, when it exists already ([`prebuilt_tag`]).
pub fn build_step<T>(prebuilt: Option<T>, dry_run: bool) -> BuildStep<T> {
    match prebuilt {
        Some(image) => BuildStep::Retag(image),
        None if dry_run => BuildStep::WouldBuild,
        None => BuildStep::Build,
    }
}

/// Several platforms need buildx on a docker-container builder (the only one that builds an
/// index).
pub fn check_builder(platforms: usize, builder: Builder) -> Result<(), BuildError> {
    if platforms > 1 && builder != Builder::BuildxContainer {
        return Err(BuildError::MultiPlatformWithoutBuildx {
            count: platforms,
            found: builder.describe(),
        });
    }
    Ok(())
}

/// Whether `builder` writes the image as an OCI tarball itself (buildx on a docker-container
/// builder); else it goes into the engine, and `docker save` writes the tarball.
pub fn exports_oci_tarball(builder: Builder) -> bool {
    builder == Builder::BuildxContainer
}

/// Whether `builder` writes the build cache to the registry itself (a registry cache); else the
/// cache is inline in the image, which the run then tags as the cache too.
pub fn writes_registry_cache(builder: Builder) -> bool {
    builder == Builder::BuildxContainer
}

/// The version the image's OCI version label gives: input `version`, else that of the first
/// `v<semver>` tag.
pub fn image_version(version: Option<&Version>, tags: &[String]) -> Option<String> {
    version.map(|v| v.to_string()).or_else(|| {
        tags.iter()
            .find(|t| t.starts_with('v') && crate::tags::version_of_tag(t).is_some())
            .map(|t| t.trim_start_matches('v').to_string())
    })
}

/// The name a build without buildx gives the image in the engine, for `docker save`.
pub fn local_image_name(repository: &str, tags: &[String]) -> String {
    format!(
        "ecr-push.local/{repository}:{}",
        tags.first().cloned().unwrap_or_else(|| "build".into())
    )
}

/// Where the build cache is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheTarget {
    pub repository: String,
    pub tag: String,
}

impl CacheTarget {
    /// `<host>/<repository>:<tag>`, for the builder.
    pub fn reference(&self, host: &str) -> String {
        format!("{host}/{}:{}", self.repository, self.tag)
    }
}

/// The build cache asked for: in input `cache-repository`, default the image's `repository`.
pub fn cache_target(cache: Option<&CacheSpec>, repository: &str) -> Option<CacheTarget> {
    cache.map(|cache| CacheTarget {
        repository: cache
            .repository
            .clone()
            .unwrap_or_else(|| repository.to_string()),
        tag: cache.tag.clone(),
    })
}

/// The repository the run must read to tell whether the cache tag may move there: `None` when
/// it is the image's own (`image_repository`), whose tag mutability the run knows.
pub fn cache_repository_to_read<'a>(
    cache: &'a CacheTarget,
    image_repository: &str,
) -> Option<&'a str> {
    (cache.repository != image_repository).then_some(cache.repository.as_str())
}

/// Why the cache repository cannot hold the cache tag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheRepositoryError {
    #[error(
        "input 'cache-repository' names '{repository}', which does not exist in registry {account}: create it (with mutable tags)"
    )]
    Missing { repository: String, account: String },
    #[error(
        "the build cache tag moves with every build, and repository '{repository}' has immutable tags: set input 'cache-repository' to a repository with mutable tags"
    )]
    Immutable { repository: String },
}

/// The cache tag moves with every build: its repository (of `account`) must exist and have
/// mutable tags. `immutable`: whether its tags are immutable, `None` when it does not exist.
pub fn cache_repository_verdict(
    cache: &CacheTarget,
    account: &str,
    immutable: Option<bool>,
) -> Result<(), CacheRepositoryError> {
    match immutable {
        None => Err(CacheRepositoryError::Missing {
            repository: cache.repository.clone(),
            account: account.to_string(),
        }),
        Some(true) => Err(CacheRepositoryError::Immutable {
            repository: cache.repository.clone(),
        }),
        Some(false) => Ok(()),
    }
}

/// The cache the run tags the image as, after the push: the inline cache (in the image), when
/// the builder did not write a registry cache itself ([`writes_registry_cache`]).
pub fn inline_cache(
    cache: Option<&CacheTarget>,
    registry_cache_written: bool,
) -> Option<&CacheTarget> {
    cache.filter(|_| !registry_cache_written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn prebuilt_tag_table() {
        for (tags, force, want) in [
            (
                &["v1.0.0", "sha-1234567", "pr-3"][..],
                false,
                Some("sha-1234567"),
            ),
            (&["v1.0.0", "latest"][..], false, Some("v1.0.0")),
            (&[][..], false, Some("")),
            (&["sha-1234567"][..], true, None),
        ] {
            assert_eq!(
                prebuilt_tag(&strings(tags), force).as_deref(),
                want,
                "{tags:?} force={force}"
            );
        }
    }

    #[test]
    fn build_step_table() {
        for (prebuilt, dry_run, want) in [
            (Some("image"), false, BuildStep::Retag("image")),
            (Some("image"), true, BuildStep::Retag("image")),
            (None, true, BuildStep::WouldBuild),
            (None, false, BuildStep::Build),
        ] {
            assert_eq!(build_step(prebuilt, dry_run), want);
        }
    }

    #[test]
    fn builder_table() {
        for (builder, platforms, fits, oci, registry_cache) in [
            (Builder::Plain, 1, true, false, false),
            (Builder::Plain, 2, false, false, false),
            (Builder::BuildxDocker, 0, true, false, false),
            (Builder::BuildxDocker, 2, false, false, false),
            (Builder::BuildxContainer, 1, true, true, true),
            (Builder::BuildxContainer, 3, true, true, true),
        ] {
            let checked = check_builder(platforms, builder);
            assert_eq!(checked.is_ok(), fits, "{builder:?} {platforms}");
            if let Err(e) = checked {
                assert!(
                    e.to_string()
                        .starts_with(&format!("input 'platforms' lists {platforms} platforms")),
                    "{e}"
                );
            }
            assert_eq!(exports_oci_tarball(builder), oci, "{builder:?}");
            assert_eq!(
                writes_registry_cache(builder),
                registry_cache,
                "{builder:?}"
            );
        }
    }

    #[test]
    fn image_version_table() {
        let given = Version::parse("2.0.0-rc.1").unwrap();
        for (version, tags, want) in [
            (Some(&given), &["v1.0.0"][..], Some("2.0.0-rc.1")),
            (None, &["sha-1", "v1.2.3", "v1.2"][..], Some("1.2.3")),
            (None, &["v1.2", "vnext"][..], None),
            (None, &["1.2.3"][..], None),
            (None, &[][..], None),
        ] {
            assert_eq!(
                image_version(version, &strings(tags)).as_deref(),
                want,
                "{version:?} {tags:?}"
            );
        }
    }

    #[test]
    fn local_image_name_table() {
        assert_eq!(
            local_image_name("team/api", &strings(&["sha-1", "v1"])),
            "ecr-push.local/team/api:sha-1"
        );
        assert_eq!(local_image_name("api", &[]), "ecr-push.local/api:build");
    }

    #[test]
    fn cache_table() {
        let spec = |repository: Option<&str>| CacheSpec {
            repository: repository.map(String::from),
            tag: "buildcache".into(),
        };
        let target = |repository: &str| CacheTarget {
            repository: repository.into(),
            tag: "buildcache".into(),
        };
        for (cache, want, to_read) in [
            (None, None, None),
            (Some(spec(None)), Some(target("api")), None),
            (Some(spec(Some("api"))), Some(target("api")), None),
            (
                Some(spec(Some("cache"))),
                Some(target("cache")),
                Some("cache"),
            ),
        ] {
            let got = cache_target(cache.as_ref(), "api");
            assert_eq!(got, want, "{cache:?}");
            assert_eq!(
                got.as_ref()
                    .and_then(|c| cache_repository_to_read(c, "api")),
                to_read
            );
        }
        assert_eq!(
            target("cache").reference("127.0.0.1:5000"),
            "127.0.0.1:5000/cache:buildcache"
        );
    }

    #[test]
    fn cache_repository_verdict_table() {
        let cache = CacheTarget {
            repository: "cache".into(),
            tag: "buildcache".into(),
        };
        for (immutable, want) in [
            (Some(false), None),
            (
                None,
                Some(
                    "input 'cache-repository' names 'cache', which does not exist in registry 111111111111: create it (with mutable tags)",
                ),
            ),
            (
                Some(true),
                Some(
                    "the build cache tag moves with every build, and repository 'cache' has immutable tags: set input 'cache-repository' to a repository with mutable tags",
                ),
            ),
        ] {
            let got = cache_repository_verdict(&cache, "111111111111", immutable)
                .err()
                .map(|e| e.to_string());
            assert_eq!(got.as_deref(), want, "{immutable:?}");
        }
    }

    #[test]
    fn inline_cache_table() {
        let cache = CacheTarget {
            repository: "api".into(),
            tag: "buildcache".into(),
        };
        for (given, written, want) in [
            (Some(&cache), false, Some(&cache)),
            (Some(&cache), true, None),
            (None, false, None),
            (None, true, None),
        ] {
            assert_eq!(inline_cache(given, written), want);
        }
    }
}

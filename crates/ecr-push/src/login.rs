//! Registry credentials from ECR's GetAuthorizationToken: decoded, masked before anything can
//! print them, and written only to a job-private Docker config directory (a fresh
//! `DOCKER_CONFIG` under `RUNNER_TEMP`, never `~/.docker`) that is removed when the run ends.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use gantry_toolkit::Runner;

use crate::ecr::AuthorizationData;

/// The registry's user name and password. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(
        "the authorization token from ECR does not decode to `user:password`: check the ECR endpoint (AWS_ENDPOINT_URL_ECR)"
    )]
    BadToken,
    #[error("cannot write the job's Docker config in {dir}: {source}")]
    Write {
        dir: String,
        #[source]
        source: std::io::Error,
    },
}

/// Decodes the token and masks the token, the password and the `user:password` pair, before
/// returning anything.
pub fn credentials(runner: &Runner, data: &AuthorizationData) -> Result<Credentials, LoginError> {
    runner.add_mask(&data.token);
    let decoded = STANDARD
        .decode(data.token.trim())
        .map_err(|_| LoginError::BadToken)?;
    let text = String::from_utf8(decoded).map_err(|_| LoginError::BadToken)?;
    runner.add_mask(&text);
    let (username, password) = text.split_once(':').ok_or(LoginError::BadToken)?;
    if password.is_empty() {
        return Err(LoginError::BadToken);
    }
    runner.add_mask(password);
    Ok(Credentials {
        username: username.to_string(),
        password: password.to_string(),
    })
}

/// The host of a registry: `https://1234.dkr.ecr.r.amazonaws.com` → `1234.dkr.ecr.r.amazonaws.com`.
pub fn host_of(endpoint: &str) -> String {
    endpoint
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

/// `<account>.dkr.ecr.<region>.amazonaws.com` (`.com.cn` in China regions).
pub fn registry_host(account: &str, region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("{account}.dkr.ecr.{region}.{suffix}")
}

/// A Docker config directory private to this run; removed on drop.
#[derive(Debug)]
pub struct DockerConfig {
    dir: tempfile::TempDir,
}

impl DockerConfig {
    /// Writes `config.json` with `auths` for every `(host, credentials)` (owner-only
    /// permissions), under
    /// `parent` (the runner's temp dir). `user_config` is the Docker config directory the job
    /// had (`DOCKER_CONFIG`, else `~/.docker`): its CLI plugins, buildx builders and contexts
    /// are linked in, so that a builder made by docker/setup-buildx-action is still found; its
    /// credentials are not.
    pub fn write(
        parent: &Path,
        logins: &[(String, Credentials)],
        user_config: Option<&Path>,
    ) -> Result<DockerConfig, LoginError> {
        let err = |source| LoginError::Write {
            dir: parent.display().to_string(),
            source,
        };
        let dir = tempfile::Builder::new()
            .prefix("ecr-push-docker-")
            .tempdir_in(parent)
            .map_err(err)?;
        let auths: serde_json::Map<String, serde_json::Value> = logins
            .iter()
            .map(|(host, c)| {
                let auth = STANDARD.encode(format!("{}:{}", c.username, c.password));
                (host.clone(), serde_json::json!({ "auth": auth }))
            })
            .collect();
        let body = serde_json::json!({ "auths": auths }).to_string();
        let file = dir.path().join("config.json");
        write_private(&file, body.as_bytes()).map_err(err)?;
        if let Some(user) = user_config {
            for name in ["cli-plugins", "buildx", "contexts"] {
                let original = user.join(name);
                if original.is_dir() {
                    link_dir(&original, &dir.path().join(name)).map_err(err)?;
                }
            }
        }
        Ok(DockerConfig { dir })
    }

    /// The directory to pass as `DOCKER_CONFIG`.
    pub fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

#[cfg(unix)]
fn link_dir(original: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(original, link)
}

#[cfg(not(unix))]
fn link_dir(_original: &Path, _link: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_toolkit::Env;

    #[test]
    fn credentials_are_masked_before_use() {
        let (runner, printed) = Runner::captured(Env::new().with("GITHUB_ACTIONS", "true"));
        let token = STANDARD.encode("AWS:s3cr3t-pa55word");
        let creds = credentials(
            &runner,
            &AuthorizationData {
                token: token.clone(),
                proxy_endpoint: "https://1.dkr.ecr.us-east-1.amazonaws.com".into(),
            },
        )
        .unwrap();
        assert_eq!(creds.username, "AWS");
        runner.info(&format!("token {token} password {}", creds.password));
        // The runner reads the secret from the `::add-mask::` commands; nothing else shows it.
        let all = printed.contents();
        assert!(all.contains("::add-mask::s3cr3t-pa55word"), "{all}");
        let out: String = printed
            .lines()
            .into_iter()
            .filter(|l| !l.starts_with("::add-mask::"))
            .collect();
        assert!(!out.contains("s3cr3t-pa55word"), "{out}");
        assert!(!out.contains(&token), "{out}");
        assert!(!format!("{creds:?}").contains("s3cr3t"));
    }

    #[test]
    fn bad_tokens_are_refused() {
        let (runner, _) = Runner::captured(Env::new());
        for token in [
            "%%%",
            &STANDARD.encode("no-colon"),
            &STANDARD.encode("AWS:"),
        ] {
            let data = AuthorizationData {
                token: token.to_string(),
                proxy_endpoint: String::new(),
            };
            assert!(credentials(&runner, &data).is_err(), "{token}");
        }
    }

    #[test]
    fn docker_config_is_private_and_removed() {
        let parent = tempfile::tempdir().unwrap();
        let creds = Credentials {
            username: "AWS".into(),
            password: "pw".into(),
        };
        let path;
        {
            let config = DockerConfig::write(
                parent.path(),
                &[("1.dkr.ecr.us-east-1.amazonaws.com".into(), creds)],
                None,
            )
            .unwrap();
            path = config.path();
            let text = std::fs::read_to_string(path.join("config.json")).unwrap();
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                json["auths"]["1.dkr.ecr.us-east-1.amazonaws.com"]["auth"],
                STANDARD.encode("AWS:pw")
            );
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                let mode = std::fs::metadata(path.join("config.json"))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o077, 0);
            }
        }
        assert!(!path.exists());
    }

    #[test]
    fn the_users_builders_and_plugins_stay_visible() {
        let parent = tempfile::tempdir().unwrap();
        let user = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(user.path().join("buildx/instances")).unwrap();
        std::fs::write(user.path().join("buildx/current"), "ci").unwrap();
        std::fs::create_dir_all(user.path().join("cli-plugins")).unwrap();
        std::fs::write(
            user.path().join("config.json"),
            r#"{"auths":{"x":{"auth":"dXNlcjpzZWNyZXQ="}}}"#,
        )
        .unwrap();
        let creds = Credentials {
            username: "AWS".into(),
            password: "pw".into(),
        };
        let config =
            DockerConfig::write(parent.path(), &[("h".into(), creds)], Some(user.path())).unwrap();
        assert_eq!(
            std::fs::read_to_string(config.path().join("buildx/current")).unwrap(),
            "ci"
        );
        assert!(config.path().join("cli-plugins").is_dir());
        assert!(!config.path().join("contexts").exists());
        // The user's own credentials are not carried over.
        let text = std::fs::read_to_string(config.path().join("config.json")).unwrap();
        assert!(!text.contains("dXNlcjpzZWNyZXQ="), "{text}");
        let path = config.path();
        drop(config);
        assert!(!path.exists());
        assert!(
            user.path().join("buildx/current").exists(),
            "the user's files stay"
        );
    }

    #[test]
    fn hosts() {
        assert_eq!(
            registry_host("123456789012", "eu-west-1"),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            registry_host("123456789012", "cn-north-1"),
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(host_of("https://x.example/"), "x.example");
    }
}

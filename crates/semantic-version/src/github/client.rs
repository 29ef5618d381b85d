//! The release operations ([`GitHub`]) on gantry-github's [`GitHubClient`].
//!
//! The wire types name only the fields read here. A 403 from a tag or release route that a
//! ruleset or tag protection caused says so, instead of the client's hint about the
//! `contents` permission (which the token may well have).

use gantry_github::Method;
use gantry_github::text::encode_path;
use serde::Deserialize;
use serde_json::{Value, json};

use super::plan::{Release, ReleaseSpec};
use super::{GitHub, GitHubClient, GitHubError, ObjectKind, RefTarget};

/// `User-Agent` of semantic-version's requests.
pub const USER_AGENT: &str = concat!("gantry-semantic-version/", env!("CARGO_PKG_VERSION"));

/// A 403 that a repository ruleset or tag protection caused, with what to change for it.
fn releases_error(error: GitHubError) -> GitHubError {
    match error {
        GitHubError::Forbidden {
            action,
            message,
            hint,
        } => {
            let lower = message.to_ascii_lowercase();
            let hint = if lower.contains("rule") || lower.contains("protected") {
                "a repository ruleset or tag protection rule forbids it: let the workflow's actor bypass the rule for these tags, or use a token that may".to_owned()
            } else {
                hint
            };
            GitHubError::Forbidden {
                action,
                message,
                hint,
            }
        }
        other => other,
    }
}

#[derive(Debug, Deserialize)]
struct ObjectJson {
    sha: String,
    #[serde(rename = "type")]
    kind: String,
}

impl From<ObjectJson> for RefTarget {
    fn from(object: ObjectJson) -> Self {
        let kind = match object.kind.as_str() {
            "commit" => ObjectKind::Commit,
            "tag" => ObjectKind::Tag,
            _ => ObjectKind::Other(object.kind),
        };
        RefTarget {
            sha: object.sha,
            kind,
        }
    }
}

#[derive(Debug, Deserialize)]
struct RefJson {
    #[serde(rename = "ref")]
    reference: String,
    object: ObjectJson,
}

#[derive(Debug, Deserialize)]
struct TagObjectJson {
    object: ObjectJson,
}

#[derive(Debug, Deserialize)]
struct ShaJson {
    sha: String,
}

fn release_json(spec: &ReleaseSpec, with_tag: bool) -> Value {
    let mut body = json!({
        "name": spec.name,
        "body": spec.body,
        "draft": spec.draft,
        "prerelease": spec.prerelease,
    });
    if with_tag {
        body["tag_name"] = json!(spec.tag);
        if let Some(commit) = &spec.target_commitish {
            body["target_commitish"] = json!(commit);
        }
    }
    if let Some(latest) = spec.make_latest {
        body["make_latest"] = json!(if latest { "true" } else { "false" });
    }
    body
}

impl GitHub for GitHubClient {
    async fn get_ref(&self, tag: &str) -> Result<Option<RefTarget>, GitHubError> {
        let action = format!("read the tag {tag}");
        let route = format!("git/ref/tags/{}", encode_path(tag));
        let Some(value) = self
            .json::<Value>(Method::Get, route, None, action.clone(), true)
            .await
            .map_err(releases_error)?
        else {
            return Ok(None);
        };
        // Some servers answer a name that is only a prefix of others with the matching list.
        let full = format!("refs/tags/{tag}");
        let refs: Vec<RefJson> = match value {
            Value::Array(items) => items
                .into_iter()
                .filter_map(|item| serde_json::from_value(item).ok())
                .collect(),
            other => vec![
                serde_json::from_value(other).map_err(|e| GitHubError::Decode {
                    action: action.clone(),
                    message: e.to_string(),
                })?,
            ],
        };
        Ok(refs
            .into_iter()
            .find(|r| r.reference == full)
            .map(|r| r.object.into()))
    }

    async fn get_tag_object(&self, sha: &str) -> Result<RefTarget, GitHubError> {
        let action = format!("read the tag object {sha}");
        let route = format!("git/tags/{}", encode_path(sha));
        let tag: TagObjectJson = self
            .required(Method::Get, route, None, action)
            .await
            .map_err(releases_error)?;
        Ok(tag.object.into())
    }

    async fn create_tag_object(
        &self,
        name: &str,
        commit: &str,
        message: &str,
    ) -> Result<String, GitHubError> {
        let action = format!("create the tag object {name} for {commit}");
        let body = json!({ "tag": name, "message": message, "object": commit, "type": "commit" });
        let created: ShaJson = self
            .required(Method::Post, "git/tags".to_owned(), Some(body), action)
            .await
            .map_err(releases_error)?;
        Ok(created.sha)
    }

    async fn create_ref(&self, tag: &str, sha: &str) -> Result<(), GitHubError> {
        let action = format!("create the tag {tag}");
        let body = json!({ "ref": format!("refs/tags/{tag}"), "sha": sha });
        let _: Value = self
            .required(Method::Post, "git/refs".to_owned(), Some(body), action)
            .await
            .map_err(releases_error)?;
        Ok(())
    }

    async fn update_ref(&self, tag: &str, sha: &str, force: bool) -> Result<(), GitHubError> {
        let action = format!("move the tag {tag} to {sha}");
        let route = format!("git/refs/tags/{}", encode_path(tag));
        let body = json!({ "sha": sha, "force": force });
        let _: Value = self
            .required(Method::Patch, route, Some(body), action)
            .await
            .map_err(releases_error)?;
        Ok(())
    }

    async fn get_release_by_tag(&self, tag: &str) -> Result<Option<Release>, GitHubError> {
        let action = format!("read the release of {tag}");
        let route = format!("releases/tags/{}", encode_path(tag));
        if let Some(release) = self
            .json(Method::Get, route, None, action.clone(), true)
            .await
            .map_err(releases_error)?
        {
            return Ok(Some(release));
        }
        // Drafts have no tag yet for GitHub: they are found only in the list (newest first).
        let releases: Vec<Release> = self
            .required(
                Method::Get,
                "releases?per_page=100".to_owned(),
                None,
                action,
            )
            .await
            .map_err(releases_error)?;
        Ok(releases.into_iter().find(|r| r.tag_name == tag))
    }

    async fn create_release(&self, spec: &ReleaseSpec) -> Result<Release, GitHubError> {
        let action = format!("create the release of {}", spec.tag);
        let body = release_json(spec, true);
        self.required(Method::Post, "releases".to_owned(), Some(body), action)
            .await
            .map_err(releases_error)
    }

    async fn update_release(&self, id: u64, spec: &ReleaseSpec) -> Result<Release, GitHubError> {
        let action = format!("update the release of {}", spec.tag);
        let body = release_json(spec, false);
        self.required(Method::Patch, format!("releases/{id}"), Some(body), action)
            .await
            .map_err(releases_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_403_from_a_ruleset_says_so() {
        let forbidden = |message: &str| GitHubError::Forbidden {
            action: "create the tag v1.0.0".to_owned(),
            message: message.to_owned(),
            hint: "the token needs the `contents: write` permission".to_owned(),
        };
        let text = releases_error(forbidden("Repository rule violations found")).to_string();
        assert!(text.contains("ruleset or tag protection rule"), "{text}");
        let text = releases_error(forbidden("Resource not accessible by integration")).to_string();
        assert!(text.ends_with("the `contents: write` permission"), "{text}");
    }
}

//! `push: pull-request`: the commit is pushed (forced) to the pull request's own branch, and one
//! pull request from it into the branch is opened, or updated when one is open already. The
//! same GitHub client as semantic-version's release pull requests (gantry-github).

use anyhow::Context as _;
use gantry_github::{GitHubClient, PullRequest, Pulls};
use gantry_toolkit::{GithubContext, Stop};

use crate::config::Config;
use crate::report::Outcome;

/// `User-Agent` of gitops-update's requests.
const USER_AGENT: &str = concat!("gantry-gitops-update/", env!("CARGO_PKG_VERSION"));

/// The client for the GitOps repository: `repository`, else the runner's.
pub fn client(config: &Config, context: &GithubContext) -> anyhow::Result<GitHubClient> {
    let repository = config
        .repository
        .clone()
        .or_else(|| context.repository.clone())
        .context("push is pull-request but the repository is unknown: set the `repository` input (owner/name of the GitOps repository)")?;
    let token = config.token.clone().unwrap_or_default();
    Ok(GitHubClient::new(
        &context.api_url,
        &token,
        &repository,
        USER_AGENT,
    )?)
}

/// The pull request's body: what changes, and the commit message's text.
pub fn body(outcome: &Outcome, message: &str) -> String {
    let mut body = String::from("| file | field | before | after |\n|---|---|---|---|\n");
    for update in &outcome.prepared.updates {
        for change in &update.changes {
            body.push_str(&format!(
                "| `{}` | `{}` | `{}` | `{}` |\n",
                update.path,
                change.field,
                change.old.as_deref().unwrap_or("(added)"),
                change.new
            ));
        }
    }
    body.push_str("\n---\n");
    body.push_str(message.split_once("\n\n").map_or("", |(_, rest)| rest));
    body.push_str("\n_Opened by gantry gitops-update; a new run updates it._\n");
    body
}

/// Open the pull request from `head` into `base`, or update the open one.
pub async fn propose(
    client: &impl Pulls,
    stop: &Stop,
    base: &str,
    head: &str,
    title: &str,
    body: &str,
) -> anyhow::Result<PullRequest> {
    let work = async {
        let open = client
            .pulls_from(head, base)
            .await?
            .into_iter()
            .find(PullRequest::is_open);
        let pull = match open {
            Some(pull) => {
                client
                    .update_pull(pull.number, Some(title), Some(body), None)
                    .await?
            }
            None => client.create_pull(head, base, title, body).await?,
        };
        anyhow::Ok(pull)
    };
    stop.race(work)
        .await
        .map_err(|reason| anyhow::anyhow!("stopped ({reason}) while opening the pull request"))?
}

/// Close pull request `number` (Argo CD failed on its branch).
pub async fn close(client: &impl Pulls, number: u64) -> anyhow::Result<()> {
    client
        .update_pull(number, None, None, Some("closed"))
        .await?;
    Ok(())
}

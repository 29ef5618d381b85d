//! Creating the release tag and the floating tags, and pushing them in one atomic push.

use super::*;

impl Git {
    /// The identity for `git tag -a`: the configured one, else [`BOT_NAME`].
    pub(super) fn tagger_env(&self) -> Result<Vec<(&'static str, String)>, GitError> {
        let (name, email) = match &self.tagger {
            Some((name, email)) => (name.clone(), email.clone()),
            None => {
                if self
                    .repo()
                    .output(&["var", "GIT_COMMITTER_IDENT"])?
                    .status
                    .success()
                {
                    return Ok(Vec::new());
                }
                (BOT_NAME.to_owned(), BOT_EMAIL.to_owned())
            }
        };
        Ok(vec![
            ("GIT_COMMITTER_NAME", name.clone()),
            ("GIT_COMMITTER_EMAIL", email.clone()),
            ("GIT_AUTHOR_NAME", name),
            ("GIT_AUTHOR_EMAIL", email),
        ])
    }

    /// Create the annotated tag `name` at commit `sha` with `message` (kept as given:
    /// `--cleanup=whitespace`, so markdown headings starting with `#` stay), unless it exists:
    /// at this commit it is left alone ([`LocalTag::AlreadyThere`]), at another commit it is
    /// [`GitError::TagConflict`]. Local only: see [`Git::push_tags`].
    ///
    /// # Errors
    /// An invalid name or commit; the tag at another commit; git fails.
    pub fn create_annotated_tag(
        &self,
        name: &str,
        sha: &str,
        message: &str,
    ) -> Result<LocalTag, GitError> {
        check_tag_name(name)?;
        let commit = self.head_commit(sha)?;
        match plan_tag(self.tag_exists(name)?.as_deref(), &commit) {
            TagPlan::AlreadyThere => return Ok(LocalTag::AlreadyThere),
            TagPlan::Conflict { existing } => {
                return Err(GitError::TagConflict {
                    tag: name.to_owned(),
                    existing,
                    wanted: commit,
                });
            }
            TagPlan::Create => {}
        }
        let env = self.tagger_env()?;
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let args = [
            "tag",
            "-a",
            "--cleanup=whitespace",
            "-F",
            "-",
            "--end-of-options",
            name,
            commit.as_str(),
        ];
        let output = self
            .repo()
            .output_with_input(&args, message.as_bytes().to_vec(), &env)?;
        if !output.status.success() {
            return Err(self.repo().failed(&args, &output).into());
        }
        Ok(LocalTag::Created)
    }

    /// Point the lightweight tag `name` (a floating `v1`, `v1.2`) at commit `sha`, creating
    /// or moving it.
    ///
    /// # Errors
    /// An invalid name or commit; git fails.
    pub fn set_floating_tag(&self, name: &str, sha: &str) -> Result<LocalTag, GitError> {
        check_tag_name(name)?;
        let commit = self.head_commit(sha)?;
        let plan = plan_floating_tag(self.tag_exists(name)?.as_deref(), &commit);
        if plan == FloatingPlan::AlreadyThere {
            return Ok(LocalTag::AlreadyThere);
        }
        let reference = format!("refs/tags/{name}");
        self.repo().run(&[
            "update-ref",
            "-m",
            "semantic-version: floating tag",
            "--end-of-options",
            &reference,
            &commit,
        ])?;
        Ok(match plan {
            FloatingPlan::Move { from } => LocalTag::Moved { from },
            _ => LocalTag::Created,
        })
    }

    /// Push the tags `names` to the remote in one atomic `git push` (all or none); with
    /// `force`, tags that exist there at another commit are moved (floating tags), without
    /// it they are refused ([`GitError::PushRejected`]). Hooks are not run. Tags pushed with
    /// the workflow's `GITHUB_TOKEN` do not start other workflows.
    ///
    /// # Errors
    /// An invalid name; the remote refusing a tag or the credentials; git fails.
    pub fn push_tags(&self, names: &[&str], force: bool) -> Result<Vec<PushedTag>, GitError> {
        let tags: Vec<(&str, bool)> = names.iter().map(|name| (*name, force)).collect();
        self.push_tag_set(&tags)
    }

    /// Push a release in one atomic `git push`: its version tag `tag` (never moved: refused
    /// when the remote has it at another commit) and its floating tags `floating` (moved), so
    /// the remote gets all of them or none.
    ///
    /// # Errors
    /// See [`Git::push_tags`].
    pub fn push_release(&self, tag: &str, floating: &[&str]) -> Result<Vec<PushedTag>, GitError> {
        let mut tags = vec![(tag, false)];
        tags.extend(floating.iter().map(|name| (*name, true)));
        self.push_tag_set(&tags)
    }

    /// `tags` (name, forced) in one atomic push.
    fn push_tag_set(&self, tags: &[(&str, bool)]) -> Result<Vec<PushedTag>, GitError> {
        if tags.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<&str> = tags.iter().map(|(name, _)| *name).collect();
        let mut refspecs = Vec::with_capacity(tags.len());
        for (name, force) in tags {
            check_tag_name(name)?;
            let plus = if *force { "+" } else { "" };
            refspecs.push(format!("{plus}refs/tags/{name}:refs/tags/{name}"));
        }
        let pushed = self.repo().push(self.remote(), &refspecs)?;
        self.fetcher.note(format!(
            "pushed {} tag(s) to {}: {}",
            pushed.len(),
            self.remote(),
            names.join(", ")
        ));
        Ok(pushed)
    }
}

//! A throwaway git repository for tests, driven through the `git` CLI.

use std::cell::Cell;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// 2024-01-01T00:00:00Z: the date of the first commit; each commit, merge
/// and annotated tag is one minute later than the one before, so SHAs are
/// reproducible.
const EPOCH: u64 = 1_704_067_200;

/// The fixed identity of every commit and tag.
pub const GIT_NAME: &str = "Gantry Test";
/// The fixed e-mail of every commit and tag.
pub const GIT_EMAIL: &str = "test@gantry.invalid";

/// A git repository in a temporary directory (removed on drop), on branch
/// `main`, with a fixed identity and deterministic dates: the same sequence
/// of calls gives the same SHAs on every machine. Methods panic with git's
/// stderr when git fails.
///
/// ```no_run
/// # use gantry_testkit::GitRepo;
/// let repo = GitRepo::new();
/// let base = repo.write("svc/api/main.rs", "fn main() {}\n").commit("feat(api): start");
/// repo.tag("v1.0.0");
/// repo.switch_new("feature").write("svc/web/index.html", "<p>").commit("fix(web): page");
/// repo.checkout("main");
/// let merge = repo.merge("feature", "Merge branch 'feature'");
/// assert_ne!(base, merge);
/// ```
#[derive(Debug)]
pub struct GitRepo {
    dir: TempDir,
    clock: Cell<u64>,
}

impl Default for GitRepo {
    fn default() -> Self {
        Self::new()
    }
}

impl GitRepo {
    /// `git init -b main` in a new temporary directory.
    pub fn new() -> GitRepo {
        Self::init(&[])
    }

    /// A bare repository (`git init --bare`), e.g. as a remote to push tags to.
    pub fn bare() -> GitRepo {
        Self::init(&["--bare"])
    }

    fn init(extra: &[&str]) -> GitRepo {
        let dir = tempfile::Builder::new()
            .prefix("gantry-git-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let repo = GitRepo {
            dir,
            clock: Cell::new(EPOCH),
        };
        let mut args = vec!["init", "-q", "-b", "main"];
        args.extend_from_slice(extra);
        repo.git(args);
        // Local config too, so tools under test that run git themselves (with
        // the user's global config) can commit and tag here.
        for (k, v) in [
            ("user.name", GIT_NAME),
            ("user.email", GIT_EMAIL),
            ("commit.gpgsign", "false"),
            ("tag.gpgsign", "false"),
            ("core.autocrlf", "false"),
            ("advice.detachedHead", "false"),
        ] {
            repo.git(["config", k, v]);
        }
        repo
    }

    /// The repository's directory (its work tree, or the bare repository).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Copies this checkout's action `actions/<tool>` (with the JavaScript shim
    /// `actions/shim.js` it runs) into the repository at the same paths, and
    /// `workflow` to `.github/workflows/`, so that act can run `uses: ./actions/<tool>` here.
    pub fn install_action(&self, tool: &str, workflow: impl AsRef<Path>) -> &Self {
        let root = crate::workspace_root();
        let read = |path: &Path| {
            std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        };
        let action_dir = root.join("actions").join(tool);
        let entries = std::fs::read_dir(&action_dir)
            .unwrap_or_else(|e| panic!("no action {}: {e}", action_dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() {
                self.write(
                    Path::new("actions").join(tool).join(entry.file_name()),
                    read(&path),
                );
            }
        }
        let shim = root.join("actions/shim.js");
        self.write("actions/shim.js", read(&shim));
        let workflow = workflow.as_ref();
        let name = workflow
            .file_name()
            .unwrap_or_else(|| panic!("{} is not a file", workflow.display()));
        self.write(Path::new(".github/workflows").join(name), read(workflow))
    }

    /// Writes `contents` to `rel` (creating parent directories). Not staged
    /// until [`GitRepo::commit`].
    pub fn write(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.file(rel.as_ref());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        std::fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        self
    }

    /// Removes the file `rel` from the work tree.
    pub fn remove(&self, rel: impl AsRef<Path>) -> &Self {
        let path = self.file(rel.as_ref());
        std::fs::remove_file(&path)
            .unwrap_or_else(|e| panic!("cannot remove {}: {e}", path.display()));
        self
    }

    fn file(&self, rel: &Path) -> PathBuf {
        assert!(
            rel.is_relative(),
            "GitRepo paths are relative to the repository, not {}",
            rel.display()
        );
        self.path().join(rel)
    }

    /// Stages everything (`git add -A`) and commits (empty commits allowed);
    /// returns the new commit's SHA.
    pub fn commit(&self, message: &str) -> String {
        self.git(["add", "-A"]);
        self.git([
            "commit",
            "-q",
            "--allow-empty",
            "--no-verify",
            "-m",
            message,
        ]);
        self.tick();
        self.head()
    }

    /// Writes each `(path, contents)` and commits them; returns the SHA.
    pub fn commit_files(&self, files: &[(&str, &str)], message: &str) -> String {
        for (path, contents) in files {
            self.write(path, contents);
        }
        self.commit(message)
    }

    /// Creates branch `name` at HEAD without switching to it.
    pub fn branch(&self, name: &str) -> &Self {
        self.git(["branch", name]);
        self
    }

    /// Switches to an existing branch, tag or commit.
    pub fn checkout(&self, rev: &str) -> &Self {
        self.git(["checkout", "-q", rev]);
        self
    }

    /// Creates branch `name` at HEAD and switches to it.
    pub fn switch_new(&self, name: &str) -> &Self {
        self.git(["checkout", "-q", "-b", name]);
        self
    }

    /// A lightweight tag at HEAD; returns the tagged commit's SHA.
    pub fn tag(&self, name: &str) -> String {
        self.git(["tag", name]);
        self.rev_parse(&format!("{name}^{{commit}}"))
    }

    /// An annotated tag at HEAD; returns the SHA of the tag object (the
    /// commit is `rev_parse("NAME^{commit}")`).
    pub fn tag_annotated(&self, name: &str, message: &str) -> String {
        self.git(["tag", "-a", name, "-m", message]);
        self.tick();
        self.rev_parse(&format!("refs/tags/{name}"))
    }

    /// Merges `branch` into the current branch with a merge commit
    /// (`--no-ff`); returns its SHA.
    pub fn merge(&self, branch: &str, message: &str) -> String {
        self.git(["merge", "-q", "--no-ff", "--no-edit", "-m", message, branch]);
        self.tick();
        self.head()
    }

    /// Adds (or replaces) the remote `name`. act reads `GITHUB_REPOSITORY`
    /// from the `origin` URL, e.g. `https://github.com/acme/shop.git`.
    pub fn set_remote(&self, name: &str, url: &str) -> &Self {
        let _ = self.git_output(["remote", "remove", name]);
        self.git(["remote", "add", name, url]);
        self
    }

    /// The full SHA of `rev`.
    pub fn rev_parse(&self, rev: &str) -> String {
        self.git(["rev-parse", "--verify", "-q", rev])
    }

    /// The full SHA of HEAD.
    pub fn head(&self) -> String {
        self.rev_parse("HEAD")
    }

    /// Runs git with `args` in the repository; returns trimmed stdout.
    /// Panics with the command and stderr when git fails.
    pub fn git<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let out = self.git_output(&args);
        if !out.status.success() {
            panic!(
                "git {} failed in {} ({}): {}",
                args.iter()
                    .map(|a| a.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(" "),
                self.path().display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs git with `args` and returns its output, whatever the exit status.
    pub fn git_output<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.git_command();
        cmd.args(args);
        cmd.output()
            .unwrap_or_else(|e| panic!("cannot run git (is it installed?): {e}"))
    }

    /// Moves the repository's clock one minute on: the next commit, merge or
    /// annotated tag gets that date.
    pub fn tick(&self) {
        self.clock.set(self.clock.get() + 60);
    }

    /// A `git` command in the repository with the fixed identity, the
    /// current deterministic date, and no system or global config.
    pub fn git_command(&self) -> Command {
        let t = self.clock.get();
        let date = format!("@{t} +0000");
        let mut cmd = Command::new("git");
        cmd.current_dir(self.path())
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_OBJECT_DIRECTORY")
            .env_remove("GIT_CEILING_DIRECTORIES")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_AUTHOR_NAME", GIT_NAME)
            .env("GIT_AUTHOR_EMAIL", GIT_EMAIL)
            .env("GIT_COMMITTER_NAME", GIT_NAME)
            .env("GIT_COMMITTER_EMAIL", GIT_EMAIL)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env("LC_ALL", "C");
        cmd
    }
}

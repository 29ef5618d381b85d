//! The release, rehearsed for this host's platform: every step of `.github/workflows/release.yml`
//! (`scripts/release peel-tags`, semantic-version's dry run, `scripts/release-assets`,
//! `scripts/release publish`) on a snapshot of this checkout, with a bare repository as `origin`
//! and the loopback stand-in of GitHub's releases API and asset host (there is no local GitHub:
//! that part is a stand-in). The assets are the static musl binaries `scripts/release build`
//! made for this host (scripts/test builds them before the tests, in the `rehearsal` profile).
//!
//! Then a workflow in act uses `gantry-actions/gantry/actions/paths-filter@v1.0.0`, served from
//! the release commit, and the shim downloads the asset from the stand-in, verifies and runs it.
//! A second release whose upload fails midway publishes nothing and moves no tag; its re-run
//! finishes, and a third run changes nothing.
// Needs the local services of scripts/services (scripts/test enables the feature); Unix only.
#![cfg(all(unix, feature = "local-services"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gantry_testkit::{Act, GitRepo, ReleasesStandIn, ToolJob, workspace_root};

const REPOSITORY: &str = "gantry-actions/gantry";
const TOKEN: &str = "ghs_rehearsalT0ken";
const TOOLS: [&str; 6] = [
    "paths-filter",
    "semantic-version",
    "ecr-push",
    "ecs-rollout",
    "canary-gate",
    "gitops-update",
];

/// The binaries `scripts/release build linux-x64 <dir> rehearsal` made (scripts/test sets the
/// variable); a loud failure when they are missing.
fn release_bins() -> PathBuf {
    let dir = std::env::var_os("GANTRY_REHEARSAL_BIN_DIR").map(PathBuf::from);
    match dir {
        Some(dir) if TOOLS.iter().all(|t| dir.join(t).is_file()) => dir,
        _ => panic!(
            "the release rehearsal needs the release binaries: run scripts/test (it runs `scripts/release build linux-x64 .services/release-bin rehearsal` and sets GANTRY_REHEARSAL_BIN_DIR)"
        ),
    }
}

/// The platform scripts/test built the release binaries for.
fn platform() -> String {
    std::env::var("GANTRY_REHEARSAL_PLATFORM").unwrap_or_else(|_| "linux-x64".to_owned())
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", cmd.get_program()))
}

fn text(out: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A snapshot of this checkout's files (tracked and new, not ignored) as a fresh repository on
/// `main`, pushed to a bare `origin`.
struct Gantry {
    repo: GitRepo,
    origin: GitRepo,
    work: tempfile::TempDir,
    standin: ReleasesStandIn,
}

impl Gantry {
    fn new() -> Gantry {
        let root = workspace_root();
        let repo = GitRepo::new();
        let listed = Command::new("git")
            .current_dir(root)
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .output()
            .unwrap();
        assert!(listed.status.success());
        for file in listed.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
            let rel = Path::new(std::str::from_utf8(file).unwrap());
            let from = root.join(rel);
            // Deleted but not yet committed files are listed too.
            if let Ok(bytes) = std::fs::read(&from) {
                repo.write(rel, bytes);
                let mode = std::fs::metadata(&from).unwrap();
                if std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o111 != 0 {
                    let to = repo.path().join(rel);
                    std::fs::set_permissions(&to, mode.permissions()).unwrap();
                }
            }
        }
        repo.commit("feat: gantry as it is");
        let origin = GitRepo::bare();
        repo.set_remote("origin", &origin.path().to_string_lossy());
        repo.git(["push", "--quiet", "origin", "HEAD:refs/heads/main"]);
        Gantry {
            repo,
            origin,
            work: tempfile::tempdir().unwrap(),
            standin: ReleasesStandIn::start(REPOSITORY, TOKEN),
        }
    }

    fn script(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.repo.path().join(args[0]));
        cmd.args(&args[1..])
            .current_dir(self.repo.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1");
        cmd
    }

    /// What the `version` job does: peel the release tags, then semantic-version's dry run.
    /// Returns (version, tag, notes).
    fn next_version(&self) -> (String, String, String) {
        self.repo
            .git(["fetch", "--quiet", "--tags", "--force", "origin"]);
        let peeled = run(&mut self.script(&["scripts/release", "peel-tags"]));
        assert!(peeled.status.success(), "{}", text(&peeled));
        let job = ToolJob::new(release_bins().join("semantic-version"));
        let mut cmd = job.command(self.repo.path());
        cmd.env("GITHUB_REPOSITORY", REPOSITORY)
            .env("GITHUB_REF", "refs/heads/main")
            .env("GITHUB_REF_NAME", "main");
        ToolJob::inputs(
            &mut cmd,
            &[("dry-run", "true"), ("create-release", "false")],
        );
        let out = ToolJob::run(&mut cmd);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(
            job.output("released").as_deref(),
            Some("true"),
            "{}",
            text(&out)
        );
        (
            job.output("version").unwrap(),
            job.output("tag").unwrap(),
            job.output("notes").unwrap(),
        )
    }

    /// What the `release` job does; returns the publish step's output.
    fn release(&self, version: &str, tag: &str, notes: &str) -> Output {
        // Packed once per version: a re-run reuses the build's artifacts, as "re-run failed
        // jobs" does.
        let assets = self.work.path().join(format!("assets-{version}"));
        if !assets.exists() {
            self.pack(version, tag, &assets);
        }
        let notes_file = self.work.path().join("notes.md");
        std::fs::write(&notes_file, notes).unwrap();
        run(self
            .script(&["scripts/release", "publish", version, tag])
            .arg(&assets)
            .arg(&notes_file)
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_REPOSITORY", REPOSITORY)
            .env("GITHUB_API_URL", self.standin.api_url())
            .env("GANTRY_RELEASE_REMOTE", "origin"))
    }

    /// What the release job does before publishing: the assets and the checksums file.
    fn pack(&self, version: &str, tag: &str, assets: &Path) {
        let packed = run(self
            .script(&["scripts/release-assets", "pack", version, &platform()])
            .arg(release_bins())
            .arg(assets));
        assert!(packed.status.success(), "{}", text(&packed));
        let checksums = run(self
            .script(&[
                "scripts/release-assets",
                "checksums",
                version,
                tag,
                REPOSITORY,
            ])
            .arg(assets));
        assert!(checksums.status.success(), "{}", text(&checksums));
        std::fs::write(assets.join("checksums.txt"), &checksums.stdout).unwrap();
    }

    /// The commit a tag of `origin` names, if any.
    fn origin_tag(&self, tag: &str) -> Option<String> {
        let out = self.origin.git_output([
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/tags/{tag}^{{commit}}"),
        ]);
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap().trim().to_owned())
    }

    fn origin_main(&self) -> String {
        self.origin.rev_parse("refs/heads/main")
    }

    /// A new commit on main, pushed.
    fn commit(&self, message: &str) {
        self.repo.write("CHANGES.txt", message);
        self.repo.commit(message);
        self.repo
            .git(["push", "--quiet", "origin", "HEAD:refs/heads/main"]);
    }

    /// A work tree of `commit` (as `uses: …@tag` checks it out).
    fn worktree(&self, commit: &str, name: &str) -> PathBuf {
        let dir = self.work.path().join(name);
        self.origin
            .git(["worktree", "add", "--detach", dir.to_str().unwrap(), commit]);
        dir
    }
}

fn assert_published(g: &Gantry, version: &str, tag: &str, commit: &str) {
    let release = g
        .standin
        .release(tag)
        .unwrap_or_else(|| panic!("no release {tag}"));
    assert!(!release.draft, "{tag} is still a draft");
    let names: Vec<&str> = release.assets.iter().map(|a| a.name.as_str()).collect();
    for tool in TOOLS {
        let name = format!("{tool}-{version}-{}.gz", platform());
        assert!(names.contains(&name.as_str()), "{name} missing: {names:?}");
    }
    assert!(names.contains(&"checksums.txt"), "{names:?}");
    assert_eq!(names.len(), TOOLS.len() + 1, "{names:?}");
    // The checksums file of the release is the one in the release commit.
    let committed = g
        .origin
        .git_output(["show", &format!("{commit}:dist/checksums.txt")])
        .stdout;
    let uploaded = release
        .assets
        .iter()
        .find(|a| a.name == "checksums.txt")
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&committed),
        String::from_utf8_lossy(&uploaded.bytes)
    );
    assert_eq!(
        g.standin
            .releases()
            .iter()
            .filter(|r| r.tag_name == tag)
            .count(),
        1,
        "one release per tag"
    );
}

#[test]
fn the_release_runs_end_to_end_cannot_half_publish_and_a_rerun_finishes() {
    let g = Gantry::new();
    let main_before = g.origin_main();

    // ---- the first release -------------------------------------------------------------------
    let (version, tag, notes) = g.next_version();
    assert_eq!((version.as_str(), tag.as_str()), ("1.0.0", "v1.0.0"));
    let out = g.release(&version, &tag, &notes);
    assert!(out.status.success(), "{}", text(&out));

    let c1 = g.origin_tag("v1.0.0").expect("tag v1.0.0 on origin");
    // The release commit sits on the built commit and on no branch: main did not move.
    assert_eq!(g.origin_main(), main_before, "main must not be pushed to");
    assert_eq!(g.origin.rev_parse(&format!("{c1}^")), main_before);
    let branches = g.origin.git(["branch", "--contains", &c1]);
    assert!(branches.trim().is_empty(), "on a branch: {branches}");
    assert_eq!(
        g.origin.git(["log", "-1", "--format=%s", &c1]).trim(),
        "chore(release): v1.0.0"
    );
    assert_eq!(g.origin_tag("v1").as_deref(), Some(c1.as_str()));
    assert_eq!(g.origin_tag("v1.0").as_deref(), Some(c1.as_str()));
    assert_published(&g, &version, &tag, &c1);
    let release = g.standin.release("v1.0.0").unwrap();
    assert_eq!(release.body, notes);
    // Draft first, assets uploaded and read back, and only then published.
    let requests = g.standin.requests();
    let position = |needle: &str| {
        requests
            .iter()
            .position(|r| r.starts_with(needle))
            .unwrap_or_else(|| panic!("no {needle}: {requests:?}"))
    };
    assert!(position("POST /api/repos/") < position("POST /uploads/"));
    assert!(
        position("POST /uploads/")
            < position("GET /api/repos/gantry-actions/gantry/releases/assets/")
    );
    assert!(position("GET /api/repos/gantry-actions/gantry/releases/assets/") < position("PATCH "));

    // In the release commit every self-reference names v1.0.0 (checked by the script itself),
    // and the workflows differ from main's only there.
    let tree = g.worktree(&c1, "release-1");
    let pins = run(g.script(&["scripts/release", "check-pins"]).arg(&tree));
    assert!(pins.status.success(), "{}", text(&pins));
    let deploy = std::fs::read_to_string(tree.join(".github/workflows/deploy.yml")).unwrap();
    assert!(
        deploy.contains("gantry-actions/gantry/actions/ecs-rollout@v1.0.0"),
        "{deploy}"
    );
    assert!(!deploy.contains("@v1 "), "{deploy}");
    let changed = g
        .origin
        .git(["diff", "--name-only", &format!("{c1}^"), &c1]);
    assert!(
        changed.lines().all(|f| f == "dist/checksums.txt"
            || f.starts_with(".github/workflows/")
            || f.starts_with("examples/workflows/")),
        "{changed}"
    );

    // ---- a user's workflow pins the release ------------------------------------------------
    let user = GitRepo::new();
    user.write("services/api/main.go", "package main\n");
    user.commit("first");
    user.write("services/api/main.go", "package main // changed\n");
    user.write(
        ".github/workflows/changes.yml",
        std::fs::read(workspace_root().join("tests/fixtures/release/changes.yml")).unwrap(),
    );
    user.commit("change api");
    let act = Act::new(user.path(), ".github/workflows/changes.yml")
        .event("workflow_dispatch")
        .local_repository("gantry-actions/gantry@v1.0.0", &tree)
        .env("GANTRY_RELEASE_BASE_URL", g.standin.download_base())
        .run();
    act.assert_success();
    assert_eq!(
        act.output("changes", "filter", "changes").as_deref(),
        Some("[\"api\"]"),
        "{}",
        act.report()
    );
    assert!(
        g.standin.downloads().contains(&format!(
            "/{REPOSITORY}/releases/download/v1.0.0/paths-filter-1.0.0-{}.gz",
            platform()
        )),
        "{:?}\n{}",
        g.standin.downloads(),
        act.report()
    );
    assert!(act.log().contains("verified (sha256 "), "{}", act.report());

    // ---- a second release whose upload fails midway ----------------------------------------
    g.commit("feat: a second feature");
    let (version, tag, notes) = g.next_version();
    assert_eq!(
        (version.as_str(), tag.as_str()),
        ("1.1.0", "v1.1.0"),
        "semantic-version sees v1.0.0 through its release commit"
    );
    g.standin.fail_upload(3);
    let failed = g.release(&version, &tag, &notes);
    assert!(!failed.status.success(), "{}", text(&failed));
    let said = text(&failed);
    assert!(
        said.contains("answered HTTP 500; nothing was published"),
        "{said}"
    );
    assert!(
        g.standin.release("v1.1.0").is_none_or(|r| r.draft),
        "a failed release must not be published"
    );
    assert_eq!(g.origin_tag("v1.1.0"), None, "no tag for a failed release");
    assert_eq!(g.origin_tag("v1").as_deref(), Some(c1.as_str()), "v1 moved");
    assert_eq!(g.origin_tag("v1.1"), None);

    // The re-run starts clean and finishes.
    let rerun = g.release(&version, &tag, &notes);
    assert!(rerun.status.success(), "{}", text(&rerun));
    let c2 = g.origin_tag("v1.1.0").expect("tag v1.1.0");
    assert_published(&g, &version, &tag, &c2);
    assert_eq!(g.origin_tag("v1").as_deref(), Some(c2.as_str()));
    assert_eq!(g.origin_tag("v1.1").as_deref(), Some(c2.as_str()));
    assert_eq!(
        g.origin_tag("v1.0").as_deref(),
        Some(c1.as_str()),
        "v1.0 stays"
    );

    // Once more: the same release commit, nothing new, nothing replaced.
    let releases = g.standin.releases().len();
    let again = g.release(&version, &tag, &notes);
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        text(&again).contains("already published"),
        "{}",
        text(&again)
    );
    assert_eq!(g.origin_tag("v1.1.0").as_deref(), Some(c2.as_str()));
    assert_eq!(g.standin.releases().len(), releases);

    // An older release re-run never takes the floating tags back.
    let (old_notes, old_tag) = ("old", "v1.0.0");
    g.repo.git(["checkout", "--quiet", &format!("{c1}^")]);
    let old = g.release("1.0.0", old_tag, old_notes);
    assert!(old.status.success(), "{}", text(&old));
    assert_eq!(
        g.origin_tag("v1").as_deref(),
        Some(c2.as_str()),
        "v1 went back"
    );
}

/// `check-pins` in a release commit: a self-reference that does not name the release fails it,
/// naming the file and line; `pin` makes it pass.
#[test]
fn a_floating_self_reference_in_a_release_commit_is_refused() {
    let root = workspace_root();
    let dir = tempfile::tempdir().unwrap();
    for d in [".github", "examples"] {
        let copied = run(Command::new("cp")
            .arg("-R")
            .arg(root.join(d))
            .arg(dir.path().join(d)));
        assert!(copied.status.success(), "{}", text(&copied));
    }
    std::fs::create_dir_all(dir.path().join("dist")).unwrap();
    std::fs::write(
        dir.path().join("dist/checksums.txt"),
        format!("# version: 1.2.3\n# tag: v1.2.3\n# repository: {REPOSITORY}\n"),
    )
    .unwrap();
    let script = root.join("scripts/release");
    let check_pins = || run(Command::new(&script).arg("check-pins").arg(dir.path()));

    let floating = check_pins();
    assert!(!floating.status.success(), "{}", text(&floating));
    assert!(
        text(&floating).contains(".github/workflows/deploy.yml:")
            && text(&floating).contains("gantry-actions/gantry/actions/ecs-rollout@v1\n"),
        "{}",
        text(&floating)
    );

    let pinned = run(Command::new(&script)
        .args(["pin", "v1.2.3"])
        .arg(dir.path()));
    assert!(pinned.status.success(), "{}", text(&pinned));
    let checked = check_pins();
    assert!(checked.status.success(), "{}", text(&checked));

    let deploy = dir.path().join(".github/workflows/deploy.yml");
    let before = std::fs::read_to_string(&deploy).unwrap();
    std::fs::write(&deploy, before.replacen("@v1.2.3", "@v1.2.2", 1)).unwrap();
    let stale = check_pins();
    assert!(!stale.status.success());
    assert!(text(&stale).contains("@v1.2.2"), "{}", text(&stale));
}

//! Every action of ours keeps the composite-action contract: inputs mapped into `env:`, no
//! expressions inside `run:`, outputs produced by a step, README tables in step with the file,
//! and the binary agreeing with both about inputs, defaults and outputs. Each tool's `--help`,
//! which its input table writes, is a snapshot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use gantry_testkit::action_contract::{
    BinaryContract, BinaryInput, Finding, check_action, check_action_dir, read_action_file,
};
use gantry_testkit::workspace_root;

fn fixture(name: &str) -> PathBuf {
    workspace_root().join("tests/fixtures/contract").join(name)
}

/// Where cargo put this workspace's binaries: this test runs from `<target>/<profile>/deps/`.
fn binary_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

fn binary_contract(binary: &Path) -> BinaryContract {
    let out = Command::new(binary)
        .arg("--action-contract")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} --action-contract ({e}): build the workspace's binaries with `cargo build --bins`",
                binary.display()
            )
        });
    assert!(
        out.status.success(),
        "{} --action-contract failed",
        binary.display()
    );
    serde_json::from_slice(&out.stdout).expect("--action-contract prints JSON")
}

fn report(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("  - {f}\n"))
        .collect::<String>()
}

/// The actions users call (`actions/<tool>`) and the fixture actions our workflow tests call.
#[test]
fn every_action_meets_the_contract() {
    let root = workspace_root();
    let mut dirs: Vec<(PathBuf, PathBuf)> = Vec::new();
    for parent in ["actions", "tests/fixtures/actions"] {
        let Ok(entries) = std::fs::read_dir(root.join(parent)) else {
            continue;
        };
        for entry in entries {
            let dir = entry.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            // One kebab-case name per tool: the folder, the crate and the binary.
            let binary = if parent == "actions" {
                binary_dir().join(&name)
            } else {
                binary_dir().join(format!("gantry-{name}"))
            };
            dirs.push((dir, binary));
        }
    }
    assert!(
        dirs.iter().any(|(d, _)| d.ends_with("probe")),
        "the probe fixture action must be among the checked actions"
    );
    let mut findings = Vec::new();
    for (dir, binary) in &dirs {
        let contract = binary_contract(binary);
        findings.extend(check_action_dir(dir, Some(&contract)));
    }
    assert!(
        findings.is_empty(),
        "action contract broken:\n{}",
        report(&findings)
    );
}

/// `--help` of every tool, as its input table writes it: a change to a flag or its help shows
/// up here as a snapshot to review (`cargo insta review`).
#[test]
fn every_tool_help_is_as_reviewed() {
    for tool in [
        "paths-filter",
        "semantic-version",
        "ecr-push",
        "ecs-rollout",
        "canary-gate",
        "gitops-update",
    ] {
        let binary = binary_dir().join(tool);
        let out = Command::new(&binary)
            .arg("--help")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {} --help: {e}", binary.display()));
        assert!(out.status.success(), "{tool} --help failed");
        insta::assert_snapshot!(
            format!("{tool}-help"),
            String::from_utf8(out.stdout).unwrap()
        );
    }
}

/// The root action installs the binaries; its README section is the project README, so only
/// the file itself is checked here.
#[test]
fn root_action_meets_the_contract() {
    let path = workspace_root().join("action.yml");
    let action = read_action_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let findings = check_action(&path, &action);
    assert!(findings.is_empty(), "{}", report(&findings));
}

#[test]
fn well_formed_fixture_has_no_findings() {
    let contract = BinaryContract {
        inputs: [
            (
                "list-files".to_string(),
                BinaryInput::with_default(Some("none")),
            ),
            ("token".to_string(), BinaryInput::with_default(None)),
        ]
        .into_iter()
        .collect(),
        outputs: vec!["changes".into()],
    };
    let findings = check_action_dir(&fixture("good"), Some(&contract));
    assert!(findings.is_empty(), "{}", report(&findings));
}

/// The binary's input table holds the words and `required` of each input: `action.yml` must
/// say the same (line breaks and runs of spaces aside).
#[test]
fn descriptions_and_required_follow_the_binary_input_table() {
    let input = |default: Option<&str>, required: bool, description: &str| BinaryInput {
        default: default.map(str::to_owned),
        required: Some(required),
        description: Some(description.to_owned()),
    };
    let agreeing = BinaryContract {
        inputs: [
            (
                "list-files".to_string(),
                input(Some("none"), false, "How to\n   list files."),
            ),
            ("token".to_string(), input(None, true, "A token.")),
        ]
        .into_iter()
        .collect(),
        outputs: vec!["changes".into()],
    };
    let findings = check_action_dir(&fixture("good"), Some(&agreeing));
    assert!(findings.is_empty(), "{}", report(&findings));

    let disagreeing = BinaryContract {
        inputs: [
            (
                "list-files".to_string(),
                input(Some("none"), false, "How to list the files."),
            ),
            ("token".to_string(), input(None, false, "A token.")),
        ]
        .into_iter()
        .collect(),
        outputs: vec!["changes".into()],
    };
    let findings = check_action_dir(&fixture("good"), Some(&disagreeing));
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "input 'list-files' is described as 'How to list files.' in action.yml but 'How to list the files.' in the binary's input table",
            "input 'token' has required: true in action.yml but false in the binary's input table",
        ],
        "{}",
        report(&findings)
    );
}

/// Each rule can fail: the broken fixture breaks each once and every break is reported.
#[test]
fn broken_fixture_reports_every_break() {
    let contract = BinaryContract {
        inputs: [
            (
                "list-files".to_string(),
                BinaryInput::with_default(Some("none")),
            ),
            ("token".to_string(), BinaryInput::with_default(None)),
            (
                "dry-run".to_string(),
                BinaryInput::with_default(Some("true")),
            ),
            ("extra".to_string(), BinaryInput::with_default(None)),
        ]
        .into_iter()
        .collect(),
        outputs: vec!["changes".into(), "other".into()],
    };
    let findings = check_action_dir(&fixture("broken"), Some(&contract));
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    let expected = [
        "step 1 (run) has a ${{ }} expression inside run: (template injection)",
        "input 'list-files' is not mapped into a run step's env: as INPUT_LIST-FILES",
        "input 'token' is not mapped into a run step's env: as INPUT_TOKEN",
        "env INPUT_LIST_FILES in step 'run' maps no declared input",
        "output 'changes' reads steps.missing but no step has id 'missing'",
        "output 'literal' has value 'constant': expected ${{ steps.<id>.outputs.<name> }}",
        "input 'dry-run' defaults to 'false' in action.yml but 'true' in the binary",
        "the binary reads input 'extra' but action.yml does not declare it",
        "output 'literal' is declared but the binary never writes it",
        "the binary writes output 'other' but action.yml does not declare it",
        r#"Inputs table lists ["list-files", "dry-run"] but action.yml declares ["list-files", "token", "dry-run"]"#,
        "Inputs table shows default 'true' for 'dry-run' but action.yml has 'false'",
        r#"Outputs table lists ["changes"] but action.yml declares ["changes", "literal"]"#,
    ];
    for want in expected {
        assert!(
            messages.iter().any(|m| m.starts_with(want)),
            "missing finding starting with {want:?}; got:\n{}",
            report(&findings)
        );
    }
    assert_eq!(
        findings.len(),
        expected.len(),
        "unexpected findings:\n{}",
        report(&findings)
    );
}

/// JavaScript shim actions (dynamic output names): the runner maps inputs itself, so only the
/// script's presence and the output declarations are checked.
#[test]
fn javascript_shim_fixture_reports_its_breaks() {
    let contract = BinaryContract {
        inputs: [("filters".to_string(), BinaryInput::with_default(None))]
            .into_iter()
            .collect(),
        outputs: vec!["changes".into()],
    };
    let findings = check_action_dir(&fixture("js-broken"), Some(&contract));
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "output 'changes' has a value, which a JavaScript action's outputs cannot have",
            "runs.main is 'missing.js', which is not a file in the action folder",
        ],
        "{}",
        report(&findings)
    );
}

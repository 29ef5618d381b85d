//! Workflow commands printed through a Runner: annotations, groups, debug.
// Helpers here are test code too: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gantry_toolkit::{AnnotationLevel, AnnotationProperties, Env, Runner, WorkflowCommand};

#[test]
fn annotations_exact() {
    let (runner, out) = Runner::captured(on_runner());
    runner.error("plain");
    runner.warning("50% done\r\nnext");
    runner.notice("a: b, c");
    runner.annotate(
        AnnotationLevel::Error,
        "unknown key 'x'",
        &AnnotationProperties::new()
            .title("filters.yaml: invalid")
            .file("config/filters.yaml")
            .line(3)
            .end_line(4)
            .col(5)
            .end_column(9),
    );
    runner.annotate(
        AnnotationLevel::Warning,
        "w",
        &AnnotationProperties::new().file("a,b.txt"),
    );
    assert_eq!(
        out.contents(),
        "::error::plain\n\
         ::warning::50%25 done%0D%0Anext\n\
         ::notice::a: b, c\n\
         ::error title=filters.yaml%3A invalid,file=config/filters.yaml,line=3,endLine=4,col=5,endColumn=9::unknown key 'x'\n\
         ::warning file=a%2Cb.txt::w\n"
    );
}

fn step(runner: &Runner, fail: bool) -> Result<(), String> {
    let _group = runner.group("Step: build");
    runner.info("inside");
    if fail {
        Err("boom".to_owned())?;
    }
    runner.info("still inside");
    Ok(())
}

#[test]
fn group_guard_closes_on_success_error_and_early_return() {
    let (runner, out) = Runner::captured(on_runner());
    step(&runner, false).unwrap();
    assert!(step(&runner, true).is_err());
    runner.in_group("closure", || runner.info("x"));
    assert_eq!(
        out.contents(),
        "::group::Step: build\ninside\nstill inside\n::endgroup::\n\
         ::group::Step: build\ninside\n::endgroup::\n\
         ::group::closure\nx\n::endgroup::\n"
    );
}

#[test]
fn group_name_is_escaped() {
    let (runner, out) = Runner::captured(on_runner());
    drop(runner.group("a\nb%"));
    assert_eq!(out.contents(), "::group::a%0Ab%25\n::endgroup::\n");
}

#[test]
fn debug_requires_runner_debug_1() {
    for (vars, expected) in [
        (vec![], ""),
        (vec![("GITHUB_ACTIONS", "true")], ""),
        (vec![("RUNNER_DEBUG", "0")], ""),
        (vec![("RUNNER_DEBUG", "1")], "::debug::details: 100%25\n"),
        (
            vec![("RUNNER_DEBUG", "1"), ("GITHUB_ACTIONS", "true")],
            "::debug::details: 100%25\n",
        ),
    ] {
        let (runner, out) = Runner::captured(
            vars.iter()
                .copied()
                .chain([("GITHUB_ACTIONS", "true")])
                .collect(),
        );
        runner.debug("details: 100%");
        assert_eq!(out.contents(), expected, "{vars:?}");
        assert_eq!(runner.is_debug(), !expected.is_empty());
    }
}

#[test]
fn printed_commands_parse_back() {
    let (runner, out) = Runner::captured(on_runner());
    let props = AnnotationProperties::new()
        .title("t: 1, 2")
        .file("x.rs")
        .line(7);
    runner.annotate(AnnotationLevel::Warning, "multi\nline 100%", &props);
    let cmd = WorkflowCommand::parse(&out.lines()[0]).unwrap();
    assert_eq!(
        cmd,
        props.command(AnnotationLevel::Warning, "multi\nline 100%")
    );
    assert_eq!(cmd.get("title"), Some("t: 1, 2"));
    assert_eq!(cmd.get("line"), Some("7"));
    assert_eq!(cmd.message, "multi\nline 100%");
}

/// A job on a runner: workflow commands are printed as such (a terminal gets plain lines).
fn on_runner() -> Env {
    Env::new().with("GITHUB_ACTIONS", "true")
}

//! The `TestRunner` harness other crates use in their tests.
#![cfg(feature = "test-util")]
// Helpers here are test code too: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gantry_toolkit::Summary;
use gantry_toolkit::testing::TestRunner;

#[test]
fn reads_back_everything_a_tool_writes() {
    let t = TestRunner::new([("INPUT_SERVICES", "api\nweb"), ("RUNNER_DEBUG", "1")]).unwrap();
    let r = &t.runner;
    assert!(r.is_github_actions());
    let services = r.inputs().get_multiline("services");
    r.set_output("services", &services.join(",")).unwrap();
    r.set_output("services", "overwritten").unwrap();
    r.set_output("multi", "a\nb").unwrap();
    r.export_variable("AWS_REGION", "eu-west-1").unwrap();
    r.save_state("started", "1").unwrap();
    r.add_path("/opt/bin").unwrap();
    r.warning("careful");
    r.debug("dbg");
    let mut summary = Summary::new();
    summary.heading(2, "Done");
    r.write_summary(&summary).unwrap();

    let outputs = t.outputs().unwrap();
    assert_eq!(outputs["services"], "overwritten");
    assert_eq!(outputs["multi"], "a\nb");
    assert_eq!(
        t.entries(gantry_toolkit::FileCommand::Output)
            .unwrap()
            .len(),
        3
    );
    assert_eq!(t.exported_env().unwrap()["AWS_REGION"], "eu-west-1");
    assert_eq!(t.state().unwrap()["started"], "1");
    assert_eq!(t.paths().unwrap(), vec!["/opt/bin"]);
    assert_eq!(t.summary().unwrap(), "## Done\n\n");
    let commands = t.commands();
    assert_eq!(commands.len(), 2);
    assert_eq!(commands[0].name, "warning");
    assert_eq!(commands[0].message, "careful");
    assert_eq!(commands[1].name, "debug");
    assert_eq!(t.printed(), "::warning::careful\n::debug::dbg\n");
    assert!(t.dir().is_dir());
    assert_eq!(t.env().get("RUNNER_TEMP"), t.dir().to_str());
}

#[test]
fn builder_hook_and_overrides() {
    let t = TestRunner::with_builder([("INPUT_NAME", "env")], |b| {
        b.tool_name("paths-filter")
            .input_override("name", Some("flag"))
    })
    .unwrap();
    assert_eq!(t.runner.tool_name(), Some("paths-filter"));
    assert_eq!(t.runner.inputs().get("name").as_deref(), Some("flag"));
    assert_eq!(t.output("missing").unwrap(), None);
}

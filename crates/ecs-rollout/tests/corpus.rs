//! Real task definitions, taken from public repositories (`fixtures/taskdefs/`, data only; the
//! index names each one's repository, path and commit), each deployed the way a team would:
//! registered as the service's current revision, then `ecs-rollout` with a new image and
//! nothing else. The new revision must carry every field of the old one, the image aside:
//! FireLens, ECS Exec's `linuxParameters`, EFS volumes, App Mesh's `proxyConfiguration`,
//! `resourceRequirements` (GPU), `repositoryCredentials`, `systemControls`, `environmentFiles`,
//! empty lists and `null`s included.
//!
//! The emulator is not blind here: moto keeps only the top-level fields it models, so the ECS
//! driver records each RegisterTaskDefinition body as sent and puts what moto dropped back
//! into DescribeTaskDefinition, as ECS does. The test compares the bodies as sent, and prints
//! which fields moto itself dropped.
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::common::{printed, rt};
use gantry_ecs::api::{Ecs as _, SdkEcs};
use gantry_ecs::taskdef;
use gantry_testkit::ToolJob;
use gantry_testkit::ecs_driver::EcsDriver;

const NEW_IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/corpus/app:v2";

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/taskdefs")
}

/// The corpus files, as (file name, the RegisterTaskDefinition body a team would send): a
/// DescribeTaskDefinition answer is unwrapped (its tags put in), read-only fields are dropped.
fn corpus() -> Vec<(String, Value)> {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n != "index.json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let json: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let def = if json.get("taskDefinition").is_some() {
                taskdef::from_describe(json).unwrap()
            } else {
                json
            };
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, taskdef::strip_read_only(&def))
        })
        .collect()
}

/// Every (JSON pointer, value) of the leaves of `v`, for "is each of these in the other one".
fn leaves(v: &Value, pointer: String, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                let key = k.replace('~', "~0").replace('/', "~1");
                leaves(x, format!("{pointer}/{key}"), out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                leaves(x, format!("{pointer}/{i}"), out);
            }
        }
        _ => out.push((pointer, v.clone())),
    }
}

/// `def` with the image of container `index` replaced.
fn with_image(def: &Value, index: usize, image: &str) -> Value {
    let mut def = def.clone();
    def["containerDefinitions"][index]["image"] = Value::String(image.into());
    def
}

fn with_family(def: &Value, family: &str) -> Value {
    let mut m: Map<String, Value> = def.as_object().unwrap().clone();
    m.insert("family".into(), Value::String(family.into()));
    Value::Object(m)
}

/// Waits until the service's first deployment (of `td`) completed, as a team's service would
/// be before a deploy.
fn wait_until_completed(sdk: &aws_sdk_ecs::Client, cluster: &str, td: &str, file: &str) {
    let start = std::time::Instant::now();
    loop {
        let service = rt().block_on(async {
            sdk.describe_services()
                .cluster(cluster)
                .services("svc")
                .send()
                .await
                .unwrap()
                .services()[0]
                .clone()
        });
        let d = service.deployments();
        if d.len() == 1
            && d[0].task_definition() == Some(td)
            && d[0].rollout_state() == Some(&aws_sdk_ecs::types::DeploymentRolloutState::Completed)
        {
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "{file}: the first deployment did not complete"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// `ecs-rollout` with a new image for the first container: (that container, the new
/// revision's ARN), or what went wrong.
fn deploy(
    driver: &EcsDriver,
    file: &str,
    def: &Value,
    cluster: &str,
) -> Result<(String, String), String> {
    let container = taskdef::container_names(def)[0].clone();
    let job = ToolJob::new(env!("CARGO_BIN_EXE_ecs-rollout"));
    let mut cmd = job.command(job.temp());
    for (k, v) in driver.aws_env() {
        cmd.env(k, v);
    }
    ToolJob::inputs(
        &mut cmd,
        &[
            ("cluster", cluster),
            ("service", "svc"),
            ("image-ref", NEW_IMAGE),
            // about carrying fields: the roles, secrets and images they name are not in moto
            ("verify", "false"),
        ],
    );
    // Named only when there are several, as a team would (one corpus file is a template whose
    // only container is still called "{{ must_env `BOT_NAME` }}").
    if taskdef::container_names(def).len() > 1 {
        ToolJob::inputs(&mut cmd, &[("container", &container)]);
    }
    let out = ToolJob::run(&mut cmd);
    if !out.status.success() {
        return Err(format!("{file}: ecs-rollout failed:\n{}", printed(&out)));
    }
    let second = job
        .output("task-definition-arn")
        .ok_or_else(|| format!("{file}: no output task-definition-arn"))?;
    Ok((container, second))
}

#[test]
fn every_real_task_definition_is_carried_whole_through_a_deploy() {
    let driver = EcsDriver::shared();
    let sdk = aws_sdk_ecs::Client::from_conf(
        aws_sdk_ecs::Config::builder()
            .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
            .region(aws_sdk_ecs::config::Region::new("us-east-1"))
            .endpoint_url(driver.url())
            .credentials_provider(aws_sdk_ecs::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .build(),
    );
    let ecs = SdkEcs::new(sdk.clone());
    let corpus = corpus();
    assert!(corpus.len() >= 40, "the corpus has {} files", corpus.len());
    // The teams' current revisions, registered through gantry's own raw-JSON path, each the
    // service of a cluster of its own.
    let mut cases = Vec::new();
    for (i, (file, def)) in corpus.iter().enumerate() {
        let family = format!("corpus-{i}");
        let cluster = format!("c-corpus-{i}");
        let def = with_family(def, &family);
        let first = rt()
            .block_on(ecs.register_task_definition(&def))
            .unwrap_or_else(|e| panic!("{file}: registering it failed: {e}"));
        rt().block_on(async {
            sdk.create_cluster()
                .cluster_name(&cluster)
                .send()
                .await
                .unwrap();
            sdk.create_service()
                .cluster(&cluster)
                .service_name("svc")
                .task_definition(&first)
                .desired_count(1)
                .send()
                .await
                .unwrap();
        });
        cases.push((file.as_str(), def, cluster, first));
    }
    for (file, _, cluster, first) in &cases {
        wait_until_completed(&sdk, cluster, first, file);
    }
    // Deployed a few at a time, each with a new image and nothing else.
    let results: Vec<Result<(String, String), String>> = std::thread::scope(|scope| {
        cases
            .chunks(cases.len().div_ceil(4))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(file, def, cluster, _)| deploy(driver, file, def, cluster))
                        .collect::<Vec<_>>()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect()
    });
    let registered = driver.registered_task_definitions();
    let mut moto_dropped = BTreeSet::new();
    let mut moto_altered = BTreeSet::new();
    let mut failures = Vec::new();
    for ((file, def, _, first), result) in cases.iter().zip(results) {
        let (container, second) = match result {
            Ok(deployed) => deployed,
            Err(failure) => {
                failures.push(failure);
                continue;
            }
        };
        let sent_first = registered.iter().find(|r| r.arn == *first).unwrap();
        moto_dropped.extend(sent_first.dropped.iter().map(|p| format!("{file}: {p}")));
        let Some(sent_second) = registered.iter().find(|r| r.arn == second) else {
            failures.push(format!("{file}: no RegisterTaskDefinition for {second}"));
            continue;
        };
        let index = taskdef::container_names(def)
            .iter()
            .position(|n| *n == container)
            .unwrap();
        // gantry sends back exactly what ECS answered for the current revision, but the image.
        let described = rt().block_on(ecs.describe_task_definition(first)).unwrap();
        let expected = with_image(&taskdef::strip_read_only(&described), index, NEW_IMAGE);
        if sent_second.sent != expected {
            let (mut want, mut got) = (Vec::new(), Vec::new());
            leaves(&expected, String::new(), &mut want);
            leaves(&sent_second.sent, String::new(), &mut got);
            let missing: Vec<_> = want.iter().filter(|l| !got.contains(l)).collect();
            let extra: Vec<_> = got.iter().filter(|l| !want.contains(l)).collect();
            failures.push(format!(
                "{file}: the new revision is not the current one with a new image: lacks {missing:?}, adds {extra:?}"
            ));
        }
        // And what ECS answered is what the team registered: every leaf of theirs is there,
        // unless moto itself changed it (listed below).
        let mut theirs = Vec::new();
        leaves(def, String::new(), &mut theirs);
        for (pointer, value) in theirs {
            if pointer == "/tags" && value == serde_json::json!([]) {
                continue; // no tags: DescribeTaskDefinition answers none
            }
            match described.pointer(&pointer) {
                Some(v) if *v == value => {}
                Some(v) => {
                    moto_altered.insert(format!("{file}: {pointer}: {value} -> {v}"));
                }
                None => failures.push(format!("{file}: {pointer} ({value}) was lost")),
            }
        }
    }
    eprintln!(
        "fields moto itself drops (the driver puts them back):\n{}\n\nvalues moto itself changes:\n{}",
        moto_dropped.iter().cloned().collect::<Vec<_>>().join("\n"),
        moto_altered.iter().cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

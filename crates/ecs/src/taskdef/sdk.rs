//! Task definition JSON to and from the SDK's types: DescribeTaskDefinition's answer read into
//! RegisterTaskDefinition JSON ([`to_json`]), and that JSON built into a RegisterTaskDefinition
//! request ([`register_request`], [`validate`]).
//!
//! The conversions cover the fields services use, from a list kept by hand; a field that is set
//! but not carried is an error naming it ([`TaskDefError::Unsupported`]), never silently dropped
//! from the new revision.

use aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder;
use aws_sdk_ecs::types as sdk;
use serde_json::{Map, Value, json};

/// A task definition that cannot be converted. The messages name the field, never a tool's
/// input: a tool that wants to say what to do instead maps the variant to its own words.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TaskDefError {
    /// A field the conversion does not carry (its path in the JSON).
    #[error("the task definition sets '{0}', which gantry cannot carry into a new revision yet")]
    Unsupported(String),
    /// The JSON does not have the shape RegisterTaskDefinition takes.
    #[error("the task definition is not valid: {0}")]
    Invalid(String),
}

fn kv_list(items: &[sdk::KeyValuePair]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|kv| json!({"name": kv.name(), "value": kv.value()}))
            .collect(),
    )
}

fn put<T: Into<Value>>(map: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), v.into());
    }
}

fn strings(v: &[String]) -> Option<Value> {
    (!v.is_empty()).then(|| Value::Array(v.iter().cloned().map(Value::String).collect()))
}

fn container_to_json(c: &sdk::ContainerDefinition, not_carried: &mut Vec<String>) -> Value {
    let unsupported = [
        (
            "repositoryCredentials",
            c.repository_credentials().is_some(),
        ),
        ("linuxParameters", c.linux_parameters().is_some()),
        (
            "firelensConfiguration",
            c.firelens_configuration().is_some(),
        ),
        ("environmentFiles", !c.environment_files().is_empty()),
        ("restartPolicy", c.restart_policy().is_some()),
        ("systemControls", !c.system_controls().is_empty()),
        (
            "resourceRequirements",
            !c.resource_requirements().is_empty(),
        ),
        ("credentialSpecs", !c.credential_specs().is_empty()),
        ("extraHosts", !c.extra_hosts().is_empty()),
    ];
    for (name, _) in unsupported.iter().filter(|(_, set)| *set) {
        not_carried.push(format!(
            "containerDefinitions[{}].{name}",
            c.name().unwrap_or("?")
        ));
    }
    let mut m = Map::new();
    put(&mut m, "name", c.name());
    put(&mut m, "image", c.image());
    m.insert("cpu".into(), c.cpu().into());
    put(&mut m, "memory", c.memory());
    put(&mut m, "memoryReservation", c.memory_reservation());
    put(&mut m, "essential", c.essential());
    put(&mut m, "entryPoint", strings(c.entry_point()));
    put(&mut m, "command", strings(c.command()));
    put(&mut m, "links", strings(c.links()));
    put(&mut m, "dnsServers", strings(c.dns_servers()));
    put(&mut m, "dnsSearchDomains", strings(c.dns_search_domains()));
    put(
        &mut m,
        "dockerSecurityOptions",
        strings(c.docker_security_options()),
    );
    m.insert("environment".into(), kv_list(c.environment()));
    if !c.secrets().is_empty() {
        m.insert(
            "secrets".into(),
            Value::Array(
                c.secrets()
                    .iter()
                    .map(|s| json!({"name": s.name(), "valueFrom": s.value_from()}))
                    .collect(),
            ),
        );
    }
    m.insert(
        "portMappings".into(),
        Value::Array(
            c.port_mappings()
                .iter()
                .map(|p| {
                    let mut pm = Map::new();
                    put(&mut pm, "containerPort", p.container_port());
                    put(&mut pm, "hostPort", p.host_port());
                    put(&mut pm, "protocol", p.protocol().map(|x| x.as_str()));
                    put(&mut pm, "name", p.name());
                    put(&mut pm, "appProtocol", p.app_protocol().map(|x| x.as_str()));
                    put(&mut pm, "containerPortRange", p.container_port_range());
                    Value::Object(pm)
                })
                .collect(),
        ),
    );
    m.insert(
        "mountPoints".into(),
        Value::Array(
            c.mount_points()
                .iter()
                .map(|p| {
                    let mut mp = Map::new();
                    put(&mut mp, "sourceVolume", p.source_volume());
                    put(&mut mp, "containerPath", p.container_path());
                    put(&mut mp, "readOnly", p.read_only());
                    Value::Object(mp)
                })
                .collect(),
        ),
    );
    m.insert(
        "volumesFrom".into(),
        Value::Array(
            c.volumes_from()
                .iter()
                .map(|v| {
                    let mut vm = Map::new();
                    put(&mut vm, "sourceContainer", v.source_container());
                    put(&mut vm, "readOnly", v.read_only());
                    Value::Object(vm)
                })
                .collect(),
        ),
    );
    if !c.depends_on().is_empty() {
        m.insert(
            "dependsOn".into(),
            Value::Array(
                c.depends_on()
                    .iter()
                    .map(|d| json!({"containerName": d.container_name(), "condition": d.condition().as_str()}))
                    .collect(),
            ),
        );
    }
    if let Some(l) = c.log_configuration() {
        let mut lm = Map::new();
        lm.insert("logDriver".into(), l.log_driver().as_str().into());
        if let Some(opts) = l.options() {
            let o: Map<String, Value> = opts
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            lm.insert("options".into(), Value::Object(o));
        }
        if !l.secret_options().is_empty() {
            lm.insert(
                "secretOptions".into(),
                Value::Array(
                    l.secret_options()
                        .iter()
                        .map(|s| json!({"name": s.name(), "valueFrom": s.value_from()}))
                        .collect(),
                ),
            );
        }
        m.insert("logConfiguration".into(), Value::Object(lm));
    }
    if let Some(h) = c.health_check() {
        let mut hm = Map::new();
        hm.insert("command".into(), h.command().to_vec().into());
        put(&mut hm, "interval", h.interval());
        put(&mut hm, "timeout", h.timeout());
        put(&mut hm, "retries", h.retries());
        put(&mut hm, "startPeriod", h.start_period());
        m.insert("healthCheck".into(), Value::Object(hm));
    }
    if !c.ulimits().is_empty() {
        m.insert(
            "ulimits".into(),
            Value::Array(
                c.ulimits()
                    .iter()
                    .map(|u| json!({"name": u.name().as_str(), "softLimit": u.soft_limit(), "hardLimit": u.hard_limit()}))
                    .collect(),
            ),
        );
    }
    if let Some(labels) = c.docker_labels() {
        let o: Map<String, Value> = labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        m.insert("dockerLabels".into(), Value::Object(o));
    }
    put(&mut m, "startTimeout", c.start_timeout());
    put(&mut m, "stopTimeout", c.stop_timeout());
    put(&mut m, "hostname", c.hostname());
    put(&mut m, "user", c.user());
    put(&mut m, "workingDirectory", c.working_directory());
    put(&mut m, "disableNetworking", c.disable_networking());
    put(&mut m, "privileged", c.privileged());
    put(
        &mut m,
        "readonlyRootFilesystem",
        c.readonly_root_filesystem(),
    );
    put(&mut m, "interactive", c.interactive());
    put(&mut m, "pseudoTerminal", c.pseudo_terminal());
    put(
        &mut m,
        "versionConsistency",
        c.version_consistency().map(|v| v.as_str()),
    );
    Value::Object(m)
}

/// The key under which [`to_json`] lists the fields it could not carry. Describing never fails
/// because of them (a revision can still be redeployed as it is); registering a copy does.
pub const NOT_CARRIED: &str = "x-gantry-not-carried";

/// A described task definition as JSON: every field RegisterTaskDefinition takes, plus the
/// read-only ones (ARN, revision, status, …) that [`crate::taskdef::strip_read_only`] removes.
pub fn to_json(td: &sdk::TaskDefinition, tags: &[sdk::Tag]) -> Result<Value, TaskDefError> {
    let unsupported = [
        ("proxyConfiguration", td.proxy_configuration().is_some()),
        (
            "inferenceAccelerators",
            !td.inference_accelerators().is_empty(),
        ),
    ];
    let mut not_carried: Vec<String> = unsupported
        .iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| (*name).to_owned())
        .collect();
    let mut m = Map::new();
    put(&mut m, "taskDefinitionArn", td.task_definition_arn());
    put(&mut m, "family", td.family());
    put(&mut m, "revision", Some(td.revision()));
    put(&mut m, "status", td.status().map(|s| s.as_str()));
    put(&mut m, "taskRoleArn", td.task_role_arn());
    put(&mut m, "executionRoleArn", td.execution_role_arn());
    put(&mut m, "networkMode", td.network_mode().map(|n| n.as_str()));
    put(&mut m, "cpu", td.cpu());
    put(&mut m, "memory", td.memory());
    put(&mut m, "pidMode", td.pid_mode().map(|n| n.as_str()));
    put(&mut m, "ipcMode", td.ipc_mode().map(|n| n.as_str()));
    put(&mut m, "enableFaultInjection", td.enable_fault_injection());
    let containers: Vec<Value> = td
        .container_definitions()
        .iter()
        .map(|c| container_to_json(c, &mut not_carried))
        .collect();
    m.insert("containerDefinitions".into(), Value::Array(containers));
    let mut volumes = Vec::new();
    for v in td.volumes() {
        if v.efs_volume_configuration().is_some()
            || v.docker_volume_configuration().is_some()
            || v.fsx_windows_file_server_volume_configuration().is_some()
        {
            not_carried.push(format!(
                "volumes[{}] (EFS, Docker or FSx volume configuration)",
                v.name().unwrap_or("?")
            ));
        }
        let mut vm = Map::new();
        put(&mut vm, "name", v.name());
        if let Some(h) = v.host() {
            vm.insert("host".into(), json!({"sourcePath": h.source_path()}));
        }
        put(&mut vm, "configuredAtLaunch", v.configured_at_launch());
        volumes.push(Value::Object(vm));
    }
    m.insert("volumes".into(), Value::Array(volumes));
    m.insert(
        "placementConstraints".into(),
        Value::Array(
            td.placement_constraints()
                .iter()
                .map(|p| json!({"type": p.r#type().map(|t| t.as_str()), "expression": p.expression()}))
                .collect(),
        ),
    );
    if !td.compatibilities().is_empty() {
        m.insert(
            "compatibilities".into(),
            td.compatibilities()
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect::<Vec<_>>()
                .into(),
        );
    }
    if !td.requires_compatibilities().is_empty() {
        m.insert(
            "requiresCompatibilities".into(),
            td.requires_compatibilities()
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect::<Vec<_>>()
                .into(),
        );
    }
    if let Some(r) = td.runtime_platform() {
        let mut rm = Map::new();
        put(
            &mut rm,
            "cpuArchitecture",
            r.cpu_architecture().map(|x| x.as_str()),
        );
        put(
            &mut rm,
            "operatingSystemFamily",
            r.operating_system_family().map(|x| x.as_str()),
        );
        m.insert("runtimePlatform".into(), Value::Object(rm));
    }
    if let Some(e) = td.ephemeral_storage() {
        m.insert(
            "ephemeralStorage".into(),
            json!({"sizeInGiB": e.size_in_gib()}),
        );
    }
    if !td.requires_attributes().is_empty() {
        m.insert(
            "requiresAttributes".into(),
            Value::Array(
                td.requires_attributes()
                    .iter()
                    .map(|a| json!({"name": a.name()}))
                    .collect(),
            ),
        );
    }
    if let Some(t) = td.registered_at() {
        m.insert("registeredAt".into(), t.to_string().into());
    }
    put(&mut m, "registeredBy", td.registered_by());
    if let Some(t) = td.deregistered_at() {
        m.insert("deregisteredAt".into(), t.to_string().into());
    }
    if !tags.is_empty() {
        m.insert(
            "tags".into(),
            Value::Array(
                tags.iter()
                    .map(|t| json!({"key": t.key(), "value": t.value()}))
                    .collect(),
            ),
        );
    }
    if !not_carried.is_empty() {
        m.insert(NOT_CARRIED.into(), not_carried.into());
    }
    Ok(Value::Object(m))
}

// --- JSON → RegisterTaskDefinition -------------------------------------------------------------

fn invalid(msg: impl Into<String>) -> TaskDefError {
    TaskDefError::Invalid(msg.into())
}

fn obj<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, TaskDefError> {
    v.as_object()
        .ok_or_else(|| invalid(format!("{what} must be a JSON object")))
}

fn s<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<Option<&'a str>, TaskDefError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(x)) => Ok(Some(x)),
        Some(_) => Err(invalid(format!("{what}.{key} must be a string"))),
    }
}

fn i(m: &Map<String, Value>, key: &str, what: &str) -> Result<Option<i32>, TaskDefError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| invalid(format!("{what}.{key} must be an integer"))),
    }
}

fn b(m: &Map<String, Value>, key: &str, what: &str) -> Result<Option<bool>, TaskDefError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(x)) => Ok(Some(*x)),
        Some(_) => Err(invalid(format!("{what}.{key} must be true or false"))),
    }
}

fn list<'a>(m: &'a Map<String, Value>, key: &str, what: &str) -> Result<&'a [Value], TaskDefError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(invalid(format!("{what}.{key} must be a list"))),
    }
}

fn string_list(
    m: &Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<Option<Vec<String>>, TaskDefError> {
    if m.get(key).is_none_or(Value::is_null) {
        return Ok(None);
    }
    list(m, key, what)?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| invalid(format!("{what}.{key} must be a list of strings")))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn string_map(
    m: &Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<Option<std::collections::HashMap<String, String>>, TaskDefError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|x| (k.clone(), x.to_owned()))
                    .ok_or_else(|| invalid(format!("{what}.{key}.{k} must be a string")))
            })
            .collect::<Result<_, _>>()
            .map(Some),
        Some(_) => Err(invalid(format!(
            "{what}.{key} must be an object of strings"
        ))),
    }
}

fn check_keys(m: &Map<String, Value>, known: &[&str], what: &str) -> Result<(), TaskDefError> {
    match m.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) if what.is_empty() => Err(TaskDefError::Unsupported(k.clone())),
        Some(k) => Err(TaskDefError::Unsupported(format!("{what}.{k}"))),
    }
}

const TASK_KEYS: &[&str] = &[
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "tags",
    "pidMode",
    "ipcMode",
    "runtimePlatform",
    "ephemeralStorage",
    "enableFaultInjection",
];

const CONTAINER_KEYS: &[&str] = &[
    "name",
    "image",
    "cpu",
    "memory",
    "memoryReservation",
    "essential",
    "entryPoint",
    "command",
    "links",
    "dnsServers",
    "dnsSearchDomains",
    "dockerSecurityOptions",
    "environment",
    "secrets",
    "portMappings",
    "mountPoints",
    "volumesFrom",
    "dependsOn",
    "logConfiguration",
    "healthCheck",
    "ulimits",
    "dockerLabels",
    "startTimeout",
    "stopTimeout",
    "hostname",
    "user",
    "workingDirectory",
    "disableNetworking",
    "privileged",
    "readonlyRootFilesystem",
    "interactive",
    "pseudoTerminal",
    "versionConsistency",
];

fn name_value(v: &Value, what: &str) -> Result<(String, String), TaskDefError> {
    let m = obj(v, what)?;
    let name = s(m, "name", what)?.ok_or_else(|| invalid(format!("{what} needs a name")))?;
    Ok((
        name.to_owned(),
        m.get("value")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    ))
}

fn secret(v: &Value, what: &str) -> Result<sdk::Secret, TaskDefError> {
    let m = obj(v, what)?;
    sdk::Secret::builder()
        .set_name(s(m, "name", what)?.map(str::to_owned))
        .set_value_from(s(m, "valueFrom", what)?.map(str::to_owned))
        .build()
        .map_err(|e| invalid(format!("{what}: {e}")))
}

fn container(v: &Value) -> Result<sdk::ContainerDefinition, TaskDefError> {
    let m = obj(v, "a container definition")?;
    let name = s(m, "name", "containerDefinitions[]")?
        .ok_or_else(|| invalid("every container definition needs a name"))?;
    let what = format!("containerDefinitions[{name}]");
    let what = what.as_str();
    check_keys(m, CONTAINER_KEYS, what)?;
    let mut c = sdk::ContainerDefinition::builder()
        .name(name)
        .set_image(s(m, "image", what)?.map(str::to_owned))
        .set_cpu(i(m, "cpu", what)?)
        .set_memory(i(m, "memory", what)?)
        .set_memory_reservation(i(m, "memoryReservation", what)?)
        .set_essential(b(m, "essential", what)?)
        .set_entry_point(string_list(m, "entryPoint", what)?)
        .set_command(string_list(m, "command", what)?)
        .set_links(string_list(m, "links", what)?)
        .set_dns_servers(string_list(m, "dnsServers", what)?)
        .set_dns_search_domains(string_list(m, "dnsSearchDomains", what)?)
        .set_docker_security_options(string_list(m, "dockerSecurityOptions", what)?)
        .set_docker_labels(string_map(m, "dockerLabels", what)?)
        .set_start_timeout(i(m, "startTimeout", what)?)
        .set_stop_timeout(i(m, "stopTimeout", what)?)
        .set_hostname(s(m, "hostname", what)?.map(str::to_owned))
        .set_user(s(m, "user", what)?.map(str::to_owned))
        .set_working_directory(s(m, "workingDirectory", what)?.map(str::to_owned))
        .set_disable_networking(b(m, "disableNetworking", what)?)
        .set_privileged(b(m, "privileged", what)?)
        .set_readonly_root_filesystem(b(m, "readonlyRootFilesystem", what)?)
        .set_interactive(b(m, "interactive", what)?)
        .set_pseudo_terminal(b(m, "pseudoTerminal", what)?)
        .set_version_consistency(
            s(m, "versionConsistency", what)?.map(sdk::VersionConsistency::from),
        );
    for e in list(m, "environment", what)? {
        let (n, val) = name_value(e, &format!("{what}.environment[]"))?;
        c = c.environment(sdk::KeyValuePair::builder().name(n).value(val).build());
    }
    for e in list(m, "secrets", what)? {
        c = c.secrets(secret(e, &format!("{what}.secrets[]"))?);
    }
    for p in list(m, "portMappings", what)? {
        let pw = format!("{what}.portMappings[]");
        let pm = obj(p, &pw)?;
        check_keys(
            pm,
            &[
                "containerPort",
                "hostPort",
                "protocol",
                "name",
                "appProtocol",
                "containerPortRange",
            ],
            &pw,
        )?;
        c = c.port_mappings(
            sdk::PortMapping::builder()
                .set_container_port(i(pm, "containerPort", &pw)?)
                .set_host_port(i(pm, "hostPort", &pw)?)
                .set_protocol(s(pm, "protocol", &pw)?.map(sdk::TransportProtocol::from))
                .set_name(s(pm, "name", &pw)?.map(str::to_owned))
                .set_app_protocol(s(pm, "appProtocol", &pw)?.map(sdk::ApplicationProtocol::from))
                .set_container_port_range(s(pm, "containerPortRange", &pw)?.map(str::to_owned))
                .build(),
        );
    }
    for p in list(m, "mountPoints", what)? {
        let pw = format!("{what}.mountPoints[]");
        let pm = obj(p, &pw)?;
        c = c.mount_points(
            sdk::MountPoint::builder()
                .set_source_volume(s(pm, "sourceVolume", &pw)?.map(str::to_owned))
                .set_container_path(s(pm, "containerPath", &pw)?.map(str::to_owned))
                .set_read_only(b(pm, "readOnly", &pw)?)
                .build(),
        );
    }
    for p in list(m, "volumesFrom", what)? {
        let pw = format!("{what}.volumesFrom[]");
        let pm = obj(p, &pw)?;
        c = c.volumes_from(
            sdk::VolumeFrom::builder()
                .set_source_container(s(pm, "sourceContainer", &pw)?.map(str::to_owned))
                .set_read_only(b(pm, "readOnly", &pw)?)
                .build(),
        );
    }
    for p in list(m, "dependsOn", what)? {
        let pw = format!("{what}.dependsOn[]");
        let pm = obj(p, &pw)?;
        c = c.depends_on(
            sdk::ContainerDependency::builder()
                .set_container_name(s(pm, "containerName", &pw)?.map(str::to_owned))
                .set_condition(s(pm, "condition", &pw)?.map(sdk::ContainerCondition::from))
                .build()
                .map_err(|e| invalid(format!("{pw}: {e}")))?,
        );
    }
    for p in list(m, "ulimits", what)? {
        let pw = format!("{what}.ulimits[]");
        let pm = obj(p, &pw)?;
        c = c.ulimits(
            sdk::Ulimit::builder()
                .set_name(s(pm, "name", &pw)?.map(sdk::UlimitName::from))
                .set_soft_limit(i(pm, "softLimit", &pw)?)
                .set_hard_limit(i(pm, "hardLimit", &pw)?)
                .build()
                .map_err(|e| invalid(format!("{pw}: {e}")))?,
        );
    }
    if let Some(l) = m.get("logConfiguration").filter(|v| !v.is_null()) {
        c = c.log_configuration(log_configuration(l, &format!("{what}.logConfiguration"))?);
    }
    if let Some(h) = m.get("healthCheck").filter(|v| !v.is_null()) {
        let hw = format!("{what}.healthCheck");
        let hm = obj(h, &hw)?;
        c = c.health_check(
            sdk::HealthCheck::builder()
                .set_command(string_list(hm, "command", &hw)?)
                .set_interval(i(hm, "interval", &hw)?)
                .set_timeout(i(hm, "timeout", &hw)?)
                .set_retries(i(hm, "retries", &hw)?)
                .set_start_period(i(hm, "startPeriod", &hw)?)
                .build()
                .map_err(|e| invalid(format!("{hw}: {e}")))?,
        );
    }
    Ok(c.build())
}

/// A `logConfiguration` object (a tool checks an input of that shape with it).
pub fn log_configuration(v: &Value, what: &str) -> Result<sdk::LogConfiguration, TaskDefError> {
    let lm = obj(v, what)?;
    check_keys(lm, &["logDriver", "options", "secretOptions"], what)?;
    let driver = s(lm, "logDriver", what)?
        .ok_or_else(|| invalid(format!("{what} needs a logDriver, such as awslogs")))?;
    let mut l = sdk::LogConfiguration::builder()
        .log_driver(sdk::LogDriver::from(driver))
        .set_options(string_map(lm, "options", what)?);
    for so in list(lm, "secretOptions", what)? {
        l = l.secret_options(secret(so, &format!("{what}.secretOptions[]"))?);
    }
    l.build().map_err(|e| invalid(format!("{what}: {e}")))
}

/// Checks that `def` converts to a RegisterTaskDefinition request (no request is sent): run
/// before anything is registered, and in dry runs.
pub fn validate(def: &Value) -> Result<(), TaskDefError> {
    let conf = aws_sdk_ecs::Config::builder()
        .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
        .build();
    let client = aws_sdk_ecs::Client::from_conf(conf);
    register_request(client.register_task_definition(), def).map(|_| ())
}

/// The request that registers `def`. Unknown keys are errors (see the module docs).
pub fn register_request(
    mut req: RegisterTaskDefinitionFluentBuilder,
    def: &Value,
) -> Result<RegisterTaskDefinitionFluentBuilder, TaskDefError> {
    let m = obj(def, "the task definition")?;
    if let Some(fields) = m.get(NOT_CARRIED).and_then(Value::as_array) {
        let names: Vec<&str> = fields.iter().filter_map(Value::as_str).collect();
        return Err(TaskDefError::Unsupported(names.join(", ")));
    }
    check_keys(m, TASK_KEYS, "")?;
    let what = "the task definition";
    let family =
        s(m, "family", what)?.ok_or_else(|| invalid("the task definition needs a family"))?;
    req = req
        .family(family)
        .set_task_role_arn(s(m, "taskRoleArn", what)?.map(str::to_owned))
        .set_execution_role_arn(s(m, "executionRoleArn", what)?.map(str::to_owned))
        .set_network_mode(s(m, "networkMode", what)?.map(sdk::NetworkMode::from))
        .set_cpu(s(m, "cpu", what)?.map(str::to_owned))
        .set_memory(s(m, "memory", what)?.map(str::to_owned))
        .set_pid_mode(s(m, "pidMode", what)?.map(sdk::PidMode::from))
        .set_ipc_mode(s(m, "ipcMode", what)?.map(sdk::IpcMode::from))
        .set_enable_fault_injection(b(m, "enableFaultInjection", what)?);
    for c in list(m, "containerDefinitions", what)? {
        req = req.container_definitions(container(c)?);
    }
    for v in list(m, "volumes", what)? {
        let vm = obj(v, "volumes[]")?;
        check_keys(vm, &["name", "host", "configuredAtLaunch"], "volumes[]")?;
        let mut vb = sdk::Volume::builder()
            .set_name(s(vm, "name", "volumes[]")?.map(str::to_owned))
            .set_configured_at_launch(b(vm, "configuredAtLaunch", "volumes[]")?);
        if let Some(h) = vm.get("host").and_then(Value::as_object) {
            vb = vb.host(
                sdk::HostVolumeProperties::builder()
                    .set_source_path(s(h, "sourcePath", "volumes[].host")?.map(str::to_owned))
                    .build(),
            );
        }
        req = req.volumes(vb.build());
    }
    for p in list(m, "placementConstraints", what)? {
        let pm = obj(p, "placementConstraints[]")?;
        req = req.placement_constraints(
            sdk::TaskDefinitionPlacementConstraint::builder()
                .set_type(
                    s(pm, "type", "placementConstraints[]")?
                        .map(sdk::TaskDefinitionPlacementConstraintType::from),
                )
                .set_expression(s(pm, "expression", "placementConstraints[]")?.map(str::to_owned))
                .build(),
        );
    }
    if let Some(rc) = string_list(m, "requiresCompatibilities", what)? {
        for c in rc {
            req = req.requires_compatibilities(sdk::Compatibility::from(c.as_str()));
        }
    }
    for t in list(m, "tags", what)? {
        let tm = obj(t, "tags[]")?;
        req = req.tags(
            sdk::Tag::builder()
                .set_key(s(tm, "key", "tags[]")?.map(str::to_owned))
                .set_value(s(tm, "value", "tags[]")?.map(str::to_owned))
                .build(),
        );
    }
    if let Some(r) = m.get("runtimePlatform").and_then(Value::as_object) {
        req = req.runtime_platform(
            sdk::RuntimePlatform::builder()
                .set_cpu_architecture(
                    s(r, "cpuArchitecture", "runtimePlatform")?.map(sdk::CpuArchitecture::from),
                )
                .set_operating_system_family(
                    s(r, "operatingSystemFamily", "runtimePlatform")?.map(sdk::OsFamily::from),
                )
                .build(),
        );
    }
    if let Some(e) = m.get("ephemeralStorage").and_then(Value::as_object) {
        let size = i(e, "sizeInGiB", "ephemeralStorage")?.unwrap_or(20);
        req = req.ephemeral_storage(sdk::EphemeralStorage::builder().size_in_gib(size).build());
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_refused_not_dropped() {
        let conf = aws_sdk_ecs::Config::builder()
            .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
            .build();
        let client = aws_sdk_ecs::Client::from_conf(conf);
        let def = json!({"family": "f", "containerDefinitions": [{"name": "a", "image": "x", "linuxParameters": {}}]});
        let err = register_request(client.register_task_definition(), &def).unwrap_err();
        assert_eq!(
            err,
            TaskDefError::Unsupported("containerDefinitions[a].linuxParameters".into())
        );
        let def = json!({"family": "f", "proxyConfiguration": {}, "containerDefinitions": []});
        let err = register_request(client.register_task_definition(), &def).unwrap_err();
        assert_eq!(err, TaskDefError::Unsupported("proxyConfiguration".into()));
        // what a description could not carry is named when a copy is registered
        let def = json!({"family": "f", "containerDefinitions": [], NOT_CARRIED: ["volumes[efs] (EFS, Docker or FSx volume configuration)"]});
        let err = validate(&def).unwrap_err().to_string();
        assert!(err.contains("sets 'volumes[efs] (EFS"), "{err}");
    }
}

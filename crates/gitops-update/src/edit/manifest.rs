//! Workload manifests: the `image:` of every container (`containers`, `initContainers`,
//! `ephemeralContainers`) of the workloads of a multi-document stream, `List`s included.

use super::apply::Slot;
use super::names::{compose, is_target, new_repository, repository_to_write, split};
use super::tree::{At, Tree};
use super::{Current, EditError, Target};

/// The workload kinds, and where their pod spec is.
const WORKLOADS: &[(&str, &[&str])] = &[
    ("Deployment", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("ReplicationController", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
    ("Pod", &["spec"]),
    ("PodTemplate", &["template", "spec"]),
    // Argo Rollouts.
    ("Rollout", &["spec", "template", "spec"]),
];

/// The container lists of a pod spec.
const CONTAINER_LISTS: &[&str] = &["initContainers", "containers", "ephemeralContainers"];

fn pod_spec_path(kind: &str, api_version: &str) -> Option<&'static [&'static str]> {
    if kind == "Service" && api_version.starts_with("serving.knative.dev/") {
        return Some(&["spec", "template", "spec"]);
    }
    WORKLOADS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, path)| *path)
}

/// A workload of the file: `Kind/name` and its pod spec.
#[derive(Debug)]
struct Workload {
    label: String,
    pod_spec: At,
}

fn workloads(tree: &Tree<'_>, at: &At, out: &mut Vec<Workload>) {
    if !tree.is_map(at) {
        return;
    }
    let kind = tree.get_str(at, "kind").unwrap_or("");
    let api_version = tree.get_str(at, "apiVersion").unwrap_or("");
    if kind.ends_with("List")
        && let Some(items) = tree.get(at, "items")
    {
        for item in tree.items(&items) {
            workloads(tree, &item, out);
        }
        return;
    }
    if let Some(path) = pod_spec_path(kind, api_version)
        && let Some(pod_spec) = tree.path(at, path)
    {
        let name = tree
            .get(at, "metadata")
            .and_then(|m| tree.get_str(&m, "name"))
            .unwrap_or("");
        let label = if name.is_empty() {
            kind.to_owned()
        } else {
            format!("{kind}/{name}")
        };
        out.push(Workload { label, pod_spec });
    }
}

/// Whether a document is (or lists) a workload.
pub(super) fn has_workloads(tree: &Tree<'_>, root: &At) -> bool {
    let mut out = Vec::new();
    workloads(tree, root, &mut out);
    !out.is_empty()
}

/// A container of a workload.
#[derive(Debug)]
struct Container {
    field: String,
    name: Option<String>,
    image: Option<At>,
}

fn containers(tree: &Tree<'_>) -> Vec<Container> {
    let mut found = Vec::new();
    for doc in 0..tree.docs.len() {
        let mut list = Vec::new();
        workloads(tree, &tree.root(doc), &mut list);
        for workload in list {
            for key in CONTAINER_LISTS {
                let Some(items) = tree.get(&workload.pod_spec, key) else {
                    continue;
                };
                for (i, container) in tree.items(&items).into_iter().enumerate() {
                    let name = tree.get_str(&container, "name").map(str::to_owned);
                    let label = name.clone().unwrap_or_else(|| i.to_string());
                    found.push(Container {
                        field: format!("{} {key}[{label}].image", workload.label),
                        name,
                        image: tree.get(&container, "image"),
                    });
                }
            }
        }
    }
    // Written order, for `read`'s "first".
    found.sort_by_key(|c| c.image.as_ref().map(|at| tree.node(at.id).span.start));
    found
}

fn matches(tree: &Tree<'_>, container: &Container, target: &Target) -> bool {
    match &target.container {
        Some(name) => container.name.as_deref() == Some(name.as_str()),
        None => container
            .image
            .as_ref()
            .and_then(|at| tree.str(at))
            .is_some_and(|image| is_target(split(image).repository, target)),
    }
}

fn not_found(tree: &Tree<'_>, all: &[Container], target: &Target) -> EditError {
    if all.is_empty() {
        return EditError::NotFound(
            "the file has no workload with containers (Deployment, StatefulSet, DaemonSet, \
             ReplicaSet, Job, CronJob, Pod, Rollout); check the file, or its `form`"
                .to_owned(),
        );
    }
    let image = |c: &Container| {
        c.image
            .as_ref()
            .and_then(|at| tree.str(at))
            .unwrap_or("(none)")
            .to_owned()
    };
    EditError::NotFound(match &target.container {
        Some(name) => {
            let names: Vec<String> = all
                .iter()
                .map(|c| format!("{} ({})", c.name.as_deref().unwrap_or("?"), image(c)))
                .collect();
            format!(
                "no container in the file is named `{name}` (it has: {}); check `container`",
                names.join(", ")
            )
        }
        None => {
            let mut images: Vec<String> = Vec::new();
            for c in all {
                let image = image(c);
                if !images.contains(&image) {
                    images.push(image);
                }
            }
            format!(
                "no container in the file uses the image `{}` (it has: {}); name the container \
                 with `container`, or check `image`",
                target.name,
                images.join(", ")
            )
        }
    })
}

/// Every matching container's `image:`, set to the new reference.
pub(super) fn plan(tree: &Tree<'_>, target: &Target) -> Result<Vec<Slot>, EditError> {
    let all = containers(tree);
    let new = &target.new;
    let mut slots = Vec::new();
    for container in all.iter().filter(|c| matches(tree, c, target)) {
        let Some(at) = &container.image else {
            continue;
        };
        let repository = tree.str(at).map_or_else(
            || new_repository(new),
            |old| repository_to_write(split(old).repository, new),
        );
        let value = compose(&repository, new.tag.as_deref(), new.digest.as_deref());
        slots.push(Slot::set(tree, at, container.field.clone(), &value));
    }
    if slots.is_empty() {
        return Err(not_found(tree, &all, target));
    }
    Ok(slots)
}

/// The first matching container's image.
pub(super) fn read(tree: &Tree<'_>, target: &Target) -> Result<Current, EditError> {
    let all = containers(tree);
    let image = all
        .iter()
        .filter(|c| matches(tree, c, target))
        .find_map(|c| c.image.as_ref().and_then(|at| tree.str(at)));
    let Some(image) = image else {
        return Err(not_found(tree, &all, target));
    };
    let parts = split(image);
    Ok(Current {
        repository: Some(parts.repository.to_owned()),
        tag: parts.tag.map(str::to_owned),
        digest: parts.digest.map(str::to_owned),
    })
}

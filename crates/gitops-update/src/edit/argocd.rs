//! Argo CD `Application`s (and `ApplicationSet` templates): in `spec.source` and each of
//! `spec.sources[]`, the `helm.parameters` named by the Helm paths, the same paths in
//! `helm.valuesObject`, and the `kustomize.images` strings (`name=newName:tag@digest`,
//! `name:tag`, `name@digest`).
//!
//! A source whose repository (or image) parameter or value names another image is left alone,
//! so a file of many Applications changes only the image's. When no source has the image, the
//! parameters (or the `kustomize.images` string) are added, as argocd-image-updater does, to the
//! one source that can take them: a Helm source (`helm:` or `chart:`) when Helm paths are named,
//! a source with `kustomize:` otherwise; with several such sources nothing is guessed.

use super::apply::{Op, Slot, insert_key};
use super::emit::{Yaml, add_entry, append_item};
use super::helm::{self, nothing_to_set};
use super::names::{Parts, compose, is_target, new_repository, repository_to_write, same, split};
use super::tree::{At, Tree};
use super::{Current, EditError, HelmPaths, Target};

/// Whether a document is an Argo CD `Application` or `ApplicationSet`.
pub(super) fn is_application(tree: &Tree<'_>, root: &At) -> bool {
    tree.is_map(root)
        && matches!(
            tree.get_str(root, "kind"),
            Some("Application" | "ApplicationSet")
        )
        && tree
            .get_str(root, "apiVersion")
            .is_some_and(|api| api.starts_with("argoproj.io/"))
}

/// Every source of every application: its label (`spec.sources[1]`) and node.
/// With several applications in the file, the labels start with `Application/name `.
fn sources(tree: &Tree<'_>) -> Vec<(String, At)> {
    let apps: Vec<At> = (0..tree.docs.len())
        .map(|doc| tree.root(doc))
        .filter(|root| is_application(tree, root))
        .collect();
    let mut out = Vec::new();
    for root in &apps {
        let kind = tree.get_str(root, "kind").unwrap_or("");
        let name = tree
            .get(root, "metadata")
            .and_then(|m| tree.get_str(&m, "name"))
            .unwrap_or("?");
        let (path, spec) = if kind == "ApplicationSet" {
            (
                "spec.template.spec",
                tree.path(root, &["spec", "template", "spec"]),
            )
        } else {
            ("spec", tree.get(root, "spec"))
        };
        let prefix = if apps.len() > 1 {
            format!("{kind}/{name} {path}")
        } else {
            path.to_owned()
        };
        let Some(spec) = spec else { continue };
        if let Some(source) = tree.get(&spec, "source") {
            out.push((format!("{prefix}.source"), source));
        }
        if let Some(list) = tree.get(&spec, "sources") {
            for (i, source) in tree.items(&list).into_iter().enumerate() {
                out.push((format!("{prefix}.sources[{i}]"), source));
            }
        }
    }
    out
}

/// A `kustomize.images` string: `name=newName:tag@digest` or `newName:tag@digest`.
#[derive(Debug)]
struct KustomizeImage<'a> {
    /// The image as the manifests name it.
    name: &'a str,
    /// Whether it was written `name=…`.
    renamed: bool,
    /// What the image becomes.
    to: Parts<'a>,
}

fn kustomize_image(text: &str) -> KustomizeImage<'_> {
    match text.split_once('=') {
        Some((name, rest)) => KustomizeImage {
            name,
            renamed: true,
            to: split(rest),
        },
        None => {
            let to = split(text);
            KustomizeImage {
                name: to.repository,
                renamed: false,
                to,
            }
        }
    }
}

impl KustomizeImage<'_> {
    fn matches(&self, target: &Target) -> bool {
        same(self.name, &target.name) || same(self.to.repository, &new_repository(&target.new))
    }

    /// The string with the new reference, in the same form (`name=` kept; added when the
    /// repository changes). A reference with only a digest keeps the tag, as kustomize does.
    fn with(&self, target: &Target) -> String {
        let new = &target.new;
        let tag = new
            .tag
            .as_deref()
            .or(self.to.tag.filter(|_| new.digest.is_some()));
        let new_repo = new_repository(new);
        if self.renamed || !same(self.name, &new_repo) {
            let repository = if self.renamed {
                repository_to_write(self.to.repository, new)
            } else {
                new_repo
            };
            format!(
                "{}={}",
                self.name,
                compose(&repository, tag, new.digest.as_deref())
            )
        } else {
            compose(self.name, tag, new.digest.as_deref())
        }
    }
}

/// A source's helm parameters: (name, parameter mapping).
fn parameters(tree: &Tree<'_>, source: &At) -> Vec<(String, At)> {
    tree.path(source, &["helm", "parameters"])
        .map(|params| {
            tree.items(&params)
                .into_iter()
                .filter_map(|p| Some((tree.get_str(&p, "name")?.to_owned(), p)))
                .collect()
        })
        .unwrap_or_default()
}

/// What one source has for the target, and what it names instead.
#[derive(Debug, Default)]
struct Found {
    repository: Option<(String, At)>,
    tag: Option<(String, At)>,
    digest: Option<(String, At)>,
    image: Option<(String, At)>,
    /// `kustomize.images` items that match, with their text.
    kustomize: Vec<(usize, At, String)>,
    /// What a repository or image parameter names when it is another image.
    other: Option<String>,
}

fn find(tree: &Tree<'_>, source: &At, paths: &HelmPaths, target: &Target) -> Found {
    let params = parameters(tree, source);
    let value = |p: &At| tree.get_str(p, "value").filter(|v| !v.is_empty());
    let named = |path: &Option<String>| {
        path.as_ref()
            .and_then(|path| params.iter().find(|(name, _)| name == path))
            .cloned()
    };
    let mut found = Found {
        repository: named(&paths.repository),
        tag: named(&paths.tag),
        digest: named(&paths.digest),
        image: named(&paths.image),
        ..Found::default()
    };
    if let Some((_, p)) = &found.repository
        && let Some(v) = value(p)
        && !is_target(v, target)
    {
        found.other = Some(v.to_owned());
    }
    if let Some((_, p)) = &found.image
        && let Some(v) = value(p)
        && !is_target(split(v).repository, target)
    {
        found.other = Some(v.to_owned());
    }
    if let Some(images) = tree.path(source, &["kustomize", "images"]) {
        for (i, item) in tree.items(&images).into_iter().enumerate() {
            if let Some(text) = tree.str(&item)
                && kustomize_image(text).matches(target)
            {
                found.kustomize.push((i, item.clone(), text.to_owned()));
            }
        }
    }
    found
}

impl Found {
    fn any_parameter(&self) -> bool {
        self.other.is_none()
            && (self.repository.is_some()
                || self.tag.is_some()
                || self.digest.is_some()
                || self.image.is_some())
    }
}

/// What the file's applications have, for a not-found message.
fn inventory(tree: &Tree<'_>, sources: &[(String, At)]) -> String {
    let mut parts = Vec::new();
    for (label, source) in sources {
        let params: Vec<String> = parameters(tree, source)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        if !params.is_empty() {
            parts.push(format!("{label}.helm.parameters: {}", params.join(", ")));
        }
        if let Some(images) = tree.path(source, &["kustomize", "images"]) {
            let names: Vec<&str> = tree
                .items(&images)
                .iter()
                .filter_map(|i| tree.str(i))
                .map(|t| kustomize_image(t).name)
                .collect();
            parts.push(format!("{label}.kustomize.images: {}", names.join(", ")));
        }
    }
    if parts.is_empty() {
        "no helm parameters or kustomize images".to_owned()
    } else {
        parts.join("; ")
    }
}

/// Nothing in the file names the image; `candidates`: how many sources could have taken it.
fn not_found(
    tree: &Tree<'_>,
    sources: &[(String, At)],
    paths: &HelmPaths,
    target: &Target,
    candidates: usize,
) -> EditError {
    if sources.is_empty() {
        return EditError::NotFound(
            "the file has no Argo CD Application (kind Application, apiVersion argoproj.io/…) \
             with a source; check the file, or its `form`"
                .to_owned(),
        );
    }
    let named: Vec<&str> = [&paths.repository, &paths.tag, &paths.digest, &paths.image]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let what = if named.is_empty() {
        "a kustomize image"
    } else {
        "the parameters"
    };
    let add = if candidates > 1 {
        format!(
            "; {candidates} sources could take {what}, so none was added: add it to the source of \
             this image"
        )
    } else {
        String::new()
    };
    EditError::NotFound(format!(
        "no source of the Application sets the image `{}`: no helm parameter or valuesObject \
         value named {} of this image, and no kustomize image named so (it has: {}){add}; check \
         `image` and the Helm paths",
        target.name,
        if named.is_empty() {
            "(no Helm paths given)".to_owned()
        } else {
            named.join(" or ")
        },
        inventory(tree, sources)
    ))
}

/// Set a parameter's `value` (added after its `name` when it has none).
fn set_value(
    tree: &Tree<'_>,
    label: &str,
    param: &(String, At),
    value: &str,
) -> Result<Slot, EditError> {
    let (name, at) = param;
    let field = format!("{label}.helm.parameters[{name}]");
    match tree.get(at, "value") {
        Some(v) => Ok(Slot::set_string(tree, &v, field, value)),
        None => {
            let (offset, text) = insert_key(tree, at, &["name"], "value", value)?;
            Ok(insert(at, offset, text, field, value))
        }
    }
}

fn insert(owner: &At, offset: usize, text: String, field: String, new: &str) -> Slot {
    Slot {
        op: Op::Insert {
            owner: Some(owner.clone()),
            offset,
            text,
        },
        field,
        old: None,
        new: new.to_owned(),
    }
}

/// The parameters the new reference needs, by kind: (kind, parameter name, value). A
/// repository is only needed when it is not the image's own name.
fn wanted<'p>(paths: &'p HelmPaths, target: &Target) -> Vec<(&'static str, &'p str, String)> {
    let new = &target.new;
    let new_repo = new_repository(new);
    let mut out = Vec::new();
    if let Some(path) = &paths.image {
        let value = compose(&new_repo, new.tag.as_deref(), new.digest.as_deref());
        out.push(("image", path.as_str(), value));
    }
    if let Some(path) = &paths.repository
        && !same(&new_repo, &target.name)
    {
        out.push(("repository", path.as_str(), new_repo.clone()));
    }
    if let (Some(path), Some(tag)) = (&paths.tag, &new.tag) {
        out.push(("tag", path.as_str(), tag.clone()));
    }
    if let (Some(path), Some(digest)) = (&paths.digest, &new.digest) {
        out.push(("digest", path.as_str(), digest.clone()));
    }
    out
}

/// A parameter as argocd-image-updater writes it (`forceString`: Helm's `--set` would read
/// `123` as a number).
fn parameter(name: &str, value: &str) -> Yaml {
    Yaml::Map(vec![
        ("name".to_owned(), Yaml::str(name)),
        ("value".to_owned(), Yaml::str(value)),
        ("forceString".to_owned(), Yaml::Raw("true")),
    ])
}

/// The changes to a source whose parameters name the image: each named parameter set, and the
/// named ones it lacks added.
fn parameter_slots(
    tree: &Tree<'_>,
    label: &str,
    source: &At,
    found: &Found,
    paths: &HelmPaths,
    target: &Target,
) -> Result<Vec<Slot>, EditError> {
    let new = &target.new;
    let mut slots = Vec::new();
    let current = |p: &(String, At)| tree.get_str(&p.1, "value").filter(|v| !v.is_empty());
    if let Some(param) = &found.image {
        let repository = current(param).map_or_else(
            || new_repository(new),
            |old| repository_to_write(split(old).repository, new),
        );
        let value = compose(&repository, new.tag.as_deref(), new.digest.as_deref());
        slots.push(set_value(tree, label, param, &value)?);
    }
    if let Some(param) = &found.repository {
        let value =
            current(param).map_or_else(|| new_repository(new), |old| repository_to_write(old, new));
        slots.push(set_value(tree, label, param, &value)?);
    }
    if let (Some(param), Some(tag)) = (&found.tag, &new.tag) {
        slots.push(set_value(tree, label, param, tag)?);
    }
    match (&found.digest, &new.digest) {
        (Some(param), Some(digest)) => slots.push(set_value(tree, label, param, digest)?),
        // A digest left from before would keep pinning the old image.
        (Some(param), None) if current(param).is_some() => {
            slots.push(set_value(tree, label, param, "")?);
        }
        _ => {}
    }
    let has = |kind: &str| match kind {
        "image" => found.image.is_some(),
        "repository" => found.repository.is_some(),
        "tag" => found.tag.is_some(),
        _ => found.digest.is_some(),
    };
    if let Some(list) = tree.path(source, &["helm", "parameters"]) {
        for (kind, name, value) in wanted(paths, target) {
            if !has(kind) {
                let field = format!("{label}.helm.parameters[{name}]");
                let (offset, text) = append_item(tree, &list, &parameter(name, &value), &field)?;
                slots.push(insert(&list, offset, text, field, &value));
            }
        }
    }
    Ok(slots)
}

/// What a source's `helm.valuesObject` has of the named paths.
#[derive(Debug)]
enum ValuesObject {
    /// None of them.
    Nothing,
    /// A repository or image of another image.
    Other,
    /// The changes, and whether some part of the reference had a path to go to.
    Planned(Vec<Slot>, bool),
}

/// The changes to the named paths that a source's `helm.valuesObject` has.
fn values_object_slots(
    tree: &Tree<'_>,
    label: &str,
    source: &At,
    paths: &HelmPaths,
    target: &Target,
) -> Result<ValuesObject, EditError> {
    let Some(values) = tree
        .path(source, &["helm", "valuesObject"])
        .filter(|v| tree.is_map(v))
    else {
        return Ok(ValuesObject::Nothing);
    };
    let present = |path: &Option<String>| {
        path.clone()
            .filter(|p| helm::find(tree, &values, p).is_ok())
    };
    let present = HelmPaths {
        repository: present(&paths.repository),
        tag: present(&paths.tag),
        digest: present(&paths.digest),
        image: present(&paths.image),
    };
    if present == HelmPaths::default() {
        return Ok(ValuesObject::Nothing);
    }
    let prefix = format!("{label}.helm.valuesObject.");
    match helm::plan_in(tree, &values, &present, target, &prefix) {
        Ok((slots, placed)) => Ok(ValuesObject::Planned(slots, placed)),
        // Another image's values.
        Err(EditError::NotFound(_)) => Ok(ValuesObject::Other),
        Err(e) => Err(e),
    }
}

/// The `kustomize.images` string that gives `target.name` the new reference.
fn new_kustomize_image(target: &Target) -> String {
    let new = &target.new;
    let new_repo = new_repository(new);
    let reference = compose(&new_repo, new.tag.as_deref(), new.digest.as_deref());
    if same(&target.name, &new_repo) {
        compose(&target.name, new.tag.as_deref(), new.digest.as_deref())
    } else {
        format!("{}={reference}", target.name)
    }
}

/// When no source has the image: the parameters (Helm paths named) or the `kustomize.images`
/// string (none named) added to the one source that can take them, as argocd-image-updater
/// does; `NotFound` when no source, or more than one, can. `others`: the sources whose values
/// name another image (never a candidate).
fn add(
    tree: &Tree<'_>,
    sources: &[(String, At)],
    others: &[usize],
    paths: &HelmPaths,
    target: &Target,
) -> Result<Vec<Slot>, EditError> {
    let helm = *paths != HelmPaths::default();
    let fits = |i: usize, source: &At| {
        if others.contains(&i) {
            false
        } else if helm {
            tree.get(source, "helm").is_some() || tree.get(source, "chart").is_some()
        } else {
            tree.get(source, "kustomize").is_some()
        }
    };
    let candidates: Vec<&(String, At)> = sources
        .iter()
        .enumerate()
        .filter(|(i, (_, s))| fits(*i, s))
        .map(|(_, source)| source)
        .collect();
    let [(label, source)] = candidates[..] else {
        return Err(not_found(tree, sources, paths, target, candidates.len()));
    };
    if !helm {
        let image = new_kustomize_image(target);
        let field = format!("{label}.kustomize.images[{}]", target.name);
        let kustomize = tree.get(source, "kustomize").filter(|k| tree.is_map(k));
        let Some(kustomize) = kustomize else {
            return Err(not_found(tree, sources, paths, target, 0));
        };
        let (owner, (offset, text)) = match tree.get(&kustomize, "images") {
            Some(list) if tree.is_seq(&list) => {
                let added = append_item(tree, &list, &Yaml::str(image.clone()), &field)?;
                (list, added)
            }
            Some(_) => return Err(not_found(tree, sources, paths, target, 0)),
            None => {
                let value = Yaml::Seq(vec![Yaml::str(image.clone())]);
                let added = add_entry(tree, &kustomize, "images", &value, &field)?;
                (kustomize, added)
            }
        };
        return Ok(vec![insert(&owner, offset, text, field, &image)]);
    }
    let wanted = wanted(paths, target);
    if wanted.is_empty() {
        return Err(EditError::NotFound(nothing_to_set(paths, target)));
    }
    let params: Vec<Yaml> = wanted.iter().map(|(_, n, v)| parameter(n, v)).collect();
    let listed: Vec<String> = wanted.iter().map(|(_, n, v)| format!("{n}={v}")).collect();
    let field = format!("{label}.helm.parameters");
    let helm_node = tree.get(source, "helm").filter(|h| tree.is_map(h));
    let (owner, (offset, text)) = match &helm_node {
        Some(h) => match tree.get(h, "parameters") {
            Some(list) if tree.is_seq(&list) => {
                let mut slots = Vec::new();
                for ((_, name, value), param) in wanted.iter().zip(&params) {
                    let field = format!("{label}.helm.parameters[{name}]");
                    let (offset, text) = append_item(tree, &list, param, &field)?;
                    slots.push(insert(&list, offset, text, field, value));
                }
                return Ok(slots);
            }
            Some(_) => return Err(not_found(tree, sources, paths, target, 0)),
            None => (
                h.clone(),
                add_entry(tree, h, "parameters", &Yaml::Seq(params), &field)?,
            ),
        },
        None => {
            let value = Yaml::Map(vec![("parameters".to_owned(), Yaml::Seq(params))]);
            (
                source.clone(),
                add_entry(tree, source, "helm", &value, &field)?,
            )
        }
    };
    Ok(vec![insert(
        &owner,
        offset,
        text,
        field,
        &listed.join(", "),
    )])
}

/// The changes that set the image in every source that has it (and, when none has, that add
/// it to the one source that can take it).
pub(super) fn plan(
    tree: &Tree<'_>,
    paths: &HelmPaths,
    target: &Target,
) -> Result<Vec<Slot>, EditError> {
    let sources = sources(tree);
    let mut slots = Vec::new();
    let mut matched = false;
    let mut placed = false;
    let mut others = Vec::new();
    for (i, (label, source)) in sources.iter().enumerate() {
        let found = find(tree, source, paths, target);
        if found.other.is_some() {
            others.push(i);
        }
        if found.any_parameter() {
            matched = true;
            placed = true;
            slots.extend(parameter_slots(tree, label, source, &found, paths, target)?);
        }
        if found.other.is_none() {
            match values_object_slots(tree, label, source, paths, target)? {
                ValuesObject::Nothing => {}
                ValuesObject::Other => others.push(i),
                ValuesObject::Planned(values, values_placed) => {
                    matched = true;
                    placed |= values_placed;
                    slots.extend(values);
                }
            }
        }
        for (i, item, text) in &found.kustomize {
            matched = true;
            placed = true;
            let image = kustomize_image(text);
            let name = if image.name.is_empty() {
                i.to_string()
            } else {
                image.name.to_owned()
            };
            let field = format!("{label}.kustomize.images[{name}]");
            slots.push(Slot::set(tree, item, field, &image.with(target)));
        }
    }
    if !matched {
        return add(tree, &sources, &others, paths, target);
    }
    if !placed || slots.iter().all(|s| s.new.is_empty()) {
        return Err(EditError::NotFound(nothing_to_set(paths, target)));
    }
    Ok(slots)
}

/// The reference the first source that has the image gives it.
pub(super) fn read(
    tree: &Tree<'_>,
    paths: &HelmPaths,
    target: &Target,
) -> Result<Current, EditError> {
    let sources = sources(tree);
    let owned = |v: Option<&str>| v.filter(|v| !v.is_empty()).map(str::to_owned);
    for (_, source) in &sources {
        let found = find(tree, source, paths, target);
        if found.any_parameter() {
            let value = |p: &Option<(String, At)>| {
                p.as_ref()
                    .and_then(|(_, at)| tree.get_str(at, "value"))
                    .filter(|v| !v.is_empty())
            };
            let mut current = Current {
                repository: None,
                tag: None,
                digest: None,
            };
            if let Some(image) = value(&found.image) {
                let parts = split(image);
                current.repository = Some(parts.repository.to_owned());
                current.tag = owned(parts.tag);
                current.digest = owned(parts.digest);
            }
            current.repository = owned(value(&found.repository)).or(current.repository);
            current.tag = owned(value(&found.tag)).or(current.tag);
            current.digest = owned(value(&found.digest)).or(current.digest);
            return Ok(current);
        }
        if found.other.is_none()
            && let Some(values) = tree
                .path(source, &["helm", "valuesObject"])
                .filter(|v| tree.is_map(v))
        {
            let present = |path: &Option<String>| {
                path.clone()
                    .filter(|p| helm::find(tree, &values, p).is_ok())
            };
            let present = HelmPaths {
                repository: present(&paths.repository),
                tag: present(&paths.tag),
                digest: present(&paths.digest),
                image: present(&paths.image),
            };
            if present != HelmPaths::default()
                && let Ok(current) = helm::read_in(tree, &values, &present, target)
            {
                return Ok(current);
            }
        }
        if let Some((_, _, text)) = found.kustomize.first() {
            let image = kustomize_image(text);
            return Ok(Current {
                repository: Some(image.to.repository.to_owned()),
                tag: owned(image.to.tag),
                digest: owned(image.to.digest),
            });
        }
    }
    Err(not_found(tree, &sources, paths, target, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_image_ref::ImageRef;

    fn target(name: &str, new: &str) -> Target {
        Target {
            name: name.to_owned(),
            container: None,
            new: ImageRef::parse(new).unwrap(),
        }
    }

    #[test]
    fn kustomize_image_strings() {
        let d = format!("sha256:{}", "b".repeat(64));
        for (text, name, new, expected) in [
            ("app:v1", "app", "app:v2", "app:v2".to_owned()),
            (
                "app=reg.io/app:v1",
                "app",
                "reg.io/app:v2",
                "app=reg.io/app:v2".to_owned(),
            ),
            (
                "app=reg.io/app:v1",
                "app",
                "other.io/app:v2",
                "app=other.io/app:v2".to_owned(),
            ),
            (
                "app:v1",
                "app",
                "reg.io/app:v2",
                "app=reg.io/app:v2".to_owned(),
            ),
            ("app:v1", "app", &format!("app@{d}"), format!("app:v1@{d}")),
            (&format!("app:v1@{d}"), "app", "app:v2", "app:v2".to_owned()),
            (
                "nginx:1",
                "docker.io/library/nginx",
                "docker.io/library/nginx:2",
                "nginx:2".to_owned(),
            ),
            (
                "app=reg.io/app",
                "app",
                "reg.io/app:v2",
                "app=reg.io/app:v2".to_owned(),
            ),
        ] {
            let image = kustomize_image(text);
            let target = target(name, new);
            assert!(image.matches(&target), "{text}");
            assert_eq!(image.with(&target), expected, "{text} with {new}");
        }
        assert!(!kustomize_image("other:v1").matches(&target("app", "app:v2")));
        assert!(kustomize_image("x=reg.io/app:v1").matches(&target("app", "reg.io/app:v2")));
    }
}

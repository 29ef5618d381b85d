//! Which bytes of a file change when an image's reference is set: pure functions over the
//! file's text, one module per form. Only the bytes of the reference change: comments, key
//! order, quoting, anchors, line endings and the rest of the file stay byte for byte.
//!
//! INTERFACE (implemented by the edit helper; run.rs and the corpus tests call only this):
//! - [`edit`]: the file with the image set, and the changes made (empty when it already was);
//! - [`read`]: the reference the file gives the image now (rollback reads it from older commits);
//! - [`detect`]: the form of a file from its content, for `form: auto`.

mod apply;
mod argocd;
mod emit;
mod helm;
mod kustomize;
mod manifest;
mod names;
mod scalar;
mod tree;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod tests;

use gantry_image_ref::ImageRef;

use tree::Tree;

/// Where in a file the image's reference is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// A kustomization's `images:` entries (`name`, `newName`, `newTag`, `digest`); the entry is
    /// added when missing.
    Kustomize,
    /// A Helm values file, at the given paths.
    Helm(HelmPaths),
    /// `containers[].image`, `initContainers[].image` and `ephemeralContainers[].image` of the
    /// workloads of a (multi-document) manifest file, `List` items included: Deployment,
    /// StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Pod,
    /// PodTemplate, Argo Rollouts' Rollout, Knative's Service.
    Manifest,
    /// An Argo CD `Application`'s (or `ApplicationSet` template's) `spec.source(s)`:
    /// `helm.parameters` and `helm.valuesObject` values named by the Helm paths, and
    /// `kustomize.images`; added to the one source that can take them when none has them.
    ArgoCd(HelmPaths),
}

/// Dotted paths (`image.tag`, `api.image.repository`, `sidecars[0].image`, `a\.b` for a key
/// with a dot) of a Helm values file. Either `image` (one `repo:tag` string), or `repository`
/// and/or `tag` and/or `digest`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HelmPaths {
    pub repository: Option<String>,
    pub tag: Option<String>,
    pub digest: Option<String>,
    pub image: Option<String>,
}

/// The image to set, and how to find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The image as the files name it, without tag or digest: kustomize's `name`, and the
    /// repository of a manifest's `image:` (`nginx` and `docker.io/library/nginx` are the same).
    /// A reference whose repository is already [`Target::new`]'s repository matches too.
    pub name: String,
    /// Manifests only: match the containers by this name instead of by their image.
    pub container: Option<String>,
    /// The reference to set: its repository (kustomize `newName`), tag and/or digest.
    pub new: ImageRef,
}

/// One reference changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// 1-based line of the changed bytes.
    pub line: usize,
    /// Where, for people: `images[api].newTag`, `Deployment/web containers[app].image`,
    /// `image.tag`, `spec.source.helm.parameters[image.tag]`.
    pub field: String,
    /// The value before (`None`: added).
    pub old: Option<String>,
    /// The value after.
    pub new: String,
}

/// A file with the image set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    /// The whole new text.
    pub text: String,
    /// Empty when the file already had the reference (then `text` is the input).
    pub changes: Vec<Change>,
}

/// The reference a file gives the image now (the first place it is found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub repository: Option<String>,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// Why a file cannot be edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// Not YAML (or not the YAML the form needs).
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
    /// The image is not in the file.
    #[error("{0}")]
    NotFound(String),
    /// The image is there, written in a way that cannot be changed safely (a block scalar over
    /// several lines, an alias to a value shared with something else, ...).
    #[error("line {line}: {field}: {why}")]
    Unsupported {
        line: usize,
        field: String,
        why: String,
    },
}

/// The form of a file from its content: a `Kustomization` (or a file named
/// `kustomization.yaml`/`.yml`/`Kustomization`), an Argo CD `Application`, a manifest with
/// workloads; `None` otherwise (a Helm values file must be named by `form: helm`).
///
/// A `kind: Kustomization` (or `Component`) anywhere wins over an Argo CD `Application` or
/// `ApplicationSet`, which wins over workloads. Text that is not YAML is `None`.
pub fn detect(file_name: &str, text: &str) -> Option<FormKind> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    if matches!(
        base,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    ) {
        return Some(FormKind::Kustomize);
    }
    let tree = Tree::parse(text).ok()?;
    let docs: Vec<_> = (0..tree.docs.len()).map(|d| tree.root(d)).collect();
    let kind = |root: &tree::At| {
        (
            tree.get_str(root, "kind").unwrap_or(""),
            tree.get_str(root, "apiVersion").unwrap_or(""),
        )
    };
    if docs.iter().any(|root| {
        let (kind, api) = kind(root);
        // (Flux's `Kustomization`, kustomize.toolkit.fluxcd.io, is not one.)
        matches!(kind, "Kustomization" | "Component")
            && (api.is_empty() || api.starts_with("kustomize.config.k8s.io"))
    }) {
        return Some(FormKind::Kustomize);
    }
    if docs.iter().any(|root| argocd::is_application(&tree, root)) {
        return Some(FormKind::ArgoCd);
    }
    if docs.iter().any(|root| manifest::has_workloads(&tree, root)) {
        return Some(FormKind::Manifest);
    }
    None
}

/// The forms [`detect`] tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    Kustomize,
    Helm,
    Manifest,
    ArgoCd,
}

/// `text` with the image set as `target` says.
///
/// What is changed, by form:
/// - kustomize: the `images:` entry named `target.name` (or whose `newName` is the new
///   repository): `newName` when the entry does not already produce the new repository, `newTag`
///   when the new reference has a tag, `digest` when it has one. Missing keys are added as lines
///   of the entry (or `, key: value` in a flow mapping); a missing entry is appended to `images:`
///   (an `images:` block is appended when there is none). A reference with only a digest leaves
///   `newTag` as it is (kustomize then writes `name:tag@digest`, pulled by digest); a reference
///   with a tag and no digest empties an entry's `digest` (`digest: ""`), which would otherwise
///   keep pinning the old image.
/// - helm: the named paths only: the repository (refused when the file's value there names
///   another image; without its registry when a `registry` key beside it holds the new one's),
///   the tag, the digest (emptied like kustomize's when the reference has none; a `digest` key
///   beside the tag stands for an unnamed digest path), or the whole `repo:tag@digest` at the
///   image path. A part of the reference with no path to go to is not written.
/// - manifest: every `image:` of a container (init, ephemeral) of a workload that uses the image
///   (or that has the name `target.container`), written as the new reference in full.
/// - argocd: `helm.parameters` named by the paths and `kustomize.images` of each source.
///
/// Values keep their style (plain, single- or double-quoted, or a block scalar holding one line,
/// as Argo CD writes long strings); a plain value that YAML would read as a number, boolean, null
/// or date is written double-quoted (in a Helm values file or an Argo CD parameter, also when it
/// already has the value: Helm reads `tag: 1.10` as 1.1). A value reached through an alias is
/// changed only where its anchor is changed too; a block scalar over several lines is refused.
pub fn edit(text: &str, form: &Form, target: &Target) -> Result<Edited, EditError> {
    let tree = Tree::parse(text)?;
    let slots = match form {
        Form::Kustomize => kustomize::plan(&tree, target)?,
        Form::Helm(paths) => helm::plan(&tree, paths, target)?,
        Form::Manifest => manifest::plan(&tree, target)?,
        Form::ArgoCd(paths) => argocd::plan(&tree, paths, target)?,
    };
    apply::apply(&tree, slots)
}

/// The reference `text` gives the image now: the repository (with its registry, as written:
/// kustomize's `newName`, or `name` when the entry has none), tag and digest of the first place
/// [`edit`] would change. An empty digest is `None`.
pub fn read(text: &str, form: &Form, target: &Target) -> Result<Current, EditError> {
    let tree = Tree::parse(text)?;
    match form {
        Form::Kustomize => kustomize::read(&tree, target),
        Form::Helm(paths) => helm::read(&tree, paths, target),
        Form::Manifest => manifest::read(&tree, target),
        Form::ArgoCd(paths) => argocd::read(&tree, paths, target),
    }
}

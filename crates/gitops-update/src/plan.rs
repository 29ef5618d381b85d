//! The run's decisions that are not about YAML bytes: which files, which form each has, the
//! commit message and its trailers, which directories are rendered, which commit a rollback
//! undoes. Pure functions over strings; [`crate::run`] feeds them what git says.

use gantry_image_ref::ImageRef;
use globset::{GlobBuilder, GlobSetBuilder};

use crate::edit::{Form, FormKind, HelmPaths};

/// The trailer that names the image a gitops-update commit set (as the files name it).
pub const IMAGE_TRAILER: &str = "Gantry-Image";
/// The trailer with the reference it set.
pub const REFERENCE_TRAILER: &str = "Gantry-Reference";
/// The trailer with the commit the image was built from.
pub const SOURCE_TRAILER: &str = "Gantry-Source-Commit";
/// The trailer of a commit that undoes another (a rollback or a revert after Argo CD failed).
pub const UNDOES_TRAILER: &str = "Gantry-Undoes";

/// `form`: where the files keep the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormChoice {
    Auto,
    Kustomize,
    Helm,
    Manifest,
    ArgoCd,
}

/// The files of `listed` (the repository's files, `/`-separated, relative to the working
/// directory) that `patterns` name: a pattern without glob characters names one file, which
/// must exist; a glob must match at least one.
///
/// # Errors
/// The pattern that names nothing, or a glob that does not parse, with why.
pub fn select_files(
    patterns: &[String],
    listed: &[String],
) -> Result<Vec<String>, (String, String)> {
    let mut selected: Vec<String> = Vec::new();
    for pattern in patterns {
        let pattern = pattern.trim_start_matches("./");
        let is_glob = pattern.contains(['*', '?', '[', '{']);
        let matched: Vec<&String> = if is_glob {
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|e| (pattern.to_owned(), format!("not a valid glob: {e}")))?;
            let set = GlobSetBuilder::new()
                .add(glob)
                .build()
                .map_err(|e| (pattern.to_owned(), format!("not a valid glob: {e}")))?;
            listed.iter().filter(|f| set.is_match(f.as_str())).collect()
        } else {
            listed.iter().filter(|f| f.as_str() == pattern).collect()
        };
        if matched.is_empty() {
            let why = if is_glob {
                "the glob matches no file of the repository"
            } else {
                "no such file in the repository (at the branch's last commit)"
            };
            return Err((pattern.to_owned(), why.to_owned()));
        }
        for file in matched {
            if !selected.contains(file) {
                selected.push(file.clone());
            }
        }
    }
    Ok(selected)
}

/// The form of one file: the one the user chose, or what its content says (`auto`).
///
/// # Errors
/// `auto` and the content is none of the forms told apart by content: say `form: helm`.
pub fn form_of(
    choice: FormChoice,
    detected: Option<FormKind>,
    helm: &HelmPaths,
) -> Result<Form, String> {
    let kind = match choice {
        FormChoice::Kustomize => FormKind::Kustomize,
        FormChoice::Helm => FormKind::Helm,
        FormChoice::Manifest => FormKind::Manifest,
        FormChoice::ArgoCd => FormKind::ArgoCd,
        FormChoice::Auto => detected.ok_or_else(|| {
            "it is not a kustomization, an Argo CD Application or a manifest with workloads; \
             for a Helm values file set form: helm (and helm-paths)"
                .to_owned()
        })?,
    };
    Ok(match kind {
        FormKind::Kustomize => Form::Kustomize,
        FormKind::Helm => Form::Helm(helm.clone()),
        FormKind::Manifest => Form::Manifest,
        FormKind::ArgoCd => Form::ArgoCd(helm.clone()),
    })
}

/// The tag of a reference, else its digest (what a commit subject names).
pub fn short_version(reference: &ImageRef) -> String {
    reference
        .tag
        .clone()
        .or_else(|| reference.digest.clone())
        .unwrap_or_default()
}

/// The last `/`-segment of an image (`api` of `123….amazonaws.com/team/api`).
pub fn image_short_name(image: &str) -> &str {
    image.rsplit('/').next().unwrap_or(image)
}

/// The commit message: the subject from `template`, then the trailers a later rollback reads.
pub fn commit_message(
    template: &str,
    image: &str,
    reference: &ImageRef,
    source: Option<&str>,
    undoes: Option<&str>,
) -> String {
    let subject = template
        .replace("${image}", image_short_name(image))
        .replace("${reference}", &reference.to_string())
        .replace("${tag}", &short_version(reference))
        .replace("${source}", source.map_or("", |s| &s[..s.len().min(12)]));
    let mut message = format!("{subject}\n\n");
    if let Some(source) = source {
        message.push_str(&format!(
            "Sets {image} to {reference}, built from {source}.\n\n"
        ));
    } else {
        message.push_str(&format!("Sets {image} to {reference}.\n\n"));
    }
    message.push_str(&format!("{IMAGE_TRAILER}: {image}\n"));
    message.push_str(&format!("{REFERENCE_TRAILER}: {reference}\n"));
    if let Some(source) = source {
        message.push_str(&format!("{SOURCE_TRAILER}: {source}\n"));
    }
    if let Some(undone) = undoes {
        message.push_str(&format!("{UNDOES_TRAILER}: {undone}\n"));
    }
    message
}

/// The trailers of a gitops-update commit message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trailers {
    pub image: Option<String>,
    pub reference: Option<String>,
    pub undoes: Option<String>,
}

/// The trailers of `message` (the last paragraph's `Key: value` lines).
pub fn trailers(message: &str) -> Trailers {
    let mut found = Trailers::default();
    let last = message.trim_end().rsplit("\n\n").next().unwrap_or("");
    for line in last.lines() {
        let Some((key, value)) = line.split_once(": ") else {
            continue;
        };
        let value = Some(value.trim().to_owned());
        match key {
            IMAGE_TRAILER => found.image = value,
            REFERENCE_TRAILER => found.reference = value,
            UNDOES_TRAILER => found.undoes = value,
            _ => {}
        }
    }
    found
}

/// Rollback without `rollback-to`: of the branch's commits, newest first (`(sha, message)`),
/// the last gitops-update commit that set `image`, skipping the commits that undid others and
/// the commits they undid. Its parent holds the version to go back to.
pub fn commit_to_undo<'a>(image: &str, history: &'a [(String, String)]) -> Option<&'a str> {
    let mut undone: Vec<&str> = Vec::new();
    for (sha, message) in history {
        let trailers = trailers(message);
        if trailers.image.as_deref() != Some(image) {
            continue;
        }
        if let Some(target) = &trailers.undoes {
            // The undone commit is older: it comes later in this list.
            if let Some((undone_sha, _)) = history.iter().find(|(s, _)| s == target) {
                undone.push(undone_sha);
            }
            continue;
        }
        if !undone.contains(&sha.as_str()) {
            return Some(sha);
        }
    }
    None
}

/// `pull-request-branch` with its placeholders filled.
pub fn pull_request_branch(template: &str, base: &str, image: &str) -> String {
    template
        .replace("${branch}", base)
        .replace("${image}", image_short_name(image))
}

/// The kustomization directories to render: those of the changed kustomizations, then
/// `render_paths`, each once (`.` for the root).
pub fn render_dirs(changed: &[(String, Form)], render_paths: &[String]) -> Vec<String> {
    let mut dirs: Vec<String> = Vec::new();
    let mut add = |dir: String| {
        let dir = if dir.is_empty() { ".".to_owned() } else { dir };
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    };
    for (file, form) in changed {
        if *form == Form::Kustomize {
            add(file
                .rsplit_once('/')
                .map_or(String::new(), |(d, _)| d.to_owned()));
        }
    }
    for path in render_paths {
        add(path
            .trim_end_matches('/')
            .trim_start_matches("./")
            .to_owned());
    }
    dirs
}

/// The directories a render of `dirs` most likely needs, for a small checkout: each directory
/// with as many levels above it as its kustomization reaches with `../` (`../../base` from
/// `apps/api/overlays/prod` is under `apps/api`). `kustomization` gives a directory's
/// kustomization text, when it has one. A base that reaches further up makes the render fail
/// on the small checkout; the caller then renders the whole commit, so a guess too small costs
/// time, never a wrong answer (kustomize refuses a missing file, it does not skip it).
pub fn render_cones(
    dirs: &[String],
    kustomization: impl Fn(&str) -> Option<String>,
) -> Vec<String> {
    let mut cones: Vec<String> = Vec::new();
    for dir in dirs {
        let dir = if dir == "." { "" } else { dir.as_str() };
        let up = kustomization(dir).map_or(0, |text| {
            text.split(|c: char| c.is_whitespace() || "[],'\"".contains(c))
                .map(|word| word.matches("../").count())
                .max()
                .unwrap_or(0)
        });
        let parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
        let cone = parts[..parts.len().saturating_sub(up)].join("/");
        // A cone inside another is already there; one that holds others replaces them.
        if cones
            .iter()
            .any(|c| c.is_empty() || cone == *c || cone.starts_with(&format!("{c}/")))
        {
            continue;
        }
        cones.retain(|c| !(cone.is_empty() || c.starts_with(&format!("{cone}/"))));
        cones.push(cone);
    }
    cones
}

/// Whether rendered manifests carry `reference`: kustomize writes `name:tag`, `name@digest`
/// or `name:tag@digest`.
pub fn rendered_carries(rendered: &str, reference: &ImageRef) -> bool {
    rendered.contains(&reference.to_string())
}

/// The reference that rolling back goes to: the repository the files had, with its tag and
/// digest (a file that had only a tag gets only the tag back).
pub fn previous_reference(
    image: &str,
    repository: Option<&str>,
    tag: Option<&str>,
    digest: Option<&str>,
) -> Option<ImageRef> {
    let base = ImageRef::parse(repository.unwrap_or(image))?;
    let reference = ImageRef {
        tag: tag.map(str::to_owned),
        digest: digest.map(str::to_owned),
        ..base
    };
    (reference.tag.is_some() || reference.digest.is_some()).then_some(reference)
}

#[cfg(test)]
mod tests;

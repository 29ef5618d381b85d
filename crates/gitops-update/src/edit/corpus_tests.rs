//! The corpus (tests/corpus/index.json: real files from public repositories, SOURCES.md): every
//! entry is edited to a new tag, then to a digest, then (kustomize, manifests) to a new registry
//! and repository; each time the edit must succeed with at least one change, change the file's
//! bytes only inside the changed values (or, where a key or entry is added, only by inserting),
//! change nothing when repeated, read back what was set, and leave YAML with as many documents.
//! Every failure is collected, so that one run lists them all.

use std::path::{Path, PathBuf};

use gantry_image_ref::ImageRef;
use serde_json::Value;

use super::names::{new_repository, same};
use super::tests::{Diff, differences, documents};
use super::{Form, HelmPaths, Target, edit, read};

const TAG: &str = "gantry-test-1";
const NEW_REPOSITORY: &str = "registry.example.com:5000/team/corpus-image";

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn digest() -> String {
    format!("sha256:{}", "0123456789abcdef".repeat(4))
}

fn paths(entry: &Value) -> HelmPaths {
    let path = |key: &str| entry["helm"][key].as_str().map(str::to_owned);
    HelmPaths {
        repository: path("repository"),
        tag: path("tag"),
        digest: path("digest"),
        image: path("image"),
    }
}

fn form(entry: &Value) -> Result<Form, String> {
    Ok(match entry["form"].as_str() {
        Some("kustomize") => Form::Kustomize,
        Some("helm") => Form::Helm(paths(entry)),
        Some("manifest") => Form::Manifest,
        Some("argocd") => Form::ArgoCd(paths(entry)),
        other => return Err(format!("unknown form {other:?}")),
    })
}

/// One edit of one entry, and everything it must satisfy; `Err` says what went wrong.
fn check(text: &str, form: &Form, target: &Target) -> Result<usize, String> {
    let edited = edit(text, form, target).map_err(|e| format!("edit failed: {e}"))?;
    if edited.changes.is_empty() {
        return Err("no change".to_owned());
    }
    let adds = edited.changes.iter().any(|c| c.old.is_none());
    let news: Vec<&str> = edited.changes.iter().map(|c| c.new.as_str()).collect();
    for diff in differences(text, &edited.text) {
        let ok = match &diff {
            Diff::Value { new, .. } => news.contains(&new.as_str()),
            Diff::Lines(_) => adds,
            Diff::Other { old, .. } => adds && old.is_empty(),
        };
        if !ok {
            return Err(format!(
                "{diff:?} is not inside a changed value (changes: {:?})",
                edited.changes
            ));
        }
    }
    if documents(&edited.text) != documents(text).max(1) {
        return Err("the number of documents changed".to_owned());
    }
    let again = edit(&edited.text, form, target).map_err(|e| format!("second edit: {e}"))?;
    if !again.changes.is_empty() || again.text != edited.text {
        return Err(format!("a second edit changes again: {:?}", again.changes));
    }
    let current = read(&edited.text, form, target).map_err(|e| format!("read: {e}"))?;
    let new = &target.new;
    if new.tag.is_some() && current.tag != new.tag {
        return Err(format!(
            "read gives tag {:?}, not {:?}",
            current.tag, new.tag
        ));
    }
    if new.digest.is_some() && current.digest != new.digest {
        return Err(format!(
            "read gives digest {:?}, not {:?}",
            current.digest, new.digest
        ));
    }
    if let Some(repository) = &current.repository
        && !same(repository, &new_repository(new))
    {
        return Err(format!(
            "read gives repository {repository}, not {}",
            new_repository(new)
        ));
    }
    Ok(edited.changes.len())
}

/// The repository the file gives the image now (the entry's name when it has none).
fn repository_now(text: &str, form: &Form, name: &str, container: Option<&str>) -> String {
    let Some(new) = ImageRef::parse(name) else {
        return name.to_owned();
    };
    let target = Target {
        name: name.to_owned(),
        container: container.map(str::to_owned),
        new,
    };
    read(text, form, &target)
        .ok()
        .and_then(|c| c.repository)
        .filter(|r| ImageRef::parse(r).is_some())
        .unwrap_or_else(|| name.to_owned())
}

#[test]
fn every_corpus_entry_is_edited_in_place() {
    let index_path = corpus().join("index.json");
    let Ok(index) = std::fs::read_to_string(&index_path) else {
        // The corpus is part of the repository; without it there is nothing to check.
        panic!("no corpus index at {}", index_path.display());
    };
    let index: Vec<Value> = serde_json::from_str(&index).unwrap();
    assert!(
        index.len() >= 30,
        "the corpus has {} entries; it needs at least 30",
        index.len()
    );
    let mut failures = Vec::new();
    let (mut passes, mut changes) = (0, 0);
    let mut files: Vec<&str> = Vec::new();
    for entry in &index {
        let file = entry["file"].as_str().unwrap();
        if !files.contains(&file) {
            files.push(file);
        }
        let name = entry["image"].as_str().unwrap();
        let container = entry["container"].as_str();
        let form = match form(entry) {
            Ok(form) => form,
            Err(e) => {
                failures.push(format!("{file} ({name}): {e}"));
                continue;
            }
        };
        let text = match std::fs::read_to_string(corpus().join(file)) {
            Ok(text) => text,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        let repository = repository_now(&text, &form, name, container);
        let helm = match &form {
            Form::Helm(p) | Form::ArgoCd(p) if *p != HelmPaths::default() => Some(p.clone()),
            _ => None,
        };
        let mut news = Vec::new();
        // A new tag; a Helm entry with no tag path gets a new repository instead.
        match &helm {
            Some(p) if p.tag.is_none() && p.image.is_none() => {
                news.push(("repository", NEW_REPOSITORY.to_owned()));
            }
            _ => news.push(("tag", format!("{repository}:{TAG}"))),
        }
        // A digest alone, where the form has a place for it.
        if helm
            .as_ref()
            .is_none_or(|p| p.digest.is_some() || p.image.is_some())
        {
            news.push(("digest", format!("{repository}@{}", digest())));
        }
        // Another registry and repository.
        if matches!(form, Form::Kustomize | Form::Manifest) {
            news.push(("registry", format!("{NEW_REPOSITORY}:{TAG}")));
        }
        for (pass, new) in news {
            let Some(new) = ImageRef::parse(&new) else {
                failures.push(format!(
                    "{file} ({name}) {pass}: `{new}` is not a reference"
                ));
                continue;
            };
            let target = Target {
                name: name.to_owned(),
                container: container.map(str::to_owned),
                new,
            };
            passes += 1;
            match check(&text, &form, &target) {
                Ok(n) => changes += n,
                Err(e) => failures.push(format!("{file} ({name}) {pass} → {}: {e}", target.new)),
            }
        }
    }
    println!(
        "corpus: {} entries in {} files, {passes} edits checked ({changes} changes), {} failed",
        index.len(),
        files.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "corpus failures:\n{}",
        failures.join("\n")
    );
}

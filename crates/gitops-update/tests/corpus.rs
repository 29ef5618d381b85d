//! The corpus of real kustomizations (tests/corpus, taken unchanged from public repositories:
//! SOURCES.md) rendered by the real `kubectl kustomize` after the edit: the overlay still
//! renders, and with the new reference. The byte-level checks of every corpus file are the edit
//! module's own (src/edit/corpus_tests.rs).

use std::path::{Path, PathBuf};

use gantry_image_ref::ImageRef;
use gantry_toolkit::Stop;
use gitops_update::edit::{self, Form, Target};
use gitops_update::render::{Programs, Render};
use serde_json::Value;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every kustomization of the corpus with a directory to render: edited to a new tag (and
/// repository), it renders, and the output carries the new reference wherever the overlay uses
/// the image. The overlays whose `images:` entry names an image none of their resources use
/// render without it, which is what the render check refuses.
#[test]
fn every_corpus_overlay_renders_with_the_new_reference() {
    let index: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(corpus().join("index.json")).unwrap())
            .unwrap();
    let render = Programs::new(Stop::never());
    let (mut carried, mut unused) = (0, Vec::new());
    for entry in index.iter().filter(|e| e["form"] == "kustomize") {
        let Some(dir) = entry["render"].as_str() else {
            continue;
        };
        let file = entry["file"].as_str().unwrap();
        let image = entry["image"].as_str().unwrap();
        // The whole corpus form directory is copied: overlays reach their bases with `../`.
        let scratch = tempfile::tempdir().unwrap();
        let top = file.split('/').take(2).collect::<Vec<_>>().join("/");
        copy_tree(&corpus().join(&top), &scratch.path().join(&top));
        let new =
            ImageRef::parse("registry.example.com:5000/team/corpus-image:gantry-corpus-1").unwrap();
        let target = Target {
            name: image.to_owned(),
            container: None,
            new: new.clone(),
        };
        let path = scratch.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let edited =
            edit::edit(&text, &Form::Kustomize, &target).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!edited.changes.is_empty(), "{file}: nothing changed");
        std::fs::write(&path, &edited.text).unwrap();
        let output = render.kustomize(scratch.path(), dir).unwrap_or_else(|e| {
            panic!("{file}: kubectl kustomize {dir} failed after the edit: {e}")
        });
        if output.contains("gantry-corpus-1") {
            assert!(
                output.contains(&new.to_string()),
                "{file}: the render has the new tag but not the whole reference {new}"
            );
            carried += 1;
        } else {
            unused.push(file.to_owned());
        }
    }
    eprintln!(
        "{carried} corpus overlays rendered with the new reference; {} do not use the image they name: {unused:?}",
        unused.len()
    );
    assert!(
        carried >= 40,
        "only {carried} overlays carried the reference"
    );
    assert!(
        unused.len() <= 6,
        "the render check would refuse these overlays: {unused:?}"
    );
}

//! One pass of the edit over the selected files' contents at a commit: what each file becomes.
//! Pure: [`crate::run`] reads the files (at the branch's tip, again after a rejected push) and
//! calls [`prepare`]; a push that lost a race re-runs it on the new tip, so a concurrent change
//! to another part of the same file is kept.

use gantry_image_ref::ImageRef;

use crate::edit::{self, Change, Current, EditError, Form, HelmPaths, Target};
use crate::git::ChangedFile;
use crate::plan;
use crate::plan::FormChoice;

/// A file whose reference changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUpdate {
    /// From the working directory, `/`-separated.
    pub path: String,
    pub form: Form,
    pub old: Vec<u8>,
    pub new: Vec<u8>,
    pub changes: Vec<Change>,
}

/// What the edit made of the files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Prepared {
    /// The files that change.
    pub updates: Vec<FileUpdate>,
    /// The files that already had the reference.
    pub unchanged: Vec<String>,
    /// `allow-missing`: the files without the image, and why.
    pub skipped: Vec<(String, String)>,
    /// The reference the first changed file had (what undoing the change goes back to).
    pub previous: Option<ImageRef>,
}

/// Why a file cannot be updated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    #[error("{file}: {why}")]
    Form { file: String, why: String },
    #[error("{file} is not UTF-8 text: only YAML files can be updated")]
    NotText { file: String },
    #[error("{file}: {source}")]
    Edit {
        file: String,
        #[source]
        source: EditError,
    },
    #[error("{file}: {source} (set allow-missing: true to skip files that do not use the image)")]
    Missing {
        file: String,
        #[source]
        source: EditError,
    },
}

/// The settings every file is edited with.
#[derive(Debug, Clone)]
pub struct EditSettings<'a> {
    pub form: FormChoice,
    pub helm: &'a HelmPaths,
    pub allow_missing: bool,
}

fn text_of<'t>(file: &str, content: &'t [u8]) -> Result<&'t str, UpdateError> {
    std::str::from_utf8(content).map_err(|_| UpdateError::NotText {
        file: file.to_owned(),
    })
}

fn form_for(file: &str, text: &str, settings: &EditSettings<'_>) -> Result<Form, UpdateError> {
    let name = file.rsplit('/').next().unwrap_or(file);
    plan::form_of(settings.form, edit::detect(name, text), settings.helm).map_err(|why| {
        UpdateError::Form {
            file: file.to_owned(),
            why,
        }
    })
}

/// Every file (`(path, content)`) with `target` set.
///
/// # Errors
/// The first file that cannot be edited; a file without the image unless `allow_missing`.
pub fn prepare(
    files: &[(String, Vec<u8>)],
    target: &Target,
    settings: &EditSettings<'_>,
) -> Result<Prepared, UpdateError> {
    let mut prepared = Prepared::default();
    for (path, content) in files {
        let text = text_of(path, content)?;
        let form = form_for(path, text, settings)?;
        match edit::edit(text, &form, target) {
            Ok(edited) if edited.changes.is_empty() => prepared.unchanged.push(path.clone()),
            Ok(edited) => {
                if prepared.previous.is_none() {
                    prepared.previous = edit::read(text, &form, target).ok().and_then(|c| {
                        plan::previous_reference(
                            &target.name,
                            c.repository.as_deref(),
                            c.tag.as_deref(),
                            c.digest.as_deref(),
                        )
                    });
                }
                prepared.updates.push(FileUpdate {
                    path: path.clone(),
                    form,
                    old: content.clone(),
                    new: edited.text.into_bytes(),
                    changes: edited.changes,
                });
            }
            Err(source @ EditError::NotFound(_)) if settings.allow_missing => {
                prepared.skipped.push((path.clone(), source.to_string()));
            }
            Err(source @ EditError::NotFound(_)) => {
                return Err(UpdateError::Missing {
                    file: path.clone(),
                    source,
                });
            }
            Err(source) => {
                return Err(UpdateError::Edit {
                    file: path.clone(),
                    source,
                });
            }
        }
    }
    Ok(prepared)
}

/// The reference the first of `files` that has the image gives it (rollback reads the files
/// of the commit before the one it undoes).
pub fn current(
    files: &[(String, Vec<u8>)],
    target: &Target,
    settings: &EditSettings<'_>,
) -> Result<Option<Current>, UpdateError> {
    for (path, content) in files {
        let text = text_of(path, content)?;
        let form = form_for(path, text, settings)?;
        match edit::read(text, &form, target) {
            Ok(current) => return Ok(Some(current)),
            Err(EditError::NotFound(_)) => {}
            Err(source) => {
                return Err(UpdateError::Edit {
                    file: path.clone(),
                    source,
                });
            }
        }
    }
    Ok(None)
}

/// The contents that undo `updates` on top of `files` (the branch's tip, later than the
/// commit being undone): a file nobody changed since gets its old bytes back; one changed since
/// gets the `previous` reference set by the edit, keeping the other change.
pub fn undo(
    updates: &[FileUpdate],
    files: &[(String, Vec<u8>)],
    previous: &Target,
) -> Result<Vec<FileUpdate>, UpdateError> {
    let mut undone = Vec::new();
    for update in updates {
        let Some((_, tip)) = files.iter().find(|(path, _)| *path == update.path) else {
            continue; // deleted since: nothing to undo there
        };
        if *tip == update.new {
            undone.push(FileUpdate {
                path: update.path.clone(),
                form: update.form.clone(),
                old: tip.clone(),
                new: update.old.clone(),
                changes: update
                    .changes
                    .iter()
                    .map(|c| Change {
                        line: c.line,
                        field: c.field.clone(),
                        old: Some(c.new.clone()),
                        new: c.old.clone().unwrap_or_default(),
                    })
                    .collect(),
            });
            continue;
        }
        let text = text_of(&update.path, tip)?;
        let edited =
            edit::edit(text, &update.form, previous).map_err(|source| UpdateError::Edit {
                file: update.path.clone(),
                source,
            })?;
        if !edited.changes.is_empty() {
            undone.push(FileUpdate {
                path: update.path.clone(),
                form: update.form.clone(),
                old: tip.clone(),
                new: edited.text.into_bytes(),
                changes: edited.changes,
            });
        }
    }
    Ok(undone)
}

/// The files of a commit that makes `updates`.
pub fn changed_files(updates: &[FileUpdate]) -> Vec<ChangedFile> {
    updates
        .iter()
        .map(|u| ChangedFile {
            path: u.path.clone(),
            content: u.new.clone(),
        })
        .collect()
}

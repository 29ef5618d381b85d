//! Which tags a push or a promote writes: a tag that already names the image is left alone
//! (even in an immutable repository); a tag naming another image moves in a mutable repository
//! and is an error in an immutable one, found before anything is written.

use std::collections::BTreeMap;

/// What to do with one tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagAction {
    /// The tag names nothing yet: put it.
    Add(String),
    /// The tag names this image already: skip it.
    AlreadyThere(String),
    /// Mutable repository: the tag moves from another image (put it).
    Move { tag: String, from: String },
}

impl TagAction {
    pub fn tag(&self) -> &str {
        match self {
            TagAction::Add(tag) | TagAction::AlreadyThere(tag) | TagAction::Move { tag, .. } => tag,
        }
    }

    /// What writing the tag changes, for the log (`added`, `moved from sha256:…`); `None`:
    /// nothing, the tag is skipped.
    pub fn change(&self) -> Option<String> {
        match self {
            TagAction::Add(_) => Some("added".to_string()),
            TagAction::AlreadyThere(_) => None,
            TagAction::Move { from, .. } => Some(format!("moved from {from}")),
        }
    }
}

/// A tag that names another image in an immutable repository: it never moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagConflict {
    pub tag: String,
    /// The digest the tag names now.
    pub existing: String,
}

/// What to do with `tag`, which names `current` now (`None`: nothing), to have it name
/// `digest`.
pub fn tag_action(
    tag: &str,
    current: Option<&str>,
    digest: &str,
    immutable: bool,
) -> Result<TagAction, TagConflict> {
    match current {
        None => Ok(TagAction::Add(tag.to_string())),
        Some(d) if d == digest => Ok(TagAction::AlreadyThere(tag.to_string())),
        Some(d) if immutable => Err(TagConflict {
            tag: tag.to_string(),
            existing: d.to_string(),
        }),
        Some(d) => Ok(TagAction::Move {
            tag: tag.to_string(),
            from: d.to_string(),
        }),
    }
}

/// [`tag_action`] for each of `tags`, in order; `current` maps each to the digest it names now
/// (missing or `None`: nothing). The first conflict stops the plan.
pub fn tags_to_write(
    current: &BTreeMap<String, Option<String>>,
    tags: &[String],
    digest: &str,
    immutable: bool,
) -> Result<Vec<TagAction>, TagConflict> {
    tags.iter()
        .map(|tag| {
            let now = current.get(tag).and_then(Option::as_deref);
            tag_action(tag, now, digest, immutable)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_action_table() {
        let conflict = Err(TagConflict {
            tag: "v1".into(),
            existing: "sha256:b".into(),
        });
        let cases = [
            (None, false, Ok(TagAction::Add("v1".into()))),
            (None, true, Ok(TagAction::Add("v1".into()))),
            (
                Some("sha256:a"),
                false,
                Ok(TagAction::AlreadyThere("v1".into())),
            ),
            (
                Some("sha256:a"),
                true,
                Ok(TagAction::AlreadyThere("v1".into())),
            ),
            (
                Some("sha256:b"),
                false,
                Ok(TagAction::Move {
                    tag: "v1".into(),
                    from: "sha256:b".into(),
                }),
            ),
            (Some("sha256:b"), true, conflict),
        ];
        for (current, immutable, want) in cases {
            assert_eq!(
                tag_action("v1", current, "sha256:a", immutable),
                want,
                "{current:?} immutable={immutable}"
            );
        }
    }

    #[test]
    fn tags_to_write_table() {
        let current: BTreeMap<String, Option<String>> = [
            ("new".to_string(), None),
            ("same".to_string(), Some("sha256:a".to_string())),
            ("other".to_string(), Some("sha256:b".to_string())),
        ]
        .into_iter()
        .collect();
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        type Plan = Result<Vec<TagAction>, TagConflict>;
        let cases: [(&[&str], bool, Plan); 4] = [
            (
                &["new", "same", "unknown"],
                true,
                Ok(vec![
                    TagAction::Add("new".into()),
                    TagAction::AlreadyThere("same".into()),
                    TagAction::Add("unknown".into()),
                ]),
            ),
            (
                &["other", "new"],
                false,
                Ok(vec![
                    TagAction::Move {
                        tag: "other".into(),
                        from: "sha256:b".into(),
                    },
                    TagAction::Add("new".into()),
                ]),
            ),
            (
                &["new", "other", "same"],
                true,
                Err(TagConflict {
                    tag: "other".into(),
                    existing: "sha256:b".into(),
                }),
            ),
            (&[], true, Ok(Vec::new())),
        ];
        for (wanted, immutable, want) in cases {
            assert_eq!(
                tags_to_write(&current, &tags(wanted), "sha256:a", immutable),
                want,
                "{wanted:?} immutable={immutable}"
            );
        }
    }

    #[test]
    fn tag_action_tag_and_change() {
        let cases = [
            (TagAction::Add("a".into()), "a", Some("added")),
            (TagAction::AlreadyThere("b".into()), "b", None),
            (
                TagAction::Move {
                    tag: "c".into(),
                    from: "sha256:x".into(),
                },
                "c",
                Some("moved from sha256:x"),
            ),
        ];
        for (action, tag, change) in cases {
            assert_eq!(action.tag(), tag);
            assert_eq!(action.change().as_deref(), change, "{action:?}");
        }
    }
}

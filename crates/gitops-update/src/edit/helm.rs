//! A Helm values file: the repository, tag, digest or whole `repo:tag@digest` string at dotted
//! paths (`image.tag`, `api.image.repository`, `sidecars[0].image`; `\.` for a dot in a key).
//!
//! Only the named paths change. A repository path whose value names another image is refused,
//! so that a values file with many images never gets the wrong one changed; and a values file
//! that keeps the registry apart (`image.registry: docker.io` beside `image.repository:
//! bitnami/nginx`) gets the repository without the registry, or a refusal when the new image is
//! on another registry (that needs the registry's value changed too, which no path names).

use super::apply::Slot;
use super::names::{
    compose, is_target, new_repository, repository_to_write, same, same_registry, split,
};
use super::tree::{At, Tree};
use super::{Current, EditError, HelmPaths, Target};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// `a.b[0].c\.d` → `a`, `b`, `[0]`, `c.d`.
fn steps(path: &str) -> Vec<Step> {
    let mut segments = Vec::new();
    let mut segment = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => segment.extend(chars.next()),
            '.' => segments.push(std::mem::take(&mut segment)),
            c => segment.push(c),
        }
    }
    segments.push(segment);
    let mut out = Vec::new();
    for segment in segments {
        let mut rest = segment.as_str();
        let mut indexes = Vec::new();
        while let Some(open) = rest
            .strip_suffix(']')
            .and_then(|r| r.rfind('[').map(|i| (r, i)))
        {
            let (r, i) = open;
            match r[i + 1..].parse::<usize>() {
                Ok(n) => {
                    indexes.push(n);
                    rest = &r[..i];
                }
                Err(_) => break,
            }
        }
        if !rest.is_empty() || indexes.is_empty() {
            out.push(Step::Key(rest.to_owned()));
        }
        out.extend(indexes.into_iter().rev().map(Step::Index));
    }
    out
}

/// The value at `path` under `root`; `None` (with what is there instead) when it is missing.
pub(super) fn find(tree: &Tree<'_>, root: &At, path: &str) -> Result<At, String> {
    let mut at = root.clone();
    let mut walked = String::new();
    for step in steps(path) {
        let here = if walked.is_empty() {
            "the top level".to_owned()
        } else {
            format!("`{walked}`")
        };
        match &step {
            Step::Key(key) => {
                if !tree.is_map(&at) {
                    return Err(format!("{here} is not a mapping"));
                }
                match tree.get(&at, key) {
                    Some(next) => at = next,
                    None => {
                        let keys = tree.keys(&at);
                        return Err(format!(
                            "{here} has no `{key}` (it has: {})",
                            if keys.is_empty() {
                                "nothing".to_owned()
                            } else {
                                keys.join(", ")
                            }
                        ));
                    }
                }
                if !walked.is_empty() {
                    walked.push('.');
                }
                walked.push_str(key);
            }
            Step::Index(i) => {
                let items = tree.items(&at);
                match items.get(*i) {
                    Some(next) => at = next.clone(),
                    None => {
                        return Err(format!(
                            "{here} has no item {i} (it has {} items)",
                            items.len()
                        ));
                    }
                }
                walked.push_str(&format!("[{i}]"));
            }
        }
    }
    Ok(at)
}

fn values_root(tree: &Tree<'_>) -> Result<At, EditError> {
    match tree.docs.first() {
        Some(_) => {
            let root = tree.root(0);
            if tree.is_map(&root) || tree.is_null(&root) {
                Ok(root)
            } else {
                Err(EditError::Syntax {
                    line: tree.line_at(root.id),
                    message: "a values file is a mapping; this one is not".to_owned(),
                })
            }
        }
        None => Err(EditError::NotFound("the values file is empty".to_owned())),
    }
}

fn lookup(tree: &Tree<'_>, root: &At, path: &str) -> Result<At, EditError> {
    find(tree, root, path).map_err(|why| {
        EditError::NotFound(format!(
            "the values file has no `{path}`: {why}; check the Helm path"
        ))
    })
}

/// The registry written beside a repository (`image.registry`), when there is one.
fn sibling_registry<'t>(tree: &'t Tree<'_>, root: &At, path: &str) -> Option<(String, &'t str)> {
    let (parent, _) = path.rsplit_once('.')?;
    let parent_at = find(tree, root, parent).ok()?;
    let registry = tree.get_str(&parent_at, "registry")?;
    (!registry.is_empty()).then(|| (format!("{parent}.registry"), registry))
}

/// The named paths, and the digest beside the tag when no digest (or image) path is named: a
/// chart that writes `image.digest` beside `image.tag` (ingress-nginx) renders `repo:tag@digest`,
/// so a new tag under an old digest would still run the old image.
fn with_implied_digest(tree: &Tree<'_>, root: &At, paths: &HelmPaths) -> HelmPaths {
    let mut paths = paths.clone();
    if paths.digest.is_none()
        && paths.image.is_none()
        && let Some((parent, _)) = paths.tag.as_deref().and_then(|t| t.rsplit_once('.'))
    {
        let beside = format!("{parent}.digest");
        if find(tree, root, &beside).is_ok_and(|at| tree.scalar(&at).is_some()) {
            paths.digest = Some(beside);
        }
    }
    paths
}

/// A repository path's current value (with the registry beside it), after checking that it
/// names the target's image.
struct Repository<'t> {
    at: At,
    /// The value at the path.
    value: Option<&'t str>,
    /// The registry beside it: its path and value.
    registry: Option<(String, &'t str)>,
}

impl Repository<'_> {
    fn full(&self) -> Option<String> {
        let value = self.value?;
        Some(match &self.registry {
            Some((_, registry)) => format!("{registry}/{value}"),
            None => value.to_owned(),
        })
    }
}

fn another_image(path: &str, value: &str, target: &Target) -> EditError {
    EditError::NotFound(format!(
        "`{path}` is `{value}`, another image than `{}`: the paths name the values of another \
         image. Name the paths of `{}`'s values, or check `image`",
        target.name, target.name
    ))
}

fn repository<'t>(
    tree: &'t Tree<'_>,
    root: &At,
    path: &str,
    target: &Target,
) -> Result<Repository<'t>, EditError> {
    let at = lookup(tree, root, path)?;
    let repo = Repository {
        value: tree.str(&at),
        registry: sibling_registry(tree, root, path),
        at,
    };
    if let (Some(value), Some(full)) = (repo.value, repo.full())
        && !is_target(&full, target)
        && !is_target(value, target)
    {
        return Err(another_image(path, &full, target));
    }
    Ok(repo)
}

/// An image path's current value, after checking that it names the target's image.
fn image<'t>(
    tree: &'t Tree<'_>,
    root: &At,
    path: &str,
    target: &Target,
) -> Result<(At, Option<&'t str>), EditError> {
    let at = lookup(tree, root, path)?;
    let value = tree.str(&at).filter(|v| !v.is_empty());
    if let Some(value) = value
        && !is_target(split(value).repository, target)
    {
        return Err(another_image(path, value, target));
    }
    Ok((at, value))
}

/// The changes that set the image at the named paths.
pub(super) fn plan(
    tree: &Tree<'_>,
    paths: &HelmPaths,
    target: &Target,
) -> Result<Vec<Slot>, EditError> {
    let root = values_root(tree)?;
    let (slots, placed) = plan_in(tree, &root, paths, target, "")?;
    if !placed {
        return Err(EditError::NotFound(nothing_to_set(paths, target)));
    }
    Ok(slots)
}

/// The changes that set the image at the named paths under `root` (a values file's top, or an
/// Argo CD `valuesObject`), their fields prefixed with `prefix`; and whether some part of the
/// new reference had a path to go to.
pub(super) fn plan_in(
    tree: &Tree<'_>,
    root: &At,
    paths: &HelmPaths,
    target: &Target,
    prefix: &str,
) -> Result<(Vec<Slot>, bool), EditError> {
    let root = root.clone();
    let paths = &with_implied_digest(tree, &root, paths);
    let new = &target.new;
    let field = |path: &str| format!("{prefix}{path}");
    let mut slots = Vec::new();
    // Whether some part of the new reference has a path to go to.
    let mut placed = false;
    if let Some(path) = &paths.image {
        let (at, old) = image(tree, &root, path, target)?;
        let repository = old.map_or_else(
            || new_repository(new),
            |old| repository_to_write(split(old).repository, new),
        );
        let value = compose(&repository, new.tag.as_deref(), new.digest.as_deref());
        slots.push(Slot::set_string(tree, &at, field(path), &value));
        placed = true;
    }
    if let Some(path) = &paths.repository {
        let repo = repository(tree, &root, path, target)?;
        placed = true;
        let value = match &repo.registry {
            Some((registry_path, registry)) => {
                if !same_registry(Some(registry), new.registry.as_deref()) {
                    return Err(EditError::Unsupported {
                        line: tree.line_at(repo.at.id),
                        field: field(path),
                        why: format!(
                            "the values keep the registry apart, at `{registry_path}` \
                             (`{registry}`), and the new image is on `{}`; change \
                             `{registry_path}` to it first (no path here names the registry)",
                            new.registry.as_deref().unwrap_or("docker.io")
                        ),
                    });
                }
                match repo.full() {
                    Some(full) if same(&full, &new_repository(new)) => None,
                    _ => Some(new.repository.clone()),
                }
            }
            None => Some(
                repo.value
                    .map_or_else(|| new_repository(new), |old| repository_to_write(old, new)),
            ),
        };
        if let Some(value) = value {
            slots.push(Slot::set_string(tree, &repo.at, field(path), &value));
        }
    }
    if let (Some(path), Some(tag)) = (&paths.tag, &new.tag) {
        let at = lookup(tree, &root, path)?;
        slots.push(Slot::set_string(tree, &at, field(path), tag));
        placed = true;
    }
    if let Some(path) = &paths.digest {
        match &new.digest {
            Some(digest) => {
                let at = lookup(tree, &root, path)?;
                slots.push(Slot::set_string(tree, &at, field(path), digest));
                placed = true;
            }
            None => {
                // A digest left from before would keep pinning the old image.
                if let Ok(at) = find(tree, &root, path)
                    && tree.str(&at).is_some_and(|d| !d.is_empty())
                {
                    slots.push(Slot::set(tree, &at, field(path), ""));
                }
            }
        }
    }
    Ok((slots, placed))
}

/// Why nothing can be set: the parts of the reference have no paths.
pub(super) fn nothing_to_set(paths: &HelmPaths, target: &Target) -> String {
    let named: Vec<String> = [
        ("repository", &paths.repository),
        ("tag", &paths.tag),
        ("digest", &paths.digest),
        ("image", &paths.image),
    ]
    .iter()
    .filter_map(|(what, path)| path.as_ref().map(|p| format!("{what} `{p}`")))
    .collect();
    format!(
        "nothing to set for `{}`: the paths named ({}) have no part of it to take; name a {} path",
        target.new,
        if named.is_empty() {
            "none".to_owned()
        } else {
            named.join(", ")
        },
        if target.new.digest.is_some() && target.new.tag.is_none() {
            "digest (or image)"
        } else {
            "tag (or image)"
        }
    )
}

/// The reference the named paths give now.
pub(super) fn read(
    tree: &Tree<'_>,
    paths: &HelmPaths,
    target: &Target,
) -> Result<Current, EditError> {
    if paths == &HelmPaths::default() {
        return Err(EditError::NotFound(nothing_to_set(paths, target)));
    }
    read_in(tree, &values_root(tree)?, paths, target)
}

/// The reference the named paths under `root` give now.
pub(super) fn read_in(
    tree: &Tree<'_>,
    root: &At,
    paths: &HelmPaths,
    target: &Target,
) -> Result<Current, EditError> {
    let root = root.clone();
    let paths = &with_implied_digest(tree, &root, paths);
    let mut current = Current {
        repository: None,
        tag: None,
        digest: None,
    };
    let owned = |v: Option<&str>| v.filter(|v| !v.is_empty()).map(str::to_owned);
    if let Some(path) = &paths.image
        && let (_, Some(value)) = image(tree, &root, path, target)?
    {
        let parts = split(value);
        current.repository = Some(parts.repository.to_owned());
        current.tag = owned(parts.tag);
        current.digest = owned(parts.digest);
    }
    if let Some(path) = &paths.repository {
        let repo = repository(tree, &root, path, target)?;
        current.repository = repo.full().or(current.repository);
    }
    if let Some(path) = &paths.tag {
        let at = lookup(tree, &root, path)?;
        current.tag = owned(tree.str(&at)).or(current.tag);
    }
    if let Some(path) = &paths.digest
        && let Ok(at) = find(tree, &root, path)
    {
        current.digest = owned(tree.str(&at)).or(current.digest);
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_steps() {
        use Step::{Index, Key};
        let k = |s: &str| Key(s.to_owned());
        assert_eq!(steps("image.tag"), [k("image"), k("tag")]);
        assert_eq!(steps("a[0].b"), [k("a"), Index(0), k("b")]);
        assert_eq!(steps("a[1][2]"), [k("a"), Index(1), Index(2)]);
        assert_eq!(
            steps(r"labels.app\.io/name"),
            [k("labels"), k("app.io/name")]
        );
        assert_eq!(steps("a[x]"), [k("a[x]")]);
    }
}

use super::*;

/// Patterns, and the files they select or the pattern that fails.
type SelectCase<'a> = (&'a [&'a str], Result<&'a [&'a str], &'a str>);
/// A history, newest first, and the commit a rollback undoes.
type UndoCase<'a> = (Vec<(String, String)>, Option<&'a str>);

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn reference(text: &str) -> ImageRef {
    ImageRef::parse(text).expect("a valid reference")
}

#[test]
fn files_are_selected_by_path_and_glob_each_once_in_the_order_asked() {
    let listed = strings(&[
        "base/deployment.yaml",
        "base/kustomization.yaml",
        "overlays/dev/kustomization.yaml",
        "overlays/prod/kustomization.yaml",
        "overlays/prod/patch.yaml",
        "charts/api/values.yaml",
    ]);
    let cases: &[SelectCase<'_>] = &[
        (&["base/deployment.yaml"], Ok(&["base/deployment.yaml"])),
        (&["./base/deployment.yaml"], Ok(&["base/deployment.yaml"])),
        (
            &["overlays/*/kustomization.yaml"],
            Ok(&[
                "overlays/dev/kustomization.yaml",
                "overlays/prod/kustomization.yaml",
            ]),
        ),
        // `*` does not cross `/`; `**` does.
        (&["*/kustomization.yaml"], Ok(&["base/kustomization.yaml"])),
        (&["**/values.yaml"], Ok(&["charts/api/values.yaml"])),
        (
            &[
                "overlays/prod/kustomization.yaml",
                "overlays/*/kustomization.yaml",
            ],
            Ok(&[
                "overlays/prod/kustomization.yaml",
                "overlays/dev/kustomization.yaml",
            ]),
        ),
        (&["base/missing.yaml"], Err("base/missing.yaml")),
        (&["apps/**/values.yaml"], Err("apps/**/values.yaml")),
        (&["overlays/[/x"], Err("overlays/[/x")),
    ];
    for (patterns, expected) in cases {
        let got = select_files(&strings(patterns), &listed);
        match expected {
            Ok(files) => assert_eq!(got, Ok(strings(files)), "{patterns:?}"),
            Err(pattern) => assert_eq!(
                got.map_err(|e| e.0),
                Err((*pattern).to_owned()),
                "{patterns:?}"
            ),
        }
    }
}

#[test]
fn the_form_is_the_users_or_the_contents() {
    let helm = HelmPaths {
        tag: Some("image.tag".into()),
        ..HelmPaths::default()
    };
    let cases = [
        (
            FormChoice::Auto,
            Some(FormKind::Kustomize),
            Ok(Form::Kustomize),
        ),
        (
            FormChoice::Auto,
            Some(FormKind::Manifest),
            Ok(Form::Manifest),
        ),
        (
            FormChoice::Auto,
            Some(FormKind::ArgoCd),
            Ok(Form::ArgoCd(helm.clone())),
        ),
        (FormChoice::Auto, None, Err(())),
        (FormChoice::Helm, None, Ok(Form::Helm(helm.clone()))),
        // The user's choice wins over the content.
        (
            FormChoice::Manifest,
            Some(FormKind::Kustomize),
            Ok(Form::Manifest),
        ),
    ];
    for (choice, detected, expected) in cases {
        assert_eq!(
            form_of(choice, detected, &helm).map_err(|_| ()),
            expected,
            "{choice:?} {detected:?}"
        );
    }
}

#[test]
fn the_commit_message_names_the_image_the_reference_and_the_source_in_trailers() {
    let new = reference("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:v1.4.0");
    let source = "4f2a9c1e0b7d4f2a9c1e0b7d4f2a9c1e0b7d4f2a";
    let message = commit_message(
        "deploy(${image}): ${tag} from ${source}",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api",
        &new,
        Some(source),
        None,
    );
    let subject = message.lines().next().unwrap_or_default();
    assert_eq!(subject, "deploy(api): v1.4.0 from 4f2a9c1e0b7d");
    let found = trailers(&message);
    assert_eq!(
        found.image.as_deref(),
        Some("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api")
    );
    assert_eq!(found.reference.as_deref(), Some(new.to_string().as_str()));
    assert_eq!(found.undoes, None);
    assert!(message.contains(&format!("{SOURCE_TRAILER}: {source}\n")));
    // A digest-only reference names its digest.
    let pinned = reference(&format!("api@sha256:{}", "a".repeat(64)));
    let message = commit_message("${tag}", "api", &pinned, None, Some("abc"));
    assert!(message.starts_with("sha256:aaaa"));
    assert_eq!(trailers(&message).undoes.as_deref(), Some("abc"));
}

#[test]
fn trailers_are_read_from_the_last_paragraph_only() {
    let message = "deploy(api): v2\n\nGantry-Image: not-a-trailer-here\nmore text\n\nGantry-Image: api\nGantry-Reference: api:v2\n";
    let found = trailers(message);
    assert_eq!(found.image.as_deref(), Some("api"));
    assert_eq!(found.reference.as_deref(), Some("api:v2"));
}

#[test]
fn a_rollback_undoes_the_last_update_of_the_image_skipping_undone_ones() {
    let update = |sha: &str, image: &str, tag: &str| {
        (
            sha.to_owned(),
            commit_message(
                "deploy",
                image,
                &reference(&format!("{image}:{tag}")),
                None,
                None,
            ),
        )
    };
    let undo = |sha: &str, image: &str, tag: &str, of: &str| {
        (
            sha.to_owned(),
            commit_message(
                "rollback",
                image,
                &reference(&format!("{image}:{tag}")),
                None,
                Some(of),
            ),
        )
    };
    let other = |sha: &str| (sha.to_owned(), "docs: a commit by hand\n".to_owned());
    // Newest first.
    let cases: Vec<UndoCase<'_>> = vec![
        (
            vec![update("b", "api", "v3"), update("a", "api", "v2")],
            Some("b"),
        ),
        (
            vec![
                other("x"),
                update("w", "web", "v9"),
                update("b", "api", "v3"),
            ],
            Some("b"),
        ),
        // Rolled back once (c undid b): the next rollback undoes a.
        (
            vec![
                undo("c", "api", "v2", "b"),
                update("b", "api", "v3"),
                update("a", "api", "v2"),
            ],
            Some("a"),
        ),
        // After a rollback a new update is the one to undo.
        (
            vec![
                update("d", "api", "v4"),
                undo("c", "api", "v2", "b"),
                update("b", "api", "v3"),
            ],
            Some("d"),
        ),
        (vec![update("w", "web", "v9")], None),
        (vec![], None),
    ];
    for (history, expected) in cases {
        assert_eq!(commit_to_undo("api", &history), expected, "{history:?}");
    }
}

#[test]
fn pull_request_branches_and_render_dirs() {
    assert_eq!(
        pull_request_branch(
            "gitops-update/${branch}/${image}",
            "main",
            "123.dkr.ecr.x/team/api"
        ),
        "gitops-update/main/api"
    );
    let changed = vec![
        (
            "overlays/prod/kustomization.yaml".to_owned(),
            Form::Kustomize,
        ),
        ("kustomization.yaml".to_owned(), Form::Kustomize),
        ("base/deployment.yaml".to_owned(), Form::Manifest),
    ];
    assert_eq!(
        render_dirs(
            &changed,
            &strings(&["./overlays/staging/", "overlays/prod"])
        ),
        strings(&["overlays/prod", ".", "overlays/staging"])
    );
}

#[test]
fn rendered_output_must_carry_the_whole_reference() {
    let tagged = reference("ghcr.io/acme/api:v2");
    assert!(rendered_carries(
        "        image: ghcr.io/acme/api:v2\n",
        &tagged
    ));
    assert!(!rendered_carries(
        "        image: ghcr.io/acme/api:v1\n",
        &tagged
    ));
    let both = reference(&format!("ghcr.io/acme/api:v2@sha256:{}", "b".repeat(64)));
    assert!(!rendered_carries("image: ghcr.io/acme/api:v2\n", &both));
}

#[test]
fn the_previous_reference_keeps_the_form_the_files_had() {
    assert_eq!(
        previous_reference("api", Some("ghcr.io/acme/api"), Some("v1"), None),
        Some(reference("ghcr.io/acme/api:v1"))
    );
    assert_eq!(
        previous_reference("api", None, Some("v1"), None),
        Some(reference("api:v1"))
    );
    assert_eq!(previous_reference("api", None, None, None), None);
}

#[test]
fn render_cones_reach_as_far_up_as_the_kustomization_does() {
    let texts = |dir: &str| -> Option<String> {
        match dir {
            "apps/api/overlays/prod" => {
                Some("resources:\n  - ../../base\n  - ingress.yaml\n".into())
            }
            "apps/api/overlays/dev" => Some("resources: ['../../base']\n".into()),
            "apps/web/overlays/prod" => Some("resources:\n- ../../../../shared/base\n".into()),
            "flat" => Some("resources:\n  - deployment.yaml\n".into()),
            _ => None,
        }
    };
    let cases: &[(&[&str], &[&str])] = &[
        (&["apps/api/overlays/prod"], &["apps/api"]),
        (
            &["apps/api/overlays/prod", "apps/api/overlays/dev"],
            &["apps/api"],
        ),
        (&["flat"], &["flat"]),
        // Four levels up from a four-level directory: the whole commit.
        (&["apps/web/overlays/prod", "flat"], &[""]),
        (&["."], &[""]),
        (&["other/dir", "other"], &["other"]),
    ];
    for (dirs, expected) in cases {
        assert_eq!(
            render_cones(&strings(dirs), texts),
            strings(expected),
            "{dirs:?}"
        );
    }
}

//! What a promote records of the digests ECR reports.

use crate::image::ImageSelector;

/// The note when ECR reports another digest for the promoted image (`reported`) than its
/// manifest's sha256 (`manifest_digest`): the outputs use the manifest's. A real registry
/// reports the same; the moto emulator does not. `None`: they agree.
pub fn digest_note(
    reported: &str,
    manifest_digest: &str,
    source: &ImageSelector,
) -> Option<String> {
    (reported != manifest_digest).then(|| {
        format!(
            "ECR reports digest {reported} for {source}, but its manifest's sha256 is {manifest_digest}: outputs use the manifest's (a real registry reports the same; the moto emulator does not)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_note_table() {
        let tag = ImageSelector::Tag("v1".into());
        let digest = ImageSelector::Digest("sha256:m".into());
        for (reported, source, want) in [
            ("sha256:m", &tag, None),
            (
                "sha256:x",
                &tag,
                Some(
                    "ECR reports digest sha256:x for :v1, but its manifest's sha256 is sha256:m: outputs use the manifest's (a real registry reports the same; the moto emulator does not)",
                ),
            ),
            (
                "sha256:x",
                &digest,
                Some(
                    "ECR reports digest sha256:x for @sha256:m, but its manifest's sha256 is sha256:m: outputs use the manifest's (a real registry reports the same; the moto emulator does not)",
                ),
            ),
        ] {
            assert_eq!(
                digest_note(reported, "sha256:m", source).as_deref(),
                want,
                "{reported} {source}"
            );
        }
    }
}

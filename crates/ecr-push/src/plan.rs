//! The decisions of a run, as pure functions over ecr-push's own types, each with a table
//! test. The flows in [`crate::modes`] (and the push in [`crate::push`]) carry them out.
//!
//! - Where: the account pushed to ([`target_account`]), the flow a mode takes (a promote from
//!   elsewhere is a copy: [`flow`]), the host the registry API is reached at ([`data_plane`],
//!   [`data_plane_host`]), how a copy reaches its source ([`copy_route`]), the registries a
//!   build logs in to ([`build_login_hosts`], [`user_docker_config`]).
//! - Tags: which are written and which are already there ([`tags_to_write`], [`tag_action`]).
//! - Build: whether the commit's image is built or only retagged ([`prebuilt_tag`],
//!   [`build_step`]), what the builder can do ([`check_builder`], [`exports_oci_tarball`],
//!   [`writes_registry_cache`]), the image's version label and local name ([`image_version`],
//!   [`local_image_name`]), and the build cache ([`cache_target`],
//!   [`cache_repository_to_read`], [`cache_repository_verdict`], [`inline_cache`]).
//! - Repository: created, updated or left ([`repository_action`]), and its settings in effect
//!   ([`tags_immutable`], [`scan_on_push`]).
//! - Scan gate: whether it applies ([`scan_gate`]), what ECR scans ([`scanned_images`]), and
//!   its verdict ([`gate_verdict`]).
//! - Outcome: the note on a promoted image's digest ([`digest_note`]); what a push records is
//!   [`crate::modes`]'s.

mod build;
mod outcome;
mod registry;
mod repository;
mod scan;
mod tags;

pub use build::{
    BuildStep, CacheRepositoryError, CacheTarget, build_step, cache_repository_to_read,
    cache_repository_verdict, cache_target, check_builder, exports_oci_tarball, image_version,
    inline_cache, local_image_name, prebuilt_tag, writes_registry_cache,
};
pub use outcome::digest_note;
pub use registry::{
    CopyRoute, Flow, build_login_hosts, copy_route, data_plane, data_plane_host, flow,
    target_account, user_docker_config,
};
pub use repository::{RepositoryAction, repository_action, scan_on_push, tags_immutable};
pub use scan::{GateFailure, gate_verdict, scan_gate, scanned_images};
pub use tags::{TagAction, TagConflict, tag_action, tags_to_write};

//! The decisions of a run, as pure functions over ecr-push's own types: where the registry is
//! reached and which flow a mode takes ([`flow`], [`data_plane`], [`copy_route`]); which tags
//! are written and which are already there ([`tags_to_write`]); whether a build is needed or
//! the image only retagged ([`build_step`]), and where its cache goes ([`cache_target`]). The
//! flows in [`crate::modes`]
//! (and the push in [`crate::push`]) carry them out; each has a table test here.

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

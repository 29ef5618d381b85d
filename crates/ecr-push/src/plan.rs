//! The decisions of a run, as pure functions over ecr-push's own types: where the registry is
//! reached and which flow a mode takes ([`flow`], [`data_plane`], [`copy_route`]); which tags
//! are written and which are already there ([`tags_to_write`]). The flows in [`crate::modes`]
//! (and the push in [`crate::push`]) carry them out; each has a table test here.

mod registry;
mod tags;

pub use registry::{
    CopyRoute, Flow, build_login_hosts, copy_route, data_plane, data_plane_host, flow,
    target_account, user_docker_config,
};
pub use tags::{TagAction, TagConflict, tag_action, tags_to_write};

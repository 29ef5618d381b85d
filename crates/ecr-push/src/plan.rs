//! The decisions of a run, as pure functions over ecr-push's own types: where the registry is
//! reached and which flow a mode takes ([`flow`], [`data_plane`], [`copy_route`]). The flows in
//! [`crate::modes`] carry them out; each has a table test here.

mod registry;

pub use registry::{
    CopyRoute, Flow, build_login_hosts, copy_route, data_plane, data_plane_host, flow,
    target_account, user_docker_config,
};

//! `ecr-push`: build, tag, push and promote container images in Amazon ECR, in one step that
//! replaces amazon-ecr-login + docker/metadata-action + docker/build-push-action.
//!
//! Three layers, as in every gantry tool:
//! 1. **Inputs → [`config::Config`]**: every input validated (tags against the registry's rules,
//!    paths, platforms, severities, AWS settings) before anything talks to AWS, the registry or
//!    Docker. The tags are computed there from the GitHub context by [`tags`].
//! 2. **Pure decisions**: [`tags::compute_tags`], [`repository::plan`] (the repository asked for
//!    against the one that exists), [`promote::plan`], [`scan::judge`], every decision of the
//!    flows in [`plan`] (the flow a mode takes, where the registry is reached, which tags are
//!    written, build or only retag, the build cache, the repository step, the scan gate), the
//!    order of a push in [`push::push`] (blobs, then manifests children first, then tags), the
//!    Docker command line in [`build::build_args`], outputs in [`outputs`], ECR's lifecycle
//!    evaluation and the retention policy that never expires a release image in [`lifecycle`].
//! 3. **Effects behind narrow traits**: [`ecr::Ecr`] (ECR's API, over the AWS SDK) and
//!    [`push::Registry`] (the registry HTTP API, over `oci-client`), plus Docker in [`build`].
//!
//! Modes: `build` (Docker, then the registry push), `push` (an OCI layout or `docker save`
//! tarball, no daemon: [`layout`], [`archive`]) and `promote` (more tags on an image already in
//! ECR by its API, no blob moves; or a copy from another account, region or repository over
//! the registry API: [`remote`]). [`login`] turns ECR's (and optionally ECR Public's) token into
//! masked credentials and a job-private Docker config. Each mode's flow is a module of [`modes`]
//! (with the repository step before and the scan gate after); [`run`] only strings them
//! together: inputs, connecting, the mode, outputs and summary, with one deadline and SIGTERM
//! handling. Every flow pushes the image by digest and leaves its tags pending
//! ([`modes::Pending`]); they are written only after the scan gate passes, so neither a stopped
//! run nor an image that fails the gate gets a new tag.

pub mod archive;
pub mod build;
pub mod config;
pub mod ecr;
pub mod image;
pub mod layout;
pub mod lifecycle;
pub mod login;
pub mod modes;
pub mod outputs;
pub mod plan;
pub mod promote;
pub mod push;
pub mod remote;
pub mod repository;
pub mod run;
pub mod scan;
pub mod tags;

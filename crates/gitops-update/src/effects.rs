//! The effects a run works through, each behind its trait: the GitOps repository, the renderer,
//! the runner (log, outputs) and the run's stop (deadline, cancellation).

use gantry_toolkit::{Runner, Stop};

use crate::git::Git;
use crate::render::Render;

/// The effects of a run, by trait.
#[derive(Debug)]
pub struct Effects<'a, G: Git, R: Render> {
    pub git: &'a G,
    pub render: &'a R,
    pub runner: &'a Runner,
    pub stop: &'a Stop,
}

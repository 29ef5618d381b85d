//! gitops-update: set an image's reference in the Kubernetes manifests of a GitOps repository
//! (kustomize `images:`, Helm values, plain workload manifests, Argo CD `Application`s), check
//! that the manifests still render with it, commit and push it (or open a pull request), and
//! follow Argo CD until the application runs it, reverting the commit when it does not.
//!
//! Layers: inputs → [`config`]; pure decisions in [`edit`] (which bytes change), [`plan`],
//! [`update`] and [`argocd`]'s judgement; effects behind traits in [`git`], [`render`]
//! (`kubectl kustomize`), [`argocd`] and the GitHub client ([`pulls`]); [`run`] strings them
//! together, [`follow`] is the part after the push, [`report`] the outputs and summary.

pub mod argocd;
pub mod config;
pub mod edit;
pub mod effects;
pub mod follow;
pub mod git;
pub mod plan;
pub mod pulls;
pub mod render;
pub mod report;
pub mod run;
pub mod update;

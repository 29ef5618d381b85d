//! The traffic split: the forward action of an ALB listener rule (or of the listener's default
//! action) over the stable and canary target groups. [`Traffic`] is the narrow effect the run
//! needs; [`ElbTraffic`] implements it over the ELBv2 SDK. Reading and checking the forward
//! action ([`split_of`]) is pure and tested by itself.

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::error::ProvideErrorMetadata;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ForwardActionConfig, TargetGroupTuple,
};

use crate::config::AlbTarget;
use crate::steps::{Weights, WeightsError};

#[derive(Debug, thiserror::Error)]
pub enum TrafficError {
    #[error("{what} '{arn}' does not exist: check the {input} input (and the region)")]
    NotFound {
        what: &'static str,
        arn: String,
        input: &'static str,
    },
    #[error("{0}")]
    Shape(String),
    #[error(transparent)]
    Weights(#[from] WeightsError),
    #[error("ELBv2 {operation} failed: {message}")]
    Api {
        operation: &'static str,
        message: String,
    },
}

/// The live split and where it lives; effects on it.
#[allow(async_fn_in_trait)]
pub trait Traffic {
    /// The current weights, after checking that the forward action sends traffic only to the
    /// stable and canary target groups.
    async fn weights(&self) -> Result<Weights, TrafficError>;
    /// Sets both weights in one call (the ALB applies them atomically).
    async fn set_weights(&self, weights: Weights) -> Result<(), TrafficError>;
}

/// The weights of the stable and canary groups in a forward action's target groups. A group
/// the action does not name has weight 0 (the first run adds the canary); a third group is
/// an error, because shifting weights would silently change its share.
pub fn split_of(
    groups: &[(String, Option<i32>)],
    target: &AlbTarget,
) -> Result<Weights, TrafficError> {
    let mut w = Weights {
        stable: 0,
        canary: 0,
    };
    let mut stable_seen = false;
    for (arn, weight) in groups {
        // A forward to a single group without a weight sends it everything (weight 1).
        let weight = u16::try_from(weight.unwrap_or(1).max(0)).unwrap_or(u16::MAX);
        if *arn == target.stable_target_group {
            w.stable = weight;
            stable_seen = true;
        } else if *arn == target.canary_target_group {
            w.canary = weight;
        } else {
            return Err(TrafficError::Shape(format!(
                "the forward action also sends traffic to target group '{arn}': canary-gate only shifts between stable-target-group and canary-target-group; remove the third group from the rule first"
            )));
        }
    }
    if !stable_seen {
        return Err(TrafficError::Shape(format!(
            "the forward action does not send traffic to stable-target-group '{}': point the rule at the stable group first",
            target.stable_target_group
        )));
    }
    Ok(w)
}

/// The split as ELBv2 sees it.
#[derive(Debug, Clone)]
pub struct ElbTraffic {
    client: Client,
    target: AlbTarget,
}

fn api<E>(
    operation: &'static str,
    e: &aws_sdk_elasticloadbalancingv2::error::SdkError<E>,
) -> TrafficError
where
    E: aws_sdk_elasticloadbalancingv2::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    TrafficError::Api {
        operation,
        message: gantry_aws_setup::sdk_error::explain(e),
    }
}

impl ElbTraffic {
    pub fn new(client: Client, target: AlbTarget) -> ElbTraffic {
        ElbTraffic { client, target }
    }

    /// The same rule with the two groups' roles exchanged ([`AlbTarget::swapped`]).
    pub fn swapped(&self) -> ElbTraffic {
        ElbTraffic {
            client: self.client.clone(),
            target: self.target.swapped(),
        }
    }

    /// Checks that both target groups exist; done before anything moves.
    pub async fn check_target_groups(&self) -> Result<(), TrafficError> {
        for (arn, input) in [
            (&self.target.stable_target_group, "stable-target-group"),
            (&self.target.canary_target_group, "canary-target-group"),
        ] {
            match self
                .client
                .describe_target_groups()
                .target_group_arns(arn)
                .send()
                .await
            {
                Ok(out) if !out.target_groups().is_empty() => {}
                Ok(_) => {
                    return Err(TrafficError::NotFound {
                        what: "target group",
                        arn: arn.clone(),
                        input,
                    });
                }
                Err(e) if e.code() == Some("TargetGroupNotFound") => {
                    return Err(TrafficError::NotFound {
                        what: "target group",
                        arn: arn.clone(),
                        input,
                    });
                }
                Err(e) => return Err(api("DescribeTargetGroups", &e)),
            }
        }
        Ok(())
    }

    /// The actions of the rule (or the listener's default actions).
    async fn actions(&self) -> Result<Vec<Action>, TrafficError> {
        let listener_missing = || TrafficError::NotFound {
            what: "listener",
            arn: self.target.listener_arn.clone(),
            input: "listener-arn",
        };
        let Some(rule_arn) = &self.target.rule_arn else {
            let out = match self
                .client
                .describe_listeners()
                .listener_arns(&self.target.listener_arn)
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) if e.code() == Some("ListenerNotFound") => return Err(listener_missing()),
                Err(e) => return Err(api("DescribeListeners", &e)),
            };
            let listener = out.listeners().first().ok_or_else(listener_missing)?;
            return Ok(listener.default_actions().to_vec());
        };
        // Listing the listener's rules proves the rule belongs to that listener.
        let mut marker = None;
        loop {
            let out = match self
                .client
                .describe_rules()
                .listener_arn(&self.target.listener_arn)
                .set_marker(marker)
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) if e.code() == Some("ListenerNotFound") => return Err(listener_missing()),
                Err(e) => return Err(api("DescribeRules", &e)),
            };
            if let Some(rule) = out.rules().iter().find(|r| r.rule_arn() == Some(rule_arn)) {
                return Ok(rule.actions().to_vec());
            }
            marker = out.next_marker().map(str::to_string);
            if marker.is_none() {
                return Err(TrafficError::NotFound {
                    what: "listener rule",
                    arn: format!("{rule_arn}' on listener '{}", self.target.listener_arn),
                    input: "rule-arn",
                });
            }
        }
    }
}

fn forward_groups(action: &Action) -> Vec<(String, Option<i32>)> {
    match action.forward_config() {
        Some(cfg) if !cfg.target_groups().is_empty() => cfg
            .target_groups()
            .iter()
            .map(|t| {
                (
                    t.target_group_arn().unwrap_or_default().to_string(),
                    t.weight(),
                )
            })
            .collect(),
        _ => action
            .target_group_arn()
            .map(|a| vec![(a.to_string(), None)])
            .unwrap_or_default(),
    }
}

fn forward_action(actions: &[Action]) -> Result<&Action, TrafficError> {
    actions
        .iter()
        .find(|a| a.r#type() == Some(&ActionTypeEnum::Forward))
        .ok_or_else(|| {
            TrafficError::Shape(
                "the rule has no forward action: canary-gate needs a rule that forwards to the stable target group".into(),
            )
        })
}

impl Traffic for ElbTraffic {
    async fn weights(&self) -> Result<Weights, TrafficError> {
        let actions = self.actions().await?;
        split_of(&forward_groups(forward_action(&actions)?), &self.target)
    }

    async fn set_weights(&self, weights: Weights) -> Result<(), TrafficError> {
        let weights = weights.validate()?;
        let actions = self.actions().await?;
        let old = forward_action(&actions)?;
        // Check the shape again: nobody added a third group since we started.
        split_of(&forward_groups(old), &self.target)?;
        let mut config = ForwardActionConfig::builder()
            .target_groups(
                TargetGroupTuple::builder()
                    .target_group_arn(&self.target.stable_target_group)
                    .weight(i32::from(weights.stable))
                    .build(),
            )
            .target_groups(
                TargetGroupTuple::builder()
                    .target_group_arn(&self.target.canary_target_group)
                    .weight(i32::from(weights.canary))
                    .build(),
            );
        if let Some(stickiness) = old
            .forward_config()
            .and_then(|c| c.target_group_stickiness_config())
        {
            config = config.target_group_stickiness_config(stickiness.clone());
        }
        let forward = Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .set_order(old.order())
            .forward_config(config.build())
            .build();
        // Other actions (authentication before the forward) stay as they are.
        let new_actions: Vec<Action> = actions
            .iter()
            .map(|a| {
                if std::ptr::eq(a, old) {
                    forward.clone()
                } else {
                    a.clone()
                }
            })
            .collect();
        match &self.target.rule_arn {
            Some(rule) => {
                self.client
                    .modify_rule()
                    .rule_arn(rule)
                    .set_actions(Some(new_actions))
                    .send()
                    .await
                    .map_err(|e| api("ModifyRule", &e))?;
            }
            None => {
                self.client
                    .modify_listener()
                    .listener_arn(&self.target.listener_arn)
                    .set_default_actions(Some(new_actions))
                    .send()
                    .await
                    .map_err(|e| api("ModifyListener", &e))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> AlbTarget {
        AlbTarget {
            listener_arn: "L".into(),
            rule_arn: None,
            stable_target_group: "S".into(),
            canary_target_group: "C".into(),
        }
    }

    #[test]
    fn split_of_reads_weights_and_refuses_strange_shapes() {
        let t = target();
        let g = |v: &[(&str, Option<i32>)]| -> Vec<(String, Option<i32>)> {
            v.iter().map(|(a, w)| (a.to_string(), *w)).collect()
        };
        assert_eq!(
            split_of(&g(&[("S", None)]), &t).unwrap(),
            Weights {
                stable: 1,
                canary: 0
            }
        );
        assert_eq!(
            split_of(&g(&[("S", Some(90)), ("C", Some(10))]), &t).unwrap(),
            Weights {
                stable: 90,
                canary: 10
            }
        );
        let e = split_of(&g(&[("S", Some(1)), ("X", Some(1))]), &t)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("'X'") && e.contains("remove the third group"),
            "{e}"
        );
        let e = split_of(&g(&[("C", Some(1))]), &t).unwrap_err().to_string();
        assert!(
            e.contains("does not send traffic to stable-target-group"),
            "{e}"
        );
    }
}

//! The traffic split against ELBv2 in the AWS emulator: reading, shifting and restoring the
//! weights of a listener rule and of a listener's default action, and refusing unknown or
//! strange setups before anything moves.
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use canary_gate::config::AlbTarget;
use canary_gate::steps::Weights;
use canary_gate::traffic::{ElbTraffic, Traffic, TrafficError};
use support::{alb, elb, rule_weights};

fn target(a: &support::Alb, rule: bool) -> AlbTarget {
    AlbTarget {
        listener_arn: a.listener.clone(),
        rule_arn: rule.then(|| a.rule.clone()),
        stable_target_group: a.stable.clone(),
        canary_target_group: a.canary.clone(),
    }
}

#[tokio::test]
async fn rule_weights_shift_and_restore() {
    let a = alb("cgt");
    let client = elb().await;
    let traffic = ElbTraffic::new(client.clone(), target(&a, true));
    traffic.check_target_groups().await.unwrap();
    // A plain forward to the stable group reads as stable 1, canary 0.
    assert_eq!(
        traffic.weights().await.unwrap(),
        Weights {
            stable: 1,
            canary: 0
        }
    );
    for pct in [10u8, 25, 50, 100] {
        traffic
            .set_weights(Weights::for_percent(pct))
            .await
            .unwrap();
        assert_eq!(traffic.weights().await.unwrap(), Weights::for_percent(pct));
        let raw = rule_weights(&client, &a.rule).await;
        assert_eq!(
            raw,
            vec![
                (a.stable.clone(), 100 - i32::from(pct)),
                (a.canary.clone(), i32::from(pct))
            ]
        );
    }
    traffic.set_weights(Weights::STABLE).await.unwrap();
    assert_eq!(
        rule_weights(&client, &a.rule).await,
        vec![(a.stable.clone(), 100), (a.canary.clone(), 0)]
    );
}

#[tokio::test]
async fn the_listener_default_action_can_be_shifted_too() {
    let a = alb("cgd");
    let traffic = ElbTraffic::new(elb().await, target(&a, false));
    traffic.set_weights(Weights::for_percent(25)).await.unwrap();
    assert_eq!(traffic.weights().await.unwrap(), Weights::for_percent(25));
}

#[tokio::test]
async fn invalid_weights_never_reach_the_load_balancer() {
    let a = alb("cgw");
    let client = elb().await;
    let traffic = ElbTraffic::new(client.clone(), target(&a, true));
    // moto would accept 1000; the real ALB would not, so we refuse it ourselves.
    for bad in [
        Weights {
            stable: 1000,
            canary: 0,
        },
        Weights {
            stable: 0,
            canary: 0,
        },
    ] {
        let e = traffic.set_weights(bad).await.unwrap_err();
        assert!(matches!(e, TrafficError::Weights(_)), "{e}");
    }
    assert_eq!(
        rule_weights(&client, &a.rule).await,
        vec![(a.stable.clone(), 1)]
    );
}

#[tokio::test]
async fn unknown_listener_rule_and_target_groups_are_named() {
    let a = alb("cgu");
    let client = elb().await;
    let mut t = target(&a, true);
    t.rule_arn = Some(format!("{}0", a.rule));
    let e = ElbTraffic::new(client.clone(), t)
        .weights()
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("listener rule") && e.contains("rule-arn"), "{e}");

    let mut t = target(&a, true);
    t.listener_arn = a.listener.replace("/app/", "/app/x");
    let e = ElbTraffic::new(client.clone(), t)
        .weights()
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("listener") && e.contains("listener-arn"), "{e}");

    let mut t = target(&a, true);
    t.canary_target_group = format!("{}0", a.canary);
    let e = ElbTraffic::new(client.clone(), t)
        .check_target_groups()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("target group") && e.contains("canary-target-group"),
        "{e}"
    );

    // A rule forwarding to some third group is not ours to shift.
    let mut t = target(&a, true);
    t.stable_target_group = a.other.clone();
    let e = ElbTraffic::new(client, t)
        .weights()
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("remove the third group"), "{e}");
}

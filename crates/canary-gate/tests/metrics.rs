//! CloudWatch evidence against the AWS emulator: the test publishes ALB-shaped metrics for a
//! canary and a stable target group, and custom metrics, then reads them back the way a look
//! does. (The emulator's metric math returns nothing, so expressions are not tested here.)
// Needs the local services of scripts/services (scripts/test enables the feature).
#![cfg(feature = "local-services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use aws_smithy_types::DateTime;
use canary_gate::config::AlbTarget;
use canary_gate::metrics::{CloudWatch, SdkCloudWatch, interval_from, queries_for};
use canary_gate::policy::parse;

async fn put(
    cw: &aws_sdk_cloudwatch::Client,
    ns: &str,
    metric: &str,
    dims: &[(&str, &str)],
    values: &[f64],
    at: SystemTime,
) {
    let mut datum = MetricDatum::builder()
        .metric_name(metric)
        .timestamp(DateTime::from(at))
        .unit(StandardUnit::None);
    for (k, v) in dims {
        datum = datum.dimensions(Dimension::builder().name(*k).value(*v).build());
    }
    for v in values {
        cw.put_metric_data()
            .namespace(ns)
            .metric_data(datum.clone().value(*v).build())
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn alb_target_group_metrics_become_canary_and_baseline_counts() {
    let cw = support::cloudwatch().await;
    let id = support::unique("cgm");
    let target = AlbTarget {
        listener_arn: format!(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/{id}/lb1/l1"
        ),
        rule_arn: None,
        stable_target_group: format!(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{id}-s/1"
        ),
        canary_target_group: format!(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{id}-c/2"
        ),
    };
    let lb = format!("app/{id}/lb1");
    let (c, s) = (
        format!("targetgroup/{id}-c/2"),
        format!("targetgroup/{id}-s/1"),
    );
    let at = SystemTime::now() - Duration::from_secs(30);
    let cd = [("TargetGroup", c.as_str()), ("LoadBalancer", lb.as_str())];
    let sd = [("TargetGroup", s.as_str()), ("LoadBalancer", lb.as_str())];
    let ns = canary_gate::metrics::ALB_NAMESPACE;
    put(&cw, ns, "RequestCount", &cd, &[60.0, 40.0], at).await;
    put(&cw, ns, "HTTPCode_Target_5XX_Count", &cd, &[3.0], at).await;
    put(&cw, ns, "RequestCount", &sd, &[900.0], at).await;
    put(&cw, ns, "HTTPCode_Target_5XX_Count", &sd, &[9.0], at).await;
    put(&cw, ns, "TargetResponseTime", &cd, &[0.2, 0.4], at).await;
    put(&cw, ns, "TargetResponseTime", &sd, &[0.2], at).await;

    let policy = parse(
        "metrics:
  errors: {source: alb, kind: error-rate, max-ratio: 1}
  latency: {source: alb, kind: latency, statistic: average, max-ratio: 1.2}",
    )
    .unwrap();
    let source = SdkCloudWatch::new(cw);
    let (start, end) = (at - Duration::from_secs(60), at + Duration::from_secs(60));
    let errors = &policy.metrics[0];
    let values = source
        .values(&queries_for(errors, Some(&target)), start, end)
        .await
        .unwrap();
    let i = interval_from(errors, 10, &values);
    assert_eq!((i.canary.bad, i.canary.requests), (3, 100));
    assert_eq!(i.baseline.map(|b| (b.bad, b.requests)), Some((9, 900)));

    let latency = &policy.metrics[1];
    let values = source
        .values(&queries_for(latency, Some(&target)), start, end)
        .await
        .unwrap();
    let i = interval_from(latency, 10, &values);
    assert!((i.canary.value.unwrap() - 0.3).abs() < 1e-9, "{i:?}");
    assert_eq!(i.baseline.and_then(|b| b.value), Some(0.2));

    // A window without data: no errors, no requests, no latency.
    let (old_start, old_end) = (
        start - Duration::from_secs(3600),
        end - Duration::from_secs(3600),
    );
    let values = source
        .values(&queries_for(errors, Some(&target)), old_start, old_end)
        .await
        .unwrap();
    let i = interval_from(errors, 10, &values);
    assert_eq!((i.canary.bad, i.canary.requests), (0, 0));
}

#[tokio::test]
async fn custom_metrics_are_read_by_their_dimensions() {
    let cw = support::cloudwatch().await;
    let ns = support::unique("CgApp");
    // moto ignores the namespace when a query has dimensions: unique dimension values keep
    // other tests' (and earlier runs') data out.
    let (canary_service, stable_service) = (format!("{ns}-canary"), format!("{ns}-stable"));
    let at = SystemTime::now() - Duration::from_secs(30);
    put(
        &cw,
        &ns,
        "Checkout",
        &[("Service", canary_service.as_str())],
        &[120.0, 140.0],
        at,
    )
    .await;
    put(
        &cw,
        &ns,
        "Checkout",
        &[("Service", stable_service.as_str())],
        &[100.0],
        at,
    )
    .await;
    let policy = parse(&format!(
        "metrics:
  checkout:
    source: cloudwatch
    namespace: {ns}
    metric: Checkout
    statistic: Average
    canary-dimensions: {{Service: {canary_service}}}
    baseline-dimensions: {{Service: {stable_service}}}
    max-difference: 50"
    ))
    .unwrap();
    let m = &policy.metrics[0];
    let source = SdkCloudWatch::new(cw);
    let values = source
        .values(
            &queries_for(m, None),
            at - Duration::from_secs(60),
            at + Duration::from_secs(60),
        )
        .await
        .unwrap();
    let i = interval_from(m, 25, &values);
    assert_eq!(i.canary.value, Some(130.0));
    assert_eq!(i.canary.requests, 2, "SampleCount is the canary's traffic");
    assert_eq!(i.baseline.and_then(|b| b.value), Some(100.0));
}

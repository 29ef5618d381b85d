//! What a hook receives ([`body`]): the documented JSON, a Slack message (`text` and Block Kit
//! `blocks`) or a Microsoft Teams message (an Adaptive Card in a `message` attachment).

use serde_json::{Value, json};

use super::{Context, End, Event, Format, Hook, Moment, PAYLOAD_VERSION};
use crate::judge::Decision;

/// The documented JSON payload.
pub fn json_payload(hook: &Hook, context: &Context, event: &Event, timestamp: &str) -> Value {
    let weights = event
        .canary_percent
        .map(|p| json!({"stable": 100 - u16::from(p.min(100)), "canary": p.min(100)}));
    json!({
        "version": PAYLOAD_VERSION,
        "event": event.name(),
        "name": hook.name,
        "type": hook.kind.as_str(),
        "phase": event.phase(),
        "mode": context.mode,
        "target": {
            "cluster": context.cluster,
            "service": context.service,
            "canary_service": context.canary_service,
            "listener_arn": context.listener_arn,
            "rule_arn": context.rule_arn,
        },
        "canary": {
            "target_group": context.canary_target_group,
            "task_definition": event.canary_task_definition,
        },
        "baseline": {
            "target_group": context.stable_target_group,
            "task_definition": event.baseline_task_definition,
        },
        "weights": weights,
        "decision": event.decision.map(Decision::as_str),
        "reason": event.reason,
        "metadata": hook.metadata,
        "repository": context.repository,
        "sha": context.sha,
        "run_url": context.run_url,
        "timestamp": timestamp,
    })
}

/// The first `max` characters of `text`, with `…` when cut.
pub(super) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Slack's mrkdwn treats `&`, `<` and `>` as markup.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What a chat message says happened.
fn headline(event: &Event, subject: &str) -> String {
    match event.moment {
        Moment::End(End::Promoted) => format!("Promoted: {subject}"),
        Moment::End(End::RolledBack) => format!("Rolled back: {subject}"),
        Moment::End(End::Failed) => format!("Failed: {subject}"),
        Moment::Start { .. } => format!("Starting: {subject}"),
        Moment::Look => format!("Analysing: {subject}"),
        Moment::Promotion => format!("Waiting to promote: {subject}"),
    }
}

/// (title, value) pairs a chat message shows, metadata last.
fn facts(hook: &Hook, context: &Context, event: &Event) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    if let Some(d) = event.decision {
        out.push(("Decision".into(), d.as_str().into()));
    }
    if let Some(p) = event.canary_percent {
        out.push(("Canary traffic".into(), format!("{p} %")));
    }
    if let Some(td) = &event.canary_task_definition {
        out.push(("Canary".into(), short_task_definition(td)));
    }
    if let Some(td) = &event.baseline_task_definition {
        out.push(("Baseline".into(), short_task_definition(td)));
    }
    if let Some(repository) = &context.repository {
        let at = context
            .sha
            .as_deref()
            .map(|s| format!("@{}", &s[..s.len().min(7)]))
            .unwrap_or_default();
        out.push(("Repository".into(), format!("{repository}{at}")));
    }
    for (k, v) in &hook.metadata {
        let v = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.push((k.clone(), v));
    }
    out
}

fn short_task_definition(arn: &str) -> String {
    arn.rsplit("task-definition/")
        .next()
        .unwrap_or(arn)
        .to_owned()
}

/// A Slack incoming-webhook message: `text` (the notification's fallback) and Block Kit blocks.
pub fn slack_payload(hook: &Hook, context: &Context, event: &Event) -> Value {
    let title = headline(event, &context.subject());
    let mut blocks =
        vec![json!({"type": "header", "text": {"type": "plain_text", "text": cut(&title, 140)}})];
    if !event.reason.is_empty() {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&slack_escape(&event.reason), 2900)}}));
    }
    // Slack takes at most 10 fields in a section.
    let fields: Vec<Value> = facts(hook, context, event)
        .into_iter()
        .take(10)
        .map(|(k, v)| json!({"type": "mrkdwn", "text": cut(&format!("*{}*\n{}", slack_escape(&k), slack_escape(&v)), 1900)}))
        .collect();
    if !fields.is_empty() {
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    if let Some(url) = &context.run_url {
        blocks.push(json!({"type": "context", "elements": [
            {"type": "mrkdwn", "text": format!("<{url}|View the run> · canary-gate hook {}", slack_escape(&hook.name))}
        ]}));
    }
    let text = if event.reason.is_empty() {
        title
    } else {
        format!("{title}: {}", cut(&event.reason, 300))
    };
    json!({"text": slack_escape(&text), "blocks": blocks})
}

/// A Microsoft Teams message: an Adaptive Card (1.4) in a `message` attachment, as Teams'
/// incoming webhooks and Workflows ("post to a channel when a webhook request is received")
/// take it.
pub fn teams_payload(hook: &Hook, context: &Context, event: &Event) -> Value {
    let title = headline(event, &context.subject());
    let color = match event.moment {
        Moment::End(End::Promoted) => "Good",
        Moment::End(_) => "Attention",
        _ => "Default",
    };
    let mut body = vec![json!({
        "type": "TextBlock", "size": "Medium", "weight": "Bolder", "color": color,
        "text": cut(&title, 200), "wrap": true
    })];
    if !event.reason.is_empty() {
        body.push(json!({"type": "TextBlock", "text": cut(&event.reason, 2000), "wrap": true}));
    }
    let facts: Vec<Value> = facts(hook, context, event)
        .into_iter()
        .map(|(title, value)| json!({"title": title, "value": value}))
        .collect();
    if !facts.is_empty() {
        body.push(json!({"type": "FactSet", "facts": facts}));
    }
    let actions: Vec<Value> = context
        .run_url
        .iter()
        .map(|url| json!({"type": "Action.OpenUrl", "title": "View the run", "url": url}))
        .collect();
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
                "actions": actions,
            }
        }]
    })
}

/// The body `hook` gets for `event`, in its format.
pub fn body(hook: &Hook, context: &Context, event: &Event, timestamp: &str) -> Vec<u8> {
    let value = match hook.format {
        Format::Json => json_payload(hook, context, event, timestamp),
        Format::Slack => slack_payload(hook, context, event),
        Format::Teams => teams_payload(hook, context, event),
    };
    value.to_string().into_bytes()
}

//! Which alarms count against a release. Two rules, both so that an alarm rolls back only the
//! release that caused it:
//!
//! - Only alarms that entered ALARM after the release started. One already firing when it
//!   started (the fault the release may be there to fix) is reported and not counted, so it
//!   cannot block a fix-forward.
//! - Only alarms that watch production traffic. An alarm with a `TargetGroup` dimension counts
//!   only while that target group carries production traffic, read from the production
//!   listener rule's forward weights (ECS moves them during a blue/green deployment). Before
//!   the production shift the new revision's group sees only the test listener, whose failed
//!   smoke checks are the smoke gate's business; after it the old revision's group is idle.
//!   Alarms without a `TargetGroup` dimension (the load balancer's own 5xx, or anything passed
//!   with `--alarms`) count as they are.

use std::time::SystemTime;

use aws_sdk_cloudwatch::types::{MetricAlarm, StateValue};
use aws_sdk_ecs::types::Service;

use crate::aws::AwsClients;
use crate::ecs::describe_service;
use crate::error::DeployError;

/// Alarms among those watched that are in ALARM, by whether they count.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FiringAlarms {
    /// Entered ALARM after the release started and watch production traffic: they roll back.
    pub counted: Vec<String>,
    /// Already in ALARM before the release started.
    pub before_release: Vec<String>,
    /// Watch a target group that does not carry production traffic now.
    pub not_production: Vec<String>,
}

/// The service whose production target group decides which target-group alarms count.
#[derive(Debug, Clone, Copy)]
pub struct ProductionOf<'a> {
    pub cluster: &'a str,
    pub service: &'a str,
}

pub async fn firing_alarms(
    clients: &AwsClients,
    names: &[String],
    since: Option<SystemTime>,
    production_of: Option<ProductionOf<'_>>,
) -> Result<FiringAlarms, DeployError> {
    let mut firing = FiringAlarms::default();
    if names.is_empty() {
        return Ok(firing);
    }
    let output = clients
        .cloudwatch
        .describe_alarms()
        .set_alarm_names(Some(names.to_vec()))
        .state_value(StateValue::Alarm)
        .send()
        .await
        .map_err(|e| DeployError::aws(format!("reading alarms {}", names.join(", ")), &e))?;
    let in_alarm: Vec<&MetricAlarm> = output
        .metric_alarms()
        .iter()
        .filter(|a| a.state_value() == Some(&StateValue::Alarm) && a.alarm_name().is_some())
        .collect();
    // Read the listener rule only when some firing alarm watches a target group.
    let production = match production_of {
        Some(of) if in_alarm.iter().any(|a| !target_groups_of(a).is_empty()) => {
            production_target_groups(clients, of).await?
        }
        _ => None,
    };
    for alarm in in_alarm {
        let name = alarm.alarm_name().unwrap_or_default().to_string();
        let entered = alarm
            .state_updated_timestamp()
            .and_then(|t| SystemTime::try_from(*t).ok());
        if let (Some(since), Some(entered)) = (since, entered)
            && entered < since
        {
            firing.before_release.push(name);
            continue;
        }
        let watched = target_groups_of(alarm);
        let on_production = match &production {
            // Unknown production group (no blue/green load balancer): count, the safe side.
            None => true,
            Some(production) => {
                watched.is_empty() || watched.iter().any(|tg| production.contains(tg))
            }
        };
        if on_production {
            firing.counted.push(name);
        } else {
            firing.not_production.push(name);
        }
    }
    Ok(firing)
}

/// The `TargetGroup` dimension values (`targetgroup/NAME/ID`) an alarm's metrics are measured
/// over: its own metric's, or those of its metric-math queries.
pub fn target_groups_of(alarm: &MetricAlarm) -> Vec<String> {
    let own = alarm.dimensions().iter();
    let queried = alarm
        .metrics()
        .iter()
        .filter_map(|q| q.metric_stat().and_then(|s| s.metric()))
        .flat_map(|m| m.dimensions().iter());
    let mut groups: Vec<String> = own
        .chain(queried)
        .filter(|d| d.name() == Some("TargetGroup"))
        .filter_map(|d| d.value().map(str::to_string))
        .collect();
    groups.sort();
    groups.dedup();
    groups
}

/// The target groups (as `targetgroup/NAME/ID`, the metric dimension) that the service's
/// production listener rule forwards to with a weight above zero; `None` when the service has
/// no blue/green production listener rule.
pub async fn production_target_groups(
    clients: &AwsClients,
    of: ProductionOf<'_>,
) -> Result<Option<Vec<String>>, DeployError> {
    let service = describe_service(clients, of.cluster, of.service).await?;
    let Some(rule) = production_listener_rule(&service) else {
        return Ok(None);
    };
    let rules = clients
        .elbv2
        .describe_rules()
        .rule_arns(rule)
        .send()
        .await
        .map_err(|e| {
            DeployError::aws_hint(
                format!(
                    "reading the production listener rule {rule} of service {}",
                    of.service
                ),
                &e,
                "the deployer needs elasticloadbalancing:DescribeRules to tell which target \
                 group carries production traffic",
            )
        })?;
    let mut groups = Vec::new();
    for action in rules.rules().iter().flat_map(|r| r.actions()) {
        if let Some(forward) = action.forward_config() {
            groups.extend(
                forward
                    .target_groups()
                    .iter()
                    .filter(|tg| tg.weight().unwrap_or(1) > 0)
                    .filter_map(|tg| tg.target_group_arn()),
            );
        } else if let Some(arn) = action.target_group_arn() {
            groups.push(arn);
        }
    }
    Ok(Some(groups.into_iter().filter_map(dimension_of).collect()))
}

fn production_listener_rule(service: &Service) -> Option<&str> {
    service
        .load_balancers()
        .iter()
        .filter_map(|lb| lb.advanced_configuration())
        .find_map(|c| c.production_listener_rule())
}

/// `arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID` -> `targetgroup/NAME/ID`,
/// the form CloudWatch's TargetGroup dimension uses.
pub fn dimension_of(arn: &str) -> Option<String> {
    arn.find("targetgroup/").map(|at| arn[at..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};

    fn dimension(name: &str, value: &str) -> Dimension {
        Dimension::builder().name(name).value(value).build()
    }

    #[test]
    fn a_target_group_arn_becomes_its_metric_dimension() {
        assert_eq!(
            dimension_of(
                "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/hwdash-portal-blue/abc123"
            )
            .as_deref(),
            Some("targetgroup/hwdash-portal-blue/abc123")
        );
        assert_eq!(
            dimension_of("arn:aws:elasticloadbalancing:x:1:loadbalancer/app/a/b"),
            None
        );
    }

    #[test]
    fn target_groups_are_read_from_plain_and_metric_math_alarms() {
        let plain = MetricAlarm::builder()
            .dimensions(dimension("LoadBalancer", "app/hwdash/1"))
            .dimensions(dimension("TargetGroup", "targetgroup/blue/1"))
            .build();
        assert_eq!(target_groups_of(&plain), ["targetgroup/blue/1"]);
        let query = |tg: &str| {
            MetricDataQuery::builder()
                .id("m")
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .dimensions(dimension("LoadBalancer", "app/hwdash/1"))
                                .dimensions(dimension("TargetGroup", tg))
                                .build(),
                        )
                        .build(),
                )
                .build()
        };
        let math = MetricAlarm::builder()
            .metrics(
                MetricDataQuery::builder()
                    .id("rate")
                    .expression("m")
                    .build(),
            )
            .metrics(query("targetgroup/green/2"))
            .metrics(query("targetgroup/green/2"))
            .build();
        assert_eq!(target_groups_of(&math), ["targetgroup/green/2"]);
        let load_balancer_wide = MetricAlarm::builder()
            .dimensions(dimension("LoadBalancer", "app/hwdash/1"))
            .build();
        assert!(target_groups_of(&load_balancer_wide).is_empty());
    }
}

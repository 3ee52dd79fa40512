//! Following one ECS service deployment to its end, as an explicit state: `Watching` while the
//! deployer's checks (PAUSE hook gate, smoke checks, alarms) may still roll it back, and
//! `RollingBack` once a rollback was asked for, when only ECS's answer is awaited. Each poll of
//! DescribeServiceDeployments is one `step`, which returns the outcome once the deployment ended.

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_ecs::types::{DeploymentLifecycleHookAction, ServiceDeployment};

use crate::alarms::ProductionOf;
use crate::aws::AwsClients;
use crate::deployment::{
    FollowOptions, FollowOutcome, Phase, RollbackStarted, RollbackTarget, awaiting_pause_hook,
    describe, firing_alarms, production_shift_started, reason_of, receives_test_traffic,
    request_rollback, short_deployment, view_of,
};
use crate::duration::human;
use crate::error::DeployError;
use crate::progress::Reporter;
use crate::smoke::{GateVerdict, SmokeChecker, SmokeVerdict};

/// Where the follower is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// The deployment runs; failed checks roll it back.
    Watching,
    /// A rollback was asked for (`reason`); checks stop, ECS's answer is awaited.
    RollingBack { reason: String, how: RollbackHow },
}

/// What one observation of the deployment's phase means, in a given state.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Next {
    /// The deployment ended with this outcome.
    Ended(FollowOutcome),
    /// It runs and nobody rolls it back yet: run the checks.
    Watch,
    /// Rolling back or stopping (ours or ECS's), or a status this deployer does not know:
    /// wait for ECS to finish.
    Wait,
}

impl State {
    /// The transition on one observed `phase`; `ecs_reason` says why ECS ended it (read only
    /// when the outcome needs it).
    fn after(&self, phase: &Phase, ecs_reason: impl FnOnce() -> String) -> Next {
        let ours = match self {
            State::RollingBack { reason, how } => Some((reason, *how)),
            State::Watching => None,
        };
        let outcome = match (phase, ours) {
            (Phase::Successful, Some((reason, RollbackHow::Redeploying))) => {
                FollowOutcome::RolledBack {
                    reason: reason.clone(),
                }
            }
            (Phase::Successful, _) => FollowOutcome::Successful,
            (Phase::RolledBack, ours) => FollowOutcome::RolledBack {
                reason: ours.map_or_else(ecs_reason, |(reason, _)| reason.clone()),
            },
            (Phase::RollbackFailed, _) => FollowOutcome::RollbackFailed {
                reason: ecs_reason(),
            },
            (Phase::Stopped, _) => FollowOutcome::Stopped {
                reason: ecs_reason(),
            },
            (Phase::Running, None) => return Next::Watch,
            _ => return Next::Wait,
        };
        Next::Ended(outcome)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RollbackHow {
    /// StopServiceDeployment(ROLLBACK) or ContinueServiceDeployment(ROLLBACK): the same
    /// deployment ends in ROLLBACK_SUCCESSFUL.
    Stopping,
    /// A new deployment of the previous revision runs: its SUCCESSFUL is the rollback done.
    Redeploying,
}

/// Smoke checks outside the hook, while the test listener routes to the new revision.
struct Smoke {
    checker: SmokeChecker,
    next: Instant,
    announced: bool,
}

struct Follower<'a> {
    clients: &'a AwsClients,
    reporter: &'a Reporter,
    target: &'a RollbackTarget,
    options: &'a FollowOptions,
    arn: String,
    state: State,
    smoke: Option<Smoke>,
    bake_started: Option<Instant>,
    /// Hooks already answered: ECS may report one as AWAITING_ACTION for a poll after the answer.
    answered_hooks: Vec<String>,
    /// Alarms already reported as firing before the release, so they are named once.
    old_alarms_reported: Vec<String>,
    /// Alarms reported as watching a target group without production traffic.
    idle_alarms_reported: Vec<String>,
}

/// Follows `arn` until it ends, answering PAUSE hooks and rolling back on failed smoke checks or
/// alarms.
pub async fn follow(
    clients: &AwsClients,
    reporter: &Reporter,
    arn: &str,
    target: &RollbackTarget,
    options: &FollowOptions,
) -> Result<FollowOutcome, DeployError> {
    let mut follower = Follower {
        clients,
        reporter,
        target,
        options,
        arn: arn.to_string(),
        state: State::Watching,
        smoke: options.smoke.clone().map(|settings| Smoke {
            checker: SmokeChecker::new(settings),
            next: Instant::now(),
            announced: false,
        }),
        bake_started: None,
        answered_hooks: Vec::new(),
        old_alarms_reported: Vec::new(),
        idle_alarms_reported: Vec::new(),
    };
    let started = Instant::now();
    loop {
        let deployment = describe(clients, &follower.arn).await?;
        if let Some(outcome) = follower.step(&deployment).await? {
            return Ok(outcome);
        }
        if started.elapsed() >= options.timeout {
            return Err(DeployError::TimedOut {
                deployment: follower.arn,
                state: view_of(&deployment, None).line(),
                waited_secs: started.elapsed().as_secs(),
            });
        }
        tokio::time::sleep(options.poll_interval).await;
    }
}

impl Follower<'_> {
    async fn step(
        &mut self,
        deployment: &ServiceDeployment,
    ) -> Result<Option<FollowOutcome>, DeployError> {
        let stage = deployment.lifecycle_stage().map(|s| s.as_str());
        self.reporter
            .update(&view_of(deployment, self.bake_left(deployment, stage)));
        let phase = Phase::of(deployment.status());
        match self.state.after(&phase, || reason_of(deployment)) {
            Next::Ended(outcome) => Ok(Some(outcome)),
            Next::Watch => {
                self.watch(deployment, stage).await?;
                Ok(None)
            }
            Next::Wait => Ok(None),
        }
    }

    fn bake_left(
        &mut self,
        deployment: &ServiceDeployment,
        stage: Option<&str>,
    ) -> Option<Duration> {
        if stage != Some("BAKE_TIME") {
            return None;
        }
        let since = *self.bake_started.get_or_insert_with(Instant::now);
        let total = deployment
            .deployment_configuration()
            .and_then(|c| c.bake_time_in_minutes())
            .map(|m| Duration::from_secs(u64::try_from(m).unwrap_or(0) * 60))?;
        Some(total.saturating_sub(since.elapsed()))
    }

    /// One look while the deployment runs: the PAUSE hook first, then alarms, then smoke checks.
    async fn watch(
        &mut self,
        deployment: &ServiceDeployment,
        stage: Option<&str>,
    ) -> Result<(), DeployError> {
        if let Some((hook_id, expires)) = awaiting_pause_hook(deployment)
            && !self.answered_hooks.contains(&hook_id)
        {
            return self.answer_hook(&hook_id, expires).await;
        }
        if let Some(reason) = self.alarm_verdict(stage).await? {
            return self.roll_back(reason).await;
        }
        if receives_test_traffic(stage)
            && let Some(reason) = self.smoke_verdict().await
        {
            return self.roll_back(reason).await;
        }
        Ok(())
    }

    /// ECS holds the deployment at the PAUSE hook until it is told CONTINUE or ROLLBACK (or the
    /// hook's timeout takes its ROLLBACK action). Production traffic has not moved yet.
    async fn answer_hook(
        &mut self,
        hook_id: &str,
        expires: Option<SystemTime>,
    ) -> Result<(), DeployError> {
        let left = expires
            .and_then(|at| at.duration_since(SystemTime::now()).ok())
            .map(|left| format!(" (it rolls back by itself in {})", human(left)))
            .unwrap_or_default();
        self.reporter.note(&format!(
            "deployment paused at hook {hook_id} before production traffic moves{left}"
        ));
        let verdict = match &mut self.smoke {
            Some(smoke) => {
                self.reporter.note(&format!(
                    "smoke checks on the test listener: {} passes in a row continue, {} failures \
                     roll back",
                    smoke.checker.settings().passes_to_continue,
                    smoke.checker.settings().failures_to_rollback
                ));
                let reporter = self.reporter;
                smoke.announced = true;
                smoke
                    .checker
                    .gate(|n, why| reporter.note(&format!("smoke check failure {n}: {why}")))
                    .await
            }
            None => {
                self.reporter
                    .note("no smoke checks configured (--smoke or --smoke-url): continuing");
                GateVerdict::Continue { passes: 0 }
            }
        };
        let (action, reason) = match &verdict {
            GateVerdict::Continue { passes } => {
                if *passes > 0 {
                    self.reporter
                        .note(&format!("smoke checks passed {passes} times in a row"));
                }
                (DeploymentLifecycleHookAction::Continue, None)
            }
            GateVerdict::RollBack { reason } => {
                self.reporter.note(&format!("rolling back: {reason}"));
                (
                    DeploymentLifecycleHookAction::Rollback,
                    Some(reason.clone()),
                )
            }
        };
        self.clients
            .ecs
            .continue_service_deployment()
            .service_deployment_arn(&self.arn)
            .hook_id(hook_id)
            .action(action.clone())
            .send()
            .await
            .map_err(|e| {
                DeployError::aws_hint(
                    format!(
                        "answering hook {hook_id} of deployment {} with {}",
                        short_deployment(&self.arn),
                        action.as_str()
                    ),
                    &e,
                    "the hook's timeout rolls the deployment back; `deployer rollback` does it now",
                )
            })?;
        self.reporter
            .note(&format!("answered hook {hook_id}: {}", action.as_str()));
        self.answered_hooks.push(hook_id.to_string());
        if let Some(reason) = reason {
            self.state = State::RollingBack {
                reason,
                how: RollbackHow::Stopping,
            };
        }
        Ok(())
    }

    /// A reason to roll back when a watched alarm entered ALARM after the release started.
    /// The alarms watch production traffic only; before production traffic moves they measure
    /// the old revision and say nothing about the new one, so they count from the production
    /// shift on. (Rolling deployments have no stages of that kind: they count throughout.)
    async fn alarm_verdict(&mut self, stage: Option<&str>) -> Result<Option<String>, DeployError> {
        if stage.is_some_and(|s| receives_test_traffic(Some(s)) || s.ends_with("SCALE_UP"))
            && !production_shift_started(stage)
        {
            return Ok(None);
        }
        let firing = firing_alarms(
            self.clients,
            &self.options.alarm_names,
            self.options.alarms_since,
            Some(ProductionOf {
                cluster: &self.target.cluster,
                service: &self.target.service,
            }),
        )
        .await?;
        for name in firing.not_production {
            if !self.idle_alarms_reported.contains(&name) {
                self.reporter.note(&format!(
                    "alarm {name} watches a target group without production traffic: not counted"
                ));
                self.idle_alarms_reported.push(name);
            }
        }
        for name in firing.before_release {
            if !self.old_alarms_reported.contains(&name) {
                self.reporter.note(&format!(
                    "alarm {name} was in ALARM before this release started: not counted"
                ));
                self.old_alarms_reported.push(name);
            }
        }
        Ok(firing
            .counted
            .first()
            .map(|name| format!("alarm {name} is in ALARM")))
    }

    async fn smoke_verdict(&mut self) -> Option<String> {
        let smoke = self.smoke.as_mut()?;
        if Instant::now() < smoke.next {
            return None;
        }
        if !smoke.announced {
            self.reporter
                .note("test listener routes to the new revision: smoke checks start");
            smoke.announced = true;
        }
        smoke.next = Instant::now() + smoke.checker.interval();
        match smoke.checker.check().await {
            SmokeVerdict::Passed => None,
            SmokeVerdict::Failing { failures, reason } => {
                self.reporter
                    .note(&format!("smoke check failure {failures}: {reason}"));
                None
            }
            SmokeVerdict::RollBack { reason } => Some(reason),
        }
    }

    async fn roll_back(&mut self, reason: String) -> Result<(), DeployError> {
        let how =
            match request_rollback(self.clients, self.reporter, &self.arn, self.target, &reason)
                .await?
            {
                RollbackStarted::Stopping(_) => RollbackHow::Stopping,
                RollbackStarted::Redeploying(new_arn) => {
                    self.arn = new_arn;
                    RollbackHow::Redeploying
                }
            };
        self.state = State::RollingBack { reason, how };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ecs() -> String {
        "circuit breaker".to_string()
    }

    fn ours(how: RollbackHow) -> State {
        State::RollingBack {
            reason: "smoke failed".into(),
            how,
        }
    }

    #[test]
    fn a_running_deployment_is_watched_until_a_rollback_is_asked_for() {
        assert_eq!(State::Watching.after(&Phase::Running, ecs), Next::Watch);
        for how in [RollbackHow::Stopping, RollbackHow::Redeploying] {
            assert_eq!(ours(how).after(&Phase::Running, ecs), Next::Wait);
        }
    }

    #[test]
    fn ecs_rolling_back_stopping_or_an_unknown_status_is_waited_out() {
        for phase in [
            Phase::RollingBack,
            Phase::Stopping,
            Phase::Unknown("NEW".into()),
        ] {
            assert_eq!(State::Watching.after(&phase, ecs), Next::Wait, "{phase:?}");
        }
    }

    #[test]
    fn success_is_a_release_unless_it_is_our_redeployment_of_the_previous_revision() {
        assert_eq!(
            State::Watching.after(&Phase::Successful, ecs),
            Next::Ended(FollowOutcome::Successful)
        );
        assert_eq!(
            ours(RollbackHow::Stopping).after(&Phase::Successful, ecs),
            Next::Ended(FollowOutcome::Successful)
        );
        assert_eq!(
            ours(RollbackHow::Redeploying).after(&Phase::Successful, ecs),
            Next::Ended(FollowOutcome::RolledBack {
                reason: "smoke failed".into()
            })
        );
    }

    #[test]
    fn a_rollback_keeps_our_reason_or_takes_the_one_ecs_gives() {
        assert_eq!(
            ours(RollbackHow::Stopping).after(&Phase::RolledBack, ecs),
            Next::Ended(FollowOutcome::RolledBack {
                reason: "smoke failed".into()
            })
        );
        assert_eq!(
            State::Watching.after(&Phase::RolledBack, ecs),
            Next::Ended(FollowOutcome::RolledBack {
                reason: "circuit breaker".into()
            })
        );
    }

    #[test]
    fn a_failed_rollback_or_a_stop_reports_what_ecs_says() {
        for state in [State::Watching, ours(RollbackHow::Stopping)] {
            assert_eq!(
                state.after(&Phase::RollbackFailed, ecs),
                Next::Ended(FollowOutcome::RollbackFailed {
                    reason: "circuit breaker".into()
                })
            );
            assert_eq!(
                state.after(&Phase::Stopped, ecs),
                Next::Ended(FollowOutcome::Stopped {
                    reason: "circuit breaker".into()
                })
            );
        }
    }
}

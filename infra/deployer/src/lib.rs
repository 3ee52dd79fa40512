//! The deployer: blue/green releases, rollbacks, status and pre-flight checks for the
//! dashboard's ECS services. One module per command (`release`, `rollback`, `status`,
//! `verify`); `deployment` is the state machine that follows a deployment to its end;
//! `aws::AwsClients` holds the SDK clients so tests can point them at moto or at mocks.

pub mod alarms;
pub mod aws;
pub mod cli;
pub mod deployment;
pub mod diagnose;
pub mod diff;
pub mod duration;
pub mod ecr;
pub mod ecs;
pub mod error;
pub mod follow;
pub mod history;
pub mod image;
pub mod lock;
pub mod logs;
pub mod progress;
pub mod release;
pub mod rollback;
pub mod run;
pub mod settings;
pub mod smoke;
pub mod status;
pub mod task_definition;
pub mod terraform;
pub mod verify;
pub mod wait;

pub use error::DeployError;

//! Shared test support: a moto server per test (real AWS API over real HTTP on loopback) and
//! aws-smithy-mocks clients for the ECS deployment APIs moto does not implement.

#![allow(dead_code)] // each test binary uses its own part of this module

pub mod canned;
pub mod fixture;
pub mod mocks;
pub mod moto;
pub mod web;

//! Test-bed helpers for mekhanikube's live tests: find (or start) the real kube-apiserver that
//! `tests/testenv/up.sh` runs, load fixtures into it as the admin, and read its audit log.
//!
//! The API server runs without kube-controller-manager or kubelets, so nothing reconciles: a fixture must contain
//! every object (ReplicaSets, Pods, Endpoints, Events...) with its status, exactly as the CLI should see it.

mod audit;
mod env;
mod load;
pub mod synthetic;

pub use audit::{AuditEvent, parse_audit_log};
pub use env::{OllamaEnv, TestEnv, scripts_dir};
pub use load::{LoadStats, parse_fixture};

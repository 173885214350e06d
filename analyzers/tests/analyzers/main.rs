//! Fixture tests for every analyzer: one module per analyzer, each with positive and negative fixtures from
//! `analyzers/tests/fixtures/<analyzer>/`, written as `kubectl get -o yaml` prints a `kind: List`.

mod common;

mod admissionpolicy;
mod constraints;
mod cronjob;
mod custom_objects;
mod customresource;
mod daemonset;
mod deletion;
mod deployment;
mod health;
mod hpa;
mod hygiene;
mod indexes;
mod ingress;
mod job;
mod limitrange;
mod links;
mod loading;
mod networkpolicy;
mod node;
mod pdb;
mod pod;
mod policy;
mod pvc;
mod references;
mod registry;
mod replicaset;
mod resourcequota;
mod service;
mod statefulset;
mod webhook;

//! One integration-test binary. `cli` and `errors` run the real binary on saved snapshots; `live` runs it
//! against the real API server and Ollama of the test bed. The live modules need the `live` feature, which
//! `make test` turns on after starting the test bed, so a plain `cargo test` passes on a fresh clone.

mod audience;
mod cli;
mod common;
mod constraints;
mod contexts;
mod doctor;
mod errors;
#[cfg(feature = "live")]
mod eval_explain;
#[path = "../support/fake_cluster.rs"]
mod fake_cluster;
mod formats;
mod hygiene;
mod layers;
#[cfg(feature = "live")]
mod live;
#[cfg(feature = "live")]
mod live_crds;
#[cfg(feature = "live")]
mod live_explain;
#[cfg(all(feature = "live", feature = "mcp"))]
mod live_mcp;
#[cfg(feature = "live")]
mod live_values;
#[path = "../support/markdown_inert.rs"]
mod markdown_inert;
#[cfg(feature = "mcp")]
mod mcp;
mod pipe;
#[cfg(feature = "live")]
mod proxy;
mod report;
mod values;

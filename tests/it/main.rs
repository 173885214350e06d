//! One integration-test binary. `cli` and `errors` run the real binary on saved snapshots; `live` runs it
//! against the real API server and Ollama of the test bed (started by `make test`).

mod cli;
mod common;
mod errors;
mod hygiene;
mod live;
mod live_explain;
mod proxy;
mod report;

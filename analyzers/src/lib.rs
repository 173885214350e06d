//! The pure core of mekhanikube: a typed snapshot of cluster objects, coded findings, and the analyzers that turn
//! one into the other. No network, no async, no clock: everything an analyzer needs is in the [`Snapshot`].

mod analyzer;
mod evidence;
mod finding;
pub mod hygiene;
mod kind;
mod kinds;
mod scope;
mod selector;
mod snapshot;

pub use analyzer::{Analyzer, AnalyzerError, CodeInfo, needed_kinds, registry, run, select};
pub use evidence::{EventSummary, Evidence};
pub use finding::{Finding, ObjectRef, Severity, Summary};
pub use hygiene::ValuePolicy;
pub use kind::{Kind, Objects};
#[doc(hidden)]
pub use kinds::cronjob::check_schedule;
pub use scope::{ResourceRef, Scope, ScopeError};
pub use selector::{LabelQuery, SelectorError};
pub use snapshot::{LoadError, Skipped, Snapshot, SnapshotBuilder, Store};

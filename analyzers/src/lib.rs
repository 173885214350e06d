//! The pure core of mekhanikube: a typed snapshot of cluster objects, coded findings, and the analyzers that turn
//! one into the other. No network, no async, no wall clock: everything an analyzer needs, the time it was read
//! included, is in the [`Snapshot`].

mod analyzer;
pub mod clock;
pub mod constraints;
mod cron;
pub mod custom;
mod evidence;
mod finding;
mod health;
pub mod hygiene;
mod json_list;
mod kind;
mod kinds;
mod links;
mod load;
pub mod model;
mod problems;
mod quantity;
mod scope;
mod selector;
mod snapshot;

pub use analyzer::{
    Analyzer, AnalyzerError, CodeInfo, SeverityRule, needed_custom_groups, needed_kinds, registry, run, select,
    select_from,
};
#[doc(hidden)]
pub use cron::check_schedule;
pub use custom::{CrdSelection, CustomKind, CustomObject, CustomObjects};
pub use evidence::{EventSummary, Evidence};
pub use finding::{Finding, ObjectRef, Severity, Summary, finding_id};
pub use health::{Health, NamespaceHealth, grade, health};
pub use hygiene::ValuePolicy;
pub use kind::{Kind, KindObject, Objects};
pub use links::{Link, LinkFamily, LinkKind, derive as derive_links};
pub use problems::{Impact, Problem, normalize_message, problems};
pub use scope::{ResourceRef, Scope, ScopeError};
pub use selector::{LabelQuery, SelectorError};
pub use snapshot::{LoadError, Skipped, Snapshot, SnapshotBuilder, Store};

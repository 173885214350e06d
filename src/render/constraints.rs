//! The terminal view of `mekhanikube constraints`: per kind of constraint, each entry with its state, what it
//! says in plain words (quotas as usage bars), what it touches and the findings that show it blocking.

use mekhanikube_analyzers::ObjectRef;
use mekhanikube_analyzers::constraints::{Constraint, ConstraintKind, ConstraintState, Detail, QuotaUse};
use owo_colors::OwoColorize;

use crate::document::{Audience, ConstraintsDocument};
use crate::sanitize::sanitize_for_terminal as clean;

/// Width of a usage bar, in cells.
const BAR: usize = 20;
/// Workloads listed by name under an entry; the rest are counted.
const TOUCHES_LISTED: usize = 6;

pub fn constraints_text(doc: &ConstraintsDocument) -> String {
    let mut out = String::new();
    let where_ = match (&doc.source.context, &doc.source.snapshot) {
        (_, Some(path)) => format!("snapshot {path}"),
        (Some(ctx), None) => format!("context {ctx}"),
        (None, None) => doc.source.server.clone().unwrap_or_default(),
    };
    out.push_str(&format!(
        "{} {} ({})\n",
        "mekhanikube constraints on namespace".bold(),
        clean(&doc.namespace).bold(),
        clean(&where_)
    ));
    if doc.audience == Audience::Developer {
        out.push_str("for the namespace's developers: cluster-wide policies and other namespaces are shown without their names\n");
    }
    let s = &doc.summary;
    if s.total == 0 {
        out.push_str(&format!(
            "{} no quota, limit range, disruption budget, network policy or admission webhook applies\n",
            "✓".green().bold()
        ));
    } else {
        out.push_str(&format!(
            "{}: {} blocking, {} warning — {} touched by a blocking one\n",
            super::count(s.total, "constraint"),
            s.blocking,
            s.warning,
            super::count(s.workloads_blocked, "workload")
        ));
    }
    for skipped in &doc.skipped {
        out.push_str(&format!("{} {} not read: {}\n", "!".yellow(), clean(&skipped.kind), clean(&skipped.reason)));
    }
    for kind in ConstraintKind::ALL {
        let entries: Vec<&Constraint> = doc.constraints.iter().filter(|c| c.kind == kind).collect();
        if entries.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{}\n", kind.title().bold().underline()));
        for c in entries {
            out.push_str(&entry(c));
        }
    }
    out
}

fn state_label(state: ConstraintState) -> String {
    match state {
        ConstraintState::Blocking => "BLOCKING".red().bold().to_string(),
        ConstraintState::Warning => "WARNING".yellow().bold().to_string(),
        ConstraintState::Ok => "ok".green().to_string(),
    }
}

fn entry(c: &Constraint) -> String {
    let mut out = format!(
        "  {} {}  {}\n",
        state_label(c.state),
        clean(&c.reference).cyan(),
        clean(&format!("{} {}", c.object.kind, c.object.name)).dimmed()
    );
    match &c.detail {
        Detail::Quota { resources } if !resources.is_empty() => {
            let width = resources.iter().map(|r| r.resource.len()).max().unwrap_or(0);
            for r in resources {
                out.push_str(&format!("    {}\n", bar_line(r, width)));
            }
            // Lines beyond the per-resource ones (scopes) are said in words.
            for rule in c.rules.iter().skip(resources.len()) {
                out.push_str(&format!("    {}\n", clean(rule)));
            }
        }
        _ => {
            for rule in &c.rules {
                out.push_str(&format!("    {}\n", clean(rule)));
            }
        }
    }
    out.push_str(&format!("    {} {}\n", "touches:".dimmed(), touches(&c.touches)));
    if !c.findings.is_empty() {
        let label = if c.state == ConstraintState::Blocking { "blocking now:" } else { "findings:" };
        out.push_str(&format!("    {}\n", label.bold()));
        for f in &c.findings {
            out.push_str(&format!(
                "      {} {} on {} {}: {}\n",
                f.severity.as_str().to_uppercase(),
                clean(&f.code),
                clean(&f.object.kind),
                clean(&f.object.name),
                clean(&f.message)
            ));
        }
    }
    out
}

/// `pods            [████████████████████] 2/2 100%`.
fn bar_line(r: &QuotaUse, width: usize) -> String {
    let bar = match r.percent {
        Some(p) => {
            let filled = (p.min(100) as usize * BAR).div_ceil(100);
            let cells = format!("{}{}", "█".repeat(filled), "░".repeat(BAR - filled));
            let cells = if p >= 100 {
                cells.red().to_string()
            } else if p >= 90 {
                cells.yellow().to_string()
            } else {
                cells
            };
            format!("[{cells}] {}/{} {p}%", clean(&r.used), clean(&r.hard))
        }
        None => format!("[{}] {}/{}", " ".repeat(BAR), clean(&r.used), clean(&r.hard)),
    };
    let full = if r.percent.is_some_and(|p| p >= 100) { "  used up: the next one is refused" } else { "" };
    format!("{:<width$} {bar}{full}", clean(&r.resource))
}

fn touches(list: &[ObjectRef]) -> String {
    if list.is_empty() {
        return "no workload".to_string();
    }
    let shown: Vec<String> =
        list.iter().take(TOUCHES_LISTED).map(|o| clean(&format!("{} {}", o.kind, o.name))).collect();
    let more = list.len().saturating_sub(TOUCHES_LISTED);
    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

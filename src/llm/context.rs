//! What a prompt carries about one problem, as typed template variables: the representative finding, its
//! evidence, the owner chain, the relevant spec, the affected objects and, for a root cause, what it takes down.
//! Every string from the cluster passes through the anonymizer as it is put in, so nothing is rewritten later.

use mekhanikube_analyzers::{Evidence, Finding, ObjectRef, Snapshot};
use serde::Serialize;

use super::anonymize::{Anonymizer, AnonymizerBuilder};
use super::data::Data;
use super::problem::Problem;
use super::spec::{SpecView, spec_view};

/// How many affected objects a prompt lists by name.
const AFFECTED_LISTED: usize = 5;
/// How many consequences and links a prompt lists at most.
const CONSEQUENCES_LISTED: usize = 10;

/// The template variables, all always defined (docs/prompts.md lists them for template authors).
#[derive(Clone, Debug, Serialize)]
pub struct PromptContext {
    pub language: String,
    pub structured: bool,
    /// `problem` (a problem found) or `constraint` (a constraint asked about); picks the user template.
    pub topic: String,
    /// Who the answer is for: `operator`, or `developer` for the developer audience and constraints.
    pub reader: String,
    pub problem: ProblemVars,
    pub finding: FindingVars,
    pub evidence: EvidenceVars,
    pub owner_chain: Vec<ObjectVars>,
    /// The spec view of the finding's object, or none.
    pub spec: Option<Data>,
    pub spec_kind: Option<String>,
    pub affected: AffectedVars,
    /// The object where the chain of causes starts, or none.
    pub cause: Option<String>,
    /// Findings caused by this one: `code on Kind namespace/name: message`.
    pub consequences: Vec<String>,
    /// The links, `Kind a -kind-> Kind b`.
    pub chain: Vec<String>,
    /// What lost capacity, with its state.
    pub blast_radius: Vec<String>,
    /// All of the cluster data above as compact YAML.
    pub data_yaml: String,
    /// A backtick fence longer than any run of backticks in `data_yaml`.
    pub fence: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProblemVars {
    pub code: String,
    pub summary: String,
    pub severity: String,
    pub owner_kind: String,
    pub count: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct FindingVars {
    pub code: String,
    pub severity: String,
    pub object: ObjectVars,
    pub parent: Option<ObjectVars>,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ObjectVars {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    /// `Kind namespace/name`.
    pub display: String,
}

impl ObjectVars {
    /// `Kind namespace/name` made of the (anonymized) parts.
    fn label(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct EvidenceVars {
    pub conditions: Vec<ConditionVars>,
    pub containers: Vec<ContainerVars>,
    pub events: Vec<EventVars>,
    /// The last lines crashed containers printed (`--logs`), redacted.
    pub logs: Vec<LogVars>,
    /// Named values, in evidence order (a later value of the same name replaces the earlier one).
    pub fields: Data,
}

/// Empty parts are left out, as everywhere in the prompt, to keep it short.
#[derive(Clone, Debug, Serialize)]
pub struct ConditionVars {
    #[serde(rename = "type")]
    pub condition: String,
    pub status: String,
    #[serde(skip_serializing_if = "is_blank")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "is_blank")]
    pub message: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ContainerVars {
    pub container: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub init: bool,
    pub state: String,
    #[serde(skip_serializing_if = "is_blank")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "is_blank")]
    pub message: Option<String>,
    #[serde(rename = "exitCode", skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    pub restarts: i32,
}

#[derive(Clone, Debug, Serialize)]
pub struct LogVars {
    pub container: String,
    pub previous: bool,
    pub lines: Vec<String>,
    #[serde(skip_serializing_if = "is_blank")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EventVars {
    #[serde(rename = "type")]
    pub event_type: String,
    pub reason: String,
    pub count: i32,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct AffectedVars {
    pub count: usize,
    pub objects: Vec<String>,
    pub more: usize,
}

fn is_blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(str::is_empty)
}

/// A problem ready to render: its variables (anonymized when asked) and the anonymizer that restores the answer.
#[derive(Clone, Debug)]
pub struct PreparedProblem {
    pub context: PromptContext,
    /// The same variables without what depends on the consequences (their list, the chain of links, the blast
    /// radius), and with the root's own severity: the cache key is rendered from this, so a consequence appearing
    /// or going away reuses the answer.
    pub key_context: PromptContext,
    pub anonymizer: Anonymizer,
}

/// Gathers what a prompt carries for one problem. With `anonymize`, every name in it is replaced by a token.
pub fn prepare(problem: &Problem, snapshot: &Snapshot, anonymize: bool) -> PreparedProblem {
    let rep = problem.representative();
    let spec = spec_view(snapshot, &rep.object, &container_focus(rep));
    let chain = owner_chain(snapshot, rep);
    let objects = problem.objects();
    let anonymizer = if anonymize {
        anonymizer_for(problem, snapshot, &chain, &objects, spec.as_ref())
    } else {
        Anonymizer::identity()
    };
    let t = |s: &str| anonymizer.anonymize(s);

    let mut spec_data = spec.as_ref().map(|s| s.data.clone());
    if let Some(data) = &mut spec_data {
        data.map_strings(&t);
    }
    let mut context = PromptContext {
        language: "English".into(),
        structured: false,
        topic: if problem.constraint { "constraint" } else { "problem" }.into(),
        reader: if problem.constraint { "developer" } else { "operator" }.into(),
        problem: ProblemVars {
            code: problem.code.clone(),
            summary: code_summary(&problem.code),
            severity: problem.severity.as_str().into(),
            owner_kind: problem.owner_kind.clone(),
            count: problem.findings.len(),
        },
        finding: FindingVars {
            code: t(&rep.code),
            severity: t(rep.severity.as_str()),
            object: object_vars(&rep.object, &t),
            parent: rep.parent.as_ref().map(|p| object_vars(p, &t)),
            message: t(&rep.message),
        },
        evidence: evidence_vars(&rep.evidence, &t),
        owner_chain: chain.iter().map(|o| object_vars(o, &t)).collect(),
        spec: spec_data,
        spec_kind: spec.as_ref().map(|s| s.kind.clone()),
        affected: AffectedVars {
            count: objects.len(),
            objects: objects.iter().take(AFFECTED_LISTED).map(|o| t(&o.display())).collect(),
            more: objects.len().saturating_sub(AFFECTED_LISTED),
        },
        cause: problem.core.cause.as_ref().map(|c| t(&c.label())),
        consequences: listed_consequences(problem).map(|s| t(&s)).collect(),
        chain: listed_links(problem).map(|s| t(&s)).collect(),
        blast_radius: blast_radius(problem).map(|s| t(&s)).collect(),
        data_yaml: String::new(),
        fence: String::new(),
    };

    let mut key_context = context.clone();
    key_context.consequences.clear();
    key_context.chain.clear();
    key_context.blast_radius.clear();
    key_context.problem.severity = rep.severity.as_str().into();
    key_context.set_data_yaml(data_block(&key_context).to_yaml());
    context.set_data_yaml(data_block(&context).to_yaml());
    PreparedProblem { context, key_context, anonymizer }
}

/// Events a trimmed prompt keeps (the newest).
pub const TRIMMED_EVENTS: usize = 2;

impl PromptContext {
    /// Step `step` of the rule that shortens a prompt too long for the context window (docs/prompts.md), least
    /// useful part first: the consequences (with the links and blast radius), events beyond
    /// [`TRIMMED_EVENTS`], the spec, the other evidence fields, then the owner chain and the affected objects'
    /// names. None when there is no step left; `Some(None)` when this step had nothing to drop.
    pub fn trim_step(&mut self, step: usize) -> Option<Option<String>> {
        let dropped = match step {
            0 if !(self.consequences.is_empty() && self.chain.is_empty() && self.blast_radius.is_empty()) => {
                self.consequences.clear();
                self.chain.clear();
                self.blast_radius.clear();
                "the consequences, links and blast radius"
            }
            1 if self.evidence.events.len() > TRIMMED_EVENTS => {
                self.evidence.events.truncate(TRIMMED_EVENTS);
                "events beyond the newest 2"
            }
            2 if self.spec.is_some() => {
                self.spec = None;
                self.spec_kind = None;
                "the spec"
            }
            3 if !(self.evidence.fields.is_empty() && self.evidence.logs.is_empty()) => {
                self.evidence.fields = Data::map();
                self.evidence.logs.clear();
                "the other evidence fields and the container logs"
            }
            4 if !(self.owner_chain.is_empty() && self.affected.objects.is_empty()) => {
                self.owner_chain.clear();
                self.affected.objects.clear();
                "the owner chain and the affected objects' names"
            }
            0..=4 => return Some(None),
            _ => return None,
        };
        self.set_data_yaml(data_block(self).to_yaml());
        Some(Some(dropped.to_string()))
    }

    fn set_data_yaml(&mut self, yaml: String) {
        self.fence = "`".repeat(longest_backtick_run(&yaml).max(2) + 1);
        self.data_yaml = yaml;
    }
}

/// The containers the evidence is about: the spec view shows them in full, the others briefly.
fn container_focus(finding: &Finding) -> Vec<String> {
    let containers = finding.evidence.iter().filter_map(|e| match e {
        Evidence::ContainerState { container, .. } => Some(container.clone()),
        _ => None,
    });
    containers.collect()
}

fn anonymizer_for(
    problem: &Problem,
    snapshot: &Snapshot,
    chain: &[ObjectRef],
    objects: &[&ObjectRef],
    spec: Option<&SpecView>,
) -> Anonymizer {
    let mut b = AnonymizerBuilder::new();
    b.add_finding(problem.representative());
    for o in chain.iter().chain(objects.iter().copied().take(AFFECTED_LISTED)) {
        b.add_object(o);
    }
    if let Some(spec) = spec {
        for (category, name) in &spec.names {
            b.add(category, name);
        }
        for image in &spec.images {
            b.add_image(image);
        }
        for host in &spec.hosts {
            b.add_host(host);
        }
    }
    // Events name nodes that appear nowhere else in the prompt.
    for node in snapshot.objects.nodes.iter() {
        if let Some(name) = node.metadata.name.as_deref() {
            b.add("node", name);
        }
    }
    // Last, so that the root's tokens do not depend on which consequences there are (the cache key).
    for f in problem.consequences.iter().take(CONSEQUENCES_LISTED) {
        b.add_finding(f);
    }
    if let Some(cause) = &problem.core.cause {
        b.add_object(cause);
    }
    for link in problem.core.links.iter().take(CONSEQUENCES_LISTED) {
        b.add_object(&link.cause).add_object(&link.effect);
    }
    for impact in &problem.core.blast_radius {
        b.add_object(&impact.object);
    }
    b.build()
}

fn object_vars(o: &ObjectRef, t: &dyn Fn(&str) -> String) -> ObjectVars {
    ObjectVars {
        kind: t(&o.kind),
        namespace: o.namespace.as_deref().map(t),
        name: t(&o.name),
        display: t(&o.display()),
    }
}

fn evidence_vars(evidence: &[Evidence], t: &dyn Fn(&str) -> String) -> EvidenceVars {
    let some = |s: &Option<String>| s.as_deref().map(t);
    let mut vars = EvidenceVars { fields: Data::map(), ..EvidenceVars::default() };
    for e in evidence {
        match e {
            Evidence::Condition { condition, status, reason, message } => vars.conditions.push(ConditionVars {
                condition: t(condition),
                status: t(status),
                reason: some(reason),
                message: some(message),
            }),
            Evidence::ContainerState { container, init, state, reason, message, exit_code, restart_count } => {
                vars.containers.push(ContainerVars {
                    container: t(container),
                    init: *init,
                    state: t(state),
                    reason: some(reason),
                    message: some(message),
                    exit_code: *exit_code,
                    restarts: *restart_count,
                })
            }
            Evidence::Event(ev) => vars.events.push(EventVars {
                event_type: t(&ev.event_type),
                reason: t(&ev.reason),
                count: ev.count,
                message: t(&ev.message),
            }),
            Evidence::Field { name, value } => {
                vars.fields.set(name, t(value));
            }
            Evidence::Logs { container, previous, lines, note } => vars.logs.push(LogVars {
                container: t(container),
                previous: *previous,
                lines: lines.iter().map(|l| t(l)).collect(),
                note: note.as_deref().map(t),
            }),
            // Names only: the link's free text may name objects the anonymizer was not given.
            Evidence::Cause { object, link, .. } => {
                vars.fields.set("causedBy", t(&format!("{} ({})", object.display(), link.as_str())));
            }
        }
    }
    vars
}

fn listed_consequences(problem: &Problem) -> impl Iterator<Item = String> + '_ {
    let listed = problem.consequences.iter().take(CONSEQUENCES_LISTED);
    listed.map(|f| format!("{} on {}: {}", f.code, f.object.label(), f.message))
}

/// Names only: a link's evidence may name objects the anonymizer was not given.
fn listed_links(problem: &Problem) -> impl Iterator<Item = String> + '_ {
    let listed = problem.core.links.iter().take(CONSEQUENCES_LISTED);
    listed.map(|l| format!("{} -{}-> {}", l.cause.label(), l.kind.as_str(), l.effect.label()))
}

fn blast_radius(problem: &Problem) -> impl Iterator<Item = String> + '_ {
    problem.core.blast_radius.iter().map(|i| format!("{}: {}", i.object.label(), i.state))
}

/// The YAML block of the prompt: the context's cluster data, compact (empty parts left out, objects as
/// `Kind namespace/name`).
fn data_block(c: &PromptContext) -> Data {
    let mut yaml = Data::map();
    let mut finding = Data::map();
    finding
        .push("object", c.finding.object.label())
        .push("owner", c.finding.parent.as_ref().map(ObjectVars::label))
        .push("message", c.finding.message.as_str());
    yaml.push("finding", finding);
    if c.owner_chain.len() > 1 {
        yaml.push("owner_chain", c.owner_chain.iter().map(ObjectVars::label).collect::<Vec<_>>());
    }
    let e = &c.evidence;
    yaml.push("conditions", e.conditions.iter().map(ConditionVars::data).collect::<Vec<_>>())
        .push("containers", e.containers.iter().map(ContainerVars::data).collect::<Vec<_>>())
        .push("events", e.events.iter().map(EventVars::data).collect::<Vec<_>>())
        .push("logs", e.logs.iter().map(LogVars::data).collect::<Vec<_>>())
        .push("fields", e.fields.clone());
    if let Some(kind) = &c.spec_kind {
        let mut spec = Data::map();
        spec.push("kind", kind.as_str());
        if let Some(Data::Map(entries)) = &c.spec {
            for (k, v) in entries {
                spec.push(k, v.clone());
            }
        }
        yaml.push("spec", spec);
    }
    if c.affected.count > 1 {
        let mut affected = Data::map();
        affected.push("count", c.affected.count).push("first", c.affected.objects.clone());
        yaml.push("affected", affected);
    }
    yaml.push("cause", c.cause.clone())
        .push("consequences", c.consequences.clone())
        .push("chain", c.chain.clone())
        .push("blast_radius", c.blast_radius.clone());
    yaml
}

// The YAML block's rows: the same fields in the same order, empty ones left out.
impl ConditionVars {
    fn data(&self) -> Data {
        let mut m = Data::map();
        m.push("type", self.condition.as_str())
            .push("status", self.status.as_str())
            .push("reason", self.reason.clone())
            .push("message", self.message.clone());
        m
    }
}

impl ContainerVars {
    fn data(&self) -> Data {
        let mut m = Data::map();
        m.push("container", self.container.as_str())
            .push("init", self.init.then_some(true))
            .push("state", self.state.as_str())
            .push("reason", self.reason.clone())
            .push("message", self.message.clone())
            .push("exitCode", self.exit_code)
            .push("restarts", self.restarts);
        m
    }
}

impl LogVars {
    fn data(&self) -> Data {
        let mut m = Data::map();
        m.push("container", self.container.as_str())
            .push("run", if self.previous { "previous" } else { "current" })
            .push("lastLines", self.lines.clone())
            .push("note", self.note.clone());
        m
    }
}

impl EventVars {
    fn data(&self) -> Data {
        let mut m = Data::map();
        m.push("type", self.event_type.as_str())
            .push("reason", self.reason.as_str())
            .push("count", self.count)
            .push("message", self.message.as_str());
        m
    }
}

fn longest_backtick_run(s: &str) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in s.chars() {
        if c == '`' {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

/// The controlling owners above the finding's object, nearest first; the finding's parent alone when the
/// object is not in the snapshot.
fn owner_chain(snapshot: &Snapshot, finding: &Finding) -> Vec<ObjectRef> {
    let o = &finding.object;
    let kind = o.table_kind();
    let ns = o.namespace.as_deref().unwrap_or("");
    let chain = kind
        .and_then(|k| snapshot.objects.meta(k, if k.namespaced() { ns } else { "" }, &o.name))
        .map(|meta| snapshot.owner_chain(ns, meta))
        .unwrap_or_default();
    if chain.is_empty() { finding.parent.iter().cloned().collect() } else { chain }
}

/// The one-line meaning of a finding code, from the analyzer registry.
pub fn code_summary(code: &str) -> String {
    mekhanikube_analyzers::registry()
        .iter()
        .flat_map(|a| a.codes().iter())
        .find(|c| c.code == code)
        .map(|c| c.summary.to_string())
        .unwrap_or_default()
}

//! Rule files: analyzers written in YAML with CEL conditions, loaded at start, without recompiling. Each file is
//! one analyzer (its `name` is what `--filter` takes); each rule matches a kind by API group and kind (built-in or
//! custom), tests a CEL condition over `object` (the object as JSON) and `now` (the snapshot clock), and reports
//! its code at its severity with a message whose `{{ expr }}` parts are CEL too. docs/rules.md.
//!
//! A rule is checked at start: the YAML, the names, and each CEL expression compiled and then evaluated against a
//! minimal object (apiVersion, kind, metadata name and namespace), which catches type errors on the paths it
//! reaches; a field absent from that object is not an error there, and on a real object it means no match.

use std::path::{Path, PathBuf};

use cel::{Context, Program, Value as CelValue};
use mekhanikube_analyzers::custom::{group_of, is_builtin_group};
use mekhanikube_analyzers::{Analyzer, CodeInfo, Finding, Kind, ObjectRef, Severity, SeverityRule, Snapshot};
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("cannot read rules directory {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("{file}: rule {code}: {message}")]
    Rule { file: String, code: String, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    name: String,
    rules: Vec<RuleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    code: String,
    #[serde(default)]
    summary: Option<String>,
    #[serde(rename = "match")]
    matches: MatchSpec,
    condition: String,
    severity: String,
    message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MatchSpec {
    api_version: String,
    kind: String,
}

/// One part of a message template.
enum Segment {
    Text(String),
    Expr(Program),
}

struct Rule {
    code: &'static CodeInfo,
    group: String,
    kind: String,
    /// The table kind, when the rule matches a built-in kind the snapshot stores typed.
    builtin: Option<Kind>,
    condition: Program,
    message: Vec<Segment>,
    severity: Severity,
}

/// The analyzer of one rule file.
pub struct RuleAnalyzer {
    name: &'static str,
    source: PathBuf,
    kinds: &'static [Kind],
    custom: bool,
    codes: &'static [CodeInfo],
    rules: Vec<Rule>,
}

impl RuleAnalyzer {
    /// The file the analyzer came from, for `mekhanikube analyzers`.
    pub fn source(&self) -> &Path {
        &self.source
    }
}

impl Analyzer for RuleAnalyzer {
    fn name(&self) -> &'static str {
        self.name
    }
    fn kinds(&self) -> &'static [Kind] {
        self.kinds
    }
    fn codes(&self) -> &'static [CodeInfo] {
        self.codes
    }
    fn reads_custom(&self) -> bool {
        self.custom
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        let now = snapshot.read_at().and_then(|t| timestamp(&t.to_string()));
        let mut findings = Vec::new();
        for rule in &self.rules {
            let objects: Vec<serde_json::Value> = match rule.builtin {
                Some(kind) => snapshot.objects.values_of(kind),
                None => snapshot.custom.of_kind(&rule.group, &rule.kind).map(|o| o.to_value()).collect(),
            };
            for object in objects {
                let Some(message) = rule.evaluate(&object, now.as_ref()) else { continue };
                findings.push(finding(snapshot, self.name, rule, &object, message));
            }
        }
        findings
    }
}

impl Rule {
    /// The message when the condition holds; None when it does not, or cannot be evaluated on this object (a
    /// field it reads is absent).
    fn evaluate(&self, object: &serde_json::Value, now: Option<&CelValue>) -> Option<String> {
        let context = context(object, now)?;
        match self.condition.execute(&context) {
            Ok(CelValue::Bool(true)) => Some(render(&self.message, &context)),
            _ => None,
        }
    }
}

fn context(object: &serde_json::Value, now: Option<&CelValue>) -> Option<Context<'static, 'static>> {
    let mut context = Context::default();
    context.add_variable("object", object).ok()?;
    if let Some(now) = now {
        context.add_variable_from_value("now", now.clone());
    }
    Some(context)
}

fn render(segments: &[Segment], context: &Context) -> String {
    segments
        .iter()
        .map(|s| match s {
            Segment::Text(t) => t.clone(),
            Segment::Expr(p) => p.execute(context).map(|v| display(&v)).unwrap_or_else(|_| "?".into()),
        })
        .collect()
}

fn display(value: &CelValue) -> String {
    match value {
        CelValue::String(s) => s.to_string(),
        CelValue::Int(n) => n.to_string(),
        CelValue::UInt(n) => n.to_string(),
        CelValue::Float(n) => n.to_string(),
        CelValue::Bool(b) => b.to_string(),
        CelValue::Null => "null".into(),
        CelValue::Timestamp(t) => t.to_rfc3339(),
        CelValue::Duration(d) => format!("{}s", d.num_seconds()),
        other => format!("{other:?}"),
    }
}

/// A CEL timestamp for an RFC 3339 time, built by CEL itself.
fn timestamp(rfc3339: &str) -> Option<CelValue> {
    let program = Program::compile(&format!("timestamp('{rfc3339}')")).ok()?;
    program.execute(&Context::default()).ok()
}

fn finding(snapshot: &Snapshot, analyzer: &str, rule: &Rule, object: &serde_json::Value, message: String) -> Finding {
    let meta: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta =
        object.get("metadata").and_then(|m| serde_json::from_value(m.clone()).ok()).unwrap_or_default();
    let text = |key: &str| object.get(key).and_then(|v| v.as_str()).unwrap_or_default();
    let object_ref = ObjectRef::from_meta(text("apiVersion"), text("kind"), &meta);
    let parent = snapshot.owner_chain(meta.namespace.as_deref().unwrap_or_default(), &meta).pop();
    Finding::new(analyzer, rule.code, object_ref, parent, rule.severity, message)
}

/// Loads every `.yaml`/`.yml` file of `dir` (sorted), each one analyzer. `taken` are the names and codes already
/// in use (the built-in analyzers'), which a rule file may not reuse.
pub fn load_dir(dir: &Path, taken: &[(&str, Vec<&str>)]) -> Result<Vec<&'static RuleAnalyzer>, RuleError> {
    let read_err = |source| RuleError::Read { path: dir.display().to_string(), source };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_err)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    let mut names: Vec<String> = taken.iter().map(|(n, _)| n.to_string()).collect();
    let mut codes: Vec<String> = taken.iter().flat_map(|(_, c)| c.iter().map(|c| c.to_string())).collect();
    let mut loaded = Vec::new();
    for file in files {
        let shown = file.display().to_string();
        let text = std::fs::read_to_string(&file)
            .map_err(|e| RuleError::File { file: shown.clone(), message: format!("cannot read: {e}") })?;
        let analyzer = parse(&file, &text, &names, &codes)?;
        names.push(analyzer.name.to_string());
        codes.extend(analyzer.codes.iter().map(|c| c.code.to_string()));
        loaded.push(&*Box::leak(Box::new(analyzer)));
    }
    Ok(loaded)
}

fn kebab(text: &str) -> bool {
    !text.is_empty()
        && text.split('-').all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

/// Parses and checks one rule file. Names and codes live as long as the process (analyzers are `'static`).
fn parse(file: &Path, text: &str, names: &[String], codes: &[String]) -> Result<RuleAnalyzer, RuleError> {
    let shown = file.display().to_string();
    let file_err = |message: String| RuleError::File { file: shown.clone(), message };
    let spec: FileSpec = serde_saphyr::from_str(text)
        .map_err(|e| file_err(format!("not a rule file: {}", e.to_string().lines().next().unwrap_or_default())))?;
    if !kebab(&spec.name) {
        return Err(file_err(format!("name '{}' must be kebab-case", spec.name)));
    }
    if names.contains(&spec.name) {
        return Err(file_err(format!("name '{}' is already an analyzer", spec.name)));
    }
    if spec.rules.is_empty() {
        return Err(file_err("no rules".into()));
    }
    let mut seen: Vec<String> = codes.to_vec();
    let mut rules = Vec::new();
    let mut infos = Vec::new();
    for rule in spec.rules {
        let rule_err = |message: String| RuleError::Rule { file: shown.clone(), code: rule.code.clone(), message };
        if !kebab(&rule.code) {
            return Err(rule_err("the code must be kebab-case".into()));
        }
        if seen.contains(&rule.code) {
            return Err(rule_err("the code is already in use".into()));
        }
        seen.push(rule.code.clone());
        let severity: Severity = rule.severity.parse().map_err(rule_err)?;
        let (api_version, kind) = (rule.matches.api_version.as_str(), rule.matches.kind.as_str());
        if api_version.is_empty() || kind.is_empty() {
            return Err(rule_err("match needs apiVersion and kind".into()));
        }
        let group = group_of(api_version).to_string();
        let builtin = Kind::ALL.iter().copied().find(|k| k.name() == kind && k.group() == group);
        if builtin.is_none() && is_builtin_group(&group) {
            return Err(rule_err(format!("{api_version} {kind} is not a kind mekhanikube reads")));
        }
        let condition = compile(&rule.condition).map_err(|e| rule_err(format!("condition: {e}")))?;
        let message = template(&rule.message).map_err(|e| rule_err(format!("message: {e}")))?;
        check(&condition, api_version, kind, true).map_err(|e| rule_err(format!("condition: {e}")))?;
        for segment in &message {
            if let Segment::Expr(p) = segment {
                check(p, api_version, kind, false).map_err(|e| rule_err(format!("message: {e}")))?;
            }
        }
        let summary = rule.summary.unwrap_or_else(|| format!("Rule {} from {}.", rule.code, file.display()));
        infos.push(CodeInfo {
            code: Box::leak(rule.code.into_boxed_str()),
            summary: Box::leak(summary.into_boxed_str()),
            severity: SeverityRule::fixed(severity),
        });
        rules.push((group, kind.to_string(), builtin, condition, message, severity));
    }
    let codes: &'static [CodeInfo] = Box::leak(infos.into_boxed_slice());
    let mut kinds: Vec<Kind> = rules.iter().filter_map(|r| r.2).collect();
    kinds.push(Kind::Event);
    kinds.sort();
    kinds.dedup();
    let custom = rules.iter().any(|r| r.2.is_none());
    let rules = rules
        .into_iter()
        .zip(codes)
        .map(|((group, kind, builtin, condition, message, severity), code)| Rule {
            code,
            group,
            kind,
            builtin,
            condition,
            message,
            severity,
        })
        .collect();
    Ok(RuleAnalyzer {
        name: Box::leak(spec.name.into_boxed_str()),
        source: file.to_path_buf(),
        kinds: Box::leak(kinds.into_boxed_slice()),
        custom,
        codes,
        rules,
    })
}

/// Compiles one CEL expression; the error is the parser's first message, on one line.
fn compile(expression: &str) -> Result<Program, String> {
    Program::compile(expression).map_err(|e| {
        let text = e.to_string();
        text.lines().next().unwrap_or("syntax error").trim().to_string()
    })
}

/// Splits `text {{ expr }} text` into parts, compiling each expression.
fn template(text: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        segments.push(Segment::Text(rest[..start].to_string()));
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("a '{{' without its '}}'")?;
        segments.push(Segment::Expr(compile(after[..end].trim())?));
        rest = &after[end + 2..];
    }
    segments.push(Segment::Text(rest.to_string()));
    Ok(segments)
}

/// Evaluates against a minimal object: type errors on the paths it reaches fail the rule; an absent field does
/// not (real objects have more).
fn check(program: &Program, api_version: &str, kind: &str, boolean: bool) -> Result<(), String> {
    let sample = serde_json::json!({
        "apiVersion": api_version, "kind": kind,
        "metadata": {"name": "example", "namespace": "default"},
    });
    let now = timestamp("2026-01-01T00:00:00Z");
    let context = context(&sample, now.as_ref()).ok_or("cannot bind the object")?;
    match program.execute(&context) {
        Ok(CelValue::Bool(_)) => Ok(()),
        Ok(other) if boolean => Err(format!("must be a boolean, not {}", display_type(&other))),
        Ok(_) => Ok(()),
        Err(cel::ExecutionError::NoSuchKey(_)) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

fn display_type(value: &CelValue) -> &'static str {
    match value {
        CelValue::String(_) => "a string",
        CelValue::Int(_) | CelValue::UInt(_) | CelValue::Float(_) => "a number",
        CelValue::List(_) => "a list",
        CelValue::Map(_) => "a map",
        CelValue::Null => "null",
        _ => "another type",
    }
}

#[cfg(test)]
mod tests;

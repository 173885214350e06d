//! Label matching: kubectl's `-l` query syntax, and the selectors objects carry in their specs.

use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid label selector '{query}': {reason}")]
pub struct SelectorError {
    pub query: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed `-l` query, e.g. `app=web,tier!=cache,env in (prod,stage),!legacy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelQuery {
    requirements: Vec<Requirement>,
}

impl LabelQuery {
    pub fn parse(query: &str) -> Result<LabelQuery, SelectorError> {
        let err = |reason: &str| SelectorError { query: query.to_string(), reason: reason.to_string() };
        let mut requirements = Vec::new();
        for term in split_terms(query) {
            let term = term.trim();
            if term.is_empty() {
                return Err(err("empty requirement"));
            }
            let req = if let Some(key) = term.strip_prefix('!') {
                Requirement::NotExists(valid_key(key.trim()).map_err(|r| err(&r))?)
            } else if let Some((key, values)) = split_set(term, " notin ") {
                Requirement::NotIn(valid_key(key).map_err(|r| err(&r))?, parse_set(values).map_err(|r| err(&r))?)
            } else if let Some((key, values)) = split_set(term, " in ") {
                Requirement::In(valid_key(key).map_err(|r| err(&r))?, parse_set(values).map_err(|r| err(&r))?)
            } else if let Some((key, value)) = term.split_once("!=") {
                Requirement::NotEquals(valid_key(key).map_err(|r| err(&r))?, value.trim().to_string())
            } else if let Some((key, value)) = term.split_once("==").or_else(|| term.split_once('=')) {
                Requirement::Equals(valid_key(key).map_err(|r| err(&r))?, value.trim().to_string())
            } else {
                Requirement::Exists(valid_key(term).map_err(|r| err(&r))?)
            };
            requirements.push(req);
        }
        Ok(LabelQuery { requirements })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::NotExists(k) => !labels.contains_key(k),
        })
    }
}

/// Splits on commas that are not inside a `( ... )` value set.
fn split_terms(query: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in query.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(&query[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&query[start..]);
    terms
}

fn split_set<'a>(term: &'a str, op: &str) -> Option<(&'a str, &'a str)> {
    term.split_once(op).map(|(k, v)| (k.trim(), v.trim()))
}

fn parse_set(values: &str) -> Result<Vec<String>, String> {
    let inner = values
        .strip_prefix('(')
        .and_then(|v| v.strip_suffix(')'))
        .ok_or_else(|| format!("expected a value set like (a,b), got '{values}'"))?;
    Ok(inner.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect())
}

fn valid_key(key: &str) -> Result<String, String> {
    let key = key.trim();
    let ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok { Ok(key.to_string()) } else { Err(format!("'{key}' is not a valid label key")) }
}

/// Whether a Service-style selector (all pairs must match) selects these labels. An empty selector selects
/// nothing, as for Services.
pub(crate) fn map_selects(selector: &BTreeMap<String, String>, labels: Option<&BTreeMap<String, String>>) -> bool {
    !selector.is_empty() && labels.is_some_and(|l| selector.iter().all(|(k, v)| l.get(k) == Some(v)))
}

/// Whether a `metav1.LabelSelector` (matchLabels and matchExpressions) selects these labels. An empty selector
/// selects everything, as it does for PodDisruptionBudgets and NetworkPolicies; an expression with an unknown
/// operator selects nothing.
pub(crate) fn label_selector_matches(
    selector: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    let empty = BTreeMap::new();
    let labels = labels.unwrap_or(&empty);
    let pairs = selector.match_labels.iter().flatten().all(|(k, v)| labels.get(k) == Some(v));
    pairs
        && selector.match_expressions.iter().flatten().all(|e| {
            let values = e.values.as_deref().unwrap_or_default();
            let value = labels.get(&e.key);
            match e.operator.as_str() {
                "In" => value.is_some_and(|v| values.contains(v)),
                "NotIn" => value.is_none_or(|v| !values.contains(v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn parses_kubectl_syntax() {
        let q = LabelQuery::parse("app=web,tier!=cache,env in (prod, stage),!legacy").unwrap();
        assert!(q.matches(&labels(&[("app", "web"), ("env", "prod")])));
        assert!(!q.matches(&labels(&[("app", "web"), ("env", "dev")])));
        assert!(!q.matches(&labels(&[("app", "web"), ("env", "prod"), ("legacy", "1")])));
        assert!(!q.matches(&labels(&[("app", "web"), ("env", "prod"), ("tier", "cache")])));
    }

    #[test]
    fn rejects_bad_queries() {
        assert!(LabelQuery::parse("app=web,,x=y").is_err());
        assert!(LabelQuery::parse("env in prod").is_err());
        assert!(LabelQuery::parse("bad key=1").is_err());
    }

    #[test]
    fn label_selectors_match_labels_and_expressions_and_empty_selects_all() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
        let req = |key: &str, operator: &str, values: &[&str]| LabelSelectorRequirement {
            key: key.into(),
            operator: operator.into(),
            values: Some(values.iter().map(|v| v.to_string()).collect()),
        };
        let web = labels(&[("app", "web"), ("tier", "front")]);
        assert!(label_selector_matches(&LabelSelector::default(), Some(&web)));
        assert!(label_selector_matches(&LabelSelector::default(), None));
        let sel = LabelSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: Some(vec![req("tier", "In", &["front", "edge"]), req("legacy", "DoesNotExist", &[])]),
        };
        assert!(label_selector_matches(&sel, Some(&web)));
        assert!(!label_selector_matches(&sel, Some(&labels(&[("app", "web"), ("tier", "back")]))));
        assert!(!label_selector_matches(&sel, None));
        let not_in =
            LabelSelector { match_expressions: Some(vec![req("tier", "NotIn", &["back"])]), ..Default::default() };
        assert!(label_selector_matches(&not_in, Some(&web)) && label_selector_matches(&not_in, None));
        let odd = LabelSelector { match_expressions: Some(vec![req("tier", "Gt", &["1"])]), ..Default::default() };
        assert!(!label_selector_matches(&odd, Some(&web)));
    }

    #[test]
    fn empty_service_selector_selects_nothing() {
        assert!(!map_selects(&BTreeMap::new(), Some(&labels(&[("app", "web")]))));
        assert!(map_selects(&labels(&[("app", "web")]), Some(&labels(&[("app", "web"), ("x", "y")]))));
    }
}

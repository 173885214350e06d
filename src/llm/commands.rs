//! Commands the model suggests are parsed and classified before anyone sees them: kubectl reads are shown as
//! they are, kubectl writes are labelled as changing the cluster, and what can damage a host (a download piped
//! into a shell, sudo, deleting files, a container runtime, a kubectl command that does not exist) is removed.
//!
//! Parsing is shell-like (`shlex`) on a pipeline split at `|`, `;`, `&&` and `||` outside quotes; a pipeline is
//! as dangerous as its worst part.

use crate::document::CommandClass;

/// What to do with one command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Shown, labelled with its class.
    Show(CommandClass),
    /// Not shown; the reason is.
    Remove(String),
}

/// kubectl subcommands that only read.
const KUBECTL_READS: &[&str] = &[
    "get",
    "describe",
    "logs",
    "events",
    "top",
    "explain",
    "api-resources",
    "api-versions",
    "version",
    "cluster-info",
    "diff",
    "wait",
];
/// kubectl subcommands that change the cluster (or open a way into it).
const KUBECTL_WRITES: &[&str] = &[
    "apply",
    "patch",
    "edit",
    "delete",
    "scale",
    "autoscale",
    "set",
    "label",
    "annotate",
    "cordon",
    "uncordon",
    "drain",
    "taint",
    "create",
    "replace",
    "exec",
    "cp",
    "port-forward",
    "attach",
    "run",
    "expose",
    "debug",
    "proxy",
    "certificate",
];
/// Programs that only filter what a read printed.
const FILTERS: &[&str] =
    &["grep", "egrep", "head", "tail", "jq", "yq", "sort", "uniq", "wc", "less", "more", "cut", "column", "awk"];
const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "fish"];
const RUNTIMES: &[&str] = &["docker", "crictl", "ctr", "podman", "nerdctl"];
const HOST_CHANGES: &[&str] =
    &["systemctl", "service", "reboot", "shutdown", "iptables", "kill", "pkill", "killall", "dd", "chmod", "chown"];

/// Classifies one command line as the model wrote it (a leading `$ ` prompt is ignored).
pub fn classify(command: &str) -> Verdict {
    let line = command.trim().trim_start_matches("$ ").trim();
    if line.is_empty() {
        return Verdict::Remove("is empty".into());
    }
    if line.contains("$(") || line.contains('`') || line.contains("<(") {
        if mentions_download(line) {
            return Verdict::Remove("runs a downloaded script".into());
        }
        return Verdict::Remove("runs a command substitution".into());
    }
    let segments = split_pipeline(line);
    let mut worst = CommandClass::Read;
    let mut downloads = false;
    for (i, segment) in segments.iter().enumerate() {
        let Some(words) = shlex::split(segment) else {
            return Verdict::Remove("cannot be parsed as a command".into());
        };
        let words = skip_assignments(&words);
        let Some(program) = words.first().map(|w| program_name(w)) else { continue };
        let piped = i > 0 && segment_follows_pipe(line, segment);
        match segment_verdict(&program, words, piped, downloads) {
            Verdict::Remove(reason) => return Verdict::Remove(reason),
            Verdict::Show(class) => worst = worse(worst, class),
        }
        downloads |= program == "curl" || program == "wget";
    }
    Verdict::Show(worst)
}

fn segment_verdict(program: &str, words: &[String], piped: bool, downloads: bool) -> Verdict {
    match program {
        "sudo" | "su" | "doas" => Verdict::Remove("uses sudo".into()),
        p if SHELLS.contains(&p) && downloads => Verdict::Remove("pipes a download into a shell".into()),
        p if SHELLS.contains(&p) && piped => Verdict::Remove("pipes text into a shell".into()),
        p if SHELLS.contains(&p) => Verdict::Remove("runs a shell".into()),
        "rm" | "rmdir" | "shred" | "unlink" => Verdict::Remove("deletes files".into()),
        p if p.starts_with("mkfs") => Verdict::Remove("formats a disk".into()),
        p if RUNTIMES.contains(&p) => Verdict::Remove("touches the container runtime".into()),
        p if HOST_CHANGES.contains(&p) => Verdict::Remove("changes the host".into()),
        "kubectl" | "oc" => kubectl_verdict(&words[1..]),
        "sed" if words.iter().any(|w| w.starts_with("-i") || w == "--in-place") => {
            Verdict::Show(CommandClass::Unchecked)
        }
        p if piped && FILTERS.contains(&p) => Verdict::Show(CommandClass::Read),
        p if piped && p == "sed" => Verdict::Show(CommandClass::Read),
        _ => Verdict::Show(CommandClass::Unchecked),
    }
}

fn kubectl_verdict(args: &[String]) -> Verdict {
    let parsed = Kubectl::parse(args);
    let Some(verb) = parsed.verb.first().map(String::as_str) else {
        return Verdict::Remove("is kubectl without a subcommand".into());
    };
    let second = parsed.verb.get(1).map(String::as_str).unwrap_or("");
    let class = match verb {
        v if KUBECTL_READS.contains(&v) => CommandClass::Read,
        v if KUBECTL_WRITES.contains(&v) => CommandClass::Write,
        "rollout" => match second {
            "status" | "history" => CommandClass::Read,
            "restart" | "undo" | "pause" | "resume" => CommandClass::Write,
            _ => return Verdict::Remove(format!("does not exist (kubectl rollout has no `{second}` command)")),
        },
        "auth" => match second {
            "can-i" | "whoami" => CommandClass::Read,
            "reconcile" => CommandClass::Write,
            _ => return Verdict::Remove(format!("does not exist (kubectl auth has no `{second}` command)")),
        },
        "config" => match second {
            "view" | "get-contexts" | "current-context" | "get-clusters" | "get-users" => CommandClass::Read,
            _ => CommandClass::Write,
        },
        other => return Verdict::Remove(format!("does not exist (kubectl has no `{other}` command)")),
    };
    // What `exec`/`debug`/`run` run inside a container is judged like any command.
    if let Some(inner) = parsed.after_dashes.as_deref()
        && let Verdict::Remove(reason) = classify(inner)
    {
        return Verdict::Remove(format!("runs a command in a container that {reason}"));
    }
    Verdict::Show(class)
}

/// A kubectl command line: its verb words, its namespace flag, its positional arguments, and what follows `--`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kubectl {
    /// The subcommand, with the second word for `rollout`, `auth`, `config`, `set`, `create`, `top`.
    pub verb: Vec<String>,
    pub namespace: Option<String>,
    pub positionals: Vec<String>,
    /// `-c`/`--container`.
    pub container: Option<String>,
    pub after_dashes: Option<String>,
}

/// kubectl flags that take a value as the next word (when not written `--flag=value`).
const VALUE_FLAGS: &[&str] = &[
    "-n",
    "--namespace",
    "-c",
    "--container",
    "-o",
    "--output",
    "-l",
    "--selector",
    "-f",
    "--filename",
    "--context",
    "--kubeconfig",
    "--cluster",
    "--user",
    "--type",
    "-p",
    "--patch",
    "--replicas",
    "--image",
    "--tail",
    "--since",
    "--field-selector",
    "--sort-by",
    "--timeout",
    "--for",
    "-k",
    "--as",
    "--grace-period",
    "--to-revision",
    "--subresource",
];

impl Kubectl {
    /// Parses the words after `kubectl`.
    pub fn parse(args: &[String]) -> Kubectl {
        let mut k = Kubectl::default();
        let mut words = args.iter();
        let mut rest = Vec::new();
        while let Some(w) = words.next() {
            if w == "--" {
                let inner: Vec<&str> = words.by_ref().map(String::as_str).collect();
                k.after_dashes = Some(shlex::try_join(inner.iter().copied()).unwrap_or_else(|_| inner.join(" ")));
                break;
            }
            if let Some((flag, value)) = w.split_once('=').filter(|(f, _)| f.starts_with('-')) {
                k.flag(flag, value);
            } else if VALUE_FLAGS.contains(&w.as_str()) {
                let value = words.next().cloned().unwrap_or_default();
                k.flag(w, &value);
            } else if w.starts_with('-') {
                // A boolean flag (`--all-namespaces`, `--previous`, `-A`).
            } else {
                rest.push(w.clone());
            }
        }
        let mut rest = rest.into_iter();
        if let Some(verb) = rest.next() {
            let two_words = matches!(verb.as_str(), "rollout" | "auth" | "config" | "set" | "create" | "top");
            k.verb.push(verb);
            if two_words && let Some(second) = rest.next() {
                k.verb.push(second);
            }
        }
        k.positionals = rest.collect();
        k
    }

    fn flag(&mut self, flag: &str, value: &str) {
        match flag {
            "-n" | "--namespace" => self.namespace = Some(value.to_string()),
            "-c" | "--container" => self.container = Some(value.to_string()),
            _ => {}
        }
    }
}

/// Splits a command line at `|`, `||`, `&&` and `;` outside quotes.
fn split_pipeline(line: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quote) = (0, None::<char>);
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '|' | ';' | '&') => {
                let double = i + 1 < bytes.len() && (bytes[i + 1] == b'|' || bytes[i + 1] == b'&');
                if c == '&' && !double {
                    i += 1;
                    continue;
                }
                parts.push(&line[start..i]);
                i += if double { 2 } else { 1 };
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&line[start..]);
    parts.into_iter().map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// Whether `segment` is the right-hand side of a `|` (not of `;` or `&&`).
fn segment_follows_pipe(line: &str, segment: &str) -> bool {
    let Some(pos) = line.find(segment) else { return false };
    let before = line[..pos].trim_end();
    before.ends_with('|') && !before.ends_with("||")
}

fn skip_assignments(words: &[String]) -> &[String] {
    let n = words.iter().take_while(|w| w.contains('=') && !w.starts_with('-') && !w.starts_with('=')).count();
    &words[n..]
}

/// `/usr/bin/kubectl` is `kubectl`.
fn program_name(word: &str) -> String {
    word.rsplit('/').next().unwrap_or(word).to_ascii_lowercase()
}

fn mentions_download(line: &str) -> bool {
    line.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == "curl" || w == "wget")
}

fn worse(a: CommandClass, b: CommandClass) -> CommandClass {
    let rank = |c: CommandClass| match c {
        CommandClass::Read => 0,
        CommandClass::Unchecked => 1,
        CommandClass::Write => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// Why `text` (a sentence or a line of free text, outside any code span) must not be shown: it reads as a
/// dangerous command even without code formatting. Ordinary prose that mentions Docker is left alone.
pub fn dangerous_prose(text: &str) -> Option<(usize, String)> {
    let lower = text.to_ascii_lowercase();
    let starts = ["sudo ", "curl ", "wget ", "rm -", "docker ", "crictl ", "ctr ", "podman ", "nerdctl "];
    let mut best: Option<usize> = None;
    for s in starts {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(s).map(|p| p + from) {
            let boundary = pos == 0 || !lower[..pos].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '-');
            if boundary && best.is_none_or(|b| pos < b) {
                best = Some(pos);
                break;
            }
            from = pos + 1;
        }
    }
    let pos = best?;
    let candidate = text[pos..].trim_end_matches(['.', ',', ')']);
    match classify(candidate) {
        // `docker image` in a sentence is prose; only a runtime command with a verb that acts is removed.
        Verdict::Remove(reason) if is_command_like(candidate) => Some((pos, reason)),
        _ => None,
    }
}

/// A runtime or download mention that is a command: `docker rm …`, `curl -sL …`, `sudo …`, `rm -rf …`.
fn is_command_like(candidate: &str) -> bool {
    let words: Vec<&str> = candidate.split_whitespace().collect();
    let first = words.first().map(|w| w.to_ascii_lowercase()).unwrap_or_default();
    let second = words.get(1).copied().unwrap_or("");
    match first.as_str() {
        "sudo" | "rm" => true,
        "curl" | "wget" => second.starts_with('-') || second.contains("://") || candidate.contains('|'),
        _ => matches!(
            second,
            "rm" | "rmi"
                | "run"
                | "exec"
                | "kill"
                | "stop"
                | "restart"
                | "pull"
                | "system"
                | "ps"
                | "images"
                | "inspect"
                | "logs"
                | "prune"
                | "container"
                | "volume"
        ),
    }
}

//! A module-layering checker, std only: it reads a crate's sources, collects the edges
//! between its files (`crate::…`, `super::…`, `self::…` and child-module paths, in `use`
//! items with their `{…}` groups and inline in code), and checks them against a declared
//! layer table. Comments, string literals and `#[cfg(test)]` items are blanked first, so
//! doc links and test-only imports are not edges. `$crate::…` (macro bodies) is skipped.
//!
//! Shared by the layering tests of `tessera` and `tessera-client` (the latter includes
//! this file with `#[path]`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// A crate's layers, bottom to top, and which files sit in each.
pub(crate) struct Layers<'a> {
    /// Layer names, bottom (index 0) to top.
    pub(crate) names: &'a [&'a str],
    /// `(path prefix under src, layer index)`. A prefix ending in `/` covers a folder; any
    /// other prefix names one file. The longest matching prefix wins.
    pub(crate) table: &'a [(&'a str, usize)],
}

impl Layers<'_> {
    /// The layer of a file (path relative to src, `/`-separated), by the longest prefix.
    pub(crate) fn of(&self, file: &str) -> Option<usize> {
        self.table
            .iter()
            .filter(|(prefix, _)| file == *prefix || (prefix.ends_with('/') && file.starts_with(prefix)))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|&(_, layer)| layer)
    }
}

/// One reference from a file to another file of the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edge {
    /// The referring file (relative to src).
    pub(crate) from: String,
    /// Its 1-based line.
    pub(crate) line: usize,
    /// The path as resolved from the crate root, e.g. `crate::config::Config`.
    pub(crate) path: String,
    /// The file defining the path's longest module prefix.
    pub(crate) to: String,
}

/// Every `.rs` file under `src`, keyed by its `/`-separated path relative to `src`.
pub(crate) fn read_sources(src: &Path) -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("the source folder is readable")
            .map(|e| e.expect("a readable folder entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).expect("under the root");
                let key = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(key, std::fs::read_to_string(&path).expect("a readable source file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, src, &mut out);
    out
}

/// Everything wrong with `files` under `layers`, one line each: files the table does not
/// place, table entries that place no file, edges from a lower layer to a higher one, and
/// cycles between top-level modules through same-layer edges. Empty when all is well.
pub(crate) fn problems(files: &BTreeMap<String, String>, layers: &Layers<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for file in files.keys() {
        if layers.of(file).is_none() {
            out.push(format!(
                "{file}: not in the layer table; add it to the layer it belongs to"
            ));
        }
    }
    for (prefix, _) in layers.table {
        if !files
            .keys()
            .any(|f| f == prefix || (prefix.ends_with('/') && f.starts_with(prefix)))
        {
            out.push(format!("{prefix}: in the layer table, but no file matches it"));
        }
    }
    let edges = edges(files);
    let name = |l: usize| layers.names[l];
    let mut same_layer = Vec::new();
    for e in &edges {
        let (Some(from), Some(to)) = (layers.of(&e.from), layers.of(&e.to)) else {
            continue;
        };
        if from < to {
            out.push(format!(
                "{}:{}: {} reaches up from {} ({}) to {} ({})",
                e.from,
                e.line,
                e.path,
                e.from,
                name(from),
                e.to,
                name(to)
            ));
        } else if from == to {
            same_layer.push(e);
        }
    }
    out.extend(cycles(&same_layer));
    out
}

/// The top-level module a file belongs to (`session/jwt.rs` → `session`, `lib.rs` → `lib`).
fn top_module(file: &str) -> &str {
    let first = file.split('/').next().unwrap_or(file);
    first.strip_suffix(".rs").unwrap_or(first)
}

/// Cycles among top-level modules through the given (same-layer) edges: one line per
/// strongly connected set of two or more modules, with one example edge per module pair.
fn cycles(edges: &[&Edge]) -> Vec<String> {
    let mut graph: BTreeMap<&str, BTreeMap<&str, &Edge>> = BTreeMap::new();
    for e in edges {
        let (a, b) = (top_module(&e.from), top_module(&e.to));
        if a != b {
            graph.entry(a).or_default().entry(b).or_insert(e);
        }
    }
    let reach = |start: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start];
        while let Some(n) = stack.pop() {
            for &next in graph.get(n).into_iter().flat_map(BTreeMap::keys) {
                if seen.insert(next) {
                    stack.push(next);
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&str, BTreeSet<&str>> = graph.keys().map(|&n| (n, reach(n))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for (&n, from_n) in &reaches {
        if done.contains(n) || !from_n.contains(n) {
            continue;
        }
        let set: BTreeSet<&str> = from_n
            .iter()
            .copied()
            .filter(|m| reaches.get(m).is_some_and(|r| r.contains(n)))
            .collect();
        let mut line = format!("cycle between {}:", set.iter().copied().collect::<Vec<_>>().join(", "));
        for &a in &set {
            for (&b, e) in &graph[a] {
                if set.contains(b) {
                    write!(line, " {a} -> {b} ({}:{} {});", e.from, e.line, e.path).expect("writing to a String");
                }
            }
        }
        done.extend(set);
        out.push(line);
    }
    out
}

/// The module path of a file (`lib.rs` → `[]`, `a/mod.rs` → `[a]`, `a/b.rs` → `[a, b]`).
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file.split('/').map(str::to_owned).collect();
    let last = parts.pop().expect("a file name");
    if !matches!(last.as_str(), "lib.rs" | "main.rs" | "mod.rs") {
        parts.push(last.trim_end_matches(".rs").to_owned());
    }
    parts
}

/// The file defining a module path, when one does.
fn file_of(files: &BTreeMap<String, String>, module: &[String]) -> Option<String> {
    if module.is_empty() {
        return ["lib.rs", "main.rs"]
            .into_iter()
            .find(|f| files.contains_key(*f))
            .map(str::to_owned);
    }
    let joined = module.join("/");
    [format!("{joined}.rs"), format!("{joined}/mod.rs")]
        .into_iter()
        .find(|f| files.contains_key(f))
}

/// Every edge between distinct files of the crate.
pub(crate) fn edges(files: &BTreeMap<String, String>) -> Vec<Edge> {
    let root = file_of(files, &[]).unwrap_or_default();
    let root_items = files.get(&root).map(|src| root_uses(src)).unwrap_or_default();
    let top_modules: BTreeSet<String> = files.keys().map(|f| top_module(f).to_owned()).collect();
    let mut out = Vec::new();
    for (file, src) in files {
        for (line, mut path) in paths(file, src) {
            // A name the crate root imports (`crate::Secret` for `secret::Secret`).
            if let Some(first) = path.first()
                && !top_modules.contains(first)
                && let Some(target) = root_items.get(first)
            {
                match target {
                    Some(target) => path.splice(0..1, target.iter().cloned()),
                    // From another crate (`crate::ErrorCode` is tessera-protocol's).
                    None => continue,
                };
            }
            let to = (0..=path.len())
                .rev()
                .find_map(|k| file_of(files, &path[..k]))
                .expect("the crate root defines every path");
            if &to != file {
                out.push(Edge {
                    from: file.clone(),
                    line,
                    path: format!("crate::{}", path.join("::")),
                    to,
                });
            }
        }
    }
    out
}

/// What the crate root's `use` items bring in: name → absolute path, or `None` for a
/// name from another crate.
fn root_uses(src: &str) -> BTreeMap<String, Option<Vec<String>>> {
    let toks = tokens(&strip_test_items(&blank(src)));
    let children = child_modules(&toks);
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i < toks.len() {
        if toks[i].text == "use" {
            let mut leaves = Vec::new();
            i = tree(&toks, i + 1, Vec::new(), &mut leaves);
            for (mut path, name) in leaves {
                if path.first().is_some_and(|s| s == "crate") {
                    path.remove(0);
                }
                let internal = path.first().is_some_and(|s| children.contains(s));
                out.insert(name, internal.then_some(path));
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The absolute paths (without `crate`) a file names, with their lines.
fn paths(file: &str, src: &str) -> Vec<(usize, Vec<String>)> {
    let toks = tokens(&strip_test_items(&blank(src)));
    let children = child_modules(&toks);
    let file_module = module_of(file);
    // Inline modules open at this point: (name, brace depth inside them).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i].text;
        match t.as_str() {
            "{" => {
                depth += 1;
                if i >= 2 && toks[i - 2].text == "mod" {
                    inline.push((toks[i - 1].text.clone(), depth));
                }
                i += 1;
                continue;
            }
            "}" => {
                if inline.last().is_some_and(|&(_, d)| d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
                i += 1;
                continue;
            }
            _ => {}
        }
        let prev = i.checked_sub(1).map(|p| toks[p].text.as_str());
        let starts_path = toks.get(i + 1).is_some_and(|n| n.text == "::")
            && !matches!(prev, Some("::" | "$" | "."))
            && (matches!(t.as_str(), "crate" | "super" | "self") || (inline.is_empty() && children.contains(t)));
        if !starts_path {
            i += 1;
            continue;
        }
        let mut here = file_module.clone();
        here.extend(inline.iter().map(|(n, _)| n.clone()));
        let (base, next) = match t.as_str() {
            "crate" => (Vec::new(), i + 2),
            "self" => (here, i + 2),
            "super" => {
                here.pop();
                (here, i + 2)
            }
            // A child module of this file.
            _ => (here, i),
        };
        let mut leaves = Vec::new();
        let end = tree(&toks, next, base, &mut leaves);
        let line = toks[i].line;
        out.extend(leaves.into_iter().map(|(p, _)| (line, p)));
        i = end.max(i + 1);
    }
    out
}

/// Parses a path or use tree from `toks[i]` under `prefix`; pushes each leaf (path, name
/// it binds) and returns the index after it. `super` and `self` segments are resolved.
fn tree(toks: &[Token], mut i: usize, mut prefix: Vec<String>, leaves: &mut Vec<(Vec<String>, String)>) -> usize {
    loop {
        let Some(t) = toks.get(i) else {
            let name = prefix.last().cloned().unwrap_or_default();
            leaves.push((prefix, name));
            return i;
        };
        match t.text.as_str() {
            "{" => {
                i += 1;
                while toks.get(i).is_some_and(|t| t.text != "}") {
                    i = tree(toks, i, prefix.clone(), leaves);
                    if toks.get(i).is_some_and(|t| t.text == ",") {
                        i += 1;
                    }
                }
                return i + 1;
            }
            "*" => {
                leaves.push((prefix, String::new()));
                return i + 1;
            }
            "self" if toks.get(i + 1).is_none_or(|n| n.text != "::") => {
                // `{self, …}`: the prefix itself.
                i += 1;
                let name = alias(toks, &mut i).unwrap_or_else(|| prefix.last().cloned().unwrap_or_default());
                leaves.push((prefix, name));
                return i;
            }
            s if is_ident(s) => {
                match s {
                    "super" => {
                        prefix.pop();
                    }
                    "self" | "crate" if prefix.is_empty() => {}
                    "self" => {}
                    _ => prefix.push(s.to_owned()),
                }
                i += 1;
                if toks.get(i).is_some_and(|t| t.text == "::") {
                    i += 1;
                    continue;
                }
                let name = alias(toks, &mut i).unwrap_or_else(|| s.to_owned());
                leaves.push((prefix, name));
                return i;
            }
            // `crate::f::<T>()` and the like: the path ends here.
            _ => {
                let name = prefix.last().cloned().unwrap_or_default();
                leaves.push((prefix, name));
                return i;
            }
        }
    }
}

/// `as name` after a use leaf.
fn alias(toks: &[Token], i: &mut usize) -> Option<String> {
    if toks.get(*i).is_some_and(|t| t.text == "as") {
        let name = toks.get(*i + 1).map(|t| t.text.clone());
        *i += 2;
        return name;
    }
    None
}

/// The child modules a file declares with `mod name;` (at any visibility).
fn child_modules(toks: &[Token]) -> BTreeSet<String> {
    toks.windows(3)
        .filter(|w| w[0].text == "mod" && w[2].text == ";")
        .map(|w| w[1].text.clone())
        .collect()
}

fn is_ident(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
}

#[derive(Debug)]
struct Token {
    text: String,
    line: usize,
}

/// Identifiers (and numbers), `::`, and single punctuation characters, with their lines.
fn tokens(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token {
                text: chars[start..i].iter().collect(),
                line,
            });
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push(Token {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            out.push(Token { text: c.into(), line });
            i += 1;
        }
    }
    out
}

/// `src` with comments, string and char literals replaced by spaces (newlines kept, so
/// lines still count).
pub(crate) fn blank(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out: Vec<char> = c.clone();
    let wipe = |out: &mut Vec<char>, from: usize, to: usize| {
        for ch in &mut out[from..to.min(c.len())] {
            if *ch != '\n' {
                *ch = ' ';
            }
        }
    };
    let mut i = 0;
    while i < c.len() {
        let ident_before = i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_');
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            let end = c[i..].iter().position(|&x| x == '\n').map_or(c.len(), |p| i + p);
            wipe(&mut out, i, end);
            i = end;
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let (mut j, mut nest) = (i + 2, 1);
            while j < c.len() && nest > 0 {
                if c[j] == '/' && c.get(j + 1) == Some(&'*') {
                    nest += 1;
                    j += 2;
                } else if c[j] == '*' && c.get(j + 1) == Some(&'/') {
                    nest -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            wipe(&mut out, i, j);
            i = j;
        } else if !ident_before && (c[i] == 'r' || (c[i] == 'b' && c.get(i + 1) == Some(&'r'))) && {
            let k = if c[i] == 'b' { i + 2 } else { i + 1 };
            let hashes = c[k..].iter().take_while(|&&x| x == '#').count();
            c.get(k + hashes) == Some(&'"')
        } {
            // A raw string: r"…", r#"…"#, br"…".
            let k = if c[i] == 'b' { i + 2 } else { i + 1 };
            let hashes = c[k..].iter().take_while(|&&x| x == '#').count();
            let mut j = k + hashes + 1;
            while j < c.len()
                && !(c[j] == '"' && c[j + 1..].iter().take(hashes).filter(|&&x| x == '#').count() == hashes)
            {
                j += 1;
            }
            let end = j + 1 + hashes;
            wipe(&mut out, k + hashes + 1, j);
            i = end;
        } else if c[i] == '"' {
            let mut j = i + 1;
            while j < c.len() && c[j] != '"' {
                j += if c[j] == '\\' { 2 } else { 1 };
            }
            wipe(&mut out, i + 1, j);
            i = j + 1;
        } else if c[i] == '\'' {
            // A char literal ('x', '\n', '\u{…}'), or else a lifetime ('a).
            if c.get(i + 1) == Some(&'\\') {
                let mut j = i + 2;
                while j < c.len() && c[j] != '\'' {
                    j += 1;
                }
                wipe(&mut out, i + 1, j);
                i = j + 1;
            } else if c.get(i + 2) == Some(&'\'') {
                wipe(&mut out, i + 1, i + 2);
                i += 3;
            } else {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out.into_iter().collect()
}

/// Blanks every item under `#[cfg(test)]` (a test module, a test-only `use`); `src` must
/// already be [`blank`]ed.
pub(crate) fn strip_test_items(src: &str) -> String {
    let mut out: Vec<char> = src.chars().collect();
    let text = src.chars().collect::<Vec<_>>();
    let needle: Vec<char> = "#[cfg(test)]".chars().collect();
    let mut i = 0;
    while i + needle.len() <= text.len() {
        if text[i..i + needle.len()] != needle[..] {
            i += 1;
            continue;
        }
        let mut j = i + needle.len();
        // Further attributes, then the item up to its `;` or its closing brace.
        let (mut depth, mut square) = (0usize, 0usize);
        while j < text.len() {
            match text[j] {
                '[' => square += 1,
                ']' => square = square.saturating_sub(1),
                '{' if square == 0 => depth += 1,
                '}' if square == 0 => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        j += 1;
                        break;
                    }
                }
                ';' if depth == 0 && square == 0 => {
                    j += 1;
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        for ch in &mut out[i..j] {
            if *ch != '\n' {
                *ch = ' ';
            }
        }
        i = j;
    }
    out.into_iter().collect()
}

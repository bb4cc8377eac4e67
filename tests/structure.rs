//! The shape of the code, checked: no import cycle between the top-level
//! modules of a crate (a module and its own children count as one), no file
//! of non-test code over [`LINES_MAX`] lines, and the operating system's random
//! generator named only in `random.rs`.
//!
//! It reads the sources as text, the way a newcomer would: `crate::x` and
//! `super::…` paths that reach the crate root name top-level module `x`
//! (names re-exported at the root count for the module they come from).
//! Test code does not count: files named `tests.rs`, files under a `tests/`
//! folder, modules declared behind `#[cfg(test)]`, and inline
//! `#[cfg(test)] mod … { … }` blocks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Longest non-test source file, in lines.
const LINES_MAX: usize = 800;

/// The crates whose structure is checked, relative to the workspace root.
const CRATES: [&str; 3] = ["protocol", "node", "cli"];

/// One source file of a crate, as the checker sees it.
struct Source {
    path: PathBuf,
    /// Module path from the crate root (`["node", "orders"]`); empty for lib.rs/main.rs.
    module: Vec<String>,
    /// The file's lines with inline test blocks removed.
    code: Vec<(usize, String)>,
    /// The whole file is test code.
    test: bool,
}

/// What is wrong with one crate's structure; empty when all is well.
fn problems(src: &Path) -> Vec<String> {
    let sources = read_crate(src);
    let mut found = Vec::new();
    for source in sources.iter().filter(|s| !s.test) {
        if source.code.len() > LINES_MAX {
            found.push(format!(
                "{}: {} lines of non-test code (at most {LINES_MAX}); split it by job",
                source.path.display(),
                source.code.len()
            ));
        }
    }
    found.extend(cycles(&sources));
    found.extend(os_random_outside_its_place(&sources));
    found
}

/// The operating system's generator is named only in `random.rs` (the source a
/// running node is handed); everything else draws from the injected source.
/// (clippy's `disallowed-types` catches imports and type positions; this also
/// catches a full path in an expression.)
fn os_random_outside_its_place(sources: &[Source]) -> Vec<String> {
    sources
        .iter()
        .filter(|s| !s.test && s.module != ["random"])
        .flat_map(|s| {
            s.code
                .iter()
                .filter(|(_, line)| !line.trim_start().starts_with("//") && line.contains("OsRng"))
                .map(|(number, _)| {
                    format!(
                        "{}:{number}: names OsRng; draw from the injected random source",
                        s.path.display()
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn read_crate(src: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    collect(src, &mut files);
    files.sort();
    let mut sources: Vec<Source> = files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let module = module_path(src, path);
            let test = path.file_name().is_some_and(|n| n == "tests.rs")
                || module.iter().any(|m| m == "tests");
            Source {
                path: path.clone(),
                module,
                code: without_test_blocks(&text),
                test,
            }
        })
        .collect();
    // Modules declared behind `#[cfg(test)]` (`#[cfg(test)] mod model;`) are tests, with their children.
    let mut test_modules: Vec<Vec<String>> = Vec::new();
    for source in &sources {
        let text = std::fs::read_to_string(&source.path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for (i, line) in lines.iter().enumerate() {
            if *line != "#[cfg(test)]" {
                continue;
            }
            let Some(next) = lines[i + 1..].iter().find(|l| !l.starts_with("#[")) else {
                continue;
            };
            if let Some(name) = declared_module(next) {
                let mut module = source.module.clone();
                module.push(name);
                test_modules.push(module);
            }
        }
    }
    for source in &mut sources {
        if test_modules
            .iter()
            .any(|m| source.module.starts_with(m.as_slice()))
        {
            source.test = true;
        }
    }
    sources
}

/// `mod name;` (with any visibility) declares a module in its own file.
fn declared_module(line: &str) -> Option<String> {
    let rest = line
        .trim_start_matches("pub(crate) ")
        .trim_start_matches("pub(super) ")
        .trim_start_matches("pub ");
    let name = rest.strip_prefix("mod ")?.strip_suffix(';')?;
    Some(name.trim().to_owned())
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

fn module_path(src: &Path, path: &Path) -> Vec<String> {
    let relative = path.strip_prefix(src).unwrap_or(path);
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if !matches!(stem, "lib" | "main" | "mod") {
            parts.push(stem.to_owned());
        }
    }
    parts
}

/// The file's lines, numbered from 1, without `#[cfg(test)] mod … { … }` blocks.
fn without_test_blocks(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        let opens_test_block = line == "#[cfg(test)]"
            && lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.starts_with("#["))
                .is_some_and(|l| l.contains("mod ") && l.ends_with('{'));
        if !opens_test_block {
            kept.push((i + 1, lines[i].to_owned()));
            i += 1;
            continue;
        }
        let mut depth = 0i64;
        let mut opened = false;
        while i < lines.len() {
            for c in lines[i].chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            i += 1;
            if opened && depth <= 0 {
                break;
            }
        }
    }
    kept
}

/// Names the crate root re-exports (`pub use node::{Node, NodeError};`), by the module they come from.
fn root_reexports(sources: &[Source]) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for source in sources.iter().filter(|s| s.module.is_empty()) {
        let text: String = source.code.iter().map(|(_, l)| l.as_str()).collect();
        for statement in text.split(';') {
            let Some(rest) = statement.trim().strip_prefix("pub use ") else {
                continue;
            };
            let Some((module, items)) = rest.split_once("::") else {
                continue;
            };
            let items = items.trim_matches(|c| c == '{' || c == '}' || c == ' ');
            for item in items.split(',') {
                let name = item.rsplit(" as ").next().unwrap_or(item).trim();
                let name = name.rsplit("::").next().unwrap_or(name);
                if !name.is_empty() {
                    names.insert(name.to_owned(), module.trim().to_owned());
                }
            }
        }
    }
    names
}

/// Top-level modules named by paths in `line` of a file in `module`.
fn referenced(line: &str, module: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < line.len() {
        let rest = &line[i..];
        let starts_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if starts_word && rest.starts_with("crate::") {
            found.extend(heads(&rest["crate::".len()..]));
            i += "crate::".len();
        } else if starts_word && rest.starts_with("super::") {
            let mut depth = module.len();
            let mut tail = rest;
            while let Some(t) = tail.strip_prefix("super::") {
                depth = depth.saturating_sub(1);
                tail = t;
            }
            if depth == 0 {
                found.extend(heads(tail));
            }
            i += rest.len() - tail.len();
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    found
}

/// The first name of a path, or of each path in a `{a::b, c}` group.
fn heads(path: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let Some(group) = path.strip_prefix('{') else {
        return vec![ident(path)];
    };
    let mut names = Vec::new();
    let mut depth = 0;
    let mut start = true;
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => start = true,
            c if start && !c.is_whitespace() => {
                names.push(ident(&group[at..]));
                start = false;
            }
            _ => {}
        }
    }
    names
}

/// Every cycle between top-level modules, with the lines that make its arrows.
fn cycles(sources: &[Source]) -> Vec<String> {
    let tops: BTreeSet<String> = sources
        .iter()
        .filter_map(|s| s.module.first().cloned())
        .collect();
    let reexports = root_reexports(sources);
    // from → to → first place seen
    let mut arrows: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for source in sources.iter().filter(|s| !s.test) {
        let Some(from) = source.module.first() else {
            continue;
        };
        for (number, line) in &source.code {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for name in referenced(line, &source.module) {
                let to = if tops.contains(&name) {
                    name
                } else if let Some(module) = reexports.get(&name) {
                    module.clone()
                } else {
                    continue;
                };
                if &to != from {
                    arrows
                        .entry(from.clone())
                        .or_default()
                        .entry(to)
                        .or_insert_with(|| format!("{}:{number}", source.path.display()));
                }
            }
        }
    }
    strongly_connected(&tops, &arrows)
        .into_iter()
        .filter(|group| group.len() > 1)
        .map(|group| {
            let ties: Vec<String> = group
                .iter()
                .flat_map(|from| {
                    let arrows = &arrows;
                    group.iter().filter_map(move |to| {
                        arrows
                            .get(from)
                            .and_then(|m| m.get(to))
                            .map(|at| format!("{from} -> {to} ({at})"))
                    })
                })
                .collect();
            format!(
                "import cycle between top-level modules {}: {}",
                group.join(", "),
                ties.join("; ")
            )
        })
        .collect()
}

/// Tarjan's strongly connected components.
fn strongly_connected(
    nodes: &BTreeSet<String>,
    arrows: &BTreeMap<String, BTreeMap<String, String>>,
) -> Vec<Vec<String>> {
    struct Walk<'a> {
        arrows: &'a BTreeMap<String, BTreeMap<String, String>>,
        index: HashMap<String, usize>,
        low: HashMap<String, usize>,
        stack: Vec<String>,
        on_stack: BTreeSet<String>,
        groups: Vec<Vec<String>>,
    }
    fn visit(walk: &mut Walk<'_>, node: &str) {
        let n = walk.index.len();
        walk.index.insert(node.to_owned(), n);
        walk.low.insert(node.to_owned(), n);
        walk.stack.push(node.to_owned());
        walk.on_stack.insert(node.to_owned());
        let next: Vec<String> = walk
            .arrows
            .get(node)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        for to in next {
            if !walk.index.contains_key(&to) {
                visit(walk, &to);
                let low = walk.low[node].min(walk.low[&to]);
                walk.low.insert(node.to_owned(), low);
            } else if walk.on_stack.contains(&to) {
                let low = walk.low[node].min(walk.index[&to]);
                walk.low.insert(node.to_owned(), low);
            }
        }
        if walk.low[node] == walk.index[node] {
            let mut group = Vec::new();
            while let Some(top) = walk.stack.pop() {
                walk.on_stack.remove(&top);
                let done = top == node;
                group.push(top);
                if done {
                    break;
                }
            }
            group.sort();
            walk.groups.push(group);
        }
    }
    let mut walk = Walk {
        arrows,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        groups: Vec::new(),
    };
    for node in nodes {
        if !walk.index.contains_key(node) {
            visit(&mut walk, node);
        }
    }
    walk.groups
}

#[test]
fn no_import_cycles_and_no_oversized_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    for name in CRATES {
        found.extend(problems(&root.join(name).join("src")));
    }
    assert!(
        found.is_empty(),
        "structure problems:\n{}",
        found.join("\n")
    );
}

/// A throw-away crate source folder for the checker's own tests.
fn fixture(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
        std::fs::write(path, text).expect("write");
    }
    dir
}

#[test]
fn a_cycle_between_top_level_modules_is_found() {
    let dir = fixture(&[
        (
            "lib.rs",
            "pub mod a;\npub mod b;\npub mod c;\npub use c::Thing;\n".into(),
        ),
        ("a.rs", "use crate::b::B;\npub struct A;\n".into()),
        ("b.rs", "pub mod inner;\n".into()),
        ("b/inner.rs", "use super::super::Thing;\n".into()),
        (
            "c.rs",
            "use crate::{b, a::A as Other};\npub struct Thing;\n".into(),
        ),
    ]);
    let found = problems(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("a, b, c"), "{found:?}");
}

#[test]
fn children_count_with_their_parent_and_tests_do_not_count() {
    let dir = fixture(&[
        ("lib.rs", "pub mod a;\npub mod b;\n".into()),
        (
            "a.rs",
            "mod child;\n#[cfg(test)]\nmod model;\nuse crate::b::B;\n#[cfg(test)]\nmod tests {\n    use crate::b::B;\n}\n"
                .into(),
        ),
        ("a/child.rs", "use super::A;\n".into()),
        ("a/model.rs", "use crate::a::A;\n".into()),
        ("b.rs", "pub struct B;\n".into()),
        ("b/tests.rs", "use crate::a::A;\n".into()),
    ]);
    assert_eq!(problems(dir.path()), Vec::<String>::new());
}

#[test]
fn the_os_generator_outside_random_rs_is_found() {
    let dir = fixture(&[
        ("lib.rs", "pub mod random;\npub mod session;\n".into()),
        ("random.rs", "pub struct R(rand::rngs::OsRng);\n".into()),
        (
            "session.rs",
            "fn t() { rand::rngs::OsRng.next_u32(); }\n".into(),
        ),
    ]);
    let found = problems(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("session.rs:1: names OsRng"), "{found:?}");
}

#[test]
fn a_file_over_the_line_limit_is_found_but_its_test_block_is_not_counted() {
    let body = "fn f() {}\n".repeat(LINES_MAX);
    let tests = format!(
        "#[cfg(test)]\nmod tests {{\n{}}}\n",
        "fn t() {}\n".repeat(50)
    );
    let dir = fixture(&[
        ("lib.rs", "pub mod fits;\npub mod big;\n".into()),
        ("fits.rs", format!("{body}{tests}")),
        ("big.rs", format!("{body}fn one_more() {{}}\n")),
    ]);
    let found = problems(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("big.rs: 801 lines"), "{found:?}");
}

//! The shape of this crate's source: no import loop between its top-level
//! modules (a module and its own children count as one), no non-test source file
//! over 800 lines, and every non-test file opens with a `//!` line saying what it owns.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const FILE_LINES_MAX: usize = 800;

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the source folder reads") {
        let path = entry.expect("the source folder reads").path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_test_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "tests.rs")
        || path.components().any(|c| c.as_os_str() == "tests")
}

/// The top-level module a file belongs to (`catalog/doc.rs` → `catalog`).
fn top_module(src: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(src).expect("a file under src");
    let first = relative
        .components()
        .next()
        .expect("a file under src")
        .as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_owned()
}

/// Every `crate::name` a text mentions (code and doc links alike).
fn mentioned_modules(text: &str) -> BTreeSet<String> {
    text.match_indices("crate::")
        .map(|(at, _)| {
            text[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

fn sources() -> (PathBuf, Vec<PathBuf>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    files.sort();
    (src, files)
}

#[test]
fn no_import_loop_between_top_level_modules() {
    let (src, files) = sources();
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| top_module(&src, f))
        .filter(|m| m != "lib")
        .collect();
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files.iter().filter(|f| !is_test_file(f)) {
        let from = top_module(&src, file);
        if from == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        // Inline test modules may reach anywhere.
        let code = text.split("#[cfg(test)]\nmod tests {").next().unwrap_or("");
        let targets: Vec<String> = mentioned_modules(code)
            .into_iter()
            .filter(|m| modules.contains(m) && *m != from)
            .collect();
        uses.entry(from).or_default().extend(targets);
    }
    for (from, targets) in &uses {
        for target in targets {
            // Does `target` lead back to `from`?
            let mut seen = BTreeSet::new();
            let mut todo = vec![target.clone()];
            while let Some(next) = todo.pop() {
                assert!(
                    next != *from,
                    "import loop: {from} uses {target}, which leads back to {from} ({uses:?})"
                );
                if seen.insert(next.clone()) {
                    todo.extend(uses.get(&next).into_iter().flatten().cloned());
                }
            }
        }
    }
}

#[test]
fn source_files_are_small_and_say_what_they_own() {
    let (_, files) = sources();
    for file in &files {
        if is_test_file(file) {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} does not open with a `//!` line",
            file.display()
        );
        let lines = text.lines().count();
        assert!(
            lines <= FILE_LINES_MAX,
            "{} has {lines} lines; the limit is {FILE_LINES_MAX}",
            file.display()
        );
    }
}

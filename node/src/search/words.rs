//! The word table search uses: spelling variants, synonyms and regional words,
//! broader words, category words, places and filler words. The table ships in
//! `words.txt` (compiled in); an operator extends it with a file in the same
//! format, `kata-pencarian.txt`, in the data folder (read when the node starts).
//!
//! The format (also explained at the top of `words.txt`): `#` starts a comment;
//! a line `[ejaan]`, `[sinonim]`, `[luas]`, `[kategori]`, `[tempat]` or `[abaikan]`
//! starts a section; in `[ejaan]`, `[sinonim]` and `[abaikan]` a line is a
//! comma-separated group; in `[luas]`, `[kategori]` and `[tempat]` a line is
//! `key: item, item`. Words are folded (lowercase, no accents) like all search text.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use telecenter_protocol::catalog::{Category, Lang};

use super::analyze::{fold, modern_spelling, words};

/// The built-in table.
const BUILTIN: &str = include_str!("words.txt");

/// Name of the operator's own table in the data folder.
pub const OPERATOR_FILE: &str = "kata-pencarian.txt";

/// Largest operator table read, in bytes.
const FILE_BYTES_MAX: u64 = 1024 * 1024;
/// Most words in one phrase of the table.
pub(crate) const PHRASE_WORDS_MAX: usize = 3;
/// A broader word with more narrower words than this groups things of many
/// kinds ("oleh oleh"): its narrower words are not related to each other.
const RELATED_GROUP_MAX: usize = 20;
/// Most entries on one line of the table.
const LINE_ENTRIES_MAX: usize = 200;
/// Most synonyms, narrower words, broader words or places inside kept for one
/// word or phrase, over all lines of the tables: a query's work per word stays
/// bounded however the operator's file repeats a word. Later entries are
/// skipped with a warning.
const WORD_ENTRIES_MAX: usize = 200;
/// Most synonyms kept for one word or phrase: each is looked up with its own
/// narrower words for every query of the word, and a line may hold
/// [`LINE_ENTRIES_MAX`] of them.
const SYNONYMS_MAX: usize = 32;

/// One line of a word table that was not understood (it is skipped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WordsWarning {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, in plain words.
    pub message: String,
}

impl std::fmt::Display for WordsWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Spelling,
    Synonyms,
    Broader,
    Categories,
    Places,
    Ignore,
}

/// The word table, ready for lookups. Phrases are stored as their words in
/// standard spelling joined by one space.
#[derive(Debug, Default)]
pub struct Words {
    /// A spelling → the standard spelling of its word.
    spelling: HashMap<String, String>,
    /// A word or phrase → the others of its synonym groups.
    synonyms: HashMap<String, Vec<String>>,
    /// A word or phrase → narrower words it also finds.
    broader: HashMap<String, Vec<String>>,
    /// A narrower word or phrase → the broader words it is listed under.
    parents: HashMap<String, Vec<String>>,
    /// A word or phrase → the category it names.
    categories: HashMap<String, Category>,
    /// A place → the places inside it (possibly none).
    places: HashMap<String, Vec<String>>,
    /// Filler words, dropped from a query that has other words.
    ignore: HashSet<String>,
}

/// One parsed line, before spellings are applied.
enum Entry {
    Group(Section, Vec<String>),
    Keyed(Section, String, Vec<String>),
}

impl Words {
    /// The built-in table alone.
    pub fn builtin() -> Self {
        let mut words = Words::default();
        let warnings = words.add(BUILTIN);
        debug_assert!(warnings.is_empty(), "built-in words.txt: {warnings:?}");
        for category in Category::ALL {
            for label in [category.label(Lang::Id), category.label(Lang::En)] {
                let phrase = words.phrase(label);
                if !phrase.is_empty() {
                    words.categories.entry(phrase).or_insert(category);
                }
            }
            let slug = words.phrase(&category.slug().replace('-', " "));
            words.categories.entry(slug).or_insert(category);
        }
        words
    }

    /// The built-in table plus the operator's file `path` when it exists; the
    /// warnings name the lines of that file that were skipped.
    pub fn load(path: &Path) -> (Self, Vec<WordsWarning>) {
        let mut words = Self::builtin();
        let warnings = match read_operator_file(path) {
            Ok(None) => Vec::new(),
            Ok(Some(text)) => words.add(&text),
            Err(message) => vec![WordsWarning { line: 0, message }],
        };
        (words, warnings)
    }

    /// Adds every line of `text` in the table format; lines not understood are
    /// skipped and reported.
    pub fn add(&mut self, text: &str) -> Vec<WordsWarning> {
        let mut warnings = Vec::new();
        let mut section = Section::None;
        let mut entries = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if line.starts_with('[') {
                section = match line {
                    "[ejaan]" => Section::Spelling,
                    "[sinonim]" => Section::Synonyms,
                    "[luas]" => Section::Broader,
                    "[kategori]" => Section::Categories,
                    "[tempat]" => Section::Places,
                    "[abaikan]" => Section::Ignore,
                    other => {
                        warnings.push(WordsWarning {
                            line: line_no,
                            message: format!("unknown section {other}"),
                        });
                        Section::None
                    }
                };
                continue;
            }
            match parse_line(section, line) {
                Ok(entry) => entries.push((line_no, entry)),
                Err(message) => warnings.push(WordsWarning {
                    line: line_no,
                    message,
                }),
            }
        }
        // Spellings first, so every other phrase is stored in standard spelling.
        for (_, entry) in &entries {
            if let Entry::Group(Section::Spelling, group) = entry {
                let head = group[0].clone();
                for variant in group {
                    self.spelling.insert(variant.clone(), head.clone());
                }
            }
        }
        for (line_no, entry) in entries {
            let mut dropped = false;
            match entry {
                Entry::Group(Section::Synonyms, group) => {
                    let group: Vec<String> = group.iter().map(|p| self.phrase(p)).collect();
                    for phrase in &group {
                        let others = self.synonyms.entry(phrase.clone()).or_default();
                        for other in &group {
                            if other != phrase && push_bounded(others, other, SYNONYMS_MAX) {
                                dropped = true;
                                break;
                            }
                        }
                    }
                }
                Entry::Group(Section::Ignore, group) => {
                    for word in group {
                        let word = self.phrase(&word);
                        self.ignore.insert(word);
                    }
                }
                Entry::Keyed(Section::Broader, key, items) => {
                    let key = self.phrase(&key);
                    let items: Vec<String> = items.iter().map(|p| self.phrase(p)).collect();
                    for item in &items {
                        let parents = self.parents.entry(item.clone()).or_default();
                        dropped |= push_bounded(parents, &key, WORD_ENTRIES_MAX);
                    }
                    let list = self.broader.entry(key).or_default();
                    for item in &items {
                        dropped |= push_bounded(list, item, WORD_ENTRIES_MAX);
                    }
                }
                Entry::Keyed(Section::Places, key, items) => {
                    let key = self.phrase(&key);
                    let items: Vec<String> = items.iter().map(|p| self.phrase(p)).collect();
                    for item in &items {
                        self.places.entry(item.clone()).or_default();
                    }
                    let list = self.places.entry(key).or_default();
                    for item in &items {
                        dropped |= push_bounded(list, item, WORD_ENTRIES_MAX);
                    }
                }
                Entry::Keyed(Section::Categories, key, items) => {
                    if let Ok(category) = key.parse::<Category>() {
                        for item in items {
                            let phrase = self.phrase(&item);
                            self.categories.insert(phrase, category);
                        }
                    }
                }
                Entry::Group(..) | Entry::Keyed(..) => {}
            }
            if dropped {
                warnings.push(WordsWarning {
                    line: line_no,
                    message: format!(
                        "a word has too many entries in this section (at most {SYNONYMS_MAX} synonyms and {WORD_ENTRIES_MAX} others); the rest were skipped"
                    ),
                });
            }
        }
        warnings.sort_by_key(|w| w.line);
        warnings
    }

    /// The standard spelling of a folded word: its `[ejaan]` head, else the head
    /// of its modern spelling, else the word itself.
    pub(crate) fn canon(&self, word: &str) -> String {
        if let Some(head) = self.spelling.get(word) {
            return head.clone();
        }
        if let Some(modern) = modern_spelling(word)
            && let Some(head) = self.spelling.get(&modern)
        {
            return head.clone();
        }
        word.to_owned()
    }

    /// Text as a phrase of standard spellings joined by single spaces.
    pub(crate) fn phrase(&self, text: &str) -> String {
        words(text)
            .iter()
            .map(|w| self.canon(w))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether a phrase (of more than one word) has an entry of its own.
    pub(crate) fn knows_phrase(&self, phrase: &str) -> bool {
        self.synonyms.contains_key(phrase)
            || self.broader.contains_key(phrase)
            || self.categories.contains_key(phrase)
            || self.places.contains_key(phrase)
    }

    /// Synonyms and regional words of a phrase.
    pub(crate) fn synonyms(&self, phrase: &str) -> &[String] {
        self.synonyms.get(phrase).map_or(&[], Vec::as_slice)
    }

    /// Narrower words a phrase also finds.
    pub(crate) fn narrower(&self, phrase: &str) -> &[String] {
        self.broader.get(phrase).map_or(&[], Vec::as_slice)
    }

    /// Words listed beside a phrase under the same broader word ("cupang" for
    /// "koi", both under "ikan hias"): related products, not the same one.
    pub(crate) fn related(&self, phrase: &str, max: usize) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for parent in self.parents.get(phrase).map_or(&[][..], Vec::as_slice) {
            let siblings = self.narrower(parent);
            if siblings.len() > RELATED_GROUP_MAX {
                // A grab-bag ("oleh oleh": keripik, kopi, batik …), not one kind.
                continue;
            }
            for sibling in siblings {
                if out.len() >= max {
                    return out;
                }
                if sibling != phrase && !out.contains(&sibling.as_str()) {
                    out.push(sibling);
                }
            }
        }
        out
    }

    /// The category a phrase names.
    pub(crate) fn category(&self, phrase: &str) -> Option<Category> {
        self.categories.get(phrase).copied()
    }

    /// The places inside a place, or `None` when the phrase names no known place.
    pub(crate) fn place(&self, phrase: &str) -> Option<&[String]> {
        self.places.get(phrase).map(Vec::as_slice)
    }

    /// Every place the table names.
    pub(crate) fn place_names(&self) -> impl Iterator<Item = &str> {
        self.places.keys().map(String::as_str)
    }

    /// Whether a word is filler in a query.
    pub(crate) fn is_ignored(&self, word: &str) -> bool {
        self.ignore.contains(word)
    }
}

/// The operator's file as text, `None` when there is none. Only a regular file
/// is opened (a device such as `/dev/zero` or a named pipe would never end), and
/// at most [`FILE_BYTES_MAX`] bytes are read even if it grows meanwhile.
fn read_operator_file(path: &Path) -> Result<Option<String>, String> {
    use std::io::Read;
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("the file could not be read: {e}")),
    };
    if !meta.is_file() {
        return Err("not a regular file; it was not read".into());
    }
    let too_large = || format!("the file is larger than {FILE_BYTES_MAX} bytes and was not read");
    if meta.len() > FILE_BYTES_MAX {
        return Err(too_large());
    }
    let file = std::fs::File::open(path).map_err(|e| format!("the file could not be read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(FILE_BYTES_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("the file could not be read: {e}"))?;
    if bytes.len() as u64 > FILE_BYTES_MAX {
        return Err(too_large());
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| "the file is not UTF-8 text and was not read".into())
}

/// Appends `item` to `list` unless it is there; returns `true`, leaving the
/// list alone, when the list already holds `max` entries (so a full list costs
/// nothing more to add to).
fn push_bounded(list: &mut Vec<String>, item: &str, max: usize) -> bool {
    if list.len() >= max {
        return true;
    }
    if !list.iter().any(|x| x == item) {
        list.push(item.to_owned());
    }
    false
}

fn parse_entries(text: &str) -> Result<Vec<String>, String> {
    let items: Vec<String> = text
        .split(',')
        .map(|item| fold(item.trim()))
        .filter(|item| !item.is_empty())
        .collect();
    if items.len() > LINE_ENTRIES_MAX {
        return Err(format!("more than {LINE_ENTRIES_MAX} entries on one line"));
    }
    for item in &items {
        let count = words(item).len();
        if count == 0 {
            return Err(format!("'{item}' has no letters or digits"));
        }
        if count > PHRASE_WORDS_MAX {
            return Err(format!(
                "'{item}' has more than {PHRASE_WORDS_MAX} words (a phrase may have at most {PHRASE_WORDS_MAX})"
            ));
        }
    }
    Ok(items)
}

fn parse_line(section: Section, line: &str) -> Result<Entry, String> {
    match section {
        Section::None => Err("a line before any section header such as [sinonim]".into()),
        Section::Spelling | Section::Synonyms | Section::Ignore => {
            let items = parse_entries(line)?;
            if section == Section::Spelling
                && let Some(phrase) = items.iter().find(|i| words(i).len() != 1)
            {
                return Err(format!("[ejaan] takes single words, found '{phrase}'"));
            }
            if section != Section::Ignore && items.len() < 2 {
                return Err("a group needs at least two entries separated by commas".into());
            }
            Ok(Entry::Group(section, items))
        }
        Section::Broader | Section::Categories | Section::Places => {
            let Some((key, rest)) = line.split_once(':') else {
                return Err("expected 'key: entry, entry'".into());
            };
            let key = fold(key.trim());
            if words(&key).is_empty() || words(&key).len() > PHRASE_WORDS_MAX {
                return Err(format!(
                    "'{key}' is not a word or a phrase of up to {PHRASE_WORDS_MAX} words"
                ));
            }
            let items = parse_entries(rest)?;
            if section == Section::Categories && key.parse::<Category>().is_err() {
                let slugs: Vec<&str> = Category::ALL.iter().map(|c| c.slug()).collect();
                return Err(format!(
                    "unknown category '{key}': expected one of {}",
                    slugs.join(", ")
                ));
            }
            if section == Section::Broader && items.is_empty() {
                return Err("a broader word needs at least one narrower entry".into());
            }
            Ok(Entry::Keyed(section, key, items))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_table_parses_without_warnings() {
        let mut words = Words::default();
        let warnings = words.add(BUILTIN);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn lines_are_parsed_by_section() {
        let mut words = Words::default();
        let warnings = words.add(
            "# comment\n[ejaan]\nsambal, sambel\n[sinonim]\ncamilan, cemilan, snack\n\
             [luas]\nikan hias: koi, cupang\n[kategori]\nminuman: wedang\n\
             [tempat]\nmadura: sumenep, bangkalan\n[abaikan]\nyang, murah\n",
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(words.canon("sambel"), "sambal");
        assert_eq!(words.synonyms("snack"), ["camilan", "cemilan"]);
        assert_eq!(words.narrower("ikan hias"), ["koi", "cupang"]);
        assert!(words.narrower("koi").is_empty());
        assert_eq!(words.related("koi", 32), ["cupang"]);
        assert!(words.related("ikan hias", 32).is_empty());
        assert_eq!(words.category("wedang"), Some(Category::Minuman));
        assert_eq!(words.place("madura").unwrap(), ["sumenep", "bangkalan"]);
        assert!(words.place("sumenep").unwrap().is_empty());
        assert!(words.is_ignored("murah"));
        assert!(words.knows_phrase("ikan hias"));
    }

    #[test]
    fn bad_lines_are_skipped_with_their_line_number() {
        let mut words = Words::default();
        let warnings = words.add(
            "kopi, coffee\n[warna]\n[ejaan]\nkopi\nkopi, kopi bubuk\n[luas]\nkopi\n\
             [kategori]\nsenjata: pedang\n[sinonim]\nsatu dua tiga empat, x\n",
        );
        let lines: Vec<usize> = warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [1, 2, 4, 5, 7, 9, 11], "{warnings:?}");
        assert!(warnings[5].message.contains("makanan"));
    }

    #[test]
    fn an_operator_file_extends_the_builtin_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(OPERATOR_FILE);
        let (_, none) = Words::load(&path);
        assert!(none.is_empty());
        std::fs::write(&path, "[sinonim]\nlegen, nira\n[ejaan]\n???\n").unwrap();
        let (words, warnings) = Words::load(&path);
        assert_eq!(words.synonyms("legen"), ["nira"]);
        assert_eq!(warnings.len(), 1);
        std::fs::write(&path, vec![b'a'; FILE_BYTES_MAX as usize + 1]).unwrap();
        let (_, warnings) = Words::load(&path);
        assert!(warnings[0].message.contains("larger"));
    }
}

#[cfg(test)]
mod hostile_file_tests {
    //! An operator's word file written carelessly or by a hostile hand.

    use std::time::{Duration, Instant};

    use super::*;

    /// A file of `lines` made from `line(n)`, cut below the size limit.
    fn file_of(header: &str, line: impl Fn(usize) -> String) -> String {
        let mut text = format!("{header}\n");
        for n in 0.. {
            let next = line(n);
            if (text.len() + next.len() + 1) as u64 > FILE_BYTES_MAX {
                break;
            }
            text.push_str(&next);
            text.push('\n');
        }
        text
    }

    fn load_text(text: &str) -> (Words, Vec<WordsWarning>, Duration) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(OPERATOR_FILE);
        std::fs::write(&path, text).unwrap();
        let started = Instant::now();
        let (words, warnings) = Words::load(&path);
        (words, warnings, started.elapsed())
    }

    #[test]
    fn huge_operator_word_group_is_bounded() {
        // One narrower word under 80 000 broader words, and one broader word
        // over 80 000 narrower ones. Before: loading took minutes (a linear
        // duplicate check per entry) and every query for "x" walked all of them.
        let text = file_of("[luas]", |n| format!("k{n}: x, y{n}"));
        let (words, warnings, took) = load_text(&text);
        assert!(words.parents["x"].len() <= WORD_ENTRIES_MAX);
        assert!(!warnings.is_empty());
        assert!(took < Duration::from_secs(20), "{took:?}");
        let started = Instant::now();
        assert!(words.related("x", 32).len() <= 32);
        assert!(started.elapsed() < Duration::from_millis(50));
        let text = file_of("[luas]", |n| format!("x: y{n}"));
        let (words, _, took) = load_text(&text);
        assert!(words.narrower("x").len() <= WORD_ENTRIES_MAX);
        assert!(took < Duration::from_secs(20), "{took:?}");
    }

    #[test]
    fn operator_lines_of_200_phrases_are_bounded() {
        let line = |n: usize| {
            (0..LINE_ENTRIES_MAX)
                .map(|i| format!("w{}", (n * 7 + i) % 1000))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (words, _, took) = load_text(&file_of("[sinonim]", line));
        assert!(words.synonyms("w1").len() <= SYNONYMS_MAX);
        assert!(took < Duration::from_secs(20), "{took:?}");
        let (words, _, took) =
            load_text(&file_of("[tempat]", |n| format!("jawa timur: {}", line(n))));
        assert!(words.place("jawa timur").unwrap().len() <= WORD_ENTRIES_MAX);
        assert!(took < Duration::from_secs(20), "{took:?}");
        // Deeply chained broader words: each query looks one level down only.
        let (words, warnings, _) = load_text(&file_of("[luas]", |n| format!("c{n}: c{}", n + 1)));
        assert!(warnings.is_empty(), "{:?}", &warnings[..1]);
        assert_eq!(words.narrower("c0"), ["c1"]);
    }

    #[test]
    fn operator_file_that_is_not_a_text_file_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(OPERATOR_FILE);
        // A directory.
        std::fs::create_dir(&path).unwrap();
        let (words, warnings) = Words::load(&path);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(!words.synonyms("kopi").is_empty() || words.canon("sambel") == "sambal");
        std::fs::remove_dir(&path).unwrap();
        // Invalid UTF-8.
        std::fs::write(&path, b"[sinonim]\nzzlegen, zznira\n\xff\xfe\n").unwrap();
        let (words, warnings) = Words::load(&path);
        assert!(warnings[0].message.contains("UTF-8"), "{warnings:?}");
        assert!(words.synonyms("zzlegen").is_empty());
        std::fs::remove_file(&path).unwrap();
        // A link to a device that never ends. Before: the node read it forever.
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
            let started = Instant::now();
            let (_, warnings) = Words::load(&path);
            assert!(warnings[0].message.contains("regular file"), "{warnings:?}");
            assert!(started.elapsed() < Duration::from_secs(5));
        }
    }
}

//! How text becomes words for the search index and for queries: folding (case,
//! accents), splitting, reduplication, old spellings and the conservative
//! Indonesian stemmer. Both sides (listings and queries) go through the same
//! functions, so they always agree.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Longest word that is indexed or searched, in characters; longer ones are cut.
pub(crate) const WORD_CHARS_MAX: usize = 40;

/// Shortest stem the stemmer leaves, in characters: shorter results are not
/// stems but accidents ("beras" is rice, not "ber-" + "as").
const STEM_CHARS_MIN: usize = 4;

/// Lowercase, without accents ("Kéripik" → "keripik"), in compatibility form
/// (fullwidth "ＫＯＰＩ" → "kopi"), without invisible marks (a zero-width space
/// or soft hyphen inside a word does not split it).
pub(crate) fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    // Lowercase before decomposing: "İ" lowercases to "i" and a combining dot,
    // which must be dropped like every other mark.
    text.chars()
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .nfkd()
        .filter(|c| !is_combining_mark(*c) && !is_invisible(*c))
        .collect()
}

/// Format characters that change nothing a reader sees: zero-width spaces and
/// joiners, direction marks and overrides, the soft hyphen, the byte-order mark.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{034f}'
            | '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
    )
}

/// Splits text into folded words of letters and digits, in order. A
/// reduplicated word ("buah-buahan", "sayur-mayur", "oleh-oleh", "oleh oleh",
/// "oleh2") becomes its first half only, so it finds and is found by the plain word.
pub(crate) fn words(text: &str) -> Vec<String> {
    let folded = fold(text);
    let mut out: Vec<String> = Vec::new();
    let mut rest = folded.as_str();
    while let Some(start) = rest.find(char::is_alphanumeric) {
        // What stands between the previous word and this one.
        let gap = &rest[..start];
        rest = &rest[start..];
        let end = rest
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(rest.len());
        let raw: String = rest[..end].chars().take(WORD_CHARS_MAX).collect();
        rest = &rest[end..];
        let word = without_two_mark(&raw);
        let repeats = out.last().is_some_and(|last| {
            *last == word
                || (gap == "-" && is_echo(last, &word))
                || (gap.trim().is_empty() && is_spaced_echo(last, &word))
        });
        if !repeats {
            out.push(word);
        }
    }
    out
}

/// Whether `second`, written after `first` and a space, is its reduplication
/// as buyers type it without the hyphen: the word with `-an` ("buah buahan",
/// "sayur sayuran") or a rhyming echo of at least four letters ("sayur mayur",
/// "lauk pauk").
fn is_spaced_echo(first: &str, second: &str) -> bool {
    second.strip_prefix(first) == Some("an")
        || (first.chars().count() >= 4 && first != second && rhymes(first, second))
}

/// "oleh2" → "oleh": the digit 2 after letters is the informal mark of a
/// reduplicated word.
fn without_two_mark(word: &str) -> String {
    if let Some(base) = word.strip_suffix('2')
        && base.chars().count() >= 2
        && base.chars().all(char::is_alphabetic)
    {
        return base.to_owned();
    }
    word.to_owned()
}

/// Whether `second`, written after `first` and a hyphen, repeats it: the same
/// word (oleh-oleh), the word with a suffix (buah-buahan, sayur-sayuran), or a
/// rhyming echo of the same length (sayur-mayur, lauk-pauk, warna-warni).
fn is_echo(first: &str, second: &str) -> bool {
    second == first
        || (second.starts_with(first) && first.chars().count() >= 2)
        || rhymes(first, second)
}

/// Whether two words of the same length (three letters or more) differ only in
/// their first or only in their last letter ("sayur"/"mayur", "warna"/"warni").
fn rhymes(first: &str, second: &str) -> bool {
    let a: Vec<char> = first.chars().collect();
    let b: Vec<char> = second.chars().collect();
    if a.len() != b.len() || a.len() < 3 {
        return false;
    }
    let n = a.len();
    a[1..] == b[1..] || a[..n - 1] == b[..n - 1]
}

/// The word in modern spelling, if it differs: the rules `dj→j`, `tj→c`, `oe→u`,
/// `sj→sy`, `ch→kh`, `th→t`, `dh→d` ("djamoe" → "jamu", "gethuk" → "getuk").
pub(crate) fn modern_spelling(word: &str) -> Option<String> {
    const RULES: &[(&str, &str)] = &[
        ("dj", "j"),
        ("tj", "c"),
        ("oe", "u"),
        ("sj", "sy"),
        ("ch", "kh"),
        ("th", "t"),
        ("dh", "d"),
    ];
    if !RULES.iter().any(|(old, _)| word.contains(old)) {
        return None;
    }
    let mut modern = word.to_owned();
    for (old, new) in RULES {
        modern = modern.replace(old, new);
    }
    (modern != word).then_some(modern)
}

fn chars(word: &str) -> usize {
    word.chars().count()
}

/// `word` without `prefix` and `suffix`, when what is left is long enough to be a stem.
fn strip<'a>(word: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    let stem = word.strip_prefix(prefix)?.strip_suffix(suffix)?;
    (chars(stem) >= STEM_CHARS_MIN).then_some(stem)
}

fn starts_with_vowel(word: &str) -> bool {
    word.starts_with(['a', 'e', 'i', 'o', 'u'])
}

/// Removes a nasal prefix (meN-, peN-) and restores the letter the nasal
/// replaced: "menenun" → "tenun", "menyulam" → "sulam", "memotong" → "potong",
/// "mengolah" → "olah", "pembatik" → "batik", "penjahit" → "jahit".
fn without_nasal_prefix(word: &str, base: &str) -> Option<String> {
    let rest = word.strip_prefix(base)?;
    let candidate = if let Some(r) = rest.strip_prefix("ng") {
        r.to_owned()
    } else if let Some(r) = rest.strip_prefix("ny") {
        starts_with_vowel(r).then(|| format!("s{r}"))?
    } else if let Some(r) = rest.strip_prefix('m') {
        if starts_with_vowel(r) {
            format!("p{r}")
        } else if r.starts_with('b') {
            r.to_owned()
        } else {
            return None;
        }
    } else if let Some(r) = rest.strip_prefix('n') {
        if starts_with_vowel(r) {
            format!("t{r}")
        } else if r.starts_with(['c', 'd', 'j']) {
            r.to_owned()
        } else {
            return None;
        }
    } else if rest.starts_with(['l', 'r', 'w', 'y']) && starts_with_vowel(&rest[1..]) {
        rest.to_owned()
    } else {
        return None;
    };
    (chars(&candidate) >= STEM_CHARS_MIN).then_some(candidate)
}

/// The root of an affixed Indonesian word, when the word has an affix the
/// stemmer knows and the root left is at least four letters; else `None`.
///
/// Deliberately conservative (a stemmer that merges unrelated words sends
/// buyers to the wrong products): only the particle `-nya`, the confixes
/// `ke-…-an`, `per-…-an`, `peN-…-an`, the prefixes `ber-`, `ter-`, `di-`, `meN-`,
/// `peN-`, `pe-` and the suffixes `-kan` and `-an`. Never `ke-` alone ("kemeja"
/// is not "meja") nor `-i` ("kopi" is not "kop"). Stem matches rank below
/// matches of the word itself.
pub(crate) fn stem(word: &str) -> Option<String> {
    if chars(word) < STEM_CHARS_MIN + 1 || !word.chars().all(|c| c.is_ascii_lowercase()) {
        return None;
    }
    let mut current = word.to_owned();
    if let Some(s) = strip(&current, "", "nya") {
        current = s.to_owned();
    }
    // Confixes first: "kerajinan" → "rajin", "pertanian" → "tani".
    let confix = strip(&current, "ke", "an")
        .map(str::to_owned)
        .or_else(|| strip(&current, "per", "an").map(str::to_owned))
        .or_else(|| {
            let inner = current.strip_suffix("an")?;
            without_nasal_prefix(inner, "pe")
        });
    if let Some(root) = confix {
        current = root;
    } else {
        let prefixed = strip(&current, "ber", "")
            .or_else(|| strip(&current, "ter", ""))
            .or_else(|| strip(&current, "di", ""))
            .map(str::to_owned)
            .or_else(|| without_nasal_prefix(&current, "me"))
            .or_else(|| without_nasal_prefix(&current, "pe"))
            .or_else(|| {
                current
                    .strip_prefix("pe")
                    .filter(|r| r.starts_with(['r', 't']) && starts_with_vowel(&r[1..]))
                    .filter(|r| chars(r) >= STEM_CHARS_MIN)
                    .map(str::to_owned)
            });
        if let Some(root) = prefixed {
            current = root;
        }
        if let Some(s) = strip(&current, "", "kan").or_else(|| strip(&current, "", "an")) {
            current = s.to_owned();
        }
    }
    (current != word).then_some(current)
}

/// Damerau (optimal string alignment) distance between two words, counting a
/// swap of two neighbouring letters as one edit.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

/// The set of ASCII letters and digits in a word, as bits: two words `d` edits
/// apart differ in at most `2 d` of these bits, a cheap filter before
/// [`edit_distance`].
pub(crate) fn letter_mask(word: &str) -> u64 {
    word.chars().fold(0u64, |mask, c| match c {
        'a'..='z' => mask | 1 << (c as u32 - 'a' as u32),
        '0'..='9' => mask | 1 << (26 + c as u32 - '0' as u32),
        _ => mask | 1 << 63,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_case_accents_and_split() {
        assert_eq!(
            words("KÉRIPIK  Pisang, 250g!"),
            ["keripik", "pisang", "250g"]
        );
        assert_eq!(words("ko\u{301}pi"), ["kopi"]);
        assert_eq!(words("  "), Vec::<String>::new());
        let long = "a".repeat(100);
        assert_eq!(words(&long)[0].chars().count(), WORD_CHARS_MAX);
    }

    #[test]
    fn folding_keeps_words_whole() {
        // Before: ["i", "stanbul"], ["kop", "i"], ["ｋｏｐｉ"], ["ke", "ri", "pik"].
        assert_eq!(words("İSTANBUL"), ["istanbul"]);
        assert_eq!(words("kop\u{200b}i"), ["kopi"]);
        assert_eq!(words("ＫＯＰＩ ｂｕｂｕｋ"), ["kopi", "bubuk"]);
        assert_eq!(
            words("ke\u{200d}ri\u{ad}pik \u{200f}madu\u{feff}"),
            ["keripik", "madu"]
        );
        assert_eq!(words("oleh² khas"), ["oleh", "khas"]);
        assert_eq!(words("STRAẞE"), ["straße"]);
    }

    #[test]
    fn reduplication_becomes_the_first_half() {
        assert_eq!(words("buah-buahan segar"), ["buah", "segar"]);
        assert_eq!(words("sayur-mayur"), ["sayur"]);
        assert_eq!(words("sayur-sayuran"), ["sayur"]);
        assert_eq!(words("oleh-oleh khas"), ["oleh", "khas"]);
        assert_eq!(words("oleh2 khas"), ["oleh", "khas"]);
        assert_eq!(words("lauk-pauk"), ["lauk"]);
        assert_eq!(words("warna-warni"), ["warna"]);
        // Not reduplication: two different words, or separated by more than a hyphen.
        assert_eq!(words("kaos-kaki"), ["kaos", "kaki"]);
        assert_eq!(words("oleh oleh"), ["oleh"]);
        assert_eq!(words("oleh - oleh"), ["oleh"]);
        assert_eq!(words("sayur - mayur"), ["sayur", "mayur"]);
        // Typed without the hyphen, as on a phone.
        assert_eq!(words("buah buahan"), ["buah"]);
        assert_eq!(words("sayur sayuran segar"), ["sayur", "segar"]);
        assert_eq!(words("sayur mayur"), ["sayur"]);
        // But two words that only start alike stay two words.
        assert_eq!(words("gula gulali"), ["gula", "gulali"]);
        assert_eq!(words("tahu tempe"), ["tahu", "tempe"]);
        assert_eq!(words("250-250"), ["250"]);
    }

    #[test]
    fn modern_spelling_rules() {
        assert_eq!(modern_spelling("djamoe").as_deref(), Some("jamu"));
        assert_eq!(modern_spelling("gethuk").as_deref(), Some("getuk"));
        assert_eq!(modern_spelling("pisang"), None);
    }

    #[test]
    fn stemmer_finds_roots_of_common_affixes() {
        for (word, root) in [
            ("beryodium", "yodium"),
            ("olahan", "olah"),
            ("makanan", "makan"),
            ("minuman", "minum"),
            ("kerajinan", "rajin"),
            ("pengrajin", "rajin"),
            ("perajin", "rajin"),
            ("kesehatan", "sehat"),
            ("pertanian", "tani"),
            ("perikanan", "ikan"),
            ("pengolahan", "olah"),
            ("pembuatan", "buat"),
            ("dikemas", "kemas"),
            ("kemasan", "kemas"),
            ("anyaman", "anyam"),
            ("menenun", "tenun"),
            ("menyulam", "sulam"),
            ("memotong", "potong"),
            ("pembatik", "batik"),
            ("penjahit", "jahit"),
            ("petani", "tani"),
            ("berkualitas", "kualitas"),
            ("rasanya", "rasa"),
            ("jualan", "jual"),
        ] {
            assert_eq!(stem(word).as_deref(), Some(root), "{word}");
        }
    }

    #[test]
    fn stemmer_leaves_words_that_only_look_affixed() {
        for word in [
            "beras", "terasi", "kemeja", "kerupuk", "keripik", "kelapa", "kopi", "ikan", "pecel",
            "permen", "jamu", "batik", "pisang", "madu", "kopiah", "bersih", "terigu", "ternak",
            "sambal", "peci", "tas", "250g",
        ] {
            assert_eq!(stem(word), None, "{word}");
        }
    }

    #[test]
    fn letter_masks_bound_the_edit_distance() {
        for (a, b) in [
            ("keripik", "keripk"),
            ("pisang", "pisnag"),
            ("kopi", "kopiah"),
        ] {
            let differing = (letter_mask(a) ^ letter_mask(b)).count_ones() as usize;
            assert!(differing <= 2 * edit_distance(a, b), "{a} {b}");
        }
        assert_eq!(edit_distance("pisang", "pisnag"), 1);
    }
}

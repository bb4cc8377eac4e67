//! Issue 12 end to end: the real `telecenter demo` (five centers, 99 sample
//! listings, synced over real HTTP), searched through the public JSON API of
//! one center as a buyer's phone would: each finding of the table.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{binary, get, poll};

/// The demo process, killed when dropped.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i["title"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_demo_finds_what_buyers_mean() {
    let mut child = Command::new(binary())
        .args(["demo", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the demo");
    let stdout = child.stdout.take().expect("stdout");
    let demo = Demo(child);
    // The list of centers, printed as (pretty) JSON when the demo has started.
    let mut reader = BufReader::new(stdout);
    let mut text = String::new();
    let nodes: Value = loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).expect("demo output") > 0,
            "the demo ended: {text}"
        );
        text.push_str(&line);
        if let Ok(nodes) = serde_json::from_str(&text) {
            break nodes;
        }
    };
    let url = nodes[3]["url"]
        .as_str()
        .expect("a center's address")
        .to_owned();
    // Wait until this center (Sumenep, in the middle of the chain) holds every listing.
    poll(Duration::from_secs(60), || {
        (get(&url, "/api/v1/listings?limit=1", None).1["total"] == 99).then_some(())
    })
    .expect("all 99 listings reach the center");
    let search = |q: &str| {
        let (status, page) = get(
            &url,
            &format!("/api/v1/listings?limit=20&q={}", q.replace(' ', "+")),
            None,
        );
        assert_eq!(status, 200, "{q}: {page}");
        (titles(&page), page)
    };

    // kopi: every coffee before the kopiah (a prefix is not a word).
    let (kopi, _) = search("kopi");
    let coffees = kopi.iter().take_while(|t| t.starts_with("Kopi ")).count();
    assert_eq!(coffees, 6, "{kopi:?}");
    // kunyit asem: both spellings first.
    let (jamu, _) = search("kunyit asem");
    assert!(
        jamu[..2].contains(&"Jamu Kunyit Asam".to_owned()),
        "{jamu:?}"
    );
    assert!(
        jamu[..2].contains(&"Jamu Kunir Asem Botol".to_owned()),
        "{jamu:?}"
    );
    assert_eq!(search("jamu pegel linu").0[0], "Jamu Pegal Linu Madura");
    assert_eq!(search("miniatur reyog").0[0], "Miniatur Reog Dadak Merak");
    let (baju, _) = search("baju batik");
    assert_eq!(baju[0], "Kemeja Batik Cap Malangan", "{baju:?}");
    assert!(
        baju.iter().any(|t| t.starts_with("Batik Tulis")),
        "{baju:?}"
    );
    let (camilan, _) = search("camilan");
    for snack in [
        "Rengginang Lorjuk Mentah",
        "Opak Gambir Rasa Pandan",
        "Kripik Pisang Agung Manis",
    ] {
        assert!(camilan.contains(&snack.to_owned()), "{snack}: {camilan:?}");
    }
    let (ikan, _) = search("ikan hias");
    assert!(ikan[0].starts_with("Ikan Koi"), "{ikan:?}");
    // A typo is corrected and offered; a place ranks the local product first.
    let (typo, page) = search("keripk pisang");
    assert_eq!(page["did_you_mean"], "keripik pisang");
    assert!(typo[0].contains("Pisang"), "{typo:?}");
    assert_eq!(
        search("keripik blitar").0[0],
        "Keripik Pisang Kepok Original"
    );
    // Nothing at all: near words to try instead of an empty answer.
    let (_, none) = search("kopu");
    assert_eq!(none["total"], 0);
    assert!(
        none["suggestions"]
            .as_array()
            .is_some_and(|s| s.iter().any(|w| w == "kopi")),
        "{none}"
    );
    drop(demo);
}

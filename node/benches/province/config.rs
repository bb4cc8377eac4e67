//! The benchmark's configuration: the full one of `docs/performance.md`, or a
//! tiny one (`TELECENTER_BENCH_SMALL=1`, or when run by `cargo test`) that
//! runs the same code in seconds so that CI keeps it working.

/// What to run.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// The tiny configuration.
    pub(crate) small: bool,
    /// Centers of the province (join, edit).
    pub(crate) centers: usize,
    /// Listings per center.
    pub(crate) listings: usize,
    /// Listings held by the memory and search node, with their labels.
    pub(crate) held: Vec<(usize, String)>,
    /// Runs of each search query.
    pub(crate) runs: usize,
    /// Nodes of the scale simulations, smallest first.
    pub(crate) sims: Vec<usize>,
    /// When the catalogs are made (ms since the epoch, UTC).
    pub(crate) now_ms: i64,
}

impl Config {
    /// From the environment: `TELECENTER_BENCH_SMALL=1` for the tiny
    /// configuration (also when not run by `cargo bench`), `TELECENTER_BENCH_1M=0`
    /// to leave out the million-listing node, `TELECENTER_BENCH_PARTS` to run
    /// only some parts (comma-separated: join, edit, held, sim).
    pub(crate) fn from_env() -> Self {
        let by_cargo_bench = std::env::args().any(|a| a == "--bench");
        let small = match std::env::var("TELECENTER_BENCH_SMALL") {
            Ok(v) => v == "1",
            Err(_) => !by_cargo_bench,
        };
        let now_ms = 1_796_000_000_000;
        if small {
            return Self {
                small,
                centers: 6,
                listings: 20,
                held: vec![(200, "200".into()), (1_000, "1k".into())],
                runs: 3,
                sims: vec![40, 80],
                now_ms,
            };
        }
        let mut held = vec![(20_000, "20k".into()), (100_000, "100k".into())];
        if std::env::var("TELECENTER_BENCH_1M").map_or(true, |v| v != "0") {
            held.push((1_000_000, "1m".into()));
        }
        Self {
            small,
            centers: 39,
            listings: 500,
            held,
            runs: 30,
            sims: vec![39, 300, 3_000],
            now_ms,
        }
    }

    /// Whether part `name` runs.
    pub(crate) fn runs_part(name: &str) -> bool {
        std::env::var("TELECENTER_BENCH_PARTS")
            .map_or(true, |parts| parts.split(',').any(|p| p.trim() == name))
    }
}

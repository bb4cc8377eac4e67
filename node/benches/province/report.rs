//! Figures: process memory, percentiles, and the `RESULT name=value` lines a
//! part prints on its standard output for the parent to collect.

use std::collections::BTreeMap;
use std::time::Duration;

/// Prints one figure for the parent (and any script reading the output).
pub(crate) fn result(name: &str, value: f64) {
    println!("RESULT {name}={}", round(value));
}

/// A figure with as many decimals as it deserves.
pub(crate) fn round(value: f64) -> String {
    if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.4}")
    }
}

/// Progress for the reader (standard error, so that standard output carries
/// only results).
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => { eprintln!("  {}", format!($($arg)*)) };
}

/// A line of `/proc/self/status` in kB (Linux; 0 elsewhere).
fn status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Resident memory of this process now, MB.
pub(crate) fn rss_mb() -> f64 {
    status_kb("VmRSS:") as f64 / 1024.0
}

/// CPU time this process has used, user and system, in seconds (from
/// `/proc/self/stat`, in the kernel's ticks of 1/100 s; 0 where there is none).
pub(crate) fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15 of the whole line.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident memory of this process, MB.
pub(crate) fn peak_rss_mb() -> f64 {
    status_kb("VmHWM:") as f64 / 1024.0
}

/// The `p` quantile (0..=1) of sorted durations, ms.
pub(crate) fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// Reads `RESULT name=value` lines.
pub(crate) fn parse(output: &str) -> BTreeMap<String, f64> {
    output
        .lines()
        .filter_map(|line| {
            let (name, value) = line.strip_prefix("RESULT ")?.split_once('=')?;
            Some((name.trim().to_owned(), value.trim().parse().ok()?))
        })
        .collect()
}

//! Fee accounting views: the monthly report (per counterpart center and per
//! producer), balances per pair, pair statements over a period, the CSV export
//! and the network netting suggestion. Months run in the center's local zone
//! (WIB); amounts are whole rupiah.
//!
//! Definitions used everywhere (reports, pages, CSV):
//! - *orders*: orders completed in the month, in either role;
//! - *gross sales*: value of goods this center's producers sold through orders;
//! - *fees earned*: referral fees owed to this center for orders it brought;
//! - *fees owed*: referral fees this center owes for orders others brought;
//! - *net* = gross sales + fees earned − fees owed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use telecenter_protocol::CenterId;
use telecenter_protocol::netting::{Debt, Suggestion, suggest};
use telecenter_protocol::order::Role;
use telecenter_protocol::validate::InvalidInput;

use crate::api::CenterNames;
use crate::clock::rfc3339_utc;
use crate::node::{Node, NodeError, balance_with};
use crate::store::{EntryRow, OrderFilter};
use crate::web::LOCAL_OFFSET_HOURS;

/// Most shared balance lines one netting request may include.
pub const NETTING_LINES_MAX: usize = 50_000;
/// Largest shared balance, in rupiah either way (keeps every sum inside `i64`).
pub const NETTING_BALANCE_IDR_MAX: i64 = 100_000_000_000_000;

/// A calendar month in the center's local zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u8,
}

impl Month {
    /// Parses `2026-11`.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        let bad = || {
            InvalidInput::new(
                "month",
                "not_a_month",
                format!("expected a month like 2026-11, found {text:?}"),
            )
        };
        let (year, month) = text.trim().split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u8 = month.parse().map_err(|_| bad())?;
        if !(2000..=2999).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Self { year, month })
    }

    /// The month containing `ms` in the local zone.
    pub fn of(ms: i64) -> Self {
        let local = ms + i64::from(LOCAL_OFFSET_HOURS) * 3_600_000;
        let date = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(local) * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        Self {
            year: date.year(),
            month: u8::from(date.month()),
        }
    }

    /// The next month.
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month before.
    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// Its first instant, UTC ms.
    pub fn start_ms(self) -> i64 {
        let month = time::Month::try_from(self.month).unwrap_or(time::Month::January);
        let date = time::Date::from_calendar_date(self.year, month, 1)
            .unwrap_or(time::Date::MIN)
            .midnight()
            .assume_utc();
        date.unix_timestamp() * 1_000 - i64::from(LOCAL_OFFSET_HOURS) * 3_600_000
    }

    /// The first instant of the next month, UTC ms.
    pub fn end_ms(self) -> i64 {
        self.next().start_ms()
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// One row of a report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLine {
    /// Center id (counterpart rows), producer name (producer rows) or `total`.
    pub key: String,
    /// A name for people.
    pub name: String,
    /// Completed orders.
    pub orders: u64,
    /// Goods sold by this center's producers.
    pub gross_sales_idr: i64,
    /// Referral fees earned.
    pub fees_earned_idr: i64,
    /// Referral fees owed.
    pub fees_owed_idr: i64,
    /// gross sales + fees earned − fees owed.
    pub net_idr: i64,
}

impl ReportLine {
    fn add(&mut self, gross: i64, earned: i64, owed: i64) {
        self.orders += 1;
        self.gross_sales_idr += gross;
        self.fees_earned_idr += earned;
        self.fees_owed_idr += owed;
        self.net_idr = self.gross_sales_idr + self.fees_earned_idr - self.fees_owed_idr;
    }
}

/// The balance with one counterpart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceLine {
    /// The counterpart.
    pub center: CenterId,
    /// Its name, if known.
    pub name: String,
    /// Positive: the counterpart owes this center; negative: this center owes it.
    pub balance_idr: i64,
    /// Ledger entries with it.
    pub entries: u64,
}

/// The monthly report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeReport {
    /// The month, `2026-11`.
    pub month: String,
    /// The whole month.
    pub total: ReportLine,
    /// Per counterpart center.
    pub by_counterpart: Vec<ReportLine>,
    /// Per producer (this center's producers: sales and fees owed on them).
    pub by_producer: Vec<ReportLine>,
    /// Balances per counterpart at the end of the month (all time up to then).
    pub balances: Vec<BalanceLine>,
}

/// The report for `month`.
pub fn report(node: &Node, month: Month) -> Result<FeeReport, NodeError> {
    let (from, to) = (month.start_ms(), month.end_ms());
    let orders = node.orders(&OrderFilter {
        statuses: vec!["completed".to_owned()],
        completed_between: Some((from, to)),
        ..OrderFilter::default()
    })?;
    let mut total = ReportLine {
        key: "total".into(),
        name: "Total".into(),
        ..ReportLine::default()
    };
    let names = CenterNames::load(node)?;
    let mut by_counterpart: BTreeMap<CenterId, ReportLine> = BTreeMap::new();
    let mut by_producer: BTreeMap<String, ReportLine> = BTreeMap::new();
    // Only orders completed in the month come back from the store.
    for order in orders {
        let terms = &order.state.terms;
        let (gross, earned, owed) = match order.role {
            Role::Seller => (terms.gross_idr(), 0, terms.fee_idr()),
            Role::Buyer => (0, terms.fee_idr(), 0),
        };
        total.add(gross, earned, owed);
        by_counterpart
            .entry(order.counterpart)
            .or_insert_with(|| ReportLine {
                key: order.counterpart.to_string(),
                name: names.of(&order.counterpart),
                ..ReportLine::default()
            })
            .add(gross, earned, owed);
        if order.role == Role::Seller {
            let producer = if terms.producer.is_empty() {
                "-".to_owned()
            } else {
                terms.producer.clone()
            };
            by_producer
                .entry(producer.clone())
                .or_insert_with(|| ReportLine {
                    key: producer.clone(),
                    name: producer,
                    ..ReportLine::default()
                })
                .add(gross, earned, owed);
        }
    }
    Ok(FeeReport {
        month: month.to_string(),
        total,
        by_counterpart: by_counterpart.into_values().collect(),
        by_producer: by_producer.into_values().collect(),
        balances: balances_until(node, &names, to)?,
    })
}

/// Balances with every counterpart from entries before `to_ms`.
pub fn balances_until(
    node: &Node,
    names: &CenterNames,
    to_ms: i64,
) -> Result<Vec<BalanceLine>, NodeError> {
    let own = node.center_id();
    let mut per: BTreeMap<CenterId, Vec<EntryRow>> = BTreeMap::new();
    for row in node.ledger(None, i64::MIN, to_ms)? {
        per.entry(row.counterpart).or_default().push(row);
    }
    let mut lines: Vec<BalanceLine> = per
        .into_iter()
        .map(|(center, rows)| BalanceLine {
            center,
            name: names.of(&center),
            balance_idr: balance_with(&own, &rows),
            entries: rows.len() as u64,
        })
        .collect();
    lines.sort_by(|a, b| a.name.cmp(&b.name).then(a.center.cmp(&b.center)));
    Ok(lines)
}

/// Balances now.
pub fn balances(node: &Node) -> Result<Vec<BalanceLine>, NodeError> {
    balances_until(node, &CenterNames::load(node)?, i64::MAX)
}

/// One line of a statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// Entry id.
    pub id: String,
    /// `goods`, `referral_fee` or `settlement`.
    pub kind: String,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// The order or settlement.
    pub reference: String,
    /// Signed from this center's side: + the counterpart owes more, − less.
    pub amount_idr: i64,
    /// Balance after this line.
    pub balance_idr: i64,
}

/// A statement of one pair over whole months `from..=to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The counterpart.
    pub counterpart: CenterId,
    /// Its name.
    pub name: String,
    /// First month.
    pub from: String,
    /// Last month.
    pub to: String,
    /// Balance before the period.
    pub opening_idr: i64,
    /// The entries in the period.
    pub lines: Vec<StatementLine>,
    /// Balance at the end (positive: the counterpart owes this center).
    pub closing_idr: i64,
}

/// The statement with `counterpart` for the months `from..=to`.
pub fn statement(
    node: &Node,
    counterpart: &CenterId,
    from: Month,
    to: Month,
) -> Result<Statement, NodeError> {
    if to < from {
        return Err(InvalidInput::new(
            "to",
            "before_from",
            format!("the period ends ({to}) before it starts ({from})"),
        )
        .into());
    }
    let own = node.center_id();
    let before = node.ledger(Some(counterpart), i64::MIN, from.start_ms())?;
    let opening = balance_with(&own, &before);
    let mut balance = opening;
    let mut lines = Vec::new();
    for row in node.ledger(Some(counterpart), from.start_ms(), to.end_ms())? {
        let amount = balance_with(&own, std::slice::from_ref(&row));
        balance += amount;
        let e = row.entry;
        lines.push(StatementLine {
            id: e.id,
            kind: e.kind.word().to_owned(),
            at: rfc3339_utc(e.at_ms),
            reference: e
                .order
                .or(e.settlement)
                .map(|id| id.to_string())
                .unwrap_or_default(),
            amount_idr: amount,
            balance_idr: balance,
        });
    }
    Ok(Statement {
        counterpart: *counterpart,
        name: CenterNames::load(node)?.of(counterpart),
        from: from.to_string(),
        to: to.to_string(),
        opening_idr: opening,
        lines,
        closing_idr: balance,
    })
}

/// A center's balances as it shares them for netting (`fees balances --json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalancesExport {
    /// The center whose balances these are.
    pub center: CenterId,
    /// Its balances (positive: the counterpart owes it).
    pub balances: Vec<BalanceLine>,
}

impl BalancesExport {
    /// This node's balances, in the form other centers include in netting.
    pub fn of(node: &Node) -> Result<Self, NodeError> {
        Ok(Self {
            center: node.center_id(),
            balances: balances(node)?,
        })
    }
}

/// The netting suggestion with the pairs that could not be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NettingView {
    /// Always true: nothing is paid or booked by this.
    pub suggestion_only: bool,
    /// The transfers and whether the count is provably minimal.
    pub suggestion: Suggestion,
    /// Pairs whose two sides disagree (left out), in plain words.
    pub disagreements: Vec<String>,
    /// Pair balances used.
    pub pairs: usize,
}

/// The netting suggestion over this node's balances plus balances other
/// centers shared. A pair reported by both sides must agree, else it is left out.
pub fn netting(node: &Node, shared: &[BalancesExport]) -> Result<NettingView, NodeError> {
    netting_with(node, balances(node)?, shared)
}

/// [`netting`] with this node's balances already at hand (`own`).
pub fn netting_with(
    node: &Node,
    own: Vec<BalanceLine>,
    shared: &[BalancesExport],
) -> Result<NettingView, NodeError> {
    let lines: usize = shared.iter().map(|e| e.balances.len()).sum();
    if lines > NETTING_LINES_MAX {
        return Err(InvalidInput::new(
            "include",
            "too_many",
            format!("at most {NETTING_LINES_MAX} shared balances in all, found {lines}"),
        )
        .into());
    }
    if let Some(line) = shared
        .iter()
        .flat_map(|e| &e.balances)
        .find(|l| l.balance_idr.unsigned_abs() > NETTING_BALANCE_IDR_MAX.unsigned_abs())
    {
        return Err(InvalidInput::new(
            "include",
            "out_of_range",
            format!(
                "a shared balance must be within ±{NETTING_BALANCE_IDR_MAX} rupiah, found {}",
                line.balance_idr
            ),
        )
        .into());
    }
    let mut exports = vec![BalancesExport {
        center: node.center_id(),
        balances: own,
    }];
    exports.extend(shared.iter().cloned());
    // (low, high) → balance of `low` with `high`, per reporting side.
    let mut pairs: BTreeMap<(CenterId, CenterId), Vec<i64>> = BTreeMap::new();
    for export in &exports {
        for line in &export.balances {
            let (key, value) = if export.center < line.center {
                ((export.center, line.center), line.balance_idr)
            } else {
                ((line.center, export.center), -line.balance_idr)
            };
            let seen = pairs.entry(key).or_default();
            if !seen.contains(&value) {
                seen.push(value);
            }
        }
    }
    let names = CenterNames::load(node)?;
    let mut debts = Vec::new();
    let mut disagreements = Vec::new();
    for ((low, high), values) in &pairs {
        if values.len() > 1 {
            disagreements.push(format!(
                "{} and {} report different balances; settle their statement first",
                names.of(low),
                names.of(high)
            ));
            continue;
        }
        let balance = values[0];
        if balance > 0 {
            debts.push(Debt {
                debtor: *high,
                creditor: *low,
                amount_idr: balance,
            });
        } else if balance < 0 {
            debts.push(Debt {
                debtor: *low,
                creditor: *high,
                amount_idr: -balance,
            });
        }
    }
    Ok(NettingView {
        suggestion_only: true,
        suggestion: suggest(&debts),
        disagreements,
        pairs: pairs.len(),
    })
}

/// The report as CSV for spreadsheets: UTF-8 with a byte-order mark, CRLF line
/// ends, comma separators, every text field quoted, whole-rupiah integers
/// without separators. Text that a spreadsheet would run as a formula
/// (starting with `=`, `+`, `-`, `@`) is prefixed with `'`.
pub fn report_csv(report: &FeeReport) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(
        "month,section,key,name,orders,gross_sales_idr,fees_earned_idr,fees_owed_idr,net_idr\r\n",
    );
    let mut row = |section: &str, line: &ReportLine| {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\r\n",
            csv_text(&report.month),
            csv_text(section),
            csv_text(&line.key),
            csv_text(&line.name),
            line.orders,
            line.gross_sales_idr,
            line.fees_earned_idr,
            line.fees_owed_idr,
            line.net_idr
        ));
    };
    row("total", &report.total);
    for line in &report.by_counterpart {
        row("counterpart", line);
    }
    for line in &report.by_producer {
        row("producer", line);
    }
    out
}

fn csv_text(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_run_in_wib_and_parse_strictly() {
        let november = Month::parse("2026-11").unwrap();
        // 1 Nov 2026 00:00 WIB = 31 Oct 2026 17:00 UTC.
        assert_eq!(rfc3339_utc(november.start_ms()), "2026-10-31T17:00:00Z");
        assert_eq!(rfc3339_utc(november.end_ms()), "2026-11-30T17:00:00Z");
        assert_eq!(Month::of(november.start_ms()), november);
        assert_eq!(Month::of(november.start_ms() - 1), november.previous());
        assert_eq!(
            Month::parse("2026-12").unwrap().next().to_string(),
            "2027-01"
        );
        for bad in ["2026-13", "2026-1", "26-11", "november", "2026-00", ""] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_quotes_text_and_defuses_formulas() {
        let report = FeeReport {
            month: "2026-11".into(),
            total: ReportLine {
                key: "total".into(),
                name: "Total".into(),
                orders: 2,
                gross_sales_idr: 45_000,
                fees_earned_idr: 0,
                fees_owed_idr: 1_350,
                net_idr: 43_650,
            },
            by_counterpart: Vec::new(),
            by_producer: vec![ReportLine {
                key: "=HYPERLINK(\"x\")".into(),
                name: "Bu \"Sri\", Sanan".into(),
                ..ReportLine::default()
            }],
            balances: Vec::new(),
        };
        let csv = report_csv(&report);
        assert!(csv.starts_with('\u{feff}'));
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(
            lines[1],
            "\"2026-11\",\"total\",\"total\",\"Total\",2,45000,0,1350,43650"
        );
        assert!(
            lines[2].contains("\"'=HYPERLINK(\"\"x\"\")\""),
            "{}",
            lines[2]
        );
        assert!(lines[2].contains("\"Bu \"\"Sri\"\", Sanan\""));
    }
}

//! Producer statements and the monthly sales report: what the center sold on
//! each producer's behalf, its commission, what it owes them, what it paid.
//!
//! Rules (one place, used by pages, CLI, API and CSV):
//! - each sale line's commission is `gross × bp / 10 000` rounded to the nearest
//!   whole rupiah, halves up — the one rounding rule of [`FeeTerms::fee_idr`],
//!   with no minimum; owed to the producer = gross − commission;
//! - opening = everything owed before the month − everything paid before it;
//!   closing = opening + owed in the month − paid in the month;
//! - integer rupiah in `i64`, saturating (a figure never wraps: at worst it
//!   sticks at `i64::MAX`, far beyond any real trade);
//! - the sales report adds the same sales up again in SQL
//!   ([`Store::sales_totals`]), so the two are independent computations; sales
//!   of listings with no producer are the center's own ("tanpa produsen": no
//!   commission, nothing owed).

use serde::{Deserialize, Serialize};
use telecenter_protocol::fee::FeeTerms;

use super::Month;
use crate::clock::{local_datetime, rfc3339_utc};
use crate::store::{PayoutRow, ProducerRow, SaleRow, Store, StoreError};

/// The center's commission on goods worth `gross_idr` at `bp` basis points.
pub fn commission_idr(gross_idr: i64, bp: u32) -> i64 {
    FeeTerms {
        referral_bp: bp,
        min_idr: 0,
    }
    .fee_idr(gross_idr)
}

/// What the center owes the producer for one sale.
pub fn owed_idr(sale: &SaleRow) -> i64 {
    match sale.producer {
        Some(_) => sale.gross_idr.saturating_sub(commission_idr(
            sale.gross_idr,
            sale.commission_bp.unwrap_or(0),
        )),
        None => 0,
    }
}

/// `YYYY-MM-DD` of an instant in the center's local zone.
fn local_date(ms: i64) -> String {
    let date = local_datetime(ms).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// One sale on a statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleLine {
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// `order` or `local`.
    pub kind: String,
    /// The order id or request code.
    pub reference: String,
    /// The product's title at the sale.
    pub product: String,
    /// Units sold.
    pub quantity: i64,
    /// Its unit.
    pub unit: String,
    /// Price of one unit.
    pub unit_price_idr: i64,
    /// Quantity × unit price.
    pub gross_idr: i64,
    /// Commission rate at the sale, basis points.
    pub commission_bp: u32,
    /// The center's commission.
    pub commission_idr: i64,
    /// Owed to the producer.
    pub owed_idr: i64,
}

/// One payout on a statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutLine {
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// `cash` or `transfer`.
    pub method: String,
    /// The note.
    pub note: String,
    /// Amount paid.
    pub amount_idr: i64,
}

/// A producer's statement for one local month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerStatement {
    /// The producer's number.
    pub producer: i64,
    /// Name.
    pub name: String,
    /// Village.
    pub village: String,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Owed before the month, less paid before it.
    pub opening_idr: i64,
    /// The month's sales.
    pub sales: Vec<SaleLine>,
    /// Their gross.
    pub gross_idr: i64,
    /// The center's commission on them.
    pub commission_idr: i64,
    /// Owed for them (gross − commission).
    pub owed_idr: i64,
    /// The month's payouts.
    pub payouts: Vec<PayoutLine>,
    /// Their sum.
    pub paid_idr: i64,
    /// opening + owed − paid.
    pub closing_idr: i64,
}

/// The statement from its parts (pure): `opening_idr`, the month's sales and payouts.
pub fn build_statement(
    producer: &ProducerRow,
    month: Month,
    opening_idr: i64,
    sales: &[SaleRow],
    payouts: &[PayoutRow],
) -> ProducerStatement {
    let sales: Vec<SaleLine> = sales
        .iter()
        .map(|sale| {
            let bp = sale.commission_bp.unwrap_or(0);
            let commission = commission_idr(sale.gross_idr, bp);
            SaleLine {
                date: local_date(sale.at_ms),
                at: rfc3339_utc(sale.at_ms),
                kind: sale.kind.clone(),
                reference: sale.reference.clone(),
                product: sale.title.clone(),
                quantity: sale.quantity,
                unit: sale.unit.clone(),
                unit_price_idr: sale.unit_price_idr,
                gross_idr: sale.gross_idr,
                commission_bp: bp,
                commission_idr: commission,
                owed_idr: owed_idr(sale),
            }
        })
        .collect();
    let payouts: Vec<PayoutLine> = payouts
        .iter()
        .map(|p| PayoutLine {
            date: local_date(p.at_ms),
            at: rfc3339_utc(p.at_ms),
            method: p.method.clone(),
            note: p.note.clone(),
            amount_idr: p.amount_idr,
        })
        .collect();
    let sum = |values: &mut dyn Iterator<Item = i64>| values.fold(0_i64, i64::saturating_add);
    let gross_idr = sum(&mut sales.iter().map(|l| l.gross_idr));
    let commission_idr = sum(&mut sales.iter().map(|l| l.commission_idr));
    let owed = sum(&mut sales.iter().map(|l| l.owed_idr));
    let paid_idr = sum(&mut payouts.iter().map(|p| p.amount_idr));
    ProducerStatement {
        producer: producer.id,
        name: producer.name.clone(),
        village: producer.village.clone(),
        month: month.to_string(),
        opening_idr,
        sales,
        gross_idr,
        commission_idr,
        owed_idr: owed,
        payouts,
        paid_idr,
        closing_idr: opening_idr.saturating_add(owed).saturating_sub(paid_idr),
    }
}

/// A producer's statement for `month`, read from `store`.
pub fn statement_from(
    store: &Store,
    producer: &ProducerRow,
    month: Month,
) -> Result<ProducerStatement, StoreError> {
    let start = month.start_ms();
    let owed_before = store.fold_producer_sales(producer.id, start, 0_i64, |acc, sale| {
        acc.saturating_add(owed_idr(sale))
    })?;
    let opening = owed_before.saturating_sub(store.paid_before(producer.id, start)?);
    let sales = store.producer_sales(Some(producer.id), start, month.end_ms())?;
    let payouts = store.payouts(producer.id, start, month.end_ms())?;
    Ok(build_statement(producer, month, opening, &sales, &payouts))
}

/// One line of the monthly sales report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesReportLine {
    /// The producer's number, or none for "tanpa produsen" and the total.
    pub producer: Option<i64>,
    /// Their name ("tanpa produsen" for listings with no producer, "total").
    pub name: String,
    /// Sale lines.
    pub sales: i64,
    /// Gross.
    pub gross_idr: i64,
    /// The center's commission.
    pub commission_idr: i64,
    /// Owed to the producer.
    pub owed_idr: i64,
}

/// The center's sales of one month per producer, with a total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesReport {
    /// The month, `YYYY-MM`.
    pub month: String,
    /// One line per producer with sales, then "tanpa produsen".
    pub lines: Vec<SalesReportLine>,
    /// Everything.
    pub total: SalesReportLine,
}

/// Words for sales of listings with no producer.
pub const NO_PRODUCER: &str = "tanpa produsen";

/// The month's sales report, added up by SQL ([`Store::sales_totals`]).
pub fn sales_report_from(store: &Store, month: Month) -> Result<SalesReport, StoreError> {
    let producers = store.producers()?;
    let mut total = SalesReportLine {
        producer: None,
        name: "total".into(),
        sales: 0,
        gross_idr: 0,
        commission_idr: 0,
        owed_idr: 0,
    };
    let mut lines = Vec::new();
    for row in store.sales_totals(month.start_ms(), month.end_ms())? {
        let name = match row.producer {
            Some(id) => producers
                .iter()
                .find(|p| p.id == id)
                .map_or_else(|| format!("#{id}"), |p| p.name.clone()),
            None => NO_PRODUCER.into(),
        };
        let owed = if row.producer.is_some() {
            row.gross_idr.saturating_sub(row.commission_idr)
        } else {
            0
        };
        total.sales = total.sales.saturating_add(row.lines);
        total.gross_idr = total.gross_idr.saturating_add(row.gross_idr);
        total.commission_idr = total.commission_idr.saturating_add(row.commission_idr);
        total.owed_idr = total.owed_idr.saturating_add(owed);
        lines.push(SalesReportLine {
            producer: row.producer,
            name,
            sales: row.lines,
            gross_idr: row.gross_idr,
            commission_idr: row.commission_idr,
            owed_idr: owed,
        });
    }
    Ok(SalesReport {
        month: month.to_string(),
        lines,
        total,
    })
}

/// The file name of a statement's CSV download.
pub fn statement_csv_name(statement: &ProducerStatement) -> String {
    format!(
        "telecenter-produsen-{}-{}.csv",
        statement.producer, statement.month
    )
}

/// The statement as CSV (the same conventions as the fee report's CSV: BOM,
/// CRLF, quoted text defused against formulas, whole-rupiah integers): one
/// `opening` row, a `sale` row per sale, a `payout` row per payout, one
/// `closing` row.
pub fn statement_csv(statement: &ProducerStatement) -> String {
    use super::csv_text;
    let mut out = String::from("\u{feff}");
    out.push_str(
        "producer,month,row,date,reference,product,quantity,unit,unit_price_idr,gross_idr,\
         commission_bp,commission_idr,owed_idr,paid_idr,method,note,balance_idr\r\n",
    );
    let head = format!(
        "{},{}",
        csv_text(&statement.name),
        csv_text(&statement.month)
    );
    let mut balance = statement.opening_idr;
    out.push_str(&format!("{head},\"opening\",,,,,,,,,,,,,,{balance}\r\n"));
    for line in &statement.sales {
        balance = balance.saturating_add(line.owed_idr);
        out.push_str(&format!(
            "{head},\"sale\",{},{},{},{},{},{},{},{},{},{},,,,{balance}\r\n",
            csv_text(&line.date),
            csv_text(&line.reference),
            csv_text(&line.product),
            line.quantity,
            csv_text(&line.unit),
            line.unit_price_idr,
            line.gross_idr,
            line.commission_bp,
            line.commission_idr,
            line.owed_idr,
        ));
    }
    for payout in &statement.payouts {
        balance = balance.saturating_sub(payout.amount_idr);
        out.push_str(&format!(
            "{head},\"payout\",{},,,,,,,,,,{},{},{},{balance}\r\n",
            csv_text(&payout.date),
            payout.amount_idr,
            csv_text(&payout.method),
            csv_text(&payout.note),
        ));
    }
    out.push_str(&format!(
        "{head},\"closing\",,,,,,,,,,,,,,{}\r\n",
        statement.closing_idr
    ));
    out
}

/// The file name of a sales report's CSV download.
pub fn sales_report_csv_name(report: &SalesReport) -> String {
    format!("penjualan-{}.csv", report.month)
}

/// The sales report as CSV (the fee report's conventions: BOM, CRLF, text
/// quoted and defused): one row per producer, `tanpa produsen`, then `total`.
pub fn sales_report_csv(report: &SalesReport) -> String {
    let mut out =
        String::from("\u{feff}month,producer,sales,gross_idr,commission_idr,owed_idr\r\n");
    for line in report.lines.iter().chain(std::iter::once(&report.total)) {
        out.push_str(&format!(
            "{},{},{},{},{},{}\r\n",
            super::csv_text(&report.month),
            super::csv_text(&line.name),
            line.sales,
            line.gross_idr,
            line.commission_idr,
            line.owed_idr
        ));
    }
    out
}

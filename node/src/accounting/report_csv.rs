//! The monthly report as CSV for spreadsheets, with text that a spreadsheet
//! would run as a formula defused.

use super::{FeeReport, ReportLine};

/// The file name of the report's CSV download.
pub fn report_csv_name(report: &FeeReport) -> String {
    format!("telecenter-biaya-{}.csv", report.month)
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

/// One text field of these CSV files: quoted, and defused if a spreadsheet
/// would run it as a formula (the demand CSV uses it too).
pub(crate) fn csv_text(text: &str) -> String {
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

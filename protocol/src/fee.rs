//! A center's published fee terms (part of its catalog profile): the referral fee,
//! its one rounding rule, and how people write and read it as a percentage.

use serde::{Deserialize, Serialize};

use crate::limits::{FEE_BP_MAX, FEE_MIN_IDR_MAX, PRODUCER_COMMISSION_BP_MAX};
use crate::text::{InvalidInput, in_range};

/// A center's published fee terms: the referral fee it pays to the center that
/// brought a sale. Part of its catalog profile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeTerms {
    /// Referral fee in basis points of the goods value (300 = 3 %).
    pub referral_bp: u32,
    /// Smallest referral fee per order, whole rupiah (0 = none).
    pub min_idr: i64,
}

impl FeeTerms {
    /// Checks the terms against their limits.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        if self.referral_bp > FEE_BP_MAX {
            return Err(InvalidInput::new(
                "referral_fee",
                "too_high",
                format!(
                    "the referral fee may be at most {} %, found {}",
                    percent_text(FEE_BP_MAX),
                    percent_text(self.referral_bp)
                ),
            ));
        }
        in_range(
            "referral_fee_min",
            "the minimum fee",
            self.min_idr,
            0..=FEE_MIN_IDR_MAX,
            " rupiah",
        )?;
        Ok(())
    }

    /// The referral fee on goods worth `gross_idr`, by the one rounding rule:
    /// `gross × bp / 10 000` rounded to the nearest whole rupiah, halves up; then
    /// raised to the minimum; never more than the goods value.
    pub fn fee_idr(&self, gross_idr: i64) -> i64 {
        if gross_idr <= 0 {
            return 0;
        }
        let exact = i128::from(gross_idr) * i128::from(self.referral_bp);
        let rounded = (exact + 5_000) / 10_000;
        let fee = i64::try_from(rounded).unwrap_or(i64::MAX);
        fee.max(self.min_idr).min(gross_idr)
    }
}

/// Basis points as a percentage for people: `300` → `3`, `250` → `2,5`.
pub fn percent_text(bp: u32) -> String {
    let whole = bp / 100;
    let rest = bp % 100;
    if rest == 0 {
        whole.to_string()
    } else if rest.is_multiple_of(10) {
        format!("{whole},{}", rest / 10)
    } else {
        format!("{whole},{rest:02}")
    }
}

/// Parses a percentage typed by a person (`3`, `3%`, `2,5`, `2.25 %`) into basis points.
pub fn parse_percent(text: &str) -> Result<u32, InvalidInput> {
    let bp = percent_bp("referral_fee", text)?;
    let terms = FeeTerms {
        referral_bp: bp,
        min_idr: 0,
    };
    terms.validate()?;
    Ok(bp)
}

/// Parses a producer's commission typed as a percentage (`10`, `7,5`) into basis
/// points, 0 to 100 %.
pub fn parse_commission(text: &str) -> Result<u32, InvalidInput> {
    let bp = percent_bp("commission", text)?;
    if bp > PRODUCER_COMMISSION_BP_MAX {
        return Err(InvalidInput::new(
            "commission",
            "too_high",
            format!(
                "the commission may be at most 100 %, found {}",
                percent_text(bp)
            ),
        ));
    }
    Ok(bp)
}

/// A percentage with at most two decimals as basis points (no upper bound
/// beyond its three whole digits).
fn percent_bp(field: &'static str, text: &str) -> Result<u32, InvalidInput> {
    let bad = || {
        InvalidInput::new(
            field,
            "not_a_percentage",
            format!("expected a percentage such as 3 or 2,5, found {text:?}"),
        )
    };
    let cleaned = text.trim().trim_end_matches('%').trim().replace(',', ".");
    let (whole, frac) = match cleaned.split_once('.') {
        Some((w, f)) => (w, f),
        None => (cleaned.as_str(), ""),
    };
    let has_point = cleaned.contains('.');
    if whole.is_empty() || whole.len() > 3 || frac.len() > 2 || (has_point && frac.is_empty()) {
        return Err(bad());
    }
    if !whole
        .bytes()
        .chain(frac.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: u32 = whole.parse().map_err(|_| bad())?;
    let frac: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().map_err(|_| bad())?
    };
    Ok(whole * 100 + frac)
}

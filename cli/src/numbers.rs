//! Whole numbers typed on the command line (stock, order quantity), read by the
//! one rule the pages use: thousands separators allowed, the limit stated when
//! a number is above it. Used as clap value parsers.

use telecenter_protocol::limits::{ORDER_QUANTITY_MAX, STOCK_MAX};
use telecenter_protocol::text::{InvalidInput, parse_whole};

/// A stock count.
pub(crate) fn stock_number(text: &str) -> Result<i64, InvalidInput> {
    parse_whole("stock", text, STOCK_MAX)
}

/// An order quantity.
pub(crate) fn quantity_number(text: &str) -> Result<i64, InvalidInput> {
    parse_whole("quantity", text, ORDER_QUANTITY_MAX)
}

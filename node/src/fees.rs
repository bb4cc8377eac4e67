//! The old path of [`crate::accounting`], kept while other branches still name it.

// moved: remove after merge
pub use crate::accounting::*;

//! Input validation, by its old path: the generic text rules now live in
//! [`crate::text`], listing and profile input in [`crate::catalog::input`].

// moved: remove after merge
pub use crate::catalog::input::*;
// moved: remove after merge
pub use crate::text::{InvalidInput, text_block, text_line};

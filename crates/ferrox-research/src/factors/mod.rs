//! Factor expressions over an instrument × time panel.
//!
//! Text is parsed ([`parser`]) into a syntax tree, all requested expressions
//! are lowered together into one deduplicated graph ([`plan`]), and the graph
//! is evaluated ([`eval`]) over a panel held as one float64 column per field,
//! rows sorted by instrument then time. Time-series operators run per
//! instrument in parallel (rayon); cross-sectional operators run per
//! timestamp. Operator semantics follow Qlib 0.9.7 (see `docs/factors.md`).

pub mod cross;
pub mod eval;
pub mod parser;
pub mod plan;
pub mod rolling;

pub use eval::{evaluate, Panel};
pub use parser::{parse, Ast};
pub use plan::{Op, Plan};

/// Why an expression or a panel was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FactorError {
    /// The text is not a valid expression.
    #[error("expected {expected} at position {pos} in {text:?} (found {found})")]
    Parse {
        /// What the parser expected.
        expected: String,
        /// Character position (0-based) where it was expected.
        pos: usize,
        /// The whole expression.
        text: String,
        /// What was there instead.
        found: String,
    },
    /// A well-formed call that breaks an operator's rules.
    #[error("{message} at position {pos} in {text:?}")]
    Invalid {
        /// What is wrong.
        message: String,
        /// Character position (0-based) of the offending node.
        pos: usize,
        /// The whole expression.
        text: String,
    },
    /// `$name` is not a column of the panel.
    #[error("unknown field ${name} at position {pos} in {text:?}; available fields: {available}")]
    UnknownField {
        /// The field as written, without `$`.
        name: String,
        /// Character position of the `$`.
        pos: usize,
        /// The whole expression.
        text: String,
        /// The panel's fields, `$`-prefixed and comma-separated.
        available: String,
    },
    /// The panel arrays are inconsistent.
    #[error("panel: {0}")]
    Panel(String),
}

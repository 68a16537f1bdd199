//! Errors of the indicator library: bad parameters and badly shaped inputs.

use thiserror::Error;

/// Why an indicator could not be built or run.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum IndicatorError {
    /// No indicator of that name.
    #[error("unknown indicator {0:?}")]
    UnknownIndicator(String),
    /// A parameter outside its allowed range or of the wrong kind.
    #[error("{indicator}: {param} must be {expected}, got {got}")]
    Param {
        /// The indicator's TA-Lib name.
        indicator: &'static str,
        /// The parameter's name (TA-Lib's Python keyword).
        param: &'static str,
        /// What was expected, e.g. "an integer in 2..=100000".
        expected: String,
        /// The value given.
        got: f64,
    },
    /// The wrong number of parameters.
    #[error("{indicator}: expected {expected} parameters, got {got}")]
    ParamCount {
        /// The indicator's TA-Lib name.
        indicator: &'static str,
        /// How many it takes.
        expected: usize,
        /// How many were given.
        got: usize,
    },
    /// The wrong number of input columns.
    #[error("expected {expected} input columns, got {got}")]
    InputCount {
        /// How many the indicator reads.
        expected: usize,
        /// How many were given.
        got: usize,
    },
    /// The wrong number of output columns.
    #[error("expected {expected} output columns, got {got}")]
    OutputCount {
        /// How many the indicator writes.
        expected: usize,
        /// How many were given.
        got: usize,
    },
    /// Input columns of different lengths.
    #[error("input {index} has {got} rows, expected {expected} like the first input")]
    LengthMismatch {
        /// Position of the offending input.
        index: usize,
        /// Length of the first input.
        expected: usize,
        /// Length of this one.
        got: usize,
    },
    /// An output column whose length differs from the inputs'.
    #[error("output has {got} rows, expected {expected}")]
    OutputLength {
        /// Length of the inputs.
        expected: usize,
        /// Length of the output.
        got: usize,
    },
}

impl IndicatorError {
    /// True for errors in the parameters (a configuration problem), false for
    /// errors in the data given.
    pub fn is_param_error(&self) -> bool {
        matches!(
            self,
            Self::UnknownIndicator(_) | Self::Param { .. } | Self::ParamCount { .. }
        )
    }
}

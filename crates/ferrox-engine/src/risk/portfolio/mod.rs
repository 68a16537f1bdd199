//! Portfolio risk kernels over float P&L and return series.
//!
//! Floats are right here: these are analytics on returns, not money on the
//! books. Losses are reported as positive numbers: a value at risk of 120
//! means "at this confidence, the loss over the horizon is at most 120".
//!
//! - [`historical`]: empirical quantile of the observed P&L (with a choice of
//!   interpolation and of multi-day aggregation);
//! - [`parametric`]: variance-covariance (normal) VaR/ES from a covariance
//!   matrix and exposures;
//! - [`monte_carlo`]: multivariate normal scenarios from a seeded generator,
//!   revalued linearly or lognormally;
//! - [`stats`]: covariance, correlation and beta kernels.

pub mod historical;
pub mod monte_carlo;
pub mod normal;
pub mod parametric;
pub mod quantile;
pub mod stats;

pub use crate::rng::Xoshiro256StarStar;
pub use historical::{historical_var, Aggregation, HorizonMethod};
pub use monte_carlo::{monte_carlo_var, Revaluation, Simulation};
pub use parametric::{parametric_var, portfolio_moments};
pub use quantile::{empirical_var_es, quantile, Interpolation};
pub use stats::{beta, correlation, covariance_matrix, mean};

/// Why a risk measure could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RiskError {
    /// The confidence level is not strictly between 0 and 1.
    #[error("confidence: expected a level strictly between 0 and 1 (e.g. 0.99), got {0}")]
    Confidence(f64),
    /// The horizon is zero days.
    #[error("horizon: expected at least 1 day, got {0}")]
    Horizon(usize),
    /// A series had no observations.
    #[error("{0}: the history is empty")]
    Empty(&'static str),
    /// A series is too short for what was asked.
    #[error("{name}: needs at least {needed} observations, got {got}")]
    TooShort {
        /// The series.
        name: &'static str,
        /// The least length that works.
        needed: usize,
        /// The length given.
        got: usize,
    },
    /// Two inputs that must line up do not.
    #[error("{name}: expected length {expected}, got {got}")]
    Length {
        /// The mismatched input.
        name: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length it has.
        got: usize,
    },
    /// A NaN or infinity in an input.
    #[error("{name}: value at index {index} is {value} (expected a finite number)")]
    NotFinite {
        /// The input.
        name: &'static str,
        /// Position of the bad value.
        index: usize,
        /// The bad value.
        value: f64,
    },
    /// The covariance matrix is not symmetric positive semi-definite.
    #[error("covariance: not positive semi-definite (pivot {pivot} at row {row})")]
    NotPositiveSemiDefinite {
        /// Row at which the factorisation failed.
        row: usize,
        /// The negative pivot found there.
        pivot: f64,
    },
    /// The covariance matrix is not symmetric.
    #[error("covariance: not symmetric at ({row}, {col}): {a} vs {b}")]
    NotSymmetric {
        /// Row of the mismatch.
        row: usize,
        /// Column of the mismatch.
        col: usize,
        /// Value at (row, col).
        a: f64,
        /// Value at (col, row).
        b: f64,
    },
    /// `wᵀΣw` came out clearly negative: the covariance is not a covariance.
    #[error("covariance: the portfolio variance is negative ({0}); the matrix is not positive semi-definite")]
    NegativeVariance(f64),
    /// The benchmark does not move, so beta and correlation are undefined.
    #[error("{0}: has zero variance, so beta and correlation are undefined")]
    ZeroVariance(&'static str),
    /// A Monte Carlo run with no simulations.
    #[error("simulations: expected at least 1, got 0")]
    NoSimulations,
}

/// A value at risk and expected shortfall, both as positive losses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VarEs {
    /// The loss not exceeded with the given confidence.
    pub var: f64,
    /// The mean loss in the tail beyond the VaR.
    pub es: f64,
}

/// Checks `confidence` is in (0, 1).
pub fn check_confidence(confidence: f64) -> Result<(), RiskError> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(RiskError::Confidence(confidence))
    }
}

/// Checks `horizon` is at least one day.
pub fn check_horizon(horizon: usize) -> Result<(), RiskError> {
    if horizon == 0 {
        Err(RiskError::Horizon(horizon))
    } else {
        Ok(())
    }
}

/// Checks every value of `values` is finite.
pub fn check_finite(name: &'static str, values: &[f64]) -> Result<(), RiskError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(RiskError::NotFinite {
            name,
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Checks `values` is not empty and is finite.
pub fn check_series(name: &'static str, values: &[f64]) -> Result<(), RiskError> {
    if values.is_empty() {
        return Err(RiskError::Empty(name));
    }
    check_finite(name, values)
}

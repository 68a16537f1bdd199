//! Historical-simulation VaR/ES, with multi-day horizons.
//!
//! A one-day VaR reads the quantile of the daily P&L directly. For a horizon
//! of `h` days there are three common choices, each with a cost:
//!
//! - [`HorizonMethod::Overlapping`]: every run of `h` consecutive days (a
//!   rolling window, `n - h + 1` samples). Uses all the data, but the samples
//!   share days, so they are autocorrelated and the tail is estimated from
//!   fewer independent observations than it seems.
//! - [`HorizonMethod::NonOverlapping`]: consecutive blocks of `h` days counted
//!   back from the latest observation (the oldest `n mod h` days are dropped),
//!   `n / h` independent samples: honest but few.
//! - [`HorizonMethod::SquareRootOfTime`]: the one-day VaR and ES times `√h`,
//!   the Basel shortcut; exact only for i.i.d. zero-mean normal P&L.

use super::quantile::var_es_in_place;
use super::{check_confidence, check_horizon, check_series, Interpolation, RiskError, VarEs};

/// How a one-day history becomes an `h`-day one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HorizonMethod {
    /// Rolling `h`-day windows.
    #[default]
    Overlapping,
    /// Disjoint `h`-day blocks ending at the latest observation.
    NonOverlapping,
    /// One-day measures scaled by `√h`.
    SquareRootOfTime,
}

impl HorizonMethod {
    /// Parses `overlapping`, `non_overlapping` or `sqrt_time`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "overlapping" => Some(Self::Overlapping),
            "non_overlapping" => Some(Self::NonOverlapping),
            "sqrt_time" => Some(Self::SquareRootOfTime),
            _ => None,
        }
    }
}

/// How daily values add up over several days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Aggregation {
    /// P&L in money (or log returns): the `h`-day value is the sum.
    #[default]
    Sum,
    /// Simple returns: the `h`-day value is `∏(1 + r) - 1`.
    Compound,
}

impl Aggregation {
    fn combine(self, window: &[f64]) -> f64 {
        match self {
            Self::Sum => window.iter().sum(),
            Self::Compound => window.iter().fold(1.0, |acc, r| acc * (1.0 + r)) - 1.0,
        }
    }
}

/// The `h`-day series built from `daily` by `method` (for `SquareRootOfTime`,
/// the daily series itself).
pub fn horizon_series(
    daily: &[f64],
    horizon: usize,
    method: HorizonMethod,
    aggregation: Aggregation,
) -> Result<Vec<f64>, RiskError> {
    check_horizon(horizon)?;
    check_series("pnl", daily)?;
    if horizon == 1 || method == HorizonMethod::SquareRootOfTime {
        return Ok(daily.to_vec());
    }
    if daily.len() < horizon {
        return Err(RiskError::TooShort {
            name: "pnl",
            needed: horizon,
            got: daily.len(),
        });
    }
    Ok(match method {
        HorizonMethod::Overlapping => daily
            .windows(horizon)
            .map(|w| aggregation.combine(w))
            .collect(),
        HorizonMethod::NonOverlapping => {
            let skip = daily.len() % horizon;
            daily[skip..]
                .chunks_exact(horizon)
                .map(|w| aggregation.combine(w))
                .collect()
        }
        HorizonMethod::SquareRootOfTime => unreachable!("handled above"),
    })
}

/// Historical VaR and ES of a daily P&L (or return) history over `horizon` days.
pub fn historical_var(
    daily: &[f64],
    confidence: f64,
    horizon: usize,
    method: HorizonMethod,
    aggregation: Aggregation,
    interpolation: Interpolation,
) -> Result<VarEs, RiskError> {
    check_confidence(confidence)?;
    let mut sample = horizon_series(daily, horizon, method, aggregation)?;
    let one = var_es_in_place(&mut sample, confidence, interpolation);
    if method == HorizonMethod::SquareRootOfTime {
        let scale = (horizon as f64).sqrt();
        return Ok(VarEs {
            var: one.var * scale,
            es: one.es * scale,
        });
    }
    Ok(one)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_windows_roll_one_day_at_a_time() {
        let s = horizon_series(
            &[1.0, 2.0, 3.0, 4.0],
            2,
            HorizonMethod::Overlapping,
            Aggregation::Sum,
        )
        .unwrap();
        assert_eq!(s, vec![3.0, 5.0, 7.0]);
    }

    #[test]
    fn non_overlapping_blocks_end_at_the_latest_day() {
        let s = horizon_series(
            &[1.0, 2.0, 3.0, 4.0, 5.0],
            2,
            HorizonMethod::NonOverlapping,
            Aggregation::Sum,
        )
        .unwrap();
        assert_eq!(s, vec![5.0, 9.0]);
    }

    #[test]
    fn compound_aggregation_multiplies_gross_returns() {
        let s = horizon_series(
            &[0.1, 0.1],
            2,
            HorizonMethod::Overlapping,
            Aggregation::Compound,
        )
        .unwrap();
        assert!((s[0] - 0.21).abs() < 1e-15);
    }

    #[test]
    fn sqrt_time_scales_the_one_day_measures() {
        let pnl: Vec<f64> = (0..100).map(|i| (i as f64 * 0.37).sin()).collect();
        let one = historical_var(
            &pnl,
            0.99,
            1,
            HorizonMethod::SquareRootOfTime,
            Aggregation::Sum,
            Interpolation::Linear,
        )
        .unwrap();
        let four = historical_var(
            &pnl,
            0.99,
            4,
            HorizonMethod::SquareRootOfTime,
            Aggregation::Sum,
            Interpolation::Linear,
        )
        .unwrap();
        assert!((four.var - 2.0 * one.var).abs() < 1e-12);
        assert!((four.es - 2.0 * one.es).abs() < 1e-12);
    }

    #[test]
    fn a_history_shorter_than_the_horizon_is_an_error() {
        let err = horizon_series(&[1.0, 2.0], 5, HorizonMethod::Overlapping, Aggregation::Sum);
        assert_eq!(
            err,
            Err(RiskError::TooShort {
                name: "pnl",
                needed: 5,
                got: 2
            })
        );
    }
}

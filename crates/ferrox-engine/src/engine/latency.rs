//! Latency models: a constant, or a draw from a seeded distribution.
//!
//! Three latencies shape a simulation: feed (a record reaches the strategy
//! this long after `ts_init`), order entry (a command reaches the venue this
//! long after it is sent) and acknowledgement (a venue's answer reaches the
//! strategy this long after it happened). Draws come from the model's own
//! generator, seeded from the config, so a run is repeatable.

use thiserror::Error;

/// How one latency is drawn, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LatencyModel {
    /// Always the same.
    Constant(i64),
    /// Uniform on `[low, high]`.
    Uniform {
        /// Smallest latency.
        low: i64,
        /// Largest latency.
        high: i64,
    },
    /// Log-normal with the given median and shape `sigma` (the usual shape of
    /// network and matching latencies: a floor with a long right tail).
    LogNormal {
        /// Median latency.
        median: i64,
        /// Standard deviation of the log.
        sigma: f64,
    },
}

/// A latency model that cannot be drawn from.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("latency {what}: {message}")]
pub struct LatencyError {
    /// Which latency (feed, order entry, ack).
    pub what: &'static str,
    /// What is wrong, with the numbers.
    pub message: String,
}

impl LatencyModel {
    /// Checks the parameters; `what` names the latency in the error.
    pub fn validate(&self, what: &'static str) -> Result<(), LatencyError> {
        let bad = |message: String| Err(LatencyError { what, message });
        match *self {
            LatencyModel::Constant(ns) if ns < 0 => bad(format!("{ns} ns is negative")),
            LatencyModel::Uniform { low, high } if low < 0 || high < low => bad(format!(
                "uniform [{low}, {high}] ns is not 0 <= low <= high"
            )),
            LatencyModel::LogNormal { median, sigma }
                if median <= 0 || !(sigma.is_finite() && sigma >= 0.0) =>
            {
                bad(format!("log-normal median {median} ns, sigma {sigma}"))
            }
            _ => Ok(()),
        }
    }

    /// Whether every draw is zero.
    pub fn is_zero(&self) -> bool {
        matches!(self, LatencyModel::Constant(0))
    }

    /// One draw.
    #[inline]
    pub fn draw(&self, rng: &mut Rng) -> i64 {
        match *self {
            LatencyModel::Constant(ns) => ns,
            LatencyModel::Uniform { low, high } => {
                let span = (high - low) as u64 + 1;
                low + (rng.next_u64() % span) as i64
            }
            LatencyModel::LogNormal { median, sigma } => {
                let z = rng.next_normal();
                ((median as f64) * (sigma * z).exp()).round() as i64
            }
        }
    }
}

pub use crate::rng::Xoshiro256StarStar as Rng;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_same_seed_same_draws() {
        let m = LatencyModel::Uniform { low: 10, high: 20 };
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            let x = m.draw(&mut a);
            assert_eq!(x, m.draw(&mut b));
            assert!((10..=20).contains(&x));
        }
    }

    #[test]
    fn test_lognormal_median_is_close() {
        let m = LatencyModel::LogNormal {
            median: 1_000,
            sigma: 0.5,
        };
        let mut rng = Rng::new(1);
        let mut v: Vec<i64> = (0..20_001).map(|_| m.draw(&mut rng)).collect();
        v.sort_unstable();
        assert!((v[10_000] - 1_000).abs() < 30, "median {}", v[10_000]);
    }

    #[test]
    fn test_negative_constant_is_refused() {
        assert!(LatencyModel::Constant(-1).validate("order entry").is_err());
    }
}

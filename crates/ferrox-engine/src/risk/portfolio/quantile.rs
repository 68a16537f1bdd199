//! Empirical quantiles and the empirical VaR/ES of a sample.

use super::{check_confidence, check_series, RiskError, VarEs};

/// How a quantile that falls between two sorted observations is read, named
/// as numpy's `np.quantile(method=...)` names them (Hyndman & Fan 1996).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interpolation {
    /// `x[i] + f * (x[i+1] - x[i])` at virtual index `(n-1)p` (type 7).
    #[default]
    Linear,
    /// The observation below (`x[floor((n-1)p)]`): the more pessimistic VaR.
    Lower,
    /// The observation above.
    Higher,
    /// The nearer observation; halves go to the even index (as numpy does).
    Nearest,
    /// The mean of the observations either side.
    Midpoint,
}

impl Interpolation {
    /// Parses `linear`, `lower`, `higher`, `nearest` or `midpoint`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "linear" => Some(Self::Linear),
            "lower" => Some(Self::Lower),
            "higher" => Some(Self::Higher),
            "nearest" => Some(Self::Nearest),
            "midpoint" => Some(Self::Midpoint),
            _ => None,
        }
    }
}

/// Rounds half to even, as `np.around` does.
fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    }
}

/// The `p`-quantile of `values` (`p` in [0, 1]), reordering `values` in place.
///
/// `values` must be non-empty and finite (see [`check_series`]).
pub fn quantile_in_place(values: &mut [f64], p: f64, interpolation: Interpolation) -> f64 {
    let n = values.len();
    let virtual_index = (n - 1) as f64 * p;
    let below = (virtual_index.floor() as usize).min(n - 1);
    let fraction = virtual_index - below as f64;
    let index = match interpolation {
        Interpolation::Lower => below,
        Interpolation::Higher => virtual_index.ceil() as usize,
        Interpolation::Nearest => round_half_even(virtual_index) as usize,
        Interpolation::Linear | Interpolation::Midpoint => {
            let (_, lo, above) = values.select_nth_unstable_by(below, f64::total_cmp);
            let lo = *lo;
            let hi = above.iter().copied().fold(f64::INFINITY, f64::min);
            if above.is_empty() || hi == lo {
                return lo;
            }
            let t = if interpolation == Interpolation::Midpoint {
                if fraction > 0.0 {
                    0.5
                } else {
                    0.0
                }
            } else {
                fraction
            };
            // numpy's lerp: exact at both ends, monotone in t.
            let diff = hi - lo;
            return if t >= 0.5 {
                hi - diff * (1.0 - t)
            } else {
                lo + diff * t
            };
        }
    };
    *values
        .select_nth_unstable_by(index.min(n - 1), f64::total_cmp)
        .1
}

/// The `p`-quantile of `values` (not reordered).
pub fn quantile(values: &[f64], p: f64, interpolation: Interpolation) -> Result<f64, RiskError> {
    check_series("values", values)?;
    let mut scratch = values.to_vec();
    Ok(quantile_in_place(&mut scratch, p, interpolation))
}

/// Empirical VaR and ES of a P&L (or return) sample, as positive losses.
///
/// VaR is minus the `(1 - confidence)` quantile; ES is minus the mean of the
/// observations at or below that quantile (the tail the VaR cuts off).
pub fn empirical_var_es(
    pnl: &[f64],
    confidence: f64,
    interpolation: Interpolation,
) -> Result<VarEs, RiskError> {
    check_confidence(confidence)?;
    check_series("pnl", pnl)?;
    let mut scratch = pnl.to_vec();
    Ok(var_es_in_place(&mut scratch, confidence, interpolation))
}

/// [`empirical_var_es`] on a scratch sample already checked.
pub(crate) fn var_es_in_place(
    sample: &mut [f64],
    confidence: f64,
    interpolation: Interpolation,
) -> VarEs {
    let q = quantile_in_place(sample, 1.0 - confidence, interpolation);
    let (sum, count) = sample
        .iter()
        .filter(|&&x| x <= q)
        .fold((0.0, 0usize), |(s, c), &x| (s + x, c + 1));
    // The minimum is always at or below any quantile, so count >= 1.
    VarEs {
        var: -q,
        es: -sum / count.max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_quantile_interpolates_between_order_statistics() {
        let x = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(quantile(&x, 0.1, Interpolation::Linear).unwrap(), 1.4);
        assert_eq!(quantile(&x, 0.1, Interpolation::Lower).unwrap(), 1.0);
        assert_eq!(quantile(&x, 0.1, Interpolation::Higher).unwrap(), 2.0);
        assert_eq!(quantile(&x, 0.1, Interpolation::Midpoint).unwrap(), 1.5);
        assert_eq!(quantile(&x, 0.1, Interpolation::Nearest).unwrap(), 1.0);
        assert_eq!(quantile(&x, 0.0, Interpolation::Linear).unwrap(), 1.0);
        assert_eq!(quantile(&x, 1.0, Interpolation::Linear).unwrap(), 5.0);
    }

    #[test]
    fn nearest_rounds_half_to_even_like_numpy() {
        // virtual index 0.5 -> 0, 1.5 -> 2
        let x = [10.0, 20.0, 30.0];
        assert_eq!(quantile(&x, 0.25, Interpolation::Nearest).unwrap(), 10.0);
        assert_eq!(quantile(&x, 0.75, Interpolation::Nearest).unwrap(), 30.0);
    }

    #[test]
    fn var_is_minus_the_tail_quantile_and_es_the_tail_mean() {
        let pnl: Vec<f64> = (1..=100).map(|i| i as f64 - 50.0).collect();
        let r = empirical_var_es(&pnl, 0.95, Interpolation::Lower).unwrap();
        // floor(99 * 0.05) = 4 -> the fifth worst, -45; tail -49..-45
        assert_eq!(r.var, 45.0);
        assert_eq!(r.es, 47.0);
    }

    #[test]
    fn bad_confidence_and_empty_history_are_errors() {
        assert_eq!(
            empirical_var_es(&[1.0], 1.0, Interpolation::Linear),
            Err(RiskError::Confidence(1.0))
        );
        assert_eq!(
            empirical_var_es(&[], 0.99, Interpolation::Linear),
            Err(RiskError::Empty("pnl"))
        );
    }
}

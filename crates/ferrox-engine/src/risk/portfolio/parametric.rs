//! Parametric (variance-covariance) VaR/ES: P&L assumed normal.
//!
//! With exposures `w` (money per instrument), mean daily returns `μ` and the
//! daily covariance `Σ`, the daily P&L is `N(wᵀμ, wᵀΣw)`. Over `h` days of
//! i.i.d. returns the mean scales by `h` and the standard deviation by `√h`
//! (the square-root-of-time rule), so with `z = Φ⁻¹(c)`:
//!
//! - `VaR = z σ √h − μ h`
//! - `ES  = σ √h φ(z) / (1 − c) − μ h`

use super::normal::{normal_pdf, normal_quantile};
use super::{check_confidence, check_finite, check_horizon, RiskError, VarEs};

/// Relative tolerance for symmetry and for a variance a hair below zero.
const TOLERANCE: f64 = 1e-10;

/// Checks `cov` is a finite, symmetric `k × k` row-major matrix.
pub(crate) fn check_covariance(cov: &[f64], k: usize) -> Result<(), RiskError> {
    if cov.len() != k * k {
        return Err(RiskError::Length {
            name: "covariance",
            expected: k * k,
            got: cov.len(),
        });
    }
    check_finite("covariance", cov)?;
    let scale = (0..k).map(|i| cov[i * k + i].abs()).fold(0.0, f64::max);
    for row in 0..k {
        for col in row + 1..k {
            let (a, b) = (cov[row * k + col], cov[col * k + row]);
            if (a - b).abs() > TOLERANCE * scale.max(f64::MIN_POSITIVE) {
                return Err(RiskError::NotSymmetric { row, col, a, b });
            }
        }
    }
    Ok(())
}

/// Checks exposures and mean line up with a `k × k` covariance.
pub(crate) fn check_inputs(exposures: &[f64], mean: &[f64], cov: &[f64]) -> Result<(), RiskError> {
    let k = exposures.len();
    if k == 0 {
        return Err(RiskError::Empty("exposures"));
    }
    check_finite("exposures", exposures)?;
    if mean.len() != k {
        return Err(RiskError::Length {
            name: "mean",
            expected: k,
            got: mean.len(),
        });
    }
    check_finite("mean", mean)?;
    check_covariance(cov, k)
}

/// Daily mean and standard deviation of the P&L of exposures `w`:
/// `(wᵀμ, √(wᵀΣw))`.
pub fn portfolio_moments(
    exposures: &[f64],
    mean: &[f64],
    cov: &[f64],
) -> Result<(f64, f64), RiskError> {
    check_inputs(exposures, mean, cov)?;
    let k = exposures.len();
    let mu: f64 = exposures.iter().zip(mean).map(|(w, m)| w * m).sum();
    let mut variance = 0.0;
    let mut scale = 0.0;
    for (i, wi) in exposures.iter().enumerate() {
        let row = &cov[i * k..(i + 1) * k];
        let term: f64 = row.iter().zip(exposures).map(|(c, wj)| c * wj).sum();
        variance += wi * term;
        scale += (wi * wi * row[i]).abs();
    }
    if variance < 0.0 {
        if variance < -TOLERANCE * scale {
            return Err(RiskError::NegativeVariance(variance));
        }
        variance = 0.0;
    }
    Ok((mu, variance.sqrt()))
}

/// Normal VaR and ES of P&L with daily mean `mu` and standard deviation
/// `sigma`, over `horizon` days.
pub fn parametric_var(
    mu: f64,
    sigma: f64,
    confidence: f64,
    horizon: usize,
) -> Result<VarEs, RiskError> {
    check_confidence(confidence)?;
    check_horizon(horizon)?;
    check_finite("mean", &[mu])?;
    if !(sigma.is_finite() && sigma >= 0.0) {
        return Err(RiskError::NotFinite {
            name: "sigma",
            index: 0,
            value: sigma,
        });
    }
    let h = horizon as f64;
    let z = normal_quantile(confidence);
    let spread = sigma * h.sqrt();
    Ok(VarEs {
        var: z * spread - mu * h,
        es: spread * normal_pdf(z) / (1.0 - confidence) - mu * h,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_uncorrelated_assets_add_in_variance() {
        let (mu, sigma) =
            portfolio_moments(&[3.0, 4.0], &[0.0, 0.0], &[1.0, 0.0, 0.0, 1.0]).unwrap();
        assert_eq!(mu, 0.0);
        assert_eq!(sigma, 5.0);
    }

    #[test]
    fn normal_var_is_z_sigma_root_h() {
        let r = parametric_var(0.0, 1.0, 0.99, 4).unwrap();
        assert!((r.var - 2.0 * 2.326_347_874_040_841).abs() < 1e-12);
        // ES of a standard normal at 99%: φ(z)/0.01 = 2.665214...
        assert!((r.es - 2.0 * 2.665_214_220_345_808).abs() < 1e-9);
    }

    #[test]
    fn an_asymmetric_covariance_is_refused() {
        let err = portfolio_moments(&[1.0, 1.0], &[0.0, 0.0], &[1.0, 0.5, 0.4, 1.0]);
        assert!(matches!(
            err,
            Err(RiskError::NotSymmetric { row: 0, col: 1, .. })
        ));
    }
}

//! Monte Carlo VaR/ES: multivariate normal return scenarios from a seeded
//! generator, each revalued against the exposures.
//!
//! Returns over `h` days are drawn as `N(μh, Σh)` (i.i.d. daily returns), via
//! the Cholesky factor `L` of `Σ`: `r = μh + √h L z`, `z ~ N(0, I)`.
//! [`Revaluation::Linear`] takes the P&L as `wᵀr` (converges to the parametric
//! VaR); [`Revaluation::Lognormal`] treats `r` as log returns and takes
//! `Σ wᵢ (exp(rᵢ) − 1)`, the full revaluation of a position whose price is
//! lognormal (no negative prices, a skewed P&L).

use super::parametric::check_inputs;
use super::quantile::var_es_in_place;
use super::{check_confidence, check_horizon, Interpolation, RiskError, VarEs};
use crate::rng::Xoshiro256StarStar;

/// How simulated returns become P&L.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Revaluation {
    /// `P&L = Σ wᵢ rᵢ` (simple returns, linear positions).
    #[default]
    Linear,
    /// `P&L = Σ wᵢ (exp(rᵢ) − 1)` (log returns, full revaluation).
    Lognormal,
}

impl Revaluation {
    /// Parses `linear` or `lognormal`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "linear" => Some(Self::Linear),
            "lognormal" => Some(Self::Lognormal),
            _ => None,
        }
    }
}

/// The size, seed and revaluation of a Monte Carlo run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Simulation {
    /// Number of scenarios.
    pub simulations: usize,
    /// Seed of the generator: the same seed gives the same scenarios.
    pub seed: u64,
    /// How returns become P&L.
    pub revaluation: Revaluation,
}

/// Lower-triangular `L` (row-major) with `L Lᵀ = cov`, for a positive
/// semi-definite `cov`: a pivot within rounding of zero (a redundant or
/// constant instrument) leaves its column zero rather than failing.
pub fn cholesky(cov: &[f64], k: usize) -> Result<Vec<f64>, RiskError> {
    let scale = (0..k).map(|i| cov[i * k + i].abs()).fold(0.0, f64::max);
    let tolerance = 1e-12 * scale.max(f64::MIN_POSITIVE) * k as f64;
    let mut l = vec![0.0; k * k];
    for j in 0..k {
        let pivot = cov[j * k + j] - (0..j).map(|m| l[j * k + m] * l[j * k + m]).sum::<f64>();
        if pivot < -tolerance {
            return Err(RiskError::NotPositiveSemiDefinite { row: j, pivot });
        }
        if pivot <= tolerance {
            continue;
        }
        let d = pivot.sqrt();
        l[j * k + j] = d;
        for i in j + 1..k {
            let dot: f64 = (0..j).map(|m| l[i * k + m] * l[j * k + m]).sum();
            l[i * k + j] = (cov[i * k + j] - dot) / d;
        }
    }
    Ok(l)
}

/// The simulated `horizon`-day P&L of `exposures`, one value per scenario.
pub fn simulate_pnl(
    exposures: &[f64],
    mean: &[f64],
    cov: &[f64],
    horizon: usize,
    simulation: Simulation,
) -> Result<Vec<f64>, RiskError> {
    check_inputs(exposures, mean, cov)?;
    check_horizon(horizon)?;
    if simulation.simulations == 0 {
        return Err(RiskError::NoSimulations);
    }
    let k = exposures.len();
    let l = cholesky(cov, k)?;
    let h = horizon as f64;
    let root_h = h.sqrt();
    let drift: Vec<f64> = mean.iter().map(|m| m * h).collect();
    let mut rng = Xoshiro256StarStar::seed_from_u64(simulation.seed);
    let mut z = vec![0.0; k];
    let mut pnl = Vec::with_capacity(simulation.simulations);
    match simulation.revaluation {
        Revaluation::Linear => {
            // wᵀ(μh + √h L z) = wᵀμh + √h (Lᵀw)ᵀz: one dot product per scenario.
            let loading: Vec<f64> = (0..k)
                .map(|j| (j..k).map(|i| l[i * k + j] * exposures[i]).sum())
                .collect();
            let base: f64 = exposures.iter().zip(&drift).map(|(w, d)| w * d).sum();
            for _ in 0..simulation.simulations {
                z.iter_mut().for_each(|zi| *zi = rng.next_normal());
                let shock: f64 = loading.iter().zip(&z).map(|(a, b)| a * b).sum();
                pnl.push(base + root_h * shock);
            }
        }
        Revaluation::Lognormal => {
            for _ in 0..simulation.simulations {
                z.iter_mut().for_each(|zi| *zi = rng.next_normal());
                let mut total = 0.0;
                for i in 0..k {
                    let row = &l[i * k..i * k + i + 1];
                    let shock: f64 = row.iter().zip(&z).map(|(a, b)| a * b).sum();
                    total += exposures[i] * (drift[i] + root_h * shock).exp_m1();
                }
                pnl.push(total);
            }
        }
    }
    Ok(pnl)
}

/// Monte Carlo VaR and ES of `exposures` over `horizon` days.
pub fn monte_carlo_var(
    exposures: &[f64],
    mean: &[f64],
    cov: &[f64],
    confidence: f64,
    horizon: usize,
    simulation: Simulation,
    interpolation: Interpolation,
) -> Result<VarEs, RiskError> {
    check_confidence(confidence)?;
    let mut pnl = simulate_pnl(exposures, mean, cov, horizon, simulation)?;
    Ok(var_es_in_place(&mut pnl, confidence, interpolation))
}

#[cfg(test)]
mod tests {
    use super::super::parametric::{parametric_var, portfolio_moments};
    use super::*;

    #[test]
    fn cholesky_reproduces_the_matrix() {
        let cov = [4.0, 2.0, 2.0, 3.0];
        let l = cholesky(&cov, 2).unwrap();
        assert_eq!(l, vec![2.0, 0.0, 1.0, 2.0_f64.sqrt()]);
    }

    #[test]
    fn cholesky_accepts_a_singular_matrix_and_refuses_an_indefinite_one() {
        assert!(cholesky(&[1.0, 1.0, 1.0, 1.0], 2).is_ok());
        assert!(matches!(
            cholesky(&[1.0, 2.0, 2.0, 1.0], 2),
            Err(RiskError::NotPositiveSemiDefinite { row: 1, .. })
        ));
    }

    #[test]
    fn linear_monte_carlo_converges_to_the_parametric_var() {
        let w = [1_000.0, -400.0, 250.0];
        let mean = [0.0; 3];
        let cov = [
            4e-4, 1e-4, 0.5e-4, //
            1e-4, 2.5e-4, 0.2e-4, //
            0.5e-4, 0.2e-4, 1e-4,
        ];
        let sim = Simulation {
            simulations: 400_000,
            seed: 11,
            revaluation: Revaluation::Linear,
        };
        let mc = monte_carlo_var(&w, &mean, &cov, 0.99, 1, sim, Interpolation::Linear).unwrap();
        let (mu, sigma) = portfolio_moments(&w, &mean, &cov).unwrap();
        let exact = parametric_var(mu, sigma, 0.99, 1).unwrap();
        // Standard error of the 1% quantile: σ√(p(1-p)/n)/φ(z) ≈ 0.6% of the VaR.
        assert!(
            (mc.var / exact.var - 1.0).abs() < 0.02,
            "{mc:?} vs {exact:?}"
        );
        assert!((mc.es / exact.es - 1.0).abs() < 0.02, "{mc:?} vs {exact:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_var() {
        let sim = Simulation {
            simulations: 1_000,
            seed: 5,
            revaluation: Revaluation::Lognormal,
        };
        let a = monte_carlo_var(&[1.0], &[0.0], &[0.01], 0.95, 1, sim, Interpolation::Linear);
        let b = monte_carlo_var(&[1.0], &[0.0], &[0.01], 0.95, 1, sim, Interpolation::Linear);
        assert_eq!(a, b);
    }
}

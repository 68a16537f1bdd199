//! Bindings for the portfolio risk kernels: VaR/ES (historical, parametric,
//! Monte Carlo), covariance, beta and correlation over float64 numpy arrays,
//! computed with the GIL released. Matrices cross as flat row-major arrays.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use ferrox_engine::risk::portfolio::{
    self as kernels, Aggregation, HorizonMethod, Interpolation, Revaluation, RiskError, Simulation,
    VarEs,
};

use crate::errors::{config_error, data_error};

/// Arguments out of range are configuration errors; bad series are data errors.
fn to_py(err: RiskError) -> PyErr {
    match err {
        RiskError::Confidence(_) | RiskError::Horizon(_) | RiskError::NoSimulations => {
            config_error(err.to_string())
        }
        _ => data_error(err.to_string()),
    }
}

fn slice<'a>(name: &str, array: &'a PyReadonlyArray1<'_, f64>) -> PyResult<&'a [f64]> {
    array
        .as_slice()
        .map_err(|e| data_error(format!("{name}: expected a contiguous float64 array ({e})")))
}

fn interpolation(name: &str) -> PyResult<Interpolation> {
    Interpolation::parse(name).ok_or_else(|| {
        config_error(format!(
            "interpolation: expected 'linear', 'lower', 'higher', 'nearest' or 'midpoint', got {name:?}"
        ))
    })
}

fn horizon_method(name: &str) -> PyResult<HorizonMethod> {
    HorizonMethod::parse(name).ok_or_else(|| {
        config_error(format!(
            "scaling: expected 'overlapping', 'non_overlapping' or 'sqrt_time', got {name:?}"
        ))
    })
}

fn aggregation(compound: bool) -> Aggregation {
    if compound {
        Aggregation::Compound
    } else {
        Aggregation::Sum
    }
}

fn pair(r: VarEs) -> (f64, f64) {
    (r.var, r.es)
}

/// The `p`-quantile of `values` with numpy's interpolation names.
#[pyfunction]
fn risk_quantile(
    py: Python<'_>,
    values: PyReadonlyArray1<'_, f64>,
    p: f64,
    interpolation: &str,
) -> PyResult<f64> {
    let how = self::interpolation(interpolation)?;
    if !(0.0..=1.0).contains(&p) {
        return Err(config_error(format!("p: expected 0 <= p <= 1, got {p}")));
    }
    let values = slice("values", &values)?;
    py.detach(|| kernels::quantile(values, p, how))
        .map_err(to_py)
}

/// The `horizon`-day series built from a daily one (`scaling` as in
/// `risk_historical_var`; `compound` for simple returns).
#[pyfunction]
fn risk_horizon_series<'py>(
    py: Python<'py>,
    daily: PyReadonlyArray1<'py, f64>,
    horizon: usize,
    scaling: &str,
    compound: bool,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let method = horizon_method(scaling)?;
    let daily = slice("pnl", &daily)?;
    let series = py
        .detach(|| {
            kernels::historical::horizon_series(daily, horizon, method, aggregation(compound))
        })
        .map_err(to_py)?;
    Ok(PyArray1::from_vec(py, series))
}

/// Historical VaR and ES `(var, es)` of a daily P&L or return history.
#[pyfunction]
#[pyo3(signature = (daily, confidence, horizon, scaling, compound, interpolation))]
fn risk_historical_var(
    py: Python<'_>,
    daily: PyReadonlyArray1<'_, f64>,
    confidence: f64,
    horizon: usize,
    scaling: &str,
    compound: bool,
    interpolation: &str,
) -> PyResult<(f64, f64)> {
    let method = horizon_method(scaling)?;
    let how = self::interpolation(interpolation)?;
    let daily = slice("pnl", &daily)?;
    py.detach(|| {
        kernels::historical_var(
            daily,
            confidence,
            horizon,
            method,
            aggregation(compound),
            how,
        )
    })
    .map(pair)
    .map_err(to_py)
}

/// Daily `(mean, standard deviation)` of the P&L of `exposures` given mean
/// returns and a flat row-major covariance.
#[pyfunction]
fn risk_portfolio_moments(
    py: Python<'_>,
    exposures: PyReadonlyArray1<'_, f64>,
    mean: PyReadonlyArray1<'_, f64>,
    covariance: PyReadonlyArray1<'_, f64>,
) -> PyResult<(f64, f64)> {
    let (w, m, c) = (
        slice("exposures", &exposures)?,
        slice("mean", &mean)?,
        slice("covariance", &covariance)?,
    );
    py.detach(|| kernels::portfolio_moments(w, m, c))
        .map_err(to_py)
}

/// Normal VaR and ES `(var, es)` of P&L with daily mean `mu` and standard
/// deviation `sigma` over `horizon` days.
#[pyfunction]
fn risk_parametric_var(
    mu: f64,
    sigma: f64,
    confidence: f64,
    horizon: usize,
) -> PyResult<(f64, f64)> {
    kernels::parametric_var(mu, sigma, confidence, horizon)
        .map(pair)
        .map_err(to_py)
}

fn simulation(simulations: usize, seed: u64, revaluation: &str) -> PyResult<Simulation> {
    let revaluation = Revaluation::parse(revaluation).ok_or_else(|| {
        config_error(format!(
            "revaluation: expected 'linear' or 'lognormal', got {revaluation:?}"
        ))
    })?;
    Ok(Simulation {
        simulations,
        seed,
        revaluation,
    })
}

/// Simulated `horizon`-day P&L of `exposures`, one value per scenario.
#[pyfunction]
#[pyo3(signature = (exposures, mean, covariance, horizon, simulations, seed, revaluation))]
#[allow(clippy::too_many_arguments)]
fn risk_simulate_pnl<'py>(
    py: Python<'py>,
    exposures: PyReadonlyArray1<'py, f64>,
    mean: PyReadonlyArray1<'py, f64>,
    covariance: PyReadonlyArray1<'py, f64>,
    horizon: usize,
    simulations: usize,
    seed: u64,
    revaluation: &str,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let sim = simulation(simulations, seed, revaluation)?;
    let (w, m, c) = (
        slice("exposures", &exposures)?,
        slice("mean", &mean)?,
        slice("covariance", &covariance)?,
    );
    let pnl = py
        .detach(|| kernels::monte_carlo::simulate_pnl(w, m, c, horizon, sim))
        .map_err(to_py)?;
    Ok(PyArray1::from_vec(py, pnl))
}

/// Monte Carlo VaR and ES `(var, es)` of `exposures`.
#[pyfunction]
#[pyo3(signature = (exposures, mean, covariance, confidence, horizon, simulations, seed, revaluation, interpolation))]
#[allow(clippy::too_many_arguments)]
fn risk_monte_carlo_var(
    py: Python<'_>,
    exposures: PyReadonlyArray1<'_, f64>,
    mean: PyReadonlyArray1<'_, f64>,
    covariance: PyReadonlyArray1<'_, f64>,
    confidence: f64,
    horizon: usize,
    simulations: usize,
    seed: u64,
    revaluation: &str,
    interpolation: &str,
) -> PyResult<(f64, f64)> {
    let sim = simulation(simulations, seed, revaluation)?;
    let how = self::interpolation(interpolation)?;
    let (w, m, c) = (
        slice("exposures", &exposures)?,
        slice("mean", &mean)?,
        slice("covariance", &covariance)?,
    );
    py.detach(|| kernels::monte_carlo_var(w, m, c, confidence, horizon, sim, how))
        .map(pair)
        .map_err(to_py)
}

/// Sample covariance (ddof 1) of equal-length return columns, flat row-major.
#[pyfunction]
fn risk_covariance<'py>(
    py: Python<'py>,
    columns: Vec<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let cols: Vec<&[f64]> = columns
        .iter()
        .map(|c| slice("returns", c))
        .collect::<PyResult<_>>()?;
    let cov = py
        .detach(|| kernels::covariance_matrix(&cols))
        .map_err(to_py)?;
    Ok(PyArray1::from_vec(py, cov))
}

/// Beta of `returns` to `benchmark` (OLS slope).
#[pyfunction]
fn risk_beta(
    py: Python<'_>,
    returns: PyReadonlyArray1<'_, f64>,
    benchmark: PyReadonlyArray1<'_, f64>,
) -> PyResult<f64> {
    let (r, b) = (slice("returns", &returns)?, slice("benchmark", &benchmark)?);
    py.detach(|| kernels::beta(r, b)).map_err(to_py)
}

/// Pearson correlation of `returns` with `benchmark`.
#[pyfunction]
fn risk_correlation(
    py: Python<'_>,
    returns: PyReadonlyArray1<'_, f64>,
    benchmark: PyReadonlyArray1<'_, f64>,
) -> PyResult<f64> {
    let (r, b) = (slice("returns", &returns)?, slice("benchmark", &benchmark)?);
    py.detach(|| kernels::correlation(r, b)).map_err(to_py)
}

/// Registers the risk functions on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(risk_quantile, m)?)?;
    m.add_function(wrap_pyfunction!(risk_horizon_series, m)?)?;
    m.add_function(wrap_pyfunction!(risk_historical_var, m)?)?;
    m.add_function(wrap_pyfunction!(risk_portfolio_moments, m)?)?;
    m.add_function(wrap_pyfunction!(risk_parametric_var, m)?)?;
    m.add_function(wrap_pyfunction!(risk_simulate_pnl, m)?)?;
    m.add_function(wrap_pyfunction!(risk_monte_carlo_var, m)?)?;
    m.add_function(wrap_pyfunction!(risk_covariance, m)?)?;
    m.add_function(wrap_pyfunction!(risk_beta, m)?)?;
    m.add_function(wrap_pyfunction!(risk_correlation, m)?)?;
    Ok(())
}

//! Built-in Rust strategies, configured from Python: the compiled fast path.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use ferrox_engine::engine::strategies::{EmaCross, EmaCrossConfig, MarketMaker, MarketMakerConfig};
use ferrox_engine::engine::Strategy;

use crate::errors::config_error;

/// A compiled strategy chosen by name, with its settings (raw integers at
/// the instrument's precisions). Pass it to `BacktestEngine.run`.
#[pyclass(frozen, name = "RustStrategy", module = "ferrox._core")]
pub struct PyRustStrategy {
    /// `ema_cross` or `market_maker`.
    #[pyo3(get)]
    name: String,
    params: Py<PyDict>,
}

#[pymethods]
impl PyRustStrategy {
    /// `name` is `ema_cross` (instrument, fast, slow, quantity) or
    /// `market_maker` (instrument, tick, half_spread_ticks, quantity,
    /// max_position, skew_ticks).
    #[new]
    #[pyo3(signature = (name, **params))]
    fn new(py: Python<'_>, name: String, params: Option<Bound<'_, PyDict>>) -> PyResult<Self> {
        let params = params.unwrap_or_else(|| PyDict::new(py)).unbind();
        let this = Self { name, params };
        builtin_strategy(&this)?; // validate now, not at run time
        Ok(this)
    }

    /// The settings.
    #[getter]
    fn params(&self, py: Python<'_>) -> Py<PyDict> {
        self.params.clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!("RustStrategy({:?})", self.name)
    }
}

fn get(
    params: &Bound<'_, PyDict>,
    strategy: &str,
    key: &str,
    default: Option<i64>,
) -> PyResult<i64> {
    match params.get_item(key)? {
        Some(v) => v
            .extract::<i64>()
            .map_err(|e| config_error(format!("{strategy}.{key}: {e}"))),
        None => default.ok_or_else(|| config_error(format!("{strategy}: missing setting {key:?}"))),
    }
}

fn small<T: TryFrom<i64>>(value: i64, strategy: &str, key: &str) -> PyResult<T> {
    T::try_from(value)
        .map_err(|_| config_error(format!("{strategy}.{key}: {value} is out of range")))
}

/// The strategy a spec describes.
pub fn builtin_strategy(spec: &PyRustStrategy) -> PyResult<Box<dyn Strategy + Send>> {
    Python::attach(|py| {
        let p = spec.params.bind(py);
        match spec.name.as_str() {
            "ema_cross" => {
                let config = EmaCrossConfig {
                    instrument: small(
                        get(p, "ema_cross", "instrument", Some(0))?,
                        "ema_cross",
                        "instrument",
                    )?,
                    fast: small(get(p, "ema_cross", "fast", Some(10))?, "ema_cross", "fast")?,
                    slow: small(get(p, "ema_cross", "slow", Some(30))?, "ema_cross", "slow")?,
                    quantity: get(p, "ema_cross", "quantity", None)?,
                };
                if config.fast == 0 || config.fast >= config.slow || config.quantity <= 0 {
                    return Err(config_error(format!(
                        "ema_cross: need 0 < fast < slow and quantity > 0, got {config:?}"
                    )));
                }
                Ok(Box::new(EmaCross::new(config)) as Box<dyn Strategy + Send>)
            }
            "market_maker" => {
                let config = MarketMakerConfig {
                    instrument: small(
                        get(p, "market_maker", "instrument", Some(0))?,
                        "market_maker",
                        "instrument",
                    )?,
                    tick: get(p, "market_maker", "tick", None)?,
                    half_spread_ticks: get(p, "market_maker", "half_spread_ticks", Some(1))?,
                    quantity: get(p, "market_maker", "quantity", None)?,
                    max_position: get(p, "market_maker", "max_position", None)?,
                    skew_ticks: get(p, "market_maker", "skew_ticks", Some(1))?,
                };
                if config.tick <= 0 || config.quantity <= 0 || config.max_position < config.quantity
                {
                    return Err(config_error(format!(
                        "market_maker: need tick > 0, quantity > 0, max_position >= quantity, got {config:?}"
                    )));
                }
                Ok(Box::new(MarketMaker::new(config)) as Box<dyn Strategy + Send>)
            }
            other => Err(config_error(format!(
                "unknown Rust strategy {other:?} (built in: ema_cross, market_maker)"
            ))),
        }
    })
}

/// Registers the class.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRustStrategy>()?;
    Ok(())
}

//! Built-in Rust strategies, configured from Python: the compiled fast path.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use ferrox_engine::engine::strategies::registry::{self, REGISTRY};
use ferrox_engine::engine::Strategy;

use crate::errors::config_error;

/// A compiled strategy chosen by name, with its settings (raw integers at
/// the instrument's precisions). Pass it to `BacktestEngine.run`.
#[pyclass(frozen, name = "RustStrategy", module = "ferrox._core")]
pub struct PyRustStrategy {
    /// The registry name (`ema_cross`, `market_maker`, ...).
    #[pyo3(get)]
    name: String,
    params: Py<PyDict>,
}

#[pymethods]
impl PyRustStrategy {
    /// `name` is a registered compiled strategy (see `available()`), the
    /// settings its documented integer settings.
    #[new]
    #[pyo3(signature = (name, **params))]
    fn new(py: Python<'_>, name: String, params: Option<Bound<'_, PyDict>>) -> PyResult<Self> {
        let params = params.unwrap_or_else(|| PyDict::new(py)).unbind();
        let this = Self { name, params };
        builtin_strategy(&this)?; // validate now, not at run time
        Ok(this)
    }

    /// Every registered compiled strategy: name, summary and settings
    /// (key, default or None when required, meaning).
    #[staticmethod]
    fn available(py: Python<'_>) -> PyResult<Vec<Py<PyDict>>> {
        REGISTRY
            .iter()
            .map(|f| {
                let d = PyDict::new(py);
                d.set_item("name", f.name)?;
                d.set_item("summary", f.summary)?;
                let settings: Vec<(&str, Option<i64>, &str)> = f
                    .settings
                    .iter()
                    .map(|s| (s.key, s.default, s.doc))
                    .collect();
                d.set_item("settings", settings)?;
                Ok(d.unbind())
            })
            .collect()
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

/// The strategy a spec describes, built through the engine's registry.
pub fn builtin_strategy(spec: &PyRustStrategy) -> PyResult<Box<dyn Strategy + Send>> {
    Python::attach(|py| {
        let mut values = Vec::new();
        for (key, value) in spec.params.bind(py).iter() {
            let key: String = key.extract()?;
            let value: i64 = value.extract().map_err(|_| {
                config_error(format!(
                    "{}.{key}: expected an integer (raw at the instrument's precision), got {value}",
                    spec.name
                ))
            })?;
            values.push((key, value));
        }
        registry::build(&spec.name, &values).map_err(|e| config_error(e.to_string()))
    })
}

/// Registers the class.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRustStrategy>()?;
    Ok(())
}

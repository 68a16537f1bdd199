//! Maps engine errors onto the Python `ferrox.errors` hierarchy.
//!
//! The exception classes are defined in Python (`ferrox/errors.py`) so that
//! `DataError` can be both a `FerroxError` and a `ValueError`; they are looked
//! up once and cached.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use ferrox_engine::types::FixedError;

fn error_class(
    py: Python<'_>,
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
) -> PyResult<Py<PyType>> {
    cell.get_or_try_init(py, || {
        let module = py.import("ferrox.errors")?;
        let class = module.getattr(name)?.cast_into::<PyType>()?;
        Ok::<_, PyErr>(class.unbind())
    })
    .map(|c| c.clone_ref(py))
}

/// A `ferrox.errors.DataError` with `message`.
pub fn data_error(message: impl Into<String>) -> PyErr {
    let message = message.into();
    Python::attach(|py| {
        static CELL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        match error_class(py, &CELL, "DataError") {
            Ok(class) => PyErr::from_type(class.into_bound(py), message),
            Err(e) => e,
        }
    })
}

/// A `ferrox.errors.ConfigError` with `message`.
#[allow(dead_code)] // used by the loaders and engine bindings as they land
pub fn config_error(message: impl Into<String>) -> PyErr {
    let message = message.into();
    Python::attach(|py| {
        static CELL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        match error_class(py, &CELL, "ConfigError") {
            Ok(class) => PyErr::from_type(class.into_bound(py), message),
            Err(e) => e,
        }
    })
}

/// Fixed-point errors are data errors: the text did not hold a valid value.
pub fn fixed_error(err: FixedError) -> PyErr {
    data_error(err.to_string())
}

//! Column kernels: exact decimal parsing of Arrow string columns.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use ferrox_engine::data::decimals::StrColumn;

use crate::errors::data_error;

/// Parses an Arrow `large_string` column, given as its offsets (int64) and
/// data (uint8) buffers, into raw int64 values at `precision`. Raises
/// `DataError` naming the row and text of the first value that is not an
/// exact decimal at that precision.
#[pyfunction]
#[pyo3(signature = (offsets, data, precision))]
fn parse_decimal_column<'py>(
    py: Python<'py>,
    offsets: PyReadonlyArray1<'py, i64>,
    data: PyReadonlyArray1<'py, u8>,
    precision: u8,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let offsets = offsets.as_slice()?;
    let data = data.as_slice()?;
    let result = py.detach(|| {
        let col = StrColumn::new(offsets, data);
        let mut out = Vec::with_capacity(col.len());
        col.parse_into(precision, &mut out).map(|_| out)
    });
    match result {
        Ok(out) => Ok(PyArray1::from_vec(py, out)),
        Err(e) => Err(data_error(format!("row {}: {}", e.row, e.error))),
    }
}

/// The number of significant decimals needed to hold every row of an Arrow
/// `large_string` column exactly.
#[pyfunction]
fn max_decimals_column(
    py: Python<'_>,
    offsets: PyReadonlyArray1<'_, i64>,
    data: PyReadonlyArray1<'_, u8>,
) -> PyResult<u32> {
    let offsets = offsets.as_slice()?;
    let data = data.as_slice()?;
    Ok(py.detach(|| StrColumn::new(offsets, data).max_decimals()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse_decimal_column, m)?)?;
    m.add_function(wrap_pyfunction!(max_decimals_column, m)?)?;
    Ok(())
}

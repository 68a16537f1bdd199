//! Bindings for `ferrox_research::factors`: parse/plan helpers and the panel
//! evaluator (GIL released). The typed API (`ferrox.factors`) lives in Python.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use ferrox_research::factors::plan::OPERATORS;
use ferrox_research::factors::{evaluate, FactorError, Panel, Plan};

use crate::errors::{config_error, data_error};

fn to_py(err: FactorError) -> PyErr {
    match err {
        FactorError::Panel(_) => data_error(err.to_string()),
        _ => config_error(err.to_string()),
    }
}

/// The `$fields` the expressions use: (name, expression index, position).
#[pyfunction]
fn factor_fields(expressions: Vec<String>) -> PyResult<Vec<(String, usize, usize)>> {
    let texts: Vec<&str> = expressions.iter().map(String::as_str).collect();
    Plan::referenced_fields(&texts).map_err(to_py)
}

/// Node counts of the expressions' graph: (without sharing, with sharing).
#[pyfunction]
fn factor_plan_size(expressions: Vec<String>, fields: Vec<String>) -> PyResult<(usize, usize)> {
    let texts: Vec<&str> = expressions.iter().map(String::as_str).collect();
    let names: Vec<&str> = fields.iter().map(String::as_str).collect();
    let plan = Plan::build(&texts, &names, true).map_err(to_py)?;
    Ok((plan.tree_nodes, plan.nodes.len()))
}

/// The operator names of the expression language.
#[pyfunction]
fn factor_operators() -> Vec<&'static str> {
    OPERATORS.to_vec()
}

/// Evaluates `expressions` over a panel given as float64 columns (rows sorted
/// by instrument then time), instrument row `offsets` and each row's calendar
/// position; returns one float64 array per expression.
#[pyfunction]
#[pyo3(signature = (expressions, field_names, fields, offsets, time_pos, n_times, dedup=true))]
#[allow(clippy::too_many_arguments)]
fn factor_compute<'py>(
    py: Python<'py>,
    expressions: Vec<String>,
    field_names: Vec<String>,
    fields: Vec<PyReadonlyArray1<'py, f64>>,
    offsets: PyReadonlyArray1<'py, i64>,
    time_pos: PyReadonlyArray1<'py, i64>,
    n_times: usize,
    dedup: bool,
) -> PyResult<Vec<Bound<'py, PyArray1<f64>>>> {
    let texts: Vec<&str> = expressions.iter().map(String::as_str).collect();
    let names: Vec<&str> = field_names.iter().map(String::as_str).collect();
    if names.len() != fields.len() {
        return Err(data_error(format!(
            "{} field names for {} field arrays",
            names.len(),
            fields.len()
        )));
    }
    let plan = Plan::build(&texts, &names, dedup).map_err(to_py)?;
    let contiguous = |e| data_error(format!("panel arrays must be contiguous ({e})"));
    let cols: Vec<&[f64]> = fields
        .iter()
        .map(|a| a.as_slice())
        .collect::<Result<_, _>>()
        .map_err(contiguous)?;
    let offsets: Vec<usize> = offsets
        .as_slice()
        .map_err(contiguous)?
        .iter()
        .map(|&o| usize::try_from(o).map_err(|_| data_error(format!("negative offset {o}"))))
        .collect::<PyResult<_>>()?;
    let time_pos = time_pos.as_slice().map_err(contiguous)?;
    let panel = Panel {
        fields: cols,
        offsets: &offsets,
        time_pos,
        n_times,
    };
    let out = py.detach(|| evaluate(&plan, &panel)).map_err(to_py)?;
    Ok(out.into_iter().map(|c| c.into_pyarray(py)).collect())
}

/// Registers the factor functions on `m`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(factor_fields, m)?)?;
    m.add_function(wrap_pyfunction!(factor_plan_size, m)?)?;
    m.add_function(wrap_pyfunction!(factor_operators, m)?)?;
    m.add_function(wrap_pyfunction!(factor_compute, m)?)?;
    Ok(())
}

//! Bindings for `ferrox_engine::indicators`: the catalogue, the batch kernel
//! (GIL released) and a streaming class. The typed per-indicator API lives in
//! Python (`ferrox.ta`), generated from the catalogue.

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use ferrox_engine::indicators::registry::AnyStream;
use ferrox_engine::indicators::{build, spec, IndicatorError, ParamKind, Slot, SPECS};

use crate::errors::{config_error, data_error};

fn to_py(err: IndicatorError) -> PyErr {
    if err.is_param_error() {
        config_error(err.to_string())
    } else {
        data_error(err.to_string())
    }
}

/// Every indicator of the catalogue as dicts: name, group, summary, inputs,
/// params (name, kind, default, min, max), outputs, talib.
#[pyfunction]
fn ta_specs(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let out = PyList::empty(py);
    for s in SPECS {
        let d = PyDict::new(py);
        d.set_item("name", s.name)?;
        d.set_item("group", s.group)?;
        d.set_item("summary", s.summary)?;
        d.set_item("inputs", s.inputs.to_vec())?;
        d.set_item("outputs", s.outputs.to_vec())?;
        d.set_item("talib", s.talib)?;
        let params = PyList::empty(py);
        for p in s.params {
            let pd = PyDict::new(py);
            pd.set_item("name", p.name)?;
            let kind = match p.kind {
                ParamKind::Int => "int",
                ParamKind::Float => "float",
                ParamKind::MaType => "matype",
            };
            pd.set_item("kind", kind)?;
            pd.set_item("default", p.default)?;
            pd.set_item("min", p.min)?;
            pd.set_item("max", p.max)?;
            params.append(pd)?;
        }
        d.set_item("params", params)?;
        out.append(d)?;
    }
    Ok(out)
}

/// Warm-up length (TA-Lib's lookback) of `name` with `params`.
#[pyfunction]
fn ta_lookback(name: &str, params: Vec<f64>) -> PyResult<usize> {
    Ok(build(name, &params).map_err(to_py)?.lookback())
}

/// Computes `name` over float64 input columns of equal length; returns one
/// float64 array per output, NaN during warm-up.
#[pyfunction]
fn ta_compute<'py>(
    py: Python<'py>,
    name: &str,
    inputs: Vec<PyReadonlyArray1<'py, f64>>,
    params: Vec<f64>,
) -> PyResult<Vec<Bound<'py, PyArray1<f64>>>> {
    let mut ind = build(name, &params).map_err(to_py)?;
    let cols: Vec<&[f64]> = inputs
        .iter()
        .map(|a| a.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| {
            data_error(format!(
                "{name}: inputs must be contiguous float64 arrays ({e})"
            ))
        })?;
    let n = cols.first().map_or(0, |c| c.len());
    // The outputs are numpy's own fresh arrays, written once by the kernel (as
    // talib does): no zeroing pass, and numpy's allocator reuses freed memory.
    // SAFETY: `PyArray1::new` returns a fresh, unshared, C-contiguous array of
    // `n` f64; it is only seen as `MaybeUninit` cells until the kernel has
    // written every one of them.
    let arrays: Vec<Bound<'py, PyArray1<f64>>> = (0..ind.n_outputs())
        .map(|_| unsafe { PyArray1::<f64>::new(py, [n], false) })
        .collect();
    let mut slots: Vec<&mut [Slot]> = arrays
        .iter()
        // SAFETY: as above; each view covers exactly one array's `n` cells.
        .map(|a| unsafe { std::slice::from_raw_parts_mut(a.data().cast::<Slot>(), n) })
        .collect();
    py.detach(|| ind.compute_into(&cols, &mut slots))
        .map_err(|e| data_error(format!("{name}: {e}")))?;
    Ok(arrays)
}

/// One indicator updated one bar at a time; the same state machine as the
/// batch kernel, so feeding a series bar by bar gives the batch result.
#[pyclass(module = "ferrox._core")]
pub struct TaStream {
    name: &'static str,
    stream: AnyStream,
    n_inputs: usize,
    n_outputs: usize,
    row_in: Vec<f64>,
    row_out: Vec<f64>,
}

#[pymethods]
impl TaStream {
    #[new]
    fn new(name: &str, params: Vec<f64>) -> PyResult<Self> {
        let ind = build(name, &params).map_err(to_py)?;
        let s = spec(name).ok_or_else(|| config_error(format!("unknown indicator {name:?}")))?;
        let (n_inputs, n_outputs) = (ind.n_inputs(), ind.n_outputs());
        Ok(Self {
            name: s.name,
            stream: AnyStream::new(ind),
            n_inputs,
            n_outputs,
            row_in: vec![0.0; n_inputs],
            row_out: vec![0.0; n_outputs],
        })
    }

    /// Feeds one bar (one value per input); returns the value (a tuple for
    /// several outputs), NaN during warm-up.
    #[pyo3(signature = (*values))]
    fn update<'py>(
        &mut self,
        py: Python<'py>,
        values: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if values.len() != self.n_inputs {
            return Err(data_error(format!(
                "{}.update takes {} values per bar, got {}",
                self.name,
                self.n_inputs,
                values.len()
            )));
        }
        // Into a buffer kept across calls: no allocation per bar.
        for (slot, value) in self.row_in.iter_mut().zip(values.iter()) {
            *slot = value.extract::<f64>()?;
        }
        self.stream.update(&self.row_in, &mut self.row_out);
        if self.n_outputs == 1 {
            Ok(self.row_out[0].into_pyobject(py)?.into_any())
        } else {
            Ok(PyTuple::new(py, &self.row_out)?.into_any())
        }
    }

    /// Feeds many bars (one array per input), continuing the stream; returns
    /// one array per output.
    fn update_many<'py>(
        &mut self,
        py: Python<'py>,
        inputs: Vec<PyReadonlyArray1<'py, f64>>,
    ) -> PyResult<Vec<Bound<'py, PyArray1<f64>>>> {
        let name = self.name;
        if inputs.len() != self.n_inputs {
            return Err(data_error(format!(
                "{name}.update_many takes {} arrays, got {}",
                self.n_inputs,
                inputs.len()
            )));
        }
        let cols: Vec<&[f64]> = inputs
            .iter()
            .map(|a| a.as_slice())
            .collect::<Result<_, _>>()
            .map_err(|e| {
                data_error(format!(
                    "{name}: inputs must be contiguous float64 arrays ({e})"
                ))
            })?;
        let n = cols.first().map_or(0, |c| c.len());
        if let Some((k, c)) = cols.iter().enumerate().find(|(_, c)| c.len() != n) {
            return Err(data_error(format!(
                "{name}: input {k} has {} rows, expected {n} like the first input",
                c.len()
            )));
        }
        let (n_in, n_out) = (self.n_inputs, self.n_outputs);
        let stream = &mut self.stream;
        let outs = py.detach(|| {
            let mut outs: Vec<Vec<f64>> = (0..n_out).map(|_| vec![0.0; n]).collect();
            let mut row = vec![0.0; n_in];
            let mut out = vec![0.0; n_out];
            for i in 0..n {
                for (r, c) in row.iter_mut().zip(&cols) {
                    *r = c[i];
                }
                stream.update(&row, &mut out);
                for (o, &v) in outs.iter_mut().zip(&out) {
                    o[i] = v;
                }
            }
            outs
        });
        Ok(outs
            .into_iter()
            .map(|v| PyArray1::from_vec(py, v))
            .collect())
    }

    /// Forgets every bar seen, keeping the parameters.
    fn reset(&mut self) {
        self.stream.reset();
    }

    /// The indicator's name.
    #[getter]
    fn name(&self) -> &'static str {
        self.name
    }

    /// Warm-up length: outputs are NaN for this many bars.
    #[getter]
    fn lookback(&self) -> usize {
        self.stream.indicator().lookback()
    }

    /// Number of values per bar in.
    #[getter]
    fn n_inputs(&self) -> usize {
        self.n_inputs
    }

    /// Number of values per bar out.
    #[getter]
    fn n_outputs(&self) -> usize {
        self.n_outputs
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ta_specs, m)?)?;
    m.add_function(wrap_pyfunction!(ta_lookback, m)?)?;
    m.add_function(wrap_pyfunction!(ta_compute, m)?)?;
    m.add_class::<TaStream>()?;
    Ok(())
}

//! Bindings for `ferrox_research::vectorized`: the three simulators over
//! flattened column-major numpy columns (GIL released), results as dicts of
//! numpy arrays. The typed API lives in `ferrox.research.vectorized`.

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use ferrox_research::vectorized::{
    simulate_orders, simulate_signals, simulate_target, ColumnParams, ExecPrice, Matrix, Outputs,
    Prices, Records, Signals, SimError, SimOptions, SizeType,
};

use crate::errors::{config_error, data_error};

fn to_py(err: SimError) -> PyErr {
    match err {
        SimError::Param { .. } | SimError::Config(_) => config_error(err.to_string()),
        SimError::Shape { .. } | SimError::MissingPrice { .. } => data_error(err.to_string()),
    }
}

fn matrix<'a, T: Copy>(
    name: &'static str,
    data: &'a [T],
    n_rows: usize,
) -> PyResult<Matrix<'a, T>> {
    if n_rows == 0 || data.len() % n_rows != 0 {
        return Err(data_error(format!(
            "{name}: {} cells do not make whole columns of {n_rows} rows",
            data.len()
        )));
    }
    Matrix::new(name, data, n_rows, data.len() / n_rows).map_err(to_py)
}

fn slice<'a, T: numpy::Element>(
    name: &str,
    array: &'a PyReadonlyArray1<'_, T>,
) -> PyResult<&'a [T]> {
    array
        .as_slice()
        .map_err(|e| data_error(format!("{name}: expected a contiguous array ({e})")))
}

fn opt_slice<'a, T: numpy::Element>(
    name: &str,
    array: &'a Option<PyReadonlyArray1<'_, T>>,
) -> PyResult<Option<&'a [T]>> {
    array.as_ref().map(|a| slice(name, a)).transpose()
}

fn size_type(name: &str) -> PyResult<SizeType> {
    match name {
        "amount" => Ok(SizeType::Amount),
        "value" => Ok(SizeType::Value),
        "percent" => Ok(SizeType::Percent),
        other => Err(config_error(format!(
            "size_type: expected 'amount', 'value' or 'percent', got {other:?}"
        ))),
    }
}

fn exec_price(name: &str) -> PyResult<ExecPrice> {
    match name {
        "close" => Ok(ExecPrice::Close),
        "next_open" => Ok(ExecPrice::NextOpen),
        other => Err(config_error(format!(
            "price: expected 'close' or 'next_open', got {other:?}"
        ))),
    }
}

type F64s<'py> = PyReadonlyArray1<'py, f64>;
type Bools<'py> = PyReadonlyArray1<'py, bool>;

/// Per-column parameters in order: size, fees, fixed_fees, slippage,
/// sl_stop, tp_stop, tsl_stop.
type ParamArrays<'py> = (
    F64s<'py>,
    F64s<'py>,
    F64s<'py>,
    F64s<'py>,
    F64s<'py>,
    F64s<'py>,
    F64s<'py>,
);

fn params<'a>(p: &'a ParamArrays<'_>) -> PyResult<ColumnParams<'a>> {
    Ok(ColumnParams {
        size: slice("size", &p.0)?,
        fees: slice("fees", &p.1)?,
        fixed_fees: slice("fixed_fees", &p.2)?,
        slippage: slice("slippage", &p.3)?,
        sl_stop: slice("sl_stop", &p.4)?,
        tp_stop: slice("tp_stop", &p.5)?,
        tsl_stop: slice("tsl_stop", &p.6)?,
    })
}

/// Close, open, high, low.
type PriceArrays<'py> = (
    F64s<'py>,
    Option<F64s<'py>>,
    Option<F64s<'py>>,
    Option<F64s<'py>>,
);

fn prices<'a>(p: &'a PriceArrays<'_>, n_rows: usize) -> PyResult<Prices<'a>> {
    let opt = |name: &'static str, a: &'a Option<F64s<'_>>| -> PyResult<Option<Matrix<'a, f64>>> {
        opt_slice(name, a)?
            .map(|s| matrix(name, s, n_rows))
            .transpose()
    };
    Ok(Prices {
        close: matrix("close", slice("close", &p.0)?, n_rows)?,
        open: opt("open", &p.1)?,
        high: opt("high", &p.2)?,
        low: opt("low", &p.3)?,
    })
}

/// Fresh zeroed numpy outputs (numpy's allocator: lazily zeroed, huge pages
/// for large arrays): equity per group, and with `record_all` cash per group
/// and position per column too (otherwise Python rebuilds them from fills).
struct Buffers<'py> {
    equity: Bound<'py, PyArray1<f64>>,
    cash: Option<Bound<'py, PyArray1<f64>>>,
    position: Option<Bound<'py, PyArray1<f64>>>,
}

impl<'py> Buffers<'py> {
    fn new(py: Python<'py>, n_rows: usize, group_lens: &[usize], record_all: bool) -> Self {
        let n_cols: usize = group_lens.iter().sum();
        let n_groups = group_lens.len();
        let zeros = |n: usize| PyArray1::<f64>::zeros(py, [n], false);
        Self {
            equity: zeros(n_rows * n_groups),
            cash: record_all.then(|| zeros(n_rows * n_groups)),
            position: record_all.then(|| zeros(n_rows * n_cols)),
        }
    }

    /// Runs `simulate` on the buffers with the GIL released.
    fn fill(
        &self,
        py: Python<'_>,
        simulate: impl FnOnce(Outputs<'_>) -> Result<Records, SimError> + Send,
    ) -> PyResult<Records> {
        // SAFETY: the arrays were created above and are not yet shared with
        // Python code, so these are the only views of their memory.
        let (equity, cash, position) = unsafe {
            (
                self.equity.as_slice_mut()?,
                self.cash.as_ref().map(|a| a.as_slice_mut()).transpose()?,
                self.position
                    .as_ref()
                    .map(|a| a.as_slice_mut())
                    .transpose()?,
            )
        };
        py.detach(|| {
            simulate(Outputs {
                cash,
                equity,
                position,
            })
        })
        .map_err(to_py)
    }
}

fn output<'py>(
    py: Python<'py>,
    buffers: Buffers<'py>,
    out: Records,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("equity", buffers.equity)?;
    dict.set_item("cash", buffers.cash)?;
    dict.set_item("position", buffers.position)?;
    let f = out.fills;
    let fills = PyDict::new(py);
    fills.set_item("row", PyArray1::from_vec(py, f.row))?;
    fills.set_item("col", PyArray1::from_vec(py, f.col))?;
    fills.set_item("side", PyArray1::from_vec(py, f.side))?;
    fills.set_item("size", PyArray1::from_vec(py, f.size))?;
    fills.set_item("price", PyArray1::from_vec(py, f.price))?;
    fills.set_item("fee", PyArray1::from_vec(py, f.fee))?;
    fills.set_item("reason", PyArray1::from_vec(py, f.reason))?;
    fills.set_item("position", PyArray1::from_vec(py, f.position))?;
    fills.set_item("cash", PyArray1::from_vec(py, f.cash))?;
    dict.set_item("fills", fills)?;
    let t = out.trades;
    let trades = PyDict::new(py);
    trades.set_item("col", PyArray1::from_vec(py, t.col))?;
    trades.set_item("side", PyArray1::from_vec(py, t.side))?;
    trades.set_item("entry_row", PyArray1::from_vec(py, t.entry_row))?;
    trades.set_item("exit_row", PyArray1::from_vec(py, t.exit_row))?;
    trades.set_item("size", PyArray1::from_vec(py, t.size))?;
    trades.set_item("entry_price", PyArray1::from_vec(py, t.entry_price))?;
    trades.set_item("exit_price", PyArray1::from_vec(py, t.exit_price))?;
    trades.set_item("pnl", PyArray1::from_vec(py, t.pnl))?;
    trades.set_item("ret", PyArray1::from_vec(py, t.ret))?;
    dict.set_item("trades", trades)?;
    Ok(dict)
}

/// Simulates entry/exit signals over column-major columns of `n_rows` rows.
#[pyfunction]
#[pyo3(signature = (n_rows, prices, entries, exits, short_entries, short_exits, params, size_type, price, group_lens, init_cash, record_all = false))]
#[allow(clippy::too_many_arguments)]
fn vsim_signals<'py>(
    py: Python<'py>,
    n_rows: usize,
    prices: PriceArrays<'py>,
    entries: Bools<'py>,
    exits: Bools<'py>,
    short_entries: Option<Bools<'py>>,
    short_exits: Option<Bools<'py>>,
    params: ParamArrays<'py>,
    size_type: &str,
    price: &str,
    group_lens: Vec<usize>,
    init_cash: F64s<'py>,
    record_all: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let p = self::prices(&prices, n_rows)?;
    let (se, sx) = (
        opt_slice("short_entries", &short_entries)?,
        opt_slice("short_exits", &short_exits)?,
    );
    let signals = Signals {
        entries: matrix("entries", slice("entries", &entries)?, n_rows)?,
        exits: matrix("exits", slice("exits", &exits)?, n_rows)?,
        short_entries: se.map(|s| matrix("short_entries", s, n_rows)).transpose()?,
        short_exits: sx.map(|s| matrix("short_exits", s, n_rows)).transpose()?,
    };
    let params = self::params(&params)?;
    let options = SimOptions {
        size_type: self::size_type(size_type)?,
        price: exec_price(price)?,
        group_lens: &group_lens,
        init_cash: slice("init_cash", &init_cash)?,
    };
    let buffers = Buffers::new(py, n_rows, &group_lens, record_all);
    let out = buffers.fill(py, |o| simulate_signals(p, signals, params, options, o))?;
    output(py, buffers, out)
}

/// Simulates target positions (NaN = no change).
#[pyfunction]
#[pyo3(signature = (n_rows, prices, target, params, size_type, price, group_lens, init_cash, record_all = false))]
#[allow(clippy::too_many_arguments)]
fn vsim_target<'py>(
    py: Python<'py>,
    n_rows: usize,
    prices: PriceArrays<'py>,
    target: F64s<'py>,
    params: ParamArrays<'py>,
    size_type: &str,
    price: &str,
    group_lens: Vec<usize>,
    init_cash: F64s<'py>,
    record_all: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let p = self::prices(&prices, n_rows)?;
    let target = matrix("target", slice("target", &target)?, n_rows)?;
    let params = self::params(&params)?;
    let options = SimOptions {
        size_type: self::size_type(size_type)?,
        price: exec_price(price)?,
        group_lens: &group_lens,
        init_cash: slice("init_cash", &init_cash)?,
    };
    let buffers = Buffers::new(py, n_rows, &group_lens, record_all);
    let out = buffers.fill(py, |o| simulate_target(p, target, params, options, o))?;
    output(py, buffers, out)
}

/// Simulates explicit signed order sizes (NaN = none).
#[pyfunction]
#[pyo3(signature = (n_rows, prices, size, params, size_type, price, group_lens, init_cash, record_all = false))]
#[allow(clippy::too_many_arguments)]
fn vsim_orders<'py>(
    py: Python<'py>,
    n_rows: usize,
    prices: PriceArrays<'py>,
    size: F64s<'py>,
    params: ParamArrays<'py>,
    size_type: &str,
    price: &str,
    group_lens: Vec<usize>,
    init_cash: F64s<'py>,
    record_all: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let p = self::prices(&prices, n_rows)?;
    let size = matrix("size", slice("size", &size)?, n_rows)?;
    let params = self::params(&params)?;
    let options = SimOptions {
        size_type: self::size_type(size_type)?,
        price: exec_price(price)?,
        group_lens: &group_lens,
        init_cash: slice("init_cash", &init_cash)?,
    };
    let buffers = Buffers::new(py, n_rows, &group_lens, record_all);
    let out = buffers.fill(py, |o| simulate_orders(p, size, params, options, o))?;
    output(py, buffers, out)
}

/// Registers the vectorised simulators.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(vsim_signals, m)?)?;
    m.add_function(wrap_pyfunction!(vsim_target, m)?)?;
    m.add_function(wrap_pyfunction!(vsim_orders, m)?)?;
    Ok(())
}

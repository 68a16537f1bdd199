//! Bindings for the Binance capture reader: an iterator of columnar chunks.

use std::io::BufRead;
use std::sync::Mutex;

use numpy::{Element, PyArray1};
use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use ferrox_engine::data::binance::{
    BinanceReader, Chunk, DeltaColumns, ErrorMode, InstrumentEntry, InstrumentSpec, QuoteColumns,
    ReaderOptions, TradeColumns, Venue,
};
use ferrox_engine::types::{InstrumentId, Price, Quantity};

use crate::errors::{config_error, data_error};

type Reader = BinanceReader<Box<dyn BufRead + Send>>;

/// One instrument of the reader's table: id, price and size precisions
/// (`None` until a value was seen) and whether they were defined.
type InstrumentRow = (String, Option<u8>, Option<u8>, bool);

/// Reads a Binance combined-stream capture (`LOCAL_RECV_NS JSON` lines,
/// plain or gzip) chunk by chunk; each chunk is parsed with the GIL released.
#[pyclass(module = "ferrox._core", name = "BinanceReader")]
pub struct PyBinanceReader {
    // The input (a gzip decoder) may move between threads but not be shared;
    // the lock makes the class shareable as PyO3 requires, and is never contended.
    reader: Mutex<Reader>,
    path: String,
}

fn error_mode(text: &str) -> PyResult<ErrorMode> {
    match text {
        "fail" => Ok(ErrorMode::Fail),
        "skip" => Ok(ErrorMode::Skip),
        "quarantine" => Ok(ErrorMode::Quarantine),
        other => Err(config_error(format!(
            "on_error: unknown mode {other:?}; expected 'fail', 'skip' or 'quarantine'"
        ))),
    }
}

fn decimals(text: &str) -> u8 {
    text.split_once('.')
        .map_or(0, |(_, frac)| u8::try_from(frac.len()).unwrap_or(u8::MAX))
}

fn spec(id: &str, tick: &str, lot: &str) -> PyResult<InstrumentSpec> {
    let bad = |what: &str, text: &str, err: String| {
        config_error(format!("instruments: {id}: {what} {text:?}: {err}"))
    };
    Ok(InstrumentSpec {
        id: id
            .parse::<InstrumentId>()
            .map_err(|e| config_error(format!("instruments: {e}")))?,
        price_increment: Price::parse(tick, decimals(tick))
            .map_err(|e| bad("price increment", tick, e.to_string()))?,
        size_increment: Quantity::parse(lot, decimals(lot))
            .map_err(|e| bad("size increment", lot, e.to_string()))?,
    })
}

#[pymethods]
impl PyBinanceReader {
    #[new]
    #[pyo3(signature = (path, on_error="fail", instruments=None, venue=None, symbol=None, chunk_messages=65536))]
    fn new(
        path: &str,
        on_error: &str,
        instruments: Option<Vec<(String, String, String)>>,
        venue: Option<&str>,
        symbol: Option<String>,
        chunk_messages: usize,
    ) -> PyResult<Self> {
        if chunk_messages == 0 {
            return Err(config_error("chunk_messages: must be at least 1"));
        }
        let options = ReaderOptions {
            on_error: error_mode(on_error)?,
            venue: venue
                .map(|v| v.parse::<Venue>())
                .transpose()
                .map_err(|e| config_error(format!("venue: {e}")))?,
            symbol,
            instruments: instruments
                .unwrap_or_default()
                .iter()
                .map(|(id, tick, lot)| spec(id, tick, lot))
                .collect::<PyResult<_>>()?,
            chunk_messages,
        };
        let reader = BinanceReader::open(path, options)?;
        Ok(Self {
            reader: Mutex::new(reader),
            path: path.to_owned(),
        })
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<PyBinanceChunk> {
        let reader = self.reader.get_mut().map_err(|_| poisoned())?;
        let result = py.detach(|| reader.next_chunk());
        match result {
            Ok(Some(chunk)) => PyBinanceChunk::new(py, chunk, reader.instruments()),
            Ok(None) => Err(PyStopIteration::new_err(())),
            Err(e) => Err(data_error(format!(
                "{}:{}: {}",
                self.path, e.line, e.reason
            ))),
        }
    }

    /// The capture's path, as given.
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    /// The instruments seen so far: `(id, price_precision, size_precision, defined)`.
    fn instruments(&self) -> PyResult<Vec<InstrumentRow>> {
        let reader = self.reader.lock().map_err(|_| poisoned())?;
        Ok(instrument_rows(reader.instruments()))
    }
}

fn poisoned() -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err("the reader failed earlier and cannot continue")
}

fn instrument_rows(table: &[InstrumentEntry]) -> Vec<InstrumentRow> {
    table
        .iter()
        .map(|e| {
            (
                e.id.to_string(),
                e.price_precision,
                e.size_precision,
                e.defined,
            )
        })
        .collect()
}

/// One chunk of a capture: numpy columns per kind (each with an `instrument`
/// column indexing `instruments`), the instrument table as of the chunk's
/// end, and the lines refused in skip or quarantine mode.
#[pyclass(module = "ferrox._core", name = "BinanceChunk", frozen)]
pub struct PyBinanceChunk {
    /// `trade` stream rows.
    #[pyo3(get)]
    trades: Py<PyDict>,
    /// `aggTrade` stream rows.
    #[pyo3(get)]
    agg_trades: Py<PyDict>,
    /// `bookTicker` rows.
    #[pyo3(get)]
    quotes: Py<PyDict>,
    /// Depth diff and snapshot rows.
    #[pyo3(get)]
    deltas: Py<PyDict>,
    /// `(id, price_precision, size_precision, defined)` per instrument index.
    #[pyo3(get)]
    instruments: Py<PyList>,
    /// `(line, reason, raw text or None)` per refused line.
    #[pyo3(get)]
    rejected: Py<PyList>,
    /// 1-based number of the last line read into the chunk.
    #[pyo3(get)]
    last_line: u64,
}

fn put<T: Element>(dict: &Bound<'_, PyDict>, name: &str, column: Vec<T>) -> PyResult<()> {
    // from_vec hands the Vec's buffer to numpy without copying.
    dict.set_item(name, PyArray1::from_vec(dict.py(), column))
}

fn trade_dict<'py>(py: Python<'py>, c: TradeColumns) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    put(&d, "instrument", c.instrument)?;
    put(&d, "ts_event", c.ts_event)?;
    put(&d, "ts_init", c.ts_init)?;
    put(&d, "price", c.price)?;
    put(&d, "size", c.size)?;
    put(&d, "aggressor_side", c.aggressor_side)?;
    put(&d, "trade_id", c.trade_id)?;
    Ok(d)
}

fn quote_dict<'py>(py: Python<'py>, c: QuoteColumns) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    put(&d, "instrument", c.instrument)?;
    put(&d, "ts_event", c.ts_event)?;
    put(&d, "ts_init", c.ts_init)?;
    put(&d, "bid_price", c.bid_price)?;
    put(&d, "ask_price", c.ask_price)?;
    put(&d, "bid_size", c.bid_size)?;
    put(&d, "ask_size", c.ask_size)?;
    put(&d, "update_id", c.update_id)?;
    Ok(d)
}

fn delta_dict<'py>(py: Python<'py>, c: DeltaColumns) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    put(&d, "instrument", c.instrument)?;
    put(&d, "ts_event", c.ts_event)?;
    put(&d, "ts_init", c.ts_init)?;
    put(&d, "action", c.action)?;
    put(&d, "side", c.side)?;
    put(&d, "price", c.price)?;
    put(&d, "size", c.size)?;
    put(&d, "sequence", c.sequence)?;
    put(&d, "first_update_id", c.first_update_id)?;
    put(&d, "prev_update_id", c.prev_update_id)?;
    put(&d, "flags", c.flags)?;
    Ok(d)
}

impl PyBinanceChunk {
    fn new(py: Python<'_>, chunk: Chunk, table: &[InstrumentEntry]) -> PyResult<Self> {
        let rejected = PyList::empty(py);
        for r in chunk.rejected {
            rejected.append((r.line, r.reason, r.text))?;
        }
        Ok(Self {
            trades: trade_dict(py, chunk.trades)?.unbind(),
            agg_trades: trade_dict(py, chunk.agg_trades)?.unbind(),
            quotes: quote_dict(py, chunk.quotes)?.unbind(),
            deltas: delta_dict(py, chunk.deltas)?.unbind(),
            instruments: PyList::new(py, instrument_rows(table))?.unbind(),
            rejected: rejected.unbind(),
            last_line: chunk.last_line,
        })
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBinanceReader>()?;
    m.add_class::<PyBinanceChunk>()?;
    Ok(())
}

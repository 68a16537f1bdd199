//! Bindings for bar aggregation: batch over numpy columns (GIL released), a
//! streaming `BarAggregator` class, spec parsing, and a Rust-side streaming
//! benchmark loop.

use std::hint::black_box;
use std::time::Instant;

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use ferrox_engine::bars::{
    aggregate_quotes, aggregate_trades, Aggregate, BarAggregator, BarSpec, OhlcvBar, QuoteColumns,
    Source, Trade, TradeColumns,
};
use ferrox_engine::types::{AggressorSide, MAX_PRECISION};

use crate::errors::{config_error, data_error};

fn parse_spec(spec: &str) -> PyResult<BarSpec> {
    BarSpec::parse(spec).map_err(|e| config_error(e.to_string()))
}

fn parse_source(source: &str) -> PyResult<Source> {
    Source::parse(source).ok_or_else(|| {
        config_error(format!(
            "source: expected 'trades', 'bid', 'ask' or 'mid', got {source:?}"
        ))
    })
}

/// The aggregator for `spec` fed `source`, and the precisions of its bars.
fn build(
    spec: &str,
    source: Source,
    price_precision: Option<u8>,
    size_precision: Option<u8>,
    empty_bars: bool,
) -> PyResult<(BarAggregator, Option<(u8, u8)>)> {
    let spec = parse_spec(spec)?;
    for (name, p) in [("price", price_precision), ("size", size_precision)] {
        if p.is_some_and(|p| p > MAX_PRECISION) {
            return Err(config_error(format!(
                "{name}_precision: {} is out of range 0..={MAX_PRECISION}",
                p.unwrap_or_default()
            )));
        }
    }
    let precisions = match (price_precision, size_precision) {
        (Some(p), Some(s)) => Some(source.bar_precisions(p, s)),
        _ => None,
    };
    let (p, s) = match source {
        Source::Mid => (
            price_precision.map(|p| p + 1),
            size_precision.map(|s| s + 1),
        ),
        _ => (price_precision, size_precision),
    };
    let aggregator =
        BarAggregator::new(&spec, p, s, empty_bars).map_err(|e| config_error(e.to_string()))?;
    Ok((aggregator, precisions))
}

/// An aggressor side from its code (0 unknown, 1 buyer, 2 seller).
pub(crate) fn side_of(code: u8) -> PyResult<AggressorSide> {
    match code {
        0 => Ok(AggressorSide::NoAggressor),
        1 => Ok(AggressorSide::Buyer),
        2 => Ok(AggressorSide::Seller),
        other => Err(data_error(format!(
            "aggressor_side: {other} is not an aggressor side (0 unknown, 1 buyer, 2 seller)"
        ))),
    }
}

/// Value (quote units) and VWAP (price units) of a bar as floats; NaN when
/// the precisions are unknown or the bar has no volume.
fn analytics(bar: &OhlcvBar, precisions: Option<(u8, u8)>) -> (f64, f64) {
    match precisions {
        Some((p, s)) => (bar.value_f64(p, s), bar.vwap(p)),
        None => (f64::NAN, f64::NAN),
    }
}

/// A bar for Python: `((ts_open, ts_close, ts_first, ts_last), (open, high,
/// low, close), (volume, buy_volume, sell_volume, trade_count), (value, vwap))`
/// (PyO3 converts tuples of at most 12 items).
type BarTuple = (
    (i64, i64, i64, i64),
    (i64, i64, i64, i64),
    (i64, i64, i64, u64),
    (f64, f64),
);

fn bar_tuple(bar: &OhlcvBar, precisions: Option<(u8, u8)>) -> BarTuple {
    (
        (bar.ts_open, bar.ts_close, bar.ts_first, bar.ts_last),
        (bar.open, bar.high, bar.low, bar.close),
        (bar.volume, bar.buy_volume, bar.sell_volume, bar.trade_count),
        analytics(bar, precisions),
    )
}

fn bar_columns<'py>(
    py: Python<'py>,
    bars: &[OhlcvBar],
    precisions: Option<(u8, u8)>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    type Field = fn(&OhlcvBar) -> i64;
    let int_columns: [(&str, Field); 12] = [
        ("ts_open", |b| b.ts_open),
        ("ts_close", |b| b.ts_close),
        ("ts_first", |b| b.ts_first),
        ("ts_last", |b| b.ts_last),
        ("open", |b| b.open),
        ("high", |b| b.high),
        ("low", |b| b.low),
        ("close", |b| b.close),
        ("volume", |b| b.volume),
        ("buy_volume", |b| b.buy_volume),
        ("sell_volume", |b| b.sell_volume),
        ("trade_count", |b| b.trade_count as i64),
    ];
    for (name, field) in int_columns {
        let column: Vec<i64> = bars.iter().map(field).collect();
        dict.set_item(name, PyArray1::from_vec(py, column))?;
    }
    let (value, vwap): (Vec<f64>, Vec<f64>) = bars.iter().map(|b| analytics(b, precisions)).unzip();
    dict.set_item("value", PyArray1::from_vec(py, value))?;
    dict.set_item("vwap", PyArray1::from_vec(py, vwap))?;
    Ok(dict)
}

/// Parses a bar spec; returns `(kind, canonical spec, interval ns or None)`.
/// Raises `ConfigError` naming the position and what was expected.
#[pyfunction]
fn parse_bar_spec(spec: &str) -> PyResult<(String, String, Option<i64>)> {
    let parsed = parse_spec(spec)?;
    let interval = match parsed {
        BarSpec::Time { interval } => Some(interval),
        _ => None,
    };
    Ok((parsed.kind(), parsed.to_string(), interval))
}

/// Aggregates trade columns (raw int64, sorted by `ts`) into bars; returns a
/// dict of numpy columns. The last, partial bar is included.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (spec, ts, price, size, aggressor_side=None, price_precision=None, size_precision=None, empty_bars=false, ts_name="ts_event"))]
fn aggregate_trade_bars<'py>(
    py: Python<'py>,
    spec: &str,
    ts: PyReadonlyArray1<'py, i64>,
    price: PyReadonlyArray1<'py, i64>,
    size: PyReadonlyArray1<'py, i64>,
    aggressor_side: Option<PyReadonlyArray1<'py, u8>>,
    price_precision: Option<u8>,
    size_precision: Option<u8>,
    empty_bars: bool,
    ts_name: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let (mut aggregator, precisions) = build(
        spec,
        Source::Trades,
        price_precision,
        size_precision,
        empty_bars,
    )?;
    let columns = TradeColumns {
        ts_name,
        ts: ts.as_slice()?,
        price: price.as_slice()?,
        size: size.as_slice()?,
        side: match &aggressor_side {
            Some(side) => Some(side.as_slice()?),
            None => None,
        },
    };
    let bars = py
        .detach(|| aggregate_trades(&mut aggregator, &columns))
        .map_err(|e| data_error(e.to_string()))?;
    bar_columns(py, &bars, precisions)
}

/// Aggregates the bid, ask or mid of quote columns into bars; returns a dict
/// of numpy columns. Mid bars are at one more decimal of price and size.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (spec, source, ts, bid_price, ask_price, bid_size, ask_size, price_precision=None, size_precision=None, empty_bars=false, ts_name="ts_event"))]
fn aggregate_quote_bars<'py>(
    py: Python<'py>,
    spec: &str,
    source: &str,
    ts: PyReadonlyArray1<'py, i64>,
    bid_price: PyReadonlyArray1<'py, i64>,
    ask_price: PyReadonlyArray1<'py, i64>,
    bid_size: PyReadonlyArray1<'py, i64>,
    ask_size: PyReadonlyArray1<'py, i64>,
    price_precision: Option<u8>,
    size_precision: Option<u8>,
    empty_bars: bool,
    ts_name: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let source = parse_source(source)?;
    if source == Source::Trades {
        return Err(config_error(
            "source: 'trades' takes trade columns; quotes take 'bid', 'ask' or 'mid'",
        ));
    }
    let (mut aggregator, precisions) =
        build(spec, source, price_precision, size_precision, empty_bars)?;
    let columns = QuoteColumns {
        ts_name,
        ts: ts.as_slice()?,
        bid_price: bid_price.as_slice()?,
        ask_price: ask_price.as_slice()?,
        bid_size: bid_size.as_slice()?,
        ask_size: ask_size.as_slice()?,
    };
    let bars = py
        .detach(|| aggregate_quotes(&mut aggregator, source, &columns))
        .map_err(|e| data_error(e.to_string()))?;
    bar_columns(py, &bars, precisions)
}

/// A streaming bar aggregator: one trade (or quote) at a time, in time order.
/// `update` returns the bars the trade closed (usually none), each as the
/// nested tuple `((ts_open, ts_close, ts_first, ts_last), (open, high, low,
/// close), (volume, buy_volume, sell_volume, trade_count), (value, vwap))`.
#[pyclass(module = "ferrox._core", name = "BarAggregator")]
pub struct PyBarAggregator {
    inner: BarAggregator,
    source: Source,
    precisions: Option<(u8, u8)>,
    spec: String,
    last_ts: Option<i64>,
}

impl PyBarAggregator {
    fn push(&mut self, trade: Trade) -> PyResult<Vec<BarTuple>> {
        if let Some(last) = self.last_ts {
            if trade.ts < last {
                return Err(data_error(format!(
                    "ts {} is earlier than the previous trade's {last}: trades must come in time order",
                    trade.ts
                )));
            }
        }
        if trade.size < 0 {
            return Err(data_error(format!("size {} is negative", trade.size)));
        }
        self.last_ts = Some(trade.ts);
        let mut out = Vec::new();
        let precisions = self.precisions;
        self.inner
            .feed(&trade, &mut |bar| out.push(bar_tuple(&bar, precisions)));
        if self.inner.overflowed() {
            return Err(data_error(
                "a bar's volume or value overflows its exact 64/128-bit sum",
            ));
        }
        Ok(out)
    }
}

#[pymethods]
impl PyBarAggregator {
    #[new]
    #[pyo3(signature = (spec, source="trades", price_precision=None, size_precision=None, empty_bars=false))]
    fn new(
        spec: &str,
        source: &str,
        price_precision: Option<u8>,
        size_precision: Option<u8>,
        empty_bars: bool,
    ) -> PyResult<Self> {
        let source = parse_source(source)?;
        let (inner, precisions) = build(spec, source, price_precision, size_precision, empty_bars)?;
        Ok(Self {
            inner,
            source,
            precisions,
            spec: parse_spec(spec)?.to_string(),
            last_ts: None,
        })
    }

    /// Adds one trade (raw price and size; side 0 unknown, 1 buyer, 2 seller).
    #[pyo3(signature = (ts, price, size, aggressor_side=0))]
    fn update(
        &mut self,
        ts: i64,
        price: i64,
        size: i64,
        aggressor_side: u8,
    ) -> PyResult<Vec<BarTuple>> {
        if self.source != Source::Trades {
            return Err(config_error(format!(
                "this aggregator takes quotes (source {:?}): call update_quote",
                self.source.name()
            )));
        }
        let side = side_of(aggressor_side)?;
        self.push(Trade {
            ts,
            price,
            size,
            side,
        })
    }

    /// Adds one quote (raw prices and sizes); the source chosen at
    /// construction picks the bid, the ask or the exact mid.
    fn update_quote(
        &mut self,
        ts: i64,
        bid_price: i64,
        ask_price: i64,
        bid_size: i64,
        ask_size: i64,
    ) -> PyResult<Vec<BarTuple>> {
        if self.source == Source::Trades {
            return Err(config_error(
                "this aggregator takes trades (source 'trades'): call update",
            ));
        }
        let trade = self
            .source
            .quote_trade(ts, bid_price, ask_price, bid_size, ask_size)
            .ok_or_else(|| {
                data_error(format!(
                    "the mid of bid {bid_price} and ask {ask_price} (or of their sizes) overflows int64 at one more decimal"
                ))
            })?;
        self.push(trade)
    }

    /// Ends the stream: the open, partial bar as a tuple, or None.
    fn flush(&mut self) -> Option<BarTuple> {
        let precisions = self.precisions;
        self.inner.flush().map(|bar| bar_tuple(&bar, precisions))
    }

    /// The canonical spec.
    #[getter]
    fn spec(&self) -> &str {
        &self.spec
    }

    /// `trades`, `bid`, `ask` or `mid`.
    #[getter]
    fn source(&self) -> &'static str {
        self.source.name()
    }
}

/// Pushes trades one by one through a streaming aggregator in a Rust loop
/// (GIL released) and returns `(bars emitted, seconds)`; the trades are
/// assembled before the clock starts. For benchmarks.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (spec, ts, price, size, aggressor_side, price_precision=None, size_precision=None))]
fn bars_stream_benchmark(
    py: Python<'_>,
    spec: &str,
    ts: PyReadonlyArray1<'_, i64>,
    price: PyReadonlyArray1<'_, i64>,
    size: PyReadonlyArray1<'_, i64>,
    aggressor_side: PyReadonlyArray1<'_, u8>,
    price_precision: Option<u8>,
    size_precision: Option<u8>,
) -> PyResult<(u64, f64)> {
    let (mut aggregator, _) = build(spec, Source::Trades, price_precision, size_precision, false)?;
    let (ts, price, size, side) = (
        ts.as_slice()?,
        price.as_slice()?,
        size.as_slice()?,
        aggressor_side.as_slice()?,
    );
    if [price.len(), size.len(), side.len()] != [ts.len(); 3] {
        return Err(data_error("columns have different lengths"));
    }
    let trades = side
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            Ok(Trade {
                ts: ts[i],
                price: price[i],
                size: size[i],
                side: side_of(s)?,
            })
        })
        .collect::<PyResult<Vec<Trade>>>()?;
    Ok(py.detach(|| {
        let started = Instant::now();
        let mut bars = 0u64;
        for trade in &trades {
            if let Some(bar) = aggregator.update(black_box(trade)) {
                black_box(bar);
                bars += 1;
                while let Some(bar) = aggregator.next_pending() {
                    black_box(bar);
                    bars += 1;
                }
            }
        }
        if let Some(bar) = aggregator.flush() {
            black_box(bar);
            bars += 1;
        }
        (bars, started.elapsed().as_secs_f64())
    }))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBarAggregator>()?;
    m.add_function(wrap_pyfunction!(parse_bar_spec, m)?)?;
    m.add_function(wrap_pyfunction!(aggregate_trade_bars, m)?)?;
    m.add_function(wrap_pyfunction!(aggregate_quote_bars, m)?)?;
    m.add_function(wrap_pyfunction!(bars_stream_benchmark, m)?)?;
    Ok(())
}

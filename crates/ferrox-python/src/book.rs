//! Bindings for order books: a streaming `L2Book` class and a batch replay.

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use ferrox_engine::book::{Applied, L3Book, SyncRule, SyncState, SyncedBook};
use ferrox_engine::types::{BookAction, BookDelta, BookSide, FLAG_LAST};

use crate::errors::{config_error, data_error};

fn parse_rule(rule: &str) -> PyResult<SyncRule> {
    match rule {
        "binance-futures" => Ok(SyncRule::BinanceFutures),
        "binance-spot" => Ok(SyncRule::BinanceSpot),
        "sequenced" => Ok(SyncRule::Sequenced),
        other => Err(config_error(format!(
            "rule: unknown sync rule {other:?}; expected 'binance-futures', 'binance-spot' or 'sequenced'"
        ))),
    }
}

/// A delta's action from its code, or a `DataError` naming the row.
pub(crate) fn action_of(code: u8, row: usize) -> PyResult<BookAction> {
    BookAction::from_code(code).ok_or_else(|| data_error(bad_action(code, row)))
}

/// A delta's side from its code, or a `DataError` naming the row.
pub(crate) fn side_of(code: u8, row: usize) -> PyResult<BookSide> {
    BookSide::from_code(code).ok_or_else(|| data_error(bad_side(code, row)))
}

fn bad_action(code: u8, row: usize) -> String {
    format!("row {row}: action {code} is not a book action (1 add, 2 update, 3 delete, 4 clear)")
}

fn bad_side(code: u8, row: usize) -> String {
    format!("row {row}: side {code} is not a book side (0 none, 1 bid, 2 ask)")
}

fn side_named(side: &str) -> PyResult<BookSide> {
    match side {
        "bid" => Ok(BookSide::Bid),
        "ask" => Ok(BookSide::Ask),
        other => Err(config_error(format!(
            "side: expected 'bid' or 'ask', got {other:?}"
        ))),
    }
}

/// A streaming L2 book following a venue's sync rule; prices and sizes raw.
#[pyclass(module = "ferrox._core", name = "L2Book")]
pub struct PyL2Book {
    inner: SyncedBook,
}

#[pymethods]
impl PyL2Book {
    #[new]
    #[pyo3(signature = (rule="sequenced"))]
    fn new(rule: &str) -> PyResult<Self> {
        Ok(Self {
            inner: SyncedBook::new(parse_rule(rule)?),
        })
    }

    /// Applies one delta (raw values, codes as in `ferrox.model.schema`);
    /// returns 'applied', 'stale' or 'buffered' (held while the book is unsynced).
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (action, side, price, size, sequence=0, first_update_id=0, prev_update_id=0, flags=0x80, ts_event=0, ts_init=0, order_id=0))]
    fn apply(
        &mut self,
        action: u8,
        side: u8,
        price: i64,
        size: i64,
        sequence: u64,
        first_update_id: u64,
        prev_update_id: u64,
        flags: u8,
        ts_event: i64,
        ts_init: i64,
        order_id: u64,
    ) -> PyResult<&'static str> {
        let delta = BookDelta {
            instrument: 0,
            action: action_of(action, 0)?,
            side: side_of(side, 0)?,
            price,
            size,
            order_id,
            sequence,
            first_update_id,
            prev_update_id,
            flags,
            ts_event,
            ts_init,
        };
        Ok(match self.inner.apply(&delta) {
            Applied::Applied => "applied",
            Applied::Stale => "stale",
            Applied::Buffered => "buffered",
        })
    }

    /// Best bid as `(raw price, raw size)`, or None.
    fn best_bid(&self) -> Option<(i64, i64)> {
        self.inner.book().best_bid().map(|l| (l.price, l.size))
    }

    /// Best ask as `(raw price, raw size)`, or None.
    fn best_ask(&self) -> Option<(i64, i64)> {
        self.inner.book().best_ask().map(|l| (l.price, l.size))
    }

    /// Best ask minus best bid, raw.
    fn spread(&self) -> Option<i64> {
        self.inner.book().spread()
    }

    /// Mid price in raw units (float).
    fn mid(&self) -> Option<f64> {
        self.inner.book().mid()
    }

    /// Size-weighted mid in raw units (float).
    fn microprice(&self) -> Option<f64> {
        self.inner.book().microprice()
    }

    /// (bid - ask) / (bid + ask) size over the top `levels` levels.
    #[pyo3(signature = (levels=1))]
    fn imbalance(&self, levels: usize) -> Option<f64> {
        self.inner.book().imbalance(levels)
    }

    /// Average price (raw, float) of taking `size` from side 'bid' or 'ask'.
    fn average_fill_price(&self, side: &str, size: i64) -> PyResult<Option<f64>> {
        Ok(self
            .inner
            .book()
            .average_fill_price(side_named(side)?, size))
    }
    /// Total size (raw) of the best `levels` levels of 'bid' or 'ask'.
    fn cumulative_depth(&self, side: &str, levels: usize) -> PyResult<i128> {
        Ok(self
            .inner
            .book()
            .cumulative_depth(side_named(side)?, levels))
    }

    /// Starts tracking an own order resting at `price` on 'bid' or 'ask';
    /// returns the size (raw) queued ahead of it (the whole level now).
    fn join_queue(&mut self, order_id: u64, side: &str, price: i64) -> PyResult<i64> {
        let side = side_named(side)?;
        Ok(self.inner.book_mut().join_queue(order_id, side, price))
    }

    /// Estimated size (raw) still ahead of a tracked own order: the running
    /// minimum of its level's size since it joined (size arriving later
    /// queues behind it). None if the order is not tracked.
    fn queue_ahead(&self, order_id: u64) -> Option<i64> {
        self.inner.book().queue_ahead(order_id)
    }

    /// Stops tracking an own order.
    fn leave_queue(&mut self, order_id: u64) {
        self.inner.book_mut().leave_queue(order_id);
    }

    /// Up to `n` levels of 'bid' or 'ask', best first, as `[(price, size)]`.
    fn levels(&self, side: &str, n: usize) -> PyResult<Vec<(i64, i64)>> {
        let ladder = match side {
            "bid" => self.inner.book().bids(),
            "ask" => self.inner.book().asks(),
            other => {
                return Err(config_error(format!(
                    "side: expected 'bid' or 'ask', got {other:?}"
                )))
            }
        };
        Ok(ladder
            .iter_best_first()
            .take(n)
            .map(|l| (l.price, l.size))
            .collect())
    }

    /// 'synced', 'awaiting bridge' or 'unsynced (reason)'.
    #[getter]
    fn state(&self) -> String {
        self.inner.state().to_string()
    }

    /// Whether the book is exact now.
    #[getter]
    fn is_synced(&self) -> bool {
        self.inner.state() == SyncState::Synced
    }

    /// The last applied update id.
    #[getter]
    fn last_update_id(&self) -> u64 {
        self.inner.last_update_id()
    }
}

/// Replays delta columns through a synced L2 book. Returns one row per
/// complete update (a delta flagged last-in-batch): the index of that delta,
/// its sequence, `ts_event`, `ts_init`, the top `levels` bid/ask prices and
/// sizes (raw; size 0 where a level is empty), and the sync state code
/// (0 synced, 1 awaiting bridge, 2 unsynced) plus the state text where it
/// changed.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (action, side, price, size, sequence, first_update_id, prev_update_id, flags, ts_event, ts_init, rule="sequenced", levels=1))]
fn replay_l2<'py>(
    py: Python<'py>,
    action: PyReadonlyArray1<'py, u8>,
    side: PyReadonlyArray1<'py, u8>,
    price: PyReadonlyArray1<'py, i64>,
    size: PyReadonlyArray1<'py, i64>,
    sequence: PyReadonlyArray1<'py, u64>,
    first_update_id: PyReadonlyArray1<'py, u64>,
    prev_update_id: PyReadonlyArray1<'py, u64>,
    flags: PyReadonlyArray1<'py, u8>,
    ts_event: PyReadonlyArray1<'py, i64>,
    ts_init: PyReadonlyArray1<'py, i64>,
    rule: &str,
    levels: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let rule = parse_rule(rule)?;
    if levels == 0 {
        return Err(config_error("levels: expected at least 1"));
    }
    let cols = (
        action.as_slice()?,
        side.as_slice()?,
        price.as_slice()?,
        size.as_slice()?,
        sequence.as_slice()?,
        first_update_id.as_slice()?,
        prev_update_id.as_slice()?,
        flags.as_slice()?,
        ts_event.as_slice()?,
        ts_init.as_slice()?,
    );
    let n = cols.0.len();
    let lens = [
        cols.1.len(),
        cols.2.len(),
        cols.3.len(),
        cols.4.len(),
        cols.5.len(),
        cols.6.len(),
        cols.7.len(),
        cols.8.len(),
        cols.9.len(),
    ];
    if let Some(bad) = lens.iter().find(|&&l| l != n) {
        return Err(data_error(format!(
            "delta columns have different lengths: action has {n} rows, another column {bad}"
        )));
    }
    let out = py.detach(|| -> Result<ReplayOut, String> {
        let mut book = SyncedBook::new(rule);
        let mut out = ReplayOut::default();
        let mut last_state = None;
        let mut bids = Vec::with_capacity(levels);
        let mut asks = Vec::with_capacity(levels);
        for row in 0..n {
            let delta = BookDelta {
                instrument: 0,
                action: BookAction::from_code(cols.0[row])
                    .ok_or_else(|| bad_action(cols.0[row], row))?,
                side: BookSide::from_code(cols.1[row]).ok_or_else(|| bad_side(cols.1[row], row))?,
                price: cols.2[row],
                size: cols.3[row],
                order_id: 0,
                sequence: cols.4[row],
                first_update_id: cols.5[row],
                prev_update_id: cols.6[row],
                flags: cols.7[row],
                ts_event: cols.8[row],
                ts_init: cols.9[row],
            };
            let applied = book.apply(&delta);
            let state = book.state();
            let complete = delta.flags & FLAG_LAST != 0 && applied == Applied::Applied;
            let changed = last_state != Some(state);
            // Report every complete applied update, and every state change so
            // that a gap or a crossed book is visible where it happens.
            if !complete && !changed {
                continue;
            }
            if changed {
                out.transitions.push((out.row.len(), state.to_string()));
                last_state = Some(state);
            }
            out.row.push(row as u64);
            out.sequence.push(delta.sequence);
            out.ts_event.push(delta.ts_event);
            out.ts_init.push(delta.ts_init);
            out.state.push(state.code());
            if levels == 1 {
                let b = book.book().best_bid().unwrap_or_default();
                let a = book.book().best_ask().unwrap_or_default();
                out.bid_price.push(b.price);
                out.bid_size.push(b.size);
                out.ask_price.push(a.price);
                out.ask_size.push(a.size);
                continue;
            }
            book.book().top_levels(BookSide::Bid, levels, &mut bids);
            book.book().top_levels(BookSide::Ask, levels, &mut asks);
            for i in 0..levels {
                let b = bids.get(i).copied().unwrap_or_default();
                let a = asks.get(i).copied().unwrap_or_default();
                out.bid_price.push(b.price);
                out.bid_size.push(b.size);
                out.ask_price.push(a.price);
                out.ask_size.push(a.size);
            }
        }
        Ok(out)
    });
    let out = out.map_err(data_error)?;
    let rows = out.row.len();
    let dict = PyDict::new(py);
    dict.set_item("row", PyArray1::from_vec(py, out.row))?;
    dict.set_item("sequence", PyArray1::from_vec(py, out.sequence))?;
    dict.set_item("ts_event", PyArray1::from_vec(py, out.ts_event))?;
    dict.set_item("ts_init", PyArray1::from_vec(py, out.ts_init))?;
    dict.set_item("state", PyArray1::from_vec(py, out.state))?;
    for (name, values) in [
        ("bid_price", out.bid_price),
        ("bid_size", out.bid_size),
        ("ask_price", out.ask_price),
        ("ask_size", out.ask_size),
    ] {
        let array = PyArray1::from_vec(py, values).reshape([rows, levels])?;
        let array: Bound<'py, PyArray2<i64>> = array;
        dict.set_item(name, array)?;
    }
    dict.set_item("transitions", out.transitions)?;
    Ok(dict)
}

#[derive(Default)]
struct ReplayOut {
    row: Vec<u64>,
    sequence: Vec<u64>,
    ts_event: Vec<i64>,
    ts_init: Vec<i64>,
    state: Vec<u8>,
    bid_price: Vec<i64>,
    bid_size: Vec<i64>,
    ask_price: Vec<i64>,
    ask_size: Vec<i64>,
    transitions: Vec<(usize, String)>,
}

/// A streaming L3 (market-by-order) book with per-order queue positions.
#[pyclass(module = "ferrox._core", name = "L3Book")]
pub struct PyL3Book {
    inner: L3Book,
}

#[pymethods]
impl PyL3Book {
    #[new]
    fn new() -> Self {
        Self {
            inner: L3Book::new(),
        }
    }

    /// Applies one MBO delta (raw values; codes as in `ferrox.model.schema`).
    /// Raises DataError for a cancel of an unknown order or a duplicate add.
    #[pyo3(signature = (action, side, price, size, order_id, flags=0x80))]
    fn apply(
        &mut self,
        action: u8,
        side: u8,
        price: i64,
        size: i64,
        order_id: u64,
        flags: u8,
    ) -> PyResult<()> {
        let delta = BookDelta {
            action: action_of(action, 0)?,
            side: side_of(side, 0)?,
            price,
            size,
            order_id,
            flags,
            ..BookDelta::default()
        };
        self.inner
            .apply(&delta)
            .map_err(|e| data_error(e.to_string()))
    }

    /// Best bid as `(raw price, raw size)`, or None.
    fn best_bid(&self) -> Option<(i64, i64)> {
        self.inner.best_bid().map(|l| (l.price, l.size))
    }

    /// Best ask as `(raw price, raw size)`, or None.
    fn best_ask(&self) -> Option<(i64, i64)> {
        self.inner.best_ask().map(|l| (l.price, l.size))
    }

    /// `(orders ahead, size ahead, own size)` of a resting order, or None.
    fn queue_position(&self, order_id: u64) -> Option<(usize, i64, i64)> {
        self.inner
            .queue_position(order_id)
            .map(|q| (q.orders_ahead, q.size_ahead, q.size))
    }

    /// Number of resting orders.
    #[getter]
    fn order_count(&self) -> usize {
        self.inner.order_count()
    }

    /// Whether best bid >= best ask (legitimate before an exchange's open).
    #[getter]
    fn is_crossed(&self) -> bool {
        self.inner.is_crossed()
    }

    /// Whether the last row ended a venue batch (F_LAST), so the book is consistent.
    #[getter]
    fn consistent(&self) -> bool {
        self.inner.consistent
    }
}

/// Replays MBO delta columns through an L3 book. Returns one row per
/// consistent point (a row flagged F_LAST): its index, `ts_event`, best
/// bid/ask price and size (raw, 0 where empty), resting order count, number
/// of orders queued across levels (equal when the book is sound) and whether
/// the book is crossed; plus `errors`, a list of `(row, message)` for rows
/// that did not fit the book (cancel of an unknown order...), which are
/// skipped rather than stopping the replay.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn replay_l3<'py>(
    py: Python<'py>,
    action: PyReadonlyArray1<'py, u8>,
    side: PyReadonlyArray1<'py, u8>,
    price: PyReadonlyArray1<'py, i64>,
    size: PyReadonlyArray1<'py, i64>,
    order_id: PyReadonlyArray1<'py, u64>,
    flags: PyReadonlyArray1<'py, u8>,
    ts_event: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyDict>> {
    let (action, side, price, size, order_id, flags, ts_event) = (
        action.as_slice()?,
        side.as_slice()?,
        price.as_slice()?,
        size.as_slice()?,
        order_id.as_slice()?,
        flags.as_slice()?,
        ts_event.as_slice()?,
    );
    let n = action.len();
    for len in [
        side.len(),
        price.len(),
        size.len(),
        order_id.len(),
        flags.len(),
        ts_event.len(),
    ] {
        if len != n {
            return Err(data_error(format!(
                "delta columns have different lengths: action has {n} rows, another column {len}"
            )));
        }
    }
    let out = py.detach(|| -> Result<L3Out, String> {
        let mut book = L3Book::new();
        let mut out = L3Out::default();
        for row in 0..n {
            let delta = BookDelta {
                action: BookAction::from_code(action[row])
                    .ok_or_else(|| bad_action(action[row], row))?,
                side: BookSide::from_code(side[row]).ok_or_else(|| bad_side(side[row], row))?,
                price: price[row],
                size: size[row],
                order_id: order_id[row],
                flags: flags[row],
                ts_event: ts_event[row],
                ..BookDelta::default()
            };
            if let Err(e) = book.apply(&delta) {
                out.errors.push((row, e.to_string()));
            }
            if !book.consistent {
                continue;
            }
            let (b, a) = (
                book.best_bid().unwrap_or_default(),
                book.best_ask().unwrap_or_default(),
            );
            out.row.push(row as u64);
            out.ts_event.push(ts_event[row]);
            out.bid_price.push(b.price);
            out.bid_size.push(b.size);
            out.ask_price.push(a.price);
            out.ask_size.push(a.size);
            out.order_count.push(book.order_count() as u64);
            out.queued_orders.push(book.queued_order_count() as u64);
            out.crossed.push(book.is_crossed());
        }
        Ok(out)
    });
    let out = out.map_err(data_error)?;
    let dict = PyDict::new(py);
    dict.set_item("row", PyArray1::from_vec(py, out.row))?;
    dict.set_item("ts_event", PyArray1::from_vec(py, out.ts_event))?;
    dict.set_item("bid_price", PyArray1::from_vec(py, out.bid_price))?;
    dict.set_item("bid_size", PyArray1::from_vec(py, out.bid_size))?;
    dict.set_item("ask_price", PyArray1::from_vec(py, out.ask_price))?;
    dict.set_item("ask_size", PyArray1::from_vec(py, out.ask_size))?;
    dict.set_item("order_count", PyArray1::from_vec(py, out.order_count))?;
    dict.set_item("queued_orders", PyArray1::from_vec(py, out.queued_orders))?;
    dict.set_item("crossed", PyArray1::from_vec(py, out.crossed))?;
    dict.set_item("errors", out.errors)?;
    Ok(dict)
}

#[derive(Default)]
struct L3Out {
    row: Vec<u64>,
    ts_event: Vec<i64>,
    bid_price: Vec<i64>,
    bid_size: Vec<i64>,
    ask_price: Vec<i64>,
    ask_size: Vec<i64>,
    order_count: Vec<u64>,
    queued_orders: Vec<u64>,
    crossed: Vec<bool>,
    errors: Vec<(usize, String)>,
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyL2Book>()?;
    m.add_class::<PyL3Book>()?;
    m.add_function(wrap_pyfunction!(replay_l2, m)?)?;
    m.add_function(wrap_pyfunction!(replay_l3, m)?)?;
    Ok(())
}

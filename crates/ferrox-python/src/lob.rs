//! Bindings for the order-against-order limit order book (`matching::lob`).
//!
//! Every call returns the events it caused as flat integer tuples (one
//! layout, decoded by `ferrox.matching`), so a call costs one list and no
//! Python object per field.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use ferrox_engine::matching::lob::{
    LimitOrderBook, LobError, LobEvent, LobTimeInForce, NewOrder, StpMode,
};
use ferrox_engine::orders::OrderSide;

use crate::errors::config_error;

/// `(kind, seq, ts, a, b, c, d, e, f, g)`; see [`event_tuple`].
type EventTuple = (u8, u64, i64, i128, i128, i128, i128, i128, i128, i128);

/// A `ferrox.errors.OrderRejected` with `message`.
fn order_rejected(message: String) -> PyErr {
    Python::attach(|py| {
        static CELL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        let class = CELL.get_or_try_init(py, || {
            let module = py.import("ferrox.errors")?;
            let class = module.getattr("OrderRejected")?.cast_into::<PyType>()?;
            Ok::<_, PyErr>(class.unbind())
        });
        match class {
            Ok(class) => PyErr::from_type(class.clone_ref(py).into_bound(py), message),
            Err(e) => e,
        }
    })
}

fn lob_error(err: LobError) -> PyErr {
    match err {
        LobError::BadIncrements { .. } => config_error(err.to_string()),
        other => order_rejected(other.to_string()),
    }
}

fn side_named(side: &str) -> PyResult<OrderSide> {
    match side {
        "buy" | "BUY" => Ok(OrderSide::Buy),
        "sell" | "SELL" => Ok(OrderSide::Sell),
        other => Err(config_error(format!(
            "side: expected 'buy' or 'sell', got {other:?}"
        ))),
    }
}

fn stp_named(name: &str) -> PyResult<StpMode> {
    StpMode::from_name(name).ok_or_else(|| {
        config_error(format!(
            "stp: unknown self-trade prevention mode {name:?}; expected 'none', \
             'cancel-newest', 'cancel-oldest', 'cancel-both' or 'decrement-and-cancel'"
        ))
    })
}

fn tif_named(name: &str) -> PyResult<LobTimeInForce> {
    match name {
        "GTC" | "gtc" => Ok(LobTimeInForce::Gtc),
        "IOC" | "ioc" => Ok(LobTimeInForce::Ioc),
        "FOK" | "fok" => Ok(LobTimeInForce::Fok),
        other => Err(config_error(format!(
            "time_in_force: expected 'GTC', 'IOC' or 'FOK', got {other:?}"
        ))),
    }
}

/// One event as a flat tuple:
///
/// - trade `(0, seq, ts, maker_id, maker_owner, taker_id, taker_owner, taker_side, price, size)`
/// - rested `(1, seq, ts, id, owner, side, price, leaves, 0, 0)`
/// - cancelled `(2, seq, ts, id, owner, side, cancelled, leaves, reason, 0)`
/// - modified `(3, seq, ts, id, owner, side, price, leaves, priority_kept, 0)`
///
/// Sides are 1 buy / 2 sell; reasons are `CancelReason` codes. The payload
/// is `i128` so that `u64` ids and `i64` prices share one exact layout.
fn event_tuple(event: &LobEvent) -> EventTuple {
    match *event {
        LobEvent::Trade(x) => (
            0,
            x.seq,
            x.ts,
            x.maker_id.into(),
            x.maker_owner.into(),
            x.taker_id.into(),
            x.taker_owner.into(),
            x.taker_side as i128,
            x.price.into(),
            x.size.into(),
        ),
        LobEvent::Rested {
            seq,
            ts,
            id,
            owner,
            side,
            price,
            leaves,
        } => (
            1,
            seq,
            ts,
            id.into(),
            owner.into(),
            side as i128,
            price.into(),
            leaves.into(),
            0,
            0,
        ),
        LobEvent::Cancelled {
            seq,
            ts,
            id,
            owner,
            side,
            cancelled,
            leaves,
            reason,
        } => (
            2,
            seq,
            ts,
            id.into(),
            owner.into(),
            side as i128,
            cancelled.into(),
            leaves.into(),
            reason as i128,
            0,
        ),
        LobEvent::Modified {
            seq,
            ts,
            id,
            owner,
            side,
            price,
            leaves,
            priority_kept,
        } => (
            3,
            seq,
            ts,
            id.into(),
            owner.into(),
            side as i128,
            price.into(),
            leaves.into(),
            i128::from(priority_kept),
            0,
        ),
    }
}

/// A full order-against-order limit order book (price-time priority,
/// self-trade prevention); prices and quantities raw.
#[pyclass(module = "ferrox._core", name = "Lob")]
pub struct PyLob {
    inner: LimitOrderBook,
    events: Vec<LobEvent>,
}

impl PyLob {
    fn drain(&mut self) -> Vec<EventTuple> {
        let tuples = self.events.iter().map(event_tuple).collect();
        self.events.clear();
        tuples
    }

    fn ladder(&self, side: &str, n: usize) -> PyResult<Vec<(i64, i64, u32)>> {
        Ok(self
            .inner
            .depth(side_named(side)?)
            .take(n)
            .map(|l| (l.price, l.quantity, l.orders))
            .collect())
    }
}

#[pymethods]
impl PyLob {
    #[new]
    #[pyo3(signature = (tick=1, lot=1, stp="cancel-newest"))]
    fn new(tick: i64, lot: i64, stp: &str) -> PyResult<Self> {
        Ok(Self {
            inner: LimitOrderBook::new(tick, lot, stp_named(stp)?).map_err(lob_error)?,
            events: Vec::new(),
        })
    }

    /// Enters an order (price None = market); returns the events it caused.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (id, owner, side, quantity, price=None, time_in_force="GTC", post_only=false, stp=None, ts=0))]
    fn submit(
        &mut self,
        id: u64,
        owner: u64,
        side: &str,
        quantity: i64,
        price: Option<i64>,
        time_in_force: &str,
        post_only: bool,
        stp: Option<&str>,
        ts: i64,
    ) -> PyResult<Vec<EventTuple>> {
        let order = NewOrder {
            id,
            owner,
            side: side_named(side)?,
            price,
            quantity,
            time_in_force: tif_named(time_in_force)?,
            post_only,
            stp: stp.map(stp_named).transpose()?,
        };
        self.events.clear();
        self.inner
            .submit(order, ts, &mut self.events)
            .map_err(lob_error)?;
        Ok(self.drain())
    }

    /// Cancels an order's open quantity; returns the events.
    #[pyo3(signature = (id, ts=0))]
    fn cancel(&mut self, id: u64, ts: i64) -> PyResult<Vec<EventTuple>> {
        self.events.clear();
        self.inner
            .cancel(id, ts, &mut self.events)
            .map_err(lob_error)?;
        Ok(self.drain())
    }

    /// Sets an order's price and/or open quantity (None = unchanged); returns the events.
    #[pyo3(signature = (id, price=None, quantity=None, ts=0))]
    fn modify(
        &mut self,
        id: u64,
        price: Option<i64>,
        quantity: Option<i64>,
        ts: i64,
    ) -> PyResult<Vec<EventTuple>> {
        self.events.clear();
        self.inner
            .modify(id, price, quantity, ts, &mut self.events)
            .map_err(lob_error)?;
        Ok(self.drain())
    }

    /// Best bid as `(price, quantity, orders)`, or None.
    fn best_bid(&self) -> Option<(i64, i64, u32)> {
        self.inner
            .best_bid()
            .map(|l| (l.price, l.quantity, l.orders))
    }

    /// Best ask as `(price, quantity, orders)`, or None.
    fn best_ask(&self) -> Option<(i64, i64, u32)> {
        self.inner
            .best_ask()
            .map(|l| (l.price, l.quantity, l.orders))
    }

    /// Up to `n` levels of 'buy' (bids) or 'sell' (asks), best first, as
    /// `[(price, quantity, orders)]`.
    fn depth(&self, side: &str, n: usize) -> PyResult<Vec<(i64, i64, u32)>> {
        self.ladder(side, n)
    }

    /// Ids of the orders resting at `price` on 'buy' or 'sell', oldest first.
    fn orders_at(&self, side: &str, price: i64) -> PyResult<Vec<u64>> {
        Ok(self
            .inner
            .orders_at(side_named(side)?, price)
            .map(|o| o.id)
            .collect())
    }

    /// A live order as `(owner, side, price, leaves, filled, post_only,
    /// seq_priority, ts_priority)`, or None.
    #[allow(clippy::type_complexity)]
    fn order(&self, id: u64) -> Option<(u64, u8, i64, i64, i64, bool, u64, i64)> {
        self.inner.order(id).map(|o| {
            (
                o.owner,
                o.side as u8,
                o.price,
                o.leaves,
                o.filled,
                o.post_only,
                o.seq_priority,
                o.ts_priority,
            )
        })
    }

    /// `(orders ahead, quantity ahead)` of a live order in its level's queue.
    fn queue_position(&self, id: u64) -> PyResult<(u32, i64)> {
        let q = self.inner.queue_position(id).map_err(lob_error)?;
        Ok((q.orders_ahead, q.quantity_ahead))
    }

    /// Whether best bid >= best ask (never true between calls).
    fn is_crossed(&self) -> bool {
        self.inner.is_crossed()
    }

    /// Number of resting orders.
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// Sequence number of the last event.
    #[getter]
    fn last_seq(&self) -> u64 {
        self.inner.last_seq()
    }

    /// The default self-trade prevention mode.
    #[getter]
    fn stp(&self) -> &'static str {
        self.inner.default_stp().as_str()
    }
}

/// Registers the book class.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyLob>()?;
    Ok(())
}

//! Aggregates of the working orders, kept incrementally from order events so
//! a pre-trade check reads them in O(1) instead of scanning every open order.
//!
//! An order joins when it passes the checks (the engine marks it open at the
//! same moment) and leaves when it reaches a terminal status. Every event of
//! a tracked order replaces its old contribution with the one computed from
//! the order after the event, so fills, modifies and triggers all land in
//! the same two steps (remove old, add new).

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use crate::orders::{ClientOrderId, Order, OrderRequest, OrderSide, OrderType};

/// One working order's share of the aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderWork {
    /// Instrument index.
    pub instrument: u32,
    /// Buy or sell.
    pub side: OrderSide,
    /// Quantity still open (raw, never negative).
    pub leaves: i64,
    /// The order's own price for valuation: limit, else trigger; `None`
    /// (market orders) is valued at the instrument's last price.
    pub value_price: Option<i64>,
    /// The price it rests at on the book: a limit, or a triggered
    /// stop-limit / limit-if-touched; what self-trade prevention checks.
    pub resting: Option<i64>,
}

impl OrderWork {
    /// The contribution of an order with `request`, `filled` and `triggered`.
    #[inline]
    pub fn from_request(request: &OrderRequest, filled: i64, triggered: bool) -> Self {
        let resting = match request.order_type {
            OrderType::Limit => request.price,
            OrderType::StopLimit | OrderType::LimitIfTouched | OrderType::TrailingStopLimit
                if triggered =>
            {
                request.price
            }
            _ => None,
        };
        Self {
            instrument: request.instrument,
            side: request.side,
            leaves: (request.quantity - filled).max(0),
            value_price: request.price.or(request.trigger_price),
            resting,
        }
    }

    /// The contribution of `order` as it is now.
    #[inline]
    pub fn of(order: &Order) -> Self {
        Self::from_request(&order.request, order.filled_qty, order.triggered)
    }
}

/// One side's working orders on one instrument.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SideWork {
    /// Working orders.
    pub count: u32,
    /// Total leaves quantity (raw).
    pub leaves: i64,
    /// Σ leaves × own price of the priced orders (raw price × raw size).
    pub priced_value: i128,
    /// Leaves of the orders without a price (valued at the last price).
    pub unpriced: i64,
    /// Resting price levels of our own orders with their counts, sorted
    /// so the best is last (bids by price, asks by negated price): new
    /// quotes land near the best, at the cheap end, and the vector keeps its
    /// capacity when it empties (no allocation per quote).
    resting: Vec<(i64, u32)>,
    /// Best resting price: highest bid or lowest ask.
    pub best: Option<i64>,
}

impl SideWork {
    fn add(&mut self, w: &OrderWork, sign: i64) {
        self.count = self.count.wrapping_add_signed(sign as i32);
        self.leaves += sign * w.leaves;
        match w.value_price {
            Some(px) => {
                self.priced_value += i128::from(sign) * i128::from(w.leaves) * i128::from(px)
            }
            None => self.unpriced += sign * w.leaves,
        }
        let Some(px) = w.resting else { return };
        let key = match w.side {
            OrderSide::Buy => px,
            OrderSide::Sell => px.wrapping_neg(),
        };
        let at = self.resting.partition_point(|(k, _)| *k < key);
        let found = self.resting.get(at).is_some_and(|(k, _)| *k == key);
        if sign > 0 {
            if found {
                self.resting[at].1 += 1;
            } else {
                self.resting.insert(at, (key, 1));
            }
        } else if found {
            self.resting[at].1 -= 1;
            if self.resting[at].1 == 0 {
                self.resting.remove(at);
            }
        }
        self.best = self.resting.last().map(|(k, _)| match w.side {
            OrderSide::Buy => *k,
            OrderSide::Sell => k.wrapping_neg(),
        });
    }
}

/// Both sides of one instrument.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstrumentWork {
    /// Working buys.
    pub buy: SideWork,
    /// Working sells.
    pub sell: SideWork,
}

impl InstrumentWork {
    /// The side's aggregate.
    #[inline]
    pub fn side(&self, side: OrderSide) -> &SideWork {
        match side {
            OrderSide::Buy => &self.buy,
            OrderSide::Sell => &self.sell,
        }
    }

    /// Whether no order works here.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buy.count == 0 && self.sell.count == 0
    }
}

/// Multiplicative hashing of order ids: ids are dense integers, so a
/// keyed SipHash buys nothing; fixed, so nothing depends on a random seed
/// (the map is never iterated for results anyway).
#[derive(Debug, Clone, Copy, Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The working orders of one account, aggregated per instrument and side.
#[derive(Debug, Clone, Default)]
pub struct WorkingOrders {
    orders: HashMap<ClientOrderId, OrderWork, BuildHasherDefault<IdHasher>>,
    instruments: Vec<InstrumentWork>,
}

static EMPTY: InstrumentWork = InstrumentWork {
    buy: SideWork {
        count: 0,
        leaves: 0,
        priced_value: 0,
        unpriced: 0,
        resting: Vec::new(),
        best: None,
    },
    sell: SideWork {
        count: 0,
        leaves: 0,
        priced_value: 0,
        unpriced: 0,
        resting: Vec::new(),
        best: None,
    },
};

impl WorkingOrders {
    /// Recomputes the aggregates from the open orders (`open` ids into
    /// `orders`, by id − 1).
    pub fn rebuild(open: &BTreeSet<ClientOrderId>, orders: &[Order]) -> Self {
        let mut w = Self::default();
        for id in open {
            let Some(o) = id
                .checked_sub(1)
                .and_then(|k| orders.get(usize::try_from(k).ok()?))
            else {
                continue;
            };
            w.insert(*id, OrderWork::of(o));
        }
        w
    }

    /// The aggregates of `instrument` (empty when nothing works there).
    #[inline]
    pub fn instrument(&self, instrument: u32) -> &InstrumentWork {
        self.instruments.get(instrument as usize).unwrap_or(&EMPTY)
    }

    /// Every instrument's aggregates, by index.
    pub fn instruments(&self) -> &[InstrumentWork] {
        &self.instruments
    }

    /// Number of working orders.
    pub fn len(&self) -> usize {
        self.orders.len()
    }

    /// Whether no order works.
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    /// Starts tracking order `id` (it just passed the checks).
    pub fn insert(&mut self, id: ClientOrderId, work: OrderWork) {
        if let Some(old) = self.orders.insert(id, work) {
            self.apply(&old, -1);
        }
        self.apply(&work, 1);
    }

    /// Stops tracking order `id` (a passed order that never went out).
    pub fn remove(&mut self, id: ClientOrderId) {
        if let Some(old) = self.orders.remove(&id) {
            self.apply(&old, -1);
        }
    }

    /// Brings a tracked order up to date after one of its events; untracked
    /// orders (denied, or never sent) are ignored.
    #[inline]
    pub fn update(&mut self, order: &Order) {
        let Some(slot) = self.orders.get_mut(&order.id) else {
            return;
        };
        if order.status.is_terminal() {
            let old = *slot;
            self.orders.remove(&order.id);
            self.apply(&old, -1);
            return;
        }
        let new = OrderWork::of(order);
        if *slot == new {
            return;
        }
        let old = std::mem::replace(slot, new);
        self.apply(&old, -1);
        self.apply(&new, 1);
    }

    fn apply(&mut self, w: &OrderWork, sign: i64) {
        let i = w.instrument as usize;
        if self.instruments.len() <= i {
            self.instruments.resize(i + 1, InstrumentWork::default());
        }
        let inst = &mut self.instruments[i];
        match w.side {
            OrderSide::Buy => inst.buy.add(w, sign),
            OrderSide::Sell => inst.sell.add(w, sign),
        }
    }
}

//! Market-by-order (L3) order book with per-order queue position.
//!
//! Semantics follow Databento's MBO rules (<https://databento.com/docs/schemas/mbo>):
//!
//! - `Add` appends an order at the back of its price level's queue.
//! - `Update` (MBO *Modify*) sets an order's price and size; the order keeps
//!   its place only when the price is unchanged and the size does not grow,
//!   otherwise it goes to the back of the (new) level.
//! - `Delete` (MBO *Cancel*) removes `size` from the order — a partial cancel —
//!   and the order itself once nothing is left (a size of 0 cancels it all).
//! - `Clear` empties the book. A snapshot row (`FLAG_SNAPSHOT`) arriving when
//!   no snapshot is in progress also replaces the book, since a new day's
//!   snapshot may come without a leading clear.
//! - Trades and fills do not change the book (the cancel or modify that
//!   follows does), so they are not book deltas.
//!
//! The book is crossed legitimately before an exchange's open; it is shown
//! as it is, never rejected or "fixed".

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use thiserror::Error;

use super::l2::Level;
use crate::types::{BookAction, BookDelta, BookSide, FLAG_LAST, FLAG_SNAPSHOT};

/// A delta that does not fit the book's current state.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum L3Error {
    /// Add of an order id that is already resting.
    #[error("add of order {0}, which is already in the book")]
    DuplicateOrder(u64),
    /// Cancel or modify of an order that is not in the book.
    #[error("{action:?} of unknown order {order_id}")]
    UnknownOrder {
        /// The action that referred to it.
        action: BookAction,
        /// The order id.
        order_id: u64,
    },
    /// A row with no usable side.
    #[error("order {0} has no side")]
    NoSide(u64),
}

/// Multiplicative hasher for `u64` order ids: ids are already well spread,
/// and SipHash would cost more than the book update itself.
#[derive(Default, Clone, Copy)]
pub struct OrderIdHasher(u64);

impl Hasher for OrderIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = (id ^ (id >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type OrderMap<V> = HashMap<u64, V, BuildHasherDefault<OrderIdHasher>>;

#[derive(Debug, Clone, Copy)]
struct RestingOrder {
    side: BookSide,
    price: i64,
    size: i64,
}

#[derive(Debug, Clone, Default)]
struct PriceLevel {
    size: i64,
    queue: VecDeque<u64>,
}

/// Where an order stands in its level's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuePosition {
    /// Orders ahead of it at the same price.
    pub orders_ahead: usize,
    /// Total size ahead of it at the same price.
    pub size_ahead: i64,
    /// Its own remaining size.
    pub size: i64,
}

/// An L3 (market-by-order) book.
#[derive(Debug, Clone, Default)]
pub struct L3Book {
    orders: OrderMap<RestingOrder>,
    bids: BTreeMap<i64, PriceLevel>,
    asks: BTreeMap<i64, PriceLevel>,
    in_snapshot: bool,
    /// Whether the last applied row ended a venue batch (`F_LAST`): only then
    /// is the book a consistent picture.
    pub consistent: bool,
    /// Rows applied.
    pub update_count: u64,
}

impl L3Book {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one MBO delta.
    pub fn apply(&mut self, d: &BookDelta) -> Result<(), L3Error> {
        let snapshot = d.flags & FLAG_SNAPSHOT != 0;
        if snapshot && !self.in_snapshot {
            self.clear();
            self.in_snapshot = true;
        } else if !snapshot {
            self.in_snapshot = false;
        }
        self.update_count += 1;
        let result = match d.action {
            BookAction::Clear => {
                self.clear();
                Ok(())
            }
            BookAction::Add => self.add(d.order_id, d.side, d.price, d.size),
            BookAction::Update => self.modify(d.order_id, d.side, d.price, d.size),
            BookAction::Delete => self.cancel(d.order_id, d.size),
        };
        self.consistent = d.flags & FLAG_LAST != 0;
        result
    }

    fn ladder(&mut self, side: BookSide) -> Option<&mut BTreeMap<i64, PriceLevel>> {
        match side {
            BookSide::Bid => Some(&mut self.bids),
            BookSide::Ask => Some(&mut self.asks),
            BookSide::NoSide => None,
        }
    }

    fn add(&mut self, id: u64, side: BookSide, price: i64, size: i64) -> Result<(), L3Error> {
        if self.orders.contains_key(&id) {
            return Err(L3Error::DuplicateOrder(id));
        }
        let ladder = self.ladder(side).ok_or(L3Error::NoSide(id))?;
        let level = ladder.entry(price).or_default();
        level.size += size;
        level.queue.push_back(id);
        self.orders.insert(id, RestingOrder { side, price, size });
        Ok(())
    }

    fn unlink(&mut self, id: u64, order: RestingOrder) {
        if let Some(ladder) = self.ladder(order.side) {
            if let Some(level) = ladder.get_mut(&order.price) {
                level.size -= order.size;
                if let Some(pos) = level.queue.iter().position(|&o| o == id) {
                    level.queue.remove(pos);
                }
                if level.queue.is_empty() {
                    ladder.remove(&order.price);
                }
            }
        }
    }

    fn cancel(&mut self, id: u64, size: i64) -> Result<(), L3Error> {
        let order = *self.orders.get(&id).ok_or(L3Error::UnknownOrder {
            action: BookAction::Delete,
            order_id: id,
        })?;
        if size <= 0 || size >= order.size {
            self.unlink(id, order);
            self.orders.remove(&id);
        } else {
            if let Some(level) = self
                .ladder(order.side)
                .and_then(|l| l.get_mut(&order.price))
            {
                level.size -= size;
            }
            if let Some(o) = self.orders.get_mut(&id) {
                o.size -= size;
            }
        }
        Ok(())
    }

    fn modify(&mut self, id: u64, side: BookSide, price: i64, size: i64) -> Result<(), L3Error> {
        let Some(order) = self.orders.get(&id).copied() else {
            // Databento: a modify of an unknown order is an add.
            return self.add(id, side, price, size);
        };
        let keeps_priority = order.price == price && size <= order.size && order.side == side;
        if keeps_priority {
            if let Some(level) = self.ladder(side).and_then(|l| l.get_mut(&price)) {
                level.size += size - order.size;
            }
            if let Some(o) = self.orders.get_mut(&id) {
                o.size = size;
            }
            if size == 0 {
                self.cancel(id, 0)?;
            }
            Ok(())
        } else {
            self.unlink(id, order);
            self.orders.remove(&id);
            self.add(id, side, price, size)
        }
    }

    /// Removes every order.
    pub fn clear(&mut self) {
        self.orders.clear();
        self.bids.clear();
        self.asks.clear();
    }

    /// Number of resting orders.
    pub fn order_count(&self) -> usize {
        self.orders.len()
    }

    /// Sum of order counts over all levels (equals [`Self::order_count`]
    /// when the book is internally consistent).
    pub fn queued_order_count(&self) -> usize {
        self.bids
            .values()
            .chain(self.asks.values())
            .map(|l| l.queue.len())
            .sum()
    }

    /// Best bid level (aggregated).
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.iter().next_back().map(|(&price, l)| Level {
            price,
            size: l.size,
        })
    }

    /// Best ask level (aggregated).
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.iter().next().map(|(&price, l)| Level {
            price,
            size: l.size,
        })
    }

    /// Whether best bid ≥ best ask (legitimate before an exchange's open).
    pub fn is_crossed(&self) -> bool {
        matches!((self.best_bid(), self.best_ask()), (Some(b), Some(a)) if b.price >= a.price)
    }

    /// Number of price levels on a side.
    pub fn level_count(&self, side: BookSide) -> usize {
        match side {
            BookSide::Bid => self.bids.len(),
            BookSide::Ask => self.asks.len(),
            BookSide::NoSide => 0,
        }
    }

    /// Queue position of a resting order.
    pub fn queue_position(&self, id: u64) -> Option<QueuePosition> {
        let order = self.orders.get(&id)?;
        let ladder = match order.side {
            BookSide::Bid => &self.bids,
            BookSide::Ask => &self.asks,
            BookSide::NoSide => return None,
        };
        let level = ladder.get(&order.price)?;
        let mut ahead = QueuePosition {
            orders_ahead: 0,
            size_ahead: 0,
            size: order.size,
        };
        for other in &level.queue {
            if *other == id {
                return Some(ahead);
            }
            ahead.orders_ahead += 1;
            ahead.size_ahead += self.orders.get(other).map_or(0, |o| o.size);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{BookAction as A, BookSide as S};

    fn row(action: A, side: S, id: u64, price: i64, size: i64) -> BookDelta {
        BookDelta {
            action,
            side,
            order_id: id,
            price,
            size,
            flags: FLAG_LAST,
            ..BookDelta::default()
        }
    }

    #[test]
    fn queue_position_follows_adds_cancels_and_modifies() {
        let mut book = L3Book::new();
        for (id, size) in [(1, 5), (2, 3), (3, 7)] {
            book.apply(&row(A::Add, S::Bid, id, 100, size)).unwrap();
        }
        assert_eq!(
            book.queue_position(3)
                .map(|q| (q.orders_ahead, q.size_ahead)),
            Some((2, 8))
        );
        // Partial cancel of the first order: 3 ahead of order 3 fewer.
        book.apply(&row(A::Delete, S::Bid, 1, 100, 2)).unwrap();
        assert_eq!(book.queue_position(3).map(|q| q.size_ahead), Some(6));
        // Size decrease keeps priority; increase loses it.
        book.apply(&row(A::Update, S::Bid, 2, 100, 1)).unwrap();
        assert_eq!(book.queue_position(2).map(|q| q.orders_ahead), Some(1));
        book.apply(&row(A::Update, S::Bid, 1, 100, 9)).unwrap();
        assert_eq!(book.queue_position(1).map(|q| q.orders_ahead), Some(2));
        assert_eq!(
            book.best_bid(),
            Some(Level {
                price: 100,
                size: 17
            })
        );
        // Full cancel.
        book.apply(&row(A::Delete, S::Bid, 3, 100, 0)).unwrap();
        assert_eq!(book.order_count(), 2);
        assert_eq!(book.queued_order_count(), 2);
    }

    #[test]
    fn snapshot_without_clear_replaces_the_book() {
        let mut book = L3Book::new();
        book.apply(&row(A::Add, S::Ask, 1, 101, 1)).unwrap();
        let mut snap = row(A::Add, S::Ask, 2, 102, 1);
        snap.flags = FLAG_SNAPSHOT;
        book.apply(&snap).unwrap();
        assert_eq!(book.order_count(), 1);
        assert_eq!(book.best_ask().map(|l| l.price), Some(102));
        assert!(!book.consistent);
    }

    #[test]
    fn unknown_and_duplicate_orders_are_errors() {
        let mut book = L3Book::new();
        book.apply(&row(A::Add, S::Bid, 1, 100, 1)).unwrap();
        assert_eq!(
            book.apply(&row(A::Add, S::Bid, 1, 100, 1)),
            Err(L3Error::DuplicateOrder(1))
        );
        assert!(matches!(
            book.apply(&row(A::Delete, S::Bid, 9, 100, 1)),
            Err(L3Error::UnknownOrder { .. })
        ));
    }

    #[test]
    fn crossed_pre_open_book_is_shown_as_is() {
        let mut book = L3Book::new();
        book.apply(&row(A::Add, S::Bid, 1, 105, 1)).unwrap();
        book.apply(&row(A::Add, S::Ask, 2, 100, 1)).unwrap();
        assert!(book.is_crossed());
        assert_eq!(book.best_bid().map(|l| l.price), Some(105));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn levels_always_sum_their_orders(ops in proptest::collection::vec((0u8..4, any::<bool>(), 0u64..20, 95i64..105, 0i64..5), 0..300)) {
                let mut book = L3Book::new();
                for (action, is_bid, id, price, size) in ops {
                    let action = [A::Add, A::Update, A::Delete, A::Clear][usize::from(action)];
                    let side = if is_bid { S::Bid } else { S::Ask };
                    let _ = book.apply(&row(action, side, id, price, size.max(1)));
                    prop_assert_eq!(book.order_count(), book.queued_order_count());
                    for (ladder, side) in [(&book.bids, S::Bid), (&book.asks, S::Ask)] {
                        for (price, level) in ladder {
                            let sum: i64 = level.queue.iter().map(|id| book.orders[id].size).sum();
                            prop_assert_eq!(sum, level.size);
                            for id in &level.queue {
                                prop_assert_eq!(book.orders[id].price, *price);
                                prop_assert_eq!(book.orders[id].side, side);
                            }
                        }
                    }
                }
            }
        }
    }
}

//! Market-by-price (L2) order book.
//!
//! Each side is a vector of `(price, size)` levels sorted so that the best
//! level is the *last* element: bids ascending, asks descending. Real feeds
//! change the levels near the top far more often than the rest, so inserts
//! and removals there move only a few elements, the best level is one load
//! away, and top-N is a slice from the end. Lookups are binary searches.
//!
//! Binance's diff streams also add and remove levels deep in the book all
//! the time, and a deep insert or removal in a sorted vector moves every
//! level above it: on the real captures that memmove was three quarters of
//! the replay's time. So a removed level that is not the best is *vacated*
//! (its size set to 0, its price kept, so the order still holds) instead of
//! removed, and an insert reuses a vacated slot a few places away, moving
//! only the levels in between. The best level is never vacated (removing it
//! pops it and any vacated slots under it), so it stays the last element.
//! Vacated slots are squeezed out once they outnumber the live levels.

use crate::types::{BookAction, BookDelta, BookSide, QuoteTick, UnixNanos};

/// One price level: raw price and raw total size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Level {
    /// Raw price at the instrument's price precision.
    pub price: i64,
    /// Raw size at the instrument's size precision.
    pub size: i64,
}

/// How far an insert looks either side for a vacated slot to reuse.
const REUSE_REACH: usize = 16;
/// Vacated slots tolerated beyond the number of live levels before compaction.
const VACATED_SLACK: usize = 64;

/// One side of an L2 book, best level last.
#[derive(Debug, Clone, Default)]
pub struct BookLadder {
    /// Sorted levels, best last; a size of 0 marks a vacated slot.
    levels: Vec<Level>,
    /// Number of levels with a size (the others are vacated).
    live: usize,
    /// `true` for bids (ascending, best = highest), `false` for asks.
    is_bid: bool,
}

impl BookLadder {
    fn new(is_bid: bool) -> Self {
        Self {
            levels: Vec::with_capacity(1024),
            live: 0,
            is_bid,
        }
    }

    /// Position of `price` in the ladder (`Ok`, possibly a vacated slot) or
    /// where it would go (`Err`).
    #[inline]
    fn search(&self, price: i64) -> Result<usize, usize> {
        // Scan the last few levels first: most updates land near the top.
        let n = self.levels.len();
        let tail = n.saturating_sub(8);
        for i in (tail..n).rev() {
            let p = self.levels[i].price;
            if p == price {
                return Ok(i);
            }
            let below = if self.is_bid { p < price } else { p > price };
            if below {
                return Err(i + 1);
            }
        }
        if self.is_bid {
            self.levels[..tail].binary_search_by(|l| l.price.cmp(&price))
        } else {
            self.levels[..tail].binary_search_by(|l| price.cmp(&l.price))
        }
    }

    /// Sets the size at `price`; a size of zero removes the level.
    #[inline]
    pub fn set(&mut self, price: i64, size: i64) {
        if size == 0 {
            self.remove(price);
            return;
        }
        match self.search(price) {
            Ok(i) => {
                if self.levels[i].size == 0 {
                    self.live += 1;
                }
                self.levels[i].size = size;
            }
            Err(i) => self.insert_at(i, Level { price, size }),
        }
    }

    /// Inserts `level` where [`Self::search`] said it goes, reusing a nearby
    /// vacated slot so that only the levels in between move.
    #[inline]
    fn insert_at(&mut self, i: usize, level: Level) {
        self.live += 1;
        let n = self.levels.len();
        if i == n {
            self.levels.push(level);
            return;
        }
        // A vacated slot j below i: levels j+1..i move down one, the new level
        // takes i-1 (it sorts after levels[j-1] and before levels[i]).
        let lo = i.saturating_sub(REUSE_REACH);
        if let Some(j) = (lo..i).rev().find(|&j| self.levels[j].size == 0) {
            self.levels.copy_within(j + 1..i, j);
            self.levels[i - 1] = level;
            return;
        }
        // A vacated slot j at or above i (never the last: the best is live):
        // levels i..j move up one, the new level takes i.
        let hi = (i + REUSE_REACH).min(n);
        if let Some(j) = (i..hi).find(|&j| self.levels[j].size == 0) {
            self.levels.copy_within(i..j, i + 1);
            self.levels[i] = level;
            return;
        }
        self.levels.insert(i, level);
    }

    /// Removes the level at `price`, if any.
    #[inline]
    pub fn remove(&mut self, price: i64) {
        let Ok(i) = self.search(price) else {
            return;
        };
        if self.levels[i].size == 0 {
            return;
        }
        self.live -= 1;
        if i + 1 == self.levels.len() {
            // The best level: pop it and any vacated slots under it, so the
            // last element is the best live level again.
            self.levels.pop();
            while self.levels.last().is_some_and(|l| l.size == 0) {
                self.levels.pop();
            }
            return;
        }
        self.levels[i].size = 0;
        if self.levels.len() - self.live > self.live + VACATED_SLACK {
            self.levels.retain(|l| l.size != 0);
        }
    }

    /// The best level, if the side is not empty.
    #[inline]
    pub fn best(&self) -> Option<Level> {
        self.levels.last().copied()
    }

    /// Number of levels.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether the side has no levels.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Levels from the best outwards.
    pub fn iter_best_first(&self) -> impl Iterator<Item = Level> + '_ {
        self.levels.iter().rev().filter(|l| l.size != 0).copied()
    }

    /// Size at exactly `price` (0 if no level).
    pub fn size_at(&self, price: i64) -> i64 {
        self.search(price).map_or(0, |i| self.levels[i].size)
    }

    fn clear(&mut self) {
        self.levels.clear();
        self.live = 0;
    }
}

/// An L2 order book for one instrument.
#[derive(Debug, Clone)]
pub struct L2Book {
    bids: BookLadder,
    asks: BookLadder,
    /// Sequence (venue update id) of the last applied delta.
    pub sequence: u64,
    /// `ts_event` of the last applied delta.
    pub ts_event: UnixNanos,
    /// `ts_init` of the last applied delta.
    pub ts_init: UnixNanos,
    /// Number of deltas applied.
    pub update_count: u64,
    /// Own orders whose queue position is tracked (a handful at most).
    own: Vec<OwnOrder>,
}

/// An own order resting in the book, with the size estimated ahead of it.
#[derive(Debug, Clone, Copy)]
struct OwnOrder {
    order_id: u64,
    side: BookSide,
    price: i64,
    ahead: i64,
}

impl Default for L2Book {
    fn default() -> Self {
        Self::new()
    }
}

impl L2Book {
    /// An empty book.
    pub fn new() -> Self {
        Self {
            bids: BookLadder::new(true),
            asks: BookLadder::new(false),
            sequence: 0,
            ts_event: 0,
            ts_init: 0,
            update_count: 0,
            own: Vec::new(),
        }
    }

    /// Applies one delta as it is (no sequencing rules: see `SyncedBook`).
    #[inline]
    pub fn apply(&mut self, delta: &BookDelta) {
        match delta.action {
            BookAction::Clear => self.clear(),
            BookAction::Add | BookAction::Update => match delta.side {
                BookSide::Bid => self.bids.set(delta.price, delta.size),
                BookSide::Ask => self.asks.set(delta.price, delta.size),
                BookSide::NoSide => {}
            },
            BookAction::Delete => match delta.side {
                BookSide::Bid => self.bids.remove(delta.price),
                BookSide::Ask => self.asks.remove(delta.price),
                BookSide::NoSide => {}
            },
        }
        if !self.own.is_empty() && delta.action != BookAction::Clear {
            let size = if delta.action == BookAction::Delete {
                0
            } else {
                delta.size
            };
            self.update_own(delta.side, delta.price, size);
        }
        self.sequence = delta.sequence;
        self.ts_event = delta.ts_event;
        self.ts_init = delta.ts_init;
        self.update_count += 1;
    }

    /// Replaces the book by the one-level book of a quote (a side quoted
    /// with no size is left empty): how venues without depth data are seen.
    pub fn set_from_quote(&mut self, q: &QuoteTick) {
        self.clear();
        for (side, price, size) in [
            (BookSide::Bid, q.bid_price, q.bid_size),
            (BookSide::Ask, q.ask_price, q.ask_size),
        ] {
            if size > 0 {
                self.apply(&BookDelta {
                    action: BookAction::Update,
                    side,
                    price,
                    size,
                    ts_event: q.ts_event,
                    ts_init: q.ts_init,
                    ..BookDelta::default()
                });
            }
        }
    }

    /// Removes every level.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    /// The bid side.
    pub fn bids(&self) -> &BookLadder {
        &self.bids
    }

    /// The ask side.
    pub fn asks(&self) -> &BookLadder {
        &self.asks
    }

    /// Best bid level.
    #[inline]
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.best()
    }

    /// Best ask level.
    #[inline]
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.best()
    }

    /// Whether the best bid is at or above the best ask.
    pub fn is_crossed(&self) -> bool {
        matches!((self.best_bid(), self.best_ask()), (Some(b), Some(a)) if b.price >= a.price)
    }

    /// Best ask minus best bid (raw price units).
    pub fn spread(&self) -> Option<i64> {
        Some(self.best_ask()?.price - self.best_bid()?.price)
    }

    /// Mid price as a float in raw units (`(bid + ask) / 2`).
    pub fn mid(&self) -> Option<f64> {
        Some((self.best_ask()?.price as f64 + self.best_bid()?.price as f64) / 2.0)
    }

    /// Size-weighted mid (microprice) in raw units: the bid weighted by the
    /// ask size and the ask by the bid size, so the price leans toward the
    /// side with less resting size (Stoikov's weighted mid at one level).
    pub fn microprice(&self) -> Option<f64> {
        let (b, a) = (self.best_bid()?, self.best_ask()?);
        let total = (b.size + a.size) as f64;
        if total == 0.0 {
            return self.mid();
        }
        Some((b.price as f64 * a.size as f64 + a.price as f64 * b.size as f64) / total)
    }

    /// Order-book imbalance over the top `levels` levels:
    /// `(bid size - ask size) / (bid size + ask size)`, in `[-1, 1]`.
    pub fn imbalance(&self, levels: usize) -> Option<f64> {
        let b: i128 = self
            .bids
            .iter_best_first()
            .take(levels)
            .map(|l| i128::from(l.size))
            .sum();
        let a: i128 = self
            .asks
            .iter_best_first()
            .take(levels)
            .map(|l| i128::from(l.size))
            .sum();
        let total = b + a;
        (total > 0).then(|| (b - a) as f64 / total as f64)
    }

    /// Cumulative size on `side` over the best `levels` levels.
    pub fn cumulative_depth(&self, side: BookSide, levels: usize) -> i128 {
        self.ladder(side).map_or(0, |l| {
            l.iter_best_first()
                .take(levels)
                .map(|l| i128::from(l.size))
                .sum()
        })
    }

    /// Average price (raw units, float) of taking `size` from `side` (asks
    /// for a buy, bids for a sell), walking the levels; `None` if the side
    /// holds less than `size`.
    pub fn average_fill_price(&self, side: BookSide, size: i64) -> Option<f64> {
        let mut remaining = i128::from(size);
        let mut cost: i128 = 0;
        for level in self.ladder(side)?.iter_best_first() {
            let take = remaining.min(i128::from(level.size));
            cost += take * i128::from(level.price);
            remaining -= take;
            if remaining == 0 {
                return Some(cost as f64 / size as f64);
            }
        }
        None
    }

    fn ladder(&self, side: BookSide) -> Option<&BookLadder> {
        match side {
            BookSide::Bid => Some(&self.bids),
            BookSide::Ask => Some(&self.asks),
            BookSide::NoSide => None,
        }
    }

    /// Writes up to `n` levels of `side`, best first, into `out`.
    pub fn top_levels(&self, side: BookSide, n: usize, out: &mut Vec<Level>) {
        out.clear();
        if let Some(ladder) = self.ladder(side) {
            out.extend(ladder.iter_best_first().take(n));
        }
    }

    /// Starts tracking an own order of ours resting at `price` on `side`:
    /// it joins the back of the level, so everything there now is ahead of
    /// it. Returns that size.
    pub fn join_queue(&mut self, order_id: u64, side: BookSide, price: i64) -> i64 {
        let ahead = self.ladder(side).map_or(0, |l| l.size_at(price));
        self.own.retain(|o| o.order_id != order_id);
        self.own.push(OwnOrder {
            order_id,
            side,
            price,
            ahead,
        });
        ahead
    }

    /// Estimated size still ahead of a tracked own order. An L2 feed cannot
    /// say where at a level size left, so this is the conservative model:
    /// size that arrives later queues behind us, size that leaves is taken
    /// from ahead of us first — the estimate is the running minimum of the
    /// level's size since we joined.
    pub fn queue_ahead(&self, order_id: u64) -> Option<i64> {
        self.own
            .iter()
            .find(|o| o.order_id == order_id)
            .map(|o| o.ahead)
    }

    /// Stops tracking an own order (filled or cancelled).
    pub fn leave_queue(&mut self, order_id: u64) {
        self.own.retain(|o| o.order_id != order_id);
    }

    #[inline]
    fn update_own(&mut self, side: BookSide, price: i64, size: i64) {
        for own in &mut self.own {
            if own.side == side && own.price == price && size < own.ahead {
                own.ahead = size;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{BookAction as A, BookSide as S};

    fn delta(action: A, side: S, price: i64, size: i64) -> BookDelta {
        BookDelta {
            action,
            side,
            price,
            size,
            ..BookDelta::default()
        }
    }

    #[test]
    fn keeps_best_levels_current() {
        let mut book = L2Book::new();
        for (side, price, size) in [
            (S::Bid, 100, 5),
            (S::Bid, 101, 2),
            (S::Ask, 103, 7),
            (S::Ask, 102, 1),
        ] {
            book.apply(&delta(A::Update, side, price, size));
        }
        assert_eq!(
            book.best_bid(),
            Some(Level {
                price: 101,
                size: 2
            })
        );
        assert_eq!(
            book.best_ask(),
            Some(Level {
                price: 102,
                size: 1
            })
        );
        book.apply(&delta(A::Update, S::Ask, 102, 0));
        assert_eq!(
            book.best_ask(),
            Some(Level {
                price: 103,
                size: 7
            })
        );
        book.apply(&delta(A::Delete, S::Bid, 101, 0));
        assert_eq!(
            book.best_bid(),
            Some(Level {
                price: 100,
                size: 5
            })
        );
        assert_eq!(book.spread(), Some(3));
        assert!(!book.is_crossed());
    }

    #[test]
    fn microprice_leans_to_the_thin_side() {
        let mut book = L2Book::new();
        book.apply(&delta(A::Add, S::Bid, 100, 9));
        book.apply(&delta(A::Add, S::Ask, 102, 1));
        // Ask is thin: price leans toward the ask.
        assert_eq!(book.microprice(), Some((100.0 * 1.0 + 102.0 * 9.0) / 10.0));
        assert_eq!(book.imbalance(1), Some(0.8));
    }

    #[test]
    fn queue_ahead_is_the_running_minimum_of_the_level() {
        let mut book = L2Book::new();
        book.apply(&delta(A::Update, S::Bid, 100, 20));
        assert_eq!(book.join_queue(7, S::Bid, 100), 20);
        book.apply(&delta(A::Update, S::Bid, 100, 5));
        assert_eq!(book.queue_ahead(7), Some(5));
        // Size arriving later queues behind us.
        book.apply(&delta(A::Update, S::Bid, 100, 40));
        assert_eq!(book.queue_ahead(7), Some(5));
        book.apply(&delta(A::Delete, S::Bid, 100, 0));
        assert_eq!(book.queue_ahead(7), Some(0));
        book.leave_queue(7);
        assert_eq!(book.queue_ahead(7), None);
    }

    #[test]
    fn average_fill_walks_levels() {
        let mut book = L2Book::new();
        book.apply(&delta(A::Add, S::Ask, 100, 1));
        book.apply(&delta(A::Add, S::Ask, 101, 2));
        assert_eq!(
            book.average_fill_price(S::Ask, 3),
            Some((100.0 + 202.0) / 3.0)
        );
        assert_eq!(book.average_fill_price(S::Ask, 4), None);
        let mut top = Vec::new();
        book.top_levels(S::Ask, 5, &mut top);
        assert_eq!(
            top,
            vec![
                Level {
                    price: 100,
                    size: 1
                },
                Level {
                    price: 101,
                    size: 2
                }
            ]
        );
    }

    mod props {
        use super::*;
        use proptest::prelude::*;
        use std::collections::BTreeMap;

        proptest! {
            #[test]
            fn matches_a_btreemap_model(ops in proptest::collection::vec((any::<bool>(), 0i64..64, 0i64..4), 0..400)) {
                let mut book = L2Book::new();
                let (mut bids, mut asks) = (BTreeMap::new(), BTreeMap::new());
                for (is_bid, price, size) in ops {
                    let (side, model) = if is_bid { (S::Bid, &mut bids) } else { (S::Ask, &mut asks) };
                    book.apply(&delta(A::Update, side, price, size));
                    if size == 0 { model.remove(&price); } else { model.insert(price, size); }
                }
                let got_bids: Vec<_> = book.bids().iter_best_first().map(|l| (l.price, l.size)).collect();
                let want_bids: Vec<_> = bids.iter().rev().map(|(p, s)| (*p, *s)).collect();
                prop_assert_eq!(got_bids, want_bids);
                let got_asks: Vec<_> = book.asks().iter_best_first().map(|l| (l.price, l.size)).collect();
                let want_asks: Vec<_> = asks.iter().map(|(p, s)| (*p, *s)).collect();
                prop_assert_eq!(got_asks, want_asks);
            }

            // Long runs over a wide ladder with many removals: vacated slots are
            // reused, popped under a removed best level and compacted away, and
            // the best level, the level count and every size stay the model's.
            #[test]
            fn vacated_slots_never_show(ops in proptest::collection::vec((0i64..512, 0i64..3), 0..3000)) {
                let mut book = L2Book::new();
                let mut model = BTreeMap::new();
                for (price, size) in ops {
                    book.apply(&delta(A::Update, S::Bid, price, size));
                    if size == 0 { model.remove(&price); } else { model.insert(price, size); }
                    let best = book.best_bid().map(|l| (l.price, l.size));
                    prop_assert_eq!(best, model.iter().next_back().map(|(p, s)| (*p, *s)));
                    prop_assert_eq!(book.bids().len(), model.len());
                    prop_assert_eq!(book.bids().size_at(price), size);
                }
                let got: Vec<_> = book.bids().iter_best_first().map(|l| (l.price, l.size)).collect();
                let want: Vec<_> = model.iter().rev().map(|(p, s)| (*p, *s)).collect();
                prop_assert_eq!(got, want);
            }
        }
    }
}

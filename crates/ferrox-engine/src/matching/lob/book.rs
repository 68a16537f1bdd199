//! The book itself: submit, cancel, modify and the queries.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::ladder::{Ladder, Node, Slab, NIL};
use super::{
    CancelReason, Execution, LobError, LobEvent, LobTimeInForce, NewOrder, OrderId, OwnerId,
    StpMode,
};
use crate::book::l3::OrderIdHasher;
use crate::orders::OrderSide;
use crate::types::UnixNanos;

type SlotMap = HashMap<OrderId, u32, BuildHasherDefault<OrderIdHasher>>;

/// One price level as seen from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelView {
    /// Price (raw).
    pub price: i64,
    /// Total open quantity (raw).
    pub quantity: i64,
    /// Number of orders.
    pub orders: u32,
}

/// A live order as seen from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderView {
    /// Its id.
    pub id: OrderId,
    /// Its owner.
    pub owner: OwnerId,
    /// Its side.
    pub side: OrderSide,
    /// Its price (raw).
    pub price: i64,
    /// Open quantity (raw).
    pub leaves: i64,
    /// Executed so far (raw).
    pub filled: i64,
    /// Whether it is post-only.
    pub post_only: bool,
    /// Its own self-trade prevention mode (`None` = the book's).
    pub stp: Option<StpMode>,
    /// Time it took its current place in the queue.
    pub ts_priority: UnixNanos,
    /// Sequence number of the event that gave it its place (smaller = older).
    pub seq_priority: u64,
}

/// Where an order stands in its level's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuePosition {
    /// Orders ahead of it at its price.
    pub orders_ahead: u32,
    /// Their open quantity (raw).
    pub quantity_ahead: i64,
}

/// What is needed of an incoming order while it matches.
#[derive(Debug, Clone, Copy)]
struct Incoming {
    id: OrderId,
    owner: OwnerId,
    side: OrderSide,
    price: Option<i64>,
    stp: StpMode,
}

/// Whether an incoming order on `side` limited at `limit` may execute at `price`.
#[inline]
fn crosses(side: OrderSide, limit: i64, price: i64) -> bool {
    match side {
        OrderSide::Buy => price <= limit,
        OrderSide::Sell => price >= limit,
    }
}

/// A full order-against-order limit order book with price-time priority and
/// self-trade prevention (see the module documentation).
#[derive(Debug, Clone)]
pub struct LimitOrderBook {
    tick: i64,
    lot: i64,
    stp: StpMode,
    bids: Ladder,
    asks: Ladder,
    slab: Slab,
    index: SlotMap,
    seq: u64,
}

impl LimitOrderBook {
    /// An empty book: prices are positive multiples of `tick`, quantities of
    /// `lot` (both raw); `stp` is the default self-trade prevention mode.
    pub fn new(tick: i64, lot: i64, stp: StpMode) -> Result<Self, LobError> {
        if tick < 1 || lot < 1 {
            return Err(LobError::BadIncrements { tick, lot });
        }
        Ok(Self {
            tick,
            lot,
            stp,
            bids: Ladder::new(OrderSide::Buy),
            asks: Ladder::new(OrderSide::Sell),
            slab: Slab::default(),
            index: SlotMap::default(),
            seq: 0,
        })
    }

    /// The price increment (raw).
    pub fn tick(&self) -> i64 {
        self.tick
    }

    /// The quantity increment (raw).
    pub fn lot(&self) -> i64 {
        self.lot
    }

    /// The default self-trade prevention mode.
    pub fn default_stp(&self) -> StpMode {
        self.stp
    }

    /// The sequence number of the last event (0 before any).
    pub fn last_seq(&self) -> u64 {
        self.seq
    }

    /// Number of live (resting) orders.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether no order rests.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    fn check_quantity(&self, id: OrderId, quantity: i64) -> Result<(), LobError> {
        if quantity <= 0 || quantity % self.lot != 0 {
            return Err(LobError::BadQuantity {
                id,
                quantity,
                lot: self.lot,
            });
        }
        Ok(())
    }

    fn check_price(&self, id: OrderId, price: i64) -> Result<(), LobError> {
        if price <= 0 || price % self.tick != 0 {
            return Err(LobError::BadPrice {
                id,
                price,
                tick: self.tick,
            });
        }
        Ok(())
    }

    #[inline]
    fn next_seq(seq: &mut u64) -> u64 {
        *seq += 1;
        *seq
    }

    /// Enters `order` at `now`: it executes against the book as far as its
    /// price and type allow, and what is left rests or is cancelled. Every
    /// consequence is pushed to `out`. An error means nothing changed.
    pub fn submit(
        &mut self,
        order: NewOrder,
        now: UnixNanos,
        out: &mut Vec<LobEvent>,
    ) -> Result<(), LobError> {
        let id = order.id;
        self.check_quantity(id, order.quantity)?;
        if let Some(price) = order.price {
            self.check_price(id, price)?;
        }
        if order.post_only {
            if order.price.is_none() {
                return Err(LobError::Incompatible {
                    id,
                    reason: "a market order cannot be post-only",
                });
            }
            if order.time_in_force != LobTimeInForce::Gtc {
                return Err(LobError::Incompatible {
                    id,
                    reason: "a post-only order must be GTC (it rests or is refused)",
                });
            }
        }
        if self.index.contains_key(&id) {
            return Err(LobError::DuplicateId { id });
        }
        let incoming = Incoming {
            id,
            owner: order.owner,
            side: order.side,
            price: order.price,
            stp: order.stp.unwrap_or(self.stp),
        };
        if let (true, Some(price)) = (order.post_only, order.price) {
            if self.would_cross(order.side, price) {
                self.cancel_incoming(&incoming, order.quantity, CancelReason::PostOnly, now, out);
                return Ok(());
            }
        }
        if order.time_in_force == LobTimeInForce::Fok && !self.can_fill(&incoming, order.quantity) {
            self.cancel_incoming(
                &incoming,
                order.quantity,
                CancelReason::FillOrKill,
                now,
                out,
            );
            return Ok(());
        }
        let mut remaining = order.quantity;
        let mut filled = 0;
        self.match_incoming(&incoming, &mut remaining, &mut filled, now, out);
        if remaining > 0 {
            match (order.price, order.time_in_force) {
                (Some(price), LobTimeInForce::Gtc) => {
                    let node = Node {
                        id,
                        owner: order.owner,
                        side: order.side,
                        price,
                        leaves: remaining,
                        filled,
                        stp: order.stp,
                        post_only: order.post_only,
                        ts_priority: now,
                        seq_priority: 0,
                        prev: NIL,
                        next: NIL,
                    };
                    self.rest(node, now, out);
                }
                _ => self.cancel_incoming(&incoming, remaining, CancelReason::Unfilled, now, out),
            }
        }
        Ok(())
    }

    /// Cancels the open quantity of order `id`.
    pub fn cancel(
        &mut self,
        id: OrderId,
        now: UnixNanos,
        out: &mut Vec<LobEvent>,
    ) -> Result<(), LobError> {
        let slot = self.slot_of(id)?;
        let node = self.remove_resting(slot);
        let seq = Self::next_seq(&mut self.seq);
        out.push(LobEvent::Cancelled {
            seq,
            ts: now,
            id,
            owner: node.owner,
            side: node.side,
            cancelled: node.leaves,
            leaves: 0,
            reason: CancelReason::Requested,
        });
        Ok(())
    }

    /// Sets order `id`'s price and/or open quantity (`None` = unchanged).
    ///
    /// A decrease at the same price keeps the order's place; a price change
    /// or an increase sends it to the back of its (new) level, and a new
    /// price that crosses executes at once (a post-only order that would
    /// cross is cancelled instead).
    pub fn modify(
        &mut self,
        id: OrderId,
        price: Option<i64>,
        quantity: Option<i64>,
        now: UnixNanos,
        out: &mut Vec<LobEvent>,
    ) -> Result<(), LobError> {
        let slot = self.slot_of(id)?;
        if let Some(p) = price {
            self.check_price(id, p)?;
        }
        if let Some(q) = quantity {
            self.check_quantity(id, q)?;
        }
        let node = self.slab.nodes[slot as usize];
        let new_price = price.unwrap_or(node.price);
        let new_leaves = quantity.unwrap_or(node.leaves);
        if new_price == node.price && new_leaves <= node.leaves {
            let ladder = match node.side {
                OrderSide::Buy => &mut self.bids,
                OrderSide::Sell => &mut self.asks,
            };
            if let Ok(at) = ladder.find(node.price) {
                ladder.levels[at].total -= node.leaves - new_leaves;
            }
            self.slab.nodes[slot as usize].leaves = new_leaves;
            let seq = Self::next_seq(&mut self.seq);
            out.push(LobEvent::Modified {
                seq,
                ts: now,
                id,
                owner: node.owner,
                side: node.side,
                price: new_price,
                leaves: new_leaves,
                priority_kept: true,
            });
            return Ok(());
        }
        self.remove_resting(slot);
        let seq = Self::next_seq(&mut self.seq);
        out.push(LobEvent::Modified {
            seq,
            ts: now,
            id,
            owner: node.owner,
            side: node.side,
            price: new_price,
            leaves: new_leaves,
            priority_kept: false,
        });
        let incoming = Incoming {
            id,
            owner: node.owner,
            side: node.side,
            price: Some(new_price),
            stp: node.stp.unwrap_or(self.stp),
        };
        if node.post_only && self.would_cross(node.side, new_price) {
            self.cancel_incoming(&incoming, new_leaves, CancelReason::PostOnly, now, out);
            return Ok(());
        }
        let mut remaining = new_leaves;
        let mut filled = node.filled;
        self.match_incoming(&incoming, &mut remaining, &mut filled, now, out);
        if remaining > 0 {
            let rested = Node {
                price: new_price,
                leaves: remaining,
                filled,
                ..node
            };
            self.rest(rested, now, out);
        }
        Ok(())
    }

    /// Best bid level.
    pub fn best_bid(&self) -> Option<LevelView> {
        self.bids.best().map(|l| LevelView {
            price: l.price,
            quantity: l.total,
            orders: l.count,
        })
    }

    /// Best ask level.
    pub fn best_ask(&self) -> Option<LevelView> {
        self.asks.best().map(|l| LevelView {
            price: l.price,
            quantity: l.total,
            orders: l.count,
        })
    }

    /// The levels of `side` (`Buy` = bids), best first.
    pub fn depth(&self, side: OrderSide) -> impl Iterator<Item = LevelView> + '_ {
        let ladder = match side {
            OrderSide::Buy => &self.bids,
            OrderSide::Sell => &self.asks,
        };
        ladder.iter_best_first().map(|l| LevelView {
            price: l.price,
            quantity: l.total,
            orders: l.count,
        })
    }

    /// The orders resting at `price` on `side`, oldest first.
    pub fn orders_at(&self, side: OrderSide, price: i64) -> impl Iterator<Item = OrderView> + '_ {
        let ladder = match side {
            OrderSide::Buy => &self.bids,
            OrderSide::Sell => &self.asks,
        };
        let head = ladder.find(price).map_or(NIL, |at| ladder.levels[at].head);
        let nodes = &self.slab.nodes;
        std::iter::successors((head != NIL).then_some(head), move |&slot| {
            let next = nodes[slot as usize].next;
            (next != NIL).then_some(next)
        })
        .map(move |slot| view(&nodes[slot as usize]))
    }

    /// The live order `id`, if any.
    pub fn order(&self, id: OrderId) -> Option<OrderView> {
        self.index
            .get(&id)
            .map(|&slot| view(&self.slab.nodes[slot as usize]))
    }

    /// Where order `id` stands in its level's queue (walks the queue ahead).
    pub fn queue_position(&self, id: OrderId) -> Result<QueuePosition, LobError> {
        let slot = self.slot_of(id)?;
        let nodes = &self.slab.nodes;
        let mut position = QueuePosition {
            orders_ahead: 0,
            quantity_ahead: 0,
        };
        let mut cursor = nodes[slot as usize].prev;
        while cursor != NIL {
            let n = &nodes[cursor as usize];
            position.orders_ahead += 1;
            position.quantity_ahead += n.leaves;
            cursor = n.prev;
        }
        Ok(position)
    }

    /// Whether the best bid is at or above the best ask (never true after
    /// a call returns; exposed for checks).
    pub fn is_crossed(&self) -> bool {
        match (self.bids.best(), self.asks.best()) {
            (Some(b), Some(a)) => b.price >= a.price,
            _ => false,
        }
    }

    /// Removes every order without events (a fresh session); sequence
    /// numbers go on.
    pub fn clear(&mut self) {
        self.bids.levels.clear();
        self.asks.levels.clear();
        self.slab.clear();
        self.index.clear();
    }

    fn slot_of(&self, id: OrderId) -> Result<u32, LobError> {
        self.index
            .get(&id)
            .copied()
            .ok_or(LobError::UnknownOrder { id })
    }

    fn would_cross(&self, side: OrderSide, price: i64) -> bool {
        let opposite = match side {
            OrderSide::Buy => &self.asks,
            OrderSide::Sell => &self.bids,
        };
        opposite
            .best()
            .is_some_and(|l| crosses(side, price, l.price))
    }

    /// Whether `incoming` could execute `quantity` in full right now, with
    /// self-trade prevention applied (a dry run of [`Self::match_incoming`]).
    fn can_fill(&self, incoming: &Incoming, quantity: i64) -> bool {
        let opposite = match incoming.side {
            OrderSide::Buy => &self.asks,
            OrderSide::Sell => &self.bids,
        };
        let mut need = quantity;
        for level in opposite.iter_best_first() {
            if let Some(limit) = incoming.price {
                if !crosses(incoming.side, limit, level.price) {
                    break;
                }
            }
            let mut slot = level.head;
            while slot != NIL {
                let n = &self.slab.nodes[slot as usize];
                if n.owner == incoming.owner && incoming.stp != StpMode::None {
                    // Cancel-oldest removes the resting order and goes on;
                    // every other mode stops or shrinks the incoming order
                    // without filling it.
                    if incoming.stp != StpMode::CancelOldest {
                        return false;
                    }
                } else if n.leaves >= need {
                    return true;
                } else {
                    need -= n.leaves;
                }
                slot = n.next;
            }
        }
        false
    }

    /// Executes `incoming` against the opposite side while it crosses;
    /// `remaining` and `filled` are updated in place.
    fn match_incoming(
        &mut self,
        incoming: &Incoming,
        remaining: &mut i64,
        filled: &mut i64,
        now: UnixNanos,
        out: &mut Vec<LobEvent>,
    ) {
        let Self {
            bids,
            asks,
            slab,
            index,
            seq,
            ..
        } = self;
        let opposite = match incoming.side {
            OrderSide::Buy => asks,
            OrderSide::Sell => bids,
        };
        let stp = incoming.stp;
        while *remaining > 0 {
            let Some(&level) = opposite.best() else {
                break;
            };
            if let Some(limit) = incoming.price {
                if !crosses(incoming.side, limit, level.price) {
                    break;
                }
            }
            let price = level.price;
            let slot = level.head;
            let maker = slab.nodes[slot as usize];
            let best = opposite.levels.len() - 1;
            if maker.owner == incoming.owner && stp != StpMode::None {
                let taker_cut = match stp {
                    StpMode::CancelNewest => *remaining,
                    StpMode::CancelOldest | StpMode::CancelBoth => {
                        opposite.unlink_at(&mut slab.nodes, best, slot);
                        index.remove(&maker.id);
                        slab.release(slot);
                        out.push(LobEvent::Cancelled {
                            seq: Self::next_seq(seq),
                            ts: now,
                            id: maker.id,
                            owner: maker.owner,
                            side: maker.side,
                            cancelled: maker.leaves,
                            leaves: 0,
                            reason: CancelReason::SelfTrade,
                        });
                        if stp == StpMode::CancelOldest {
                            0
                        } else {
                            *remaining
                        }
                    }
                    StpMode::DecrementAndCancel | StpMode::None => {
                        let cut = (*remaining).min(maker.leaves);
                        if cut == maker.leaves {
                            opposite.unlink_at(&mut slab.nodes, best, slot);
                            index.remove(&maker.id);
                            slab.release(slot);
                        } else {
                            slab.nodes[slot as usize].leaves -= cut;
                            opposite.levels[best].total -= cut;
                        }
                        out.push(LobEvent::Cancelled {
                            seq: Self::next_seq(seq),
                            ts: now,
                            id: maker.id,
                            owner: maker.owner,
                            side: maker.side,
                            cancelled: cut,
                            leaves: maker.leaves - cut,
                            reason: CancelReason::SelfTrade,
                        });
                        cut
                    }
                };
                if taker_cut > 0 {
                    *remaining -= taker_cut;
                    out.push(LobEvent::Cancelled {
                        seq: Self::next_seq(seq),
                        ts: now,
                        id: incoming.id,
                        owner: incoming.owner,
                        side: incoming.side,
                        cancelled: taker_cut,
                        leaves: *remaining,
                        reason: CancelReason::SelfTrade,
                    });
                    if stp != StpMode::DecrementAndCancel {
                        // Cancel-newest and cancel-both end the incoming
                        // order: nothing of it may rest or trade further.
                        *remaining = 0;
                    }
                }
                continue;
            }
            let size = (*remaining).min(maker.leaves);
            if size == maker.leaves {
                opposite.unlink_at(&mut slab.nodes, best, slot);
                index.remove(&maker.id);
                slab.release(slot);
            } else {
                let node = &mut slab.nodes[slot as usize];
                node.leaves -= size;
                node.filled += size;
                opposite.levels[best].total -= size;
            }
            *remaining -= size;
            *filled += size;
            out.push(LobEvent::Trade(Execution {
                seq: Self::next_seq(seq),
                ts: now,
                maker_id: maker.id,
                maker_owner: maker.owner,
                taker_id: incoming.id,
                taker_owner: incoming.owner,
                taker_side: incoming.side,
                price,
                size,
            }));
        }
    }

    /// Cancels `quantity` of an incoming order that never rested.
    fn cancel_incoming(
        &mut self,
        incoming: &Incoming,
        quantity: i64,
        reason: CancelReason,
        now: UnixNanos,
        out: &mut Vec<LobEvent>,
    ) {
        let seq = Self::next_seq(&mut self.seq);
        out.push(LobEvent::Cancelled {
            seq,
            ts: now,
            id: incoming.id,
            owner: incoming.owner,
            side: incoming.side,
            cancelled: quantity,
            leaves: 0,
            reason,
        });
    }

    /// Puts `node` at the back of its level.
    fn rest(&mut self, mut node: Node, now: UnixNanos, out: &mut Vec<LobEvent>) {
        let seq = Self::next_seq(&mut self.seq);
        node.seq_priority = seq;
        node.ts_priority = now;
        let slot = self.slab.insert(node);
        let ladder = match node.side {
            OrderSide::Buy => &mut self.bids,
            OrderSide::Sell => &mut self.asks,
        };
        ladder.push_back(&mut self.slab.nodes, slot);
        self.index.insert(node.id, slot);
        out.push(LobEvent::Rested {
            seq,
            ts: now,
            id: node.id,
            owner: node.owner,
            side: node.side,
            price: node.price,
            leaves: node.leaves,
        });
    }

    /// Unlinks the resting order in `slot` and forgets it; returns it.
    fn remove_resting(&mut self, slot: u32) -> Node {
        let node = self.slab.nodes[slot as usize];
        let ladder = match node.side {
            OrderSide::Buy => &mut self.bids,
            OrderSide::Sell => &mut self.asks,
        };
        if let Ok(at) = ladder.find(node.price) {
            ladder.unlink_at(&mut self.slab.nodes, at, slot);
        }
        self.index.remove(&node.id);
        self.slab.release(slot);
        node
    }
}

fn view(n: &Node) -> OrderView {
    OrderView {
        id: n.id,
        owner: n.owner,
        side: n.side,
        price: n.price,
        leaves: n.leaves,
        filled: n.filled,
        post_only: n.post_only,
        stp: n.stp,
        ts_priority: n.ts_priority,
        seq_priority: n.seq_priority,
    }
}

//! Storage of the order-against-order book: a slab of order nodes and, per
//! side, a `Vec` of price levels sorted so that the best price is last; each
//! level is an intrusive FIFO (doubly linked through the slab).

use super::{OrderId, OwnerId, StpMode};
use crate::orders::OrderSide;
use crate::types::UnixNanos;

/// "No node": end of a list.
pub(super) const NIL: u32 = u32::MAX;

/// A resting order.
#[derive(Debug, Clone, Copy)]
pub(super) struct Node {
    pub id: OrderId,
    pub owner: OwnerId,
    pub side: OrderSide,
    pub price: i64,
    /// Open quantity.
    pub leaves: i64,
    /// Executed so far.
    pub filled: i64,
    pub stp: Option<StpMode>,
    pub post_only: bool,
    /// When it took its current place in the queue.
    pub ts_priority: UnixNanos,
    /// Event sequence number at which it took its place (the time priority).
    pub seq_priority: u64,
    pub prev: u32,
    pub next: u32,
}

/// The nodes, with a free list so that slots are reused.
#[derive(Debug, Default, Clone)]
pub(super) struct Slab {
    pub nodes: Vec<Node>,
    free: Vec<u32>,
}

impl Slab {
    pub fn insert(&mut self, node: Node) -> u32 {
        if let Some(slot) = self.free.pop() {
            self.nodes[slot as usize] = node;
            slot
        } else {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        }
    }

    pub fn release(&mut self, slot: u32) {
        self.free.push(slot);
    }

    pub fn clear(&mut self) {
        self.nodes.clear();
        self.free.clear();
    }
}

/// One price level: its total open quantity and its FIFO of orders.
#[derive(Debug, Clone, Copy)]
pub(super) struct Level {
    pub price: i64,
    pub total: i64,
    pub count: u32,
    pub head: u32,
    pub tail: u32,
}

/// The levels of one side, best price last.
#[derive(Debug, Clone)]
pub(super) struct Ladder {
    side: OrderSide,
    pub levels: Vec<Level>,
}

impl Ladder {
    pub fn new(side: OrderSide) -> Self {
        Self {
            side,
            levels: Vec::new(),
        }
    }

    /// Position of `price`: `Ok(index)` if the level exists, else where it
    /// would go. Bids ascend (best = highest last), asks descend.
    #[inline]
    pub fn find(&self, price: i64) -> Result<usize, usize> {
        let at = match self.side {
            OrderSide::Buy => self.levels.partition_point(|l| l.price < price),
            OrderSide::Sell => self.levels.partition_point(|l| l.price > price),
        };
        match self.levels.get(at) {
            Some(l) if l.price == price => Ok(at),
            _ => Err(at),
        }
    }

    #[inline]
    pub fn best(&self) -> Option<&Level> {
        self.levels.last()
    }

    /// Levels best first.
    pub fn iter_best_first(&self) -> impl Iterator<Item = &Level> {
        self.levels.iter().rev()
    }

    /// Links `slot` (whose price and leaves are set) at the back of its level.
    pub fn push_back(&mut self, nodes: &mut [Node], slot: u32) {
        let (price, leaves) = {
            let n = &nodes[slot as usize];
            (n.price, n.leaves)
        };
        let at = match self.find(price) {
            Ok(at) => at,
            Err(at) => {
                self.levels.insert(
                    at,
                    Level {
                        price,
                        total: 0,
                        count: 0,
                        head: NIL,
                        tail: NIL,
                    },
                );
                at
            }
        };
        let level = &mut self.levels[at];
        let tail = level.tail;
        nodes[slot as usize].prev = tail;
        nodes[slot as usize].next = NIL;
        if tail == NIL {
            level.head = slot;
        } else {
            nodes[tail as usize].next = slot;
        }
        level.tail = slot;
        level.total += leaves;
        level.count += 1;
    }

    /// Unlinks `slot` from the level at index `at` (its open quantity leaves
    /// the level's total); drops the level once empty.
    pub fn unlink_at(&mut self, nodes: &mut [Node], at: usize, slot: u32) {
        let (prev, next, leaves) = {
            let n = &nodes[slot as usize];
            (n.prev, n.next, n.leaves)
        };
        let level = &mut self.levels[at];
        if prev == NIL {
            level.head = next;
        } else {
            nodes[prev as usize].next = next;
        }
        if next == NIL {
            level.tail = prev;
        } else {
            nodes[next as usize].prev = prev;
        }
        level.total -= leaves;
        level.count -= 1;
        if level.count == 0 {
            self.levels.remove(at);
        }
    }
}

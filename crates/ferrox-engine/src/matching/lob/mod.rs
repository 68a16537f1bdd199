//! A full order-against-order limit order book: every resting order is some
//! agent's order. For multi-agent simulations and for the exchange simulator
//! that live mode uses.
//!
//! # Matching
//!
//! Price-time priority: an incoming order executes against the best opposite
//! price first and, within a price, against the order that has waited longest.
//! Every execution is at the **resting** order's price. What is left of an
//! incoming limit order rests at the back of its price level (GTC), or is
//! cancelled (IOC; and every market order, which never rests).
//!
//! - **FOK** executes in full at once or not at all: the book is walked first
//!   without changing it (self-trade prevention included: quantity that STP
//!   would cancel rather than fill does not count), and if the order cannot
//!   fill completely it is cancelled with nothing else happening.
//! - **Post-only** is refused (cancelled with [`CancelReason::PostOnly`],
//!   Binance's `LIMIT_MAKER` behaviour) if it would cross the opposite best
//!   price on arrival; otherwise it rests like a GTC limit. It must be GTC.
//! - **Cancel** removes an order's open quantity.
//! - **Modify** sets an order's open quantity and/or price. A size *decrease*
//!   at the same price keeps its place in the queue; a price change or a size
//!   increase loses it (the order goes to the back of its new level, as CME
//!   and most venues do). A price change that crosses executes at once as an
//!   incoming order (a post-only order that would cross is cancelled).
//!
//! # Self-trade prevention
//!
//! Two orders of the same owner never trade with each other unless the mode
//! is [`StpMode::None`]. The incoming (taker) order's mode decides — its own,
//! or the book's default when it has none — as on Binance and CME. The modes
//! (Binance calls them `EXPIRE_TAKER`/`EXPIRE_MAKER`/`EXPIRE_BOTH`, CME
//! "cancel newest"/"cancel oldest"; decrement-and-cancel is FIX's and
//! Coinbase's `dc`):
//!
//! - [`StpMode::CancelNewest`]: the incoming order's remaining quantity is
//!   cancelled; the resting order stays untouched.
//! - [`StpMode::CancelOldest`]: the resting order is cancelled and the
//!   incoming order goes on matching against the next resting order.
//! - [`StpMode::CancelBoth`]: both are cancelled.
//! - [`StpMode::DecrementAndCancel`]: both are reduced by the smaller of the
//!   two quantities (an order reduced to zero is gone). If the incoming order
//!   has quantity left it goes on matching; a resting order with quantity
//!   left keeps its place in the queue.
//!
//! # Events
//!
//! Every call pushes what happened, in order, to a caller-owned `Vec` of
//! [`LobEvent`]s; each event carries a book-wide sequence number (one
//! counter for all events, so they order totally) and the caller's time.
//! Quantity is conserved: everything submitted (plus modify increases) is
//! executed (twice: once per side), resting, cancelled (see
//! [`LobEvent::Cancelled`]), or removed by a modify decrease.
//!
//! # Speed
//!
//! Orders live in a slab (a `Vec` with a free list), each price level keeps
//! an intrusive doubly-linked FIFO through the slab, and each side's levels
//! sit in a `Vec` sorted so that the best price is last (the busiest levels
//! are the cheapest to add and remove). An order id maps to its slab slot
//! through a hash map with a multiplicative hasher. After warm-up nothing
//! allocates per order or per execution.

mod book;
mod ladder;
#[cfg(test)]
mod tests;

pub use book::{LevelView, LimitOrderBook, OrderView, QueuePosition};

use thiserror::Error;

use crate::orders::OrderSide;
use crate::types::UnixNanos;

/// An order id: unique among the orders live in one book (an id may be
/// reused once its order is gone).
pub type OrderId = u64;

/// The trader or account an order belongs to; two orders of the same owner
/// are subject to self-trade prevention.
pub type OwnerId = u64;

/// What happens when an incoming order would trade with a resting order of
/// the same owner (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum StpMode {
    /// Self-trades are allowed.
    None = 0,
    /// Cancel the incoming order's remaining quantity (Binance
    /// `EXPIRE_TAKER`, CME "cancel newest").
    #[default]
    CancelNewest = 1,
    /// Cancel the resting order; the incoming order goes on matching
    /// (Binance `EXPIRE_MAKER`, CME "cancel oldest").
    CancelOldest = 2,
    /// Cancel both (Binance `EXPIRE_BOTH`).
    CancelBoth = 3,
    /// Reduce both by the smaller quantity; an order left with nothing is
    /// gone (FIX / Coinbase "decrement and cancel").
    DecrementAndCancel = 4,
}

impl StpMode {
    /// `none`, `cancel-newest`, `cancel-oldest`, `cancel-both`, `decrement-and-cancel`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::CancelNewest => "cancel-newest",
            Self::CancelOldest => "cancel-oldest",
            Self::CancelBoth => "cancel-both",
            Self::DecrementAndCancel => "decrement-and-cancel",
        }
    }

    /// The mode named by [`Self::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "none" => Self::None,
            "cancel-newest" => Self::CancelNewest,
            "cancel-oldest" => Self::CancelOldest,
            "cancel-both" => Self::CancelBoth,
            "decrement-and-cancel" => Self::DecrementAndCancel,
            _ => return None,
        })
    }
}

/// How long an incoming order works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum LobTimeInForce {
    /// The rest of a limit order rests until cancelled.
    #[default]
    Gtc = 1,
    /// Execute what is possible now, cancel the rest.
    Ioc = 2,
    /// Execute all now or nothing.
    Fok = 3,
}

impl LobTimeInForce {
    /// `GTC`, `IOC`, `FOK`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gtc => "GTC",
            Self::Ioc => "IOC",
            Self::Fok => "FOK",
        }
    }
}

/// An order entering the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewOrder {
    /// Its id (must not be live in the book).
    pub id: OrderId,
    /// Whose it is.
    pub owner: OwnerId,
    /// Buy or sell.
    pub side: OrderSide,
    /// Limit price (raw); `None` for a market order.
    pub price: Option<i64>,
    /// Quantity (raw), a positive multiple of the book's lot.
    pub quantity: i64,
    /// How long it works (market orders never rest, whatever this says).
    pub time_in_force: LobTimeInForce,
    /// Refuse rather than take liquidity on arrival.
    pub post_only: bool,
    /// Self-trade prevention for this order; `None` = the book's default.
    pub stp: Option<StpMode>,
}

impl NewOrder {
    /// A GTC limit order.
    pub fn limit(id: OrderId, owner: OwnerId, side: OrderSide, price: i64, quantity: i64) -> Self {
        Self {
            id,
            owner,
            side,
            price: Some(price),
            quantity,
            time_in_force: LobTimeInForce::Gtc,
            post_only: false,
            stp: None,
        }
    }

    /// A market order.
    pub fn market(id: OrderId, owner: OwnerId, side: OrderSide, quantity: i64) -> Self {
        Self {
            price: None,
            ..Self::limit(id, owner, side, 0, quantity)
        }
    }

    /// The same order with time in force `tif`.
    pub fn with_tif(self, tif: LobTimeInForce) -> Self {
        Self {
            time_in_force: tif,
            ..self
        }
    }

    /// The same order, post-only.
    pub fn post_only(self) -> Self {
        Self {
            post_only: true,
            ..self
        }
    }

    /// The same order with its own self-trade prevention mode.
    pub fn with_stp(self, mode: StpMode) -> Self {
        Self {
            stp: Some(mode),
            ..self
        }
    }
}

/// Why quantity left the book without trading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CancelReason {
    /// The owner cancelled it.
    Requested = 1,
    /// What an IOC or market order could not execute at once.
    Unfilled = 2,
    /// A FOK order that could not execute in full.
    FillOrKill = 3,
    /// A post-only order that would have crossed.
    PostOnly = 4,
    /// Self-trade prevention.
    SelfTrade = 5,
}

impl CancelReason {
    /// `requested`, `unfilled`, `fill-or-kill`, `post-only`, `self-trade`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Unfilled => "unfilled",
            Self::FillOrKill => "fill-or-kill",
            Self::PostOnly => "post-only",
            Self::SelfTrade => "self-trade",
        }
    }
}

/// One execution between a resting (maker) and an incoming (taker) order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Execution {
    /// Book-wide event sequence number.
    pub seq: u64,
    /// When (the caller's time).
    pub ts: UnixNanos,
    /// The resting order.
    pub maker_id: OrderId,
    /// Its owner.
    pub maker_owner: OwnerId,
    /// The incoming order.
    pub taker_id: OrderId,
    /// Its owner.
    pub taker_owner: OwnerId,
    /// The incoming order's side (the aggressor side).
    pub taker_side: OrderSide,
    /// The resting order's price (raw).
    pub price: i64,
    /// Executed quantity (raw).
    pub size: i64,
}

/// Something that happened in the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LobEvent {
    /// An execution.
    Trade(Execution),
    /// An order (or what is left of it) now rests in the book, at the back
    /// of its level.
    Rested {
        /// Sequence number.
        seq: u64,
        /// When.
        ts: UnixNanos,
        /// The order.
        id: OrderId,
        /// Its owner.
        owner: OwnerId,
        /// Its side.
        side: OrderSide,
        /// Its price (raw).
        price: i64,
        /// Its open quantity (raw).
        leaves: i64,
    },
    /// Quantity of an order left without trading: all of what was open
    /// when `leaves` is 0, part of it otherwise (decrement-and-cancel).
    Cancelled {
        /// Sequence number.
        seq: u64,
        /// When.
        ts: UnixNanos,
        /// The order.
        id: OrderId,
        /// Its owner.
        owner: OwnerId,
        /// Its side.
        side: OrderSide,
        /// Quantity removed (raw).
        cancelled: i64,
        /// Quantity still open after this (raw).
        leaves: i64,
        /// Why.
        reason: CancelReason,
    },
    /// A modify was applied (before any execution or resting it causes).
    Modified {
        /// Sequence number.
        seq: u64,
        /// When.
        ts: UnixNanos,
        /// The order.
        id: OrderId,
        /// Its owner.
        owner: OwnerId,
        /// Its side.
        side: OrderSide,
        /// New price (raw).
        price: i64,
        /// New open quantity (raw).
        leaves: i64,
        /// Whether the order kept its place in the queue.
        priority_kept: bool,
    },
}

impl LobEvent {
    /// The event's sequence number.
    pub fn seq(&self) -> u64 {
        match self {
            Self::Trade(e) => e.seq,
            Self::Rested { seq, .. } | Self::Cancelled { seq, .. } | Self::Modified { seq, .. } => {
                *seq
            }
        }
    }
}

/// A request the book refuses; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LobError {
    /// Submit of an id that is live in the book.
    #[error("order {id}: id already in use by a live order in the book")]
    DuplicateId {
        /// The id.
        id: OrderId,
    },
    /// Cancel, modify or lookup of an order that is not live.
    #[error("order {id}: unknown (never submitted, filled, or cancelled)")]
    UnknownOrder {
        /// The id.
        id: OrderId,
    },
    /// A quantity that is not a positive multiple of the lot.
    #[error("order {id}: quantity {quantity} must be a positive multiple of the lot size {lot}")]
    BadQuantity {
        /// The order.
        id: OrderId,
        /// The quantity given (raw).
        quantity: i64,
        /// The book's lot (raw).
        lot: i64,
    },
    /// A price that is not a positive multiple of the tick.
    #[error("order {id}: price {price} must be a positive multiple of the tick size {tick}")]
    BadPrice {
        /// The order.
        id: OrderId,
        /// The price given (raw).
        price: i64,
        /// The book's tick (raw).
        tick: i64,
    },
    /// An order whose fields contradict each other.
    #[error("order {id}: {reason}")]
    Incompatible {
        /// The order.
        id: OrderId,
        /// What contradicts what.
        reason: &'static str,
    },
    /// A book configured with a tick or lot below 1.
    #[error("book: tick {tick} and lot {lot} must both be at least 1 (raw)")]
    BadIncrements {
        /// The tick given.
        tick: i64,
        /// The lot given.
        lot: i64,
    },
}

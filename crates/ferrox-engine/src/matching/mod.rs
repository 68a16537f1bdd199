//! Simulated venues: matching engines that turn orders into fills.
//!
//! [`SimulatedExchange`] (one per instrument) matches the strategy's orders
//! against historical market data: an L2 book (with a queue-position model for
//! resting orders), L1 quotes, or bars (an OHLC path). [`lob`] is a full
//! order-against-order limit order book with price-time priority and
//! self-trade prevention, for multi-agent simulations.
//!
//! The engine drives a venue through the [`MatchingEngine`] trait: commands
//! arrive after the order-entry latency, market data arrives at `ts_init`, and
//! every answer is an [`OrderEvent`] pushed to `out` with the venue's time;
//! the engine delays those by the acknowledgement latency before the
//! strategy sees them.

pub mod bar_path;
pub mod exchange;
pub mod lob;
pub mod queue;
#[cfg(test)]
mod tests;
pub mod triggers;

pub use bar_path::BarPathModel;
pub use exchange::{codes, ExchangeConfig, ExchangeError, SimulatedExchange};
pub use queue::QueueModel;

use crate::orders::{ClientOrderId, OrderEvent, OrderRequest};
use crate::types::{Bar, BookDelta, QuoteTick, TradeTick, UnixNanos};

/// A request that reaches a venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VenueCommand {
    /// A new order (already through risk).
    Submit {
        /// Its client order id.
        id: ClientOrderId,
        /// What it asks for.
        request: OrderRequest,
    },
    /// Cancel the working order `id`.
    Cancel {
        /// The order.
        id: ClientOrderId,
    },
    /// Change a working order's quantity and/or prices (None = unchanged).
    Modify {
        /// The order.
        id: ClientOrderId,
        /// New total quantity (raw), including what has filled.
        quantity: Option<i64>,
        /// New limit price (raw).
        price: Option<i64>,
        /// New trigger price (raw).
        trigger_price: Option<i64>,
    },
}

/// A venue that matches orders against market data.
///
/// Implementations never emit a fill at a price better than the data they
/// have seen allows, and emit events in the order they happen.
pub trait MatchingEngine {
    /// Handle a command that arrives at `now`.
    fn on_command(&mut self, command: &VenueCommand, now: UnixNanos, out: &mut Vec<OrderEvent>);
    /// A historical trade print at its `ts_init`.
    fn on_trade(&mut self, trade: &TradeTick, out: &mut Vec<OrderEvent>);
    /// A historical best bid/offer.
    fn on_quote(&mut self, quote: &QuoteTick, out: &mut Vec<OrderEvent>);
    /// A historical book delta.
    fn on_delta(&mut self, delta: &BookDelta, out: &mut Vec<OrderEvent>);
    /// A historical bar (at its close, `ts_init`).
    fn on_bar(&mut self, bar: &Bar, out: &mut Vec<OrderEvent>);
    /// Time moved to `now` with no data: expire GTD/DAY orders that are due.
    fn on_time(&mut self, now: UnixNanos, out: &mut Vec<OrderEvent>);
    /// Earliest time at which a working order expires, if any (so the
    /// engine can wake the venue without data).
    fn next_expiry(&self) -> Option<UnixNanos>;
    /// The venue's current view of the book (from deltas, or the one-level
    /// book of the last quote); the engine lends it to strategies when there
    /// is no feed latency, so the book is kept once, not twice.
    fn book(&self) -> Option<&crate::book::L2Book>;
}

//! Orders: the vocabulary, one order's state machine, contingencies and
//! execution algorithms.

pub mod contingency;
pub mod order;
pub mod twap;
pub mod types;

#[cfg(test)]
mod tests;

pub use contingency::{
    Bracket, ContingencyAction, ContingencyError, ContingencyManager, OrderLookup,
};
pub use order::{Order, OrderError, OrderEvent, OrderEventKind};
pub use twap::{SliceStyle, Twap, TwapError, TwapParams, TwapSchedule};
pub use types::{
    ClientOrderId, ContingencyType, LiquiditySide, OrderRequest, OrderSide, OrderStatus, OrderType,
    TimeInForce, TrailingOffsetType,
};

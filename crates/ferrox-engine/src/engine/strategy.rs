//! The Rust strategy interface: the fastest path, with no Python per event.
//!
//! A strategy receives only the event kinds it subscribed to
//! ([`Subscriptions`]); every callback gets the engine's [`EngineCore`] to read
//! books, bars, indicators, the portfolio and orders, and to send orders.
//! The Python `ferrox.backtest.Strategy` is bound to this same trait by an
//! adapter in the bindings crate, so both run in the same loop.

use thiserror::Error;

use super::core::{EngineCore, FillReport};
use crate::orders::OrderEvent;
use crate::types::{Bar, BookDelta, QuoteTick, TradeTick};

/// A strategy callback failed; the run stops with this error.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("strategy error in {callback}: {message}")]
pub struct StrategyError {
    /// The callback that failed (`on_bar`, ...).
    pub callback: &'static str,
    /// What went wrong.
    pub message: String,
}

/// Result of a strategy callback.
pub type StrategyResult = Result<(), StrategyError>;

/// Which market-data kinds a strategy wants; the others never reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Subscriptions {
    /// Trade prints.
    pub trades: bool,
    /// Quotes.
    pub quotes: bool,
    /// Book updates (`on_book`, once per venue batch, i.e. on `FLAG_LAST`).
    pub book: bool,
    /// Bars from the feed and bars the data engine builds.
    pub bars: bool,
}

/// An event-driven trading strategy.
///
/// Every method has a default that does nothing, so a strategy implements
/// only what it uses.
#[allow(unused_variables)]
pub trait Strategy {
    /// The market-data kinds to deliver.
    fn subscriptions(&self) -> Subscriptions;
    /// Before the first event.
    fn on_start(&mut self, ctx: &mut EngineCore) -> StrategyResult {
        Ok(())
    }
    /// After the last event.
    fn on_stop(&mut self, ctx: &mut EngineCore) -> StrategyResult {
        Ok(())
    }
    /// A trade print.
    fn on_trade(&mut self, ctx: &mut EngineCore, trade: &TradeTick) -> StrategyResult {
        Ok(())
    }
    /// A quote.
    fn on_quote(&mut self, ctx: &mut EngineCore, quote: &QuoteTick) -> StrategyResult {
        Ok(())
    }
    /// The book of `delta.instrument` is consistent after this delta.
    fn on_book(&mut self, ctx: &mut EngineCore, delta: &BookDelta) -> StrategyResult {
        Ok(())
    }
    /// A bar closed.
    fn on_bar(&mut self, ctx: &mut EngineCore, bar: &Bar) -> StrategyResult {
        Ok(())
    }
    /// A timer set with [`EngineCore::set_timer`] fired.
    fn on_timer(&mut self, ctx: &mut EngineCore, timer_id: u64) -> StrategyResult {
        Ok(())
    }
    /// Any event of one of this strategy's orders.
    fn on_order(&mut self, ctx: &mut EngineCore, event: &OrderEvent) -> StrategyResult {
        Ok(())
    }
    /// A fill of one of this strategy's orders (after `on_order`).
    fn on_fill(&mut self, ctx: &mut EngineCore, fill: &FillReport) -> StrategyResult {
        Ok(())
    }
    /// The position in `instrument` changed (after `on_fill`).
    fn on_position(&mut self, ctx: &mut EngineCore, instrument: u32) -> StrategyResult {
        Ok(())
    }
}

//! Bars from quotes: the bid, the ask or the mid fed to an aggregator as
//! trades of unknown aggressor.
//!
//! - `bid`: price = bid price, size = bid size; `ask` likewise.
//! - `mid`: price = (bid + ask) / 2 and size = (bid size + ask size) / 2,
//!   both exact at one more decimal: raw `(bid + ask) × 5` at price
//!   precision + 1, raw `(bid size + ask size) × 5` at size precision + 1.
//!
//! Volume of quote bars is therefore quoted size, not traded size, and
//! `trade_count` counts quote updates.

use super::bar::Trade;
use crate::types::{AggressorSide, UnixNanos};

/// What a bar's prices are taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Trade prices and sizes.
    Trades,
    /// Best bid price and size.
    Bid,
    /// Best ask price and size.
    Ask,
    /// Mid price and mean size, at one more decimal each.
    Mid,
}

impl Source {
    /// Parses `trades`, `bid`, `ask` or `mid`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "trades" => Some(Source::Trades),
            "bid" => Some(Source::Bid),
            "ask" => Some(Source::Ask),
            "mid" => Some(Source::Mid),
            _ => None,
        }
    }

    /// The name [`Source::parse`] reads.
    pub fn name(self) -> &'static str {
        match self {
            Source::Trades => "trades",
            Source::Bid => "bid",
            Source::Ask => "ask",
            Source::Mid => "mid",
        }
    }

    /// Precisions (price, size) of the bars given those of the input.
    pub fn bar_precisions(self, price_precision: u8, size_precision: u8) -> (u8, u8) {
        match self {
            Source::Mid => (price_precision + 1, size_precision + 1),
            _ => (price_precision, size_precision),
        }
    }

    /// The trade a quote feeds to the aggregator; `None` when the mid
    /// overflows `i64` (or for [`Source::Trades`], which takes no quotes).
    #[inline(always)]
    pub fn quote_trade(
        self,
        ts: UnixNanos,
        bid_price: i64,
        ask_price: i64,
        bid_size: i64,
        ask_size: i64,
    ) -> Option<Trade> {
        let (price, size) = match self {
            Source::Trades => return None,
            Source::Bid => (bid_price, bid_size),
            Source::Ask => (ask_price, ask_size),
            Source::Mid => (
                bid_price.checked_add(ask_price)?.checked_mul(5)?,
                bid_size.checked_add(ask_size)?.checked_mul(5)?,
            ),
        };
        Some(Trade {
            ts,
            price,
            size,
            side: AggressorSide::NoAggressor,
        })
    }
}

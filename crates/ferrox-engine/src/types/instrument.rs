//! Instrument definitions: increments, precisions, currencies, multiplier.

use super::fixed::FixedError;
use super::ids::InstrumentId;
use super::values::{Price, Quantity};

/// What kind of contract an instrument is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstrumentKind {
    /// Spot currency pair or cash equity.
    Spot,
    /// Perpetual swap (linear or inverse).
    Perpetual,
    /// Dated future.
    Future,
    /// Option.
    Option,
}

/// A tradable instrument. Prices and sizes of its data are exact multiples of
/// `price_increment` and `size_increment`, at their precisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    /// `SYMBOL.VENUE`.
    pub id: InstrumentId,
    /// Contract kind.
    pub kind: InstrumentKind,
    /// Smallest price step (tick size); its precision is the price precision.
    pub price_increment: Price,
    /// Smallest size step (lot size); its precision is the size precision.
    pub size_increment: Quantity,
    /// Base currency (what is bought), e.g. `BTC`.
    pub base_currency: String,
    /// Quote currency (what prices are in), e.g. `USDT`.
    pub quote_currency: String,
    /// Settlement currency (margin and PnL), e.g. `USDT`; `BTC` for inverse.
    pub settlement_currency: String,
    /// Contract multiplier (1 for spot and linear perpetuals).
    pub multiplier: Quantity,
    /// Whether PnL is in the base currency (coin-margined contracts).
    pub is_inverse: bool,
}

impl Instrument {
    /// Decimals of prices.
    pub fn price_precision(&self) -> u8 {
        self.price_increment.precision()
    }

    /// Decimals of sizes.
    pub fn size_precision(&self) -> u8 {
        self.size_increment.precision()
    }

    /// Checks that `raw` (at the price precision) is a whole number of ticks.
    pub fn check_price_raw(&self, raw: i64) -> Result<(), FixedError> {
        check_multiple(raw, self.price_increment.raw(), self.price_precision())
    }

    /// Checks that `raw` (at the size precision) is a whole number of lots.
    pub fn check_size_raw(&self, raw: i64) -> Result<(), FixedError> {
        check_multiple(raw, self.size_increment.raw(), self.size_precision())
    }
}

fn check_multiple(raw: i64, increment: i64, precision: u8) -> Result<(), FixedError> {
    if increment <= 1 || raw % increment == 0 {
        Ok(())
    } else {
        Err(FixedError::TooPrecise {
            text: format!(
                "{} (not a multiple of increment {})",
                super::fixed::format_fixed(raw, precision),
                super::fixed::format_fixed(increment, precision)
            ),
            decimals: u32::from(precision),
            precision,
        })
    }
}

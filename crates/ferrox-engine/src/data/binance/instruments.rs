//! Venues and the reader's instrument table.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::types::{InstrumentId, Price, Quantity};

/// The Binance markets, each its own venue in instrument ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Venue {
    /// Spot (`BINANCE`).
    Spot,
    /// USD-M (USDT/USDC-margined) futures (`BINANCE-USDM`).
    UsdM,
    /// COIN-M (coin-margined, inverse) futures (`BINANCE-COINM`); their
    /// symbols are a USD pair, an underscore and the expiry
    /// (`BTCUSD_PERP`, `ETHUSD_240927`).
    CoinM,
}

impl Venue {
    /// Every venue, in the order listed in messages.
    pub const ALL: [Venue; 3] = [Venue::Spot, Venue::UsdM, Venue::CoinM];

    /// The venue as written in instrument ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Venue::Spot => "BINANCE",
            Venue::UsdM => "BINANCE-USDM",
            Venue::CoinM => "BINANCE-COINM",
        }
    }
}

impl fmt::Display for Venue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A venue name that is not one of [`Venue::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown Binance venue {0:?}; expected BINANCE, BINANCE-USDM or BINANCE-COINM")]
pub struct UnknownVenue(pub String);

impl FromStr for Venue {
    type Err = UnknownVenue;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Venue::ALL
            .into_iter()
            .find(|v| v.as_str() == text)
            .ok_or_else(|| UnknownVenue(text.to_owned()))
    }
}

/// Spot or futures, as judged from a file's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Market {
    Spot,
    Futures,
}

impl Market {
    /// The venue of `symbol` in this market.
    pub(crate) fn venue_of(self, symbol: &str) -> Venue {
        match self {
            Market::Spot => Venue::Spot,
            // USD-M delivery contracts also have an expiry (`BTCUSDT_240927`)
            // but quote in USDT or USDC, not USD.
            Market::Futures
                if symbol
                    .split_once('_')
                    .is_some_and(|(pair, _)| pair.ends_with("USD")) =>
            {
                Venue::CoinM
            }
            Market::Futures => Venue::UsdM,
        }
    }
}

/// A known instrument's increments: its prices and sizes must be exact
/// multiples of them, at their precisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentSpec {
    /// `SYMBOL.VENUE`.
    pub id: InstrumentId,
    /// Tick size; its precision is the price precision.
    pub price_increment: Price,
    /// Lot size; its precision is the size precision.
    pub size_increment: Quantity,
}

impl From<&crate::types::Instrument> for InstrumentSpec {
    fn from(inst: &crate::types::Instrument) -> Self {
        Self {
            id: inst.id.clone(),
            price_increment: inst.price_increment,
            size_increment: inst.size_increment,
        }
    }
}

/// A positive increment with a divisibility test that needs no division:
/// every price and size is checked against one, so `raw % increment` (a
/// 40-cycle division) is replaced by a multiply with the inverse of its
/// odd part (Granlund & Montgomery, "Division by invariant integers using
/// multiplication", 1994, section 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Increment {
    raw: i64,
    twos: u32,
    inverse: u64,
    limit: u64,
}

impl Increment {
    pub(crate) fn new(raw: i64) -> Self {
        let raw = raw.max(1);
        let twos = raw.trailing_zeros();
        let odd = (raw as u64) >> twos;
        // Newton's iteration doubles the correct low bits: 3 -> 6 -> ... -> 96.
        let mut inverse = odd;
        for _ in 0..5 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(odd.wrapping_mul(inverse)));
        }
        Self {
            raw,
            twos,
            inverse,
            limit: u64::MAX / odd,
        }
    }

    /// The increment's raw value.
    pub(crate) fn raw(self) -> i64 {
        self.raw
    }

    /// Whether `value` is a whole number of increments.
    #[inline(always)]
    pub(crate) fn divides(self, value: i64) -> bool {
        if self.raw == 1 {
            return true;
        }
        let v = value.unsigned_abs();
        v.trailing_zeros() >= self.twos && (v >> self.twos).wrapping_mul(self.inverse) <= self.limit
    }
}

/// An instrument as the reader knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentEntry {
    /// `SYMBOL.VENUE`.
    pub id: InstrumentId,
    /// Decimals of raw prices; `None` until a price was seen (inferred instruments).
    pub price_precision: Option<u8>,
    /// Decimals of raw sizes; `None` until a size was seen (inferred instruments).
    pub size_precision: Option<u8>,
    /// Whether the precisions come from a definition (else inferred from the data).
    pub defined: bool,
    pub(crate) price_increment: Increment,
    pub(crate) size_increment: Increment,
    pub(crate) symbol: Box<[u8]>,
}

impl InstrumentEntry {
    pub(crate) fn new(id: InstrumentId, spec: Option<&InstrumentSpec>) -> Self {
        let symbol: Box<[u8]> = id.symbol().as_bytes().into();
        match spec {
            Some(spec) => Self {
                id,
                price_precision: Some(spec.price_increment.precision()),
                size_precision: Some(spec.size_increment.precision()),
                defined: true,
                price_increment: Increment::new(spec.price_increment.raw()),
                size_increment: Increment::new(spec.size_increment.raw()),
                symbol,
            },
            None => Self {
                id,
                price_precision: None,
                size_precision: None,
                defined: false,
                price_increment: Increment::new(1),
                size_increment: Increment::new(1),
                symbol,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_venue_names_and_lists_them_when_unknown() {
        assert_eq!("BINANCE-USDM".parse::<Venue>(), Ok(Venue::UsdM));
        let err = "BINANCE-US".parse::<Venue>().unwrap_err();
        assert!(err.to_string().contains("BINANCE-COINM"));
    }

    #[test]
    fn increments_divide_like_the_remainder_says() {
        for raw in [1, 2, 10, 100, 7, 12, 1_000_000] {
            let inc = Increment::new(raw);
            for v in [
                -20,
                -7,
                0,
                1,
                7,
                10,
                12,
                20,
                100,
                6_180_010,
                6_180_015,
                i64::MAX,
                i64::MIN,
            ] {
                assert_eq!(inc.divides(v), v % raw == 0, "{v} by {raw}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn increments_agree_with_remainder(raw in 1i64..=i64::MAX, v in proptest::prelude::any::<i64>()) {
            proptest::prop_assert_eq!(Increment::new(raw).divides(v), v % raw == 0);
        }

        #[test]
        fn increments_accept_their_multiples(raw in 1i64..1_000_000, k in -1_000_000_000i64..1_000_000_000) {
            proptest::prop_assert!(Increment::new(raw).divides(raw * k));
        }
    }

    #[test]
    fn futures_usd_pairs_with_an_expiry_are_coin_margined() {
        assert_eq!(Market::Futures.venue_of("BTCUSD_PERP"), Venue::CoinM);
        assert_eq!(Market::Futures.venue_of("ETHUSD_240927"), Venue::CoinM);
        assert_eq!(Market::Futures.venue_of("BTCUSDT"), Venue::UsdM);
        assert_eq!(Market::Futures.venue_of("BTCUSDT_240927"), Venue::UsdM);
        assert_eq!(Market::Spot.venue_of("BTCUSDT"), Venue::Spot);
    }
}

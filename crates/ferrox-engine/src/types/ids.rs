//! Identifiers: `InstrumentId` is written `SYMBOL.VENUE`.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A malformed identifier.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid instrument id {text:?}: {reason}")]
pub struct IdError {
    /// The text that was refused.
    pub text: String,
    /// What was expected.
    pub reason: &'static str,
}

/// An instrument identifier such as `BTCUSDT.BINANCE` or
/// `BTCUSD_PERP.BINANCE-COINM`: the venue's own symbol, a dot, and the venue.
///
/// The split is at the *last* dot, so symbols that contain dots (`BRK.B.XNYS`)
/// still work; venues never contain dots.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstrumentId {
    symbol: String,
    venue: String,
}

impl InstrumentId {
    /// Builds an id from its parts, checking both are non-empty and clean.
    pub fn new(symbol: &str, venue: &str) -> Result<Self, IdError> {
        let text = || format!("{symbol}.{venue}");
        if symbol.is_empty() {
            return Err(IdError {
                text: text(),
                reason: "empty symbol",
            });
        }
        if venue.is_empty() {
            return Err(IdError {
                text: text(),
                reason: "empty venue",
            });
        }
        if venue.contains('.') {
            return Err(IdError {
                text: text(),
                reason: "venue must not contain '.'",
            });
        }
        if symbol
            .chars()
            .chain(venue.chars())
            .any(|c| c.is_whitespace() || c == '/')
        {
            return Err(IdError {
                text: text(),
                reason: "whitespace and '/' are not allowed",
            });
        }
        Ok(Self {
            symbol: symbol.to_owned(),
            venue: venue.to_owned(),
        })
    }

    /// The venue's symbol, e.g. `BTCUSDT`.
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// The venue, e.g. `BINANCE-USDM`.
    pub fn venue(&self) -> &str {
        &self.venue
    }
}

impl FromStr for InstrumentId {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.rsplit_once('.') {
            Some((symbol, venue)) => Self::new(symbol, venue),
            None => Err(IdError {
                text: text.to_owned(),
                reason: "expected SYMBOL.VENUE, e.g. BTCUSDT.BINANCE",
            }),
        }
    }
}

impl fmt::Display for InstrumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.symbol, self.venue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_binance_ids() {
        for text in [
            "BTCUSDT.BINANCE",
            "BTCUSDT.BINANCE-USDM",
            "BTCUSD_PERP.BINANCE-COINM",
        ] {
            let id: InstrumentId = text.parse().unwrap();
            assert_eq!(id.to_string(), text);
        }
        let id: InstrumentId = "BTCUSD_PERP.BINANCE-COINM".parse().unwrap();
        assert_eq!(id.symbol(), "BTCUSD_PERP");
        assert_eq!(id.venue(), "BINANCE-COINM");
    }

    #[test]
    fn refuses_ids_without_venue() {
        assert!("BTCUSDT".parse::<InstrumentId>().is_err());
        assert!("BTCUSDT.".parse::<InstrumentId>().is_err());
        assert!(".BINANCE".parse::<InstrumentId>().is_err());
    }
}

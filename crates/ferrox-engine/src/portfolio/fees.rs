//! Exact decimal rates, fee models and the rounding every money amount uses.
//!
//! A fee is `rate × |price × quantity × multiplier|` in the instrument's quote
//! currency. The product is computed exactly in `i128` and rounded once,
//! half-to-even (banker's rounding), to the quote currency's precision, so a
//! fee that lands exactly on half a unit goes to the even neighbour (no
//! upward drift over many fills).

use std::fmt;

use crate::orders::LiquiditySide;
use crate::types::fixed::{format_fixed, parse_fixed, significant_decimals, MAX_PRECISION};

use super::position::InstrumentSpec;
use super::PortfolioError;

/// `10^exp` as `i128`, or `None` above `10^38`.
#[inline]
pub(crate) fn pow10_i128(exp: u32) -> Option<i128> {
    10i128.checked_pow(exp)
}

/// Divides by a positive `d`, rounding half to even.
#[inline]
pub(crate) fn div_round_half_even(n: i128, d: i128) -> i128 {
    debug_assert!(d > 0);
    let q = n.div_euclid(d);
    let r = n.rem_euclid(d);
    // r in [0, d): compare 2r with d without overflow.
    match r.cmp(&(d - r)) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => {
            if q % 2 == 0 {
                q
            } else {
                q + 1
            }
        }
    }
}

/// Re-expresses `value × 10^-from` at scale `10^-to`: exact when `to >= from`
/// (checked), otherwise rounded half to even. `None` on overflow.
#[inline]
pub(crate) fn rescale_round(value: i128, from: u32, to: u32) -> Option<i128> {
    if to >= from {
        value.checked_mul(pow10_i128(to - from)?)
    } else {
        match pow10_i128(from - to) {
            Some(d) => Some(div_round_half_even(value, d)),
            // |value| < 2^127 < 10^39 / 2: rounds to zero.
            None => Some(0),
        }
    }
}

/// Formats a raw `i128` money amount at `precision` as decimal text.
pub fn format_money(raw: i128, precision: u8) -> String {
    if let Ok(small) = i64::try_from(raw) {
        return format_fixed(small, precision);
    }
    let p = usize::from(precision);
    let digits = raw.unsigned_abs().to_string();
    let padded = format!("{digits:0>width$}", width = p + 1);
    let (int_part, frac_part) = padded.split_at(padded.len() - p);
    let sign = if raw < 0 { "-" } else { "" };
    if p == 0 {
        format!("{sign}{int_part}")
    } else {
        format!("{sign}{int_part}.{frac_part}")
    }
}

/// An exact decimal rate such as a fee rate (`"0.0002"` = 2 bp): a raw
/// integer scaled by `10^decimals`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rate {
    raw: i64,
    decimals: u8,
}

impl Rate {
    /// Builds a rate from its raw integer and number of decimals.
    pub fn from_raw(raw: i64, decimals: u8) -> Result<Self, PortfolioError> {
        if decimals > MAX_PRECISION {
            return Err(PortfolioError::BadRate {
                text: format!("{raw}e-{decimals}"),
                reason: format!("more than {MAX_PRECISION} decimals"),
            });
        }
        Ok(Self { raw, decimals })
    }

    /// Parses decimal text exactly (`"0.0002"`, `"-0.00005"`, `"2.5e-4"`),
    /// keeping every significant decimal; never through a float.
    pub fn parse(text: &str) -> Result<Self, PortfolioError> {
        let bad = |reason: String| PortfolioError::BadRate {
            text: text.to_owned(),
            reason,
        };
        let decimals = significant_decimals(text.trim())
            .ok_or_else(|| bad("not a decimal number".to_owned()))?;
        let decimals = u8::try_from(decimals)
            .ok()
            .filter(|d| *d <= MAX_PRECISION)
            .ok_or_else(|| bad(format!("more than {MAX_PRECISION} significant decimals")))?;
        let raw = parse_fixed(text.trim(), decimals).map_err(|e| bad(e.to_string()))?;
        Ok(Self { raw, decimals })
    }

    /// Zero.
    pub const ZERO: Self = Self {
        raw: 0,
        decimals: 0,
    };

    /// The raw integer (the rate times `10^decimals`).
    pub fn raw(self) -> i64 {
        self.raw
    }

    /// Number of decimals of [`Self::raw`].
    pub fn decimals(self) -> u8 {
        self.decimals
    }

    /// Whether the rate is below zero (a rebate, for a fee rate).
    pub fn is_negative(self) -> bool {
        self.raw < 0
    }

    /// The rate as a float, for reporting only.
    pub fn as_f64(self) -> f64 {
        self.raw as f64 / 10f64.powi(i32::from(self.decimals))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_fixed(self.raw, self.decimals))
    }
}

/// Maker/taker fee rates of a venue.
///
/// A negative maker rate is a rebate (the venue pays the maker); a negative
/// taker rate is refused as a configuration error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeeModel {
    /// Rate charged when the order rested and was hit.
    pub maker_rate: Rate,
    /// Rate charged when the order took liquidity.
    pub taker_rate: Rate,
}

impl FeeModel {
    /// A fee model from its two rates; refuses a negative taker rate.
    pub fn new(maker_rate: Rate, taker_rate: Rate) -> Result<Self, PortfolioError> {
        if taker_rate.is_negative() {
            return Err(PortfolioError::NegativeTakerRate {
                rate: taker_rate.to_string(),
            });
        }
        Ok(Self {
            maker_rate,
            taker_rate,
        })
    }

    /// A fee model from decimal text (`FeeModel::parse("0.0002", "0.0004")`).
    pub fn parse(maker_rate: &str, taker_rate: &str) -> Result<Self, PortfolioError> {
        Self::new(Rate::parse(maker_rate)?, Rate::parse(taker_rate)?)
    }

    /// No fees.
    pub fn zero() -> Self {
        Self::default()
    }

    /// The rate that applies to `liquidity`.
    pub fn rate(&self, liquidity: LiquiditySide) -> Rate {
        match liquidity {
            LiquiditySide::Maker => self.maker_rate,
            LiquiditySide::Taker => self.taker_rate,
        }
    }

    /// The fee of one fill in raw quote-currency money at `money_precision`:
    /// `rate × |price × quantity × multiplier|`, computed exactly and rounded
    /// once, half to even. Negative for a maker rebate.
    pub fn fee(
        &self,
        price: i64,
        quantity: i64,
        liquidity: LiquiditySide,
        spec: &InstrumentSpec,
        money_precision: u8,
    ) -> Result<i128, PortfolioError> {
        let rate = self.rate(liquidity);
        let overflow = || PortfolioError::Overflow {
            what: format!(
                "fee {rate} x {} x {} x {}",
                format_fixed(price, spec.price_precision),
                format_fixed(quantity, spec.size_precision),
                spec.multiplier
            ),
        };
        let product = i128::from(price)
            .checked_mul(i128::from(quantity))
            .and_then(|v| v.checked_mul(i128::from(spec.multiplier)))
            .map(i128::abs)
            .and_then(|v| v.checked_mul(i128::from(rate.raw)))
            .ok_or_else(overflow)?;
        let from = u32::from(rate.decimals)
            + u32::from(spec.price_precision)
            + u32::from(spec.size_precision);
        rescale_round(product, from, u32::from(money_precision)).ok_or_else(overflow)
    }
}

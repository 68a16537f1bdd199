//! `Price`, `Quantity` and `Money`: fixed-point values with a precision.
//!
//! Each is an `i64` raw value plus its number of decimals. Values of different
//! precision are compared and added after an exact rescale to the finer one;
//! products (`Price * Quantity`) go through `i128` and come back checked.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::fixed::{check_precision, format_fixed, parse_fixed, rescale, FixedError, POW10};

macro_rules! fixed_value {
    ($(#[$doc:meta])* $name:ident, signed = $signed:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Eq)]
        pub struct $name {
            raw: i64,
            precision: u8,
        }

        impl $name {
            /// Builds a value from its raw integer and precision.
            pub fn from_raw(raw: i64, precision: u8) -> Result<Self, FixedError> {
                check_precision(precision)?;
                if !$signed && raw < 0 {
                    return Err(FixedError::Negative(format!(
                        "{} {}",
                        stringify!($name),
                        format_fixed(raw, precision)
                    )));
                }
                Ok(Self { raw, precision })
            }

            /// Parses decimal text exactly at `precision` (see [`parse_fixed`]).
            pub fn parse(text: &str, precision: u8) -> Result<Self, FixedError> {
                Self::from_raw(parse_fixed(text, precision)?, precision)
            }

            /// Zero at `precision`.
            pub fn zero(precision: u8) -> Result<Self, FixedError> {
                Self::from_raw(0, precision)
            }

            /// The raw integer: the value times `10^precision`.
            pub fn raw(self) -> i64 {
                self.raw
            }

            /// Number of decimals.
            pub fn precision(self) -> u8 {
                self.precision
            }

            /// Whether the value is zero.
            pub fn is_zero(self) -> bool {
                self.raw == 0
            }

            /// The same value at another precision, exactly or an error.
            pub fn rescaled(self, precision: u8) -> Result<Self, FixedError> {
                Self::from_raw(rescale(self.raw, self.precision, precision)?, precision)
            }

            /// Checked addition; the result has the finer of the two precisions.
            pub fn checked_add(self, other: Self) -> Result<Self, FixedError> {
                let p = self.precision.max(other.precision);
                let (a, b) = (self.rescaled(p)?.raw, other.rescaled(p)?.raw);
                let raw = a.checked_add(b).ok_or_else(|| FixedError::Overflow {
                    what: format!("{self} + {other}"),
                    precision: p,
                })?;
                Self::from_raw(raw, p)
            }

            /// Checked subtraction; the result has the finer of the two precisions.
            pub fn checked_sub(self, other: Self) -> Result<Self, FixedError> {
                let p = self.precision.max(other.precision);
                let (a, b) = (self.rescaled(p)?.raw, other.rescaled(p)?.raw);
                let raw = a.checked_sub(b).ok_or_else(|| FixedError::Overflow {
                    what: format!("{self} - {other}"),
                    precision: p,
                })?;
                Self::from_raw(raw, p)
            }

            /// The value as a float, for analytics only (never for money).
            pub fn as_f64(self) -> f64 {
                self.raw as f64 / POW10[usize::from(self.precision)] as f64
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.cmp(other) == Ordering::Equal
            }
        }

        impl std::hash::Hash for $name {
            /// Equal values at different precisions hash alike: the value is
            /// hashed with trailing zero decimals stripped.
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                let (mut raw, mut p) = (self.raw, self.precision);
                while p > 0 && raw % 10 == 0 {
                    raw /= 10;
                    p -= 1;
                }
                (raw, p).hash(state);
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> Ordering {
                // Compare in i128 at the finer precision: cannot overflow.
                let p = self.precision.max(other.precision);
                let a = i128::from(self.raw) * i128::from(POW10[usize::from(p - self.precision)]);
                let b = i128::from(other.raw) * i128::from(POW10[usize::from(p - other.precision)]);
                a.cmp(&b)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&format_fixed(self.raw, self.precision))
            }
        }

        impl FromStr for $name {
            type Err = FixedError;

            /// Parses with the precision the text itself shows.
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let precision = super::fixed::significant_decimals(text)
                    .map(|d| d.min(u32::from(super::fixed::MAX_PRECISION)) as u8)
                    .unwrap_or(0);
                let shown = text
                    .split(['e', 'E'])
                    .next()
                    .and_then(|m| m.split_once('.'))
                    .map_or(0, |(_, frac)| frac.len().min(usize::from(super::fixed::MAX_PRECISION)) as u8);
                Self::parse(text, precision.max(shown))
            }
        }
    };
}

fixed_value!(
    /// A price: may be negative (spreads, some futures), exact to its precision.
    Price,
    signed = true
);
fixed_value!(
    /// A quantity (size, volume): never negative.
    Quantity,
    signed = false
);

/// An amount of money in a currency, e.g. `1250000.00 USD`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Price,
    currency: String,
}

impl Money {
    /// Builds an amount from its raw integer, precision and currency code.
    pub fn from_raw(raw: i64, precision: u8, currency: &str) -> Result<Self, FixedError> {
        Ok(Self {
            amount: Price::from_raw(raw, precision)?,
            currency: currency.to_owned(),
        })
    }

    /// Parses decimal text exactly at `precision` in `currency`.
    pub fn parse(text: &str, precision: u8, currency: &str) -> Result<Self, FixedError> {
        Ok(Self {
            amount: Price::parse(text, precision)?,
            currency: currency.to_owned(),
        })
    }

    /// The notional of `quantity` at `price`, times `multiplier`, exact at
    /// `precision` in `currency`; refuses to round (a product finer than the
    /// precision is an error) and to overflow.
    pub fn notional(
        price: Price,
        quantity: Quantity,
        multiplier: Quantity,
        precision: u8,
        currency: &str,
    ) -> Result<Self, FixedError> {
        check_precision(precision)?;
        let product =
            i128::from(price.raw()) * i128::from(quantity.raw()) * i128::from(multiplier.raw());
        let scale = u32::from(price.precision())
            + u32::from(quantity.precision())
            + u32::from(multiplier.precision());
        let target = u32::from(precision);
        let overflow = || FixedError::Overflow {
            what: format!("notional {price} x {quantity} x {multiplier}"),
            precision,
        };
        let raw = if target >= scale {
            product
                .checked_mul(10i128.pow(target - scale))
                .ok_or_else(overflow)?
        } else {
            let d = 10i128.checked_pow(scale - target).ok_or_else(overflow)?;
            if product % d != 0 {
                return Err(FixedError::TooPrecise {
                    text: format!("notional {price} x {quantity} x {multiplier}"),
                    decimals: scale,
                    precision,
                });
            }
            product / d
        };
        let raw = i64::try_from(raw).map_err(|_| overflow())?;
        Self::from_raw(raw, precision, currency)
    }

    /// The amount without currency.
    pub fn amount(&self) -> Price {
        self.amount
    }

    /// The ISO-style currency code (`USD`, `USDT`, `BTC`).
    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// Checked addition of two amounts in the same currency.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(Money {
            amount: self.amount.checked_add(other.amount)?,
            currency: self.currency.clone(),
        })
    }

    /// Checked subtraction of two amounts in the same currency.
    pub fn checked_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(Money {
            amount: self.amount.checked_sub(other.amount)?,
            currency: self.currency.clone(),
        })
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(
                self.currency.clone(),
                other.currency.clone(),
            ))
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Errors of money arithmetic: fixed-point errors or a currency mismatch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Exactness or overflow error.
    #[error(transparent)]
    Fixed(#[from] FixedError),
    /// Amounts in two different currencies were combined.
    #[error("cannot combine {0} with {1} without a conversion rate")]
    CurrencyMismatch(String, String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_at_different_precisions_compare_equal() {
        let a = Price::parse("1.5", 1).unwrap();
        let b = Price::parse("1.50", 2).unwrap();
        assert_eq!(a, b);
        assert!(Price::parse("1.51", 2).unwrap() > a);
    }

    #[test]
    fn addition_takes_the_finer_precision() {
        let a = Quantity::parse("0.1", 1).unwrap();
        let b = Quantity::parse("0.02", 2).unwrap();
        let c = a.checked_add(b).unwrap();
        assert_eq!(c.to_string(), "0.12");
        assert_eq!(c.precision(), 2);
    }

    #[test]
    fn quantity_refuses_negative() {
        assert!(Quantity::parse("-1", 0).is_err());
        assert!(Quantity::parse("1", 0)
            .unwrap()
            .checked_sub(Quantity::parse("2", 0).unwrap())
            .is_err());
    }

    #[test]
    fn overflowing_addition_is_an_error() {
        let a = Price::from_raw(i64::MAX, 0).unwrap();
        assert!(a.checked_add(Price::from_raw(1, 0).unwrap()).is_err());
    }

    #[test]
    fn notional_is_exact() {
        let px = Price::parse("61800.30", 2).unwrap();
        let qty = Quantity::parse("0.006", 3).unwrap();
        let one = Quantity::parse("1", 0).unwrap();
        let m = Money::notional(px, qty, one, 5, "USDT").unwrap();
        assert_eq!(m.to_string(), "370.80180 USDT");
        assert!(Money::notional(px, qty, one, 2, "USDT").is_err());
    }

    #[test]
    fn money_refuses_mixed_currencies() {
        let a = Money::parse("1", 2, "USD").unwrap();
        let b = Money::parse("1", 2, "EUR").unwrap();
        assert!(matches!(
            a.checked_add(&b),
            Err(MoneyError::CurrencyMismatch(..))
        ));
    }

    #[test]
    fn from_str_keeps_the_shown_precision() {
        let p: Price = "61837.63000000".parse().unwrap();
        assert_eq!(p.precision(), 8);
        assert_eq!(p.to_string(), "61837.63000000");
    }
}

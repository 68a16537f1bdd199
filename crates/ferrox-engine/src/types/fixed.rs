//! Exact fixed-point decimals: an `i64` raw value scaled by `10^precision`.
//!
//! Every price, quantity and amount of money in ferrox goes through here. Parsing
//! reads the decimal text digit by digit (never through a binary float), so
//! `"61800.30"` at precision 2 is exactly `6_180_030`. Text with more significant
//! decimals than the precision allows is refused rather than rounded, and every
//! arithmetic step is checked: overflow is an error, never a wrap.

use std::fmt::Write as _;

use thiserror::Error;

/// Largest supported number of decimal places. `10^18` still fits an `i64`, but
/// then only single-digit integers would; 16 keeps ±922 representable.
pub const MAX_PRECISION: u8 = 16;

/// Powers of ten as `i64`, indexed by exponent (0..=18).
pub const POW10: [i64; 19] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
];

/// Why a decimal could not be parsed, rescaled or computed exactly.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FixedError {
    /// The text was empty (or only a sign).
    #[error("empty decimal")]
    Empty,
    /// A character that is not part of a decimal number.
    #[error("invalid character {ch:?} at position {pos} in decimal {text:?}")]
    InvalidChar {
        /// The offending character.
        ch: char,
        /// Its byte position in the text.
        pos: usize,
        /// The whole text, for the message.
        text: String,
    },
    /// More significant decimals than the precision can hold.
    #[error("{text:?} has {decimals} significant decimals, finer than precision {precision}")]
    TooPrecise {
        /// The text or value that was too fine.
        text: String,
        /// Its number of significant decimals.
        decimals: u32,
        /// The precision it had to fit.
        precision: u8,
    },
    /// The value does not fit an `i64` at this precision.
    #[error("{what} overflows a 64-bit fixed-point value at precision {precision}")]
    Overflow {
        /// What overflowed (the text, or the operation).
        what: String,
        /// The precision in use.
        precision: u8,
    },
    /// A precision above [`MAX_PRECISION`].
    #[error("precision {0} is out of range 0..={MAX_PRECISION}")]
    PrecisionOutOfRange(u8),
    /// Two values of different precision were combined.
    #[error("precision mismatch: {0} vs {1}")]
    PrecisionMismatch(u8, u8),
    /// A value that must be non-negative was negative.
    #[error("{0} must not be negative")]
    Negative(String),
}

/// Checks that `precision` is within `0..=MAX_PRECISION`.
pub fn check_precision(precision: u8) -> Result<(), FixedError> {
    if precision > MAX_PRECISION {
        Err(FixedError::PrecisionOutOfRange(precision))
    } else {
        Ok(())
    }
}

/// Parses decimal text exactly into a raw value at `precision`.
///
/// Accepts an optional sign, digits with at most one `.`, and an optional
/// exponent (`1.5e-3`). Trailing zeros beyond the precision are fine
/// (`"61837.63000000"` at precision 2); any other digit beyond it is a
/// [`FixedError::TooPrecise`] error, never a rounding.
pub fn parse_fixed(text: &str, precision: u8) -> Result<i64, FixedError> {
    parse_fixed_bytes(text.as_bytes(), precision).map_err(|e| e.with_text(text))
}

/// Byte-slice form of [`parse_fixed`] for hot paths; errors carry no text
/// until [`FixedError::with_text`] is applied by the caller.
#[inline]
pub fn parse_fixed_bytes(bytes: &[u8], precision: u8) -> Result<i64, FixedError> {
    check_precision(precision)?;
    let (negative, digits_start) = match bytes.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        Some(_) => (false, 0),
        None => return Err(FixedError::Empty),
    };
    let body = &bytes[digits_start..];
    // Split off an exponent, if any.
    let (mantissa, exponent) = match body.iter().position(|&b| b == b'e' || b == b'E') {
        Some(pos) => (
            &body[..pos],
            parse_exponent(&body[pos + 1..], digits_start + pos + 1)?,
        ),
        None => (body, 0i32),
    };
    if mantissa.is_empty() {
        return Err(FixedError::Empty);
    }
    // Accumulate all digits as an integer `acc`, counting decimals after the point.
    let mut acc: i128 = 0;
    let mut frac_digits: i32 = 0;
    let mut seen_point = false;
    let mut seen_digit = false;
    // Trailing zeros after the point are tracked separately so that
    // "1.50000000" at precision 2 does not look too precise.
    let mut pending_zeros: i32 = 0;
    for (i, &b) in mantissa.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                seen_digit = true;
                if seen_point {
                    if b == b'0' {
                        pending_zeros += 1;
                        continue;
                    }
                    // Flush pending zeros: they were significant after all.
                    for _ in 0..pending_zeros {
                        acc = acc.checked_mul(10).ok_or_else(overflow_bytes(precision))?;
                    }
                    frac_digits += pending_zeros + 1;
                    pending_zeros = 0;
                } else if acc == 0 && b == b'0' {
                    continue;
                }
                acc = acc
                    .checked_mul(10)
                    .and_then(|a| a.checked_add(i128::from(b - b'0')))
                    .ok_or_else(overflow_bytes(precision))?;
                if acc > i128::from(i64::MAX) * 1_000_000_000_000_000_000 {
                    return Err(overflow_bytes(precision)());
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => {
                return Err(FixedError::InvalidChar {
                    ch: char::from(b),
                    pos: digits_start + i,
                    text: String::new(),
                })
            }
        }
    }
    if !seen_digit {
        return Err(FixedError::Empty);
    }
    // value = acc * 10^(exponent - frac_digits); raw = value * 10^precision.
    let shift = exponent - frac_digits + i32::from(precision);
    let raw: i128 = if shift >= 0 {
        if acc == 0 {
            0
        } else {
            let factor = pow10_i128(shift).ok_or_else(overflow_bytes(precision))?;
            acc.checked_mul(factor)
                .ok_or_else(overflow_bytes(precision))?
        }
    } else {
        let divisor = pow10_i128(-shift);
        match divisor {
            Some(d) if acc % d == 0 => acc / d,
            _ => {
                return Err(FixedError::TooPrecise {
                    text: String::new(),
                    decimals: (frac_digits - exponent).max(0) as u32,
                    precision,
                })
            }
        }
    };
    let signed = if negative { -raw } else { raw };
    i64::try_from(signed).map_err(|_| overflow_bytes(precision)())
}

fn parse_exponent(bytes: &[u8], offset: usize) -> Result<i32, FixedError> {
    let (negative, start) = match bytes.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    if bytes.len() <= start {
        return Err(FixedError::Empty);
    }
    let mut value: i32 = 0;
    for (i, &b) in bytes[start..].iter().enumerate() {
        if !b.is_ascii_digit() {
            return Err(FixedError::InvalidChar {
                ch: char::from(b),
                pos: offset + start + i,
                text: String::new(),
            });
        }
        value = value.saturating_mul(10).saturating_add(i32::from(b - b'0'));
    }
    Ok(if negative { -value } else { value })
}

fn pow10_i128(exp: i32) -> Option<i128> {
    if !(0..=38).contains(&exp) {
        return None;
    }
    let mut v: i128 = 1;
    for _ in 0..exp {
        v *= 10;
    }
    Some(v)
}

fn overflow_bytes(precision: u8) -> impl Fn() -> FixedError {
    move || FixedError::Overflow {
        what: String::new(),
        precision,
    }
}

impl FixedError {
    /// Fills in the text that failed, for errors raised on raw bytes.
    pub fn with_text(self, text: &str) -> Self {
        match self {
            FixedError::InvalidChar { ch, pos, .. } => FixedError::InvalidChar {
                ch,
                pos,
                text: text.to_owned(),
            },
            FixedError::TooPrecise {
                decimals,
                precision,
                ..
            } => FixedError::TooPrecise {
                text: text.to_owned(),
                decimals,
                precision,
            },
            FixedError::Overflow { precision, .. } => FixedError::Overflow {
                what: format!("{text:?}"),
                precision,
            },
            other => other,
        }
    }
}

/// Number of significant decimals in decimal text (trailing zeros ignored),
/// used to infer a precision from a venue's own formatting. Returns `None`
/// when the text is not a plain decimal.
pub fn significant_decimals(text: &str) -> Option<u32> {
    let bytes = text.strip_prefix(['-', '+']).unwrap_or(text).as_bytes();
    let is_plain = |b: &[u8]| b.iter().all(|&c| c.is_ascii_digit() || c == b'.');
    let (mantissa, exponent) = match bytes.iter().position(|&b| b == b'e' || b == b'E') {
        Some(pos) => (
            &bytes[..pos],
            parse_exponent(&bytes[pos + 1..], pos + 1).ok()?,
        ),
        None => (bytes, 0),
    };
    if mantissa.is_empty()
        || !is_plain(mantissa)
        || mantissa.iter().filter(|&&c| c == b'.').count() > 1
    {
        return None;
    }
    let frac = match mantissa.iter().position(|&b| b == b'.') {
        Some(pos) => &mantissa[pos + 1..],
        None => &mantissa[..0],
    };
    let significant = frac.iter().rposition(|&b| b != b'0').map_or(0, |p| p + 1);
    Some((significant as i32 - exponent).max(0) as u32)
}

/// Writes `raw` at `precision` as decimal text with exactly `precision`
/// decimals (`6180030`, 2 → `"61800.30"`), which [`parse_fixed`] reads back
/// to the same raw value.
pub fn write_fixed(out: &mut String, raw: i64, precision: u8) {
    let p = usize::from(precision.min(18));
    let negative = raw < 0;
    let magnitude = raw.unsigned_abs();
    let scale = POW10[p] as u64;
    let (int_part, frac_part) = (magnitude / scale, magnitude % scale);
    if negative {
        out.push('-');
    }
    // Writing into a String cannot fail.
    let _ = write!(out, "{int_part}");
    if p > 0 {
        let _ = write!(out, ".{frac_part:0p$}");
    }
}

/// Formats `raw` at `precision` as a new string; see [`write_fixed`].
pub fn format_fixed(raw: i64, precision: u8) -> String {
    let mut s = String::with_capacity(24);
    write_fixed(&mut s, raw, precision);
    s
}

/// Converts a raw value from one precision to another, exactly: scaling up is
/// checked for overflow, scaling down refuses to drop non-zero digits.
pub fn rescale(raw: i64, from: u8, to: u8) -> Result<i64, FixedError> {
    check_precision(from)?;
    check_precision(to)?;
    if to >= from {
        raw.checked_mul(POW10[usize::from(to - from)])
            .ok_or_else(|| FixedError::Overflow {
                what: format!("rescaling {} to precision {to}", format_fixed(raw, from)),
                precision: to,
            })
    } else {
        let d = POW10[usize::from(from - to)];
        if raw % d == 0 {
            Ok(raw / d)
        } else {
            Err(FixedError::TooPrecise {
                text: format_fixed(raw, from),
                decimals: u32::from(from),
                precision: to,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_binance_prices_exactly() {
        assert_eq!(parse_fixed("61800.30", 2), Ok(6_180_030));
        assert_eq!(parse_fixed("61837.63000000", 2), Ok(6_183_763));
        assert_eq!(parse_fixed("0.00000000", 8), Ok(0));
        assert_eq!(parse_fixed("-1.5", 3), Ok(-1_500));
        assert_eq!(parse_fixed("007", 0), Ok(7));
        assert_eq!(parse_fixed(".5", 1), Ok(5));
        assert_eq!(parse_fixed("1.", 1), Ok(10));
        assert_eq!(parse_fixed("1e-5", 5), Ok(1));
        assert_eq!(parse_fixed("2.5E3", 0), Ok(2_500));
    }

    #[test]
    fn refuses_digits_finer_than_the_precision() {
        let err = parse_fixed("43613.875", 2).unwrap_err();
        assert!(matches!(
            err,
            FixedError::TooPrecise {
                decimals: 3,
                precision: 2,
                ..
            }
        ));
        assert!(err.to_string().contains("43613.875"));
        assert!(parse_fixed("1.05", 1).is_err());
        assert!(parse_fixed("1e-5", 4).is_err());
    }

    #[test]
    fn refuses_non_numbers_naming_the_character() {
        let err = parse_fixed("61a00.3", 2).unwrap_err();
        assert!(matches!(
            err,
            FixedError::InvalidChar {
                ch: 'a',
                pos: 2,
                ..
            }
        ));
        assert_eq!(parse_fixed("", 2), Err(FixedError::Empty));
        assert_eq!(parse_fixed("-", 2), Err(FixedError::Empty));
        assert!(parse_fixed("1.2.3", 2).is_err());
        assert!(parse_fixed("NaN", 2).is_err());
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert!(matches!(
            parse_fixed("92233720368547758.08", 2),
            Err(FixedError::Overflow { .. })
        ));
        assert_eq!(parse_fixed("92233720368547758.07", 2), Ok(i64::MAX));
        assert!(parse_fixed("1e40", 0).is_err());
        assert!(rescale(i64::MAX / 5, 0, 1).is_err());
    }

    #[test]
    fn formats_with_exactly_precision_decimals() {
        assert_eq!(format_fixed(6_180_030, 2), "61800.30");
        assert_eq!(format_fixed(-5, 3), "-0.005");
        assert_eq!(format_fixed(7, 0), "7");
        assert_eq!(format_fixed(i64::MIN, 4), "-922337203685477.5808");
    }

    #[test]
    fn counts_significant_decimals() {
        assert_eq!(significant_decimals("61837.63000000"), Some(2));
        assert_eq!(significant_decimals("203889.11713750003"), Some(11));
        assert_eq!(significant_decimals("46319.0"), Some(0));
        assert_eq!(significant_decimals("1e-5"), Some(5));
    }

    #[test]
    fn rescales_exactly() {
        assert_eq!(rescale(12_345, 2, 4), Ok(1_234_500));
        assert_eq!(rescale(1_234_500, 4, 2), Ok(12_345));
        assert!(rescale(1_234_501, 4, 2).is_err());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn format_then_parse_round_trips(raw in any::<i64>(), precision in 0u8..=MAX_PRECISION) {
                let text = format_fixed(raw, precision);
                prop_assert_eq!(parse_fixed(&text, precision), Ok(raw));
            }

            #[test]
            fn parse_agrees_with_integer_arithmetic(int in -1_000_000_000i64..1_000_000_000, frac in 0u32..10_000, precision in 4u8..=8) {
                let text = format!("{int}.{frac:04}");
                let sign = if text.starts_with('-') { -1 } else { 1 };
                let expected = int * POW10[usize::from(precision)]
                    + sign * i64::from(frac) * POW10[usize::from(precision - 4)];
                prop_assert_eq!(parse_fixed(&text, precision), Ok(expected));
            }

            #[test]
            fn arbitrary_text_never_panics(text in ".{0,40}", precision in 0u8..=20) {
                let _ = parse_fixed(&text, precision);
                let _ = significant_decimals(&text);
            }
        }
    }
}

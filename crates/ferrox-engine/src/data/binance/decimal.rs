//! Exact decimal text -> raw `i64`, with a fast path for the plain
//! `digits.digits` form Binance writes.
//!
//! Every one of the ~1.5 million prices and sizes in a 6-minute capture goes
//! through here, so the common case is read digit by digit in one pass; any
//! other form (sign, exponent, more than 18 digits, too fine, overflow) falls
//! back to [`parse_fixed_bytes`], which decides and words the error. The two
//! agree on every input (a property test checks it).

use crate::types::fixed::{parse_fixed_bytes, significant_decimals, FixedError, POW10};
use crate::types::MAX_PRECISION;

/// Parses `text` exactly at `precision`; see [`parse_fixed_bytes`].
#[inline]
pub(crate) fn parse_decimal(text: &[u8], precision: u8) -> Result<i64, FixedError> {
    match parse_plain(text, precision) {
        Some(raw) => Ok(raw),
        None => parse_fixed_bytes(text, precision),
    }
}

#[inline]
fn parse_plain(text: &[u8], precision: u8) -> Option<i64> {
    if precision > MAX_PRECISION {
        return None;
    }
    let mut i = 0;
    let mut int: i64 = 0;
    // At most 18 integer digits: 10^18 - 1 fits an i64 with room to scale below.
    while let Some(&b) = text.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 || i == 18 {
            break;
        }
        int = int * 10 + i64::from(d);
        i += 1;
    }
    let int_digits = i;
    let mut frac: i64 = 0;
    let mut frac_digits: u8 = 0;
    if text.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&b) = text.get(i) {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            if frac_digits < precision {
                frac = frac * 10 + i64::from(d);
                frac_digits += 1;
            } else if d != 0 {
                // A significant digit beyond the precision: let the general
                // parser word the error.
                return None;
            }
            i += 1;
        }
        if int_digits == 0 && i == int_digits + 1 {
            return None;
        }
    }
    if i != text.len() || (int_digits == 0 && frac_digits == 0 && i <= 1) {
        return None;
    }
    let scale = POW10[usize::from(precision)];
    let frac_scale = POW10[usize::from(precision - frac_digits)];
    int.checked_mul(scale)?.checked_add(frac * frac_scale)
}

/// A decimal read in the same pass that found its end: its significant
/// digits as an integer and how many of them follow the point
/// (`"61837.63000000"` -> 6183763 and 2), packed in one word so that it
/// travels in a register (or [`Plain::NONE`] when the text is no plain decimal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plain(u64);

impl Plain {
    /// Not a plain decimal: parse the text in full instead.
    pub(crate) const NONE: Plain = Plain(u64::MAX);

    /// `mantissa` below 10^17 (57 bits), `decimals` at most 17 (5 bits).
    #[inline(always)]
    fn new(mantissa: u64, decimals: u32) -> Plain {
        Plain((mantissa << 5) | u64::from(decimals))
    }

    /// The raw value at `precision`; `None` when there is no value, or it is
    /// finer than that or overflows, for [`parse_decimal`] to word the error.
    #[inline(always)]
    pub(crate) fn at(self, precision: u8) -> Option<i64> {
        if self == Plain::NONE {
            return None;
        }
        let decimals = (self.0 & 31) as u8;
        let mantissa = (self.0 >> 5) as i64;
        let shift = precision.checked_sub(decimals)?;
        mantissa.checked_mul(*POW10.get(usize::from(shift))?)
    }
}

/// Scans decimal characters (`0-9` and `.`) from `start` and returns where
/// they end, with the value if they form a plain unsigned decimal of at
/// most 17 significant digits (anything else is left to [`parse_decimal`]).
///
/// Numbers of at most 8 integer and 8 fractional digits (every Binance
/// price and size) are read eight bytes at a time; others one by one.
#[inline(always)]
pub(crate) fn scan_plain(b: &[u8], start: usize) -> (usize, Plain) {
    match scan_short(b, start) {
        Some(found) => found,
        None => scan_plain_bytewise(b, start),
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;
const ZEROS: u64 = 0x3030_3030_3030_3030;

#[inline(always)]
fn load8(b: &[u8], at: usize) -> Option<u64> {
    let bytes: [u8; 8] = b.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// High bit set in each byte of `v` that is not an ASCII digit; the lowest
/// flagged byte is exact (carries can only flag bytes above a flagged one).
#[inline(always)]
fn non_digits(v: u64) -> u64 {
    let below = v.wrapping_sub(ONES * 0x30) & !v;
    let above = v.wrapping_add(ONES * (127 - 0x39)) | v;
    (below | above) & HIGH
}

/// The value of the `k` (0..=8) digits in the low bytes of `v`, first digit
/// lowest (little-endian text order).
#[inline(always)]
fn digits_value(v: u64, k: usize) -> u64 {
    if k == 0 {
        return 0;
    }
    // Right-align the k digits and pad the front with '0'.
    let shifted = v << (8 * (8 - k));
    let padded = shifted | ZEROS.checked_shr(8 * k as u32).unwrap_or(0);
    // Eight digits in three multiplies (Lemire, "Fast float parsing", 2021).
    let v = (padded & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(2561) >> 8;
    let v = (v & 0x00FF_00FF_00FF_00FF).wrapping_mul(6_553_601) >> 16;
    (v & 0x0000_FFFF_0000_FFFF).wrapping_mul(42_949_672_960_001) >> 32
}

/// A JSON integer of 1 to 15 digits without a leading zero, read eight
/// bytes at a time: its end and value; `None` for anything else (signs,
/// fractions, exponents, leading zeros, longer numbers, too few bytes left),
/// which the caller reads byte by byte.
#[inline(always)]
pub(crate) fn short_integer(b: &[u8], start: usize) -> Option<(usize, u64)> {
    let v = load8(b, start)?;
    let mask = non_digits(v);
    let (k, value, end) = if mask != 0 {
        let k = (mask.trailing_zeros() / 8) as usize;
        (k, digits_value(v, k), start + k)
    } else {
        let w = load8(b, start + 8)?;
        let rest = non_digits(w);
        if rest == 0 {
            return None;
        }
        let k2 = (rest.trailing_zeros() / 8) as usize;
        let value = digits_value(v, 8) * POW10[k2] as u64 + digits_value(w, k2);
        (8 + k2, value, start + 8 + k2)
    };
    if k == 0 || (k > 1 && b[start] == b'0') {
        return None;
    }
    match b.get(end) {
        Some(b'.' | b'e' | b'E') => None,
        _ => Some((end, value)),
    }
}

/// The eight-bytes-at-a-time path of [`scan_plain`]; `None` when the
/// number is too long for it or the bytes to load run out.
#[inline(always)]
fn scan_short(b: &[u8], start: usize) -> Option<(usize, Plain)> {
    let v = load8(b, start)?;
    let mask = non_digits(v);
    if mask == 0 {
        return None;
    }
    let k = (mask.trailing_zeros() / 8) as usize;
    let int_part = digits_value(v, k);
    if b.get(start + k) != Some(&b'.') {
        let value = if k > 0 {
            Plain::new(int_part, 0)
        } else {
            Plain::NONE
        };
        return Some((start + k, value));
    }
    let frac_start = start + k + 1;
    let w = load8(b, frac_start)?;
    let frac_mask = non_digits(w);
    let f = if frac_mask == 0 {
        8
    } else {
        (frac_mask.trailing_zeros() / 8) as usize
    };
    let end = frac_start + f;
    if let Some(b'0'..=b'9' | b'.') = b.get(end) {
        return None;
    }
    if k == 0 && f == 0 {
        return Some((end, Plain::NONE));
    }
    // Significant fractional digits: up to the last non-zero one. The f
    // bytes are digits, so subtracting '0' leaves 0..=9 in each, exactly.
    let in_number = if f == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * f)) - 1
    };
    let nonzero = (w.wrapping_sub(ZEROS) & in_number).wrapping_add(ONES * 0x7F) & HIGH & in_number;
    let significant = if nonzero == 0 {
        0
    } else {
        (64 - nonzero.leading_zeros() as usize) / 8
    };
    let frac_part = digits_value(w, significant);
    let mantissa = int_part * POW10[significant] as u64 + frac_part;
    Some((end, Plain::new(mantissa, significant as u32)))
}

/// The byte-by-byte path of [`scan_plain`], for any length.
#[inline]
fn scan_plain_bytewise(b: &[u8], start: usize) -> (usize, Plain) {
    let mut p = start;
    let mut mantissa: i64 = 0;
    let mut digits: u32 = 0;
    while let Some(&c) = b.get(p) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        if mantissa != 0 || d != 0 {
            digits = digits.saturating_add(1);
        }
        mantissa = mantissa.wrapping_mul(10).wrapping_add(i64::from(d));
        p += 1;
    }
    let int_digits = p - start;
    let mut decimals: u32 = 0;
    let mut ok = true;
    if b.get(p) == Some(&b'.') {
        p += 1;
        let frac_start = p;
        // Zeros count only once a later non-zero digit makes them significant.
        let mut pending: u32 = 0;
        while let Some(&c) = b.get(p) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            if d == 0 {
                pending = pending.saturating_add(1);
            } else {
                digits = digits.saturating_add(pending).saturating_add(1);
                decimals = decimals.saturating_add(pending).saturating_add(1);
                if digits > 17 {
                    ok = false;
                } else {
                    mantissa = mantissa
                        .wrapping_mul(POW10[(pending + 1) as usize])
                        .wrapping_add(i64::from(d));
                }
                pending = 0;
            }
            p += 1;
        }
        if int_digits == 0 && p == frac_start {
            ok = false;
        }
    } else if int_digits == 0 {
        ok = false;
    }
    // A second point, or any further decimal characters, make it no plain decimal.
    while let Some(b'0'..=b'9' | b'.') = b.get(p) {
        ok = false;
        p += 1;
    }
    let value = if ok && digits <= 17 {
        Plain::new(mantissa as u64, decimals)
    } else {
        Plain::NONE
    };
    (p, value)
}

/// The number of decimals `text` is written with (`"61837.63000000"` -> 8),
/// which is how Binance shows a symbol's precision; falls back to the
/// significant decimals for text with an exponent. `None` if not a decimal.
pub(crate) fn written_decimals(text: &[u8]) -> Option<u32> {
    let unsigned = text.strip_prefix(b"-").unwrap_or(text);
    if !unsigned.is_empty() && unsigned.iter().all(|&b| b.is_ascii_digit() || b == b'.') {
        let mut parts = unsigned.splitn(2, |&b| b == b'.');
        let _int = parts.next();
        let frac = parts.next().unwrap_or_default();
        if frac.contains(&b'.') {
            return None;
        }
        return u32::try_from(frac.len()).ok();
    }
    significant_decimals(std::str::from_utf8(text).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_binance_numbers() {
        assert_eq!(parse_decimal(b"61800.30", 2), Ok(6_180_030));
        assert_eq!(parse_decimal(b"61837.63000000", 2), Ok(6_183_763));
        assert_eq!(parse_decimal(b"61837.63000000", 8), Ok(6_183_763_000_000));
        assert_eq!(parse_decimal(b"0.000", 3), Ok(0));
        assert_eq!(parse_decimal(b"606.675", 3), Ok(606_675));
        assert_eq!(parse_decimal(b"7", 0), Ok(7));
        assert_eq!(parse_decimal(b"1.5", 3), Ok(1_500));
    }

    #[test]
    fn refuses_what_parse_fixed_refuses() {
        assert!(matches!(
            parse_decimal(b"61800.35", 1),
            Err(FixedError::TooPrecise { .. })
        ));
        assert!(parse_decimal(b"", 2).is_err());
        assert!(parse_decimal(b".", 2).is_err());
        assert!(parse_decimal(b"6x", 2).is_err());
        assert!(parse_decimal(b"1.2.3", 2).is_err());
    }

    #[test]
    fn reads_eight_digits_at_a_time() {
        let v = u64::from_le_bytes(*b"61837.63");
        assert_eq!(digits_value(v, 5), 61_837);
        assert_eq!(
            digits_value(u64::from_le_bytes(*b"12345678"), 8),
            12_345_678
        );
        assert_eq!(digits_value(v, 0), 0);
        let line = br#"["61837.63000000","0.01400000"]"#;
        let (end, value) = scan_plain(line, 2);
        assert_eq!(&line[end..end + 1], b"\"");
        assert_eq!(value.at(2), Some(6_183_763));
        assert_eq!(value.at(1), None, "finer than the precision");
        let (_, size) = scan_plain(line, 19);
        assert_eq!(size.at(3), Some(14));
    }

    #[test]
    fn counts_written_decimals() {
        assert_eq!(written_decimals(b"61837.63000000"), Some(8));
        assert_eq!(written_decimals(b"61800.30"), Some(2));
        assert_eq!(written_decimals(b"1"), Some(0));
        assert_eq!(written_decimals(b"1e-5"), Some(5));
        assert_eq!(written_decimals(b"abc"), None);
        assert_eq!(written_decimals(b"1.2.3"), None);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn agrees_with_parse_fixed_on_decimal_like_text(text in "[0-9.]{0,24}", precision in 0u8..=18) {
                prop_assert_eq!(
                    parse_decimal(text.as_bytes(), precision).ok(),
                    parse_fixed_bytes(text.as_bytes(), precision).ok(),
                    "{:?} at {}", text, precision
                );
            }

            #[test]
            fn agrees_with_parse_fixed_on_arbitrary_text(text in "[-+0-9.eE ]{0,24}", precision in 0u8..=18) {
                prop_assert_eq!(
                    parse_decimal(text.as_bytes(), precision).ok(),
                    parse_fixed_bytes(text.as_bytes(), precision).ok()
                );
            }

            #[test]
            fn scanning_agrees_with_parse_fixed(text in "[0-9.]{0,24}", precision in 0u8..=16) {
                let (end, value) = scan_plain(text.as_bytes(), 0);
                prop_assert_eq!(end, text.len());
                if let Some(raw) = value.at(precision) {
                    prop_assert_eq!(Ok(raw), parse_fixed_bytes(text.as_bytes(), precision), "{:?}", text);
                } else if value != Plain::NONE {
                    prop_assert!(parse_fixed_bytes(text.as_bytes(), precision).is_err(), "{:?}", text);
                }
            }

            #[test]
            fn eight_byte_scan_agrees_with_bytewise_scan(
                text in "[0-9.]{0,20}",
                tail in "[\"\\],x0-9.]{0,10}",
            ) {
                let line = format!("{text}{tail}");
                prop_assert_eq!(
                    scan_plain(line.as_bytes(), 0),
                    scan_plain_bytewise(line.as_bytes(), 0),
                    "{:?}", line
                );
            }

            #[test]
            fn short_integers_read_like_the_digits_say(n in any::<u64>(), tail in "[,}\\]\" .eE0-9]{0,9}") {
                let text = format!("{n}{tail}");
                if let Some((end, value)) = short_integer(text.as_bytes(), 0) {
                    let digits = n.to_string();
                    let all_digits: String = text.chars().take_while(char::is_ascii_digit).collect();
                    prop_assert_eq!(&text[..end], all_digits.as_str());
                    prop_assert_eq!(Some(value), all_digits.parse::<u64>().ok());
                    prop_assert!(end >= digits.len());
                }
            }

            #[test]
            fn scanning_reads_formatted_values(raw in 0i64..=99_999_999_999_999_999, precision in 0u8..=16, pad in 0usize..8) {
                let mut text = crate::types::format_fixed(raw, precision);
                if precision > 0 {
                    text.push_str(&"0".repeat(pad));
                }
                let (_, value) = scan_plain(text.as_bytes(), 0);
                prop_assert_eq!(value.at(precision), Some(raw), "{:?}", text);
            }

            #[test]
            fn reads_formatted_values_back(raw in 0i64..=i64::MAX, precision in 0u8..=MAX_PRECISION, pad in 0usize..4) {
                let mut text = crate::types::format_fixed(raw, precision);
                if precision > 0 {
                    text.push_str(&"0".repeat(pad));
                }
                prop_assert_eq!(parse_decimal(text.as_bytes(), precision), Ok(raw));
            }
        }
    }
}

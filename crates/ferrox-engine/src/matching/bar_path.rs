//! The price path assumed inside a bar.
//!
//! A bar only says where the price opened, how far it went each way and where
//! it closed, not in what order. [`BarPathModel::NearestExtremeFirst`] (the
//! default; NautilusTrader's convention) assumes the price went from the open
//! to the extreme nearer to it first, then to the other extreme, then to the
//! close: open → high → low → close when `|high − open| <= |open − low|`,
//! else open → low → high → close. Between those four points the price is
//! taken to move continuously, so every price of a leg traded; the open itself
//! may be a gap from the previous bar, so nothing between the previous close
//! and the open traded.

use crate::types::Bar;

/// Which order the high and the low are visited in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BarPathModel {
    /// Open, the extreme nearer to the open, the other extreme, close.
    #[default]
    NearestExtremeFirst,
    /// Always open, high, low, close.
    HighFirst,
    /// Always open, low, high, close.
    LowFirst,
}

impl BarPathModel {
    /// The four points of `bar`'s path.
    #[inline]
    pub fn path(self, bar: &Bar) -> [i64; 4] {
        let high_first = match self {
            Self::NearestExtremeFirst => (bar.high - bar.open).abs() <= (bar.open - bar.low).abs(),
            Self::HighFirst => true,
            Self::LowFirst => false,
        };
        if high_first {
            [bar.open, bar.high, bar.low, bar.close]
        } else {
            [bar.open, bar.low, bar.high, bar.close]
        }
    }
}

/// The first price of the leg `start → end` at which the price is at or
/// below `level` (`at_or_below`) or at or above it, if any: `start` itself
/// when it is already there, else `level` when the leg crosses it.
#[inline]
pub fn first_touch(start: i64, end: i64, level: i64, at_or_below: bool) -> Option<i64> {
    if at_or_below {
        if start <= level {
            Some(start)
        } else if end <= level {
            Some(level)
        } else {
            None
        }
    } else if start >= level {
        Some(start)
    } else if end >= level {
        Some(level)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(open: i64, high: i64, low: i64, close: i64) -> Bar {
        Bar {
            open,
            high,
            low,
            close,
            ..Bar::default()
        }
    }

    #[test]
    fn nearest_extreme_is_visited_first() {
        let m = BarPathModel::NearestExtremeFirst;
        assert_eq!(m.path(&bar(100, 102, 90, 95)), [100, 102, 90, 95]);
        assert_eq!(m.path(&bar(100, 110, 98, 105)), [100, 98, 110, 105]);
        // A tie goes to the high.
        assert_eq!(m.path(&bar(100, 105, 95, 100)), [100, 105, 95, 100]);
    }

    #[test]
    fn first_touch_is_the_start_when_already_through() {
        assert_eq!(first_touch(100, 90, 95, true), Some(95));
        assert_eq!(first_touch(94, 90, 95, true), Some(94));
        assert_eq!(first_touch(100, 96, 95, true), None);
        assert_eq!(first_touch(100, 110, 105, false), Some(105));
    }
}

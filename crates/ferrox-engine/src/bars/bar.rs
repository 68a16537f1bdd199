//! What goes into an aggregator (one trade) and what comes out (one bar).

use crate::types::{AggressorSide, UnixNanos};

/// One trade as an aggregator sees it: the clock chosen for the bars
/// (`ts_event` or `ts_init`), raw price and size, and who initiated it.
///
/// Bars from quotes feed the bid, the ask or the mid as trades with an unknown
/// aggressor (see [`super::source`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trade {
    /// Time on the clock the bars are built on.
    pub ts: UnixNanos,
    /// Raw price.
    pub price: i64,
    /// Raw size (not negative).
    pub size: i64,
    /// Who initiated; [`AggressorSide::NoAggressor`] when unknown.
    pub side: AggressorSide,
}

/// A finished bar. Prices and volumes are exact raw values at the input's
/// precisions; `value` is exact too (raw at price + size precision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OhlcvBar {
    /// Start of the bar's period: the aligned bucket start for time bars, the
    /// first trade's time for the others.
    pub ts_open: UnixNanos,
    /// End of the bar's period: the aligned bucket end (exclusive) for time
    /// bars, the last trade's time for the others.
    pub ts_close: UnixNanos,
    /// Time of the bar's first trade (the carried close's time for an empty bar).
    pub ts_first: UnixNanos,
    /// Time of the bar's last trade (the carried close's time for an empty bar).
    pub ts_last: UnixNanos,
    /// First price.
    pub open: i64,
    /// Highest price.
    pub high: i64,
    /// Lowest price.
    pub low: i64,
    /// Last price.
    pub close: i64,
    /// Σ size.
    pub volume: i64,
    /// Σ size of trades the buyer initiated.
    pub buy_volume: i64,
    /// Σ size of trades the seller initiated.
    pub sell_volume: i64,
    /// Number of trades.
    pub trade_count: u64,
    /// Σ price × size, raw at price precision + size precision.
    pub value: i128,
}

impl OhlcvBar {
    /// Whether the bar holds no trade (an empty time bar).
    pub fn is_empty(&self) -> bool {
        self.trade_count == 0
    }

    /// Σ price × size in quote units, as a float (analytics only).
    pub fn value_f64(&self, price_precision: u8, size_precision: u8) -> f64 {
        self.value as f64 / pow10(u32::from(price_precision) + u32::from(size_precision))
    }

    /// Volume-weighted average price in price units, as a float; NaN when the
    /// volume is zero.
    pub fn vwap(&self, price_precision: u8) -> f64 {
        if self.volume == 0 {
            return f64::NAN;
        }
        self.value as f64 / self.volume as f64 / pow10(u32::from(price_precision))
    }
}

fn pow10(p: u32) -> f64 {
    10f64.powi(p as i32)
}

/// The running bar: every aggregator adds trades here and takes the bar out.
/// Adding is branch-light and allocation-free; overflow of the exact sums
/// sets a sticky flag instead of wrapping silently.
#[derive(Debug, Clone, Default)]
pub(crate) struct Accumulator {
    bar: OhlcvBar,
    overflow: bool,
}

impl Accumulator {
    #[inline(always)]
    pub(crate) fn add(&mut self, t: &Trade) {
        let b = &mut self.bar;
        if b.trade_count == 0 {
            b.open = t.price;
            b.high = t.price;
            b.low = t.price;
            b.ts_first = t.ts;
        }
        b.high = b.high.max(t.price);
        b.low = b.low.min(t.price);
        b.close = t.price;
        b.ts_last = t.ts;
        b.trade_count += 1;
        // Buy/sell split without a data-dependent branch: sides are random.
        let buy = t.size * i64::from(t.side == AggressorSide::Buyer);
        let sell = t.size * i64::from(t.side == AggressorSide::Seller);
        let (volume, o1) = b.volume.overflowing_add(t.size);
        let (buy_volume, o2) = b.buy_volume.overflowing_add(buy);
        let (sell_volume, o3) = b.sell_volume.overflowing_add(sell);
        let (value, o4) = b
            .value
            .overflowing_add(i128::from(t.price) * i128::from(t.size));
        b.volume = volume;
        b.buy_volume = buy_volume;
        b.sell_volume = sell_volume;
        b.value = value;
        self.overflow |= o1 | o2 | o3 | o4;
    }

    #[inline(always)]
    pub(crate) fn bar(&self) -> &OhlcvBar {
        &self.bar
    }

    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.bar.trade_count == 0
    }

    /// Takes the bar out with its period and starts an empty one.
    #[inline(always)]
    pub(crate) fn take(&mut self, ts_open: UnixNanos, ts_close: UnixNanos) -> OhlcvBar {
        let mut bar = std::mem::take(&mut self.bar);
        bar.ts_open = ts_open;
        bar.ts_close = ts_close;
        bar
    }

    /// Takes the bar out with its own first and last trade times as its period.
    #[inline(always)]
    pub(crate) fn take_spanned(&mut self) -> OhlcvBar {
        let (first, last) = (self.bar.ts_first, self.bar.ts_last);
        self.take(first, last)
    }

    pub(crate) fn overflowed(&self) -> bool {
        self.overflow
    }
}

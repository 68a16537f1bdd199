//! What goes into an aggregator (one trade) and what comes out (one bar).

use crate::types::{AggressorSide, Bar, UnixNanos};

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

    /// The bar as the event loop's [`Bar`] record: its event time is the end
    /// of its period (`ts_close`).
    pub fn to_record(&self, instrument: u32, ts_init: UnixNanos) -> Bar {
        Bar {
            instrument,
            open: self.open,
            high: self.high,
            low: self.low,
            close: self.close,
            volume: self.volume,
            ts_open: self.ts_open,
            ts_event: self.ts_close,
            ts_init,
        }
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

    /// Adds a run of trades given as columns: exactly [`Accumulator::add`]
    /// applied to each in order, computed as a few tight column loops (the
    /// batch path of time bars). Sizes must not be negative and side codes
    /// must be 0, 1 or 2 (the caller checks); runs are shorter than 2^31.
    #[inline(always)]
    pub(crate) fn add_run(&mut self, ts: &[i64], price: &[i64], size: &[i64], side: Option<&[u8]>) {
        let n = price.len();
        let (Some(&first), Some(&last)) = (price.first(), price.last()) else {
            return;
        };
        let b = &mut self.bar;
        if b.trade_count == 0 {
            b.open = first;
            b.high = first;
            b.low = first;
            b.ts_first = ts[0];
        }
        let (high, low) = price
            .iter()
            .fold((b.high, b.low), |(h, l), &p| (h.max(p), l.min(p)));
        b.high = high;
        b.low = low;
        b.close = last;
        b.ts_last = ts[n - 1];
        b.trade_count += n as u64;
        let (volume, buy, sell, size_bits) = volume_sums(size, side);
        let mut overflow = false;
        for (total, part) in [
            (&mut b.volume, volume),
            (&mut b.buy_volume, buy),
            (&mut b.sell_volume, sell),
        ] {
            let sum = i128::from(*total) + part;
            overflow |= sum > i128::from(i64::MAX);
            *total = sum as i64;
        }
        // Σ price × size fits an i64 when |price| < 2^a, size < 2^b and
        // n < 2^c with a + b + c <= 63: then a plain i64 multiply-add is exact
        // (and several times cheaper than the i128 one).
        let price_bits = 64 - high.unsigned_abs().max(low.unsigned_abs()).leading_zeros();
        let count_bits = 64 - (n as u64).leading_zeros();
        let mut value = b.value;
        if price_bits + size_bits + count_bits <= 63 {
            let sum = price
                .iter()
                .zip(size)
                .fold(0i64, |acc, (&p, &s)| acc.wrapping_add(p.wrapping_mul(s)));
            let (v, o) = value.overflowing_add(i128::from(sum));
            value = v;
            overflow |= o;
        } else {
            for (&p, &s) in price.iter().zip(size) {
                let (v, o) = value.overflowing_add(i128::from(p) * i128::from(s));
                value = v;
                overflow |= o;
            }
        }
        b.value = value;
        self.overflow |= overflow;
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

/// Σ size, Σ size of buys, Σ size of sells over non-negative sizes, exact,
/// and the bit length of the largest size. Each size is split into 32-bit
/// halves summed in separate `u64` lanes, which cannot overflow for fewer
/// than 2^31 sizes and which the compiler vectorises.
#[inline(always)]
fn volume_sums(size: &[i64], side: Option<&[u8]>) -> (i128, i128, i128, u32) {
    const LOW: u64 = 0xffff_ffff;
    let combine = |high: u64, low: u64| (i128::from(high) << 32) + i128::from(low);
    let (mut vh, mut vl, mut bh, mut bl, mut sh, mut sl) = (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    // The OR of the sizes has the bit length of the largest one.
    let mut bits = 0u64;
    match side {
        Some(side) => {
            for (&s, &code) in size.iter().zip(side) {
                let s = s as u64;
                let buy = s & 0u64.wrapping_sub(u64::from(code == 1));
                let sell = s & 0u64.wrapping_sub(u64::from(code == 2));
                bits |= s;
                vh += s >> 32;
                vl += s & LOW;
                bh += buy >> 32;
                bl += buy & LOW;
                sh += sell >> 32;
                sl += sell & LOW;
            }
        }
        None => {
            for &s in size {
                let s = s as u64;
                bits |= s;
                vh += s >> 32;
                vl += s & LOW;
            }
        }
    }
    (
        combine(vh, vl),
        combine(bh, bl),
        combine(sh, sl),
        64 - bits.leading_zeros(),
    )
}

//! Rolling extremes and sums: MAX, MIN, SUM, MIDPOINT, MIDPRICE.
//!
//! TA-Lib 0.8 finds rolling extremes with the van Herk / Gil-Werman block scan:
//! the series is cut into blocks of `period` bars from its first bar; a window
//! is the suffix of one block plus the prefix of the next. Values equal either
//! way on clean data, but NaN handling follows from the scan (a NaN at the
//! last bar of a block poisons the suffix extremes of that block; elsewhere it
//! loses every comparison), so [`Extreme`] runs the same scan one bar at a
//! time: when a block completes its suffix extremes are computed from the
//! window held, and the next block's prefix extreme is carried bar by bar.

use super::core::{Indicator, Slot, NAN_SLOT};
use super::ring::Ring;

/// Which extreme a scan keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The highest value (`>` wins).
    High,
    /// The lowest value (`<` wins).
    Low,
}

impl Side {
    /// True when `a` replaces the incumbent `b`.
    #[inline(always)]
    fn beats(self, a: f64, b: f64) -> bool {
        match self {
            Side::High => a > b,
            Side::Low => a < b,
        }
    }
}

/// The rolling extreme of `period` bars by the block scan, bar by bar.
#[derive(Debug, Clone)]
pub struct Extreme {
    side: Side,
    period: usize,
    window: Ring,
    suffix: Vec<f64>,
    prefix: f64,
    seen: usize,
}

impl Extreme {
    /// A rolling extreme over `period` (>= 1) bars.
    pub fn new(side: Side, period: usize) -> Self {
        let period = period.max(1);
        Self {
            side,
            period,
            window: Ring::new(period),
            suffix: vec![0.0; period],
            prefix: 0.0,
            seen: 0,
        }
    }

    /// Feeds one bar; the extreme of the last `period` bars once there are as many.
    #[inline(always)]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        let p = self.period;
        self.window.push(x);
        let idx = self.seen;
        self.seen += 1;
        if idx + 1 < p {
            return None;
        }
        let m = (idx + 1) % p;
        let side = self.side;
        if m == 0 {
            let mut best = self.window.get(p - 1);
            self.suffix[p - 1] = best;
            for j in (0..p - 1).rev() {
                let v = self.window.get(j);
                if side.beats(v, best) {
                    best = v;
                }
                self.suffix[j] = best;
            }
            return Some(best);
        }
        if m == 1 || side.beats(x, self.prefix) {
            self.prefix = x;
        }
        let mut best = self.suffix[m];
        if side.beats(self.prefix, best) {
            best = self.prefix;
        }
        Some(best)
    }

    fn clear(&mut self) {
        self.window.clear();
        self.prefix = 0.0;
        self.seen = 0;
    }
}

/// The running extreme of one step: `v` replaces `best` only if it beats it.
#[inline(always)]
fn pick<const HIGH: bool>(v: f64, best: f64) -> f64 {
    if if HIGH { v > best } else { v < best } {
        v
    } else {
        best
    }
}

/// The prefix extremes (earliest keeps a tie) and suffix extremes (latest
/// keeps a tie) of one block, into `prefix` and `suffix`. The two scans are
/// interleaved so their dependency chains overlap.
#[inline(always)]
fn block_scans<const HIGH: bool>(block: &[f64], prefix: &mut [f64], suffix: &mut [f64]) {
    let p = block.len();
    let (prefix, suffix) = (&mut prefix[..p], &mut suffix[..p]);
    let mut fwd = block[0];
    let mut bwd = block[p - 1];
    prefix[0] = fwd;
    suffix[p - 1] = bwd;
    for j in 1..p {
        fwd = pick::<HIGH>(block[j], fwd);
        prefix[j] = fwd;
        let k = p - 1 - j;
        bwd = pick::<HIGH>(block[k], bwd);
        suffix[k] = bwd;
    }
}

/// The prefix extremes of a partial block (earliest keeps a tie) into `prefix`.
#[inline(always)]
fn prefix_scan<const HIGH: bool>(block: &[f64], prefix: &mut [f64]) {
    let mut best = block[0];
    for (s, &v) in prefix.iter_mut().zip(block) {
        best = pick::<HIGH>(v, best);
        *s = best;
    }
}

/// A run of consecutive windows found by [`scan_blocks`]: window `k` has
/// the extremes of the newer side's prefix `k` and the older side's suffix
/// `k` (the older keeps a tie).
pub(crate) struct Windows<'a> {
    /// Index of the bar ending the first window.
    pub first: usize,
    newer_h: &'a [f64],
    older_h: &'a [f64],
    newer_l: &'a [f64],
    older_l: &'a [f64],
}

impl Windows<'_> {
    /// Number of windows in the run.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.newer_h.len()
    }

    /// Writes `f(highest, lowest, extra)` of every window of the run into
    /// `out[first..]`, `extra` being `extra[first..]` (any column of the bars).
    #[inline(always)]
    pub fn write(&self, out: &mut [Slot], extra: &[f64], f: impl Fn(f64, f64, f64) -> f64) {
        let run = self.first..self.first + self.len();
        let (out, extra) = (&mut out[run.clone()], &extra[run]);
        let highs = self.newer_h.iter().zip(self.older_h);
        let lows = self.newer_l.iter().zip(self.older_l);
        for (((o, &x), (&nh, &oh)), (&nl, &ol)) in out.iter_mut().zip(extra).zip(highs).zip(lows) {
            *o = Slot::new(f(pick::<true>(nh, oh), pick::<false>(nl, ol), x));
        }
    }
}

/// TA-Lib's batch block scan over `high` and `low` windows of `p` bars: calls
/// `emit` with runs of consecutive windows, together covering every bar index
/// `>= p-1` once, in order (a side not asked for, by `WANT_HIGH`/`WANT_LOW`,
/// is reported as zeros).
///
/// The window ending at offset `m - 1` of a block (`0 < m < p`) is the suffix
/// from `m` of the block before plus the prefix to `m - 1` of its own block;
/// the window ending a block is the block.
#[inline(always)]
pub(crate) fn scan_blocks<const WANT_HIGH: bool, const WANT_LOW: bool>(
    high: &[f64],
    low: &[f64],
    p: usize,
    mut emit: impl FnMut(Windows<'_>),
) {
    let n = high.len().min(low.len());
    if p == 0 || n < p {
        return;
    }
    let mut buf = vec![0.0; 6 * p];
    let (mut prev_h, rest) = buf.split_at_mut(p);
    let (mut prev_l, rest) = rest.split_at_mut(p);
    let (mut suf_h, rest) = rest.split_at_mut(p);
    let (mut suf_l, rest) = rest.split_at_mut(p);
    let (pre_h, pre_l) = rest.split_at_mut(p);
    let mut block = 0;
    while block < n {
        let end = (block + p).min(n);
        let len = end - block;
        let full = len == p;
        if full {
            if WANT_HIGH {
                block_scans::<true>(&high[block..end], pre_h, suf_h);
            }
            if WANT_LOW {
                block_scans::<false>(&low[block..end], pre_l, suf_l);
            }
        } else {
            if WANT_HIGH {
                prefix_scan::<true>(&high[block..end], &mut pre_h[..len]);
            }
            if WANT_LOW {
                prefix_scan::<false>(&low[block..end], &mut pre_l[..len]);
            }
        }
        if block > 0 {
            // Windows ending at offsets 0..count of this block.
            let count = if full { p - 1 } else { len };
            emit(Windows {
                first: block,
                newer_h: &pre_h[..count],
                older_h: &prev_h[1..=count],
                newer_l: &pre_l[..count],
                older_l: &prev_l[1..=count],
            });
        }
        if full {
            emit(Windows {
                first: end - 1,
                newer_h: &suf_h[..1],
                older_h: &suf_h[..1],
                newer_l: &suf_l[..1],
                older_l: &suf_l[..1],
            });
        }
        // This block's suffixes serve the windows ending in the next one.
        std::mem::swap(&mut prev_h, &mut suf_h);
        std::mem::swap(&mut prev_l, &mut suf_l);
        block = end;
    }
}

macro_rules! extreme_indicator {
    ($name:ident, $side:expr, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone)]
        pub struct $name {
            scan: Extreme,
        }

        impl $name {
            /// Over `period` (>= 1) bars.
            pub fn new(period: usize) -> Self {
                Self {
                    scan: Extreme::new($side, period),
                }
            }
        }

        impl Indicator for $name {
            type Input = f64;
            type Output = f64;

            fn lookback(&self) -> usize {
                self.scan.period - 1
            }

            #[inline(always)]
            fn update(&mut self, x: f64) -> f64 {
                self.scan.push(x).unwrap_or(f64::NAN)
            }

            fn reset(&mut self) {
                self.scan.clear();
            }

            #[inline(always)]
            fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
                let x = &inputs[0][start..];
                let out = &mut outputs[0][start..];
                let p = self.scan.period;
                out[..(p - 1).min(x.len())].fill(NAN_SLOT);
                if $side == Side::High {
                    scan_blocks::<true, false>(x, x, p, |w| w.write(out, x, |h, _, _| h));
                } else {
                    scan_blocks::<false, true>(x, x, p, |w| w.write(out, x, |_, l, _| l));
                }
            }
        }
    };
}

extreme_indicator!(
    Max,
    Side::High,
    "Highest value over `period` bars (TA-Lib MAX)."
);
extreme_indicator!(
    Min,
    Side::Low,
    "Lowest value over `period` bars (TA-Lib MIN)."
);

/// Highest and lowest over `period` bars, from separate (or the same) series.
#[derive(Debug, Clone)]
pub struct HighLow {
    high: Extreme,
    low: Extreme,
}

impl HighLow {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        Self {
            high: Extreme::new(Side::High, period),
            low: Extreme::new(Side::Low, period),
        }
    }

    /// Window length.
    pub fn period(&self) -> usize {
        self.high.period
    }

    /// Feeds one bar; `(highest, lowest)` once the window is full.
    #[inline(always)]
    pub fn push(&mut self, high: f64, low: f64) -> Option<(f64, f64)> {
        let h = self.high.push(high);
        let l = self.low.push(low);
        Some((h?, l?))
    }

    /// Forgets every bar.
    pub fn clear(&mut self) {
        self.high.clear();
        self.low.clear();
    }
}

/// `(highest + lowest) / 2` of one series over `period` bars (TA-Lib MIDPOINT).
#[derive(Debug, Clone)]
pub struct MidPoint {
    scan: HighLow,
}

impl MidPoint {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        Self {
            scan: HighLow::new(period),
        }
    }
}

impl Indicator for MidPoint {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        self.scan.period() - 1
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        match self.scan.push(x, x) {
            Some((h, l)) => (h + l) / 2.0,
            None => f64::NAN,
        }
    }

    fn reset(&mut self) {
        self.scan.clear();
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let x = &inputs[0][start..];
        let out = &mut outputs[0][start..];
        let p = self.scan.period();
        out[..(p - 1).min(x.len())].fill(NAN_SLOT);
        scan_blocks::<true, true>(x, x, p, |w| w.write(out, x, |h, l, _| (h + l) / 2.0));
    }
}

/// `(highest high + lowest low) / 2` over `period` bars (TA-Lib MIDPRICE).
#[derive(Debug, Clone)]
pub struct MidPrice {
    scan: HighLow,
}

impl MidPrice {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        Self {
            scan: HighLow::new(period),
        }
    }
}

impl Indicator for MidPrice {
    type Input = [f64; 2];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.scan.period() - 1
    }

    #[inline(always)]
    fn update(&mut self, [high, low]: [f64; 2]) -> f64 {
        match self.scan.push(high, low) {
            Some((h, l)) => (h + l) / 2.0,
            None => f64::NAN,
        }
    }

    fn reset(&mut self) {
        self.scan.clear();
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let (high, low) = (&inputs[0][start..], &inputs[1][start..]);
        let out = &mut outputs[0][start..];
        let p = self.scan.period();
        out[..(p - 1).min(high.len())].fill(NAN_SLOT);
        scan_blocks::<true, true>(high, low, p, |w| {
            w.write(out, high, |h, l, _| (h + l) / 2.0)
        });
    }
}

/// Rolling sum of `period` bars by a running total (TA-Lib SUM).
#[derive(Debug, Clone)]
pub struct Sum {
    period: usize,
    total: f64,
    window: Ring,
    seen: usize,
}

impl Sum {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            period,
            total: 0.0,
            window: Ring::new(period),
            seen: 0,
        }
    }
}

impl Indicator for Sum {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        self.period - 1
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        self.window.push(x);
        self.seen += 1;
        self.total += x;
        if self.seen < self.period {
            return f64::NAN;
        }
        let sum = self.total;
        self.total -= self.window.get(0);
        sum
    }

    fn reset(&mut self) {
        self.total = 0.0;
        self.window.clear();
        self.seen = 0;
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let x = &inputs[0][start..];
        let out = &mut outputs[0][start..];
        let p = self.period;
        out[..(p - 1).min(x.len())].fill(NAN_SLOT);
        if x.len() < p {
            return;
        }
        let mut total = 0.0;
        for &v in &x[..p - 1] {
            total += v;
        }
        for ((o, &v), &old) in out[p - 1..].iter_mut().zip(&x[p - 1..]).zip(x) {
            total += v;
            *o = Slot::new(total);
            total -= old;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::core::testing::{assert_batch_equals_stream, walk};
    use super::*;

    #[test]
    fn batch_equals_stream_with_nans_anywhere() {
        for seed in 0..4 {
            let x = walk(500, seed, seed % 2 == 1);
            let y: Vec<f64> = x.iter().map(|v| v - 1.0).collect();
            for p in [1, 2, 3, 5, 14, 30] {
                assert_batch_equals_stream(&Max::new(p), &[&x]);
                assert_batch_equals_stream(&Min::new(p), &[&x]);
                assert_batch_equals_stream(&Sum::new(p), &[&x]);
                assert_batch_equals_stream(&MidPoint::new(p), &[&x]);
                assert_batch_equals_stream(&MidPrice::new(p), &[&x, &y]);
            }
        }
    }

    #[test]
    fn max_of_a_window_is_its_highest_value() {
        let mut m = Max::new(3);
        let out: Vec<f64> = [1.0, 5.0, 2.0, 3.0, 1.0, 0.0]
            .iter()
            .map(|&v| m.update(v))
            .collect();
        assert_eq!(&out[2..], &[5.0, 5.0, 3.0, 3.0]);
    }
}

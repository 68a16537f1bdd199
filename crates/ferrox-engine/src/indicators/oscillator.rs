//! Range oscillators: STOCH, STOCHF, STOCHRSI, WILLR, CCI, AROON, AROONOSC,
//! ULTOSC, MFI.

use super::core::{Indicator, Slot, NAN_SLOT};
use super::ma::{Ma, MaType};
use super::momentum::Rsi;
use super::ring::Ring;
use super::window::{scan_blocks, HighLow};
use super::{is_zero, is_zero_scaled};

/// TA-Lib's cached-index rolling low/high (used by STOCH and AROON): the
/// extreme and its bar index are kept; the window is rescanned only when the
/// extreme leaves it. `rescan_ties_move` makes a tie found by the rescan move
/// the index to the later bar (AROON) instead of keeping the earlier (STOCH).
#[derive(Debug, Clone)]
struct CachedExtremes {
    window: usize,
    rescan_ties_move: bool,
    lows: Ring,
    highs: Ring,
    seen: usize,
    lowest_idx: Option<usize>,
    highest_idx: Option<usize>,
    lowest: f64,
    highest: f64,
}

/// Which extremes changed on a step (STOCH recomputes its range only then).
#[derive(Debug, Clone, Copy)]
struct Moved {
    low: bool,
    high: bool,
}

impl CachedExtremes {
    fn new(window: usize, rescan_ties_move: bool) -> Self {
        let window = window.max(1);
        Self {
            window,
            rescan_ties_move,
            lows: Ring::new(window),
            highs: Ring::new(window),
            seen: 0,
            lowest_idx: None,
            highest_idx: None,
            lowest: 0.0,
            highest: 0.0,
        }
    }

    fn clear(&mut self) {
        *self = Self::new(self.window, self.rescan_ties_move);
    }

    /// Feeds one bar; `None` until the window is full.
    #[inline(always)]
    fn push(&mut self, high: f64, low: f64) -> Option<Moved> {
        self.lows.push(low);
        self.highs.push(high);
        let today = self.seen;
        self.seen += 1;
        if self.seen < self.window {
            return None;
        }
        let trailing = today + 1 - self.window;
        let ties = self.rescan_ties_move;
        let mut moved = Moved {
            low: false,
            high: false,
        };
        if self.lowest_idx.is_none_or(|i| i < trailing) {
            let mut idx = trailing;
            let mut best = self.lows.get(0);
            for k in 1..self.window {
                let v = self.lows.get(k);
                if v < best || (ties && v <= best) {
                    idx = trailing + k;
                    best = v;
                }
            }
            self.lowest_idx = Some(idx);
            self.lowest = best;
            moved.low = true;
        } else if low <= self.lowest {
            self.lowest_idx = Some(today);
            self.lowest = low;
            moved.low = true;
        }
        if self.highest_idx.is_none_or(|i| i < trailing) {
            let mut idx = trailing;
            let mut best = self.highs.get(0);
            for k in 1..self.window {
                let v = self.highs.get(k);
                if v > best || (ties && v >= best) {
                    idx = trailing + k;
                    best = v;
                }
            }
            self.highest_idx = Some(idx);
            self.highest = best;
            moved.high = true;
        } else if high >= self.highest {
            self.highest_idx = Some(today);
            self.highest = high;
            moved.high = true;
        }
        Some(moved)
    }
}

/// TA-Lib's raw stochastic %K over `period` bars.
#[derive(Debug, Clone)]
struct FastK {
    ext: CachedExtremes,
}

impl FastK {
    fn new(period: usize) -> Self {
        Self {
            ext: CachedExtremes::new(period, false),
        }
    }

    fn lookback(&self) -> usize {
        self.ext.window - 1
    }

    fn clear(&mut self) {
        self.ext.clear();
    }

    #[inline(always)]
    fn push(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        self.ext.push(high, low)?;
        let (lowest, highest) = (self.ext.lowest, self.ext.highest);
        let range = highest - lowest;
        Some(if !is_zero_scaled(range, highest.abs() + lowest.abs()) {
            ((close - lowest) / range) * 100.0
        } else {
            0.0
        })
    }
}

/// Slow stochastic: `[slowk, slowd]` (TA-Lib STOCH).
#[derive(Debug, Clone)]
pub struct Stoch {
    k: FastK,
    slow_k: Ma,
    slow_d: Ma,
    lb_k: usize,
    lb_slow_k: usize,
    seen: usize,
}

impl Stoch {
    /// %K over `fastk_period` bars, smoothed by `slowk` then `slowd`.
    pub fn new(
        fastk_period: usize,
        slowk_period: usize,
        slowk_matype: MaType,
        slowd_period: usize,
        slowd_matype: MaType,
    ) -> Self {
        let k = FastK::new(fastk_period);
        let slow_k = Ma::new(slowk_matype, slowk_period);
        let slow_d = Ma::new(slowd_matype, slowd_period);
        Self {
            lb_k: k.lookback(),
            lb_slow_k: slow_k.lookback(),
            k,
            slow_k,
            slow_d,
            seen: 0,
        }
    }
}

impl Indicator for Stoch {
    type Input = [f64; 3];
    type Output = [f64; 2];

    fn lookback(&self) -> usize {
        self.lb_k + self.lb_slow_k + self.slow_d.lookback()
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close]: [f64; 3]) -> [f64; 2] {
        self.seen += 1;
        let Some(k) = self.k.push(high, low, close) else {
            return [f64::NAN; 2];
        };
        let slow_k = self.slow_k.update(k);
        if self.seen <= self.lb_k + self.lb_slow_k {
            return [f64::NAN; 2];
        }
        let slow_d = self.slow_d.update(slow_k);
        if self.seen <= self.lookback() {
            return [f64::NAN; 2];
        }
        [slow_k, slow_d]
    }

    fn reset(&mut self) {
        self.k.clear();
        self.slow_k.reset();
        self.slow_d.reset();
        self.seen = 0;
    }
}

/// Fast stochastic: `[fastk, fastd]` (TA-Lib STOCHF).
#[derive(Debug, Clone)]
pub struct StochF {
    k: FastK,
    fast_d: Ma,
    seen: usize,
}

impl StochF {
    /// %K over `fastk_period` bars, %D its `fastd` moving average.
    pub fn new(fastk_period: usize, fastd_period: usize, fastd_matype: MaType) -> Self {
        Self {
            k: FastK::new(fastk_period),
            fast_d: Ma::new(fastd_matype, fastd_period),
            seen: 0,
        }
    }
}

impl Indicator for StochF {
    type Input = [f64; 3];
    type Output = [f64; 2];

    fn lookback(&self) -> usize {
        self.k.lookback() + self.fast_d.lookback()
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close]: [f64; 3]) -> [f64; 2] {
        self.seen += 1;
        let Some(k) = self.k.push(high, low, close) else {
            return [f64::NAN; 2];
        };
        let d = self.fast_d.update(k);
        if self.seen <= self.lookback() {
            return [f64::NAN; 2];
        }
        [k, d]
    }

    fn reset(&mut self) {
        self.k.clear();
        self.fast_d.reset();
        self.seen = 0;
    }
}

/// Stochastic RSI: STOCHF of the RSI, `[fastk, fastd]` (TA-Lib STOCHRSI).
#[derive(Debug, Clone)]
pub struct StochRsi {
    rsi: Rsi,
    stoch: StochF,
    seen: usize,
}

impl StochRsi {
    /// RSI over `period`, then STOCHF(`fastk`, `fastd`, `fastd_matype`) of it.
    pub fn new(
        period: usize,
        fastk_period: usize,
        fastd_period: usize,
        fastd_matype: MaType,
    ) -> Self {
        Self {
            rsi: Rsi::new(period),
            stoch: StochF::new(fastk_period, fastd_period, fastd_matype),
            seen: 0,
        }
    }
}

impl Indicator for StochRsi {
    type Input = f64;
    type Output = [f64; 2];

    fn lookback(&self) -> usize {
        self.rsi.lookback() + self.stoch.lookback()
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> [f64; 2] {
        self.seen += 1;
        let r = self.rsi.update(x);
        if self.seen <= self.rsi.lookback() {
            return [f64::NAN; 2];
        }
        self.stoch.update([r, r, r])
    }

    fn reset(&mut self) {
        self.rsi.reset();
        self.stoch.reset();
        self.seen = 0;
    }
}

/// Williams' %R over `period` bars: `-100 * (highest - close)/(highest - lowest)`.
#[derive(Debug, Clone)]
pub struct WillR {
    scan: HighLow,
}

impl WillR {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        Self {
            scan: HighLow::new(period),
        }
    }
}

impl Indicator for WillR {
    type Input = [f64; 3];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.scan.period() - 1
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close]: [f64; 3]) -> f64 {
        match self.scan.push(high, low) {
            Some((highest, lowest)) => willr(highest, lowest, close),
            None => f64::NAN,
        }
    }

    fn reset(&mut self) {
        self.scan.clear();
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let (high, low) = (&inputs[0][start..], &inputs[1][start..]);
        let close = &inputs[2][start..];
        let out = &mut outputs[0][start..];
        let p = self.scan.period();
        out[..(p - 1).min(high.len())].fill(NAN_SLOT);
        scan_blocks::<true, true>(high, low, p, |i, h, l| {
            out[i] = Slot::new(willr(h, l, close[i]))
        });
    }
}

/// %R of `close` in the range `[lowest, highest]`; 0 on an empty range.
#[inline(always)]
fn willr(highest: f64, lowest: f64, close: f64) -> f64 {
    let range = highest - lowest;
    if range == 0.0 {
        return 0.0;
    }
    // A close outside the window's range is clamped into [-100, 0].
    (((highest - close) / range) * (-100.0)).clamp(-100.0, 0.0)
}

/// Commodity Channel Index over `period` bars of typical price (TA-Lib CCI).
///
/// TA-Lib sums its circular buffer in slot order, not age order; the slots are
/// kept the same way so the rounding matches.
#[derive(Debug, Clone)]
pub struct Cci {
    period: usize,
    slots: Vec<f64>,
    seen: usize,
}

impl Cci {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            period,
            slots: vec![0.0; period],
            seen: 0,
        }
    }
}

impl Indicator for Cci {
    type Input = [f64; 3];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.period - 1
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close]: [f64; 3]) -> f64 {
        let p = self.period;
        let typical = (high + low + close) / 3.0;
        self.slots[self.seen % p] = typical;
        self.seen += 1;
        if self.seen < p {
            return f64::NAN;
        }
        let mut average = 0.0;
        for &v in &self.slots {
            average += v;
        }
        average /= p as f64;
        let mut deviation = 0.0;
        for &v in &self.slots {
            deviation += (v - average).abs();
        }
        let above = typical - average;
        if !is_zero_scaled(above, typical.abs() + average.abs()) && !is_zero(deviation) {
            above / (0.015 * (deviation / p as f64))
        } else {
            0.0
        }
    }

    fn reset(&mut self) {
        self.slots.fill(0.0);
        self.seen = 0;
    }
}

/// Aroon over `period` bars: `[aroondown, aroonup]`.
#[derive(Debug, Clone)]
pub struct Aroon {
    period: usize,
    ext: CachedExtremes,
}

impl Aroon {
    /// Over `period` (>= 1) bars (the window holds `period + 1` bars).
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            period,
            ext: CachedExtremes::new(period + 1, true),
        }
    }

    #[inline(always)]
    fn step(&mut self, high: f64, low: f64) -> Option<(usize, usize, usize)> {
        self.ext.push(high, low)?;
        let today = self.ext.seen - 1;
        Some((
            today,
            self.ext.highest_idx.unwrap_or(today),
            self.ext.lowest_idx.unwrap_or(today),
        ))
    }
}

impl Indicator for Aroon {
    type Input = [f64; 2];
    type Output = [f64; 2];

    fn lookback(&self) -> usize {
        self.period
    }

    #[inline(always)]
    fn update(&mut self, [high, low]: [f64; 2]) -> [f64; 2] {
        let Some((today, hi, lo)) = self.step(high, low) else {
            return [f64::NAN; 2];
        };
        let factor = 100.0 / self.period as f64;
        let p = self.period as i64;
        let up = factor * (p - (today - hi) as i64) as f64;
        let down = factor * (p - (today - lo) as i64) as f64;
        [down, up]
    }

    fn reset(&mut self) {
        self.ext.clear();
    }
}

/// Aroon oscillator: aroon up minus aroon down.
#[derive(Debug, Clone)]
pub struct AroonOsc {
    inner: Aroon,
}

impl AroonOsc {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        Self {
            inner: Aroon::new(period),
        }
    }
}

impl Indicator for AroonOsc {
    type Input = [f64; 2];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.inner.period
    }

    #[inline(always)]
    fn update(&mut self, [high, low]: [f64; 2]) -> f64 {
        let Some((_, hi, lo)) = self.inner.step(high, low) else {
            return f64::NAN;
        };
        let factor = 100.0 / self.inner.period as f64;
        factor * (hi as i64 - lo as i64) as f64
    }

    fn reset(&mut self) {
        self.inner.reset();
    }
}

/// Ultimate Oscillator over three periods (TA-Lib ULTOSC).
#[derive(Debug, Clone)]
pub struct UltOsc {
    /// Shortest to longest.
    periods: [usize; 3],
    close_minus_low: Ring,
    true_range: Ring,
    a: [f64; 3],
    b: [f64; 3],
    prev_close: f64,
    /// Consecutive bars contributing nothing (zero true range): once a window
    /// is all such bars its totals are exactly zero, whatever residue they hold.
    null_run: usize,
    seen: usize,
}

impl UltOsc {
    /// Over the three periods, in any order.
    pub fn new(p1: usize, p2: usize, p3: usize) -> Self {
        let mut periods = [p1.max(1), p2.max(1), p3.max(1)];
        periods.sort_unstable();
        Self {
            periods,
            close_minus_low: Ring::new(periods[2]),
            true_range: Ring::new(periods[2]),
            a: [0.0; 3],
            b: [0.0; 3],
            prev_close: 0.0,
            null_run: 0,
            seen: 0,
        }
    }
}

impl Indicator for UltOsc {
    type Input = [f64; 3];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.periods[2]
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close]: [f64; 3]) -> f64 {
        let today = self.seen;
        self.seen += 1;
        let prev_close = self.prev_close;
        self.prev_close = close;
        if today == 0 {
            return f64::NAN;
        }
        let true_low = if low < prev_close { low } else { prev_close };
        let cmtl = close - true_low;
        let mut tr = high - low;
        let v = (prev_close - high).abs();
        if v > tr {
            tr = v;
        }
        let v = (prev_close - low).abs();
        if v > tr {
            tr = v;
        }
        self.close_minus_low.push(cmtl);
        self.true_range.push(tr);
        self.null_run = if tr == 0.0 && cmtl == 0.0 {
            self.null_run + 1
        } else {
            0
        };
        let [s, m, l] = self.periods;
        let lookback = l;
        if today < lookback {
            // Warm-up: each total collects the bars inside its own window.
            if today + s > lookback {
                self.a[0] += cmtl;
                self.b[0] += tr;
            }
            if today + m > lookback {
                self.a[1] += cmtl;
                self.b[1] += tr;
            }
            self.a[2] += cmtl;
            self.b[2] += tr;
            return f64::NAN;
        }
        for k in 0..3 {
            self.a[k] += cmtl;
            self.b[k] += tr;
        }
        for (k, &p) in self.periods.iter().enumerate() {
            if self.null_run >= p {
                self.a[k] = 0.0;
                self.b[k] = 0.0;
            }
        }
        if self.null_run >= l {
            self.null_run = l;
        }
        let mut output = 0.0;
        if self.b[0] > 0.0 {
            output += 4.0 * (self.a[0] / self.b[0]);
        }
        if self.b[1] > 0.0 {
            output += 2.0 * (self.a[1] / self.b[1]);
        }
        if self.b[2] > 0.0 {
            output += self.a[2] / self.b[2];
        }
        // Drop the bar leaving each window (age = period - 1).
        for (k, &p) in self.periods.iter().enumerate() {
            self.a[k] -= self.close_minus_low.back(p - 1);
            self.b[k] -= self.true_range.back(p - 1);
        }
        100.0 * (output / 7.0)
    }

    fn reset(&mut self) {
        *self = Self::new(self.periods[0], self.periods[1], self.periods[2]);
    }
}

/// Money Flow Index over `period` bars (TA-Lib MFI, 0.8 rules: flat typical
/// prices carry no flow, an empty window gives 0).
#[derive(Debug, Clone)]
pub struct Mfi {
    period: usize,
    pos: Ring,
    neg: Ring,
    pos_sum: f64,
    neg_sum: f64,
    prev_typical: f64,
    null_run: usize,
    seen: usize,
}

impl Mfi {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            period,
            pos: Ring::new(period),
            neg: Ring::new(period),
            pos_sum: 0.0,
            neg_sum: 0.0,
            prev_typical: 0.0,
            null_run: 0,
            seen: 0,
        }
    }
}

impl Indicator for Mfi {
    type Input = [f64; 4];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.period
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close, volume]: [f64; 4]) -> f64 {
        let p = self.period;
        let today = self.seen;
        self.seen += 1;
        let typical = (high + low + close) / 3.0;
        if today == 0 {
            self.prev_typical = typical;
            return f64::NAN;
        }
        if today > p {
            // The ring is full: the oldest flow leaves before the new one enters.
            self.pos_sum -= self.pos.get(0);
            self.neg_sum -= self.neg.get(0);
        }
        let change = typical - self.prev_typical;
        let scale = typical.abs() + self.prev_typical.abs();
        self.prev_typical = typical;
        let flow = typical * volume;
        let money = if is_zero_scaled(change, scale) {
            0.0
        } else {
            flow
        };
        let (pos, neg) = if change < 0.0 {
            (0.0, money)
        } else {
            (money, 0.0)
        };
        self.pos.push(pos);
        self.neg.push(neg);
        self.pos_sum += pos;
        self.neg_sum += neg;
        self.null_run = if money == 0.0 { self.null_run + 1 } else { 0 };
        if self.null_run >= p {
            self.null_run = p;
            self.pos_sum = 0.0;
            self.neg_sum = 0.0;
        }
        if today < p {
            return f64::NAN;
        }
        let total = self.pos_sum + self.neg_sum;
        let pos_clamped = if self.pos_sum < 0.0 {
            0.0
        } else if self.pos_sum > total {
            total
        } else {
            self.pos_sum
        };
        if total <= 0.0 {
            0.0
        } else {
            100.0 * (pos_clamped / total)
        }
    }

    fn reset(&mut self) {
        *self = Self::new(self.period);
    }
}

#[cfg(test)]
mod tests {
    use super::super::core::testing::{assert_batch_equals_stream, walk};
    use super::*;

    #[test]
    fn batch_equals_stream() {
        for nans in [false, true] {
            let c = walk(600, 21, nans);
            let h: Vec<f64> = c
                .iter()
                .enumerate()
                .map(|(i, v)| v + 0.5 + (i % 7) as f64 * 0.1)
                .collect();
            let l: Vec<f64> = c
                .iter()
                .enumerate()
                .map(|(i, v)| v - 0.5 - (i % 5) as f64 * 0.1)
                .collect();
            let vol: Vec<f64> = (0..600).map(|i| 100.0 + (i % 13) as f64).collect();
            for p in [1, 2, 5, 14] {
                assert_batch_equals_stream(
                    &Stoch::new(p, 3, MaType::Sma, 3, MaType::Ema),
                    &[&h, &l, &c],
                );
                assert_batch_equals_stream(&StochF::new(p, 3, MaType::Wma), &[&h, &l, &c]);
                assert_batch_equals_stream(&StochRsi::new(14, p, 3, MaType::Sma), &[&c]);
                assert_batch_equals_stream(&WillR::new(p), &[&h, &l, &c]);
                assert_batch_equals_stream(&Cci::new(p.max(2)), &[&h, &l, &c]);
                assert_batch_equals_stream(&Aroon::new(p.max(2)), &[&h, &l]);
                assert_batch_equals_stream(&AroonOsc::new(p.max(2)), &[&h, &l]);
                assert_batch_equals_stream(&UltOsc::new(p, 2 * p, 4 * p), &[&h, &l, &c]);
                assert_batch_equals_stream(&Mfi::new(p.max(2)), &[&h, &l, &c, &vol]);
            }
        }
    }
}

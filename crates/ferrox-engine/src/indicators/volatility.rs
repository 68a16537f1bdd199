//! Volatility: TRANGE, ATR, NATR, VAR, STDDEV, BBANDS.

use super::core::{Indicator, Slot, NAN_SLOT};
use super::fma;
use super::ma::{Ma, MaType, Sma};
use super::ring::Ring;

/// True range of each bar against the previous close (TA-Lib TRANGE).
#[derive(Debug, Clone, Default)]
pub struct TRange {
    prev_close: Option<f64>,
}

impl Indicator for TRange {
    type Input = [f64; 3];
    type Output = f64;

    fn lookback(&self) -> usize {
        1
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close]: [f64; 3]) -> f64 {
        let prev = self.prev_close.replace(close);
        match prev {
            Some(pc) => true_range_ta(high, low, pc),
            None => f64::NAN,
        }
    }

    fn reset(&mut self) {
        self.prev_close = None;
    }
}

/// TRANGE/ATR's spelling of the true range (previous close minus high/low).
#[inline(always)]
fn true_range_ta(high: f64, low: f64, prev_close: f64) -> f64 {
    let mut greatest = high - low;
    let v = (prev_close - high).abs();
    if v > greatest {
        greatest = v;
    }
    let v = (prev_close - low).abs();
    if v > greatest {
        greatest = v;
    }
    greatest
}

/// Average true range with Wilder smoothing (TA-Lib ATR; NATR when normalized).
#[derive(Debug, Clone)]
pub struct Atr {
    period: usize,
    normalized: bool,
    alpha: f64,
    beta: f64,
    seen: usize,
    prev_close: f64,
    value: f64,
}

impl Atr {
    /// ATR over `period` (>= 1) bars; `normalized` gives NATR (percent of close).
    pub fn new(period: usize, normalized: bool) -> Self {
        let period = period.max(1);
        // beta first, alpha from it, so that alpha + beta is exactly 1.
        let beta = (period - 1) as f64 / period as f64;
        Self {
            period,
            normalized,
            alpha: 1.0 - beta,
            beta,
            seen: 0,
            prev_close: 0.0,
            value: 0.0,
        }
    }
}

impl Indicator for Atr {
    type Input = [f64; 3];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.period
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
        let tr = true_range_ta(high, low, prev_close);
        let p = self.period;
        if today <= p {
            self.value += tr;
            if today < p {
                return f64::NAN;
            }
            self.value /= p as f64;
        } else {
            self.value = fma(self.beta, self.value, self.alpha * tr);
        }
        if !self.normalized || p <= 1 {
            self.value
        } else if close != 0.0 {
            (self.value / close) * 100.0
        } else {
            0.0
        }
    }

    fn reset(&mut self) {
        self.seen = 0;
        self.prev_close = 0.0;
        self.value = 0.0;
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let n = inputs[0].len();
        let p = self.period;
        let from = self.run_rows(inputs, outputs, start, (start + p + 1).min(n));
        if from >= n {
            return;
        }
        let (high, low, close) = (&inputs[0][..n], &inputs[1][..n], &inputs[2][..n]);
        let out = &mut outputs[0][..n];
        let (alpha, beta) = (self.alpha, self.beta);
        let mut value = self.value;
        let normalized = self.normalized && p > 1;
        for i in from..n {
            let tr = true_range_ta(high[i], low[i], close[i - 1]);
            value = fma(beta, value, alpha * tr);
            out[i] = Slot::new(if !normalized {
                value
            } else if close[i] != 0.0 {
                (value / close[i]) * 100.0
            } else {
                0.0
            });
        }
    }
}

/// Rolling population variance by TA-Lib 0.8's cancellation-free scheme: sums
/// of deviations from a shift near the window, re-anchored on the window mean
/// every `32*period` bars, when the variance shrinks below 1e-6 of the mean
/// squared deviation, or when a large outlier leaves the window.
#[derive(Debug, Clone)]
pub struct ShiftedVariance {
    window: Ring,
    seen: usize,
    sums: VarSums,
}

/// The shifted sums behind [`ShiftedVariance`].
#[derive(Debug, Clone)]
struct VarSums {
    period: usize,
    inv_period: f64,
    shift: f64,
    total1: f64,
    total2: f64,
    until_reseed: i64,
}

impl VarSums {
    fn new(period: usize) -> Self {
        Self {
            period,
            inv_period: 1.0 / period as f64,
            shift: 0.0,
            total1: 0.0,
            total2: 0.0,
            until_reseed: 32 * period as i64,
        }
    }

    #[inline(always)]
    fn add(&mut self, v: f64) {
        let t = v - self.shift;
        self.total1 += t;
        self.total2 += t * t;
    }

    /// One full-window step: `window` holds the last `period` values, the
    /// newest last (it has not been added yet).
    #[inline(always)]
    fn step(&mut self, window: &[f64]) -> f64 {
        let inv = self.inv_period;
        self.add(window[window.len() - 1]);
        let mut mean = self.total1 * inv;
        let mut variance = self.total2 * inv - mean * mean;
        let mut t = window[0] - self.shift;
        self.total1 -= t;
        t *= t;
        self.total2 -= t;
        self.until_reseed -= 1;
        if variance < 0.000001 * (self.total2 * inv)
            || t > 1000000.0 * self.total2
            || self.until_reseed <= 0
        {
            self.until_reseed = 32 * self.period as i64;
            let mut sum = 0.0;
            for &v in window {
                sum += v;
            }
            self.shift = sum * inv;
            self.total1 = 0.0;
            self.total2 = 0.0;
            for &v in window {
                self.add(v);
            }
            mean = self.total1 * inv;
            variance = self.total2 * inv - mean * mean;
            if variance < 0.000000000001 * (self.total2 * inv) {
                variance = 0.0;
            }
            let mut t = window[0] - self.shift;
            self.total1 -= t;
            t *= t;
            self.total2 -= t;
        }
        variance
    }
}

impl ShiftedVariance {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            window: Ring::new(period),
            seen: 0,
            sums: VarSums::new(period),
        }
    }

    /// Window length.
    pub fn period(&self) -> usize {
        self.sums.period
    }

    /// Forgets every bar.
    pub fn clear(&mut self) {
        *self = Self::new(self.sums.period);
    }

    /// The current shift (a value near the window mean).
    pub fn shift(&self) -> f64 {
        self.sums.shift
    }

    /// Feeds one bar; the variance of the last `period` bars once full.
    #[inline(always)]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        self.window.push(x);
        let today = self.seen;
        self.seen += 1;
        if today == 0 {
            self.sums.shift = x;
        }
        if self.seen < self.sums.period {
            self.sums.add(x);
            return None;
        }
        Some(self.sums.step(self.window.as_slice()))
    }

    /// The batch form over a fresh state: `emit(i, variance)` for every
    /// `i >= period-1` of `x`, the same arithmetic as [`ShiftedVariance::push`].
    #[inline(always)]
    pub fn scan(&mut self, x: &[f64], mut emit: impl FnMut(usize, f64)) {
        let p = self.sums.period;
        if x.len() < p {
            return;
        }
        // A local copy keeps the sums in registers across the loop.
        let mut sums = self.sums.clone();
        sums.shift = x[0];
        for &v in &x[..p - 1] {
            sums.add(v);
        }
        for end in p..=x.len() {
            let variance = sums.step(&x[end - p..end]);
            emit(end - 1, variance);
        }
        self.sums = sums;
    }
}

/// Rolling population variance (TA-Lib VAR; its `nbdev` is ignored, as TA-Lib's).
#[derive(Debug, Clone)]
pub struct Var {
    var: ShiftedVariance,
}

impl Var {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        Self {
            var: ShiftedVariance::new(period),
        }
    }
}

impl Indicator for Var {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        self.var.period() - 1
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        self.var.push(x).unwrap_or(f64::NAN)
    }

    fn reset(&mut self) {
        self.var.clear();
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let (x, out) = (&inputs[0][start..], &mut outputs[0][start..]);
        out[..(self.var.period() - 1).min(x.len())].fill(NAN_SLOT);
        self.var.scan(x, |i, v| out[i] = Slot::new(v));
    }
}

/// Rolling population standard deviation times `nbdev` (TA-Lib STDDEV).
#[derive(Debug, Clone)]
pub struct StdDev {
    var: ShiftedVariance,
    nbdev: f64,
}

impl StdDev {
    /// Over `period` (>= 1) bars, scaled by `nbdev`.
    pub fn new(period: usize, nbdev: f64) -> Self {
        Self {
            var: ShiftedVariance::new(period),
            nbdev,
        }
    }
}

impl Indicator for StdDev {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        self.var.period() - 1
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        match self.var.push(x) {
            Some(v) if self.nbdev != 1.0 => v.sqrt() * self.nbdev,
            Some(v) => v.sqrt(),
            None => f64::NAN,
        }
    }

    fn reset(&mut self) {
        self.var.clear();
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let (x, out) = (&inputs[0][start..], &mut outputs[0][start..]);
        out[..(self.var.period() - 1).min(x.len())].fill(NAN_SLOT);
        let nbdev = self.nbdev;
        if nbdev != 1.0 {
            self.var
                .scan(x, |i, v| out[i] = Slot::new(v.sqrt() * nbdev));
        } else {
            self.var.scan(x, |i, v| out[i] = Slot::new(v.sqrt()));
        }
    }
}

/// Bollinger Bands: `[upperband, middleband, lowerband]`.
#[derive(Debug, Clone)]
pub struct BBands {
    middle: Ma,
    var: ShiftedVariance,
    /// Bars the deviation starts late (its window may not start at bar 0 when
    /// the average's warm-up is longer than the deviation's).
    var_delay: usize,
    sma_path: bool,
    up: f64,
    down: f64,
    lookback: usize,
    seen: usize,
}

impl BBands {
    /// Bands `nbdevup`/`nbdevdn` deviations around a `matype` average of `period`.
    pub fn new(period: usize, nbdevup: f64, nbdevdn: f64, matype: MaType) -> Self {
        let period = period.max(1);
        let sma_path = matype == MaType::Sma;
        let middle = if sma_path {
            Ma::Sma(Sma::new(period))
        } else {
            Ma::new(matype, period)
        };
        let ma_lookback = middle.lookback();
        let dev_lookback = period - 1;
        Self {
            middle,
            var: ShiftedVariance::new(period),
            var_delay: ma_lookback.saturating_sub(dev_lookback),
            sma_path,
            up: nbdevup,
            down: nbdevdn,
            lookback: ma_lookback.max(dev_lookback),
            seen: 0,
        }
    }
}

impl Indicator for BBands {
    type Input = f64;
    type Output = [f64; 3];

    fn lookback(&self) -> usize {
        self.lookback
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> [f64; 3] {
        let today = self.seen;
        self.seen += 1;
        let middle = self.middle.update(x);
        let variance = if today >= self.var_delay {
            self.var.push(x)
        } else {
            None
        };
        if today < self.lookback {
            return [f64::NAN; 3];
        }
        let Some(variance) = variance else {
            return [f64::NAN; 3];
        };
        let deviation = if self.sma_path && variance == 0.0 {
            0.0
        } else {
            variance.sqrt()
        };
        if self.up == self.down {
            let width = deviation * self.up;
            [middle + width, middle, middle - width]
        } else {
            [
                fma(deviation, self.up, middle),
                middle,
                middle - (deviation * self.down),
            ]
        }
    }

    fn reset(&mut self) {
        self.middle.reset();
        self.var.clear();
        self.seen = 0;
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let x = &inputs[0][start..];
        let n = x.len();
        let [upper, middle, lower] = outputs else {
            return;
        };
        let (upper, middle, lower) = (
            &mut upper[start..],
            &mut middle[start..],
            &mut lower[start..],
        );
        // The middle band into its output and the variance into the upper
        // band's first; then the bands of each bar from them, as `update`
        // combines them, in a loop free of the variance's serial sums.
        self.middle.run(&[x], &mut [&mut *middle], 0);
        let warm = self.lookback.min(n);
        let delay = self.var_delay.min(n);
        // Emits exactly the rows `lookback..n` (`delay + period - 1 == lookback`).
        self.var.scan(&x[delay..], |j, variance| {
            upper[delay + j] = Slot::new(variance)
        });
        for col in [&mut *upper, &mut *middle, &mut *lower] {
            col[..warm].fill(NAN_SLOT);
        }
        let (up, down, sma_path) = (self.up, self.down, self.sma_path);
        let rows = upper[warm..].iter_mut().zip(&middle[warm..]);
        for ((u, m), l) in rows.zip(lower[warm..].iter_mut()) {
            // SAFETY: `Ma::run` wrote every row of `middle` and the scan every
            // row of `upper` from `lookback` on; neither was overwritten since.
            let (variance, m) = unsafe { (u.assume_init(), m.assume_init()) };
            let deviation = if sma_path && variance == 0.0 {
                0.0
            } else {
                variance.sqrt()
            };
            if up == down {
                let width = deviation * up;
                *u = Slot::new(m + width);
                *l = Slot::new(m - width);
            } else {
                *u = Slot::new(fma(deviation, up, m));
                *l = Slot::new(m - (deviation * down));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::core::testing::{assert_batch_equals_stream, walk};
    use super::*;

    #[test]
    fn batch_equals_stream() {
        for nans in [false, true] {
            let c = walk(900, 41, nans);
            let h: Vec<f64> = c
                .iter()
                .enumerate()
                .map(|(i, v)| v + 0.3 + (i % 5) as f64 * 0.1)
                .collect();
            let l: Vec<f64> = c
                .iter()
                .enumerate()
                .map(|(i, v)| v - 0.3 - (i % 3) as f64 * 0.1)
                .collect();
            assert_batch_equals_stream(&TRange::default(), &[&h, &l, &c]);
            for p in [1, 2, 5, 14] {
                assert_batch_equals_stream(&Atr::new(p, false), &[&h, &l, &c]);
                assert_batch_equals_stream(&Atr::new(p, true), &[&h, &l, &c]);
                assert_batch_equals_stream(&Var::new(p), &[&c]);
                assert_batch_equals_stream(&StdDev::new(p, 1.5), &[&c]);
                for k in [MaType::Sma, MaType::Ema, MaType::Mama, MaType::T3] {
                    assert_batch_equals_stream(&BBands::new(p.max(2), 2.0, 2.0, k), &[&c]);
                    assert_batch_equals_stream(&BBands::new(p.max(2), 2.0, 1.5, k), &[&c]);
                }
            }
        }
    }

    #[test]
    fn short_columns_batch_equals_stream() {
        let c = walk(45, 42, false);
        for m in 0..c.len() {
            for k in [MaType::Sma, MaType::Mama, MaType::T3] {
                assert_batch_equals_stream(&BBands::new(5, 2.0, 1.5, k), &[&c[..m]]);
            }
            assert_batch_equals_stream(&Var::new(5), &[&c[..m]]);
        }
    }

    #[test]
    fn variance_of_a_constant_window_is_exactly_zero() {
        let mut v = Var::new(4);
        let out: Vec<f64> = (0..10).map(|_| v.update(101.25)).collect();
        assert!(out[3..].iter().all(|&x| x == 0.0));
    }
}

//! Moving averages: SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA, T3, MAMA, and the
//! [`Ma`] dispatcher behind TA-Lib's `matype` parameters.
//!
//! A period of 1 means "no smoothing" for every type: the output is the input
//! (TA-Lib 0.7+ convention).

use super::core::{Indicator, Slot, NAN_SLOT};
use super::fma;
use super::ring::Ring;

/// TA-Lib's moving-average types, numbered as its `matype` parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaType {
    /// Simple.
    Sma = 0,
    /// Exponential, seeded with the SMA of the first period.
    Ema = 1,
    /// Linearly weighted.
    Wma = 2,
    /// Double exponential (Mulloy).
    Dema = 3,
    /// Triple exponential (Mulloy).
    Tema = 4,
    /// Triangular.
    Trima = 5,
    /// Kaufman adaptive.
    Kama = 6,
    /// MESA adaptive (Ehlers); the period is ignored.
    Mama = 7,
    /// Tillson T3 with volume factor 0.7.
    T3 = 8,
}

impl MaType {
    /// The type numbered `code` (0..=8), if any.
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => Self::Sma,
            1 => Self::Ema,
            2 => Self::Wma,
            3 => Self::Dema,
            4 => Self::Tema,
            5 => Self::Trima,
            6 => Self::Kama,
            7 => Self::Mama,
            8 => Self::T3,
            _ => return None,
        })
    }

    /// Warm-up of this type at `period` (TA-Lib's `TA_MA_Lookback`).
    pub fn lookback(self, period: usize) -> usize {
        if period <= 1 {
            return 0;
        }
        let p = period - 1;
        match self {
            Self::Sma | Self::Ema | Self::Wma | Self::Trima => p,
            Self::Dema => 2 * p,
            Self::Tema => 3 * p,
            Self::Kama => period,
            Self::Mama => MAMA_LOOKBACK,
            Self::T3 => 6 * p,
        }
    }
}

// ---------------------------------------------------------------- SMA

/// Simple moving average over `period` bars.
#[derive(Debug, Clone)]
pub struct Sma {
    period: usize,
    total: f64,
    window: Ring,
    seen: usize,
}

impl Sma {
    /// An SMA over `period` (>= 1) bars.
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

impl Indicator for Sma {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        self.period - 1
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        if self.period == 1 {
            return x;
        }
        self.window.push(x);
        self.seen += 1;
        self.total += x;
        if self.seen < self.period {
            return f64::NAN;
        }
        let sum = self.total;
        self.total -= self.window.get(0);
        sum / self.period as f64
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
        if p == 1 {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = Slot::new(v);
            }
            return;
        }
        if x.len() < p {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = Slot::new(self.update(v));
            }
            return;
        }
        out[..p - 1].fill(NAN_SLOT);
        // Same running total as `update`: add the new bar, keep the sum, drop
        // the bar leaving the window, divide the kept sum.
        let mut total = 0.0;
        for &v in &x[..p - 1] {
            total += v;
        }
        let div = p as f64;
        for ((o, &v), &old) in out[p - 1..].iter_mut().zip(&x[p - 1..]).zip(x) {
            total += v;
            let sum = total;
            total -= old;
            *o = Slot::new(sum / div);
        }
        // Leave the state as `update` would have, so streaming can continue.
        self.total = total;
        self.seen = x.len();
        for &v in &x[x.len() - p..] {
            self.window.push(v);
        }
    }
}

// ---------------------------------------------------------------- EMA

/// Exponential moving average, `k = 2/(period+1)`, seeded with the SMA of the
/// first `period` bars (TA-Lib's default "classic" seed).
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    k: f64,
    seen: usize,
    value: f64,
}

impl Ema {
    /// An EMA over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            period,
            k: 2.0 / (period + 1) as f64,
            seen: 0,
            value: 0.0,
        }
    }
}

impl Ema {
    /// The smoothing factor `2/(period+1)`.
    pub fn k(&self) -> f64 {
        self.k
    }

    /// The current average (meaningful once seeded).
    pub fn value(&self) -> f64 {
        self.value
    }
}

impl Indicator for Ema {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        self.period - 1
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        if self.period == 1 {
            return x;
        }
        if self.seen < self.period {
            // `value` holds the running seed sum until the seed is complete.
            self.value += x;
            self.seen += 1;
            if self.seen < self.period {
                return f64::NAN;
            }
            self.value /= self.period as f64;
            return self.value;
        }
        self.value = fma(x - self.value, self.k, self.value);
        self.value
    }

    fn reset(&mut self) {
        self.seen = 0;
        self.value = 0.0;
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let x = &inputs[0][start..];
        let out = &mut outputs[0][start..];
        let p = self.period;
        if p == 1 || x.len() < p {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = Slot::new(self.update(v));
            }
            return;
        }
        let mut sum = 0.0;
        for &v in &x[..p] {
            sum += v;
        }
        let k = self.k;
        let mut prev = sum / p as f64;
        out[..p - 1].fill(NAN_SLOT);
        out[p - 1] = Slot::new(prev);
        for (o, &v) in out[p..].iter_mut().zip(&x[p..]) {
            prev = fma(v - prev, k, prev);
            *o = Slot::new(prev);
        }
        self.seen = p;
        self.value = prev;
    }
}

// ---------------------------------------------------------------- WMA

/// Linearly weighted moving average (weights 1..period, newest heaviest).
///
/// Like TA-Lib 0.8 the running sums are rebuilt from the window every
/// `8*period` bars so rounding residue cannot accumulate.
#[derive(Debug, Clone)]
pub struct Wma {
    period: usize,
    divider: f64,
    window: Ring,
    seen: usize,
    sub: f64,
    sum: f64,
    trailing: f64,
    until_reseed: i64,
}

impl Wma {
    /// A WMA over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            period,
            divider: (period as f64) * ((period + 1) as f64) / 2.0,
            window: Ring::new(period),
            seen: 0,
            sub: 0.0,
            sum: 0.0,
            trailing: 0.0,
            until_reseed: 8 * period as i64,
        }
    }
}

impl Indicator for Wma {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        self.period - 1
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        let p = self.period;
        if p == 1 {
            return x;
        }
        self.window.push(x);
        self.seen += 1;
        if self.seen < p {
            self.sub += x;
            self.sum += x * self.seen as f64;
            return f64::NAN;
        }
        self.sub += x;
        self.sub -= self.trailing;
        self.sum += x * p as f64;
        self.until_reseed -= 1;
        if self.until_reseed <= 0 {
            self.until_reseed = 8 * p as i64;
            self.sub = 0.0;
            self.sum = 0.0;
            for (w, v) in self.window.iter().enumerate() {
                self.sub += v;
                self.sum += v * (w + 1) as f64;
            }
        }
        self.trailing = self.window.get(0);
        let out = self.sum / self.divider;
        self.sum -= self.sub;
        out
    }

    fn reset(&mut self) {
        self.window.clear();
        self.seen = 0;
        self.sub = 0.0;
        self.sum = 0.0;
        self.trailing = 0.0;
        self.until_reseed = 8 * self.period as i64;
    }

    /// Warm-up through `update`, then its steady-state arithmetic over slices
    /// (the bar leaving the window read from the input).
    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let n = inputs[0].len();
        let p = self.period;
        let from = self.run_rows(inputs, outputs, start, (start + p).min(n));
        if p == 1 || from >= n {
            if from < n {
                self.run_rows(inputs, outputs, from, n);
            }
            return;
        }
        let (x, out) = (&inputs[0][start..n], &mut outputs[0][start..n]);
        let first = from - start;
        let (pf, divider, reseed) = (p as f64, self.divider, 8 * p as i64);
        let (mut sub, mut sum, mut until) = (self.sub, self.sum, self.until_reseed);
        let rows = out[first..]
            .iter_mut()
            .zip(&x[first..])
            .zip(&x[first - p..]);
        for (i, ((o, &v), &trailing)) in (first..).zip(rows) {
            sub += v;
            sub -= trailing;
            sum += v * pf;
            until -= 1;
            if until <= 0 {
                until = reseed;
                sub = 0.0;
                sum = 0.0;
                for (w, &u) in x[i + 1 - p..=i].iter().enumerate() {
                    sub += u;
                    sum += u * (w + 1) as f64;
                }
            }
            *o = Slot::new(sum / divider);
            sum -= sub;
        }
        (self.sub, self.sum, self.until_reseed) = (sub, sum, until);
        self.trailing = x[x.len() - p];
    }
}

// ---------------------------------------------------------------- DEMA / TEMA

/// Double exponential moving average: `2*EMA - EMA(EMA)`.
#[derive(Debug, Clone)]
pub struct Dema {
    period: usize,
    e1: Ema,
    e2: Ema,
    seen: usize,
}

impl Dema {
    /// A DEMA over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            period,
            e1: Ema::new(period),
            e2: Ema::new(period),
            seen: 0,
        }
    }
}

impl Indicator for Dema {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        2 * (self.period - 1)
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        if self.period == 1 {
            return x;
        }
        let lb = self.period - 1;
        self.seen += 1;
        let a = self.e1.update(x);
        if self.seen <= lb {
            return f64::NAN;
        }
        let b = self.e2.update(a);
        if self.seen <= 2 * lb {
            return f64::NAN;
        }
        (2.0 * a) - b
    }

    fn reset(&mut self) {
        self.e1.reset();
        self.e2.reset();
        self.seen = 0;
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let n = inputs[0].len();
        let from = self.run_rows(inputs, outputs, start, (start + self.lookback() + 1).min(n));
        if self.period == 1 || from >= n {
            self.run_rows(inputs, outputs, from, n);
            return;
        }
        let (x, out) = (&inputs[0][from..n], &mut outputs[0][from..n]);
        let k = self.e1.k;
        let (mut a, mut b) = (self.e1.value, self.e2.value);
        for (o, &v) in out.iter_mut().zip(x) {
            a = fma(v - a, k, a);
            b = fma(a - b, k, b);
            *o = Slot::new((2.0 * a) - b);
        }
    }
}

/// Triple exponential moving average: `3*EMA - 3*EMA2 + EMA3`.
#[derive(Debug, Clone)]
pub struct Tema {
    period: usize,
    e1: Ema,
    e2: Ema,
    e3: Ema,
    seen: usize,
}

impl Tema {
    /// A TEMA over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            period,
            e1: Ema::new(period),
            e2: Ema::new(period),
            e3: Ema::new(period),
            seen: 0,
        }
    }
}

impl Indicator for Tema {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        3 * (self.period - 1)
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        if self.period == 1 {
            return x;
        }
        let lb = self.period - 1;
        self.seen += 1;
        let a = self.e1.update(x);
        if self.seen <= lb {
            return f64::NAN;
        }
        let b = self.e2.update(a);
        if self.seen <= 2 * lb {
            return f64::NAN;
        }
        let c = self.e3.update(b);
        if self.seen <= 3 * lb {
            return f64::NAN;
        }
        c + ((3.0 * a) - (3.0 * b))
    }

    fn reset(&mut self) {
        self.e1.reset();
        self.e2.reset();
        self.e3.reset();
        self.seen = 0;
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let n = inputs[0].len();
        let from = self.run_rows(inputs, outputs, start, (start + self.lookback() + 1).min(n));
        if self.period == 1 || from >= n {
            self.run_rows(inputs, outputs, from, n);
            return;
        }
        let (x, out) = (&inputs[0][from..n], &mut outputs[0][from..n]);
        let k = self.e1.k;
        let (mut a, mut b, mut c) = (self.e1.value, self.e2.value, self.e3.value);
        for (o, &v) in out.iter_mut().zip(x) {
            a = fma(v - a, k, a);
            b = fma(a - b, k, b);
            c = fma(b - c, k, c);
            *o = Slot::new(c + ((3.0 * a) - (3.0 * b)));
        }
    }
}

// ---------------------------------------------------------------- TRIMA

/// Triangular moving average (an SMA of an SMA), by TA-Lib's running
/// numerator: weights 1,2,..,k,..,2,1 over `period` bars.
#[derive(Debug, Clone)]
pub struct Trima {
    period: usize,
    half: usize,
    factor: f64,
    window: Ring,
    seen: usize,
    numerator: f64,
    sub: f64,
    add: f64,
    /// The value TA-Lib carries in `tempReal` between bars (the bar that left).
    carried: f64,
}

impl Trima {
    /// A TRIMA over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        let half = period >> 1;
        let factor = if period % 2 == 1 {
            1.0 / ((half + 1) as f64 * (half + 1) as f64)
        } else {
            1.0 / (half as f64 * (half + 1) as f64)
        };
        Self {
            period,
            half,
            factor,
            window: Ring::new(period),
            seen: 0,
            numerator: 0.0,
            sub: 0.0,
            add: 0.0,
            carried: 0.0,
        }
    }
}

impl Indicator for Trima {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        self.period - 1
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        let p = self.period;
        if p == 1 {
            return x;
        }
        self.window.push(x);
        self.seen += 1;
        if self.seen < p {
            return f64::NAN;
        }
        let odd = p % 2 == 1;
        let i = self.half;
        if self.seen == p {
            let middle = if odd { i } else { i - 1 };
            for k in (0..=middle).rev() {
                self.sub += self.window.get(k);
                self.numerator += self.sub;
            }
            for k in middle + 1..p {
                self.add += self.window.get(k);
                self.numerator += self.add;
            }
        } else {
            let mid = self.window.get(p - 1 - i);
            self.numerator -= self.sub;
            self.sub -= self.carried;
            self.sub += mid;
            if odd {
                self.numerator += self.add;
                self.add -= mid;
            } else {
                self.add -= mid;
                self.numerator += self.add;
            }
            self.add += x;
            self.numerator += x;
        }
        self.carried = self.window.get(0);
        self.numerator * self.factor
    }

    fn reset(&mut self) {
        self.window.clear();
        self.seen = 0;
        self.numerator = 0.0;
        self.sub = 0.0;
        self.add = 0.0;
        self.carried = 0.0;
    }
}

// ---------------------------------------------------------------- KAMA

/// Kaufman adaptive moving average (fast 2, slow 30, efficiency over `period`).
#[derive(Debug, Clone)]
pub struct Kama {
    period: usize,
    window: Ring,
    seen: usize,
    sum_roc1: f64,
    /// Consecutive 1-bar changes of exactly zero: a whole window of them means
    /// the change sum is exactly zero, whatever residue the running sum holds.
    null_run: usize,
    value: f64,
    trailing: f64,
}

const KAMA_CONST_MAX: f64 = 2.0 / (30.0 + 1.0);

impl Kama {
    /// A KAMA over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            period,
            window: Ring::new(period + 1),
            seen: 0,
            sum_roc1: 0.0,
            null_run: 0,
            value: 0.0,
            trailing: 0.0,
        }
    }

    #[inline(always)]
    fn count_flat(&mut self, change: f64) {
        self.null_run = if change == 0.0 { self.null_run + 1 } else { 0 };
    }

    #[inline(always)]
    fn smooth(&mut self, x: f64, period_roc: f64) -> f64 {
        let const_diff = 2.0 / (2.0 + 1.0) - KAMA_CONST_MAX;
        // Efficiency is capped at 1: a change sum at or below the net change
        // (rounding residue can leave it a hair below) counts as fully efficient.
        let er = if self.sum_roc1 <= period_roc.abs() {
            1.0
        } else {
            (period_roc / self.sum_roc1).abs()
        };
        let mut sc = fma(er, const_diff, KAMA_CONST_MAX);
        sc *= sc;
        self.value = fma(x - self.value, sc, self.value);
        self.value
    }
}

impl Indicator for Kama {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        if self.period == 1 {
            0
        } else {
            self.period
        }
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        let p = self.period;
        if p == 1 {
            return x;
        }
        let prev = if self.seen > 0 {
            self.window.back(0)
        } else {
            0.0
        };
        self.window.push(x);
        self.seen += 1;
        if self.seen >= 2 && self.seen <= p + 1 {
            let change = prev - x;
            self.sum_roc1 += change.abs();
            self.count_flat(change);
        }
        if self.seen <= p {
            return f64::NAN;
        }
        let oldest = self.window.get(0);
        let period_roc = x - oldest;
        if self.seen == p + 1 {
            self.value = prev;
        } else {
            let change = x - prev;
            self.sum_roc1 -= (self.trailing - oldest).abs();
            self.sum_roc1 += change.abs();
            self.count_flat(change);
            if self.null_run >= p {
                self.null_run = p;
                self.sum_roc1 = 0.0;
            }
        }
        self.trailing = oldest;
        self.smooth(x, period_roc)
    }

    fn reset(&mut self) {
        self.window.clear();
        self.seen = 0;
        self.sum_roc1 = 0.0;
        self.null_run = 0;
        self.value = 0.0;
        self.trailing = 0.0;
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let n = inputs[0].len();
        let p = self.period;
        let from = self.run_rows(inputs, outputs, start, (start + p + 1).min(n));
        if p == 1 || from >= n {
            self.run_rows(inputs, outputs, from, n);
            return;
        }
        let x = &inputs[0][..n];
        let out = &mut outputs[0][..n];
        let const_diff = 2.0 / (2.0 + 1.0) - KAMA_CONST_MAX;
        let (mut sum, mut nulls, mut value, mut trailing) =
            (self.sum_roc1, self.null_run, self.value, self.trailing);
        for i in from..n {
            let v = x[i];
            let oldest = x[i - p];
            let period_roc = v - oldest;
            let change = v - x[i - 1];
            sum -= (trailing - oldest).abs();
            sum += change.abs();
            nulls = if change == 0.0 { nulls + 1 } else { 0 };
            if nulls >= p {
                nulls = p;
                sum = 0.0;
            }
            trailing = oldest;
            let er = if sum <= period_roc.abs() {
                1.0
            } else {
                (period_roc / sum).abs()
            };
            let mut sc = fma(er, const_diff, KAMA_CONST_MAX);
            sc *= sc;
            value = fma(v - value, sc, value);
            out[i] = Slot::new(value);
        }
    }
}

// ---------------------------------------------------------------- T3

/// One of T3's six EMA stages: seeded with the mean of its first `period`
/// inputs (summed from the first input, as TA-Lib does), then
/// `(1-k)*prev + k*x` fused on the previous value.
#[derive(Debug, Clone, Copy)]
struct T3Stage {
    seen: usize,
    value: f64,
}

/// Tillson's T3: six chained EMAs combined with the volume factor `vfactor`.
#[derive(Debug, Clone)]
pub struct T3 {
    period: usize,
    k: f64,
    one_minus_k: f64,
    c: [f64; 4],
    stages: [T3Stage; 6],
}

impl T3 {
    /// A T3 over `period` (>= 1) bars with volume factor `vfactor`.
    pub fn new(period: usize, vfactor: f64) -> Self {
        let period = period.max(1);
        let k = 2.0 / (period as f64 + 1.0);
        let v = vfactor;
        let sq = v * v;
        let c1 = -(sq * v);
        let c2 = 3.0 * (sq - c1);
        let c3 = -6.0 * sq - 3.0 * (v - c1);
        let c4 = fma(3.0, sq, fma(3.0, v, 1.0) - c1);
        Self {
            period,
            k,
            one_minus_k: 1.0 - k,
            c: [c1, c2, c3, c4],
            stages: [T3Stage {
                seen: 0,
                value: 0.0,
            }; 6],
        }
    }
}

impl Indicator for T3 {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        6 * (self.period - 1)
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        let p = self.period;
        if p == 1 {
            return x;
        }
        let mut input = x;
        for stage in self.stages.iter_mut() {
            if stage.seen < p {
                stage.value = if stage.seen == 0 {
                    input
                } else {
                    stage.value + input
                };
                stage.seen += 1;
                if stage.seen < p {
                    return f64::NAN;
                }
                stage.value /= p as f64;
            } else {
                stage.value = fma(self.one_minus_k, stage.value, self.k * input);
            }
            input = stage.value;
        }
        let e = &self.stages;
        let [c1, c2, c3, c4] = self.c;
        fma(
            c4,
            e[2].value,
            fma(c3, e[3].value, fma(c1, e[5].value, c2 * e[4].value)),
        )
    }

    fn reset(&mut self) {
        self.stages = [T3Stage {
            seen: 0,
            value: 0.0,
        }; 6];
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let n = inputs[0].len();
        let from = self.run_rows(inputs, outputs, start, (start + self.lookback() + 1).min(n));
        if self.period == 1 || from >= n {
            self.run_rows(inputs, outputs, from, n);
            return;
        }
        let (x, out) = (&inputs[0][from..n], &mut outputs[0][from..n]);
        let (k, km) = (self.k, self.one_minus_k);
        let [c1, c2, c3, c4] = self.c;
        let mut e = self.stages.map(|s| s.value);
        for (o, &v) in out.iter_mut().zip(x) {
            e[0] = fma(km, e[0], k * v);
            e[1] = fma(km, e[1], k * e[0]);
            e[2] = fma(km, e[2], k * e[1]);
            e[3] = fma(km, e[3], k * e[2]);
            e[4] = fma(km, e[4], k * e[3]);
            e[5] = fma(km, e[5], k * e[4]);
            *o = Slot::new(fma(c4, e[2], fma(c3, e[3], fma(c1, e[5], c2 * e[4]))));
        }
    }
}

// ---------------------------------------------------------------- MAMA

/// MAMA's fixed warm-up (12 bars of price smoothing plus the Hilbert stages).
pub const MAMA_LOOKBACK: usize = 32;

/// One Hilbert transformer of MAMA (Ehlers), odd and even bars kept apart.
#[derive(Debug, Clone, Copy, Default)]
struct Hilbert {
    odd: [f64; 3],
    even: [f64; 3],
    prev_odd: f64,
    prev_even: f64,
    prev_input_odd: f64,
    prev_input_even: f64,
}

const HILBERT_A: f64 = 0.0962;
const HILBERT_B: f64 = 0.5769;

impl Hilbert {
    #[inline(always)]
    fn step(&mut self, input: f64, even: bool, idx: usize, adjusted: f64) -> f64 {
        let temp = HILBERT_A * input;
        let (buf, prev, prev_input) = if even {
            (
                &mut self.even,
                &mut self.prev_even,
                &mut self.prev_input_even,
            )
        } else {
            (&mut self.odd, &mut self.prev_odd, &mut self.prev_input_odd)
        };
        let mut out = -buf[idx];
        buf[idx] = temp;
        out += temp;
        out -= *prev;
        *prev = HILBERT_B * *prev_input;
        out += *prev;
        *prev_input = input;
        out * adjusted
    }
}

/// MESA adaptive moving average (Ehlers): outputs `[mama, fama]`.
#[derive(Debug, Clone)]
pub struct Mama {
    fast_limit: f64,
    slow_limit: f64,
    /// Parity of the first bar fed (TA-Lib alternates odd and even transforms by
    /// absolute bar index).
    offset: usize,
    seen: usize,
    price: Ring,
    wma_sub: f64,
    wma_sum: f64,
    wma_trailing: f64,
    hilbert_idx: usize,
    detrender: Hilbert,
    q1: Hilbert,
    ji: Hilbert,
    jq: Hilbert,
    period: f64,
    prev_q2: f64,
    prev_i2: f64,
    re: f64,
    im: f64,
    mama: f64,
    fama: f64,
    i1_odd_prev2: f64,
    i1_odd_prev3: f64,
    i1_even_prev2: f64,
    i1_even_prev3: f64,
    prev_phase: f64,
}

impl Mama {
    /// A MAMA with TA-Lib's alpha limits.
    pub fn new(fast_limit: f64, slow_limit: f64) -> Self {
        Self::with_offset(fast_limit, slow_limit, 0)
    }

    /// A MAMA whose first bar sits at absolute index `offset` of its series.
    pub fn with_offset(fast_limit: f64, slow_limit: f64, offset: usize) -> Self {
        Self {
            fast_limit,
            slow_limit,
            offset,
            seen: 0,
            price: Ring::new(4),
            wma_sub: 0.0,
            wma_sum: 0.0,
            wma_trailing: 0.0,
            hilbert_idx: 0,
            detrender: Hilbert::default(),
            q1: Hilbert::default(),
            ji: Hilbert::default(),
            jq: Hilbert::default(),
            period: 0.0,
            prev_q2: 0.0,
            prev_i2: 0.0,
            re: 0.0,
            im: 0.0,
            mama: 0.0,
            fama: 0.0,
            i1_odd_prev2: 0.0,
            i1_odd_prev3: 0.0,
            i1_even_prev2: 0.0,
            i1_even_prev3: 0.0,
            prev_phase: 0.0,
        }
    }

    /// The 4-bar weighted price smoother; returns the smoothed price.
    #[inline(always)]
    fn smooth(&mut self, x: f64) -> f64 {
        self.wma_sub += x;
        self.wma_sub -= self.wma_trailing;
        self.wma_sum += x * 4.0;
        self.wma_trailing = self.price.get(0);
        let smoothed = self.wma_sum * 0.1;
        self.wma_sum -= self.wma_sub;
        smoothed
    }
}

impl Indicator for Mama {
    type Input = f64;
    type Output = [f64; 2];

    fn lookback(&self) -> usize {
        MAMA_LOOKBACK
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> [f64; 2] {
        let rad2deg = 180.0 / (4.0 * 1.0_f64.atan());
        self.price.push(x);
        let today = self.seen;
        self.seen += 1;
        if today < 3 {
            let w = (today + 1) as f64;
            self.wma_sub += x;
            if today == 0 {
                self.wma_sum = x;
            } else {
                self.wma_sum += x * w;
            }
            return [f64::NAN; 2];
        }
        if today < 12 {
            self.smooth(x);
            return [f64::NAN; 2];
        }
        let adjusted = fma(0.075, self.period, 0.54);
        let smoothed = self.smooth(x);
        let even = (self.offset + today) % 2 == 0;
        let idx = self.hilbert_idx;
        let detrender = self.detrender.step(smoothed, even, idx, adjusted);
        let q1 = self.q1.step(detrender, even, idx, adjusted);
        let i1_prev3 = if even {
            self.i1_even_prev3
        } else {
            self.i1_odd_prev3
        };
        let ji = self.ji.step(i1_prev3, even, idx, adjusted);
        let jq = self.jq.step(q1, even, idx, adjusted);
        if even {
            self.hilbert_idx += 1;
            if self.hilbert_idx == 3 {
                self.hilbert_idx = 0;
            }
        }
        let q2 = fma(0.2, q1 + ji, 0.8 * self.prev_q2);
        let i2 = fma(0.2, i1_prev3 - jq, 0.8 * self.prev_i2);
        if even {
            self.i1_odd_prev3 = self.i1_odd_prev2;
            self.i1_odd_prev2 = detrender;
        } else {
            self.i1_even_prev3 = self.i1_even_prev2;
            self.i1_even_prev2 = detrender;
        }
        let phase = if i1_prev3 != 0.0 {
            (q1 / i1_prev3).atan() * rad2deg
        } else {
            0.0
        };
        let mut delta = self.prev_phase - phase;
        self.prev_phase = phase;
        if delta < 1.0 {
            delta = 1.0;
        }
        let mut alpha = if delta > 1.0 {
            let a = self.fast_limit / delta;
            if a < self.slow_limit {
                self.slow_limit
            } else {
                a
            }
        } else {
            self.fast_limit
        };
        self.mama = fma(1.0 - alpha, self.mama, alpha * x);
        alpha *= 0.5;
        self.fama = fma(1.0 - alpha, self.fama, alpha * self.mama);
        let out = if today >= MAMA_LOOKBACK {
            [self.mama, self.fama]
        } else {
            [f64::NAN; 2]
        };
        self.re = fma(0.8, self.re, 0.2 * fma(i2, self.prev_i2, q2 * self.prev_q2));
        self.im = fma(0.8, self.im, 0.2 * (i2 * self.prev_q2 - q2 * self.prev_i2));
        self.prev_q2 = q2;
        self.prev_i2 = i2;
        let prev_period = self.period;
        if self.im != 0.0 && self.re != 0.0 {
            self.period = 360.0 / ((self.im / self.re).atan() * rad2deg);
        }
        let hi = 1.5 * prev_period;
        if self.period > hi {
            self.period = hi;
        }
        let lo = 0.67 * prev_period;
        if self.period < lo {
            self.period = lo;
        }
        self.period = self.period.clamp(6.0, 50.0);
        self.period = fma(0.2, self.period, 0.8 * prev_period);
        out
    }

    fn reset(&mut self) {
        *self = Self::with_offset(self.fast_limit, self.slow_limit, self.offset);
    }
}

// ---------------------------------------------------------------- dispatcher

/// A moving average of any [`MaType`], as TA-Lib's `TA_MA` computes it.
// Built once per series and never moved in a hot loop, so the size spread of
// the variants costs nothing worth an indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Ma {
    /// Period 1: the input unchanged.
    Identity,
    /// [`Sma`].
    Sma(Sma),
    /// [`Ema`].
    Ema(Ema),
    /// [`Wma`].
    Wma(Wma),
    /// [`Dema`].
    Dema(Dema),
    /// [`Tema`].
    Tema(Tema),
    /// [`Trima`].
    Trima(Trima),
    /// [`Kama`].
    Kama(Kama),
    /// [`Mama`] (its MAMA line, limits 0.5/0.05).
    Mama(Mama),
    /// [`T3`] with volume factor 0.7.
    T3(T3),
}

impl Ma {
    /// A moving average of `kind` over `period` bars.
    pub fn new(kind: MaType, period: usize) -> Self {
        Self::with_offset(kind, period, 0)
    }

    /// As [`Ma::new`], for a series whose first bar sits at absolute index
    /// `offset` (only MAMA depends on it).
    pub fn with_offset(kind: MaType, period: usize, offset: usize) -> Self {
        if period <= 1 {
            return Self::Identity;
        }
        match kind {
            MaType::Sma => Self::Sma(Sma::new(period)),
            MaType::Ema => Self::Ema(Ema::new(period)),
            MaType::Wma => Self::Wma(Wma::new(period)),
            MaType::Dema => Self::Dema(Dema::new(period)),
            MaType::Tema => Self::Tema(Tema::new(period)),
            MaType::Trima => Self::Trima(Trima::new(period)),
            MaType::Kama => Self::Kama(Kama::new(period)),
            MaType::Mama => Self::Mama(Mama::with_offset(0.5, 0.05, offset)),
            MaType::T3 => Self::T3(T3::new(period, 0.7)),
        }
    }
}

impl Indicator for Ma {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        match self {
            Self::Identity => 0,
            Self::Sma(m) => m.lookback(),
            Self::Ema(m) => m.lookback(),
            Self::Wma(m) => m.lookback(),
            Self::Dema(m) => m.lookback(),
            Self::Tema(m) => m.lookback(),
            Self::Trima(m) => m.lookback(),
            Self::Kama(m) => m.lookback(),
            Self::Mama(m) => m.lookback(),
            Self::T3(m) => m.lookback(),
        }
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        match self {
            Self::Identity => x,
            Self::Sma(m) => m.update(x),
            Self::Ema(m) => m.update(x),
            Self::Wma(m) => m.update(x),
            Self::Dema(m) => m.update(x),
            Self::Tema(m) => m.update(x),
            Self::Trima(m) => m.update(x),
            Self::Kama(m) => m.update(x),
            Self::Mama(m) => m.update(x)[0],
            Self::T3(m) => m.update(x),
        }
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        match self {
            Self::Identity => {
                let (x, out) = (&inputs[0][start..], &mut outputs[0][start..]);
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = Slot::new(v);
                }
            }
            Self::Sma(m) => m.run(inputs, outputs, start),
            Self::Ema(m) => m.run(inputs, outputs, start),
            Self::Wma(m) => m.run(inputs, outputs, start),
            Self::Dema(m) => m.run(inputs, outputs, start),
            Self::Tema(m) => m.run(inputs, outputs, start),
            Self::Trima(m) => m.run(inputs, outputs, start),
            Self::Kama(m) => m.run(inputs, outputs, start),
            Self::Mama(m) => {
                // MAMA's first output only.
                let n = inputs[0].len();
                let x = &inputs[0][..n];
                let out = &mut outputs[0][..n];
                for i in start..n {
                    out[i] = Slot::new(m.update(x[i])[0]);
                }
            }
            Self::T3(m) => m.run(inputs, outputs, start),
        }
    }

    fn reset(&mut self) {
        match self {
            Self::Identity => {}
            Self::Sma(m) => m.reset(),
            Self::Ema(m) => m.reset(),
            Self::Wma(m) => m.reset(),
            Self::Dema(m) => m.reset(),
            Self::Tema(m) => m.reset(),
            Self::Trima(m) => m.reset(),
            Self::Kama(m) => m.reset(),
            Self::Mama(m) => m.reset(),
            Self::T3(m) => m.reset(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::core::testing::{assert_batch_equals_stream, walk};
    use super::*;

    #[test]
    fn batch_equals_stream_for_every_average() {
        for nans in [false, true] {
            let x = walk(700, 3, nans);
            let cols: [&[f64]; 1] = [&x];
            for p in [1, 2, 3, 4, 5, 14, 30] {
                assert_batch_equals_stream(&Sma::new(p), &cols);
                assert_batch_equals_stream(&Ema::new(p), &cols);
                assert_batch_equals_stream(&Wma::new(p), &cols);
                assert_batch_equals_stream(&Dema::new(p), &cols);
                assert_batch_equals_stream(&Tema::new(p), &cols);
                assert_batch_equals_stream(&Trima::new(p), &cols);
                assert_batch_equals_stream(&Kama::new(p), &cols);
                assert_batch_equals_stream(&T3::new(p, 0.7), &cols);
            }
            assert_batch_equals_stream(&Mama::new(0.5, 0.05), &cols);
            for m in 0..10 {
                assert_batch_equals_stream(&Wma::new(4), &[&x[..m]]);
            }
        }
    }

    #[test]
    fn sma_of_a_ramp_is_its_midpoint() {
        let mut sma = Sma::new(3);
        let out: Vec<f64> = [1.0, 2.0, 3.0, 4.0]
            .iter()
            .map(|&v| sma.update(v))
            .collect();
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(&out[2..], &[2.0, 3.0]);
    }

    #[test]
    fn ema_is_seeded_with_the_sma_of_the_first_period() {
        let mut ema = Ema::new(3);
        let out: Vec<f64> = [1.0, 2.0, 3.0, 7.0]
            .iter()
            .map(|&v| ema.update(v))
            .collect();
        assert_eq!(out[2], 2.0);
        assert_eq!(out[3], 2.0 + (7.0 - 2.0) * 0.5);
    }
}

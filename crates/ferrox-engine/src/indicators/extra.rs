//! Indicators beyond TA-Lib: session VWAP, Keltner and Donchian channels,
//! rolling z-score, rolling quantile and exponentially weighted variance.

use super::core::{Indicator, Slot, NAN_SLOT};
use super::ma::Ema;
use super::ring::Ring;
use super::volatility::{Atr, ShiftedVariance};
use super::window::{scan_blocks, HighLow};

/// Volume-weighted average price of the typical price `(h+l+c)/3`, anchored to
/// a session: the sums restart whenever the `session` key changes (a UTC day
/// number, a session id, ...). NaN while the session has no volume yet.
#[derive(Debug, Clone, Default)]
pub struct Vwap {
    session: Option<f64>,
    price_volume: f64,
    volume: f64,
}

impl Indicator for Vwap {
    type Input = [f64; 5];
    type Output = f64;

    fn lookback(&self) -> usize {
        0
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close, volume, session]: [f64; 5]) -> f64 {
        if self.session != Some(session) {
            self.session = Some(session);
            self.price_volume = 0.0;
            self.volume = 0.0;
        }
        let typical = (high + low + close) / 3.0;
        self.price_volume += typical * volume;
        self.volume += volume;
        if self.volume == 0.0 {
            f64::NAN
        } else {
            self.price_volume / self.volume
        }
    }

    fn reset(&mut self) {
        *self = Self::default();
    }
}

/// Keltner channels: `[upper, middle, lower]` = EMA(close, period) ± multiplier ×
/// ATR(atr_period) (the Raschke form).
#[derive(Debug, Clone)]
pub struct Keltner {
    middle: Ema,
    atr: Atr,
    multiplier: f64,
    lookback: usize,
    seen: usize,
}

impl Keltner {
    /// EMA over `period`, ATR over `atr_period`, bands `multiplier` ATRs wide.
    pub fn new(period: usize, atr_period: usize, multiplier: f64) -> Self {
        let middle = Ema::new(period);
        let atr = Atr::new(atr_period, false);
        Self {
            lookback: middle.lookback().max(atr.lookback()),
            middle,
            atr,
            multiplier,
            seen: 0,
        }
    }
}

impl Indicator for Keltner {
    type Input = [f64; 3];
    type Output = [f64; 3];

    fn lookback(&self) -> usize {
        self.lookback
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close]: [f64; 3]) -> [f64; 3] {
        let today = self.seen;
        self.seen += 1;
        let middle = self.middle.update(close);
        let atr = self.atr.update([high, low, close]);
        if today < self.lookback {
            return [f64::NAN; 3];
        }
        let width = self.multiplier * atr;
        [middle + width, middle, middle - width]
    }

    fn reset(&mut self) {
        self.middle.reset();
        self.atr.reset();
        self.seen = 0;
    }
}

/// Donchian channels: `[upper, middle, lower]` = highest high, midpoint and
/// lowest low of the last `period` bars.
#[derive(Debug, Clone)]
pub struct Donchian {
    scan: HighLow,
}

impl Donchian {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        Self {
            scan: HighLow::new(period),
        }
    }
}

impl Indicator for Donchian {
    type Input = [f64; 2];
    type Output = [f64; 3];

    fn lookback(&self) -> usize {
        self.scan.period() - 1
    }

    #[inline(always)]
    fn update(&mut self, [high, low]: [f64; 2]) -> [f64; 3] {
        match self.scan.push(high, low) {
            Some((upper, lower)) => [upper, (upper + lower) / 2.0, lower],
            None => [f64::NAN; 3],
        }
    }

    fn reset(&mut self) {
        self.scan.clear();
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let (high, low) = (&inputs[0][start..], &inputs[1][start..]);
        let p = self.scan.period();
        let warm = (p - 1).min(high.len());
        let [up, mid, down] = outputs else {
            return;
        };
        let (up, mid, down) = (&mut up[start..], &mut mid[start..], &mut down[start..]);
        for col in [&mut *up, &mut *mid, &mut *down] {
            col[..warm].fill(NAN_SLOT);
        }
        scan_blocks::<true, true>(high, low, p, |w| {
            w.write(up, high, |h, _, _| h);
            w.write(mid, high, |h, l, _| (h + l) / 2.0);
            w.write(down, high, |_, l, _| l);
        });
    }
}

/// Rolling z-score: `(x - mean) / stddev` over the last `period` bars
/// (population deviation, the latest bar included); 0 on a flat window.
#[derive(Debug, Clone)]
pub struct ZScore {
    var: ShiftedVariance,
    window: Ring,
}

impl ZScore {
    /// Over `period` (>= 2) bars.
    pub fn new(period: usize) -> Self {
        let var = ShiftedVariance::new(period);
        Self {
            window: Ring::new(var.period()),
            var,
        }
    }
}

impl Indicator for ZScore {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        self.var.period() - 1
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        self.window.push(x);
        let Some(variance) = self.var.push(x) else {
            return f64::NAN;
        };
        // The mean from deviations against the same shift the variance uses.
        let shift = self.var.shift();
        let mut deviation = 0.0;
        for v in self.window.iter() {
            deviation += v - shift;
        }
        let mean = shift + deviation / self.window.len() as f64;
        if variance > 0.0 {
            (x - mean) / variance.sqrt()
        } else if variance.is_nan() || mean.is_nan() {
            f64::NAN
        } else {
            0.0
        }
    }

    fn reset(&mut self) {
        self.var.clear();
        self.window.clear();
    }
}

/// Rolling quantile of the last `period` bars, linearly interpolated between
/// order statistics (numpy's and pandas' default); NaN if the window holds a NaN.
#[derive(Debug, Clone)]
pub struct RollingQuantile {
    q: f64,
    window: Ring,
    sorted: Vec<f64>,
    nans: usize,
}

impl RollingQuantile {
    /// The `q` (0..=1) quantile over `period` (>= 1) bars.
    pub fn new(period: usize, q: f64) -> Self {
        let period = period.max(1);
        Self {
            q,
            window: Ring::new(period),
            sorted: Vec::with_capacity(period),
            nans: 0,
        }
    }

    fn remove(&mut self, v: f64) {
        if v.is_nan() {
            self.nans -= 1;
        } else if let Ok(i) = self.sorted.binary_search_by(|p| p.total_cmp(&v)) {
            self.sorted.remove(i);
        }
    }

    fn insert(&mut self, v: f64) {
        if v.is_nan() {
            self.nans += 1;
        } else {
            let i = self.sorted.partition_point(|p| p.total_cmp(&v).is_lt());
            self.sorted.insert(i, v);
        }
    }
}

impl Indicator for RollingQuantile {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        self.window.cap() - 1
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        if self.window.len() == self.window.cap() {
            let old = self.window.get(0);
            self.remove(old);
        }
        self.window.push(x);
        self.insert(x);
        if self.window.len() < self.window.cap() {
            return f64::NAN;
        }
        if self.nans > 0 {
            return f64::NAN;
        }
        let n = self.sorted.len();
        let pos = self.q * (n - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        let frac = pos - lo as f64;
        let (a, b) = (self.sorted[lo], self.sorted[hi]);
        a + (b - a) * frac
    }

    fn reset(&mut self) {
        self.window.clear();
        self.sorted.clear();
        self.nans = 0;
    }
}

/// Exponentially weighted moving variance with `alpha = 2/(period+1)`,
/// recursively (`adjust=False`, population): starts at 0 on the first bar.
#[derive(Debug, Clone)]
pub struct EwmVar {
    alpha: f64,
    started: bool,
    mean: f64,
    var: f64,
}

impl EwmVar {
    /// Span `period` (>= 1).
    pub fn new(period: usize) -> Self {
        Self {
            alpha: 2.0 / (period.max(1) + 1) as f64,
            started: false,
            mean: 0.0,
            var: 0.0,
        }
    }
}

impl Indicator for EwmVar {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        0
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        if !self.started {
            self.started = true;
            self.mean = x;
            self.var = 0.0;
            return self.var;
        }
        // West's recursion: the variance of the shifted mixture, exactly.
        let diff = x - self.mean;
        let incr = self.alpha * diff;
        self.mean += incr;
        self.var = (1.0 - self.alpha) * (self.var + diff * incr);
        self.var
    }

    fn reset(&mut self) {
        self.started = false;
        self.mean = 0.0;
        self.var = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::super::core::testing::{assert_batch_equals_stream, walk};
    use super::*;

    #[test]
    fn batch_equals_stream() {
        for nans in [false, true] {
            let c = walk(600, 81, nans);
            let h: Vec<f64> = c.iter().map(|v| v + 0.5).collect();
            let l: Vec<f64> = c.iter().map(|v| v - 0.5).collect();
            let vol: Vec<f64> = (0..600).map(|i| 10.0 + (i % 7) as f64).collect();
            let day: Vec<f64> = (0..600).map(|i| (i / 100) as f64).collect();
            assert_batch_equals_stream(&Vwap::default(), &[&h, &l, &c, &vol, &day]);
            assert_batch_equals_stream(&Keltner::new(20, 10, 2.0), &[&h, &l, &c]);
            assert_batch_equals_stream(&Donchian::new(20), &[&h, &l]);
            assert_batch_equals_stream(&ZScore::new(20), &[&c]);
            assert_batch_equals_stream(&RollingQuantile::new(20, 0.25), &[&c]);
            assert_batch_equals_stream(&EwmVar::new(20), &[&c]);
        }
    }

    #[test]
    fn vwap_restarts_when_the_session_changes() {
        let mut v = Vwap::default();
        assert_eq!(v.update([3.0, 3.0, 3.0, 1.0, 0.0]), 3.0);
        assert_eq!(v.update([6.0, 6.0, 6.0, 2.0, 0.0]), 5.0);
        assert_eq!(v.update([9.0, 9.0, 9.0, 1.0, 1.0]), 9.0);
    }

    #[test]
    fn median_of_an_odd_window_is_its_middle_value() {
        let mut q = RollingQuantile::new(3, 0.5);
        let out: Vec<f64> = [5.0, 1.0, 3.0, 10.0].iter().map(|&v| q.update(v)).collect();
        assert_eq!(&out[2..], &[3.0, 3.0]);
    }
}

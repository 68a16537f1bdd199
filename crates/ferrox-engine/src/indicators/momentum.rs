//! Momentum: RSI, CMO, MOM, ROC, ROCP, ROCR, TRIX, BOP.

use super::core::{Indicator, Slot, NAN_SLOT};
use super::fma;
use super::ma::Ema;
use super::ring::Ring;

/// Wilder's average gain and loss, as TA-Lib's RSI and CMO keep them: summed
/// over the first `period` changes, then `(prev*(period-1) + change)/period`.
#[derive(Debug, Clone)]
struct WilderGainLoss {
    period: usize,
    seen: usize,
    prev_value: f64,
    gain: f64,
    loss: f64,
}

impl WilderGainLoss {
    fn new(period: usize) -> Self {
        Self {
            period,
            seen: 0,
            prev_value: 0.0,
            gain: 0.0,
            loss: 0.0,
        }
    }

    /// RSI's step (TA-Lib 0.8): branch-free split of the change into gain and
    /// loss, scaled by a hoisted `1/period`.
    #[inline(always)]
    fn push_scaled(&mut self, x: f64) -> Option<(f64, f64)> {
        let p = self.period;
        let seen = self.seen;
        self.seen += 1;
        if seen == 0 {
            self.prev_value = x;
            return None;
        }
        let change = x - self.prev_value;
        self.prev_value = x;
        let inv = 1.0 / p as f64;
        let gain = if change > 0.0 { change } else { 0.0 };
        if seen > p {
            self.loss *= (p - 1) as f64;
            self.gain *= (p - 1) as f64;
        }
        self.gain += gain;
        self.loss += gain - change;
        if seen < p {
            return None;
        }
        self.loss *= inv;
        self.gain *= inv;
        Some((self.gain, self.loss))
    }

    /// CMO's step: `(prev*(period-1) + change)/period`, branching on the sign.
    #[inline(always)]
    fn push(&mut self, x: f64) -> Option<(f64, f64)> {
        let p = self.period;
        let seen = self.seen;
        self.seen += 1;
        if seen == 0 {
            self.prev_value = x;
            return None;
        }
        let change = x - self.prev_value;
        self.prev_value = x;
        if seen <= p {
            // A NaN change lands in the gain, as TA-Lib's `< 0 ... else` does.
            if change < 0.0 {
                self.loss -= change;
            } else {
                self.gain += change;
            }
            if seen < p {
                return None;
            }
            self.loss /= p as f64;
            self.gain /= p as f64;
            return Some((self.gain, self.loss));
        }
        self.loss *= (p - 1) as f64;
        self.gain *= (p - 1) as f64;
        if change < 0.0 {
            self.loss -= change;
        } else {
            self.gain += change;
        }
        self.loss /= p as f64;
        self.gain /= p as f64;
        Some((self.gain, self.loss))
    }

    fn reset(&mut self) {
        *self = Self::new(self.period);
    }
}

/// Relative Strength Index (Wilder), `100 * gain / (gain + loss)`.
#[derive(Debug, Clone)]
pub struct Rsi {
    avg: WilderGainLoss,
}

impl Rsi {
    /// Over `period` (>= 2) changes.
    pub fn new(period: usize) -> Self {
        Self {
            avg: WilderGainLoss::new(period.max(1)),
        }
    }
}

impl Indicator for Rsi {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        self.avg.period
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        if self.avg.period == 1 {
            return x;
        }
        match self.avg.push_scaled(x) {
            Some((gain, loss)) => {
                let total = gain + loss;
                if total > 0.0 {
                    100.0 * (gain / total)
                } else {
                    0.0
                }
            }
            None => f64::NAN,
        }
    }

    fn reset(&mut self) {
        self.avg.reset();
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let n = inputs[0].len();
        let p = self.avg.period;
        let from = self.run_rows(inputs, outputs, start, (start + p + 1).min(n));
        if p == 1 || from >= n {
            self.run_rows(inputs, outputs, from, n);
            return;
        }
        // Steady state: `update`'s arithmetic without its warm-up branches.
        let (x, out) = (&inputs[0][from..n], &mut outputs[0][from..n]);
        let WilderGainLoss {
            mut gain,
            mut loss,
            mut prev_value,
            ..
        } = self.avg;
        let inv = 1.0 / p as f64;
        let keep = (p - 1) as f64;
        for (o, &v) in out.iter_mut().zip(x) {
            let change = v - prev_value;
            prev_value = v;
            loss *= keep;
            gain *= keep;
            let up = if change > 0.0 { change } else { 0.0 };
            gain += up;
            loss += up - change;
            loss *= inv;
            gain *= inv;
            let total = gain + loss;
            *o = Slot::new(if total > 0.0 {
                100.0 * (gain / total)
            } else {
                0.0
            });
        }
    }
}

/// Chande Momentum Oscillator, `100 * (gain - loss) / (gain + loss)` with
/// Wilder smoothing (TA-Lib's CMO).
#[derive(Debug, Clone)]
pub struct Cmo {
    avg: WilderGainLoss,
}

impl Cmo {
    /// Over `period` (>= 2) changes.
    pub fn new(period: usize) -> Self {
        Self {
            avg: WilderGainLoss::new(period.max(1)),
        }
    }
}

impl Indicator for Cmo {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        self.avg.period
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        if self.avg.period == 1 {
            return x;
        }
        match self.avg.push(x) {
            Some((gain, loss)) => {
                let total = gain + loss;
                if total > 0.0 {
                    100.0 * ((gain - loss) / total)
                } else {
                    0.0
                }
            }
            None => f64::NAN,
        }
    }

    fn reset(&mut self) {
        self.avg.reset();
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let n = inputs[0].len();
        let p = self.avg.period;
        let from = self.run_rows(inputs, outputs, start, (start + p + 1).min(n));
        if p == 1 || from >= n {
            self.run_rows(inputs, outputs, from, n);
            return;
        }
        // Steady state: `update`'s arithmetic without its warm-up branches.
        let (x, out) = (&inputs[0][from..n], &mut outputs[0][from..n]);
        let WilderGainLoss {
            mut gain,
            mut loss,
            mut prev_value,
            ..
        } = self.avg;
        let (pf, keep) = (p as f64, (p - 1) as f64);
        for (o, &v) in out.iter_mut().zip(x) {
            let change = v - prev_value;
            prev_value = v;
            loss *= keep;
            gain *= keep;
            if change < 0.0 {
                loss -= change;
            } else {
                gain += change;
            }
            loss /= pf;
            gain /= pf;
            let total = gain + loss;
            *o = Slot::new(if total > 0.0 {
                100.0 * ((gain - loss) / total)
            } else {
                0.0
            });
        }
    }
}

/// How a change over `period` bars is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// `price - prev` (MOM).
    Difference,
    /// `(price/prev - 1) * 100` (ROC).
    Percent,
    /// `(price - prev) / prev` (ROCP).
    Fraction,
    /// `price / prev` (ROCR).
    Ratio,
}

/// Change of a series over `period` bars: MOM, ROC, ROCP or ROCR.
#[derive(Debug, Clone)]
pub struct Change {
    kind: ChangeKind,
    period: usize,
    window: Ring,
    seen: usize,
}

impl Change {
    /// A change of `kind` over `period` (>= 1) bars.
    pub fn new(kind: ChangeKind, period: usize) -> Self {
        let period = period.max(1);
        Self {
            kind,
            period,
            window: Ring::new(period + 1),
            seen: 0,
        }
    }

    #[inline(always)]
    fn apply(kind: ChangeKind, x: f64, prev: f64) -> f64 {
        match kind {
            ChangeKind::Difference => x - prev,
            ChangeKind::Percent if prev != 0.0 => ((x / prev) - 1.0) * 100.0,
            ChangeKind::Fraction if prev != 0.0 => (x - prev) / prev,
            ChangeKind::Ratio if prev != 0.0 => x / prev,
            _ => 0.0,
        }
    }
}

impl Indicator for Change {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        self.period
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        self.window.push(x);
        self.seen += 1;
        if self.seen <= self.period {
            return f64::NAN;
        }
        Self::apply(self.kind, x, self.window.get(0))
    }

    fn reset(&mut self) {
        self.window.clear();
        self.seen = 0;
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let x = &inputs[0][start..];
        let out = &mut outputs[0][start..];
        let p = self.period;
        out[..p.min(x.len())].fill(NAN_SLOT);
        if x.len() <= p {
            return;
        }
        let pairs = out[p..].iter_mut().zip(&x[p..]).zip(x);
        // One loop per kind, so each is a straight (vectorisable) loop.
        match self.kind {
            ChangeKind::Difference => pairs.for_each(|((o, &v), &prev)| *o = Slot::new(v - prev)),
            ChangeKind::Percent => pairs.for_each(|((o, &v), &prev)| {
                *o = Slot::new(Self::apply(ChangeKind::Percent, v, prev));
            }),
            ChangeKind::Fraction => pairs.for_each(|((o, &v), &prev)| {
                *o = Slot::new(Self::apply(ChangeKind::Fraction, v, prev));
            }),
            ChangeKind::Ratio => pairs.for_each(|((o, &v), &prev)| {
                *o = Slot::new(Self::apply(ChangeKind::Ratio, v, prev));
            }),
        }
    }
}

/// TRIX: one-bar rate of change (percent) of a triple EMA.
#[derive(Debug, Clone)]
pub struct Trix {
    period: usize,
    e1: Ema,
    e2: Ema,
    e3: Ema,
    seen: usize,
    prev: f64,
}

impl Trix {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            period,
            e1: Ema::new(period),
            e2: Ema::new(period),
            e3: Ema::new(period),
            seen: 0,
            prev: 0.0,
        }
    }
}

impl Indicator for Trix {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        3 * (self.period - 1) + 1
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
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
        let prev = self.prev;
        self.prev = c;
        if self.seen <= 3 * lb + 1 {
            return f64::NAN;
        }
        if prev != 0.0 {
            ((c / prev) - 1.0) * 100.0
        } else {
            0.0
        }
    }

    fn reset(&mut self) {
        self.e1.reset();
        self.e2.reset();
        self.e3.reset();
        self.seen = 0;
        self.prev = 0.0;
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
        let k = self.e1.k();
        let (mut a, mut b, mut c) = (self.e1.value(), self.e2.value(), self.e3.value());
        for (o, &v) in out.iter_mut().zip(x) {
            a = fma(v - a, k, a);
            b = fma(a - b, k, b);
            let prev = c;
            c = fma(b - c, k, c);
            *o = Slot::new(if prev != 0.0 {
                ((c / prev) - 1.0) * 100.0
            } else {
                0.0
            });
        }
    }
}

/// Balance Of Power, `(close - open) / (high - low)`, 0 on an empty range.
#[derive(Debug, Clone, Default)]
pub struct Bop;

impl Indicator for Bop {
    type Input = [f64; 4];
    type Output = f64;

    fn lookback(&self) -> usize {
        0
    }

    #[inline(always)]
    fn update(&mut self, [open, high, low, close]: [f64; 4]) -> f64 {
        let range = high - low;
        if range <= 0.0 {
            0.0
        } else {
            (close - open) / range
        }
    }

    fn reset(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::super::core::testing::{assert_batch_equals_stream, walk};
    use super::*;

    #[test]
    fn batch_equals_stream() {
        for nans in [false, true] {
            let x = walk(600, 9, nans);
            let o: Vec<f64> = x.iter().map(|v| v - 0.3).collect();
            let h: Vec<f64> = x.iter().map(|v| v + 1.0).collect();
            let l: Vec<f64> = x.iter().map(|v| v - 1.0).collect();
            for p in [1, 2, 5, 14] {
                assert_batch_equals_stream(&Rsi::new(p.max(2)), &[&x]);
                assert_batch_equals_stream(&Cmo::new(p.max(2)), &[&x]);
                assert_batch_equals_stream(&Trix::new(p), &[&x]);
                for kind in [
                    ChangeKind::Difference,
                    ChangeKind::Percent,
                    ChangeKind::Fraction,
                    ChangeKind::Ratio,
                ] {
                    assert_batch_equals_stream(&Change::new(kind, p), &[&x]);
                }
            }
            assert_batch_equals_stream(&Bop, &[&o, &h, &l, &x]);
        }
    }

    #[test]
    fn rsi_of_a_rising_series_is_100() {
        let mut rsi = Rsi::new(3);
        let out: Vec<f64> = (0..6).map(|i| rsi.update(i as f64)).collect();
        assert!(out[..3].iter().all(|v| v.is_nan()));
        assert!(out[3..].iter().all(|&v| v == 100.0));
    }
}

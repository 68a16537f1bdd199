//! Volume: OBV, AD, ADOSC.

use super::core::{Indicator, Slot};
use super::fma;

/// On Balance Volume (TA-Lib OBV), starting from the first bar's volume.
#[derive(Debug, Clone, Default)]
pub struct Obv {
    prev: Option<(f64, f64)>,
}

impl Indicator for Obv {
    type Input = [f64; 2];
    type Output = f64;

    fn lookback(&self) -> usize {
        0
    }

    #[inline(always)]
    fn update(&mut self, [price, volume]: [f64; 2]) -> f64 {
        let (prev_price, mut obv) = self.prev.unwrap_or((price, volume));
        if self.prev.is_some() {
            if price > prev_price {
                obv += volume;
            } else if price < prev_price {
                obv -= volume;
            }
        }
        self.prev = Some((price, obv));
        obv
    }

    fn reset(&mut self) {
        self.prev = None;
    }
}

/// One bar's contribution to the Chaikin A/D line (0 on an empty range).
#[inline(always)]
fn ad_step(ad: f64, high: f64, low: f64, close: f64, volume: f64) -> f64 {
    let range = high - low;
    if range > 0.0 {
        ad + (((close - low) - (high - close)) / range) * volume
    } else {
        ad
    }
}

/// Chaikin Accumulation/Distribution line (TA-Lib AD).
#[derive(Debug, Clone, Default)]
pub struct Ad {
    ad: f64,
}

impl Indicator for Ad {
    type Input = [f64; 4];
    type Output = f64;

    fn lookback(&self) -> usize {
        0
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close, volume]: [f64; 4]) -> f64 {
        self.ad = ad_step(self.ad, high, low, close, volume);
        self.ad
    }

    fn reset(&mut self) {
        self.ad = 0.0;
    }
}

/// Chaikin A/D oscillator: EMA(fast) - EMA(slow) of the A/D line, both EMAs
/// seeded with the first A/D value (TA-Lib ADOSC).
#[derive(Debug, Clone)]
pub struct AdOsc {
    fast_k: f64,
    slow_k: f64,
    lookback: usize,
    seen: usize,
    ad: f64,
    fast: f64,
    slow: f64,
}

impl AdOsc {
    /// Fast and slow EMA periods (>= 1).
    pub fn new(fast: usize, slow: usize) -> Self {
        let (fast, slow) = (fast.max(1), slow.max(1));
        Self {
            fast_k: 2.0 / (fast + 1) as f64,
            slow_k: 2.0 / (slow + 1) as f64,
            lookback: fast.max(slow) - 1,
            seen: 0,
            ad: 0.0,
            fast: 0.0,
            slow: 0.0,
        }
    }
}

impl Indicator for AdOsc {
    type Input = [f64; 4];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.lookback
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close, volume]: [f64; 4]) -> f64 {
        let today = self.seen;
        self.seen += 1;
        self.ad = ad_step(self.ad, high, low, close, volume);
        if today == 0 {
            self.fast = self.ad;
            self.slow = self.ad;
        } else {
            self.fast = fma(1.0 - self.fast_k, self.fast, self.fast_k * self.ad);
            self.slow = fma(1.0 - self.slow_k, self.slow, self.slow_k * self.ad);
        }
        if today < self.lookback {
            return f64::NAN;
        }
        self.fast - self.slow
    }

    fn reset(&mut self) {
        self.seen = 0;
        self.ad = 0.0;
        self.fast = 0.0;
        self.slow = 0.0;
    }

    /// Warm-up through `update`, then its steady-state arithmetic over slices.
    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let n = inputs[0].len();
        let from = self.run_rows(inputs, outputs, start, (start + self.lookback + 1).min(n));
        if from >= n {
            return;
        }
        let [high, low, close, volume] = [0, 1, 2, 3].map(|k| &inputs[k][from..n]);
        let (fk, sk) = (self.fast_k, self.slow_k);
        let (mut ad, mut fast, mut slow) = (self.ad, self.fast, self.slow);
        let bars = high.iter().zip(low).zip(close).zip(volume);
        for (o, (((&h, &l), &c), &v)) in outputs[0][from..n].iter_mut().zip(bars) {
            ad = ad_step(ad, h, l, c, v);
            fast = fma(1.0 - fk, fast, fk * ad);
            slow = fma(1.0 - sk, slow, sk * ad);
            *o = Slot::new(fast - slow);
        }
        (self.ad, self.fast, self.slow) = (ad, fast, slow);
        self.seen += n - from;
    }
}

#[cfg(test)]
mod tests {
    use super::super::core::testing::{assert_batch_equals_stream, walk};
    use super::*;

    #[test]
    fn batch_equals_stream() {
        for nans in [false, true] {
            let c = walk(500, 51, nans);
            let h: Vec<f64> = c.iter().map(|v| v + 0.7).collect();
            let l: Vec<f64> = c.iter().map(|v| v - 0.6).collect();
            let vol: Vec<f64> = (0..500).map(|i| 50.0 + (i % 11) as f64).collect();
            assert_batch_equals_stream(&Obv::default(), &[&c, &vol]);
            assert_batch_equals_stream(&Ad::default(), &[&h, &l, &c, &vol]);
            assert_batch_equals_stream(&AdOsc::new(3, 10), &[&h, &l, &c, &vol]);
            assert_batch_equals_stream(&AdOsc::new(10, 3), &[&h, &l, &c, &vol]);
            assert_batch_equals_stream(&AdOsc::new(1, 1), &[&h, &l, &c, &vol]);
            for m in 0..12 {
                let cols = [&h[..m], &l[..m], &c[..m], &vol[..m]];
                assert_batch_equals_stream(&AdOsc::new(3, 10), &cols);
            }
        }
    }
}

//! Price oscillators: MACD, MACDEXT, APO, PPO.

use super::core::{as_slots, written, Indicator, Slot, NAN_SLOT};
use super::ma::{Ema, Ma, MaType};
use super::{fma, is_zero};

/// A moving average that starts reading its input `delay` bars late, as TA-Lib
/// does when it computes an average from a later start index (MACD's fast
/// EMA, MACDEXT's shorter average).
#[derive(Debug, Clone)]
struct Delayed<M> {
    delay: usize,
    seen: usize,
    inner: M,
}

impl<M: Indicator<Input = f64, Output = f64>> Delayed<M> {
    fn new(delay: usize, inner: M) -> Self {
        Self {
            delay,
            seen: 0,
            inner,
        }
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        if self.seen < self.delay {
            self.seen += 1;
            return f64::NAN;
        }
        self.inner.update(x)
    }

    fn reset(&mut self) {
        self.seen = 0;
        self.inner.reset();
    }
}

/// MACD: `[macd, macdsignal, macdhist]` from EMAs, TA-Lib style (the fast EMA's
/// seed window ends on the same bar as the slow one's).
#[derive(Debug, Clone)]
pub struct Macd {
    fast: Delayed<Ema>,
    slow: Ema,
    signal: Ema,
    slow_lookback: usize,
    signal_lookback: usize,
    seen: usize,
}

impl Macd {
    /// Periods as TA-Lib takes them (swapped if `slow < fast`).
    pub fn new(fast: usize, slow: usize, signal: usize) -> Self {
        let (fast, slow) = if slow < fast {
            (slow, fast)
        } else {
            (fast, slow)
        };
        let (fast, slow, signal) = (fast.max(1), slow.max(1), signal.max(1));
        Self {
            fast: Delayed::new(slow - fast, Ema::new(fast)),
            slow: Ema::new(slow),
            signal: Ema::new(signal),
            slow_lookback: slow - 1,
            signal_lookback: signal - 1,
            seen: 0,
        }
    }
}

impl Indicator for Macd {
    type Input = f64;
    type Output = [f64; 3];

    fn lookback(&self) -> usize {
        self.slow_lookback + self.signal_lookback
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> [f64; 3] {
        self.seen += 1;
        let fast = self.fast.update(x);
        let slow = self.slow.update(x);
        if self.seen <= self.slow_lookback {
            return [f64::NAN; 3];
        }
        let macd = fast - slow;
        let signal = self.signal.update(macd);
        if self.seen <= self.lookback() {
            return [f64::NAN; 3];
        }
        [macd, signal, macd - signal]
    }

    fn reset(&mut self) {
        self.fast.reset();
        self.slow.reset();
        self.signal.reset();
        self.seen = 0;
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let n = inputs[0].len();
        let from = self.run_rows(inputs, outputs, start, (start + self.lookback() + 1).min(n));
        if from >= n {
            return;
        }
        // Steady state, all three EMAs seeded: `update`'s arithmetic in lockstep.
        let x = &inputs[0][from..n];
        let [macd_out, signal_out, hist_out] = outputs else {
            return;
        };
        let (kf, ks, kg) = (self.fast.inner.k(), self.slow.k(), self.signal.k());
        let (mut fast, mut slow) = (self.fast.inner.value(), self.slow.value());
        let mut signal = self.signal.value();
        let identity_signal = self.signal_lookback == 0;
        let rows = macd_out[from..n]
            .iter_mut()
            .zip(&mut signal_out[from..n])
            .zip(&mut hist_out[from..n])
            .zip(x);
        for (((m_out, s_out), h_out), &v) in rows {
            fast = fma(v - fast, kf, fast);
            slow = fma(v - slow, ks, slow);
            let macd = fast - slow;
            signal = if identity_signal {
                macd
            } else {
                fma(macd - signal, kg, signal)
            };
            *m_out = Slot::new(macd);
            *s_out = Slot::new(signal);
            *h_out = Slot::new(macd - signal);
        }
    }
}

/// MACD with a moving-average type per line (TA-Lib MACDEXT).
#[allow(clippy::large_enum_variant)] // built once per series, see `Ma`
#[derive(Debug, Clone)]
pub enum MacdExt {
    /// All three EMAs of period >= 2: exactly TA-Lib's MACD.
    Ema(Macd),
    /// Any other mix.
    General(MacdGeneral),
}

/// MACDEXT's general path: both averages start on the bar where the slower of
/// the two can first produce a value.
#[derive(Debug, Clone)]
pub struct MacdGeneral {
    fast: Delayed<Ma>,
    slow: Delayed<Ma>,
    signal: Ma,
    largest: usize,
    signal_lookback: usize,
    seen: usize,
}

impl MacdExt {
    /// Periods and types as TA-Lib takes them.
    pub fn new(
        fast: usize,
        fast_type: MaType,
        slow: usize,
        slow_type: MaType,
        signal: usize,
        signal_type: MaType,
    ) -> Self {
        if fast_type == MaType::Ema
            && slow_type == MaType::Ema
            && signal_type == MaType::Ema
            && fast >= 2
            && slow >= 2
            && signal >= 2
        {
            return Self::Ema(Macd::new(fast, slow, signal));
        }
        let ((fast, fast_type), (slow, slow_type)) = if slow < fast {
            ((slow, slow_type), (fast, fast_type))
        } else {
            ((fast, fast_type), (slow, slow_type))
        };
        let lb_fast = fast_type.lookback(fast);
        let lb_slow = slow_type.lookback(slow);
        let largest = lb_fast.max(lb_slow);
        let fast_delay = largest - lb_fast;
        let slow_delay = largest - lb_slow;
        Self::General(MacdGeneral {
            fast: Delayed::new(fast_delay, Ma::with_offset(fast_type, fast, fast_delay)),
            slow: Delayed::new(slow_delay, Ma::with_offset(slow_type, slow, slow_delay)),
            signal: Ma::new(signal_type, signal),
            largest,
            signal_lookback: signal_type.lookback(signal),
            seen: 0,
        })
    }
}

impl Indicator for MacdExt {
    type Input = f64;
    type Output = [f64; 3];

    fn lookback(&self) -> usize {
        match self {
            Self::Ema(m) => m.lookback(),
            Self::General(g) => g.largest + g.signal_lookback,
        }
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> [f64; 3] {
        let g = match self {
            Self::Ema(m) => return m.update(x),
            Self::General(g) => g,
        };
        g.seen += 1;
        let fast = g.fast.update(x);
        let slow = g.slow.update(x);
        if g.seen <= g.largest {
            return [f64::NAN; 3];
        }
        let macd = fast - slow;
        let signal = g.signal.update(macd);
        if g.seen <= g.largest + g.signal_lookback {
            return [f64::NAN; 3];
        }
        [macd, signal, macd - signal]
    }

    fn reset(&mut self) {
        match self {
            Self::Ema(m) => m.reset(),
            Self::General(g) => {
                g.fast.reset();
                g.slow.reset();
                g.signal.reset();
                g.seen = 0;
            }
        }
    }

    /// Each average over the whole column (the output columns serve as its
    /// scratch), then the signal over the whole MACD line.
    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let g = match self {
            Self::Ema(m) => return m.run(inputs, outputs, start),
            Self::General(g) => g,
        };
        let x = &inputs[0][start..];
        let n = x.len();
        let [macd_out, signal_out, hist_out] = outputs else {
            return;
        };
        let (macd_out, signal_out) = (&mut macd_out[start..], &mut signal_out[start..]);
        let hist_out = &mut hist_out[start..];
        let largest = g.largest;
        let total = (largest + g.signal_lookback).min(n);
        if largest < n {
            // The fast average lands in the MACD column, the slow one in the
            // signal column, each on the bars it is fed from.
            let (fd, sd) = (g.fast.delay, g.slow.delay);
            g.fast.inner.run(&[&x[fd..]], &mut [&mut macd_out[fd..]], 0);
            g.slow
                .inner
                .run(&[&x[sd..]], &mut [&mut signal_out[sd..]], 0);
            for (m, s) in macd_out[largest..].iter_mut().zip(&signal_out[largest..]) {
                // SAFETY: both runs wrote every row from their delay on, and
                // `largest` is at least either delay.
                let (fast, slow) = unsafe { (m.assume_init(), s.assume_init()) };
                *m = Slot::new(fast - slow);
            }
            // SAFETY: every row of the MACD line from `largest` on was just written.
            let line = unsafe { written(&macd_out[largest..]) };
            g.signal.run(&[line], &mut [&mut signal_out[largest..]], 0);
            let rows = hist_out[total..].iter_mut().zip(&macd_out[total..]);
            for ((h, m), s) in rows.zip(&signal_out[total..]) {
                // SAFETY: the signal run wrote every row from `largest` on.
                let (m, s) = unsafe { (m.assume_init(), s.assume_init()) };
                *h = Slot::new(m - s);
            }
        }
        for col in [&mut *macd_out, &mut *signal_out, &mut *hist_out] {
            col[..total].fill(NAN_SLOT);
        }
    }
}

/// Fast minus slow moving average, or that difference as a percentage of the
/// slow one (APO / PPO).
#[derive(Debug, Clone)]
pub struct PriceOscillator {
    fast: Ma,
    slow: Ma,
    lookback: usize,
    percent: bool,
    seen: usize,
}

impl PriceOscillator {
    /// APO (`percent = false`) or PPO (`percent = true`).
    pub fn new(fast: usize, slow: usize, kind: MaType, percent: bool) -> Self {
        let (fast, slow) = if slow < fast {
            (slow, fast)
        } else {
            (fast, slow)
        };
        Self {
            fast: Ma::new(kind, fast),
            slow: Ma::new(kind, slow),
            lookback: kind.lookback(slow),
            percent,
            seen: 0,
        }
    }
}

impl Indicator for PriceOscillator {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        self.lookback
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        self.seen += 1;
        let fast = self.fast.update(x);
        let slow = self.slow.update(x);
        if self.seen <= self.lookback {
            return f64::NAN;
        }
        if !self.percent {
            fast - slow
        } else if !is_zero(slow) {
            ((fast - slow) / slow) * 100.0
        } else {
            0.0
        }
    }

    fn reset(&mut self) {
        self.fast.reset();
        self.slow.reset();
        self.seen = 0;
    }

    /// Each average over the whole column (the fast one into the output),
    /// then the difference.
    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let x = &inputs[0][start..];
        let out = &mut outputs[0][start..];
        let warm = self.lookback.min(x.len());
        self.fast.run(&[x], &mut [&mut *out], 0);
        let mut slow = vec![0.0; x.len()];
        self.slow.run(&[x], &mut [as_slots(&mut slow)], 0);
        let percent = self.percent;
        for (o, &slow) in out[warm..].iter_mut().zip(&slow[warm..]) {
            // SAFETY: the fast run wrote every row.
            let fast = unsafe { o.assume_init() };
            *o = Slot::new(if !percent {
                fast - slow
            } else if !is_zero(slow) {
                ((fast - slow) / slow) * 100.0
            } else {
                0.0
            });
        }
        out[..warm].fill(NAN_SLOT);
    }
}

#[cfg(test)]
mod tests {
    use super::super::core::testing::{assert_batch_equals_stream, walk};
    use super::*;

    #[test]
    fn batch_equals_stream() {
        let kinds = [
            MaType::Sma,
            MaType::Ema,
            MaType::Wma,
            MaType::Dema,
            MaType::Tema,
            MaType::Trima,
            MaType::Kama,
            MaType::Mama,
            MaType::T3,
        ];
        for nans in [false, true] {
            let x = walk(500, 5, nans);
            assert_batch_equals_stream(&Macd::new(12, 26, 9), &[&x]);
            assert_batch_equals_stream(&Macd::new(26, 12, 1), &[&x]);
            for &k in &kinds {
                for m in [0, 1, 20, 26, 33, 34, 40] {
                    let x = &x[..m];
                    assert_batch_equals_stream(&MacdExt::new(12, k, 26, MaType::Sma, 9, k), &[x]);
                    assert_batch_equals_stream(&MacdExt::new(3, MaType::Sma, 2, k, 1, k), &[x]);
                    assert_batch_equals_stream(&PriceOscillator::new(12, 26, k, true), &[x]);
                }
                assert_batch_equals_stream(&MacdExt::new(12, k, 26, MaType::Sma, 9, k), &[&x]);
                assert_batch_equals_stream(&PriceOscillator::new(12, 26, k, false), &[&x]);
                assert_batch_equals_stream(&PriceOscillator::new(12, 26, k, true), &[&x]);
            }
        }
    }
}

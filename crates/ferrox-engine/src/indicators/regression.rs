//! Statistics over a window: LINEARREG (and its slope, intercept, angle), TSF,
//! CORREL, BETA.

use super::core::{Indicator, Slot, NAN_SLOT};
use super::fma;
use super::ring::Ring;

/// What a [`LinearReg`] reports of the least-squares line `y = b + m*x` fitted
/// to the last `period` bars (x = 0 for the oldest bar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOutput {
    /// The line's value at the latest bar, `b + m*(period-1)` (LINEARREG).
    Value,
    /// `m` (LINEARREG_SLOPE).
    Slope,
    /// `b` (LINEARREG_INTERCEPT).
    Intercept,
    /// `atan(m)` in degrees (LINEARREG_ANGLE).
    Angle,
    /// The line extended one bar, `b + m*period` (TSF).
    Forecast,
}

/// Rolling linear regression by TA-Lib 0.8's sliding sums, rebuilt from the
/// window every `32*period` bars and when a value leaving the window outweighs
/// everything left in it.
#[derive(Debug, Clone)]
pub struct LinearReg {
    output: LineOutput,
    period: usize,
    sum_x: f64,
    divisor: f64,
    window: Ring,
    seen: usize,
    sum_xy: f64,
    sum_y: f64,
    sum_abs: f64,
    trailing: f64,
    until_reseed: i64,
}

impl LinearReg {
    /// Over `period` (>= 2) bars, reporting `output`.
    pub fn new(output: LineOutput, period: usize) -> Self {
        let period = period.max(1);
        let p = period as f64;
        let sum_x = p * (period - 1) as f64 * 0.5;
        let sum_x_sqr = p * (period - 1) as f64 * (2 * period - 1) as f64 / 6.0;
        Self {
            output,
            period,
            sum_x,
            divisor: sum_x * sum_x - p * sum_x_sqr,
            window: Ring::new(period),
            seen: 0,
            sum_xy: 0.0,
            sum_y: 0.0,
            sum_abs: 0.0,
            trailing: 0.0,
            until_reseed: 32 * period as i64,
        }
    }

    /// Rebuilds the sums from the window held.
    fn rebuild(&mut self) {
        (self.sum_y, self.sum_xy, self.sum_abs) = window_sums(self.window.as_slice(), self.period);
    }

    /// Rebuilds the sums from `window`.
    #[inline(always)]
    fn rebuild_from(&mut self, window: &[f64]) {
        (self.sum_y, self.sum_xy, self.sum_abs) = window_sums(window, self.period);
    }

    #[inline(always)]
    fn result(&self) -> f64 {
        let p = self.period as f64;
        let m = (p * self.sum_xy - self.sum_x * self.sum_y) / self.divisor;
        let intercept = || (self.sum_y - m * self.sum_x) / p;
        match self.output {
            LineOutput::Slope => m,
            LineOutput::Angle => m.atan() * (180.0 / std::f64::consts::PI),
            LineOutput::Intercept => intercept(),
            LineOutput::Value => fma(m, (self.period - 1) as f64, intercept()),
            LineOutput::Forecast => fma(m, p, intercept()),
        }
    }
}

/// `(sum y, sum x*y, sum |y|)` of a window, oldest first, weights counting
/// down from `period - 1` (TA-Lib's priming and re-anchoring order).
#[inline(always)]
fn window_sums(window: &[f64], period: usize) -> (f64, f64, f64) {
    let (mut sum_y, mut sum_xy, mut sum_abs) = (0.0, 0.0, 0.0);
    let mut weight = (period - 1) as f64;
    for &v in window {
        sum_y += v;
        sum_xy += weight * v;
        sum_abs += v.abs();
        weight -= 1.0;
    }
    (sum_y, sum_xy, sum_abs)
}

impl Indicator for LinearReg {
    type Input = f64;
    type Output = f64;

    fn lookback(&self) -> usize {
        self.period - 1
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> f64 {
        let p = self.period;
        self.window.push(x);
        self.seen += 1;
        if self.seen < p {
            return f64::NAN;
        }
        if self.seen == p {
            self.rebuild();
            self.until_reseed = 32 * p as i64;
        } else {
            let weighted = p as f64 * self.trailing;
            self.sum_xy = self.sum_xy + self.sum_y - weighted;
            self.sum_y = self.sum_y - self.trailing + x;
            self.sum_abs = self.sum_abs - self.trailing.abs() + x.abs();
            self.until_reseed -= 1;
            if self.until_reseed <= 0 || weighted.abs() > 100.0 * self.sum_abs {
                self.until_reseed = 32 * p as i64;
                self.rebuild();
            }
        }
        self.trailing = self.window.get(0);
        self.result()
    }

    fn reset(&mut self) {
        self.window.clear();
        self.seen = 0;
        self.sum_xy = 0.0;
        self.sum_y = 0.0;
        self.sum_abs = 0.0;
        self.trailing = 0.0;
        self.until_reseed = 32 * self.period as i64;
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let (x, out) = (&inputs[0][start..], &mut outputs[0][start..]);
        let p = self.period;
        let n = x.len();
        out[..(p - 1).min(n)].fill(NAN_SLOT);
        if n < p {
            return;
        }
        // `update`'s arithmetic, reading the window from the input slice.
        self.rebuild_from(&x[..p]);
        self.until_reseed = 32 * p as i64;
        self.trailing = x[0];
        out[p - 1] = Slot::new(self.result());
        let pf = p as f64;
        for i in p..n {
            let v = x[i];
            let weighted = pf * self.trailing;
            self.sum_xy = self.sum_xy + self.sum_y - weighted;
            self.sum_y = self.sum_y - self.trailing + v;
            self.sum_abs = self.sum_abs - self.trailing.abs() + v.abs();
            self.until_reseed -= 1;
            if self.until_reseed <= 0 || weighted.abs() > 100.0 * self.sum_abs {
                self.until_reseed = 32 * p as i64;
                self.rebuild_from(&x[i + 1 - p..=i]);
            }
            self.trailing = x[i + 1 - p];
            out[i] = Slot::new(self.result());
        }
    }
}

/// Pearson correlation of two series over `period` bars (TA-Lib CORREL), by
/// shifted sums re-anchored like TA-Lib 0.8's variance.
#[derive(Debug, Clone)]
pub struct Correl {
    xs: Ring,
    ys: Ring,
    seen: usize,
    sums: CorrelSums,
}

/// The shifted sums behind [`Correl`].
#[derive(Debug, Clone)]
struct CorrelSums {
    period: usize,
    inv: f64,
    shift_x: f64,
    shift_y: f64,
    sum_x: f64,
    sum_y: f64,
    sum_x2: f64,
    sum_y2: f64,
    sum_xy: f64,
    leaving_x: f64,
    leaving_y: f64,
    until_reseed: i64,
}

impl CorrelSums {
    fn new(period: usize) -> Self {
        Self {
            period,
            inv: 1.0 / period as f64,
            shift_x: 0.0,
            shift_y: 0.0,
            sum_x: 0.0,
            sum_y: 0.0,
            sum_x2: 0.0,
            sum_y2: 0.0,
            sum_xy: 0.0,
            leaving_x: 0.0,
            leaving_y: 0.0,
            until_reseed: 32 * period as i64,
        }
    }

    #[inline(always)]
    fn add(&mut self, x: f64, y: f64) {
        let dx = x - self.shift_x;
        self.sum_x += dx;
        self.sum_x2 += dx * dx;
        let dy = y - self.shift_y;
        self.sum_xy += dx * dy;
        self.sum_y += dy;
        self.sum_y2 += dy * dy;
    }

    #[inline(always)]
    fn extract(&self) -> (f64, f64, f64) {
        let inv = self.inv;
        (
            self.sum_x2 - ((self.sum_x * self.sum_x) * inv),
            self.sum_y2 - ((self.sum_y * self.sum_y) * inv),
            self.sum_xy - ((self.sum_x * self.sum_y) * inv),
        )
    }

    /// The coefficient of a full window (`wx`, `wy`: the last `period` values,
    /// oldest first, the newest already added), then drops the oldest bar.
    #[inline(always)]
    fn finish(&mut self, wx: &[f64], wy: &[f64]) -> f64 {
        let (mut ss_x, mut ss_y, mut sp_xy) = self.extract();
        self.until_reseed -= 1;
        if ss_x < 0.000001 * self.sum_x2
            || ss_y < 0.000001 * self.sum_y2
            || self.leaving_x > 1000000.0 * self.sum_x2
            || self.leaving_y > 1000000.0 * self.sum_y2
            || self.until_reseed <= 0
        {
            self.until_reseed = 32 * self.period as i64;
            let (mut sx, mut sy) = (0.0, 0.0);
            for (&x, &y) in wx.iter().zip(wy) {
                sx += x;
                sy += y;
            }
            self.shift_x = sx * self.inv;
            self.shift_y = sy * self.inv;
            self.sum_x = 0.0;
            self.sum_y = 0.0;
            self.sum_x2 = 0.0;
            self.sum_y2 = 0.0;
            self.sum_xy = 0.0;
            for (&x, &y) in wx.iter().zip(wy) {
                self.add(x, y);
            }
            (ss_x, ss_y, sp_xy) = self.extract();
            if ss_x < 0.0 {
                ss_x = 0.0;
            }
            if ss_y < 0.0 {
                ss_y = 0.0;
            }
        }
        let trailing_x = wx[0] - self.shift_x;
        let trailing_y = wy[0] - self.shift_y;
        let out = if ss_x > 0.000_000_000_000_01 * self.sum_x2
            && ss_y > 0.000_000_000_000_01 * self.sum_y2
        {
            (sp_xy / (ss_x * ss_y).sqrt()).clamp(-1.0, 1.0)
        } else {
            0.0
        };
        self.leaving_x = trailing_x * trailing_x;
        self.leaving_y = trailing_y * trailing_y;
        self.sum_x -= trailing_x;
        self.sum_x2 -= self.leaving_x;
        self.sum_xy -= trailing_x * trailing_y;
        self.sum_y -= trailing_y;
        self.sum_y2 -= self.leaving_y;
        out
    }
}

impl Correl {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            xs: Ring::new(period),
            ys: Ring::new(period),
            seen: 0,
            sums: CorrelSums::new(period),
        }
    }
}

impl Indicator for Correl {
    type Input = [f64; 2];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.sums.period - 1
    }

    #[inline(always)]
    fn update(&mut self, [x, y]: [f64; 2]) -> f64 {
        self.xs.push(x);
        self.ys.push(y);
        if self.seen == 0 {
            self.sums.shift_x = x;
            self.sums.shift_y = y;
        }
        self.seen += 1;
        self.sums.add(x, y);
        if self.seen < self.sums.period {
            return f64::NAN;
        }
        self.sums.finish(self.xs.as_slice(), self.ys.as_slice())
    }

    fn reset(&mut self) {
        *self = Self::new(self.sums.period);
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let (xs, ys) = (&inputs[0][start..], &inputs[1][start..]);
        let out = &mut outputs[0][start..];
        let n = xs.len().min(ys.len());
        let p = self.sums.period;
        out[..(p - 1).min(n)].fill(NAN_SLOT);
        if n == 0 {
            return;
        }
        // A local copy keeps the sums in registers across the loop.
        let mut sums = self.sums.clone();
        sums.shift_x = xs[0];
        sums.shift_y = ys[0];
        for i in 0..(p - 1).min(n) {
            sums.add(xs[i], ys[i]);
        }
        for end in p..=n {
            let i = end - 1;
            sums.add(xs[i], ys[i]);
            out[i] = Slot::new(sums.finish(&xs[end - p..end], &ys[end - p..end]));
        }
        self.sums = sums;
    }
}

/// Beta of the second series' returns on the first's over `period` returns
/// (TA-Lib BETA), by shifted sums re-anchored like TA-Lib 0.8's.
#[derive(Debug, Clone)]
pub struct Beta {
    xs: Ring,
    ys: Ring,
    seen: usize,
    sums: BetaSums,
}

/// The shifted return sums behind [`Beta`].
#[derive(Debug, Clone)]
struct BetaSums {
    period: usize,
    n: f64,
    last_x: f64,
    last_y: f64,
    trailing_last_x: f64,
    trailing_last_y: f64,
    shift_x: f64,
    shift_y: f64,
    s_xx: f64,
    /// Only scales the y-side outlier trigger.
    s_yy: f64,
    s_xy: f64,
    s_x: f64,
    s_y: f64,
    leaving_xx: f64,
    leaving_yy: f64,
    until_reseed: i64,
}

/// One return, `(price - prev)/prev - shift`, or `-shift` when `prev` is 0.
#[inline(always)]
fn shifted_return(price: f64, prev: f64, shift: f64) -> f64 {
    if prev != 0.0 {
        (price - prev) / prev - shift
    } else {
        -shift
    }
}

impl BetaSums {
    fn new(period: usize) -> Self {
        Self {
            period,
            n: period as f64,
            last_x: 0.0,
            last_y: 0.0,
            trailing_last_x: 0.0,
            trailing_last_y: 0.0,
            shift_x: 0.0,
            shift_y: 0.0,
            s_xx: 0.0,
            s_yy: 0.0,
            s_xy: 0.0,
            s_x: 0.0,
            s_y: 0.0,
            leaving_xx: 0.0,
            leaving_yy: 0.0,
            until_reseed: 32 * period as i64,
        }
    }

    /// The bar at index `today` of the series (0 = the first); `Some` once
    /// the window holds `period` returns, then `wx`/`wy` must hold the last
    /// `period + 1` prices, oldest first.
    #[inline(always)]
    fn step(&mut self, today: usize, px: f64, py: f64, wx: &[f64], wy: &[f64]) -> Option<f64> {
        if today == 0 {
            self.last_x = px;
            self.last_y = py;
            self.trailing_last_x = px;
            self.trailing_last_y = py;
            return None;
        }
        if today == 1 {
            if self.last_x != 0.0 {
                self.shift_x = (px - self.last_x) / self.last_x;
            }
            if self.last_y != 0.0 {
                self.shift_y = (py - self.last_y) / self.last_y;
            }
        }
        let x = shifted_return(px, self.last_x, self.shift_x);
        self.last_x = px;
        let y = shifted_return(py, self.last_y, self.shift_y);
        self.last_y = py;
        self.s_xx += x * x;
        self.s_yy += y * y;
        self.s_xy += x * y;
        self.s_x += x;
        self.s_y += y;
        if today < self.period {
            return None;
        }
        Some(self.finish(wx, wy))
    }

    #[inline(always)]
    fn finish(&mut self, wx: &[f64], wy: &[f64]) -> f64 {
        let mut scale = self.n * self.s_xx;
        let mut denom = scale - (self.s_x * self.s_x);
        self.until_reseed -= 1;
        if denom < 0.000001 * scale
            || self.leaving_xx > 1000.0 * self.s_xx
            || self.leaving_yy > 1000.0 * self.s_yy
            || self.until_reseed <= 0
        {
            (scale, denom) = self.rebuild(wx, wy);
        }
        // The return leaving the window, against the price before it.
        let (tx, ty) = (wx[1], wy[1]);
        let x = shifted_return(tx, self.trailing_last_x, self.shift_x);
        self.trailing_last_x = tx;
        let y = shifted_return(ty, self.trailing_last_y, self.shift_y);
        self.trailing_last_y = ty;
        let out = if denom > 0.000_000_000_000_01 * scale {
            ((self.n * self.s_xy) - (self.s_x * self.s_y)) / denom
        } else {
            0.0
        };
        self.leaving_xx = x * x;
        self.leaving_yy = y * y;
        self.s_xx -= x * x;
        self.s_yy -= y * y;
        self.s_xy -= x * y;
        self.s_x -= x;
        self.s_y -= y;
        out
    }

    /// Re-anchors on the window's mean returns; `(n*S_xx, denominator)`.
    #[inline(always)]
    fn rebuild(&mut self, wx: &[f64], wy: &[f64]) -> (f64, f64) {
        self.until_reseed = 32 * self.period as i64;
        let (mut prev_x, mut prev_y) = (self.trailing_last_x, self.trailing_last_y);
        let (mut mean_x, mut mean_y) = (0.0, 0.0);
        for (&px, &py) in wx[1..].iter().zip(&wy[1..]) {
            if prev_x != 0.0 {
                mean_x += (px - prev_x) / prev_x;
            }
            prev_x = px;
            if prev_y != 0.0 {
                mean_y += (py - prev_y) / prev_y;
            }
            prev_y = py;
        }
        self.shift_x = mean_x / self.n;
        self.shift_y = mean_y / self.n;
        let (mut prev_x, mut prev_y) = (self.trailing_last_x, self.trailing_last_y);
        self.s_xx = 0.0;
        self.s_yy = 0.0;
        self.s_xy = 0.0;
        self.s_x = 0.0;
        self.s_y = 0.0;
        for (&px, &py) in wx[1..].iter().zip(&wy[1..]) {
            let x = shifted_return(px, prev_x, self.shift_x);
            prev_x = px;
            let y = shifted_return(py, prev_y, self.shift_y);
            prev_y = py;
            self.s_xx += x * x;
            self.s_yy += y * y;
            self.s_xy += x * y;
            self.s_x += x;
            self.s_y += y;
        }
        let scale = self.n * self.s_xx;
        let mut denom = scale - (self.s_x * self.s_x);
        if denom < 0.0 {
            denom = 0.0;
        }
        (scale, denom)
    }
}

impl Beta {
    /// Over `period` (>= 1) returns.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            xs: Ring::new(period + 1),
            ys: Ring::new(period + 1),
            seen: 0,
            sums: BetaSums::new(period),
        }
    }
}

impl Indicator for Beta {
    type Input = [f64; 2];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.sums.period
    }

    #[inline(always)]
    fn update(&mut self, [px, py]: [f64; 2]) -> f64 {
        self.xs.push(px);
        self.ys.push(py);
        let today = self.seen;
        self.seen += 1;
        self.sums
            .step(today, px, py, self.xs.as_slice(), self.ys.as_slice())
            .unwrap_or(f64::NAN)
    }

    fn reset(&mut self) {
        *self = Self::new(self.sums.period);
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let (xs, ys) = (&inputs[0][start..], &inputs[1][start..]);
        let out = &mut outputs[0][start..];
        let n = xs.len().min(ys.len());
        let p = self.sums.period;
        // A local copy keeps the sums in registers across the loop.
        let mut sums = self.sums.clone();
        for i in 0..n {
            let from = i.saturating_sub(p);
            let value = sums.step(i, xs[i], ys[i], &xs[from..=i], &ys[from..=i]);
            out[i] = Slot::new(value.unwrap_or(f64::NAN));
        }
        self.sums = sums;
    }
}

#[cfg(test)]
mod tests {
    use super::super::core::testing::{assert_batch_equals_stream, walk};
    use super::*;

    #[test]
    fn batch_equals_stream() {
        for nans in [false, true] {
            let x = walk(1500, 61, nans);
            let y = walk(1500, 62, false);
            for p in [2, 5, 14, 30] {
                for out in [
                    LineOutput::Value,
                    LineOutput::Slope,
                    LineOutput::Intercept,
                    LineOutput::Angle,
                    LineOutput::Forecast,
                ] {
                    assert_batch_equals_stream(&LinearReg::new(out, p), &[&x]);
                }
                assert_batch_equals_stream(&Correl::new(p), &[&x, &y]);
                assert_batch_equals_stream(&Beta::new(p), &[&x, &y]);
            }
        }
    }

    #[test]
    fn slope_of_a_line_is_its_step() {
        let mut s = LinearReg::new(LineOutput::Slope, 4);
        let out: Vec<f64> = (0..8).map(|i| s.update(3.0 + 2.0 * i as f64)).collect();
        assert!(out[3..].iter().all(|&m| (m - 2.0).abs() < 1e-12));
    }
}

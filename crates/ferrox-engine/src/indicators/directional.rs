//! Wilder's directional movement: PLUS_DI, MINUS_DI, DX, ADX, ADXR.
//!
//! +DM/-DM and the true range are summed over the first `period - 1` bars,
//! then smoothed Wilder's way (`prev - prev/period + today`), as TA-Lib does.

use super::core::Indicator;
use super::is_zero;
use super::ring::Ring;

/// TA-Lib's true range of a bar given the previous close.
#[inline(always)]
pub(crate) fn true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    let mut out = high - low;
    let v = (high - prev_close).abs();
    if v > out {
        out = v;
    }
    let v = (low - prev_close).abs();
    if v > out {
        out = v;
    }
    out
}

/// The smoothed +DM, -DM and true range, shared by the DI/DX/ADX family.
#[derive(Debug, Clone)]
struct Movement {
    period: usize,
    seen: usize,
    prev_high: f64,
    prev_low: f64,
    prev_close: f64,
    minus_dm: f64,
    plus_dm: f64,
    tr: f64,
}

/// One bar's smoothed movement.
#[derive(Debug, Clone, Copy)]
struct Smoothed {
    minus_dm: f64,
    plus_dm: f64,
    tr: f64,
}

impl Smoothed {
    /// `(-DI, +DI)` in percent, if the true range allows it.
    #[inline(always)]
    fn di(self) -> Option<(f64, f64)> {
        // A sum of true ranges is zero only for an exactly flat window: test it
        // exactly (a fixed band would depend on the instrument's price scale).
        if self.tr.is_nan() || self.tr <= 0.0 {
            return None;
        }
        Some((
            100.0 * (self.minus_dm / self.tr),
            100.0 * (self.plus_dm / self.tr),
        ))
    }

    /// DX in percent, if both the true range and the DI sum allow it.
    #[inline(always)]
    fn dx(self) -> Option<f64> {
        let (minus, plus) = self.di()?;
        let sum = minus + plus;
        if is_zero(sum) {
            return None;
        }
        Some(100.0 * ((minus - plus).abs() / sum))
    }
}

impl Movement {
    fn new(period: usize) -> Self {
        Self {
            period: period.max(1),
            seen: 0,
            prev_high: 0.0,
            prev_low: 0.0,
            prev_close: 0.0,
            minus_dm: 0.0,
            plus_dm: 0.0,
            tr: 0.0,
        }
    }

    /// Feeds one bar; the smoothed values from bar `period` on.
    #[inline(always)]
    fn push(&mut self, high: f64, low: f64, close: f64) -> Option<Smoothed> {
        let today = self.seen;
        self.seen += 1;
        if today == 0 {
            self.prev_high = high;
            self.prev_low = low;
            self.prev_close = close;
            return None;
        }
        let diff_p = high - self.prev_high;
        self.prev_high = high;
        let diff_m = self.prev_low - low;
        self.prev_low = low;
        let p = self.period as f64;
        let smoothing = today >= self.period;
        if smoothing {
            self.minus_dm -= self.minus_dm / p;
            self.plus_dm -= self.plus_dm / p;
        }
        if diff_m > 0.0 && diff_p < diff_m {
            self.minus_dm += diff_m;
        } else if diff_p > 0.0 && diff_p > diff_m {
            self.plus_dm += diff_p;
        }
        let tr = true_range(high, low, self.prev_close);
        self.tr = if smoothing {
            self.tr - (self.tr / p) + tr
        } else {
            self.tr + tr
        };
        self.prev_close = close;
        smoothing.then_some(Smoothed {
            minus_dm: self.minus_dm,
            plus_dm: self.plus_dm,
            tr: self.tr,
        })
    }
}

/// Which directional index a [`Di`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// +DI.
    Plus,
    /// -DI.
    Minus,
}

/// +DI or -DI over `period` bars (TA-Lib PLUS_DI / MINUS_DI).
#[derive(Debug, Clone)]
pub struct Di {
    direction: Direction,
    movement: Movement,
}

impl Di {
    /// The `direction` index over `period` (>= 1) bars.
    pub fn new(direction: Direction, period: usize) -> Self {
        Self {
            direction,
            movement: Movement::new(period),
        }
    }

    /// Period 1: the raw one-bar DM over the true range (not in percent).
    fn unsmoothed(&mut self, high: f64, low: f64, close: f64) -> f64 {
        let m = &mut self.movement;
        let today = m.seen;
        m.seen += 1;
        let (prev_high, prev_low, prev_close) = (m.prev_high, m.prev_low, m.prev_close);
        m.prev_high = high;
        m.prev_low = low;
        m.prev_close = close;
        if today == 0 {
            return f64::NAN;
        }
        let diff_p = high - prev_high;
        let diff_m = prev_low - low;
        let moved = match self.direction {
            Direction::Minus if diff_m > 0.0 && diff_p < diff_m => diff_m,
            Direction::Plus if diff_p > 0.0 && diff_p > diff_m => diff_p,
            _ => return 0.0,
        };
        let tr = true_range(high, low, prev_close);
        if tr <= 0.0 {
            0.0
        } else {
            moved / tr
        }
    }
}

impl Indicator for Di {
    type Input = [f64; 3];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.movement.period
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close]: [f64; 3]) -> f64 {
        if self.movement.period == 1 {
            return self.unsmoothed(high, low, close);
        }
        match self.movement.push(high, low, close) {
            None => f64::NAN,
            Some(s) => match (s.di(), self.direction) {
                (None, _) => 0.0,
                (Some((minus, _)), Direction::Minus) => minus,
                (Some((_, plus)), Direction::Plus) => plus,
            },
        }
    }

    fn reset(&mut self) {
        self.movement = Movement::new(self.movement.period);
    }
}

/// Directional movement index over `period` bars (TA-Lib DX).
#[derive(Debug, Clone)]
pub struct Dx {
    movement: Movement,
    prev: f64,
}

impl Dx {
    /// Over `period` (>= 2) bars.
    pub fn new(period: usize) -> Self {
        Self {
            movement: Movement::new(period),
            prev: 0.0,
        }
    }
}

impl Indicator for Dx {
    type Input = [f64; 3];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.movement.period
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close]: [f64; 3]) -> f64 {
        let Some(s) = self.movement.push(high, low, close) else {
            return f64::NAN;
        };
        let first = self.movement.seen == self.movement.period + 1;
        // An undefined DX repeats the previous one (0 on the first bar).
        let dx = s.dx().unwrap_or(if first { 0.0 } else { self.prev });
        self.prev = dx;
        dx
    }

    fn reset(&mut self) {
        self.movement = Movement::new(self.movement.period);
        self.prev = 0.0;
    }
}

/// Average directional index over `period` bars (TA-Lib ADX).
#[derive(Debug, Clone)]
pub struct Adx {
    movement: Movement,
    sum_dx: f64,
    adx: f64,
}

impl Adx {
    /// Over `period` (>= 2) bars.
    pub fn new(period: usize) -> Self {
        Self {
            movement: Movement::new(period),
            sum_dx: 0.0,
            adx: 0.0,
        }
    }
}

impl Indicator for Adx {
    type Input = [f64; 3];
    type Output = f64;

    fn lookback(&self) -> usize {
        2 * self.movement.period - 1
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close]: [f64; 3]) -> f64 {
        let Some(s) = self.movement.push(high, low, close) else {
            return f64::NAN;
        };
        let p = self.movement.period;
        let today = self.movement.seen - 1;
        if today < 2 * p - 1 {
            if let Some(dx) = s.dx() {
                self.sum_dx += dx;
            }
            return f64::NAN;
        }
        if today == 2 * p - 1 {
            if let Some(dx) = s.dx() {
                self.sum_dx += dx;
            }
            self.adx = self.sum_dx / p as f64;
            return self.adx;
        }
        if let Some(dx) = s.dx() {
            self.adx = ((self.adx * (p - 1) as f64) + dx) / p as f64;
        }
        self.adx
    }

    fn reset(&mut self) {
        self.movement = Movement::new(self.movement.period);
        self.sum_dx = 0.0;
        self.adx = 0.0;
    }
}

/// ADX rating: the mean of today's ADX and the ADX `period - 1` bars ago.
#[derive(Debug, Clone)]
pub struct Adxr {
    adx: Adx,
    history: Ring,
    seen: usize,
}

impl Adxr {
    /// Over `period` (>= 2) bars.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            adx: Adx::new(period),
            history: Ring::new(period),
            seen: 0,
        }
    }
}

impl Indicator for Adxr {
    type Input = [f64; 3];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.adx.lookback() + self.history.cap() - 1
    }

    #[inline(always)]
    fn update(&mut self, bar: [f64; 3]) -> f64 {
        self.seen += 1;
        let adx = self.adx.update(bar);
        if self.seen <= self.adx.lookback() {
            return f64::NAN;
        }
        self.history.push(adx);
        if self.history.len() < self.history.cap() {
            return f64::NAN;
        }
        (adx + self.history.get(0)) / 2.0
    }

    fn reset(&mut self) {
        self.adx.reset();
        self.history.clear();
        self.seen = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::super::core::testing::{assert_batch_equals_stream, walk};
    use super::*;

    #[test]
    fn batch_equals_stream() {
        for nans in [false, true] {
            let c = walk(600, 31, nans);
            let h: Vec<f64> = c
                .iter()
                .enumerate()
                .map(|(i, v)| v + 0.4 + (i % 3) as f64 * 0.2)
                .collect();
            let l: Vec<f64> = c
                .iter()
                .enumerate()
                .map(|(i, v)| v - 0.4 - (i % 4) as f64 * 0.2)
                .collect();
            for p in [1, 2, 5, 14] {
                assert_batch_equals_stream(&Di::new(Direction::Plus, p), &[&h, &l, &c]);
                assert_batch_equals_stream(&Di::new(Direction::Minus, p), &[&h, &l, &c]);
                let q = p.max(2);
                assert_batch_equals_stream(&Dx::new(q), &[&h, &l, &c]);
                assert_batch_equals_stream(&Adx::new(q), &[&h, &l, &c]);
                assert_batch_equals_stream(&Adxr::new(q), &[&h, &l, &c]);
            }
        }
    }
}

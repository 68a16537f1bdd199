//! Wilder's Parabolic SAR (TA-Lib SAR).
//!
//! TA-Lib consumes the first bar: the initial direction is short when the
//! second bar's -DM is positive (its low falls below the first bar's by more
//! than its high rises), long otherwise, and the first SAR is the first bar's
//! low (long) or high (short).

use super::core::Indicator;
use super::fma;

/// Parabolic SAR with acceleration step `acceleration` capped at `maximum`.
#[derive(Debug, Clone)]
pub struct Sar {
    step: f64,
    maximum: f64,
    seen: usize,
    first_high: f64,
    first_low: f64,
    is_long: bool,
    af: f64,
    ep: f64,
    sar: f64,
    new_high: f64,
    new_low: f64,
}

impl Sar {
    /// A SAR; an `acceleration` above `maximum` is lowered to it, as TA-Lib does.
    pub fn new(acceleration: f64, maximum: f64) -> Self {
        let step = if acceleration > maximum {
            maximum
        } else {
            acceleration
        };
        Self {
            step,
            maximum,
            seen: 0,
            first_high: 0.0,
            first_low: 0.0,
            is_long: true,
            af: step,
            ep: 0.0,
            sar: 0.0,
            new_high: 0.0,
            new_low: 0.0,
        }
    }
}

impl Indicator for Sar {
    type Input = [f64; 2];
    type Output = f64;

    fn lookback(&self) -> usize {
        1
    }

    #[inline(always)]
    fn update(&mut self, [high, low]: [f64; 2]) -> f64 {
        let today = self.seen;
        self.seen += 1;
        if today == 0 {
            self.first_high = high;
            self.first_low = low;
            return f64::NAN;
        }
        if today == 1 {
            let diff_p = high - self.first_high;
            let diff_m = self.first_low - low;
            let minus_dm = if diff_m > 0.0 && diff_p < diff_m {
                diff_m
            } else {
                0.0
            };
            self.is_long = minus_dm <= 0.0;
            if self.is_long {
                self.ep = high;
                self.sar = self.first_low;
            } else {
                self.ep = low;
                self.sar = self.first_high;
            }
            // The first step compares against the bar itself.
            self.new_low = low;
            self.new_high = high;
        }
        let prev_low = self.new_low;
        let prev_high = self.new_high;
        self.new_low = low;
        self.new_high = high;
        let (step, maximum) = (self.step, self.maximum);
        if self.is_long {
            if low <= self.sar {
                self.is_long = false;
                let mut sar = self.ep;
                if sar < prev_high {
                    sar = prev_high;
                }
                if sar < high {
                    sar = high;
                }
                let out = sar;
                self.af = step;
                self.ep = low;
                sar = fma(self.af, self.ep - sar, sar);
                if sar < prev_high {
                    sar = prev_high;
                }
                if sar < high {
                    sar = high;
                }
                self.sar = sar;
                out
            } else {
                let out = self.sar;
                if high > self.ep {
                    self.ep = high;
                    self.af += step;
                    if self.af > maximum {
                        self.af = maximum;
                    }
                }
                let sar = fma(self.af, self.ep - self.sar, self.sar);
                self.sar = cap::<true>(sar, prev_low, low);
                out
            }
        } else if high >= self.sar {
            self.is_long = true;
            let mut sar = self.ep;
            if sar > prev_low {
                sar = prev_low;
            }
            if sar > low {
                sar = low;
            }
            let out = sar;
            self.af = step;
            self.ep = high;
            sar = fma(self.af, self.ep - sar, sar);
            if sar > prev_low {
                sar = prev_low;
            }
            if sar > low {
                sar = low;
            }
            self.sar = sar;
            out
        } else {
            let out = self.sar;
            if low < self.ep {
                self.ep = low;
                self.af += step;
                if self.af > maximum {
                    self.af = maximum;
                }
            }
            let sar = fma(self.af, self.ep - self.sar, self.sar);
            self.sar = cap::<false>(sar, prev_high, high);
            out
        }
    }

    fn reset(&mut self) {
        *self = Self::new(self.step, self.maximum);
    }
}

/// `sar` held within the last two bars' range: lowered to `a` if above it,
/// then to `b` if above that (`ABOVE`; else raised, mirrored).
///
/// The caps combine first, off the bar-to-bar dependency chain, leaving one
/// comparison on it; the result is the same, NaNs included (a NaN cap never
/// applies, a NaN `sar` stays).
#[inline(always)]
fn cap<const ABOVE: bool>(sar: f64, a: f64, b: f64) -> f64 {
    let beyond = |x: f64, limit: f64| if ABOVE { x > limit } else { x < limit };
    let limit = if a.is_nan() || beyond(a, b) { b } else { a };
    if beyond(sar, limit) {
        limit
    } else {
        sar
    }
}

#[cfg(test)]
mod tests {
    use super::super::core::testing::{assert_batch_equals_stream, walk};
    use super::*;

    #[test]
    fn batch_equals_stream() {
        for nans in [false, true] {
            let c = walk(800, 71, nans);
            let h: Vec<f64> = c.iter().map(|v| v + 0.5).collect();
            let l: Vec<f64> = c.iter().map(|v| v - 0.5).collect();
            assert_batch_equals_stream(&Sar::new(0.02, 0.2), &[&h, &l]);
            assert_batch_equals_stream(&Sar::new(0.3, 0.2), &[&h, &l]);
        }
    }
}

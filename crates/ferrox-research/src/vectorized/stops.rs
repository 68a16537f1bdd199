//! Stop-loss, trailing-stop and take-profit exits of one column.
//!
//! Levels are fractions of the entry's market price (the trailing stop: of
//! the best price since entry). With high and low a stop triggers inside the
//! bar and fills at its level, or at the open when the bar gaps through it;
//! without them it is checked on the close and exits like a signal. When a
//! stop and the take-profit could both have triggered in one bar the stop is
//! taken (the bar's path is unknown, so assume the worse). The trailing
//! extreme moves after the bar's check, so a bar's own high cannot both raise
//! the stop and trigger it.

use super::Reason;

/// A triggered stop.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Hit {
    /// Fill inside the bar at this price.
    At(f64, Reason),
    /// Exit at the bar's close, like a signal.
    OnClose(Reason),
}

/// One bar's prices for the check (NaN = not given).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bar {
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
}

/// The armed stops of one column.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stops {
    active: bool,
    dir: f64,
    anchor: f64,
    extreme: f64,
    first_row: usize,
    sl: f64,
    tp: f64,
    tsl: f64,
}

impl Default for Stops {
    fn default() -> Self {
        Self {
            active: false,
            dir: 0.0,
            anchor: f64::NAN,
            extreme: f64::NAN,
            first_row: 0,
            sl: f64::NAN,
            tp: f64::NAN,
            tsl: f64::NAN,
        }
    }
}

impl Stops {
    /// Arms the stops for a position of sign `dir` entered at market price
    /// `price`; they are first checked on `first_row`.
    pub fn arm(&mut self, dir: f64, price: f64, first_row: usize, sl: f64, tp: f64, tsl: f64) {
        self.active = !(sl.is_nan() && tp.is_nan() && tsl.is_nan());
        self.dir = dir;
        self.anchor = price;
        self.extreme = price;
        self.first_row = first_row;
        self.sl = sl;
        self.tp = tp;
        self.tsl = tsl;
    }

    /// Disarms (the position is closed).
    pub fn clear(&mut self) {
        self.active = false;
    }

    /// Whether any stop is armed.
    pub fn active(&self) -> bool {
        self.active
    }

    /// The protective level (stop-loss or trailing, whichever is nearer to
    /// the price) and which one it is.
    fn stop_level(&self) -> (f64, Reason) {
        let sl = self.anchor * (1.0 - self.dir * self.sl);
        let tsl = self.extreme * (1.0 - self.dir * self.tsl);
        // NaN levels lose every comparison, so the other level is taken.
        let tsl_nearer = if self.dir > 0.0 { tsl > sl } else { tsl < sl };
        if tsl_nearer || sl.is_nan() {
            (tsl, Reason::TrailingStop)
        } else {
            (sl, Reason::StopLoss)
        }
    }

    /// Checks bar `row`; returns the stop that triggered, if any.
    pub fn check(&mut self, row: usize, bar: Bar) -> Option<Hit> {
        if !self.active || row < self.first_row {
            return None;
        }
        let (stop, stop_reason) = self.stop_level();
        let tp = self.anchor * (1.0 + self.dir * self.tp);
        let d = self.dir;
        // Prices in the position's favour are larger after multiplying by dir.
        let hit = if !bar.high.is_nan() && !bar.low.is_nan() {
            let (worst, best) = if d > 0.0 {
                (bar.low, bar.high)
            } else {
                (bar.high, bar.low)
            };
            if !bar.open.is_nan() && d * bar.open <= d * stop {
                Some(Hit::At(bar.open, stop_reason))
            } else if !bar.open.is_nan() && d * bar.open >= d * tp {
                Some(Hit::At(bar.open, Reason::TakeProfit))
            } else if d * worst <= d * stop {
                Some(Hit::At(stop, stop_reason))
            } else if d * best >= d * tp {
                Some(Hit::At(tp, Reason::TakeProfit))
            } else {
                None
            }
        } else if bar.close.is_nan() {
            None
        } else if d * bar.close <= d * stop {
            Some(Hit::OnClose(stop_reason))
        } else if d * bar.close >= d * tp {
            Some(Hit::OnClose(Reason::TakeProfit))
        } else {
            None
        };
        if hit.is_none() {
            let best = if bar.high.is_nan() || bar.low.is_nan() {
                bar.close
            } else if d > 0.0 {
                bar.high
            } else {
                bar.low
            };
            if d * best > d * self.extreme {
                self.extreme = best;
            }
        }
        hit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(open: f64, high: f64, low: f64, close: f64) -> Bar {
        Bar {
            open,
            high,
            low,
            close,
        }
    }

    #[test]
    fn long_stop_loss_fills_at_its_level_inside_the_bar() {
        let mut s = Stops::default();
        s.arm(1.0, 100.0, 1, 0.1, f64::NAN, f64::NAN);
        assert_eq!(
            s.check(1, bar(99.0, 99.5, 89.0, 95.0)),
            Some(Hit::At(90.0, Reason::StopLoss))
        );
    }

    #[test]
    fn a_gap_through_the_stop_fills_at_the_open() {
        let mut s = Stops::default();
        s.arm(1.0, 100.0, 1, 0.1, f64::NAN, f64::NAN);
        assert_eq!(
            s.check(1, bar(85.0, 86.0, 80.0, 82.0)),
            Some(Hit::At(85.0, Reason::StopLoss))
        );
    }

    #[test]
    fn short_take_profit_triggers_on_the_low() {
        let mut s = Stops::default();
        s.arm(-1.0, 100.0, 1, f64::NAN, 0.05, f64::NAN);
        assert_eq!(
            s.check(1, bar(99.0, 101.0, 94.0, 96.0)),
            Some(Hit::At(95.0, Reason::TakeProfit))
        );
    }

    #[test]
    fn trailing_stop_follows_the_high_of_earlier_bars() {
        let mut s = Stops::default();
        s.arm(1.0, 100.0, 1, f64::NAN, f64::NAN, 0.1);
        assert_eq!(s.check(1, bar(100.0, 120.0, 100.0, 118.0)), None);
        assert_eq!(
            s.check(2, bar(118.0, 118.0, 107.0, 110.0)),
            Some(Hit::At(108.0, Reason::TrailingStop))
        );
    }

    #[test]
    fn without_high_and_low_the_close_is_checked() {
        let mut s = Stops::default();
        s.arm(1.0, 100.0, 1, 0.1, f64::NAN, f64::NAN);
        let nan = f64::NAN;
        assert_eq!(s.check(1, bar(nan, nan, nan, 91.0)), None);
        assert_eq!(
            s.check(2, bar(nan, nan, nan, 90.0)),
            Some(Hit::OnClose(Reason::StopLoss))
        );
    }

    #[test]
    fn stops_wait_for_their_first_row() {
        let mut s = Stops::default();
        s.arm(1.0, 100.0, 5, 0.1, f64::NAN, f64::NAN);
        assert_eq!(s.check(4, bar(50.0, 50.0, 50.0, 50.0)), None);
    }
}

//! What imbalance and run bars share: the trade sign b_t, the measure v_t and
//! the exponentially weighted expectations (López de Prado, *Advances in
//! Financial Machine Learning*, 2.3.2).

use super::bar::Trade;
use super::spec::{InfoParams, Measure};
use crate::types::AggressorSide;

/// The sign b_t of a trade: +1 when the buyer initiated, −1 when the seller
/// did; when the venue does not say, the tick rule: the sign of the price
/// change, or the previous tick-rule sign when the price did not change
/// (0 until the price first moves).
///
/// The tick rule runs on every trade's price, so trades with a known side
/// do not interrupt it.
#[derive(Debug, Clone, Default)]
pub(crate) struct TradeSign {
    last_price: i64,
    rule_sign: i8,
    started: bool,
}

impl TradeSign {
    #[inline(always)]
    pub(crate) fn sign(&mut self, t: &Trade) -> f64 {
        if self.started {
            if t.price > self.last_price {
                self.rule_sign = 1;
            } else if t.price < self.last_price {
                self.rule_sign = -1;
            }
        }
        self.started = true;
        self.last_price = t.price;
        match t.side {
            AggressorSide::Buyer => 1.0,
            AggressorSide::Seller => -1.0,
            AggressorSide::NoAggressor => f64::from(self.rule_sign),
        }
    }
}

/// v_t: 1 for tick bars, the raw size for volume bars, raw price × raw size
/// for value bars (as floats: these feed estimates, not exact sums).
#[inline(always)]
pub(crate) fn measure_of(measure: Measure, t: &Trade) -> f64 {
    match measure {
        Measure::Tick => 1.0,
        Measure::Volume => t.size as f64,
        Measure::Value => t.price as f64 * t.size as f64,
    }
}

/// An exponentially weighted moving average `m ← (1 − α)·m + α·x`,
/// `α = 2 / (span + 1)`, seeded with its first observation: what
/// `pandas.Series.ewm(span=span, adjust=False).mean()` computes, operation
/// for operation. Reads 0 before any observation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ewma {
    alpha: f64,
    value: f64,
    seeded: bool,
}

impl Ewma {
    pub(crate) fn with_span(span: f64) -> Self {
        Self {
            alpha: 2.0 / (span + 1.0),
            value: 0.0,
            seeded: false,
        }
    }

    #[inline(always)]
    pub(crate) fn update(&mut self, x: f64) {
        if self.seeded {
            self.value = (1.0 - self.alpha) * self.value + self.alpha * x;
        } else {
            self.value = x;
            self.seeded = true;
        }
    }

    #[inline(always)]
    pub(crate) fn value(&self) -> f64 {
        self.value
    }
}

/// E0[T], the expected number of trades per bar: an EWMA over the lengths of
/// finished bars (span `span` bars), seeded with `expected` and kept within
/// `[min, max]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExpectedTrades {
    ewma: Ewma,
    min: f64,
    max: f64,
}

impl ExpectedTrades {
    pub(crate) fn new(p: &InfoParams) -> Self {
        let mut ewma = Ewma::with_span(p.span);
        ewma.update(p.expected);
        Self {
            ewma,
            min: p.min,
            max: p.max,
        }
    }

    pub(crate) fn bar_closed(&mut self, trades: u64) {
        self.ewma.update(trades as f64);
        self.ewma.value = self.ewma.value.clamp(self.min, self.max);
    }

    #[inline(always)]
    pub(crate) fn value(&self) -> f64 {
        self.ewma.value
    }
}

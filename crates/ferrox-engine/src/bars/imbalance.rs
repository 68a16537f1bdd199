//! Tick, volume and value imbalance bars (López de Prado, *Advances in
//! Financial Machine Learning*, 2.3.2.1–2.3.2.2).
//!
//! The imbalance of a bar after T trades is θ_T = Σ_{t=1..T} b_t·v_t. The bar
//! closes at the first T where
//!
//! ```text
//! |θ_T| ≥ E0[T] · |E0[b_t·v_t]|   ( = E0[T]·|2P[b_t=1] − 1|·E0[v_t] for tick bars )
//! ```
//!
//! with both expectations taken at the start of the bar: E0[T] an EWMA over
//! the lengths of previous bars, E0[b·v] an EWMA over the b·v of previous
//! trades (span `window`). Warm-up: the first bar cannot close before
//! `expected` trades; at that trade E0[b·v] is read from the trades so far
//! and the rule applies from then on.

use super::bar::{Accumulator, OhlcvBar, Trade};
use super::info::{measure_of, Ewma, ExpectedTrades, TradeSign};
use super::spec::{InfoParams, Measure};
use super::Aggregate;

/// Streaming imbalance-bar aggregator.
#[derive(Debug, Clone)]
pub struct ImbalanceBars {
    measure: Measure,
    sign: TradeSign,
    acc: Accumulator,
    expected: ExpectedTrades,
    signed_measure: Ewma,
    theta: f64,
    /// E0[T]·|E0[b·v]| for the open bar; NaN during the warm-up.
    threshold: f64,
}

impl ImbalanceBars {
    /// Imbalance bars of `measure` with `params`.
    pub fn new(measure: Measure, params: &InfoParams) -> Self {
        Self {
            measure,
            sign: TradeSign::default(),
            acc: Accumulator::default(),
            expected: ExpectedTrades::new(params),
            signed_measure: Ewma::with_span(params.window),
            theta: 0.0,
            threshold: f64::NAN,
        }
    }

    fn next_threshold(&self) -> f64 {
        self.expected.value() * self.signed_measure.value().abs()
    }

    /// The running imbalance θ of the open bar.
    pub fn imbalance(&self) -> f64 {
        self.theta
    }

    /// The threshold |θ| must reach to close the open bar (NaN during the warm-up).
    pub fn threshold(&self) -> f64 {
        self.threshold
    }
}

impl Aggregate for ImbalanceBars {
    #[inline(always)]
    fn update(&mut self, trade: &Trade) -> Option<OhlcvBar> {
        let bv = self.sign.sign(trade) * measure_of(self.measure, trade);
        self.signed_measure.update(bv);
        self.theta += bv;
        self.acc.add(trade);
        if self.threshold.is_nan() {
            if (self.acc.bar().trade_count as f64) < self.expected.value() {
                return None;
            }
            self.threshold = self.next_threshold();
        }
        if self.theta.abs() < self.threshold {
            return None;
        }
        let bar = self.acc.take_spanned();
        self.expected.bar_closed(bar.trade_count);
        self.threshold = self.next_threshold();
        self.theta = 0.0;
        Some(bar)
    }

    fn flush(&mut self) -> Option<OhlcvBar> {
        if self.acc.is_empty() {
            return None;
        }
        self.theta = 0.0;
        Some(self.acc.take_spanned())
    }

    fn overflowed(&self) -> bool {
        self.acc.overflowed()
    }
}

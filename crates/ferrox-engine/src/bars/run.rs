//! Tick, volume and value run bars (López de Prado, *Advances in Financial
//! Machine Learning*, 2.3.2.3).
//!
//! A bar's run after T trades is θ_T = max(Σ_{b_t=1} v_t, Σ_{b_t=−1} v_t):
//! the larger of the buy-initiated and sell-initiated measure (counts, not
//! consecutive runs, as in the book). The bar closes at the first T where
//!
//! ```text
//! θ_T ≥ E0[T] · max(P[b_t=1]·E0[v_t | b_t=1], (1 − P[b_t=1])·E0[v_t | b_t=−1])
//! ```
//!
//! with E0[T] an EWMA over previous bar lengths, and P[b_t=1],
//! E0[v|b=1], E0[v|b=−1] EWMAs over previous trades (span `window`; the
//! conditional ones over buy or sell trades only, 0 until one is seen).
//! Warm-up as for imbalance bars: the first bar cannot close before
//! `expected` trades.

use super::bar::{Accumulator, OhlcvBar, Trade};
use super::info::{measure_of, Ewma, ExpectedTrades, TradeSign};
use super::spec::{InfoParams, Measure};
use super::Aggregate;

/// Streaming run-bar aggregator.
#[derive(Debug, Clone)]
pub struct RunBars {
    measure: Measure,
    sign: TradeSign,
    acc: Accumulator,
    expected: ExpectedTrades,
    buy_probability: Ewma,
    buy_measure: Ewma,
    sell_measure: Ewma,
    buys: f64,
    sells: f64,
    /// The threshold of the open bar; NaN during the warm-up.
    threshold: f64,
}

impl RunBars {
    /// Run bars of `measure` with `params`.
    pub fn new(measure: Measure, params: &InfoParams) -> Self {
        Self {
            measure,
            sign: TradeSign::default(),
            acc: Accumulator::default(),
            expected: ExpectedTrades::new(params),
            buy_probability: Ewma::with_span(params.window),
            buy_measure: Ewma::with_span(params.window),
            sell_measure: Ewma::with_span(params.window),
            buys: 0.0,
            sells: 0.0,
            threshold: f64::NAN,
        }
    }

    fn next_threshold(&self) -> f64 {
        let p = self.buy_probability.value();
        let buy = p * self.buy_measure.value();
        let sell = (1.0 - p) * self.sell_measure.value();
        self.expected.value() * buy.max(sell)
    }

    /// The running θ of the open bar.
    pub fn run(&self) -> f64 {
        self.buys.max(self.sells)
    }

    /// The threshold θ must reach to close the open bar (NaN during the warm-up).
    pub fn threshold(&self) -> f64 {
        self.threshold
    }
}

impl Aggregate for RunBars {
    #[inline(always)]
    fn update(&mut self, trade: &Trade) -> Option<OhlcvBar> {
        let b = self.sign.sign(trade);
        let v = measure_of(self.measure, trade);
        self.buy_probability.update(if b > 0.0 { 1.0 } else { 0.0 });
        if b > 0.0 {
            self.buy_measure.update(v);
            self.buys += v;
        } else if b < 0.0 {
            self.sell_measure.update(v);
            self.sells += v;
        }
        self.acc.add(trade);
        if self.threshold.is_nan() {
            if (self.acc.bar().trade_count as f64) < self.expected.value() {
                return None;
            }
            self.threshold = self.next_threshold();
        }
        if self.buys.max(self.sells) < self.threshold {
            return None;
        }
        let bar = self.acc.take_spanned();
        self.expected.bar_closed(bar.trade_count);
        self.threshold = self.next_threshold();
        self.buys = 0.0;
        self.sells = 0.0;
        Some(bar)
    }

    fn flush(&mut self) -> Option<OhlcvBar> {
        if self.acc.is_empty() {
            return None;
        }
        self.buys = 0.0;
        self.sells = 0.0;
        Some(self.acc.take_spanned())
    }

    fn overflowed(&self) -> bool {
        self.acc.overflowed()
    }
}

//! Tick, volume and value bars: a bar closes with the trade that makes its
//! count, volume or value (Σ price × size) reach the threshold. Trades are
//! never split, so a bar may overshoot by the last trade's size.

use super::bar::{Accumulator, OhlcvBar, Trade};
use super::Aggregate;

/// What closes a threshold bar, in raw units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// This many trades.
    Ticks(u64),
    /// This much raw volume.
    Volume(i64),
    /// This much Σ raw price × raw size (raw at price + size precision).
    Value(i128),
}

/// Streaming tick/volume/value bar aggregator.
#[derive(Debug, Clone)]
pub struct ThresholdBars {
    threshold: Threshold,
    acc: Accumulator,
}

impl ThresholdBars {
    /// Bars closing at `threshold`.
    pub fn new(threshold: Threshold) -> Self {
        Self {
            threshold,
            acc: Accumulator::default(),
        }
    }
}

impl Aggregate for ThresholdBars {
    #[inline(always)]
    fn update(&mut self, trade: &Trade) -> Option<OhlcvBar> {
        self.acc.add(trade);
        let bar = self.acc.bar();
        let reached = match self.threshold {
            Threshold::Ticks(n) => bar.trade_count >= n,
            Threshold::Volume(v) => bar.volume >= v,
            Threshold::Value(v) => bar.value >= v,
        };
        reached.then(|| self.acc.take_spanned())
    }

    fn flush(&mut self) -> Option<OhlcvBar> {
        (!self.acc.is_empty()).then(|| self.acc.take_spanned())
    }

    fn overflowed(&self) -> bool {
        self.acc.overflowed()
    }
}

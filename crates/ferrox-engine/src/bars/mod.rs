//! Bars: trades (or quotes) aggregated into OHLCV bars.
//!
//! Kinds: time bars aligned to the UTC epoch ([`TimeBars`]); tick, volume and
//! value bars ([`ThresholdBars`]); tick/volume/value imbalance bars
//! ([`ImbalanceBars`]) and run bars ([`RunBars`]) after López de Prado,
//! *Advances in Financial Machine Learning*, 2.3.2. A spec string
//! ([`BarSpec`]) names the kind and its parameters.
//!
//! Every aggregator is a streaming state machine ([`Aggregate`]): one trade
//! in, at most one finished bar out, no allocation; batch aggregation
//! ([`batch`]) runs the same machine over columns. Prices, volumes and
//! Σ price × size are exact integers; only the analytics derived from them
//! (value in quote units, VWAP) are floats.

mod bar;
pub mod batch;
mod imbalance;
mod info;
mod run;
pub mod source;
pub mod spec;
mod threshold;
mod time;

#[cfg(test)]
mod tests;

pub use bar::{OhlcvBar, Trade};
pub use batch::{aggregate_quotes, aggregate_trades, BatchError, QuoteColumns, TradeColumns};
pub use imbalance::ImbalanceBars;
pub use run::RunBars;
pub use source::Source;
pub use spec::{BarSpec, InfoParams, Measure, ResolvedSpec, SpecError};
pub use threshold::{Threshold, ThresholdBars};
pub use time::TimeBars;

/// A streaming bar aggregator: trades go in one at a time, in time order.
pub trait Aggregate {
    /// Adds one trade; returns the bar it closed, if any. After a `Some`, call
    /// [`Aggregate::next_pending`] until `None` (time bars with empty bars may
    /// have closed several), or use [`Aggregate::feed`] which does.
    fn update(&mut self, trade: &Trade) -> Option<OhlcvBar>;

    /// Further bars closed by the last update (empty time bars), in order.
    fn next_pending(&mut self) -> Option<OhlcvBar> {
        None
    }

    /// Ends the stream: returns the open, partial bar, if it holds a trade.
    fn flush(&mut self) -> Option<OhlcvBar>;

    /// Whether an exact sum overflowed (bars are then wrong: report it).
    fn overflowed(&self) -> bool;

    /// Adds one trade and hands every bar it closed to `emit`, in order.
    #[inline(always)]
    fn feed(&mut self, trade: &Trade, emit: &mut impl FnMut(OhlcvBar))
    where
        Self: Sized,
    {
        if let Some(bar) = self.update(trade) {
            emit(bar);
            while let Some(bar) = self.next_pending() {
                emit(bar);
            }
        }
    }
}

/// Feeds every trade and flushes: the batch form of any aggregator.
#[inline]
pub fn drive<A: Aggregate>(
    aggregator: &mut A,
    trades: impl Iterator<Item = Trade>,
    out: &mut Vec<OhlcvBar>,
) {
    let mut emit = |bar| out.push(bar);
    for trade in trades {
        aggregator.feed(&trade, &mut emit);
    }
    if let Some(bar) = aggregator.flush() {
        out.push(bar);
    }
}

/// Any aggregator, chosen by a spec.
#[derive(Debug, Clone)]
pub enum BarAggregator {
    /// Time bars.
    Time(TimeBars),
    /// Tick, volume or value bars.
    Threshold(ThresholdBars),
    /// Imbalance bars.
    Imbalance(ImbalanceBars),
    /// Run bars.
    Run(RunBars),
}

impl BarAggregator {
    /// The aggregator a spec describes, thresholds converted at the
    /// precisions of the prices and sizes it will be fed. `empty_bars`
    /// applies to time bars only.
    pub fn new(
        spec: &BarSpec,
        price_precision: Option<u8>,
        size_precision: Option<u8>,
        empty_bars: bool,
    ) -> Result<Self, SpecError> {
        if empty_bars && !spec.is_time() {
            return Err(SpecError {
                spec: spec.to_string(),
                position: None,
                message: "empty bars apply to time bars only".into(),
            });
        }
        Ok(match spec.resolve(price_precision, size_precision)? {
            ResolvedSpec::Time { interval } => {
                BarAggregator::Time(TimeBars::new(interval, empty_bars))
            }
            ResolvedSpec::Tick(n) => {
                BarAggregator::Threshold(ThresholdBars::new(Threshold::Ticks(n)))
            }
            ResolvedSpec::Volume(v) => {
                BarAggregator::Threshold(ThresholdBars::new(Threshold::Volume(v)))
            }
            ResolvedSpec::Value(v) => {
                BarAggregator::Threshold(ThresholdBars::new(Threshold::Value(v)))
            }
            ResolvedSpec::Imbalance(m, p) => BarAggregator::Imbalance(ImbalanceBars::new(m, &p)),
            ResolvedSpec::Run(m, p) => BarAggregator::Run(RunBars::new(m, &p)),
        })
    }

    /// [`drive`] with the kind dispatched once, not per trade.
    pub fn run(&mut self, trades: impl Iterator<Item = Trade>, out: &mut Vec<OhlcvBar>) {
        match self {
            BarAggregator::Time(a) => drive(a, trades, out),
            BarAggregator::Threshold(a) => drive(a, trades, out),
            BarAggregator::Imbalance(a) => drive(a, trades, out),
            BarAggregator::Run(a) => drive(a, trades, out),
        }
    }
}

impl Aggregate for BarAggregator {
    #[inline]
    fn update(&mut self, trade: &Trade) -> Option<OhlcvBar> {
        match self {
            BarAggregator::Time(a) => a.update(trade),
            BarAggregator::Threshold(a) => a.update(trade),
            BarAggregator::Imbalance(a) => a.update(trade),
            BarAggregator::Run(a) => a.update(trade),
        }
    }

    fn next_pending(&mut self) -> Option<OhlcvBar> {
        match self {
            BarAggregator::Time(a) => a.next_pending(),
            BarAggregator::Threshold(a) => a.next_pending(),
            BarAggregator::Imbalance(a) => a.next_pending(),
            BarAggregator::Run(a) => a.next_pending(),
        }
    }

    fn flush(&mut self) -> Option<OhlcvBar> {
        match self {
            BarAggregator::Time(a) => a.flush(),
            BarAggregator::Threshold(a) => a.flush(),
            BarAggregator::Imbalance(a) => a.flush(),
            BarAggregator::Run(a) => a.flush(),
        }
    }

    fn overflowed(&self) -> bool {
        match self {
            BarAggregator::Time(a) => a.overflowed(),
            BarAggregator::Threshold(a) => a.overflowed(),
            BarAggregator::Imbalance(a) => a.overflowed(),
            BarAggregator::Run(a) => a.overflowed(),
        }
    }
}

//! The data engine: indicators updated on every bar, and bars built from
//! trades, that strategies subscribe to.

use super::core::{EngineCore, EngineError};
use crate::bars::{Aggregate, BarAggregator, OhlcvBar};
use crate::indicators::registry::{build, AnyStream};
use crate::types::Bar;

/// Which input of a bar an indicator reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarInput {
    /// Open.
    Open,
    /// High.
    High,
    /// Low.
    Low,
    /// Close.
    Close,
    /// Volume.
    Volume,
}

/// An indicator the data engine updates on every bar of its instrument.
#[derive(Debug, Clone)]
pub(crate) struct IndicatorSlot {
    pub instrument: u32,
    pub inputs: Vec<BarInput>,
    pub stream: AnyStream,
    pub input_buf: Vec<f64>,
    pub values: Vec<f64>,
    pub count: u64,
    pub lookback: u64,
}

/// Bars the data engine builds from an instrument's trades.
#[derive(Debug, Clone)]
pub(crate) struct BarBuilder {
    pub instrument: u32,
    pub aggregator: BarAggregator,
}

impl BarBuilder {
    fn aggregator_feed(&mut self, trade: &crate::bars::Trade, emit: &mut impl FnMut(OhlcvBar)) {
        match &mut self.aggregator {
            BarAggregator::Time(a) => a.feed(trade, emit),
            BarAggregator::Threshold(a) => a.feed(trade, emit),
            BarAggregator::Imbalance(a) => a.feed(trade, emit),
            BarAggregator::Run(a) => a.feed(trade, emit),
        }
    }
}

impl EngineCore {
    /// The last bar of `instrument` (from the feed or built from trades).
    pub fn last_bar(&self, instrument: u32) -> Option<&Bar> {
        self.last_bar.get(instrument as usize)?.as_ref()
    }

    /// Current values of indicator `handle` (NaN during its warm-up).
    pub fn indicator_values(&self, handle: usize) -> Option<&[f64]> {
        self.indicators.get(handle).map(|s| s.values.as_slice())
    }

    /// Whether indicator `handle` is past its warm-up.
    pub fn indicator_ready(&self, handle: usize) -> bool {
        self.indicators
            .get(handle)
            .is_some_and(|s| s.count > s.lookback && !s.values[0].is_nan())
    }

    /// Updates indicator `name` (TA-Lib name and parameters, see
    /// `indicators::registry`) on every bar of `instrument`, reading `inputs`
    /// (defaults to close, or high/low/close... by the indicator's inputs).
    /// Returns its handle.
    pub fn add_indicator(
        &mut self,
        instrument: u32,
        name: &str,
        params: &[f64],
        inputs: Option<Vec<BarInput>>,
    ) -> Result<usize, EngineError> {
        if instrument as usize >= self.instruments.len() {
            return Err(EngineError::UnknownInstrument(instrument));
        }
        let indicator = build(name, params).map_err(|e| EngineError::Indicator {
            name: name.to_string(),
            message: e.to_string(),
        })?;
        let n_in = indicator.n_inputs();
        let inputs = match inputs {
            Some(v) if v.len() != n_in => {
                return Err(EngineError::Indicator {
                    name: name.to_string(),
                    message: format!("takes {n_in} inputs, {} given", v.len()),
                })
            }
            Some(v) => v,
            None => match n_in {
                1 => vec![BarInput::Close],
                2 => vec![BarInput::High, BarInput::Low],
                3 => vec![BarInput::High, BarInput::Low, BarInput::Close],
                4 => vec![
                    BarInput::High,
                    BarInput::Low,
                    BarInput::Close,
                    BarInput::Volume,
                ],
                _ => vec![
                    BarInput::Open,
                    BarInput::High,
                    BarInput::Low,
                    BarInput::Close,
                    BarInput::Volume,
                ],
            },
        };
        let lookback = indicator.lookback() as u64;
        let n_out = indicator.n_outputs();
        self.indicators.push(IndicatorSlot {
            instrument,
            input_buf: vec![0.0; inputs.len()],
            inputs,
            stream: AnyStream::new(indicator),
            values: vec![f64::NAN; n_out],
            count: 0,
            lookback,
        });
        Ok(self.indicators.len() - 1)
    }

    /// Builds bars of `spec` (e.g. `1m`, `100t`, `volume:10`) from the trades
    /// of `instrument`; they reach `on_bar` like bars from the feed.
    pub fn add_bar_builder(&mut self, instrument: u32, spec: &str) -> Result<(), EngineError> {
        let info = *self
            .instrument(instrument)
            .ok_or(EngineError::UnknownInstrument(instrument))?;
        let spec =
            crate::bars::BarSpec::parse(spec).map_err(|e| EngineError::Bars(e.to_string()))?;
        let aggregator = BarAggregator::new(
            &spec,
            Some(info.price_precision),
            Some(info.size_precision),
            false,
        )
        .map_err(|e| EngineError::Bars(e.to_string()))?;
        self.bar_builders.push(BarBuilder {
            instrument,
            aggregator,
        });
        Ok(())
    }

    /// Feeds a closed bar to the indicators of its instrument and records it.
    pub(crate) fn on_bar_data(&mut self, bar: &Bar) {
        let i = bar.instrument as usize;
        if let Some(slot) = self.last_bar.get_mut(i) {
            *slot = Some(*bar);
        }
        let Some(info) = self.instruments.get(i).copied() else {
            return;
        };
        let pscale = 10f64.powi(i32::from(info.price_precision));
        let vscale = 10f64.powi(i32::from(info.size_precision));
        for slot in self
            .indicators
            .iter_mut()
            .filter(|s| s.instrument == bar.instrument)
        {
            for (k, input) in slot.inputs.iter().enumerate() {
                slot.input_buf[k] = match input {
                    BarInput::Open => bar.open as f64 / pscale,
                    BarInput::High => bar.high as f64 / pscale,
                    BarInput::Low => bar.low as f64 / pscale,
                    BarInput::Close => bar.close as f64 / pscale,
                    BarInput::Volume => bar.volume as f64 / vscale,
                };
            }
            slot.stream.update(&slot.input_buf, &mut slot.values);
            slot.count += 1;
        }
    }

    /// Feeds a trade to the bar builders of its instrument; closed bars go to
    /// `built_bars`.
    pub(crate) fn build_bars(&mut self, trade: &crate::types::TradeTick) {
        for b in self
            .bar_builders
            .iter_mut()
            .filter(|b| b.instrument == trade.instrument)
        {
            let t = crate::bars::Trade {
                ts: trade.ts_init,
                price: trade.price,
                size: trade.size,
                side: trade.aggressor_side,
            };
            let instrument = b.instrument;
            let out = &mut self.built_bars;
            b.aggregator_feed(&t, &mut |bar: OhlcvBar| {
                out.push(Bar {
                    instrument,
                    open: bar.open,
                    high: bar.high,
                    low: bar.low,
                    close: bar.close,
                    volume: bar.volume,
                    ts_open: bar.ts_open,
                    ts_event: bar.ts_close,
                    ts_init: bar.ts_close,
                })
            });
        }
    }
}

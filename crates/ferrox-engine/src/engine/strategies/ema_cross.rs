//! EMA cross: long when the fast EMA of closes crosses above the slow one,
//! flat when it crosses back below. Market orders; fills follow the venue's
//! convention (on bars: the next bar's open).

use super::registry::{SettingSpec, Settings, SettingsError, StrategyFactory};
use crate::engine::core::EngineCore;
use crate::engine::strategy::{Strategy, StrategyError, StrategyResult, Subscriptions};
use crate::orders::{OrderRequest, OrderSide};
use crate::types::Bar;

/// Settings of [`EmaCross`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmaCrossConfig {
    /// Instrument index.
    pub instrument: u32,
    /// Fast EMA period.
    pub fast: u32,
    /// Slow EMA period.
    pub slow: u32,
    /// Order quantity, raw at the size precision.
    pub quantity: i64,
}

/// The EMA-cross strategy.
#[derive(Debug, Clone)]
pub struct EmaCross {
    config: EmaCrossConfig,
    fast: usize,
    slow: usize,
    above: Option<bool>,
}

impl EmaCross {
    /// A strategy with `config`.
    pub fn new(config: EmaCrossConfig) -> Self {
        Self {
            config,
            fast: 0,
            slow: 0,
            above: None,
        }
    }
}

impl Strategy for EmaCross {
    fn subscriptions(&self) -> Subscriptions {
        Subscriptions {
            bars: true,
            ..Subscriptions::default()
        }
    }

    fn on_start(&mut self, ctx: &mut EngineCore) -> StrategyResult {
        let err = |e: crate::engine::EngineError| StrategyError {
            callback: "on_start",
            message: e.to_string(),
        };
        let c = self.config;
        self.fast = ctx
            .add_indicator(c.instrument, "EMA", &[f64::from(c.fast)], None)
            .map_err(err)?;
        self.slow = ctx
            .add_indicator(c.instrument, "EMA", &[f64::from(c.slow)], None)
            .map_err(err)?;
        Ok(())
    }

    fn on_bar(&mut self, ctx: &mut EngineCore, bar: &Bar) -> StrategyResult {
        if bar.instrument != self.config.instrument || !ctx.indicator_ready(self.slow) {
            return Ok(());
        }
        let (Some(fast), Some(slow)) = (
            ctx.indicator_values(self.fast).map(|v| v[0]),
            ctx.indicator_values(self.slow).map(|v| v[0]),
        ) else {
            return Ok(());
        };
        let above = fast > slow;
        let crossed = self.above.is_some_and(|prev| prev != above);
        self.above = Some(above);
        if !crossed {
            return Ok(());
        }
        let position = ctx.portfolio().net_quantity(self.config.instrument);
        if above && position == 0 {
            ctx.submit(OrderRequest::market(
                self.config.instrument,
                OrderSide::Buy,
                self.config.quantity,
            ));
        } else if !above && position > 0 {
            ctx.submit(OrderRequest::market(
                self.config.instrument,
                OrderSide::Sell,
                position,
            ));
        }
        Ok(())
    }
}

/// Registry entry: `ema_cross`.
pub const FACTORY: StrategyFactory = StrategyFactory {
    name: "ema_cross",
    summary:
        "long when the fast EMA of closes crosses above the slow one, flat when it crosses back",
    settings: &[
        SettingSpec {
            key: "instrument",
            default: Some(0),
            doc: "instrument index",
        },
        SettingSpec {
            key: "fast",
            default: Some(10),
            doc: "fast EMA period (bars)",
        },
        SettingSpec {
            key: "slow",
            default: Some(30),
            doc: "slow EMA period (bars), > fast",
        },
        SettingSpec {
            key: "quantity",
            default: None,
            doc: "order quantity, raw at the size precision",
        },
    ],
    build: build_ema_cross,
};

fn build_ema_cross(s: &Settings<'_>) -> Result<Box<dyn Strategy + Send>, SettingsError> {
    let config = EmaCrossConfig {
        instrument: s.get("instrument")?,
        fast: s.get("fast")?,
        slow: s.get("slow")?,
        quantity: s.get("quantity")?,
    };
    if config.fast == 0 || config.fast >= config.slow || config.quantity <= 0 {
        return Err(s.error(format!(
            "need 0 < fast < slow and quantity > 0, got fast {}, slow {}, quantity {}",
            config.fast, config.slow, config.quantity
        )));
    }
    Ok(Box::new(EmaCross::new(config)))
}

//! A market maker quoting around the microprice of the L2 book.
//!
//! On every consistent book update it computes the microprice, skews it by
//! inventory, and keeps one bid and one ask `half_spread` ticks away, moving
//! them (cancel and replace) only when the target price changes, so resting
//! quotes keep their queue position while the market is still. Quoting stops
//! on the side that would take inventory beyond `max_position`.

use super::registry::{SettingSpec, Settings, SettingsError, StrategyFactory};
use crate::engine::core::EngineCore;
use crate::engine::strategy::{Strategy, StrategyResult, Subscriptions};
use crate::orders::{ClientOrderId, OrderRequest, OrderSide, OrderStatus};
use crate::types::BookDelta;

/// Settings of [`MarketMaker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketMakerConfig {
    /// Instrument index.
    pub instrument: u32,
    /// Tick size, raw.
    pub tick: i64,
    /// Distance of each quote from the (skewed) microprice, in ticks.
    pub half_spread_ticks: i64,
    /// Quote size, raw.
    pub quantity: i64,
    /// Largest absolute inventory, raw.
    pub max_position: i64,
    /// Ticks of skew per `quantity` of inventory.
    pub skew_ticks: i64,
}

/// The market-making strategy.
#[derive(Debug, Clone)]
pub struct MarketMaker {
    config: MarketMakerConfig,
    bid: Option<(ClientOrderId, i64)>,
    ask: Option<(ClientOrderId, i64)>,
}

impl MarketMaker {
    /// A strategy with `config`.
    pub fn new(config: MarketMakerConfig) -> Self {
        Self {
            config,
            bid: None,
            ask: None,
        }
    }

    fn working(
        ctx: &EngineCore,
        quote: Option<(ClientOrderId, i64)>,
    ) -> Option<(ClientOrderId, i64)> {
        let (id, price) = quote?;
        let o = ctx.order(id)?;
        (o.status.is_open() && o.status != OrderStatus::PendingCancel).then_some((id, price))
    }

    fn requote(
        ctx: &mut EngineCore,
        current: Option<(ClientOrderId, i64)>,
        target: Option<i64>,
        side: OrderSide,
        instrument: u32,
        quantity: i64,
    ) -> Option<(ClientOrderId, i64)> {
        let current = Self::working(ctx, current);
        match (current, target) {
            (Some((id, p)), Some(t)) if p == t => Some((id, p)),
            (current, target) => {
                if let Some((id, _)) = current {
                    let _ = ctx.cancel(id);
                }
                target.map(|t| {
                    let mut request = OrderRequest::limit(instrument, side, quantity, t);
                    request.post_only = true;
                    (ctx.submit(request), t)
                })
            }
        }
    }
}

impl Strategy for MarketMaker {
    fn subscriptions(&self) -> Subscriptions {
        Subscriptions {
            book: true,
            ..Subscriptions::default()
        }
    }

    fn on_book(&mut self, ctx: &mut EngineCore, delta: &BookDelta) -> StrategyResult {
        let c = self.config;
        if delta.instrument != c.instrument {
            return Ok(());
        }
        let Some(book) = ctx.book(c.instrument) else {
            return Ok(());
        };
        let (Some(micro), Some(best_bid), Some(best_ask)) =
            (book.microprice(), book.best_bid(), book.best_ask())
        else {
            return Ok(());
        };
        if best_bid.price >= best_ask.price {
            return Ok(());
        }
        let position = ctx.portfolio().net_quantity(c.instrument);
        let skew = position as f64 / c.quantity as f64 * (c.skew_ticks * c.tick) as f64;
        let fair = micro - skew;
        let half = (c.half_spread_ticks * c.tick) as f64;
        // Quotes on the tick grid, never through the opposite best (post-only).
        let bid =
            (((fair - half) / c.tick as f64).floor() as i64 * c.tick).min(best_ask.price - c.tick);
        let ask =
            (((fair + half) / c.tick as f64).ceil() as i64 * c.tick).max(best_bid.price + c.tick);
        let bid_target = (position + c.quantity <= c.max_position).then_some(bid);
        let ask_target = (position - c.quantity >= -c.max_position).then_some(ask);
        self.bid = Self::requote(
            ctx,
            self.bid,
            bid_target,
            OrderSide::Buy,
            c.instrument,
            c.quantity,
        );
        self.ask = Self::requote(
            ctx,
            self.ask,
            ask_target,
            OrderSide::Sell,
            c.instrument,
            c.quantity,
        );
        Ok(())
    }
}

/// Registry entry: `market_maker`.
pub const FACTORY: StrategyFactory = StrategyFactory {
    name: "market_maker",
    summary: "one post-only bid and ask around the inventory-skewed microprice of the L2 book",
    settings: &[
        SettingSpec {
            key: "instrument",
            default: Some(0),
            doc: "instrument index",
        },
        SettingSpec {
            key: "tick",
            default: None,
            doc: "tick size, raw at the price precision",
        },
        SettingSpec {
            key: "half_spread_ticks",
            default: Some(1),
            doc: "distance of each quote from the fair price, in ticks",
        },
        SettingSpec {
            key: "quantity",
            default: None,
            doc: "quote size, raw at the size precision",
        },
        SettingSpec {
            key: "max_position",
            default: None,
            doc: "largest absolute inventory, raw",
        },
        SettingSpec {
            key: "skew_ticks",
            default: Some(1),
            doc: "ticks of skew per quote size of inventory",
        },
    ],
    build: build_market_maker,
};

fn build_market_maker(s: &Settings<'_>) -> Result<Box<dyn Strategy + Send>, SettingsError> {
    let config = MarketMakerConfig {
        instrument: s.get("instrument")?,
        tick: s.get("tick")?,
        half_spread_ticks: s.get("half_spread_ticks")?,
        quantity: s.get("quantity")?,
        max_position: s.get("max_position")?,
        skew_ticks: s.get("skew_ticks")?,
    };
    if config.tick <= 0 || config.quantity <= 0 || config.max_position < config.quantity {
        return Err(s.error(format!(
            "need tick > 0, quantity > 0 and max_position >= quantity, got tick {}, quantity {}, max_position {}",
            config.tick, config.quantity, config.max_position
        )));
    }
    Ok(Box::new(MarketMaker::new(config)))
}

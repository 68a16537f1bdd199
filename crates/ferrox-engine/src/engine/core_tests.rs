//! Contingencies and TWAP through the engine loop, on synthetic 1-minute bars.

use proptest::prelude::{prop, prop_assert, prop_assert_eq, proptest, ProptestConfig};
use proptest::strategy::Strategy as _;

use super::*;
use crate::engine::{DataFeed, Engine, Strategy, StrategyResult, Stream, Subscriptions};
use crate::matching::{ExchangeConfig, SimulatedExchange};
use crate::orders::{Bracket, SliceStyle, TwapParams, TwapSchedule};
use crate::portfolio::{
    CurrencyTable, FeeModel, InstrumentSpec, Leverage, OmsType, Portfolio, PortfolioConfig,
};

const MINUTE: i64 = 60_000_000_000;
const T0: i64 = 1_704_067_200_000_000_000;
const QTY: i64 = 1_000;

fn core() -> EngineCore {
    let mut currencies = CurrencyTable::new();
    let usdt = currencies.add("USDT", 8).expect("currency");
    let spec = InstrumentSpec {
        price_precision: 2,
        size_precision: 3,
        multiplier: 1,
        quote_currency: usdt,
        base_currency: None,
    };
    let lev = Leverage::new(1, 1).expect("leverage");
    let portfolio = Portfolio::new(
        PortfolioConfig::margin(usdt, 1_000_000 * 100_000_000, OmsType::Netting, lev),
        vec![spec],
        currencies,
    )
    .expect("portfolio");
    let venue: Box<dyn MatchingEngine + Send> =
        Box::new(SimulatedExchange::new(0, ExchangeConfig::default()).expect("venue"));
    let fees = vec![FeeModel::parse("0", "0").expect("fees")];
    let info = InstrumentInfo {
        price_precision: 2,
        size_precision: 3,
    };
    EngineCore::new(
        EngineConfig::default(),
        vec![info],
        vec![venue],
        fees,
        portfolio,
    )
}

/// Bars from raw `(open, high, low, close)`, bar `k` opening at `T0 + k` minutes.
fn bars(ohlc: &[(i64, i64, i64, i64)]) -> Stream {
    Stream::Bars(
        ohlc.iter()
            .enumerate()
            .map(|(k, &(open, high, low, close))| Bar {
                open,
                high,
                low,
                close,
                volume: 1_000_000,
                ts_open: T0 + k as i64 * MINUTE,
                ts_event: T0 + (k as i64 + 1) * MINUTE,
                ts_init: T0 + (k as i64 + 1) * MINUTE,
                ..Bar::default()
            })
            .collect(),
    )
}

/// What to do on the first bar.
#[derive(Clone, Copy)]
enum Plan {
    Bracket,
    Twap(TwapSchedule, i64),
}

struct Script {
    plan: Plan,
    done: bool,
    bracket: Option<(ClientOrderId, ClientOrderId, ClientOrderId)>,
    twap: u64,
    events: Vec<(ClientOrderId, &'static str)>,
    timers: u32,
}

impl Script {
    fn new(plan: Plan) -> Self {
        Self {
            plan,
            done: false,
            bracket: None,
            twap: 0,
            events: Vec::new(),
            timers: 0,
        }
    }
}

impl Strategy for Script {
    fn subscriptions(&self) -> Subscriptions {
        Subscriptions {
            bars: true,
            ..Subscriptions::default()
        }
    }

    fn on_bar(&mut self, ctx: &mut EngineCore, _bar: &Bar) -> StrategyResult {
        if std::mem::replace(&mut self.done, true) {
            return Ok(());
        }
        match self.plan {
            Plan::Bracket => {
                let entry = OrderRequest::market(0, OrderSide::Buy, QTY);
                let bracket = Bracket::new(entry, 10_200, 9_800).expect("bracket");
                self.bracket = Some(ctx.submit_bracket(bracket).expect("submit"));
            }
            Plan::Twap(schedule, quantity) => {
                let now = ctx.now();
                self.twap = ctx
                    .start_twap(TwapParams {
                        instrument: 0,
                        strategy: 0,
                        side: OrderSide::Buy,
                        quantity,
                        start: now,
                        end: now + 5 * MINUTE,
                        schedule,
                        lot_size: 1,
                        style: SliceStyle::Market,
                        reduce_only: false,
                    })
                    .expect("twap");
            }
        }
        Ok(())
    }

    fn on_timer(&mut self, _ctx: &mut EngineCore, _id: u64) -> StrategyResult {
        self.timers += 1;
        Ok(())
    }

    fn on_order(&mut self, _ctx: &mut EngineCore, event: &OrderEvent) -> StrategyResult {
        self.events.push((event.order_id, event.kind.name()));
        Ok(())
    }
}

fn run(plan: Plan, ohlc: &[(i64, i64, i64, i64)]) -> Engine<Script> {
    let mut feed = DataFeed::new();
    feed.add(bars(ohlc)).expect("feed");
    let mut engine = Engine::new(core(), feed, Box::new(Script::new(plan)));
    engine.run(0, &mut |_| true).expect("run");
    engine
}

fn status(engine: &Engine<Script>, id: ClientOrderId) -> OrderStatus {
    engine.core.order(id).map(|o| o.status).expect("order")
}

#[test]
fn test_a_bracket_take_profit_fill_cancels_the_stop_loss() {
    let flat = (10_000, 10_050, 9_950, 10_000);
    let engine = run(
        Plan::Bracket,
        &[
            flat,
            flat,
            (10_000, 10_300, 9_950, 10_250),
            (10_200, 10_250, 9_700, 9_700),
        ],
    );
    let (entry, tp, sl) = engine.strategy.bracket.expect("bracket");
    let fills: Vec<(u64, i64)> = engine
        .core
        .log
        .fills
        .iter()
        .map(|f| (f.order_id, f.price))
        .collect();
    assert_eq!(fills, vec![(entry, 10_000), (tp, 10_200)]);
    assert_eq!(status(&engine, sl), OrderStatus::Cancelled);
    assert_eq!(engine.core.portfolio().net_quantity(0), 0);
}

#[test]
fn test_twap_wakeups_do_not_reach_on_timer() {
    let flat = (10_000, 10_050, 9_950, 10_000);
    let engine = run(Plan::Twap(TwapSchedule::Slices(5), 7), &[flat; 8]);
    assert_eq!(engine.strategy.timers, 0);
    assert_eq!(engine.core.log.fills.len(), 5);
}

fn bar_path() -> impl proptest::strategy::Strategy<Value = Vec<(i64, i64, i64, i64)>> {
    prop::collection::vec(
        (9_500i64..10_500, 0i64..300, 0i64..300, -150i64..150),
        3..12,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(open, up, down, drift)| {
                let close = (open + drift).clamp(open - down, open + up);
                (open, open + up, open - down, close)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the prices do, at most one exit fills, only for what the entry
    /// bought, and the strategy sees every event the run log holds.
    #[test]
    fn prop_a_bracket_never_fills_both_exits(path in bar_path()) {
        let engine = run(Plan::Bracket, &path);
        let (entry, tp, sl) = engine.strategy.bracket.expect("bracket");
        let filled = |id| engine.core.order(id).map_or(0, |o| o.filled_qty);
        prop_assert!(filled(tp) == 0 || filled(sl) == 0);
        prop_assert!(filled(tp) + filled(sl) <= filled(entry));
        let net = engine.core.portfolio().net_quantity(0);
        prop_assert_eq!(net, filled(entry) - filled(tp) - filled(sl));
        let logged: Vec<(u64, &str)> =
            engine.core.log.order_events.iter().map(|r| (r.order_id, r.event)).collect();
        prop_assert_eq!(&engine.strategy.events, &logged);
    }

    /// A TWAP on bars (every market child fills) buys exactly its quantity,
    /// in slices that differ by at most one lot.
    #[test]
    fn prop_twap_children_add_up_exactly(quantity in 1i64..5_000, slices in 1u32..6) {
        let flat = (10_000, 10_050, 9_950, 10_000);
        let engine = run(Plan::Twap(TwapSchedule::Slices(slices), quantity), &[flat; 9]);
        let sizes: Vec<i64> = engine.core.log.fills.iter().map(|f| f.quantity).collect();
        prop_assert_eq!(sizes.iter().sum::<i64>(), quantity);
        let (lo, hi) = (sizes.iter().min().copied(), sizes.iter().max().copied());
        prop_assert!(hi.zip(lo).is_some_and(|(h, l)| h - l <= 1));
        prop_assert!(sizes.len() <= slices as usize);
        let twap = engine.core.twap(engine.strategy.twap).expect("twap");
        prop_assert_eq!(twap.filled(), quantity);
        prop_assert!(twap.is_done());
    }
}

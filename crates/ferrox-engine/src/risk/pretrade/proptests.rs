//! Property: the incremental working-order aggregates always equal a
//! recomputation from the working orders themselves, after any sequence of
//! submits, fills, partial fills, cancels, modifies and triggers — checked
//! both on bare orders driven through their state machine and inside a real
//! backtest (bars, venue fills, engine events).

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::bench::demo_core;
use super::working::{OrderWork, WorkingOrders};
use crate::engine::{
    DataFeed, Engine, EngineCore, Strategy as EngineStrategy, StrategyResult, Stream, Subscriptions,
};
use crate::orders::{
    LiquiditySide, Order, OrderEvent, OrderEventKind, OrderRequest, OrderSide, OrderStatus,
    OrderType,
};
use crate::types::Bar;

/// What the aggregates must say, computed the plain way: one pass over the
/// working orders with sums, a max over resting bids and a min over asks.
#[derive(Debug, Default, PartialEq, Eq)]
struct Expected {
    count: u32,
    leaves: i64,
    priced_value: i128,
    unpriced: i64,
    best: Option<i64>,
}

fn expected<'a>(working: impl Iterator<Item = &'a Order>) -> BTreeMap<(u32, bool), Expected> {
    let mut out: BTreeMap<(u32, bool), Expected> = BTreeMap::new();
    for o in working {
        let r = &o.request;
        let buy = r.side == OrderSide::Buy;
        let e = out.entry((r.instrument, buy)).or_default();
        let leaves = (r.quantity - o.filled_qty).max(0);
        e.count += 1;
        e.leaves += leaves;
        match r.price.or(r.trigger_price) {
            Some(px) => e.priced_value += i128::from(leaves) * i128::from(px),
            None => e.unpriced += leaves,
        }
        let rests = match r.order_type {
            OrderType::Limit => true,
            OrderType::StopLimit | OrderType::LimitIfTouched | OrderType::TrailingStopLimit => {
                o.triggered
            }
            _ => false,
        };
        if let (true, Some(px)) = (rests, r.price) {
            e.best = Some(match (e.best, buy) {
                (None, _) => px,
                (Some(b), true) => b.max(px),
                (Some(b), false) => b.min(px),
            });
        }
    }
    out
}

fn actual(work: &WorkingOrders) -> BTreeMap<(u32, bool), Expected> {
    let mut out = BTreeMap::new();
    for (i, inst) in work.instruments().iter().enumerate() {
        for (buy, s) in [(true, &inst.buy), (false, &inst.sell)] {
            let e = Expected {
                count: s.count,
                leaves: s.leaves,
                priced_value: s.priced_value,
                unpriced: s.unpriced,
                best: s.best,
            };
            if e != Expected::default() {
                out.insert((i as u32, buy), e);
            }
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Op {
    Submit {
        instrument: u32,
        buy: bool,
        kind: u8,
        price: i64,
        quantity: i64,
    },
    Accept(usize),
    Fill(usize, u8),
    Cancel(usize),
    Modify(usize, i64, i64),
    Trigger(usize),
    Expire(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u32..3, any::<bool>(), 0u8..3, 9_900i64..10_100, 1i64..50).prop_map(
            |(instrument, buy, kind, price, quantity)| Op::Submit {
                instrument,
                buy,
                kind,
                price,
                quantity,
            }
        ),
        2 => (0usize..64).prop_map(Op::Accept),
        2 => (0usize..64, 1u8..=100).prop_map(|(k, pct)| Op::Fill(k, pct)),
        1 => (0usize..64).prop_map(Op::Cancel),
        1 => (0usize..64, 9_900i64..10_100, 1i64..80).prop_map(|(k, p, q)| Op::Modify(k, p, q)),
        1 => (0usize..64).prop_map(Op::Trigger),
        1 => (0usize..64).prop_map(Op::Expire),
    ]
}

fn request(instrument: u32, buy: bool, kind: u8, price: i64, quantity: i64) -> OrderRequest {
    let side = if buy { OrderSide::Buy } else { OrderSide::Sell };
    match kind {
        0 => OrderRequest::limit(instrument, side, quantity, price),
        1 => OrderRequest::market(instrument, side, quantity),
        _ => OrderRequest {
            order_type: OrderType::StopLimit,
            trigger_price: Some(price + if buy { 5 } else { -5 }),
            ..OrderRequest::limit(instrument, side, quantity, price)
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn aggregates_equal_a_recomputation_after_any_order_events(
        ops in prop::collection::vec(op(), 1..120)
    ) {
        let mut orders: Vec<Order> = Vec::new();
        let mut work = WorkingOrders::default();
        for (t, op) in ops.into_iter().enumerate() {
            let ts = t as i64;
            let pick = |k: usize, orders: &[Order]| {
                (!orders.is_empty()).then(|| k % orders.len())
            };
            let (k, kind) = match op {
                Op::Submit { instrument, buy, kind, price, quantity } => {
                    let id = orders.len() as u64 + 1;
                    let r = request(instrument, buy, kind, price, quantity);
                    let mut o = Order::new(id, r, ts);
                    let submitted = OrderEvent { order_id: id, kind: OrderEventKind::Submitted, ts };
                    prop_assert!(o.apply(&submitted).is_ok());
                    work.insert(id, OrderWork::from_request(&r, 0, false));
                    orders.push(o);
                    continue;
                }
                Op::Accept(k) => (pick(k, &orders), OrderEventKind::Accepted),
                Op::Fill(k, pct) => {
                    let Some(k) = pick(k, &orders) else { continue };
                    let o = &orders[k];
                    let q = (o.leaves_qty() * i64::from(pct) / 100).max(1);
                    let price = o.request.price.unwrap_or(10_000);
                    (Some(k), OrderEventKind::Filled { price, quantity: q, liquidity: LiquiditySide::Maker })
                }
                Op::Cancel(k) => (pick(k, &orders), OrderEventKind::Cancelled),
                Op::Modify(k, price, quantity) => {
                    let Some(k) = pick(k, &orders) else { continue };
                    let o = &orders[k];
                    let price = o.request.price.map(|_| price);
                    let trigger_price = o.request.trigger_price.map(|t| t + price.unwrap_or(0) % 3);
                    let quantity = quantity.max(o.filled_qty + 1);
                    (Some(k), OrderEventKind::Updated { quantity, price, trigger_price })
                }
                Op::Trigger(k) => (pick(k, &orders), OrderEventKind::Triggered),
                Op::Expire(k) => (pick(k, &orders), OrderEventKind::Expired),
            };
            let Some(k) = k else { continue };
            let o = &mut orders[k];
            let event = OrderEvent { order_id: o.id, kind, ts };
            // The engine only reports events the order accepted.
            if o.apply(&event).is_ok() {
                work.update(o);
            }
            let working = orders.iter().filter(|o| !o.status.is_terminal());
            prop_assert_eq!(actual(&work), expected(working));
        }
        let working = orders.iter().filter(|o| !o.status.is_terminal());
        prop_assert_eq!(work.len(), working.count());
    }
}

/// Sends, cancels and modifies orders from a script on every bar and checks
/// the risk engine's aggregates against the engine's open orders each time.
struct Scripted {
    script: Vec<(u8, bool, i64, i64)>,
    step: usize,
    failures: Vec<String>,
}

impl Scripted {
    fn verify(&mut self, ctx: &EngineCore) {
        let want = expected(ctx.open_orders());
        let got = actual(ctx.risk().working_orders());
        if want != got {
            self.failures.push(format!(
                "at {}: working {want:?} but aggregates {got:?}",
                ctx.now()
            ));
        }
    }
}

impl EngineStrategy for Scripted {
    fn subscriptions(&self) -> Subscriptions {
        Subscriptions {
            bars: true,
            ..Subscriptions::default()
        }
    }

    fn on_bar(&mut self, ctx: &mut EngineCore, bar: &Bar) -> StrategyResult {
        self.verify(ctx);
        for _ in 0..3 {
            let Some(&(action, buy, offset, qty)) = self.script.get(self.step) else {
                break;
            };
            self.step += 1;
            let side = if buy { OrderSide::Buy } else { OrderSide::Sell };
            let open: Vec<u64> = ctx.open_orders().map(|o| o.id).collect();
            match action {
                0..=3 => {
                    ctx.submit(OrderRequest::limit(0, side, qty, bar.close + offset));
                }
                4 => {
                    ctx.submit(OrderRequest::market(0, side, qty));
                }
                5 | 6 => {
                    if let Some(id) = open.get(offset.unsigned_abs() as usize % open.len().max(1)) {
                        let _ = ctx.cancel(*id);
                    }
                }
                _ => {
                    // One modify in flight per order: a second one sent while
                    // the first is pending trips an engine error (reported
                    // separately), which is not what this property is about.
                    let settled = ctx.open_orders().find(|o| {
                        matches!(
                            o.status,
                            OrderStatus::Accepted | OrderStatus::PartiallyFilled
                        )
                    });
                    if let Some(id) = settled.map(|o| o.id) {
                        let _ = ctx.modify(id, Some(qty), Some(bar.close + offset), None);
                    }
                }
            }
            self.verify(ctx);
        }
        Ok(())
    }

    fn on_order(&mut self, ctx: &mut EngineCore, _event: &OrderEvent) -> StrategyResult {
        self.verify(ctx);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn aggregates_follow_a_backtest_with_fills_cancels_and_modifies(
        script in prop::collection::vec((0u8..8, any::<bool>(), -40i64..40, 1i64..2_000), 10..150),
        moves in prop::collection::vec(-30i64..30, 60),
    ) {
        let mut core = demo_core(1, &[("account", "max_position_quantity", "100000")])
            .map_err(TestCaseError::fail)?;
        core.now = 0;
        let mut price = 10_000i64;
        let bars: Vec<Bar> = moves
            .iter()
            .enumerate()
            .map(|(k, m)| {
                let open = price;
                price += m;
                let t = (k as i64 + 1) * 60_000_000_000;
                Bar {
                    instrument: 0,
                    open,
                    high: open.max(price) + 10,
                    low: open.min(price) - 10,
                    close: price,
                    volume: 1_000_000,
                    ts_open: t - 60_000_000_000,
                    ts_event: t,
                    ts_init: t,
                }
            })
            .collect();
        let mut feed = DataFeed::new();
        feed.add(Stream::Bars(bars)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let strategy = Scripted { script, step: 0, failures: Vec::new() };
        let mut engine = Engine::new(core, feed, Box::new(strategy));
        engine.run(0, &mut |_| true).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(engine.strategy.failures.is_empty(), "{:?}", engine.strategy.failures.first());
    }
}

//! Each control: an order that breaks it is denied with its code (and never
//! sent), a compliant one passes. Prices at 2 decimals, sizes at 3, USDT.

use super::bench::demo_core;
use super::{codes, AuditKind, Scope, TradingState};
use crate::engine::EngineCore;
use crate::orders::{OrderRequest, OrderSide, OrderStatus, OrderType};

/// Submits and returns the denial code, or "" when the order was sent.
fn submit(core: &mut EngineCore, request: OrderRequest) -> &'static str {
    let id = core.submit(request);
    let order = core.order(id).expect("submitted order exists");
    if order.status == OrderStatus::Denied {
        match core.risk().audit().records.last().map(|r| &r.kind) {
            Some(AuditKind::Denied { code, order_id, .. }) if *order_id == id => code,
            other => panic!("denied without an audit record: {other:?}"),
        }
    } else {
        assert_eq!(order.status, OrderStatus::Submitted);
        ""
    }
}

fn last_message(core: &EngineCore) -> String {
    match core.risk().audit().records.last().map(|r| &r.kind) {
        Some(AuditKind::Denied { message, .. }) => message.to_string(),
        _ => String::new(),
    }
}

fn core(settings: &[(&str, &str, &str)]) -> EngineCore {
    demo_core(2, settings).expect("demo core")
}

fn buy(qty: i64, price: i64) -> OrderRequest {
    OrderRequest::limit(0, OrderSide::Buy, qty, price)
}

fn sell(qty: i64, price: i64) -> OrderRequest {
    OrderRequest::limit(0, OrderSide::Sell, qty, price)
}

#[test]
fn unlimited_engine_passes_and_counts() {
    let mut c = core(&[]);
    assert_eq!(submit(&mut c, buy(1_000, 10_000)), "");
    assert_eq!(c.risk().audit().passed, 1);
}

#[test]
fn max_order_quantity_denies_above_and_passes_at_the_limit() {
    let mut c = core(&[("account", "max_order_quantity", "2")]);
    assert_eq!(
        submit(&mut c, buy(2_001, 10_000)),
        codes::MAX_ORDER_QUANTITY
    );
    assert!(last_message(&c).contains("quantity 2.001 exceeds max_order_quantity 2"));
    assert_eq!(submit(&mut c, buy(2_000, 10_000)), "");
}

#[test]
fn min_order_quantity_and_notional() {
    let mut c = core(&[
        ("account", "min_order_quantity", "0.01"),
        ("instrument:0", "min_order_notional", "5"),
    ]);
    assert_eq!(submit(&mut c, buy(9, 10_000)), codes::MIN_ORDER_QUANTITY);
    // 0.04 x 100.00 = 4 USDT < 5.
    assert_eq!(submit(&mut c, buy(40, 10_000)), codes::MIN_ORDER_NOTIONAL);
    assert_eq!(submit(&mut c, buy(50, 10_000)), "");
}

#[test]
fn max_order_notional_message_has_grouped_numbers() {
    let mut c = core(&[("account", "max_order_notional", "1000000")]);
    // 12,500 x 100.00 = 1,250,000 USDT.
    assert_eq!(
        submit(&mut c, buy(12_500_000, 10_000)),
        codes::MAX_ORDER_NOTIONAL
    );
    assert!(last_message(&c)
        .contains("notional 1,250,000 USDT exceeds max_order_notional 1,000,000 USDT (account)"));
    assert_eq!(submit(&mut c, buy(10_000_000, 10_000)), "");
}

#[test]
fn tick_and_lot_size() {
    let mut c = core(&[
        ("instrument:0", "tick_size", "0.05"),
        ("instrument:0", "lot_size", "0.01"),
    ]);
    assert_eq!(submit(&mut c, buy(10, 10_003)), codes::TICK_SIZE);
    assert_eq!(submit(&mut c, buy(15, 10_005)), codes::LOT_SIZE);
    assert_eq!(submit(&mut c, buy(20, 10_005)), "");
}

#[test]
fn price_collar_percent_and_ticks_against_last() {
    let mut c = core(&[("instrument:0", "price_band_pct", "5")]);
    // Last is 100.00: a bid at 94.99 is 5.01% away.
    assert_eq!(submit(&mut c, buy(1_000, 9_499)), codes::PRICE_COLLAR);
    assert_eq!(submit(&mut c, buy(1_000, 9_500)), "");
    let mut c = core(&[
        ("instrument:0", "tick_size", "0.10"),
        ("instrument:0", "price_band_ticks", "3"),
    ]);
    assert_eq!(submit(&mut c, sell(1_000, 10_040)), codes::PRICE_COLLAR);
    assert_eq!(submit(&mut c, sell(1_000, 10_030)), "");
}

#[test]
fn price_collar_against_a_configured_reference() {
    let mut c = core(&[
        ("instrument:0", "price_reference", "reference"),
        ("instrument:0", "reference_price", "200"),
        ("instrument:0", "price_band_pct", "1"),
    ]);
    assert_eq!(submit(&mut c, buy(1_000, 10_000)), codes::PRICE_COLLAR);
    assert_eq!(submit(&mut c, buy(1_000, 19_900)), "");
}

#[test]
fn collar_without_a_reference_price_is_denied() {
    let mut c = core(&[("instrument:1", "price_band_pct", "5")]);
    let mut r = buy(1_000, 10_000);
    r.instrument = 1;
    assert_eq!(submit(&mut c, r), codes::NO_REFERENCE_PRICE);
    c.portfolio.mark_price(1, 10_000).expect("mark");
    assert_eq!(submit(&mut c, r), "");
}

#[test]
fn fat_finger_only_through_the_market() {
    let mut c = core(&[("instrument:0", "fat_finger_pct", "2")]);
    // A buy 3% above the last price is through the market; 3% below is not.
    assert_eq!(submit(&mut c, buy(1_000, 10_300)), codes::FAT_FINGER);
    assert!(last_message(&c).contains("through the reference 100"));
    assert_eq!(submit(&mut c, buy(1_000, 9_700)), "");
    assert_eq!(submit(&mut c, sell(1_000, 9_700)), codes::FAT_FINGER);
}

#[test]
fn position_limits_count_working_orders() {
    let mut c = core(&[("instrument:0", "max_long_quantity", "2")]);
    assert_eq!(submit(&mut c, buy(1_500, 9_900)), "");
    assert_eq!(submit(&mut c, buy(600, 9_900)), codes::MAX_LONG_QUANTITY);
    assert!(last_message(&c).contains("position 0 + working 1.5 + order 0.6 = 2.1"));
    assert_eq!(submit(&mut c, buy(500, 9_900)), "");
    let mut c = core(&[("account", "max_short_quantity", "1")]);
    assert_eq!(
        submit(&mut c, sell(1_001, 10_100)),
        codes::MAX_SHORT_QUANTITY
    );
    assert_eq!(submit(&mut c, sell(1_000, 10_100)), "");
}

#[test]
fn position_notional_limits() {
    let mut c = core(&[("account", "max_long_notional", "150")]);
    assert_eq!(submit(&mut c, buy(1_000, 10_000)), "");
    assert_eq!(submit(&mut c, buy(600, 10_000)), codes::MAX_LONG_NOTIONAL);
    let mut c = core(&[("account", "max_short_notional", "150")]);
    assert_eq!(
        submit(&mut c, sell(1_600, 10_000)),
        codes::MAX_SHORT_NOTIONAL
    );
    assert_eq!(submit(&mut c, sell(1_500, 10_000)), "");
}

#[test]
fn gross_and_net_exposure_across_instruments() {
    let mut c = core(&[
        ("account", "max_gross_exposure", "300"),
        ("strategy:0", "max_net_exposure", "150"),
    ]);
    assert_eq!(submit(&mut c, buy(1_000, 10_000)), "");
    let mut r = sell(1_000, 10_000);
    r.instrument = 1;
    // Gross 200, net 0: passes.
    assert_eq!(submit(&mut c, r), "");
    // Gross 200 + 150 > 300.
    let mut r = buy(1_500, 10_000);
    r.instrument = 1;
    assert_eq!(submit(&mut c, r), codes::MAX_GROSS_EXPOSURE);
    let mut c = core(&[("strategy:0", "max_net_exposure", "150")]);
    assert_eq!(submit(&mut c, buy(1_000, 10_000)), "");
    let mut r = buy(600, 10_000);
    r.instrument = 1;
    assert_eq!(submit(&mut c, r), codes::MAX_NET_EXPOSURE);
}

#[test]
fn buying_power_uses_the_portfolio() {
    let mut c = core(&[("account", "check_buying_power", "true")]);
    // 1,000,000 USDT at 10x: 100,000 units at 100 need 1,000,000 margin + fee.
    assert_eq!(
        submit(&mut c, buy(100_000_000, 10_000)),
        codes::BUYING_POWER
    );
    assert_eq!(submit(&mut c, buy(90_000_000, 10_000)), "");
}

#[test]
fn order_rate_throttle_on_the_engine_clock() {
    let mut c = core(&[("account", "max_orders_per_second", "3")]);
    for k in 0..3 {
        assert_eq!(submit(&mut c, buy(1_000, 9_000 + k)), "");
    }
    assert_eq!(submit(&mut c, buy(1_000, 9_010)), codes::ORDER_RATE);
    c.now += 1_000_000_000;
    assert_eq!(submit(&mut c, buy(1_000, 9_010)), "");
}

#[test]
fn cancel_rate_denies_new_orders_not_cancels() {
    let mut c = core(&[("account", "max_cancels_per_second", "1")]);
    let ids: Vec<_> = (0..2).map(|k| c.submit(buy(1_000, 9_000 + k))).collect();
    for id in &ids {
        c.cancel(*id).expect("cancel is never throttled");
        let order = c.order(*id).expect("order exists").clone();
        c.risk
            .on_order_event(&crate::orders::OrderEventKind::PendingCancel, &order, c.now);
    }
    assert_eq!(submit(&mut c, buy(1_000, 9_100)), codes::CANCEL_RATE);
    c.now += 1_000_000_000;
    assert_eq!(submit(&mut c, buy(1_000, 9_100)), "");
}

#[test]
fn order_to_trade_ratio() {
    let mut c = core(&[
        ("account", "max_order_to_trade_ratio", "2"),
        ("account", "order_to_trade_min_orders", "0"),
    ]);
    assert_eq!(submit(&mut c, buy(1_000, 9_000)), "");
    assert_eq!(submit(&mut c, buy(1_000, 9_001)), "");
    assert_eq!(
        submit(&mut c, buy(1_000, 9_002)),
        codes::ORDER_TO_TRADE_RATIO
    );
    let fill = crate::orders::OrderEventKind::Filled {
        price: 9_000,
        quantity: 1_000,
        liquidity: crate::orders::LiquiditySide::Maker,
    };
    let order = c.order(1).expect("order 1 exists").clone();
    c.risk.on_order_event(&fill, &order, c.now);
    c.risk.on_order_event(&fill, &order, c.now);
    assert_eq!(submit(&mut c, buy(1_000, 9_002)), "");
}

#[test]
fn duplicate_orders_within_the_window() {
    let mut c = core(&[("account", "duplicate_window_ms", "100")]);
    assert_eq!(submit(&mut c, buy(1_000, 9_000)), "");
    assert_eq!(submit(&mut c, buy(1_000, 9_000)), codes::DUPLICATE_ORDER);
    assert_eq!(submit(&mut c, buy(1_001, 9_000)), "");
    c.now += 100_000_000;
    assert_eq!(submit(&mut c, buy(1_000, 9_000)), "");
}

#[test]
fn self_trade_prevention_against_our_resting_orders() {
    let mut c = core(&[("account", "self_trade_prevention", "true")]);
    assert_eq!(submit(&mut c, sell(1_000, 10_100)), "");
    assert_eq!(submit(&mut c, buy(1_000, 10_100)), codes::SELF_TRADE);
    assert_eq!(
        submit(&mut c, OrderRequest::market(0, OrderSide::Buy, 1_000)),
        codes::SELF_TRADE
    );
    assert_eq!(submit(&mut c, buy(1_000, 10_099)), "");
}

#[test]
fn reducing_state_passes_only_risk_reducing_orders() {
    let mut c = core(&[("account", "state", "reducing")]);
    assert_eq!(submit(&mut c, buy(1_000, 10_000)), codes::TRADING_REDUCING);
    let mut c = core(&[]);
    c.portfolio
        .apply_fill(&crate::portfolio::Fill {
            instrument: 0,
            side: OrderSide::Buy,
            price: 10_000,
            quantity: 2_000,
            fee: 0,
            reduce_only: false,
            ts: 0,
        })
        .expect("fill");
    c.risk.set_state(
        Scope::Account,
        TradingState::Reducing,
        codes::MANUAL,
        "ops",
        "test",
        0,
        0,
    );
    assert_eq!(submit(&mut c, sell(1_500, 10_000)), "");
    // 1.5 already working: another 1.0 would flip the position.
    assert_eq!(submit(&mut c, sell(1_000, 10_000)), codes::TRADING_REDUCING);
    assert_eq!(submit(&mut c, buy(1, 9_000)), codes::TRADING_REDUCING);
}

#[test]
fn halted_state_denies_everything() {
    let mut c = core(&[("instrument:1", "state", "halted")]);
    let mut r = buy(1_000, 10_000);
    r.instrument = 1;
    assert_eq!(submit(&mut c, r), codes::TRADING_HALTED);
    assert_eq!(submit(&mut c, buy(1_000, 10_000)), "");
}

#[test]
fn kill_switch_cancels_the_scope_and_halts_it() {
    let mut c = core(&[]);
    let a = c.submit(buy(1_000, 9_000));
    let mut r = buy(1_000, 9_000);
    r.instrument = 1;
    let b = c.submit(r);
    let cancelled = c.kill_switch(Scope::Instrument(1), "ops", "bad feed");
    assert_eq!(cancelled, 1);
    assert_eq!(
        c.order(b).map(|o| o.status),
        Some(OrderStatus::PendingCancel)
    );
    assert_eq!(c.order(a).map(|o| o.status), Some(OrderStatus::Submitted));
    assert_eq!(submit(&mut c, r), codes::TRADING_HALTED);
    assert!(last_message(&c).contains("instrument:1 is halted: KILL_SWITCH: bad feed (by ops)"));
    assert_eq!(submit(&mut c, buy(1_000, 9_001)), "");
    assert_eq!(c.kill_switch(Scope::All, "ops", "stop"), 2);
    assert_eq!(submit(&mut c, buy(1_000, 9_002)), codes::TRADING_HALTED);
    let changes = c
        .risk()
        .audit()
        .records
        .iter()
        .filter(|r| matches!(r.kind, AuditKind::StateChange { .. }))
        .count();
    assert_eq!(changes, 2);
}

#[test]
fn loss_limits_move_to_reducing_then_halted() {
    let mut c = core(&[
        ("account", "reduce_at_daily_loss", "100"),
        ("account", "max_daily_loss", "200"),
    ]);
    c.risk.on_equity(c.now, 1_000_000.0);
    c.risk.on_equity(c.now + 1, 999_850.0);
    assert_eq!(c.risk().state(Scope::Account), TradingState::Reducing);
    c.risk.on_equity(c.now + 2, 999_790.0);
    assert_eq!(c.risk().state(Scope::Account), TradingState::Halted);
    assert_eq!(submit(&mut c, buy(1_000, 10_000)), codes::TRADING_HALTED);
    assert!(last_message(&c).contains("daily loss 210 USDT reaches max_daily_loss 200 USDT"));
}

#[test]
fn bad_settings_name_scope_key_and_value() {
    let bad = |s: &[(&str, &str, &str)]| demo_core(1, s).err().unwrap_or_default();
    assert!(
        bad(&[("account", "max_order_qty", "1")]).contains("account.max_order_qty: unknown key")
    );
    assert!(bad(&[("account", "max_order_quantity", "-1")]).contains("non-negative"));
    assert!(bad(&[("instrument:0", "tick_size", "0.001")]).contains("at most 2 decimal places"));
    assert!(bad(&[("instrument:5", "tick_size", "0.01")]).contains("1 instruments"));
    assert!(bad(&[("account", "tick_size", "0.01")]).contains("only valid for instrument:N"));
    assert!(bad(&[("desk", "state", "halted")]).contains("expected account"));
}

#[test]
fn the_full_check_passes_its_benchmark_orders() {
    let ns = super::bench::time_full_check(1_000, 8).expect("bench orders pass");
    assert!(ns > 0.0);
}

#[test]
fn group_decimal_groups_and_trims() {
    assert_eq!(super::group_decimal("1250000.500"), "1,250,000.5");
    assert_eq!(super::group_decimal("-1000.00"), "-1,000");
    assert_eq!(super::group_decimal("999"), "999");
}

#[test]
fn stop_orders_are_not_self_trades_until_triggered() {
    let mut c = core(&[("account", "self_trade_prevention", "true")]);
    assert_eq!(submit(&mut c, sell(1_000, 10_100)), "");
    let mut stop = OrderRequest::market(0, OrderSide::Buy, 1_000);
    stop.order_type = OrderType::StopMarket;
    stop.trigger_price = Some(10_200);
    assert_eq!(submit(&mut c, stop), "");
}

#[test]
fn margin_buying_power_agrees_with_the_portfolio() {
    let mut c = core(&[("account", "check_buying_power", "true")]);
    c.portfolio
        .apply_fill(&crate::portfolio::Fill {
            instrument: 0,
            side: OrderSide::Buy,
            price: 10_000,
            quantity: 30_000_000,
            fee: 0,
            reduce_only: false,
            ts: 0,
        })
        .expect("fill");
    c.portfolio.mark_price(0, 9_000).expect("mark");
    for side in [OrderSide::Buy, OrderSide::Sell] {
        for qty in (1..200).map(|k| k * 500_000) {
            for reduce_only in [false, true] {
                let mut r = OrderRequest::limit(0, side, qty, 9_000);
                r.reduce_only = reduce_only;
                let fee = c
                    .portfolio
                    .fee(
                        &c.fees[0],
                        0,
                        9_000,
                        qty,
                        crate::orders::LiquiditySide::Taker,
                    )
                    .expect("fee");
                let expected = c
                    .portfolio
                    .would_exceed_buying_power(0, side, qty, 9_000, reduce_only, fee)
                    .expect("portfolio answer");
                let denied = {
                    let mut probe = c.risk.clone();
                    let view = super::RiskView {
                        now: c.now,
                        order_id: 1,
                        portfolio: &c.portfolio,
                        orders: &c.orders,
                        open: &c.open,
                        venues: &c.venues,
                        fees: &c.fees,
                    };
                    matches!(probe.check(&r, &view), Err((code, _)) if code == codes::BUYING_POWER)
                };
                assert_eq!(denied, expected, "{side:?} {qty} reduce_only={reduce_only}");
            }
        }
    }
}

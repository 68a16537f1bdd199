//! Behaviour tests of the simulated exchange: one behaviour per test, with
//! books small enough to check by hand, and property tests that drive random
//! data and orders through it against the order state machine.

use super::exchange::codes;
use super::{
    BarPathModel, ExchangeConfig, MatchingEngine, QueueModel, SimulatedExchange, VenueCommand,
};
use crate::orders::{
    LiquiditySide, Order, OrderEvent, OrderEventKind, OrderRequest, OrderSide, OrderType,
    TimeInForce, TrailingOffsetType,
};
use crate::types::time::NANOS_PER_DAY;
use crate::types::{
    AggressorSide, Bar, BookAction, BookDelta, BookSide, QuoteTick, TradeTick, FLAG_LAST,
};

use OrderSide::{Buy, Sell};

fn ex() -> SimulatedExchange {
    ex_with(ExchangeConfig::default())
}

fn ex_with(config: ExchangeConfig) -> SimulatedExchange {
    match SimulatedExchange::new(0, config) {
        Ok(e) => e,
        Err(e) => panic!("config refused: {e}"),
    }
}

fn level(e: &mut SimulatedExchange, side: BookSide, price: i64, size: i64) -> Vec<OrderEvent> {
    let mut out = Vec::new();
    e.on_delta(
        &BookDelta {
            action: BookAction::Update,
            side,
            price,
            size,
            flags: FLAG_LAST,
            ts_init: 10,
            ..BookDelta::default()
        },
        &mut out,
    );
    out
}

/// A book: bids 99 x 5, 98 x 5; asks 101 x 2, 102 x 3, 103 x 10.
fn book() -> SimulatedExchange {
    let mut e = ex();
    for (side, p, s) in [
        (BookSide::Bid, 98, 5),
        (BookSide::Bid, 99, 5),
        (BookSide::Ask, 103, 10),
        (BookSide::Ask, 102, 3),
        (BookSide::Ask, 101, 2),
    ] {
        level(&mut e, side, p, s);
    }
    e
}

fn trade(
    e: &mut SimulatedExchange,
    price: i64,
    size: i64,
    aggressor: AggressorSide,
) -> Vec<OrderEvent> {
    let mut out = Vec::new();
    e.on_trade(
        &TradeTick {
            price,
            size,
            aggressor_side: aggressor,
            ts_init: 20,
            ..TradeTick::default()
        },
        &mut out,
    );
    out
}

fn quote(e: &mut SimulatedExchange, bid: (i64, i64), ask: (i64, i64)) -> Vec<OrderEvent> {
    let mut out = Vec::new();
    e.on_quote(
        &QuoteTick {
            bid_price: bid.0,
            bid_size: bid.1,
            ask_price: ask.0,
            ask_size: ask.1,
            ts_init: 30,
            ..QuoteTick::default()
        },
        &mut out,
    );
    out
}

/// A 60-unit bar closing (and delivered) at `ts`.
fn bar(e: &mut SimulatedExchange, ohlc: [i64; 4], ts: i64) -> Vec<OrderEvent> {
    let mut out = Vec::new();
    e.on_bar(
        &Bar {
            open: ohlc[0],
            high: ohlc[1],
            low: ohlc[2],
            close: ohlc[3],
            ts_open: ts - 60,
            ts_init: ts,
            ..Bar::default()
        },
        &mut out,
    );
    out
}

fn send(e: &mut SimulatedExchange, command: VenueCommand, now: i64) -> Vec<OrderEvent> {
    let mut out = Vec::new();
    e.on_command(&command, now, &mut out);
    out
}

fn submit(e: &mut SimulatedExchange, id: u64, request: OrderRequest) -> Vec<OrderEvent> {
    send(e, VenueCommand::Submit { id, request }, 5)
}

fn limit(side: OrderSide, qty: i64, price: i64) -> OrderRequest {
    OrderRequest::limit(0, side, qty, price)
}

fn stop(
    order_type: OrderType,
    side: OrderSide,
    qty: i64,
    trigger: i64,
    price: Option<i64>,
) -> OrderRequest {
    OrderRequest {
        order_type,
        trigger_price: Some(trigger),
        price,
        ..OrderRequest::market(0, side, qty)
    }
}

/// `(price, quantity, liquidity)` of the fills in `events`.
fn fills(events: &[OrderEvent]) -> Vec<(i64, i64, LiquiditySide)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            OrderEventKind::Filled {
                price,
                quantity,
                liquidity,
            } => Some((price, quantity, liquidity)),
            _ => None,
        })
        .collect()
}

fn names(events: &[OrderEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.name()).collect()
}

fn rejection(events: &[OrderEvent]) -> Option<&'static str> {
    events.iter().find_map(|e| match e.kind {
        OrderEventKind::Rejected { code, .. } => Some(code),
        _ => None,
    })
}

use LiquiditySide::{Maker, Taker};

// ---- taking liquidity ------------------------------------------------------

#[test]
fn test_market_buy_walks_the_ask_levels_as_taker() {
    let mut e = book();
    let out = submit(&mut e, 1, OrderRequest::market(0, Buy, 4));
    assert_eq!(names(&out)[0], "ACCEPTED");
    assert_eq!(fills(&out), vec![(101, 2, Taker), (102, 2, Taker)]);
    assert!(!e.is_working(1));
}

#[test]
fn test_market_order_larger_than_the_book_cancels_the_rest() {
    let mut e = book();
    let out = submit(&mut e, 1, OrderRequest::market(0, Sell, 12));
    assert_eq!(fills(&out), vec![(99, 5, Taker), (98, 5, Taker)]);
    assert_eq!(names(&out).last(), Some(&"CANCELLED"));
}

#[test]
fn test_market_order_without_liquidity_is_rejected() {
    let mut e = ex();
    level(&mut e, BookSide::Bid, 99, 5);
    let out = submit(&mut e, 1, OrderRequest::market(0, Buy, 1));
    assert_eq!(rejection(&out), Some(codes::NO_LIQUIDITY));
}

#[test]
fn test_two_orders_in_a_row_cannot_take_the_same_displayed_size() {
    let mut e = book();
    assert_eq!(
        fills(&submit(&mut e, 1, OrderRequest::market(0, Buy, 2))),
        vec![(101, 2, Taker)]
    );
    assert_eq!(
        fills(&submit(&mut e, 2, OrderRequest::market(0, Buy, 2))),
        vec![(102, 2, Taker)]
    );
}

#[test]
fn test_taken_size_is_available_again_once_the_level_changes() {
    let mut e = book();
    submit(&mut e, 1, OrderRequest::market(0, Buy, 2));
    level(&mut e, BookSide::Ask, 101, 2);
    assert_eq!(
        fills(&submit(&mut e, 2, OrderRequest::market(0, Buy, 2))),
        vec![(101, 2, Taker)]
    );
}

#[test]
fn test_fok_cancels_without_any_fill_when_depth_is_short() {
    let mut e = book();
    let req = OrderRequest {
        time_in_force: TimeInForce::Fok,
        ..limit(Buy, 6, 102)
    };
    let out = submit(&mut e, 1, req);
    assert_eq!(names(&out), vec!["ACCEPTED", "CANCELLED"]);
}

#[test]
fn test_fok_fills_all_when_depth_is_enough() {
    let mut e = book();
    let req = OrderRequest {
        time_in_force: TimeInForce::Fok,
        ..limit(Buy, 5, 102)
    };
    assert_eq!(
        fills(&submit(&mut e, 1, req)),
        vec![(101, 2, Taker), (102, 3, Taker)]
    );
}

#[test]
fn test_ioc_limit_fills_what_it_can_and_cancels_the_rest() {
    let mut e = book();
    let req = OrderRequest {
        time_in_force: TimeInForce::Ioc,
        ..limit(Buy, 4, 101)
    };
    let out = submit(&mut e, 1, req);
    assert_eq!(fills(&out), vec![(101, 2, Taker)]);
    assert_eq!(names(&out).last(), Some(&"CANCELLED"));
}

#[test]
fn test_post_only_limit_that_would_take_is_rejected() {
    let mut e = book();
    let req = OrderRequest {
        post_only: true,
        ..limit(Buy, 1, 101)
    };
    assert_eq!(
        rejection(&submit(&mut e, 1, req)),
        Some(codes::POST_ONLY_WOULD_TAKE)
    );
}

#[test]
fn test_post_only_limit_that_does_not_cross_rests() {
    let mut e = book();
    let req = OrderRequest {
        post_only: true,
        ..limit(Buy, 1, 100)
    };
    assert_eq!(names(&submit(&mut e, 1, req)), vec!["ACCEPTED"]);
    assert!(e.is_working(1));
}

#[test]
fn test_marketable_limit_takes_up_to_its_price_then_rests_the_rest() {
    let mut e = book();
    let out = submit(&mut e, 1, limit(Buy, 4, 101));
    assert_eq!(fills(&out), vec![(101, 2, Taker)]);
    assert!(e.is_working(1));
    // Nothing was displayed at 101 on the bid side: first in the queue.
    assert_eq!(e.queue_ahead(1), Some(0));
}

#[test]
fn test_invalid_orders_are_rejected_with_their_code() {
    let mut e = book();
    assert_eq!(
        rejection(&submit(&mut e, 1, limit(Buy, 0, 100))),
        Some(codes::INVALID_QUANTITY)
    );
    let no_price = OrderRequest {
        order_type: OrderType::Limit,
        ..OrderRequest::market(0, Buy, 1)
    };
    assert_eq!(
        rejection(&submit(&mut e, 2, no_price)),
        Some(codes::MISSING_PRICE)
    );
    let no_trigger = OrderRequest {
        order_type: OrderType::StopMarket,
        ..OrderRequest::market(0, Buy, 1)
    };
    assert_eq!(
        rejection(&submit(&mut e, 3, no_trigger)),
        Some(codes::MISSING_TRIGGER_PRICE)
    );
    let other = OrderRequest::market(7, Buy, 1);
    assert_eq!(
        rejection(&submit(&mut e, 4, other)),
        Some(codes::WRONG_INSTRUMENT)
    );
    let gtd = OrderRequest {
        time_in_force: TimeInForce::Gtd,
        ..limit(Buy, 1, 90)
    };
    assert_eq!(
        rejection(&submit(&mut e, 5, gtd)),
        Some(codes::MISSING_EXPIRE_TIME)
    );
}

// ---- queue position --------------------------------------------------------

#[test]
fn test_resting_buy_fills_only_after_trades_exhaust_the_size_ahead() {
    let mut e = book();
    submit(&mut e, 1, limit(Buy, 3, 99));
    assert_eq!(e.queue_ahead(1), Some(5));
    assert!(fills(&trade(&mut e, 99, 4, AggressorSide::Seller)).is_empty());
    assert_eq!(e.queue_ahead(1), Some(1));
    // 3 traded: 1 was still ahead, the other 2 fill us.
    assert_eq!(
        fills(&trade(&mut e, 99, 3, AggressorSide::Seller)),
        vec![(99, 2, Maker)]
    );
    assert_eq!(
        fills(&trade(&mut e, 99, 5, AggressorSide::Seller)),
        vec![(99, 1, Maker)]
    );
    assert!(!e.is_working(1));
}

#[test]
fn test_trades_on_our_side_do_not_move_the_queue() {
    let mut e = book();
    submit(&mut e, 1, limit(Buy, 3, 99));
    trade(&mut e, 99, 4, AggressorSide::Buyer);
    assert_eq!(e.queue_ahead(1), Some(5));
}

#[test]
fn test_level_decrease_moves_the_queue_only_down_to_the_running_minimum() {
    let mut e = book();
    submit(&mut e, 1, limit(Buy, 3, 99));
    level(&mut e, BookSide::Bid, 99, 20);
    assert_eq!(e.queue_ahead(1), Some(5));
    level(&mut e, BookSide::Bid, 99, 8);
    assert_eq!(e.queue_ahead(1), Some(5));
    level(&mut e, BookSide::Bid, 99, 2);
    assert_eq!(e.queue_ahead(1), Some(2));
}

#[test]
fn test_probabilistic_queue_advances_on_cancellations() {
    let mut e = ex_with(ExchangeConfig {
        queue_model: QueueModel::PowerProb { n: 1.0 },
        ..ExchangeConfig::default()
    });
    level(&mut e, BookSide::Bid, 99, 10);
    level(&mut e, BookSide::Ask, 101, 10);
    submit(&mut e, 1, limit(Buy, 1, 99));
    level(&mut e, BookSide::Bid, 99, 20); // 10 ahead, 10 behind
    level(&mut e, BookSide::Bid, 99, 16); // 4 cancelled: half in front
    assert_eq!(e.queue_ahead(1), Some(8));
}

#[test]
fn test_trade_through_fills_a_resting_order_fully_at_its_limit() {
    let mut e = book();
    submit(&mut e, 1, limit(Buy, 3, 99));
    assert_eq!(
        fills(&trade(&mut e, 98, 1, AggressorSide::Seller)),
        vec![(99, 3, Maker)]
    );
}

#[test]
fn test_opposite_best_crossing_fills_a_resting_order_as_maker() {
    let mut e = book();
    submit(&mut e, 1, limit(Sell, 2, 102));
    level(&mut e, BookSide::Bid, 102, 1);
    let out = level(&mut e, BookSide::Bid, 102, 1);
    assert!(out.is_empty(), "already filled by the first cross");
    assert!(!e.is_working(1));
}

#[test]
fn test_a_batch_is_checked_only_at_its_last_delta() {
    let mut e = book();
    submit(&mut e, 1, limit(Sell, 2, 102));
    let mut out = Vec::new();
    let mid_batch = BookDelta {
        action: BookAction::Update,
        side: BookSide::Bid,
        price: 102,
        size: 1,
        flags: 0,
        ..BookDelta::default()
    };
    e.on_delta(&mid_batch, &mut out);
    e.on_delta(
        &BookDelta {
            action: BookAction::Delete,
            size: 0,
            ..mid_batch
        },
        &mut out,
    );
    e.on_delta(
        &BookDelta {
            side: BookSide::Ask,
            price: 103,
            size: 10,
            flags: FLAG_LAST,
            ..mid_batch
        },
        &mut out,
    );
    assert!(fills(&out).is_empty());
}

#[test]
fn test_quote_queue_ahead_is_the_displayed_size_at_the_best() {
    let mut e = ex();
    quote(&mut e, (99, 7), (101, 4));
    submit(&mut e, 1, limit(Buy, 1, 99));
    assert_eq!(e.queue_ahead(1), Some(7));
    quote(&mut e, (99, 3), (101, 4));
    assert_eq!(e.queue_ahead(1), Some(3));
    let out = quote(&mut e, (98, 3), (99, 4));
    assert_eq!(fills(&out), vec![(99, 1, Maker)]);
}

#[test]
fn test_quote_market_order_takes_the_quoted_size_only() {
    let mut e = ex();
    quote(&mut e, (99, 7), (101, 4));
    let out = submit(&mut e, 1, OrderRequest::market(0, Buy, 6));
    assert_eq!(fills(&out), vec![(101, 4, Taker)]);
    assert_eq!(names(&out).last(), Some(&"CANCELLED"));
}

// ---- bars ------------------------------------------------------------------

#[test]
fn test_bar_market_order_fills_at_the_next_bar_open() {
    let mut e = ex();
    bar(&mut e, [100, 105, 95, 102], 60);
    let out = submit(&mut e, 1, OrderRequest::market(0, Buy, 3));
    assert_eq!(names(&out), vec!["ACCEPTED"]);
    assert_eq!(
        fills(&bar(&mut e, [103, 106, 101, 104], 120)),
        vec![(103, 3, Taker)]
    );
}

#[test]
fn test_bar_market_order_arriving_mid_bar_waits_for_the_next_open() {
    let mut e = ex();
    bar(&mut e, [100, 105, 95, 102], 60);
    // Arrives at 90, inside the bar that opened at 60 at 103.
    send(
        &mut e,
        VenueCommand::Submit {
            id: 1,
            request: OrderRequest::market(0, Buy, 3),
        },
        90,
    );
    assert!(fills(&bar(&mut e, [103, 106, 101, 104], 120)).is_empty());
    assert_eq!(
        fills(&bar(&mut e, [107, 108, 100, 101], 180)),
        vec![(107, 3, Taker)]
    );
}

#[test]
fn test_bar_market_order_arriving_as_the_bar_opens_fills_at_that_open() {
    let mut e = ex();
    bar(&mut e, [100, 105, 95, 102], 60);
    send(
        &mut e,
        VenueCommand::Submit {
            id: 1,
            request: OrderRequest::market(0, Buy, 3),
        },
        60,
    );
    assert_eq!(
        fills(&bar(&mut e, [103, 106, 101, 104], 120)),
        vec![(103, 3, Taker)]
    );
}

#[test]
fn test_bar_limit_arriving_mid_bar_is_not_checked_against_that_bar() {
    let mut e = ex();
    bar(&mut e, [100, 105, 95, 102], 60);
    // The bar's low (97) reached the limit before the order existed.
    send(
        &mut e,
        VenueCommand::Submit {
            id: 1,
            request: limit(Buy, 2, 99),
        },
        90,
    );
    assert!(bar(&mut e, [101, 103, 97, 100], 120).is_empty());
    assert!(e.is_working(1));
    assert_eq!(
        fills(&bar(&mut e, [100, 101, 98, 99], 180)),
        vec![(99, 2, Maker)]
    );
}

#[test]
fn test_bar_limit_repriced_mid_bar_waits_for_the_next_bar() {
    let mut e = ex();
    bar(&mut e, [100, 105, 95, 102], 60);
    submit(&mut e, 1, limit(Buy, 2, 90));
    let modify = VenueCommand::Modify {
        id: 1,
        quantity: None,
        price: Some(99),
        trigger_price: None,
    };
    assert_eq!(names(&send(&mut e, modify, 90)), vec!["UPDATED"]);
    assert!(bar(&mut e, [101, 103, 97, 100], 120).is_empty());
    assert_eq!(
        fills(&bar(&mut e, [98, 101, 97, 99], 180)),
        vec![(98, 2, Maker)]
    );
}

#[test]
fn test_bar_slippage_moves_the_open_against_us_within_the_bar() {
    let mut e = ex_with(ExchangeConfig {
        bar_slippage: 2,
        ..ExchangeConfig::default()
    });
    bar(&mut e, [100, 105, 95, 102], 60);
    submit(&mut e, 1, OrderRequest::market(0, Sell, 1));
    assert_eq!(
        fills(&bar(&mut e, [103, 106, 101, 104], 120)),
        vec![(101, 1, Taker)]
    );
}

#[test]
fn test_bar_buy_limit_fills_at_its_limit_when_the_path_crosses_it() {
    let mut e = ex();
    bar(&mut e, [100, 105, 95, 102], 60);
    submit(&mut e, 1, limit(Buy, 2, 99));
    assert_eq!(
        fills(&bar(&mut e, [101, 103, 97, 100], 120)),
        vec![(99, 2, Maker)]
    );
}

#[test]
fn test_bar_buy_limit_fills_at_the_open_when_the_bar_gaps_through_it() {
    let mut e = ex();
    bar(&mut e, [100, 105, 95, 102], 60);
    submit(&mut e, 1, limit(Buy, 2, 99));
    assert_eq!(
        fills(&bar(&mut e, [96, 98, 94, 97], 120)),
        vec![(96, 2, Maker)]
    );
}

#[test]
fn test_bar_limit_untouched_keeps_resting() {
    let mut e = ex();
    bar(&mut e, [100, 105, 95, 102], 60);
    submit(&mut e, 1, limit(Sell, 2, 110));
    assert!(bar(&mut e, [101, 109, 97, 100], 120).is_empty());
    assert!(e.is_working(1));
}

#[test]
fn test_bar_stop_market_gapped_through_fills_at_the_open() {
    let mut e = ex();
    bar(&mut e, [100, 105, 95, 100], 60);
    submit(&mut e, 1, stop(OrderType::StopMarket, Sell, 1, 97, None));
    let out = bar(&mut e, [94, 96, 90, 92], 120);
    assert_eq!(names(&out), vec!["TRIGGERED", "FILLED"]);
    assert_eq!(fills(&out), vec![(94, 1, Taker)]);
}

#[test]
fn test_bar_stop_market_fills_at_its_trigger_on_the_path() {
    let mut e = ex();
    bar(&mut e, [100, 105, 95, 100], 60);
    submit(&mut e, 1, stop(OrderType::StopMarket, Buy, 1, 104, None));
    assert_eq!(
        fills(&bar(&mut e, [101, 107, 100, 103], 120)),
        vec![(104, 1, Taker)]
    );
}

#[test]
fn test_bar_path_visits_the_nearer_extreme_first() {
    // Open 100, high 101 (near), low 90: high first, so the sell stop at 95
    // triggers on the way down, after the buy limit at 100... a sell limit at
    // 101 fills before the stop triggers.
    let mut e = ex_with(ExchangeConfig {
        bar_path: BarPathModel::NearestExtremeFirst,
        ..ExchangeConfig::default()
    });
    bar(&mut e, [100, 100, 100, 100], 60);
    submit(&mut e, 1, limit(Sell, 1, 101));
    submit(&mut e, 2, stop(OrderType::StopMarket, Sell, 1, 95, None));
    let out = bar(&mut e, [100, 101, 90, 92], 120);
    assert_eq!(fills(&out), vec![(101, 1, Maker), (95, 1, Taker)]);
}

#[test]
fn test_stop_limit_triggers_at_stop_then_rests_at_limit() {
    // Buy stop-limit: trigger 104, limit 103. The path opens 101, goes to the
    // low 100 (nearer), then up through 104 (trigger), high 106, down to the
    // close 102: the limit 103 is reached on the way down.
    let mut e = ex();
    bar(&mut e, [100, 101, 99, 100], 60);
    submit(
        &mut e,
        1,
        stop(OrderType::StopLimit, Buy, 1, 104, Some(103)),
    );
    let out = bar(&mut e, [101, 106, 100, 102], 120);
    assert_eq!(names(&out), vec!["TRIGGERED", "FILLED"]);
    assert_eq!(fills(&out), vec![(103, 1, Maker)]);
}

#[test]
fn test_stop_limit_on_a_book_triggers_then_rests_at_its_limit() {
    let mut e = book();
    submit(
        &mut e,
        1,
        stop(OrderType::StopLimit, Buy, 1, 102, Some(100)),
    );
    // The ask rises to the trigger: triggered, its limit 100 is below the ask.
    let out = level(&mut e, BookSide::Ask, 101, 0);
    assert_eq!(names(&out), vec!["TRIGGERED"]);
    assert!(e.is_working(1));
    assert_eq!(
        fills(&trade(&mut e, 99, 1, AggressorSide::Seller)),
        vec![(100, 1, Maker)]
    );
}

// ---- triggers --------------------------------------------------------------

#[test]
fn test_stop_triggers_on_the_ask_when_no_trades_are_fed() {
    let mut e = book();
    submit(&mut e, 1, stop(OrderType::StopMarket, Buy, 1, 102, None));
    let out = level(&mut e, BookSide::Ask, 101, 0);
    assert_eq!(names(&out), vec!["TRIGGERED", "FILLED"]);
    assert_eq!(fills(&out), vec![(102, 1, Taker)]);
}

#[test]
fn test_stop_triggers_on_the_last_trade_when_trades_are_fed() {
    let mut e = book();
    trade(&mut e, 100, 1, AggressorSide::Buyer);
    submit(&mut e, 1, stop(OrderType::StopMarket, Buy, 1, 102, None));
    // The ask moving up does not trigger it: the last trade is the reference.
    assert!(level(&mut e, BookSide::Ask, 101, 0).is_empty());
    let out = trade(&mut e, 102, 1, AggressorSide::Buyer);
    assert_eq!(fills(&out), vec![(102, 1, Taker)]);
}

#[test]
fn test_stop_whose_trigger_is_already_reached_is_rejected() {
    let mut e = book();
    let out = submit(&mut e, 1, stop(OrderType::StopMarket, Buy, 1, 100, None));
    assert_eq!(rejection(&out), Some(codes::STOP_ALREADY_TRIGGERED));
}

#[test]
fn test_stop_already_reached_triggers_at_once_when_not_rejected() {
    let mut e = ex_with(ExchangeConfig {
        reject_stop_on_wrong_side: false,
        ..ExchangeConfig::default()
    });
    level(&mut e, BookSide::Ask, 101, 2);
    let out = submit(&mut e, 1, stop(OrderType::StopMarket, Buy, 1, 100, None));
    assert_eq!(names(&out), vec!["ACCEPTED", "TRIGGERED", "FILLED"]);
}

#[test]
fn test_market_if_touched_buy_triggers_when_the_price_falls() {
    let mut e = book();
    trade(&mut e, 100, 1, AggressorSide::Buyer);
    submit(
        &mut e,
        1,
        stop(OrderType::MarketIfTouched, Buy, 1, 98, None),
    );
    assert!(trade(&mut e, 99, 1, AggressorSide::Seller).is_empty());
    let out = trade(&mut e, 98, 1, AggressorSide::Seller);
    assert_eq!(names(&out), vec!["TRIGGERED", "FILLED"]);
}

#[test]
fn test_trailing_stop_moves_its_trigger_up_and_never_back() {
    let mut e = book();
    trade(&mut e, 100, 1, AggressorSide::Buyer);
    let req = OrderRequest {
        order_type: OrderType::TrailingStopMarket,
        trailing_offset: Some(3),
        trailing_offset_type: TrailingOffsetType::Price,
        ..OrderRequest::market(0, Sell, 1)
    };
    submit(&mut e, 1, req);
    assert_eq!(e.trigger_price(1), Some(97));
    trade(&mut e, 105, 1, AggressorSide::Buyer);
    assert_eq!(e.trigger_price(1), Some(102));
    trade(&mut e, 103, 1, AggressorSide::Seller);
    assert_eq!(e.trigger_price(1), Some(102));
    let out = trade(&mut e, 102, 1, AggressorSide::Seller);
    assert_eq!(names(&out), vec!["TRIGGERED", "FILLED"]);
    assert_eq!(fills(&out), vec![(99, 1, Taker)]);
}

#[test]
fn test_trailing_trigger_moves_are_reported_when_asked() {
    let mut e = ex_with(ExchangeConfig {
        emit_trailing_updates: true,
        ..ExchangeConfig::default()
    });
    trade(&mut e, 100, 1, AggressorSide::Buyer);
    let req = OrderRequest {
        order_type: OrderType::TrailingStopMarket,
        trailing_offset: Some(3),
        ..OrderRequest::market(0, Sell, 1)
    };
    submit(&mut e, 1, req);
    let out = trade(&mut e, 104, 1, AggressorSide::Buyer);
    let moved = OrderEventKind::Updated {
        quantity: 1,
        price: None,
        trigger_price: Some(101),
    };
    assert_eq!(
        out.iter().map(|e| &e.kind).collect::<Vec<_>>(),
        vec![&moved]
    );
}

#[test]
fn test_trailing_stop_on_bars_trails_the_high_before_the_fall() {
    let mut e = ex();
    bar(&mut e, [100, 100, 100, 100], 60);
    let req = OrderRequest {
        order_type: OrderType::TrailingStopMarket,
        trailing_offset: Some(100),
        trailing_offset_type: TrailingOffsetType::BasisPoints,
        ..OrderRequest::market(0, Sell, 1)
    };
    submit(&mut e, 1, req);
    // Raw prices with 1% = 100 bp: 1% of 100 is 1 (trigger 99). The high is
    // nearer the open, so the path is 101 -> 120 -> 60 -> 100: the rise moves
    // the trigger to 120 - 1 (1% of 120 floored to a raw unit) = 119, and
    // the fall triggers it there.
    let out = bar(&mut e, [101, 120, 60, 100], 120);
    assert_eq!(fills(&out), vec![(119, 1, Taker)]);
}

#[test]
fn test_trailing_stop_limit_rests_at_its_offset_from_the_trigger() {
    let mut e = book();
    trade(&mut e, 100, 1, AggressorSide::Buyer);
    let req = OrderRequest {
        order_type: OrderType::TrailingStopLimit,
        trailing_offset: Some(3),
        limit_offset: Some(1),
        ..OrderRequest::market(0, Sell, 1)
    };
    submit(&mut e, 1, req);
    trade(&mut e, 105, 1, AggressorSide::Buyer); // trigger 102
    let out = trade(&mut e, 102, 1, AggressorSide::Seller);
    // Limit 101 is above the best bid 99: it rests behind the 2 asked at 101.
    assert_eq!(names(&out), vec!["TRIGGERED"]);
    assert_eq!(e.queue_ahead(1), Some(2));
}

#[test]
fn test_limit_if_touched_sell_triggers_when_the_price_rises() {
    let mut e = book();
    trade(&mut e, 100, 1, AggressorSide::Buyer);
    submit(
        &mut e,
        1,
        stop(OrderType::LimitIfTouched, Sell, 1, 104, Some(99)),
    );
    assert!(trade(&mut e, 103, 1, AggressorSide::Buyer).is_empty());
    let out = trade(&mut e, 104, 1, AggressorSide::Buyer);
    // Its limit 99 is marketable against the best bid 99.
    assert_eq!(names(&out), vec!["TRIGGERED", "FILLED"]);
    assert_eq!(fills(&out), vec![(99, 1, Taker)]);
}

#[test]
fn test_modify_moves_a_waiting_stop_trigger() {
    let mut e = book();
    submit(&mut e, 1, stop(OrderType::StopMarket, Buy, 1, 105, None));
    let command = VenueCommand::Modify {
        id: 1,
        quantity: None,
        price: None,
        trigger_price: Some(103),
    };
    assert_eq!(names(&send(&mut e, command, 6)), vec!["UPDATED"]);
    assert_eq!(e.trigger_price(1), Some(103));
}

#[test]
fn test_market_order_before_any_data_waits_for_the_first_quote() {
    let mut e = ex();
    assert_eq!(
        names(&submit(&mut e, 1, OrderRequest::market(0, Buy, 1))),
        vec!["ACCEPTED"]
    );
    assert_eq!(
        fills(&quote(&mut e, (99, 1), (101, 1))),
        vec![(101, 1, Taker)]
    );
}

#[test]
fn test_quotes_do_not_replace_an_l2_book() {
    let mut e = book();
    quote(&mut e, (90, 1), (95, 1));
    let out = submit(&mut e, 1, OrderRequest::market(0, Buy, 1));
    assert_eq!(fills(&out), vec![(101, 1, Taker)]);
}

#[test]
fn test_an_order_due_to_expire_does_not_fill_on_later_data() {
    let mut e = book();
    let req = OrderRequest {
        time_in_force: TimeInForce::Gtd,
        expire_ts: Some(15),
        ..limit(Buy, 1, 99)
    };
    submit(&mut e, 1, req);
    // The trade at ts 20 comes after the expiry at 15: expired, not filled.
    let out = trade(&mut e, 98, 5, AggressorSide::Seller);
    assert_eq!(names(&out), vec!["EXPIRED"]);
}

// ---- cancel, modify, expiry --------------------------------------------------

#[test]
fn test_cancel_of_an_unknown_order_is_cancel_rejected() {
    let mut e = book();
    let out = send(&mut e, VenueCommand::Cancel { id: 9 }, 5);
    assert_eq!(names(&out), vec!["CANCEL_REJECTED"]);
}

#[test]
fn test_cancelled_order_never_fills() {
    let mut e = book();
    submit(&mut e, 1, limit(Buy, 3, 99));
    assert_eq!(
        names(&send(&mut e, VenueCommand::Cancel { id: 1 }, 6)),
        vec!["CANCELLED"]
    );
    assert!(trade(&mut e, 90, 10, AggressorSide::Seller).is_empty());
    assert_eq!(
        names(&send(&mut e, VenueCommand::Cancel { id: 1 }, 7)),
        vec!["CANCEL_REJECTED"]
    );
}

fn modify(id: u64, quantity: Option<i64>, price: Option<i64>) -> VenueCommand {
    VenueCommand::Modify {
        id,
        quantity,
        price,
        trigger_price: None,
    }
}

#[test]
fn test_modify_reducing_quantity_keeps_the_queue_position() {
    let mut e = book();
    submit(&mut e, 1, limit(Buy, 3, 99));
    trade(&mut e, 99, 4, AggressorSide::Seller);
    let out = send(&mut e, modify(1, Some(2), None), 6);
    assert_eq!(names(&out), vec!["UPDATED"]);
    assert_eq!(e.queue_ahead(1), Some(1));
}

#[test]
fn test_modify_increasing_quantity_goes_to_the_back_of_the_queue() {
    let mut e = book();
    submit(&mut e, 1, limit(Buy, 3, 99));
    trade(&mut e, 99, 4, AggressorSide::Seller);
    send(&mut e, modify(1, Some(4), None), 6);
    assert_eq!(e.queue_ahead(1), Some(5));
}

#[test]
fn test_modify_to_a_marketable_price_takes_liquidity() {
    let mut e = book();
    submit(&mut e, 1, limit(Buy, 2, 99));
    let out = send(&mut e, modify(1, None, Some(101)), 6);
    assert_eq!(names(&out), vec!["UPDATED", "FILLED"]);
    assert_eq!(fills(&out), vec![(101, 2, Taker)]);
}

#[test]
fn test_modify_below_the_filled_quantity_is_rejected() {
    let mut e = book();
    submit(&mut e, 1, limit(Buy, 3, 99));
    trade(&mut e, 99, 7, AggressorSide::Seller); // fills 2
    let out = send(&mut e, modify(1, Some(2), None), 6);
    assert_eq!(names(&out), vec!["MODIFY_REJECTED"]);
}

#[test]
fn test_gtd_order_expires_at_its_expire_time() {
    let mut e = book();
    let req = OrderRequest {
        time_in_force: TimeInForce::Gtd,
        expire_ts: Some(1_000),
        ..limit(Buy, 1, 90)
    };
    submit(&mut e, 1, req);
    assert_eq!(e.next_expiry(), Some(1_000));
    let mut out = Vec::new();
    e.on_time(999, &mut out);
    assert!(out.is_empty());
    e.on_time(1_000, &mut out);
    assert_eq!(names(&out), vec!["EXPIRED"]);
    assert_eq!(e.next_expiry(), None);
}

#[test]
fn test_day_order_expires_at_the_end_of_its_utc_day() {
    let mut e = book();
    let req = OrderRequest {
        time_in_force: TimeInForce::Day,
        ..limit(Buy, 1, 90)
    };
    send(
        &mut e,
        VenueCommand::Submit {
            id: 1,
            request: req,
        },
        3 * NANOS_PER_DAY + 5,
    );
    assert_eq!(e.next_expiry(), Some(4 * NANOS_PER_DAY));
}

#[test]
fn test_invalid_queue_power_is_refused() {
    let config = ExchangeConfig {
        queue_model: QueueModel::PowerProb { n: -1.0 },
        ..ExchangeConfig::default()
    };
    assert!(SimulatedExchange::new(0, config).is_err());
}

// ---- properties --------------------------------------------------------------

mod props {
    use super::*;
    use proptest::prelude::*;

    /// One step of a random session.
    #[derive(Debug, Clone)]
    enum Step {
        Delta {
            bid: bool,
            price: i64,
            size: i64,
            last: bool,
        },
        Quote {
            bid: i64,
            spread: i64,
            bid_size: i64,
            ask_size: i64,
        },
        Trade {
            price: i64,
            size: i64,
            aggressor: u8,
        },
        Submit {
            kind: u8,
            buy: bool,
            qty: i64,
            price: i64,
            trigger: i64,
            tif: u8,
            post_only: bool,
        },
        Cancel {
            which: u64,
        },
        Modify {
            which: u64,
            qty: i64,
            price: Option<i64>,
        },
    }

    fn step(quotes: bool) -> impl Strategy<Value = Step> {
        let market = if quotes {
            (90i64..110, 1i64..4, 0i64..5, 0i64..5)
                .prop_map(|(bid, spread, bid_size, ask_size)| Step::Quote {
                    bid,
                    spread,
                    bid_size,
                    ask_size,
                })
                .boxed()
        } else {
            (
                any::<bool>(),
                90i64..110,
                0i64..6,
                prop::bool::weighted(0.7),
            )
                .prop_map(|(bid, price, size, last)| Step::Delta {
                    bid,
                    price,
                    size,
                    last,
                })
                .boxed()
        };
        prop_oneof![
            4 => market,
            2 => (90i64..110, 1i64..6, 0u8..3).prop_map(|(price, size, aggressor)| Step::Trade { price, size, aggressor }),
            2 => (0u8..6, any::<bool>(), 1i64..8, 90i64..110, 90i64..110, 0u8..3, any::<bool>())
                .prop_map(|(kind, buy, qty, price, trigger, tif, post_only)| Step::Submit { kind, buy, qty, price, trigger, tif, post_only }),
            1 => (0u64..12).prop_map(|which| Step::Cancel { which }),
            1 => (0u64..12, 1i64..8, proptest::option::of(90i64..110)).prop_map(|(which, qty, price)| Step::Modify { which, qty, price }),
        ]
    }

    fn request(
        kind: u8,
        buy: bool,
        qty: i64,
        price: i64,
        trigger: i64,
        tif: u8,
        post_only: bool,
    ) -> OrderRequest {
        let side = if buy { Buy } else { Sell };
        let (order_type, price, trigger, offset) = match kind {
            0 => (OrderType::Market, None, None, None),
            1 | 2 => (OrderType::Limit, Some(price), None, None),
            3 => (OrderType::StopMarket, None, Some(trigger), None),
            4 => (OrderType::StopLimit, Some(price), Some(trigger), None),
            _ => (
                OrderType::TrailingStopMarket,
                None,
                None,
                Some(trigger - 89),
            ),
        };
        OrderRequest {
            order_type,
            price,
            trigger_price: trigger,
            trailing_offset: offset,
            time_in_force: match tif {
                0 => TimeInForce::Gtc,
                1 => TimeInForce::Ioc,
                _ => TimeInForce::Fok,
            },
            post_only: post_only && order_type == OrderType::Limit,
            ..OrderRequest::market(0, side, qty)
        }
    }

    /// Applies `events` to the tracked orders (the state machine refuses an
    /// illegal event, an overfill or a fill after the end) and checks each
    /// fill against what the market offered: `ask_floor` is the lowest price
    /// a buy could have got (best ask, or the trade that reached a resting
    /// order), `bid_ceiling` the highest a sell could have got.
    fn check(
        orders: &mut [Order],
        events: &[OrderEvent],
        ask_floor: i64,
        bid_ceiling: i64,
    ) -> Result<(), TestCaseError> {
        for ev in events {
            let Some(order) = orders.iter_mut().find(|o| o.id == ev.order_id) else {
                return Err(TestCaseError::fail(format!(
                    "event for an unknown order: {ev:?}"
                )));
            };
            let refusal = matches!(
                ev.kind,
                OrderEventKind::CancelRejected { .. } | OrderEventKind::ModifyRejected { .. }
            );
            if refusal && order.status.is_terminal() {
                // The engine answers a request about a finished order itself.
                continue;
            }
            if let OrderEventKind::Filled { price, .. } = ev.kind {
                match order.side() {
                    Buy => prop_assert!(
                        price >= ask_floor,
                        "buy fill {price} below what was offered {ask_floor}: {ev:?}"
                    ),
                    Sell => prop_assert!(
                        price <= bid_ceiling,
                        "sell fill {price} above what was bid {bid_ceiling}: {ev:?}"
                    ),
                }
                if let Some(limit) = order
                    .request
                    .price
                    .filter(|_| order.order_type().has_limit_price())
                {
                    match order.side() {
                        Buy => {
                            prop_assert!(price <= limit, "buy fill {price} above its limit {limit}")
                        }
                        Sell => prop_assert!(
                            price >= limit,
                            "sell fill {price} below its limit {limit}"
                        ),
                    }
                }
            }
            if let Err(e) = order.apply(ev) {
                return Err(TestCaseError::fail(format!("{e}: {ev:?}")));
            }
        }
        Ok(())
    }

    fn run(steps: Vec<Step>, config: ExchangeConfig) -> Result<(), TestCaseError> {
        let mut e = ex_with(config);
        let mut orders: Vec<Order> = Vec::new();
        let mut out = Vec::new();
        let mut now = 0i64;
        for s in steps {
            now += 1;
            out.clear();
            let (mut ask_floor, mut bid_ceiling) = (i64::MIN, i64::MAX);
            match s {
                Step::Delta {
                    bid,
                    price,
                    size,
                    last,
                } => {
                    let d = BookDelta {
                        action: BookAction::Update,
                        side: if bid { BookSide::Bid } else { BookSide::Ask },
                        price,
                        size,
                        flags: if last { FLAG_LAST } else { 0 },
                        ts_init: now,
                        ..BookDelta::default()
                    };
                    e.on_delta(&d, &mut out);
                }
                Step::Quote {
                    bid,
                    spread,
                    bid_size,
                    ask_size,
                } => {
                    let q = QuoteTick {
                        bid_price: bid,
                        ask_price: bid + spread,
                        bid_size,
                        ask_size,
                        ts_init: now,
                        ..QuoteTick::default()
                    };
                    e.on_quote(&q, &mut out);
                }
                Step::Trade {
                    price,
                    size,
                    aggressor,
                } => {
                    let t = TradeTick {
                        price,
                        size,
                        aggressor_side: match aggressor {
                            0 => AggressorSide::NoAggressor,
                            1 => AggressorSide::Buyer,
                            _ => AggressorSide::Seller,
                        },
                        ts_init: now,
                        ..TradeTick::default()
                    };
                    e.on_trade(&t, &mut out);
                    ask_floor = price;
                    bid_ceiling = price;
                }
                Step::Submit {
                    kind,
                    buy,
                    qty,
                    price,
                    trigger,
                    tif,
                    post_only,
                } => {
                    let id = orders.len() as u64;
                    let req = request(kind, buy, qty, price, trigger, tif, post_only);
                    let mut order = Order::new(id, req, now);
                    let submitted = OrderEvent {
                        order_id: id,
                        kind: OrderEventKind::Submitted,
                        ts: now,
                    };
                    if let Err(err) = order.apply(&submitted) {
                        return Err(TestCaseError::fail(err.to_string()));
                    }
                    orders.push(order);
                    e.on_command(&VenueCommand::Submit { id, request: req }, now, &mut out);
                }
                Step::Cancel { which } => {
                    if let Some(o) = orders.get_mut(which as usize) {
                        if o.status.is_open() {
                            let pending = OrderEvent {
                                order_id: o.id,
                                kind: OrderEventKind::PendingCancel,
                                ts: now,
                            };
                            let _ = o.apply(&pending);
                        }
                    }
                    e.on_command(&VenueCommand::Cancel { id: which }, now, &mut out);
                    // Unknown ids get a CancelRejected for an order the test never made.
                    out.retain(|ev| (ev.order_id as usize) < orders.len());
                }
                Step::Modify { which, qty, price } => {
                    if let Some(o) = orders.get_mut(which as usize) {
                        if o.status.is_open() {
                            let pending = OrderEvent {
                                order_id: o.id,
                                kind: OrderEventKind::PendingUpdate,
                                ts: now,
                            };
                            let _ = o.apply(&pending);
                        }
                    }
                    let command = VenueCommand::Modify {
                        id: which,
                        quantity: Some(qty),
                        price,
                        trigger_price: None,
                    };
                    e.on_command(&command, now, &mut out);
                    out.retain(|ev| (ev.order_id as usize) < orders.len());
                }
            }
            if let Some(book) = e.book() {
                if ask_floor == i64::MIN {
                    ask_floor = book.best_ask().map_or(i64::MAX, |l| l.price);
                    bid_ceiling = book.best_bid().map_or(i64::MIN, |l| l.price);
                } else {
                    ask_floor = ask_floor.min(book.best_ask().map_or(i64::MAX, |l| l.price));
                    bid_ceiling = bid_ceiling.max(book.best_bid().map_or(i64::MIN, |l| l.price));
                }
            }
            check(&mut orders, &out, ask_floor, bid_ceiling)?;
            for o in &orders {
                prop_assert!(o.filled_qty <= o.request.quantity);
                if o.status.is_terminal() {
                    prop_assert!(
                        !e.is_working(o.id),
                        "order {} is {} but still working",
                        o.id,
                        o.status.as_str()
                    );
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn l2_fills_are_never_better_than_the_book(steps in proptest::collection::vec(step(false), 1..150)) {
            run(steps, ExchangeConfig::default())?;
        }

        #[test]
        fn l2_fills_with_the_probabilistic_queue_are_never_better_than_the_book(steps in proptest::collection::vec(step(false), 1..150)) {
            run(steps, ExchangeConfig { queue_model: QueueModel::PowerProb { n: 2.0 }, ..ExchangeConfig::default() })?;
        }

        #[test]
        fn quote_fills_are_never_better_than_the_quote(steps in proptest::collection::vec(step(true), 1..150)) {
            run(steps, ExchangeConfig { reject_stop_on_wrong_side: false, ..ExchangeConfig::default() })?;
        }

        #[test]
        fn bar_fills_stay_inside_the_bar_and_their_limits(
            bars in proptest::collection::vec((90i64..110, 0i64..6, 0i64..6, 0i64..100), 1..40),
            subs in proptest::collection::vec((0usize..40, 0u8..6, any::<bool>(), 1i64..8, 85i64..115, 85i64..115), 0..30),
            slip in 0i64..3,
        ) {
            let mut e = ex_with(ExchangeConfig { bar_slippage: slip, reject_stop_on_wrong_side: false, ..ExchangeConfig::default() });
            let mut orders: Vec<Order> = Vec::new();
            let mut arrived: Vec<i64> = Vec::new();
            let mut out = Vec::new();
            for (k, (open, up, down, close_pct)) in bars.into_iter().enumerate() {
                let ts = (k as i64 + 1) * 60;
                for &(at, kind, buy, qty, price, trigger) in &subs {
                    if at == k {
                        let id = orders.len() as u64;
                        let req = request(kind, buy, qty, price, trigger, 0, false);
                        let mut order = Order::new(id, req, ts);
                        let submitted = OrderEvent { order_id: id, kind: OrderEventKind::Submitted, ts };
                        prop_assert!(order.apply(&submitted).is_ok());
                        orders.push(order);
                        out.clear();
                        arrived.push(ts - 30);
                        e.on_command(&VenueCommand::Submit { id, request: req }, ts - 30, &mut out);
                        check(&mut orders, &out, i64::MIN, i64::MAX)?;
                        prop_assert!(fills(&out).is_empty(), "no fill before the next bar");
                    }
                }
                let (high, low) = (open + up, open - down);
                let close = low + (high - low) * close_pct / 100;
                let got = bar(&mut e, [open, high, low, close], ts);
                for ev in &got {
                    if let OrderEventKind::Filled { price, .. } = ev.kind {
                        prop_assert!(low <= price && price <= high, "fill {price} outside the bar [{low}, {high}]");
                        let at = arrived[ev.order_id as usize];
                        prop_assert!(ts - 60 >= at, "order {} arrived at {at}, filled on the bar opened at {}", ev.order_id, ts - 60);
                        let o = &orders[ev.order_id as usize];
                        if let (OrderType::StopMarket, Some(t)) = (o.order_type(), o.request.trigger_price) {
                            match o.side() {
                                Buy => prop_assert!(price >= t, "buy stop fill {price} below its trigger {t}"),
                                Sell => prop_assert!(price <= t, "sell stop fill {price} above its trigger {t}"),
                            }
                        }
                    }
                }
                check(&mut orders, &got, low, high)?;
            }
        }
    }
}

/// Cost per delta of the exchange against the bare book (prints, asserts
/// nothing about time): `cargo test --release -p ferrox-engine
/// matching::tests::delta_overhead -- --ignored --nocapture`.
#[test]
#[ignore]
fn delta_overhead() {
    use crate::book::L2Book;
    use std::time::Instant;
    // A deterministic random walk of level updates near the top of a book.
    let mut deltas = Vec::with_capacity(2_000_000);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut mid = 10_000i64;
    for k in 0..2_000_000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if x % 50 == 0 {
            mid += if x % 100 == 0 { 1 } else { -1 };
        }
        let off = (x >> 8) as i64 % 20;
        let bid = (x >> 40) % 2 == 0;
        let price = if bid { mid - 1 - off } else { mid + 1 + off };
        let size = ((x >> 20) % 8) as i64;
        deltas.push(BookDelta {
            action: BookAction::Update,
            side: if bid { BookSide::Bid } else { BookSide::Ask },
            price,
            size,
            flags: if k % 8 == 7 { FLAG_LAST } else { 0 },
            ts_init: k as i64,
            ..BookDelta::default()
        });
    }
    let mut book = L2Book::new();
    let t = Instant::now();
    for d in &deltas {
        book.apply(d);
    }
    let bare = t.elapsed().as_nanos() as f64 / deltas.len() as f64;
    let mut out = Vec::with_capacity(64);
    let mut idle = ex();
    let t = Instant::now();
    for d in &deltas {
        idle.on_delta(d, &mut out);
    }
    let no_orders = t.elapsed().as_nanos() as f64 / deltas.len() as f64;
    let mut busy = ex();
    for d in &deltas[..1000] {
        busy.on_delta(d, &mut out);
    }
    out.clear();
    // Orders far from the market: a deep bid, a far ask, a far stop.
    busy.on_command(
        &VenueCommand::Submit {
            id: 1,
            request: limit(Buy, 1, 5_000),
        },
        1,
        &mut out,
    );
    busy.on_command(
        &VenueCommand::Submit {
            id: 2,
            request: limit(Sell, 1, 15_000),
        },
        1,
        &mut out,
    );
    let far_stop = stop(OrderType::StopMarket, Buy, 1, 20_000, None);
    busy.on_command(
        &VenueCommand::Submit {
            id: 3,
            request: far_stop,
        },
        1,
        &mut out,
    );
    out.clear();
    let t = Instant::now();
    for d in &deltas[1000..] {
        busy.on_delta(d, &mut out);
    }
    let with_orders = t.elapsed().as_nanos() as f64 / (deltas.len() - 1000) as f64;
    println!(
        "ns/delta: L2Book::apply {bare:.1}, exchange without orders {no_orders:.1}, with 3 far orders {with_orders:.1} ({} events)",
        out.len()
    );
}

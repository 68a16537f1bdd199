//! The order state machine against a specification written apart from it.
//!
//! [`spec_next`] is the legal transition table, adapted from
//! NautilusTrader's order FSM (`nautilus_trader/model/orders/base.pyx`) to
//! this engine's events: for each status, which events are allowed and what
//! status follows. Where it departs from Nautilus it says why. The property
//! test applies random event sequences to random orders and requires
//! `Order::apply` to agree with the table both ways (allowed events are
//! taken, every other event is refused and leaves the order unchanged).

use proptest::prelude::*;

use super::order::{Order, OrderError, OrderEvent, OrderEventKind as E};
use super::types::{
    LiquiditySide, OrderRequest, OrderSide, OrderStatus as S, OrderType, TrailingOffsetType,
};

/// What the specification remembers of an order's past, kept by the test
/// itself (not read from `Order`).
#[derive(Debug, Clone, Copy)]
struct History {
    /// The status a pending cancel/modify returns to when it is refused.
    resume: S,
    /// Whether the trigger was hit.
    triggered: bool,
}

/// The status `event` leads to from `status`, or `None` if the event is not
/// allowed. `quantity`/`filled` are the order's (raw), `has_trigger` whether
/// its type waits for a trigger.
fn spec_next(
    status: S,
    history: History,
    event: &E,
    quantity: i64,
    filled: i64,
    has_trigger: bool,
) -> Option<S> {
    let leaves = quantity - filled;
    // A fill's status: complete, or partial (a pending request stays pending).
    let after_fill = |q: i64, partial: S| -> Option<S> {
        if q <= 0 || q > leaves {
            None
        } else if q == leaves {
            Some(S::Filled)
        } else {
            Some(partial)
        }
    };
    // A modify's status: the new quantity must cover what has filled.
    let after_update = |q: i64, keep: S| -> Option<S> {
        if q <= 0 || q < filled {
            None
        } else if q == filled {
            Some(S::Filled)
        } else {
            Some(keep)
        }
    };
    let can_trigger = has_trigger && !history.triggered;
    let not_yet_accepted = history.resume == S::Submitted;
    match (status, event) {
        // Terminal states take nothing. (Nautilus lets a cancelled order
        // fill, a venue reality; here the venue is simulated and never
        // fills a cancelled order.)
        (S::Denied | S::Rejected | S::Filled | S::Cancelled | S::Expired, _) => None,

        (S::Initialized, E::Denied { .. }) => Some(S::Denied),
        (S::Initialized, E::Submitted) => Some(S::Submitted),
        // A held contingent order is cancelled without reaching a venue.
        (S::Initialized, E::Cancelled) => Some(S::Cancelled),

        (S::Submitted, E::Accepted) => Some(S::Accepted),
        (S::Submitted, E::Rejected { .. }) => Some(S::Rejected),
        (S::Submitted, E::PendingCancel) => Some(S::PendingCancel),
        (S::Submitted, E::PendingUpdate) => Some(S::PendingUpdate),
        (S::Submitted, E::Filled { quantity: q, .. }) => after_fill(*q, S::PartiallyFilled),
        // IOC/FOK remainders are cancelled on arrival.
        (S::Submitted, E::Cancelled) => Some(S::Cancelled),

        (S::Accepted | S::Triggered | S::PartiallyFilled, E::PendingCancel) => {
            Some(S::PendingCancel)
        }
        (S::Accepted | S::Triggered | S::PartiallyFilled, E::PendingUpdate) => {
            Some(S::PendingUpdate)
        }
        // The venue may change a working order unasked (Nautilus applies
        // updates outside the FSM).
        (S::Accepted | S::Triggered | S::PartiallyFilled, E::Updated { quantity: q, .. }) => {
            after_update(*q, status)
        }
        (S::Accepted, E::Triggered) if can_trigger => Some(S::Triggered),
        (S::Accepted | S::Triggered | S::PartiallyFilled, E::Filled { quantity: q, .. }) => {
            after_fill(*q, S::PartiallyFilled)
        }
        (S::Accepted | S::Triggered | S::PartiallyFilled, E::Cancelled | E::Expired) => {
            Some(if matches!(event, E::Cancelled) {
                S::Cancelled
            } else {
                S::Expired
            })
        }

        // A request in flight: one at a time, except that a cancel may
        // follow a modify (Nautilus allows repeats; here the engine refuses
        // a second request of the same kind instead of losing track of
        // which answer is which).
        (S::PendingUpdate, E::PendingCancel) => Some(S::PendingCancel),
        (S::PendingCancel, E::CancelRejected { .. }) => Some(history.resume),
        (S::PendingUpdate, E::ModifyRejected { .. }) => Some(history.resume),
        (S::PendingUpdate, E::Updated { quantity: q, .. }) => after_update(*q, history.resume),
        // A modify sent before the cancel is answered while the cancel waits.
        (S::PendingCancel, E::ModifyRejected { .. }) => Some(S::PendingCancel),
        (S::PendingCancel, E::Updated { quantity: q, .. }) => after_update(*q, S::PendingCancel),
        // Events the venue produced before it saw the request.
        (S::PendingCancel | S::PendingUpdate, E::Accepted) if not_yet_accepted => Some(status),
        (S::PendingCancel | S::PendingUpdate, E::Rejected { .. }) if not_yet_accepted => {
            Some(S::Rejected)
        }
        (S::PendingCancel | S::PendingUpdate, E::Triggered) if can_trigger => Some(status),
        (S::PendingCancel | S::PendingUpdate, E::Filled { quantity: q, .. }) => {
            after_fill(*q, status)
        }
        (S::PendingCancel | S::PendingUpdate, E::Cancelled) => Some(S::Cancelled),
        (S::PendingCancel | S::PendingUpdate, E::Expired) => Some(S::Expired),

        _ => None,
    }
}

/// The specification's memory after an allowed event.
fn spec_history(history: History, from: S, to: S, event: &E) -> History {
    let pending = |s: S| matches!(s, S::PendingCancel | S::PendingUpdate);
    let mut h = history;
    match event {
        E::PendingCancel | E::PendingUpdate if !pending(from) => h.resume = from,
        E::Accepted if pending(from) => h.resume = S::Accepted,
        E::Triggered => {
            h.triggered = true;
            if pending(from) {
                h.resume = S::Triggered;
            }
        }
        E::Filled { .. } if pending(from) && pending(to) => h.resume = S::PartiallyFilled,
        _ => {}
    }
    h
}

fn request(order_type: OrderType, quantity: i64) -> OrderRequest {
    OrderRequest {
        order_type,
        price: order_type.has_limit_price().then_some(100),
        trigger_price: order_type.has_trigger().then_some(105),
        trailing_offset: None,
        trailing_offset_type: TrailingOffsetType::Price,
        ..OrderRequest::market(0, OrderSide::Buy, quantity)
    }
}

fn event(kind: E) -> OrderEvent {
    OrderEvent {
        order_id: 7,
        kind,
        ts: 1,
    }
}

fn fill(quantity: i64) -> E {
    E::Filled {
        price: 100,
        quantity,
        liquidity: LiquiditySide::Maker,
    }
}

fn updated(quantity: i64) -> E {
    E::Updated {
        quantity,
        price: Some(101),
        trigger_price: None,
    }
}

fn order_type() -> impl Strategy<Value = OrderType> {
    prop_oneof![
        Just(OrderType::Market),
        Just(OrderType::Limit),
        Just(OrderType::StopMarket),
        Just(OrderType::StopLimit),
        Just(OrderType::MarketIfTouched),
        Just(OrderType::LimitIfTouched),
        Just(OrderType::TrailingStopMarket),
        Just(OrderType::TrailingStopLimit),
    ]
}

fn any_event() -> impl Strategy<Value = E> {
    prop_oneof![
        1 => Just(E::Denied { code: "RISK", message: "".into() }),
        3 => Just(E::Submitted),
        3 => Just(E::Accepted),
        1 => Just(E::Rejected { code: "VENUE", message: "".into() }),
        2 => Just(E::PendingCancel),
        2 => Just(E::PendingUpdate),
        2 => (-1i64..14).prop_map(updated),
        2 => Just(E::CancelRejected { message: "".into() }),
        2 => Just(E::ModifyRejected { message: "".into() }),
        2 => Just(E::Triggered),
        5 => (-1i64..13).prop_map(fill),
        1 => Just(E::Cancelled),
        1 => Just(E::Expired),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn apply_follows_the_specified_transitions(
        order_type in order_type(),
        quantity in 1i64..12,
        events in prop::collection::vec(any_event(), 1..40),
    ) {
        let mut order = Order::new(7, request(order_type, quantity), 0);
        let mut history = History { resume: S::Initialized, triggered: false };
        for kind in events {
            let before = order.clone();
            let expected = spec_next(
                order.status,
                history,
                &kind,
                order.request.quantity,
                order.filled_qty,
                order_type.has_trigger(),
            );
            let result = order.apply(&event(kind.clone()));
            match expected {
                Some(next) => {
                    prop_assert!(
                        result.is_ok(),
                        "{} -> {} refused: {:?}", before.status.as_str(), kind.name(), result
                    );
                    prop_assert_eq!(
                        order.status, next,
                        "{} -> {}", before.status.as_str(), kind.name()
                    );
                    history = spec_history(history, before.status, next, &kind);
                }
                None => {
                    prop_assert!(
                        result.is_err(),
                        "{} -> {} taken (now {})",
                        before.status.as_str(), kind.name(), order.status.as_str()
                    );
                    prop_assert_eq!(&order, &before, "a refused event changed the order");
                }
            }
            prop_assert!(order.filled_qty >= 0 && order.filled_qty <= order.request.quantity);
            prop_assert_eq!(
                order.status == S::Filled,
                order.filled_qty == order.request.quantity,
                "status {} with {} of {} filled",
                order.status.as_str(), order.filled_qty, order.request.quantity
            );
            prop_assert!(order.triggered <= order_type.has_trigger());
        }
    }

    #[test]
    fn terminal_orders_refuse_every_event(
        terminal in prop_oneof![
            Just(E::Denied { code: "RISK", message: "".into() }),
            Just(E::Rejected { code: "VENUE", message: "".into() }),
            Just(fill(5)),
            Just(E::Cancelled),
            Just(E::Expired),
        ],
        kind in any_event(),
    ) {
        let mut order = Order::new(7, request(OrderType::Limit, 5), 0);
        let path: &[E] = match terminal {
            E::Denied { .. } => &[],
            E::Rejected { .. } => &[E::Submitted],
            _ => &[E::Submitted, E::Accepted],
        };
        for step in path.iter().cloned().chain([terminal]) {
            order.apply(&event(step)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        prop_assert!(order.status.is_terminal());
        let before = order.clone();
        let refused = order.apply(&event(kind));
        prop_assert!(
            matches!(refused, Err(OrderError::IllegalTransition { .. })),
            "{:?}", refused
        );
        prop_assert_eq!(order, before);
    }
}

/// An order walked through `events`, each of which must be taken.
fn walked(order_type: OrderType, quantity: i64, events: &[E]) -> Order {
    let mut order = Order::new(7, request(order_type, quantity), 0);
    for kind in events {
        if let Err(e) = order.apply(&event(kind.clone())) {
            panic!("{} refused: {e}", kind.name());
        }
    }
    order
}

#[test]
fn fill_racing_a_pending_cancel_keeps_the_cancel_pending() {
    let order = walked(
        OrderType::Limit,
        10,
        &[E::Submitted, E::Accepted, E::PendingCancel, fill(4)],
    );
    assert_eq!(order.status, S::PendingCancel);
    assert_eq!(order.filled_qty, 4);
}

#[test]
fn cancel_refused_after_a_racing_fill_returns_to_partially_filled() {
    let order = walked(
        OrderType::Limit,
        10,
        &[
            E::Submitted,
            E::Accepted,
            E::PendingCancel,
            fill(4),
            E::CancelRejected {
                message: "too late".into(),
            },
        ],
    );
    assert_eq!(order.status, S::PartiallyFilled);
}

#[test]
fn fill_completing_during_a_pending_cancel_fills_the_order() {
    let order = walked(
        OrderType::Limit,
        10,
        &[E::Submitted, E::Accepted, E::PendingCancel, fill(10)],
    );
    assert_eq!(order.status, S::Filled);
}

#[test]
fn modify_refused_restores_the_status() {
    let order = walked(
        OrderType::Limit,
        10,
        &[
            E::Submitted,
            E::Accepted,
            fill(3),
            E::PendingUpdate,
            E::ModifyRejected {
                message: "no".into(),
            },
        ],
    );
    assert_eq!(order.status, S::PartiallyFilled);
    assert_eq!(order.request.quantity, 10);
}

#[test]
fn modify_applied_changes_quantity_and_price() {
    let order = walked(
        OrderType::Limit,
        10,
        &[E::Submitted, E::Accepted, E::PendingUpdate, updated(6)],
    );
    assert_eq!(order.status, S::Accepted);
    assert_eq!(
        (order.request.quantity, order.request.price),
        (6, Some(101))
    );
}

#[test]
fn modify_down_to_the_filled_quantity_completes_the_order() {
    let order = walked(
        OrderType::Limit,
        10,
        &[
            E::Submitted,
            E::Accepted,
            fill(4),
            E::PendingUpdate,
            updated(4),
        ],
    );
    assert_eq!(order.status, S::Filled);
}

#[test]
fn modify_below_the_filled_quantity_is_refused_with_the_numbers() {
    let mut order = walked(
        OrderType::Limit,
        10,
        &[E::Submitted, E::Accepted, fill(4), E::PendingUpdate],
    );
    let err = order.apply(&event(updated(3))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "order 7: new quantity 3 is below the filled quantity 4"
    );
    assert_eq!(order.status, S::PendingUpdate);
}

#[test]
fn partially_filled_then_cancelled_keeps_its_fills() {
    let order = walked(
        OrderType::Limit,
        10,
        &[
            E::Submitted,
            E::Accepted,
            fill(3),
            E::PendingCancel,
            E::Cancelled,
        ],
    );
    assert_eq!(order.status, S::Cancelled);
    assert_eq!((order.filled_qty, order.leaves_qty()), (3, 7));
}

#[test]
fn overfill_is_refused_with_the_numbers() {
    let mut order = walked(OrderType::Limit, 10, &[E::Submitted, E::Accepted, fill(6)]);
    let err = order.apply(&event(fill(5))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "order 7: fill of 5 exceeds leaves quantity 4"
    );
    assert_eq!(order.filled_qty, 6);
}

#[test]
fn fill_after_cancel_is_an_illegal_transition() {
    let mut order = walked(
        OrderType::Limit,
        10,
        &[E::Submitted, E::Accepted, E::Cancelled],
    );
    let err = order.apply(&event(fill(1))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "order 7: illegal transition CANCELLED -> FILLED"
    );
}

#[test]
fn market_order_cannot_be_triggered() {
    let mut order = walked(OrderType::Market, 1, &[E::Submitted, E::Accepted]);
    assert!(order.apply(&event(E::Triggered)).is_err());
}

#[test]
fn stop_limit_triggers_once_then_fills() {
    let mut order = walked(
        OrderType::StopLimit,
        10,
        &[E::Submitted, E::Accepted, E::Triggered, fill(10)],
    );
    assert_eq!(order.status, S::Filled);
    assert!(order.triggered);
    let mut again = walked(
        OrderType::StopLimit,
        10,
        &[E::Submitted, E::Accepted, E::Triggered],
    );
    assert!(again.apply(&event(E::Triggered)).is_err());
    assert!(order.apply(&event(E::Triggered)).is_err());
}

#[test]
fn trigger_during_a_pending_cancel_is_kept_for_a_refused_cancel() {
    let order = walked(
        OrderType::StopMarket,
        10,
        &[
            E::Submitted,
            E::Accepted,
            E::PendingCancel,
            E::Triggered,
            E::CancelRejected {
                message: "no".into(),
            },
        ],
    );
    assert_eq!(order.status, S::Triggered);
}

#[test]
fn accept_arriving_after_a_cancel_request_keeps_the_cancel_pending() {
    // Submit and cancel before the venue's ack has come back: the ack then
    // arrives while the cancel waits.
    let order = walked(
        OrderType::Limit,
        10,
        &[
            E::Submitted,
            E::PendingCancel,
            E::Accepted,
            E::CancelRejected {
                message: "no".into(),
            },
        ],
    );
    assert_eq!(order.status, S::Accepted);
}

#[test]
fn reject_arriving_after_a_cancel_request_rejects_the_order() {
    let order = walked(
        OrderType::Limit,
        10,
        &[
            E::Submitted,
            E::PendingCancel,
            E::Rejected {
                code: "POST_ONLY_WOULD_TAKE",
                message: "".into(),
            },
        ],
    );
    assert_eq!(order.status, S::Rejected);
}

#[test]
fn modify_answered_while_a_later_cancel_waits() {
    let order = walked(
        OrderType::Limit,
        10,
        &[
            E::Submitted,
            E::Accepted,
            E::PendingUpdate,
            E::PendingCancel,
            updated(6),
        ],
    );
    assert_eq!(order.status, S::PendingCancel);
    assert_eq!(order.request.quantity, 6);
}

#[test]
fn held_order_is_cancelled_without_a_venue() {
    let order = walked(OrderType::Limit, 10, &[E::Cancelled]);
    assert_eq!(order.status, S::Cancelled);
}

#[test]
fn average_price_is_the_exact_quantity_weighted_mean() {
    let mut order = walked(OrderType::Limit, 10, &[E::Submitted, E::Accepted]);
    for (price, quantity) in [(100, 3), (103, 7)] {
        let kind = E::Filled {
            price,
            quantity,
            liquidity: LiquiditySide::Taker,
        };
        order.apply(&event(kind)).unwrap();
    }
    assert_eq!(order.filled_notional, 100 * 3 + 103 * 7);
    assert_eq!(order.avg_px(), Some(1021.0 / 10.0));
}

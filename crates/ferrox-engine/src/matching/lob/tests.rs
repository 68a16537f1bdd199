//! The order-against-order book checked against a naive reference: a plain
//! list of resting orders into which every event is replayed. Each trade must
//! hit the reference's best-priority order, and after every call the book
//! must equal the reference, be uncrossed and conserve quantity.

use proptest::prelude::*;

use super::*;
use crate::orders::OrderSide::{Buy, Sell};

fn book(stp: StpMode) -> LimitOrderBook {
    LimitOrderBook::new(1, 1, stp).unwrap()
}

fn trades(events: &[LobEvent]) -> Vec<Execution> {
    events
        .iter()
        .filter_map(|e| match e {
            LobEvent::Trade(x) => Some(*x),
            _ => None,
        })
        .collect()
}

#[test]
fn incoming_order_takes_best_price_then_oldest_order() {
    let mut b = book(StpMode::CancelNewest);
    let mut out = Vec::new();
    b.submit(NewOrder::limit(1, 10, Sell, 101, 5), 0, &mut out)
        .unwrap();
    b.submit(NewOrder::limit(2, 11, Sell, 100, 3), 0, &mut out)
        .unwrap();
    b.submit(NewOrder::limit(3, 12, Sell, 100, 4), 0, &mut out)
        .unwrap();
    out.clear();
    b.submit(NewOrder::limit(4, 13, Buy, 101, 10), 0, &mut out)
        .unwrap();
    let fills: Vec<(u64, i64, i64)> = trades(&out)
        .iter()
        .map(|t| (t.maker_id, t.price, t.size))
        .collect();
    assert_eq!(fills, vec![(2, 100, 3), (3, 100, 4), (1, 101, 3)]);
    assert_eq!(b.order(1).map(|o| o.leaves), Some(2));
    assert!(b.order(4).is_none());
}

#[test]
fn size_decrease_keeps_priority_and_increase_loses_it() {
    let mut b = book(StpMode::CancelNewest);
    let mut out = Vec::new();
    for id in 1..=3 {
        b.submit(NewOrder::limit(id, id, Buy, 50, 10), 0, &mut out)
            .unwrap();
    }
    b.modify(1, None, Some(4), 0, &mut out).unwrap();
    assert_eq!(b.queue_position(1).unwrap().orders_ahead, 0);
    b.modify(2, None, Some(11), 0, &mut out).unwrap();
    let queue: Vec<u64> = b.orders_at(Buy, 50).map(|o| o.id).collect();
    assert_eq!(queue, vec![1, 3, 2]);
    assert_eq!(
        b.queue_position(2).unwrap(),
        QueuePosition {
            orders_ahead: 2,
            quantity_ahead: 14
        }
    );
}

#[test]
fn errors_name_the_order_and_the_numbers() {
    let mut b = LimitOrderBook::new(5, 10, StpMode::CancelNewest).unwrap();
    let mut out = Vec::new();
    let err = b.submit(NewOrder::limit(7, 1, Buy, 101, 10), 0, &mut out);
    assert_eq!(
        err.unwrap_err().to_string(),
        "order 7: price 101 must be a positive multiple of the tick size 5"
    );
    let err = b.submit(NewOrder::limit(7, 1, Buy, 100, 15), 0, &mut out);
    assert_eq!(
        err.unwrap_err().to_string(),
        "order 7: quantity 15 must be a positive multiple of the lot size 10"
    );
    b.submit(NewOrder::limit(7, 1, Buy, 100, 10), 0, &mut out)
        .unwrap();
    let dup = b.submit(NewOrder::limit(7, 1, Buy, 100, 10), 0, &mut out);
    assert_eq!(dup, Err(LobError::DuplicateId { id: 7 }));
    assert_eq!(
        b.cancel(8, 0, &mut out),
        Err(LobError::UnknownOrder { id: 8 })
    );
}

#[derive(Debug, Clone)]
enum Op {
    Submit(NewOrder),
    Cancel(u64),
    Modify(u64, Option<i64>, Option<i64>),
}

fn stp_mode() -> impl Strategy<Value = StpMode> {
    prop_oneof![
        Just(StpMode::CancelNewest),
        Just(StpMode::CancelOldest),
        Just(StpMode::CancelBoth),
        Just(StpMode::DecrementAndCancel),
    ]
}

fn new_order(id: u64) -> impl Strategy<Value = NewOrder> {
    (
        0u64..3,
        prop_oneof![Just(Buy), Just(Sell)],
        prop::option::weighted(0.9, 95i64..=105),
        1i64..=8,
        prop_oneof![
            4 => Just(LobTimeInForce::Gtc),
            1 => Just(LobTimeInForce::Ioc),
            1 => Just(LobTimeInForce::Fok),
        ],
        prop::bool::weighted(0.15),
        prop::option::weighted(0.3, stp_mode()),
    )
        .prop_map(move |(owner, side, price, quantity, tif, post_only, stp)| {
            let post_only = post_only && price.is_some() && tif == LobTimeInForce::Gtc;
            NewOrder {
                id,
                owner,
                side,
                price,
                quantity,
                time_in_force: tif,
                post_only,
                stp,
            }
        })
}

fn ops(max: usize) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        (
            0u8..10,
            0u64..64,
            prop::option::of(95i64..=105),
            prop::option::of(1i64..=8),
        ),
        1..max,
    )
    .prop_flat_map(|raw| {
        let orders: Vec<_> = (0..raw.len() as u64).map(new_order).collect();
        (Just(raw), orders)
    })
    .prop_map(|(raw, orders)| {
        raw.into_iter()
            .zip(orders)
            .map(|((kind, target, price, qty), order)| match kind {
                0 => Op::Cancel(target % (order.id + 1)),
                1 | 2 => Op::Modify(target % (order.id + 1), price, qty),
                _ => Op::Submit(order),
            })
            .collect()
    })
}

/// A resting order in the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ref {
    id: u64,
    owner: u64,
    side: OrderSide,
    price: i64,
    leaves: i64,
    priority: u64,
}

#[derive(Default)]
struct Reference {
    resting: Vec<Ref>,
    /// Quantity that entered: submits plus modify increases.
    entered: i64,
    /// Quantity that left: 2 x traded, cancelled, modify decreases.
    left: i64,
}

impl Reference {
    fn best_priority(&self, side: OrderSide) -> Option<Ref> {
        self.resting
            .iter()
            .filter(|r| r.side == side)
            .min_by_key(|r| {
                let price_rank = if side == Buy { -r.price } else { r.price };
                (price_rank, r.priority)
            })
            .copied()
    }

    fn find(&mut self, id: u64) -> Option<&mut Ref> {
        self.resting.iter_mut().find(|r| r.id == id)
    }

    fn total(&self) -> i64 {
        self.resting.iter().map(|r| r.leaves).sum()
    }

    /// Replays the events of one call; `taker` is the submitted or modified
    /// order's (owner, side, limit, stp).
    fn replay(&mut self, events: &[LobEvent], taker: (u64, OrderSide, Option<i64>, StpMode)) {
        for event in events {
            match *event {
                LobEvent::Trade(x) => {
                    let best = self.best_priority(taker.1.opposite()).unwrap();
                    assert_eq!(best.id, x.maker_id, "trade skipped price-time priority");
                    assert_eq!(best.price, x.price, "trade not at the resting price");
                    assert_eq!(x.taker_owner, taker.0);
                    if let Some(limit) = taker.2 {
                        let ok = if taker.1 == Buy {
                            x.price <= limit
                        } else {
                            x.price >= limit
                        };
                        assert!(ok, "trade at {} beyond the limit {limit}", x.price);
                    }
                    if taker.3 != StpMode::None {
                        assert_ne!(x.maker_owner, x.taker_owner, "self-trade");
                    }
                    let maker = self.find(x.maker_id).unwrap();
                    maker.leaves -= x.size;
                    assert!(maker.leaves >= 0);
                    self.resting.retain(|r| r.leaves > 0);
                    self.left += 2 * x.size;
                }
                LobEvent::Rested {
                    seq,
                    id,
                    owner,
                    side,
                    price,
                    leaves,
                    ..
                } => {
                    assert!(self.find(id).is_none());
                    self.resting.push(Ref {
                        id,
                        owner,
                        side,
                        price,
                        leaves,
                        priority: seq,
                    });
                }
                LobEvent::Cancelled {
                    id,
                    cancelled,
                    leaves,
                    reason,
                    ..
                } => {
                    if reason == CancelReason::SelfTrade {
                        assert_ne!(taker.3, StpMode::None);
                    }
                    if let Some(r) = self.find(id) {
                        assert_eq!(r.leaves - cancelled, leaves);
                        r.leaves = leaves;
                        self.resting.retain(|r| r.leaves > 0);
                    }
                    self.left += cancelled;
                }
                LobEvent::Modified {
                    id,
                    price,
                    leaves,
                    priority_kept,
                    ..
                } => {
                    let r = self.find(id).unwrap();
                    let change = leaves - r.leaves;
                    r.leaves = leaves;
                    r.price = price;
                    if change > 0 {
                        self.entered += change;
                    } else {
                        self.left -= change;
                    }
                    if !priority_kept {
                        self.resting.retain(|r| r.id != id);
                    }
                }
            }
        }
    }

    fn matches(&self, book: &LimitOrderBook) {
        for side in [Buy, Sell] {
            let mut expected: Vec<Ref> = self
                .resting
                .iter()
                .filter(|r| r.side == side)
                .copied()
                .collect();
            expected.sort_by_key(|r| {
                let price_rank = if side == Buy { -r.price } else { r.price };
                (price_rank, r.priority)
            });
            let actual: Vec<Ref> = book
                .depth(side)
                .flat_map(|level| {
                    let orders: Vec<_> = book.orders_at(side, level.price).collect();
                    assert_eq!(orders.len() as u32, level.orders);
                    assert_eq!(orders.iter().map(|o| o.leaves).sum::<i64>(), level.quantity);
                    orders
                })
                .map(|o| Ref {
                    id: o.id,
                    owner: o.owner,
                    side: o.side,
                    price: o.price,
                    leaves: o.leaves,
                    priority: o.seq_priority,
                })
                .collect();
            assert_eq!(actual, expected);
        }
        assert_eq!(book.len(), self.resting.len());
    }
}

fn run(ops: &[Op], default_stp: StpMode) -> LimitOrderBook {
    let mut book = book(default_stp);
    let mut reference = Reference::default();
    let mut out = Vec::new();
    for (ts, op) in ops.iter().enumerate() {
        out.clear();
        let before_seq = book.last_seq();
        let (result, taker) = match *op {
            Op::Submit(order) => {
                let taker = (
                    order.owner,
                    order.side,
                    order.price,
                    order.stp.unwrap_or(default_stp),
                );
                let r = book.submit(order, ts as i64, &mut out);
                if r.is_ok() {
                    reference.entered += order.quantity;
                }
                (r, taker)
            }
            Op::Cancel(id) => (
                book.cancel(id, ts as i64, &mut out),
                (0, Buy, None, default_stp),
            ),
            Op::Modify(id, price, qty) => {
                let taker = book.order(id).map_or((0, Buy, None, default_stp), |o| {
                    (
                        o.owner,
                        o.side,
                        Some(price.unwrap_or(o.price)),
                        o.stp.unwrap_or(default_stp),
                    )
                });
                (book.modify(id, price, qty, ts as i64, &mut out), taker)
            }
        };
        match result {
            Ok(()) => assert!(!out.is_empty()),
            Err(LobError::UnknownOrder { .. }) | Err(LobError::DuplicateId { .. }) => {
                assert!(out.is_empty());
            }
            Err(e) => panic!("unexpected error {e}"),
        }
        let seqs: Vec<u64> = out.iter().map(LobEvent::seq).collect();
        let expected: Vec<u64> = (before_seq + 1..=book.last_seq()).collect();
        assert_eq!(seqs, expected, "sequence numbers are consecutive");
        reference.replay(&out, taker);
        reference.matches(&book);
        assert!(!book.is_crossed(), "book left crossed");
        assert_eq!(
            reference.entered,
            reference.left + reference.total(),
            "quantity not conserved"
        );
    }
    book
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn matching_keeps_priority_conservation_and_no_self_trade(
        ops in ops(80),
        default_stp in stp_mode(),
    ) {
        run(&ops, default_stp);
    }

    #[test]
    fn fok_either_fills_completely_or_leaves_the_book_unchanged(
        ops in ops(40),
        order in new_order(1000),
    ) {
        let mut book = run(&ops, StpMode::CancelNewest);
        let before: Vec<_> = [Buy, Sell].iter().flat_map(|&s| book.depth(s).collect::<Vec<_>>()).collect();
        let mut out = Vec::new();
        let fok = NewOrder { time_in_force: LobTimeInForce::Fok, post_only: false, ..order };
        book.submit(fok, 0, &mut out).unwrap();
        let filled: i64 = trades(&out).iter().map(|t| t.size).sum();
        if filled == 0 {
            let after: Vec<_> = [Buy, Sell].iter().flat_map(|&s| book.depth(s).collect::<Vec<_>>()).collect();
            prop_assert_eq!(before, after);
        } else {
            prop_assert_eq!(filled, fok.quantity);
        }
    }
}

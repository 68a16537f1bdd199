//! Bar aggregation: worked examples per kind, and properties every kind keeps.

use proptest::prelude::*;

use super::*;
use crate::types::AggressorSide;

const SECOND: i64 = 1_000_000_000;

fn trade(ts: i64, price: i64, size: i64, side: AggressorSide) -> Trade {
    Trade {
        ts,
        price,
        size,
        side,
    }
}

fn aggregator(spec: &str, empty_bars: bool) -> BarAggregator {
    BarAggregator::new(&BarSpec::parse(spec).unwrap(), Some(2), Some(3), empty_bars).unwrap()
}

/// One trade at a time through `update`/`next_pending`, then `flush`.
fn stream(agg: &mut BarAggregator, trades: &[Trade]) -> Vec<OhlcvBar> {
    let mut out = Vec::new();
    for t in trades {
        if let Some(bar) = agg.update(t) {
            out.push(bar);
            while let Some(bar) = agg.next_pending() {
                out.push(bar);
            }
        }
    }
    out.extend(agg.flush());
    out
}

fn batch(agg: &mut BarAggregator, trades: &[Trade]) -> Vec<OhlcvBar> {
    let ts: Vec<i64> = trades.iter().map(|t| t.ts).collect();
    let price: Vec<i64> = trades.iter().map(|t| t.price).collect();
    let size: Vec<i64> = trades.iter().map(|t| t.size).collect();
    let side: Vec<u8> = trades.iter().map(|t| t.side as u8).collect();
    let columns = TradeColumns {
        ts_name: "ts_event",
        ts: &ts,
        price: &price,
        size: &size,
        side: Some(&side),
    };
    aggregate_trades(agg, &columns).unwrap()
}

#[test]
fn time_bars_are_aligned_to_the_epoch_and_closed_on_the_left() {
    use AggressorSide::*;
    let trades = [
        trade(61 * SECOND, 100, 1, Buyer),
        trade(90 * SECOND, 105, 2, Seller),
        trade(119 * SECOND, 99, 3, NoAggressor),
        trade(120 * SECOND, 101, 4, Buyer), // a bucket's end opens the next
    ];
    let bars = stream(&mut aggregator("1m", false), &trades);
    assert_eq!(bars.len(), 2);
    let first = bars[0];
    assert_eq!((first.ts_open, first.ts_close), (60 * SECOND, 120 * SECOND));
    assert_eq!(
        (first.open, first.high, first.low, first.close),
        (100, 105, 99, 99)
    );
    assert_eq!(
        (first.volume, first.buy_volume, first.sell_volume),
        (6, 1, 2)
    );
    assert_eq!(
        (first.ts_first, first.ts_last, first.trade_count),
        (61 * SECOND, 119 * SECOND, 3)
    );
    assert_eq!(first.value, 100 + 105 * 2 + 99 * 3);
    assert_eq!(
        (bars[1].ts_open, bars[1].open, bars[1].volume),
        (120 * SECOND, 101, 4)
    );
}

#[test]
fn empty_time_bars_carry_the_previous_close_with_zero_volume() {
    let trades = [
        trade(0, 100, 1, AggressorSide::Buyer),
        trade(SECOND / 2, 103, 1, AggressorSide::Buyer),
        trade(3 * SECOND, 107, 1, AggressorSide::Buyer),
    ];
    let bars = stream(&mut aggregator("1s", true), &trades);
    let opens: Vec<i64> = bars.iter().map(|b| b.ts_open).collect();
    assert_eq!(opens, [0, SECOND, 2 * SECOND, 3 * SECOND]);
    for empty in &bars[1..3] {
        assert_eq!(
            (empty.open, empty.high, empty.low, empty.close),
            (103, 103, 103, 103)
        );
        assert_eq!((empty.volume, empty.trade_count, empty.value), (0, 0, 0));
    }
    assert_eq!(bars[3].open, 107);
}

#[test]
fn negative_timestamps_fall_in_floor_buckets() {
    let bars = stream(
        &mut aggregator("1s", false),
        &[trade(-1, 5, 1, AggressorSide::Buyer)],
    );
    assert_eq!((bars[0].ts_open, bars[0].ts_close), (-SECOND, 0));
}

#[test]
fn tick_volume_and_value_bars_close_on_the_trade_that_reaches_the_threshold() {
    let trades: Vec<Trade> = (0..7)
        .map(|i| trade(i, 100 + i, 400, AggressorSide::Buyer))
        .collect();
    let counts = |spec: &str| -> Vec<u64> {
        stream(&mut aggregator(spec, false), &trades)
            .iter()
            .map(|b| b.trade_count)
            .collect()
    };
    assert_eq!(counts("3-tick"), [3, 3, 1]);
    // 1 unit = 1000 raw at size precision 3; 400 raw per trade.
    assert_eq!(counts("1-volume"), [3, 3, 1]);
    assert_eq!(counts("0.8-volume"), [2, 2, 2, 1]);
    // value: 1.00 × 0.400 = 0.4 quote units per trade at price ~1.
    assert_eq!(counts("1.2-value"), [3, 3, 1]);
}

#[test]
fn threshold_bars_span_their_first_and_last_trade() {
    let trades = [
        trade(10, 1, 1, AggressorSide::Buyer),
        trade(20, 1, 1, AggressorSide::Buyer),
    ];
    let bars = stream(&mut aggregator("2-tick", false), &trades);
    assert_eq!((bars[0].ts_open, bars[0].ts_close), (10, 20));
}

#[test]
fn tick_imbalance_bars_follow_the_expected_imbalance() {
    // All buys: b·v = 1, so E0[b·v] = 1 and a bar closes when θ reaches E0[T].
    let trades: Vec<Trade> = (0..12)
        .map(|i| trade(i, 100, 1, AggressorSide::Buyer))
        .collect();
    let bars = stream(
        &mut aggregator("tick-imbalance:expected=4,span=1", false),
        &trades,
    );
    let counts: Vec<u64> = bars.iter().map(|b| b.trade_count).collect();
    assert_eq!(counts, [4, 4, 4]);
}

#[test]
fn the_tick_rule_signs_trades_without_an_aggressor() {
    use AggressorSide::*;
    let mut sign = super::info::TradeSign::default();
    let signs: Vec<f64> = [
        (100, NoAggressor), // no previous price: 0
        (101, NoAggressor), // up: +1
        (101, NoAggressor), // flat: previous sign
        (102, Seller),      // the venue's side wins
        (102, NoAggressor), // flat after an up-tick: +1
        (100, NoAggressor), // down: -1
    ]
    .iter()
    .map(|&(price, side)| sign.sign(&trade(0, price, 1, side)))
    .collect();
    assert_eq!(signs, [0.0, 1.0, 1.0, -1.0, 1.0, -1.0]);
}

#[test]
fn run_bars_close_when_one_side_outruns_its_expectation() {
    use AggressorSide::*;
    let sides = [Buyer, Seller, Buyer, Buyer, Seller, Buyer, Buyer, Buyer];
    let trades: Vec<Trade> = sides
        .iter()
        .enumerate()
        .map(|(i, &s)| trade(i as i64, 100, 1, s))
        .collect();
    let mut agg = RunBars::new(
        Measure::Tick,
        &InfoParams {
            expected: 4.0,
            span: 1.0,
            window: 1.0,
            ..InfoParams::default()
        },
    );
    let mut closes = Vec::new();
    for (i, t) in trades.iter().enumerate() {
        if agg.update(t).is_some() {
            closes.push(i);
        }
    }
    // Warm-up: at trade 4 (index 3) the last trade was a buy, so P = 1,
    // E0[v|b=1] = 1 and the threshold is 4·max(1·1, 0) = 4 > θ = 3 buys.
    // Index 5 makes 4 buys: close. E0[T] becomes 6 (span 1), threshold 6.
    assert_eq!(closes, [5]);
    assert_eq!(agg.threshold(), 6.0);
}

#[test]
fn quotes_feed_bid_ask_or_exact_mid() {
    let mid = Source::Mid.quote_trade(7, 1001, 1002, 3, 4).unwrap();
    assert_eq!((mid.ts, mid.price, mid.size), (7, 10015, 35));
    assert_eq!(Source::Mid.bar_precisions(2, 3), (3, 4));
    assert_eq!(
        Source::Bid.quote_trade(7, 1001, 1002, 3, 4).unwrap().price,
        1001
    );
    assert_eq!(
        Source::Ask.quote_trade(7, 1001, 1002, 3, 4).unwrap().size,
        4
    );
    assert!(Source::Mid.quote_trade(0, i64::MAX, 1, 0, 0).is_none());
}

#[test]
fn batch_rejects_unsorted_time_and_bad_sides() {
    let mut agg = aggregator("1s", false);
    let columns = TradeColumns {
        ts_name: "ts_event",
        ts: &[5, 4],
        price: &[1, 1],
        size: &[1, 1],
        side: Some(&[1, 3]),
    };
    let err = aggregate_trades(&mut agg, &columns).unwrap_err();
    assert!(
        err.to_string()
            .contains("row 1 (4) is earlier than row 0 (5)"),
        "{err}"
    );
    let columns = TradeColumns {
        ts: &[4, 5],
        ..columns
    };
    let err = aggregate_trades(&mut agg, &columns).unwrap_err();
    assert_eq!(err, BatchError::Side { row: 1, value: 3 });
    let columns = TradeColumns {
        price: &[1],
        ..columns
    };
    assert!(matches!(
        aggregate_trades(&mut agg, &columns),
        Err(BatchError::Length { .. })
    ));
}

#[test]
fn overflowing_volume_is_reported_not_wrapped() {
    let mut agg = aggregator("1d", false);
    let columns = TradeColumns {
        ts_name: "ts_event",
        ts: &[1, 2],
        price: &[1, 1],
        size: &[i64::MAX, 1],
        side: None,
    };
    assert_eq!(
        aggregate_trades(&mut agg, &columns),
        Err(BatchError::Overflow)
    );
}

/// A long deterministic stream (xorshift), crossing the batch path's chunks.
fn long_stream(n: usize) -> Vec<Trade> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (mut ts, mut price) = (1_723_161_256 * SECOND, 618_000i64);
    (0..n)
        .map(|_| {
            // Mostly dense trades, now and then a gap of several seconds.
            ts += if next() % 500 == 0 {
                (next() % 5_000) as i64 * 1_000_000
            } else {
                (next() % 20_000_000) as i64
            };
            price += (next() % 5) as i64 - 2;
            let side = match next() % 3 {
                1 => AggressorSide::Buyer,
                2 => AggressorSide::Seller,
                _ => AggressorSide::NoAggressor,
            };
            trade(ts, price, (next() % 5_000) as i64, side)
        })
        .collect()
}

#[test]
fn time_bar_batch_equals_streaming_across_chunks() {
    let trades = long_stream(20_000);
    for spec in ["10ms", "250ms", "1s", "1m"] {
        for empty_bars in [false, true] {
            let mut streamed = aggregator(spec, empty_bars);
            let mut batched = streamed.clone();
            assert_eq!(
                stream(&mut streamed, &trades),
                batch(&mut batched, &trades),
                "{spec} empty_bars={empty_bars}"
            );
        }
    }
}

#[test]
fn time_bar_batch_names_the_first_bad_row_beyond_the_first_chunk() {
    let mut trades = long_stream(10_000);
    trades[6_000].ts = trades[5_999].ts - 1;
    trades[7_000].size = -1;
    let mut agg = aggregator("1s", false);
    let ts: Vec<i64> = trades.iter().map(|t| t.ts).collect();
    let price: Vec<i64> = trades.iter().map(|t| t.price).collect();
    let size: Vec<i64> = trades.iter().map(|t| t.size).collect();
    let columns = TradeColumns {
        ts_name: "ts_event",
        ts: &ts,
        price: &price,
        size: &size,
        side: None,
    };
    let err = aggregate_trades(&mut agg, &columns).unwrap_err();
    assert!(
        matches!(err, BatchError::Unsorted { row: 6_000, .. }),
        "{err}"
    );
    let mut fixed = ts.clone();
    fixed[6_000] = ts[5_999];
    let columns = TradeColumns {
        ts: &fixed,
        ..columns
    };
    let err = aggregate_trades(&mut aggregator("1s", false), &columns).unwrap_err();
    assert!(
        matches!(err, BatchError::NegativeSize { row: 7_000, .. }),
        "{err}"
    );
}

#[test]
fn run_sums_switch_to_exact_i128_when_products_could_overflow_i64() {
    // price × size ≈ 2^61 each: the i64 shortcut would overflow over a run.
    let trades: Vec<Trade> = (0..40)
        .map(|i| trade(i, 1 << 40, 1 << 21, AggressorSide::Buyer))
        .collect();
    let mut streamed = aggregator("1m", false);
    let mut batched = streamed.clone();
    let bars = batch(&mut batched, &trades);
    assert_eq!(bars, stream(&mut streamed, &trades));
    assert_eq!(bars[0].value, 40 * (1i128 << 61));
}

const SPECS: [&str; 14] = [
    "1s",
    "250ms",
    "1m",
    "5-tick",
    "2-volume",
    "30-value",
    "tick-imbalance:expected=5,span=3",
    "volume-imbalance:expected=5,span=3,window=10",
    "value-imbalance:expected=8,min=2,max=50",
    "tick-run:expected=5,span=3",
    "volume-run:expected=5,window=7",
    "value-run:expected=10",
    "tick-imbalance:expected=1,span=1,window=1",
    "tick-run:expected=1,span=1,window=1",
];

fn trades_strategy() -> impl Strategy<Value = Vec<Trade>> {
    prop::collection::vec((0i64..3 * SECOND, 900i64..1100, 0i64..5000, 0u8..3), 0..300).prop_map(
        |rows| {
            let mut ts = 1_723_161_256 * SECOND;
            rows.into_iter()
                .map(|(gap, price, size, side)| {
                    ts += gap;
                    trade(
                        ts,
                        price,
                        size,
                        match side {
                            1 => AggressorSide::Buyer,
                            2 => AggressorSide::Seller,
                            _ => AggressorSide::NoAggressor,
                        },
                    )
                })
                .collect()
        },
    )
}

proptest! {
    #[test]
    fn every_kind_conserves_volume_and_trades_in_ordered_consistent_bars(
        trades in trades_strategy(),
        spec_index in 0..SPECS.len(),
        empty_bars in any::<bool>(),
    ) {
        let spec = BarSpec::parse(SPECS[spec_index]).unwrap();
        let empty_bars = empty_bars && spec.is_time();
        let mut agg = BarAggregator::new(&spec, Some(2), Some(3), empty_bars).unwrap();
        let bars = stream(&mut agg, &trades);
        let volume: i64 = bars.iter().map(|b| b.volume).sum();
        let value: i128 = bars.iter().map(|b| b.value).sum();
        let count: u64 = bars.iter().map(|b| b.trade_count).sum();
        prop_assert_eq!(volume, trades.iter().map(|t| t.size).sum::<i64>());
        prop_assert_eq!(value, trades.iter().map(|t| i128::from(t.price) * i128::from(t.size)).sum::<i128>());
        prop_assert_eq!(count, trades.len() as u64);
        for b in &bars {
            prop_assert!(b.low <= b.open && b.open <= b.high);
            prop_assert!(b.low <= b.close && b.close <= b.high);
            prop_assert!(b.buy_volume + b.sell_volume <= b.volume);
            prop_assert!(b.ts_open <= b.ts_close);
            if !b.is_empty() {
                prop_assert!(b.ts_first <= b.ts_last);
            }
        }
        for pair in bars.windows(2) {
            prop_assert!(pair[0].ts_close <= pair[1].ts_open || !spec.is_time() && pair[0].ts_last <= pair[1].ts_first);
            if spec.is_time() && empty_bars {
                prop_assert_eq!(pair[0].ts_close, pair[1].ts_open);
            }
        }
        // The first trade opens the first bar, the last closes the last.
        if let (Some(first), Some(last)) = (trades.first(), trades.last()) {
            prop_assert_eq!(bars[0].open, first.price);
            prop_assert_eq!(bars[bars.len() - 1].close, last.price);
        }
    }

    #[test]
    fn batch_equals_streaming(
        trades in trades_strategy(),
        spec_index in 0..SPECS.len(),
        empty_bars in any::<bool>(),
    ) {
        let spec = BarSpec::parse(SPECS[spec_index]).unwrap();
        let empty_bars = empty_bars && spec.is_time();
        let mut streamed = BarAggregator::new(&spec, Some(2), Some(3), empty_bars).unwrap();
        let mut batched = streamed.clone();
        prop_assert_eq!(stream(&mut streamed, &trades), batch(&mut batched, &trades));
    }

    #[test]
    fn time_bars_match_a_bucket_by_bucket_oracle(trades in trades_strategy()) {
        // Group by floor(ts / interval) independently of the state machine.
        let interval = SECOND;
        let mut expected: Vec<(i64, i64, i64, i64, i64, i64, u64)> = Vec::new();
        for t in &trades {
            let start = t.ts.div_euclid(interval) * interval;
            match expected.last_mut() {
                Some(b) if b.0 == start => {
                    b.2 = b.2.max(t.price);
                    b.3 = b.3.min(t.price);
                    b.4 = t.price;
                    b.5 += t.size;
                    b.6 += 1;
                }
                _ => expected.push((start, t.price, t.price, t.price, t.price, t.size, 1)),
            }
        }
        let bars = stream(&mut aggregator("1s", false), &trades);
        let got: Vec<_> = bars
            .iter()
            .map(|b| (b.ts_open, b.open, b.high, b.low, b.close, b.volume, b.trade_count))
            .collect();
        prop_assert_eq!(got, expected);
    }
}

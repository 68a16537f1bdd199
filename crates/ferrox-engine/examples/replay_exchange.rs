//! Replays a Binance capture's depth deltas and trades through a
//! `SimulatedExchange` and prints its cost per event against the bare
//! `L2Book`, plus a simple quoting loop (a post-only bid and ask re-placed at
//! the touch every 100 book batches) to show queue fills on real data.
//!
//! `cargo run --release -p ferrox-engine --example replay_exchange -- FILE`
//! (default: `../shared/data/binance-usdm/btcusdt_20240808.gz`).

use std::time::Instant;

use ferrox_engine::book::L2Book;
use ferrox_engine::data::binance::{BinanceReader, ReaderOptions};
use ferrox_engine::matching::{ExchangeConfig, MatchingEngine, SimulatedExchange, VenueCommand};
use ferrox_engine::orders::{LiquiditySide, OrderEventKind, OrderRequest, OrderSide};
use ferrox_engine::types::{AggressorSide, BookAction, BookDelta, BookSide, TradeTick, FLAG_LAST};

enum Event {
    Delta(BookDelta),
    Trade(TradeTick),
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/binance-usdm/btcusdt_20240808.gz".to_string());
    let mut reader = BinanceReader::open(&path, ReaderOptions::default())?;
    let mut events: Vec<(i64, Event)> = Vec::new();
    while let Some(chunk) = reader.next_chunk()? {
        let d = &chunk.deltas;
        for i in 0..d.len() {
            let delta = BookDelta {
                instrument: 0,
                action: BookAction::from_code(d.action[i]).ok_or("bad action")?,
                side: BookSide::from_code(d.side[i]).ok_or("bad side")?,
                price: d.price[i],
                size: d.size[i],
                order_id: 0,
                sequence: d.sequence[i],
                first_update_id: d.first_update_id[i],
                prev_update_id: d.prev_update_id[i],
                flags: d.flags[i],
                ts_event: d.ts_event[i],
                ts_init: d.ts_init[i],
            };
            events.push((delta.ts_init, Event::Delta(delta)));
        }
        // Futures captures carry aggregate trades only.
        let t = if chunk.trades.is_empty() {
            &chunk.agg_trades
        } else {
            &chunk.trades
        };
        for i in 0..t.len() {
            let trade = TradeTick {
                instrument: 0,
                price: t.price[i],
                size: t.size[i],
                aggressor_side: match t.aggressor_side[i] {
                    1 => AggressorSide::Buyer,
                    2 => AggressorSide::Seller,
                    _ => AggressorSide::NoAggressor,
                },
                trade_id: t.trade_id[i],
                ts_event: t.ts_event[i],
                ts_init: t.ts_init[i],
            };
            events.push((trade.ts_init, Event::Trade(trade)));
        }
    }
    // Stable: within a timestamp, file order per kind, deltas first.
    events.sort_by_key(|(ts, e)| (*ts, matches!(e, Event::Trade(_))));
    let n_deltas = events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Delta(_)))
        .count();
    println!(
        "{path}: {n_deltas} deltas, {} trades",
        events.len() - n_deltas
    );

    let mut book = L2Book::new();
    let t0 = Instant::now();
    for (_, e) in &events {
        if let Event::Delta(d) = e {
            book.apply(d);
        }
    }
    let bare = t0.elapsed().as_nanos() as f64 / n_deltas as f64;

    let mut out = Vec::with_capacity(64);
    let mut idle = SimulatedExchange::new(0, ExchangeConfig::default())?;
    let t0 = Instant::now();
    for (_, e) in &events {
        match e {
            Event::Delta(d) => idle.on_delta(d, &mut out),
            Event::Trade(t) => idle.on_trade(t, &mut out),
        }
    }
    let no_orders = t0.elapsed().as_nanos() as f64 / events.len() as f64;

    let mut ex = SimulatedExchange::new(0, ExchangeConfig::default())?;
    let (mut batches, mut next_id) = (0u64, 1u64);
    let (mut maker, mut taker, mut rejected, mut filled_qty) = (0u64, 0u64, 0u64, 0i64);
    let mut count = |out: &mut Vec<_>| {
        for ev in out.drain(..) {
            let ev: ferrox_engine::orders::OrderEvent = ev;
            match ev.kind {
                OrderEventKind::Filled {
                    liquidity,
                    quantity,
                    ..
                } => {
                    filled_qty += quantity;
                    match liquidity {
                        LiquiditySide::Maker => maker += 1,
                        LiquiditySide::Taker => taker += 1,
                    }
                }
                OrderEventKind::Rejected { .. } => rejected += 1,
                _ => {}
            }
        }
    };
    let t0 = Instant::now();
    for (ts, e) in &events {
        match e {
            Event::Delta(d) => {
                ex.on_delta(d, &mut out);
                if d.flags & FLAG_LAST != 0 {
                    batches += 1;
                    if batches % 100 == 0 {
                        for id in [next_id.saturating_sub(2), next_id.saturating_sub(1)] {
                            if id > 0 && ex.is_working(id) {
                                ex.on_command(&VenueCommand::Cancel { id }, *ts, &mut out);
                            }
                        }
                        let b = ex.book().and_then(|b| b.best_bid().zip(b.best_ask()));
                        if let Some((bid, ask)) = b {
                            for (side, price) in
                                [(OrderSide::Buy, bid.price), (OrderSide::Sell, ask.price)]
                            {
                                let request = OrderRequest {
                                    post_only: true,
                                    ..OrderRequest::limit(0, side, 1, price)
                                };
                                ex.on_command(
                                    &VenueCommand::Submit {
                                        id: next_id,
                                        request,
                                    },
                                    *ts,
                                    &mut out,
                                );
                                next_id += 1;
                            }
                        }
                    }
                }
            }
            Event::Trade(t) => ex.on_trade(t, &mut out),
        }
        if !out.is_empty() {
            count(&mut out);
        }
    }
    let quoting = t0.elapsed().as_nanos() as f64 / events.len() as f64;
    println!("ns/event: L2Book::apply {bare:.1} (deltas only), exchange without orders {no_orders:.1}, quoting {quoting:.1}");
    println!(
        "quoting: {} orders, {maker} maker fills, {taker} taker fills, {rejected} rejected, {filled_qty} raw filled",
        next_id - 1
    );
    Ok(())
}

//! Speed of the order-against-order book (`matching::lob`): ns per request on
//! a seeded multi-agent flow, and heap allocations counted after warm-up.
//!
//! `cargo run --release -p ferrox-engine --example bench_lob`
//!
//! On the 2-core development machine (shared): ~70 ns/request with ~1k orders
//! resting, ~80 ns with ~10k, ~335 ns with ~100k and ~700 ns with ~750k (the
//! large books are bound by cache misses on random cancels); after warm-up
//! nothing allocates per request (the 1-5 allocations counted over 2 million
//! requests are buffers growing to a new peak size).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use ferrox_engine::matching::lob::{LimitOrderBook, LobEvent, LobTimeInForce, NewOrder, StpMode};
use ferrox_engine::orders::OrderSide;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// splitmix64: a seeded generator, so every run sends the same flow.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Sends `n` requests from 50 owners around a mid of 10_000 ticks: cancels
/// of a random live order (30%, or 60% while more than `target` rest), and
/// new orders of which 10% are market, 20% crossing limits (a quarter IOC)
/// and 70% passive limits up to 20 ticks away; returns (requests, trades).
fn run(
    book: &mut LimitOrderBook,
    rng: &mut SplitMix,
    live: &mut Vec<u64>,
    next_id: &mut u64,
    n: u64,
    target: usize,
) -> (u64, u64) {
    let mut out = Vec::with_capacity(64);
    let mut trades = 0;
    for _ in 0..n {
        out.clear();
        // Cancels keep the book near `target` resting orders, as a market
        // maker population does.
        let cancel_pct = if live.len() > target { 60 } else { 30 };
        let roll = rng.below(100);
        let owner = rng.below(50);
        let side = if rng.below(2) == 0 {
            OrderSide::Buy
        } else {
            OrderSide::Sell
        };
        let qty = 1 + rng.below(10) as i64;
        let result = if roll < cancel_pct && !live.is_empty() {
            let at = rng.below(live.len() as u64) as usize;
            let id = live.swap_remove(at);
            book.cancel(id, 0, &mut out)
        } else {
            let id = *next_id;
            *next_id += 1;
            let order = if roll % 10 == 0 {
                NewOrder::market(id, owner, side, qty)
            } else {
                let depth = rng.below(20) as i64;
                let cross = roll % 10 == 1 || roll % 10 == 2;
                let offset = if cross { -(depth % 3) } else { 1 + depth };
                let price = match side {
                    OrderSide::Buy => 10_000 - offset,
                    OrderSide::Sell => 10_000 + offset,
                };
                let tif = if cross && rng.below(4) == 0 {
                    LobTimeInForce::Ioc
                } else {
                    LobTimeInForce::Gtc
                };
                NewOrder::limit(id, owner, side, price, qty).with_tif(tif)
            };
            let r = book.submit(order, 0, &mut out);
            if matches!(out.last(), Some(LobEvent::Rested { .. })) {
                live.push(id);
            }
            r
        };
        // Cancels of orders that have since filled are refused; that is part of the flow.
        let _ = result;
        trades += out
            .iter()
            .filter(|e| matches!(e, LobEvent::Trade(_)))
            .count() as u64;
    }
    (n, trades)
}

fn main() {
    for target in [1_000, 10_000, 100_000, 1_000_000] {
        let mut book = LimitOrderBook::new(1, 1, StpMode::CancelNewest).expect("valid increments");
        let mut rng = SplitMix(42);
        let mut live = Vec::with_capacity(4 * target);
        let mut next_id = 1;
        // Warm-up: the book reaches its size and every buffer its capacity.
        run(
            &mut book,
            &mut rng,
            &mut live,
            &mut next_id,
            2_000_000,
            target,
        );
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let start = Instant::now();
        let (n, trades) = run(
            &mut book,
            &mut rng,
            &mut live,
            &mut next_id,
            2_000_000,
            target,
        );
        let elapsed = start.elapsed();
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        println!(
            "~{target} resting: {n} requests, {trades} trades, {:.0} ns/request, \
             {allocations} allocations after warm-up, {} resting at the end",
            elapsed.as_nanos() as f64 / n as f64,
            book.len()
        );
    }
}

//! The event loop: one thread, one clock, data and scheduled items merged in
//! time order.
//!
//! At each step the earliest of (next data record, next scheduled item) is
//! processed; a scheduled item due at the same time as a record goes first,
//! so a command sent with zero latency reaches the venue before the next
//! record. A record reaches its venue first (which may fill resting orders),
//! then the data engine (books, bars, indicators), then the strategy if it
//! subscribed to that kind. Equity is sampled on its own clock.
//!
//! # Feed latency
//!
//! With a feed latency ([`super::EngineConfig::feed_latency`]) the venue
//! still sees each record at its `ts_init`, but the data engine (bars built
//! from trades, indicators, `last_bar`) and the strategy get it at
//! `ts_init + draw`, as a scheduled [`Due::Data`] item. Draws never reorder
//! records: a record is delivered at `max(previous delivery, ts_init +
//! draw)`. The strategy's clock is the delivery time, so an order it sends
//! in response reaches the venue after the record's `ts_init` plus both the
//! feed and the order-entry latency; on bars that means the order waits for
//! the first bar opening after it arrives (see the exchange's "No look-ahead
//! on bars"). If the strategy subscribes to books or quotes, the engine
//! keeps a strategy-side copy of each instrument's book, updated on
//! delivery, and [`EngineCore::book`] returns that lagged copy instead of
//! the venue's current book. With bar-clock equity sampling the samples are
//! still taken when the venue sees each bar (the portfolio is marked then).
//! The draws come from their own generator (seeded from the config seed),
//! so turning feed latency on does not change the order-entry and ack draws.
//! A constant zero feed latency schedules nothing: each record goes straight
//! from the venue to the strategy.

use super::core::{EngineCore, EngineError};
use super::feed::{DataFeed, Record, Stream};
use super::latency::Rng;
use super::scheduler::Due;
use super::strategy::{Strategy, StrategyError, Subscriptions};
use crate::book::L2Book;
use crate::types::{BookDelta, QuoteTick, UnixNanos, FLAG_LAST};

/// Why a run stopped early.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// A strategy callback failed.
    #[error(transparent)]
    Strategy(#[from] StrategyError),
    /// The engine refused an event (a bug: reported, never ignored).
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// A backtest: a feed, a strategy and the engine core.
pub struct Engine<S: Strategy + ?Sized> {
    /// The engine state (the strategy's context).
    pub core: EngineCore,
    /// The market data.
    pub feed: DataFeed,
    /// The strategy.
    pub strategy: Box<S>,
}

const SECOND: i64 = 1_000_000_000;

/// Mixed into the config seed for the feed-latency draws, so they do not
/// share a sequence with the order-entry and ack draws.
const FEED_SEED: u64 = 0xFEED_0000_FEED_0000;

/// The strategy's view of one instrument's book under feed latency: the
/// book as of the last record delivered to the strategy, built the way the
/// venue builds its own (deltas, else the one-level book of the last quote;
/// the depth feed takes over from quotes once it starts).
#[derive(Debug, Clone, Default)]
pub(crate) struct LaggedBook {
    book: L2Book,
    deltas: bool,
    seen: bool,
}

impl LaggedBook {
    /// The book, once a delta or quote has been delivered.
    #[inline]
    pub(crate) fn view(&self) -> Option<&L2Book> {
        self.seen.then_some(&self.book)
    }

    fn on_delta(&mut self, d: &BookDelta) {
        if !self.deltas {
            self.deltas = true;
            self.book.clear();
        }
        self.seen = true;
        self.book.apply(d);
    }

    fn on_quote(&mut self, q: &QuoteTick) {
        self.seen = true;
        if self.deltas {
            return;
        }
        self.book.set_from_quote(q);
    }
}

impl<S: Strategy + ?Sized> Engine<S> {
    /// Assembles an engine.
    pub fn new(core: EngineCore, feed: DataFeed, strategy: Box<S>) -> Self {
        Self {
            core,
            feed,
            strategy,
        }
    }

    /// Runs the whole feed; `progress` is called every `every` records with
    /// the number processed (for progress bars), and may stop the run by
    /// returning false.
    pub fn run(
        &mut self,
        every: u64,
        progress: &mut dyn FnMut(u64) -> bool,
    ) -> Result<(), RunError> {
        let subs = self.strategy.subscriptions();
        let start = self.feed.time_range().map_or(0, |r| r.0);
        self.core.now = start;
        let interval = if self.core.config.equity_interval > 0 {
            self.core.config.equity_interval
        } else {
            SECOND
        };
        let sample_on_bars = self.core.config.equity_interval == 0 && has_bars(&self.feed);
        let mut next_sample = if sample_on_bars {
            i64::MAX
        } else {
            start - start.rem_euclid(interval) + interval
        };
        let lagged = !self.core.config.feed_latency.is_zero();
        if lagged && (subs.book || subs.quotes) && has_books(&self.feed) {
            self.core.lagged_books = vec![LaggedBook::default(); self.core.instrument_count()];
        }
        let mut feed_rng = Rng::new(self.core.config.seed ^ FEED_SEED);
        let mut last_delivery = i64::MIN;
        self.strategy.on_start(&mut self.core)?;
        let now = self.core.now;
        drain_due(&mut self.core, &mut *self.strategy, &self.feed, subs, now)?;
        let mut count: u64 = 0;
        loop {
            let data_ts = self.feed.peek_ts();
            let due_ts = self.core.scheduler.peek_ts();
            let Some(ts) = min_opt(data_ts, due_ts) else {
                break;
            };
            if next_sample < ts {
                // Nothing happened between the last event and `ts`, so equity
                // is flat across the gap: sample its first and last boundary
                // rather than every one (a data gap of months stays cheap).
                self.core.sample_equity(next_sample);
                let last = next_sample + (ts - 1 - next_sample) / interval * interval;
                if last > next_sample {
                    self.core.sample_equity(last);
                }
                next_sample = last + interval;
            }
            if due_ts.is_some_and(|d| d <= ts) {
                self.core.now = self.core.now.max(ts);
                drain_due(&mut self.core, &mut *self.strategy, &self.feed, subs, ts)?;
                continue;
            }
            // Data: the scheduler has nothing due at or before `ts`.
            self.core.now = ts;
            let Some((stream, row)) = self.feed.advance() else {
                break;
            };
            let Some(record) = self.feed.record(stream, row) else {
                break;
            };
            // The venue sees the record first; what it caused (fills of orders
            // resting or waiting for this bar's open) reaches the strategy
            // before the record does, as on a real feed.
            to_venue(&mut self.core, record);
            drain_due(&mut self.core, &mut *self.strategy, &self.feed, subs, ts)?;
            if lagged {
                let at =
                    (ts + self.core.config.feed_latency.draw(&mut feed_rng)).max(last_delivery);
                last_delivery = at;
                self.core.scheduler.push(at, Due::Data { stream, row });
                if sample_on_bars && matches!(record, Record::Bar(_)) {
                    self.core.sample_equity(ts);
                }
            } else {
                let bar_sample = to_strategy(&mut self.core, &mut *self.strategy, record, subs)?;
                if sample_on_bars && bar_sample {
                    self.core.sample_equity(ts);
                }
                drain_due(&mut self.core, &mut *self.strategy, &self.feed, subs, ts)?;
            }
            count += 1;
            if every > 0 && count % every == 0 && !progress(count) {
                break;
            }
        }
        self.core.log.records = count;
        let end = self.core.now;
        if !sample_on_bars && next_sample <= end {
            self.core.sample_equity(next_sample);
        }
        self.strategy.on_stop(&mut self.core)?;
        let now = self.core.now;
        drain_due(&mut self.core, &mut *self.strategy, &self.feed, subs, now)?;
        if self.core.log.equity.last().is_none_or(|e| e.ts < end) {
            self.core.sample_equity(end);
        }
        progress(count);
        Ok(())
    }
}

/// Processes every scheduled item due at or before `ts`.
fn drain_due<S: Strategy + ?Sized>(
    core: &mut EngineCore,
    strategy: &mut S,
    feed: &DataFeed,
    subs: Subscriptions,
    ts: UnixNanos,
) -> Result<(), RunError> {
    while let Some((at, due)) = core.scheduler.pop_due(ts) {
        core.now = core.now.max(at);
        match due {
            Due::AtVenue {
                instrument,
                command,
            } => {
                if let Some(venue) = core.venues.get_mut(instrument as usize) {
                    venue.on_command(&command, at, &mut core.venue_events);
                }
                core.schedule_venue_events();
                wake_venue(core, instrument);
            }
            Due::WakeVenue { instrument } => {
                if let Some(venue) = core.venues.get_mut(instrument as usize) {
                    venue.on_time(at, &mut core.venue_events);
                }
                core.schedule_venue_events();
                wake_venue(core, instrument);
            }
            Due::Timer { id } => strategy.on_timer(core, id)?,
            Due::Algorithms => core.run_twaps(),
            Due::Data { stream, row } => {
                if let Some(record) = feed.record(stream, row) {
                    to_lagged_book(core, record);
                    to_strategy(core, strategy, record, subs)?;
                }
            }
            Due::ToStrategy(event) => {
                let fill = core.apply_event(&event)?;
                strategy.on_order(core, &event)?;
                if let Some(fill) = fill {
                    strategy.on_fill(core, &fill)?;
                    strategy.on_position(core, fill.instrument)?;
                }
            }
        }
    }
    Ok(())
}

/// Schedules a wake-up for the venue's next expiry, if any.
fn wake_venue(core: &mut EngineCore, instrument: u32) {
    if let Some(at) = core
        .venues
        .get(instrument as usize)
        .and_then(|v| v.next_expiry())
    {
        if at > core.now {
            core.scheduler.push(at, Due::WakeVenue { instrument });
        }
    }
}

/// Sends one record to its venue (which may fill or trigger orders) and
/// marks the portfolio.
#[inline]
fn to_venue(core: &mut EngineCore, record: Record<'_>) {
    let i = record.instrument() as usize;
    if let Some(v) = core.venues.get_mut(i) {
        match record {
            Record::Trade(t) => v.on_trade(t, &mut core.venue_events),
            Record::Quote(q) => v.on_quote(q, &mut core.venue_events),
            Record::Delta(d) => v.on_delta(d, &mut core.venue_events),
            Record::Bar(b) => v.on_bar(b, &mut core.venue_events),
        }
    }
    match record {
        Record::Trade(t) => {
            let _ = core.portfolio.mark_price(t.instrument, t.price);
        }
        Record::Bar(b) => {
            let _ = core.portfolio.mark_price(b.instrument, b.close);
        }
        _ => {}
    }
    if !core.venue_events.is_empty() {
        core.schedule_venue_events();
    }
}

/// Updates the strategy-side book of the record's instrument, if kept.
#[inline]
fn to_lagged_book(core: &mut EngineCore, record: Record<'_>) {
    if core.lagged_books.is_empty() {
        return;
    }
    let Some(book) = core.lagged_books.get_mut(record.instrument() as usize) else {
        return;
    };
    match record {
        Record::Delta(d) => book.on_delta(d),
        Record::Quote(q) => book.on_quote(q),
        _ => {}
    }
}

/// Hands one record to the data engine (bars, indicators) and, if
/// subscribed, to the strategy. Returns whether a bar was delivered (for
/// equity sampling).
#[inline]
fn to_strategy<S: Strategy + ?Sized>(
    core: &mut EngineCore,
    strategy: &mut S,
    record: Record<'_>,
    subs: Subscriptions,
) -> Result<bool, RunError> {
    let mut bar_seen = false;
    match record {
        Record::Trade(t) => {
            if subs.trades {
                strategy.on_trade(core, t)?;
            }
            if !core.bar_builders.is_empty() {
                core.build_bars(t);
                // Taken out (and put back) so the strategy can use the core;
                // the buffer keeps its capacity across trades.
                let mut bars = std::mem::take(&mut core.built_bars);
                for bar in bars.drain(..) {
                    core.on_bar_data(&bar);
                    bar_seen = true;
                    if subs.bars {
                        strategy.on_bar(core, &bar)?;
                    }
                }
                core.built_bars = bars;
            }
        }
        Record::Quote(q) => {
            if subs.quotes {
                strategy.on_quote(core, q)?;
            }
        }
        Record::Delta(d) => {
            if subs.book && d.flags & FLAG_LAST != 0 {
                strategy.on_book(core, d)?;
            }
        }
        Record::Bar(b) => {
            core.on_bar_data(b);
            bar_seen = true;
            if subs.bars {
                strategy.on_bar(core, b)?;
            }
        }
    }
    Ok(bar_seen)
}

fn has_bars(feed: &DataFeed) -> bool {
    feed.streams().iter().any(|s| matches!(s, Stream::Bars(_)))
}

fn has_books(feed: &DataFeed) -> bool {
    feed.streams()
        .iter()
        .any(|s| matches!(s, Stream::Deltas(_) | Stream::Quotes(_)))
}

#[inline]
fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::latency::LatencyModel;
    use crate::engine::{EngineConfig, InstrumentInfo, StrategyResult};
    use crate::matching::{ExchangeConfig, MatchingEngine, SimulatedExchange};
    use crate::orders::{OrderRequest, OrderSide};
    use crate::portfolio::{
        CurrencyTable, FeeModel, InstrumentSpec, Leverage, OmsType, Portfolio, PortfolioConfig,
    };
    use crate::types::Bar;
    use crate::types::QuoteTick;

    const MINUTE: i64 = 60 * SECOND;
    const T0: i64 = 1_704_067_200 * SECOND;

    fn core(feed_latency: LatencyModel) -> EngineCore {
        let mut currencies = CurrencyTable::new();
        let usdt = match currencies.add("USDT", 8) {
            Ok(c) => c,
            Err(e) => panic!("currency: {e}"),
        };
        let spec = InstrumentSpec {
            price_precision: 2,
            size_precision: 3,
            multiplier: 1,
            quote_currency: usdt,
            base_currency: None,
        };
        let portfolio = match Leverage::new(1, 1)
            .map_err(|e| e.to_string())
            .and_then(|lev| {
                Portfolio::new(
                    PortfolioConfig::margin(usdt, 1_000_000 * 100_000_000, OmsType::Netting, lev),
                    vec![spec],
                    currencies,
                )
                .map_err(|e| e.to_string())
            }) {
            Ok(p) => p,
            Err(e) => panic!("portfolio: {e}"),
        };
        let venue: Box<dyn MatchingEngine + Send> =
            match SimulatedExchange::new(0, ExchangeConfig::default()) {
                Ok(v) => Box::new(v),
                Err(e) => panic!("venue: {e}"),
            };
        let fees = match FeeModel::parse("0", "0") {
            Ok(f) => vec![f],
            Err(e) => panic!("fees: {e}"),
        };
        let info = InstrumentInfo {
            price_precision: 2,
            size_precision: 3,
        };
        let config = EngineConfig {
            feed_latency,
            seed: 7,
            ..EngineConfig::default()
        };
        EngineCore::new(config, vec![info], vec![venue], fees, portfolio)
    }

    /// 1-minute bars from `T0`, opening at 100.00 + k and closing 0.50 higher.
    fn bars(n: i64) -> Stream {
        Stream::Bars(
            (0..n)
                .map(|k| Bar {
                    open: 10_000 + 100 * k,
                    high: 10_060 + 100 * k,
                    low: 9_990 + 100 * k,
                    close: 10_050 + 100 * k,
                    volume: 1_000,
                    ts_open: T0 + k * MINUTE,
                    ts_event: T0 + (k + 1) * MINUTE,
                    ts_init: T0 + (k + 1) * MINUTE,
                    ..Bar::default()
                })
                .collect(),
        )
    }

    /// Quotes one second apart whose bid rises by 0.01 each time.
    fn quotes(n: i64) -> Stream {
        Stream::Quotes(
            (0..n)
                .map(|k| QuoteTick {
                    bid_price: 10_000 + k,
                    bid_size: 1_000,
                    ask_price: 10_010 + k,
                    ask_size: 1_000,
                    ts_event: T0 + k * SECOND,
                    ts_init: T0 + k * SECOND,
                    ..QuoteTick::default()
                })
                .collect(),
        )
    }

    /// Records when each record reaches it; buys once on the bar `buy_on`.
    #[derive(Default)]
    struct Recorder {
        buy_on: Option<usize>,
        /// (record ts_init, engine time when it arrived).
        seen: Vec<(i64, i64)>,
        /// (quote bid, strategy book's best bid, venue book's best bid).
        books: Vec<(i64, Option<i64>, Option<i64>)>,
    }

    impl Strategy for Recorder {
        fn subscriptions(&self) -> Subscriptions {
            Subscriptions {
                quotes: true,
                bars: true,
                ..Subscriptions::default()
            }
        }

        fn on_bar(&mut self, ctx: &mut EngineCore, bar: &Bar) -> StrategyResult {
            if self.buy_on == Some(self.seen.len()) {
                ctx.submit(OrderRequest::market(0, OrderSide::Buy, 1_000));
            }
            self.seen.push((bar.ts_init, ctx.now()));
            Ok(())
        }

        fn on_quote(&mut self, ctx: &mut EngineCore, quote: &QuoteTick) -> StrategyResult {
            self.seen.push((quote.ts_init, ctx.now()));
            let strategy_view = ctx.book(0).and_then(L2Book::best_bid).map(|l| l.price);
            let venue_view = ctx.venues[0]
                .book()
                .and_then(L2Book::best_bid)
                .map(|l| l.price);
            self.books
                .push((quote.bid_price, strategy_view, venue_view));
            Ok(())
        }
    }

    fn run(latency: LatencyModel, stream: Stream, strategy: Recorder) -> Engine<Recorder> {
        let mut feed = DataFeed::new();
        if let Err(e) = feed.add(stream) {
            panic!("feed: {e}");
        }
        let mut engine = Engine::new(core(latency), feed, Box::new(strategy));
        if let Err(e) = engine.run(0, &mut |_| true) {
            panic!("run: {e}");
        }
        engine
    }

    #[test]
    fn test_constant_feed_latency_delays_every_record_by_exactly_that() {
        let engine = run(
            LatencyModel::Constant(5 * MINUTE),
            bars(10),
            Recorder::default(),
        );
        let seen = &engine.strategy.seen;
        assert_eq!(seen.len(), 10, "records after the feed ends still arrive");
        for &(ts_init, now) in seen {
            assert_eq!(now, ts_init + 5 * MINUTE);
        }
    }

    #[test]
    fn test_zero_feed_latency_delivers_each_record_at_its_ts_init() {
        let engine = run(LatencyModel::Constant(0), bars(10), Recorder::default());
        let seen = &engine.strategy.seen;
        assert_eq!(seen.len(), 10);
        assert!(seen.iter().all(|&(ts_init, now)| now == ts_init));
        assert!(engine.core.lagged_books.is_empty());
    }

    #[test]
    fn test_random_feed_latency_never_reorders_records() {
        let latency = LatencyModel::Uniform {
            low: 0,
            high: 5 * SECOND,
        };
        let engine = run(latency, quotes(500), Recorder::default());
        let seen = &engine.strategy.seen;
        assert_eq!(seen.len(), 500);
        let expected: Vec<i64> = (0..500).map(|k| T0 + k * SECOND).collect();
        assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), expected);
        assert!(seen.windows(2).all(|w| w[0].1 <= w[1].1));
        assert!(seen.iter().all(|&(ts_init, now)| now >= ts_init));
        // The draws really vary: some records arrive later than others.
        assert!(seen.iter().any(|&(t, now)| now - t > 2 * SECOND));
        assert!(seen.iter().any(|&(t, now)| now - t < 2 * SECOND));
    }

    #[test]
    fn test_with_feed_latency_the_strategy_book_is_the_delivered_one_not_the_venues() {
        let engine = run(
            LatencyModel::Constant(2_500_000_000),
            quotes(20),
            Recorder::default(),
        );
        let books = &engine.strategy.books;
        assert_eq!(books.len(), 20);
        for (k, &(bid, strategy_view, venue_view)) in books.iter().enumerate() {
            assert_eq!(strategy_view, Some(bid), "quote {k}");
            // 2.5 s late: the venue has seen two more quotes (none after the last).
            let venue_bid = 10_000 + (k as i64 + 2).min(19);
            assert_eq!(venue_view, Some(venue_bid), "quote {k}");
        }
    }

    #[test]
    fn test_an_order_decided_late_fills_at_the_open_of_the_bar_opening_at_the_decision() {
        let strategy = Recorder {
            buy_on: Some(0),
            ..Recorder::default()
        };
        let engine = run(LatencyModel::Constant(5 * MINUTE), bars(10), strategy);
        // Bar 0 (closing at T0 + 1m) reaches the strategy at T0 + 6m: the bar
        // opening then is bar 6, whose open is 106.00.
        let fills = &engine.core.log.fills;
        assert_eq!(fills.len(), 1);
        assert_eq!(fills[0].price, 10_600);
    }
}

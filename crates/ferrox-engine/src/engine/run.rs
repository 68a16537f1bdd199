//! The event loop: one thread, one clock, data and scheduled items merged in
//! time order.
//!
//! At each step the earliest of (next data record, next scheduled item) is
//! processed; a scheduled item due at the same time as a record goes first,
//! so a command sent with zero latency reaches the venue before the next
//! record. A record reaches its venue first (which may fill resting orders),
//! then the data engine (books, bars, indicators), then the strategy if it
//! subscribed to that kind. Equity is sampled on its own clock.

use super::core::{EngineCore, EngineError};
use super::feed::{DataFeed, Record};
use super::scheduler::Due;
use super::strategy::{Strategy, StrategyError, Subscriptions};
use crate::types::{Bar, UnixNanos, FLAG_LAST};

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
        self.strategy.on_start(&mut self.core)?;
        let now = self.core.now;
        drain_due(&mut self.core, &mut *self.strategy, now)?;
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
                drain_due(&mut self.core, &mut *self.strategy, ts)?;
                continue;
            }
            // Data: the scheduler has nothing due at or before `ts`.
            self.core.now = ts;
            let Some(record) = self.feed.next_record() else {
                break;
            };
            // The venue sees the record first; what it caused (fills of orders
            // resting or waiting for this bar's open) reaches the strategy
            // before the record does, as on a real feed.
            to_venue(&mut self.core, record);
            drain_due(&mut self.core, &mut *self.strategy, ts)?;
            let bar_sample = to_strategy(&mut self.core, &mut *self.strategy, record, subs)?;
            if sample_on_bars && bar_sample {
                self.core.sample_equity(ts);
            }
            drain_due(&mut self.core, &mut *self.strategy, ts)?;
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
        drain_due(&mut self.core, &mut *self.strategy, now)?;
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
                while !core.built_bars.is_empty() {
                    let bar: Bar = core.built_bars.remove(0);
                    core.on_bar_data(&bar);
                    bar_seen = true;
                    if subs.bars {
                        strategy.on_bar(core, &bar)?;
                    }
                }
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
    feed.streams()
        .iter()
        .any(|s| matches!(s, super::feed::Stream::Bars(_)))
}

#[inline]
fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

//! Time bars: epoch-aligned buckets `[k·interval, (k+1)·interval)` on the
//! chosen clock, so a `1d` bar starts at midnight UTC and a `1m` bar on the
//! minute. A trade at exactly a bucket's end belongs to the next bucket
//! (pandas `closed="left"`, `label="left"`).
//!
//! A bucket closes when the first trade of a later bucket arrives (or on
//! [`Aggregate::flush`]). With empty bars enabled, every bucket between two
//! trades is emitted too, carrying the previous close as open, high, low and
//! close, with zero volume and zero trades.

use super::bar::{Accumulator, OhlcvBar, Trade};
use super::Aggregate;
use crate::types::UnixNanos;

/// Streaming time-bar aggregator.
#[derive(Debug, Clone)]
pub struct TimeBars {
    interval: i64,
    empty_bars: bool,
    acc: Accumulator,
    bucket_start: UnixNanos,
    /// End of the open bucket; `i64::MIN` before the first trade so that the
    /// first trade opens one.
    bucket_end: UnixNanos,
    /// Empty buckets still to hand out: starts in `[pending_next, pending_end)`.
    pending_next: UnixNanos,
    pending_end: UnixNanos,
    carry_close: i64,
    carry_ts: UnixNanos,
}

impl TimeBars {
    /// Bars of `interval` ns (> 0); `empty_bars` also emits buckets without trades.
    pub fn new(interval: i64, empty_bars: bool) -> Self {
        debug_assert!(interval > 0);
        Self {
            interval: interval.max(1),
            empty_bars,
            acc: Accumulator::default(),
            bucket_start: 0,
            bucket_end: i64::MIN,
            pending_next: 0,
            pending_end: 0,
            carry_close: 0,
            carry_ts: 0,
        }
    }

    /// Bucket length in ns.
    pub fn interval(&self) -> i64 {
        self.interval
    }

    /// Batch path: adds the leading trades of the columns that fall inside
    /// the open bucket (`ts < bucket end`) to the bar, exactly as
    /// [`Aggregate::update`] would one by one (none of them closes a bar),
    /// and returns how many it took. Runs shorter than `min_run` are left to
    /// `update` (returns 0). The columns are sorted by `ts` with checked
    /// sizes and sides.
    #[inline(always)]
    pub(crate) fn absorb_run(
        &mut self,
        ts: &[i64],
        price: &[i64],
        size: &[i64],
        side: Option<&[u8]>,
        min_run: usize,
    ) -> usize {
        let end = self.bucket_end;
        // Galloping search: O(1) for the short runs of fine buckets,
        // O(log run) for long ones.
        if ts.len() < min_run || ts[min_run - 1] >= end {
            return 0;
        }
        let mut high = min_run;
        while high < ts.len() && ts[high] < end {
            high = high.saturating_mul(2);
        }
        let low = high / 2;
        let high = high.min(ts.len());
        let n = low + ts[low..high].partition_point(|&t| t < end);
        self.acc
            .add_run(&ts[..n], &price[..n], &size[..n], side.map(|s| &s[..n]));
        n
    }

    #[inline]
    fn bucket_of(&self, ts: UnixNanos) -> UnixNanos {
        ts - ts.rem_euclid(self.interval)
    }

    #[inline]
    fn roll(&mut self, t: &Trade) -> Option<OhlcvBar> {
        let start = self.bucket_of(t.ts);
        let closed = if self.acc.is_empty() {
            None
        } else {
            let bar = self.acc.take(self.bucket_start, self.bucket_end);
            if self.empty_bars {
                self.pending_next = self.bucket_end;
                self.pending_end = start;
                self.carry_close = bar.close;
                self.carry_ts = bar.ts_last;
            }
            Some(bar)
        };
        self.bucket_start = start;
        self.bucket_end = start.saturating_add(self.interval);
        self.acc.add(t);
        closed
    }
}

impl Aggregate for TimeBars {
    #[inline(always)]
    fn update(&mut self, trade: &Trade) -> Option<OhlcvBar> {
        if trade.ts >= self.bucket_end {
            return self.roll(trade);
        }
        self.acc.add(trade);
        None
    }

    fn next_pending(&mut self) -> Option<OhlcvBar> {
        if self.pending_next >= self.pending_end {
            return None;
        }
        let start = self.pending_next;
        let end = start.saturating_add(self.interval);
        self.pending_next = end;
        Some(OhlcvBar {
            ts_open: start,
            ts_close: end,
            ts_first: self.carry_ts,
            ts_last: self.carry_ts,
            open: self.carry_close,
            high: self.carry_close,
            low: self.carry_close,
            close: self.carry_close,
            ..OhlcvBar::default()
        })
    }

    fn flush(&mut self) -> Option<OhlcvBar> {
        debug_assert!(
            self.pending_next >= self.pending_end,
            "next_pending must be drained before flush"
        );
        if self.acc.is_empty() {
            return None;
        }
        let bar = self.acc.take(self.bucket_start, self.bucket_end);
        self.bucket_end = i64::MIN;
        Some(bar)
    }

    fn overflowed(&self) -> bool {
        self.acc.overflowed()
    }
}

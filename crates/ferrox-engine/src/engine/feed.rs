//! The data feed: any number of record streams merged by `ts_init`.
//!
//! Each stream is one kind of record (trades, quotes, book deltas or bars),
//! already in `ts_init` order, for any mix of instruments. The merge takes the
//! record with the smallest `ts_init`; on a tie the stream added first wins and
//! within a stream the earlier record wins, so the order is stable and the same
//! on every run.

use thiserror::Error;

use crate::types::{Bar, BookDelta, QuoteTick, TradeTick, UnixNanos};

/// The records of one stream.
#[derive(Debug, Clone)]
pub enum Stream {
    /// Trade prints.
    Trades(Vec<TradeTick>),
    /// Best bid/offer updates.
    Quotes(Vec<QuoteTick>),
    /// Order-book deltas.
    Deltas(Vec<BookDelta>),
    /// Bars, delivered at their close.
    Bars(Vec<Bar>),
}

impl Stream {
    fn len(&self) -> usize {
        match self {
            Stream::Trades(v) => v.len(),
            Stream::Quotes(v) => v.len(),
            Stream::Deltas(v) => v.len(),
            Stream::Bars(v) => v.len(),
        }
    }

    #[inline]
    fn ts_init(&self, i: usize) -> UnixNanos {
        match self {
            Stream::Trades(v) => v[i].ts_init,
            Stream::Quotes(v) => v[i].ts_init,
            Stream::Deltas(v) => v[i].ts_init,
            Stream::Bars(v) => v[i].ts_init,
        }
    }

    /// `trades`, `quotes`, `deltas` or `bars`.
    pub fn kind(&self) -> &'static str {
        match self {
            Stream::Trades(_) => "trades",
            Stream::Quotes(_) => "quotes",
            Stream::Deltas(_) => "deltas",
            Stream::Bars(_) => "bars",
        }
    }
}

/// A stream whose `ts_init` goes backwards.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{kind} stream {stream}: ts_init goes backwards at row {row} ({previous} then {ts_init})")]
pub struct FeedError {
    /// Which stream (in the order added).
    pub stream: usize,
    /// Its kind.
    pub kind: &'static str,
    /// First offending row.
    pub row: usize,
    /// The previous row's ts_init.
    pub previous: UnixNanos,
    /// The offending ts_init.
    pub ts_init: UnixNanos,
}

/// One record of the feed, borrowed from its stream.
#[derive(Debug, Clone, Copy)]
pub enum Record<'a> {
    /// A trade.
    Trade(&'a TradeTick),
    /// A quote.
    Quote(&'a QuoteTick),
    /// A book delta.
    Delta(&'a BookDelta),
    /// A bar.
    Bar(&'a Bar),
}

impl Record<'_> {
    /// The record's instrument index.
    #[inline]
    pub fn instrument(&self) -> u32 {
        match self {
            Record::Trade(r) => r.instrument,
            Record::Quote(r) => r.instrument,
            Record::Delta(r) => r.instrument,
            Record::Bar(r) => r.instrument,
        }
    }

    /// The record's `ts_init`.
    #[inline]
    pub fn ts_init(&self) -> UnixNanos {
        match self {
            Record::Trade(r) => r.ts_init,
            Record::Quote(r) => r.ts_init,
            Record::Delta(r) => r.ts_init,
            Record::Bar(r) => r.ts_init,
        }
    }
}

/// Streams merged by `ts_init` (stable on ties).
#[derive(Debug, Clone, Default)]
pub struct DataFeed {
    streams: Vec<Stream>,
    cursors: Vec<usize>,
    /// `ts_init` of each stream's next record (`i64::MAX` when exhausted).
    heads: Vec<UnixNanos>,
}

impl DataFeed {
    /// An empty feed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a stream; refuses one whose `ts_init` goes backwards.
    pub fn add(&mut self, stream: Stream) -> Result<(), FeedError> {
        let index = self.streams.len();
        let mut previous = i64::MIN;
        for row in 0..stream.len() {
            let ts_init = stream.ts_init(row);
            if ts_init < previous {
                return Err(FeedError {
                    stream: index,
                    kind: stream.kind(),
                    row,
                    previous,
                    ts_init,
                });
            }
            previous = ts_init;
        }
        self.heads.push(if stream.len() > 0 {
            stream.ts_init(0)
        } else {
            i64::MAX
        });
        self.cursors.push(0);
        self.streams.push(stream);
        Ok(())
    }

    /// The streams, in the order added.
    pub fn streams(&self) -> &[Stream] {
        &self.streams
    }

    /// Total number of records.
    pub fn len(&self) -> usize {
        self.streams.iter().map(Stream::len).sum()
    }

    /// Whether there are no records at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// First and last `ts_init` over all streams.
    pub fn time_range(&self) -> Option<(UnixNanos, UnixNanos)> {
        let mut range: Option<(UnixNanos, UnixNanos)> = None;
        for s in &self.streams {
            let n = s.len();
            if n == 0 {
                continue;
            }
            let (a, b) = (s.ts_init(0), s.ts_init(n - 1));
            range = Some(match range {
                None => (a, b),
                Some((lo, hi)) => (lo.min(a), hi.max(b)),
            });
        }
        range
    }

    /// Rewinds every stream to its start.
    pub fn rewind(&mut self) {
        for (i, s) in self.streams.iter().enumerate() {
            self.cursors[i] = 0;
            self.heads[i] = if s.len() > 0 { s.ts_init(0) } else { i64::MAX };
        }
    }

    /// `ts_init` of the next record, if any.
    #[inline]
    pub fn peek_ts(&self) -> Option<UnixNanos> {
        let mut best = i64::MAX;
        for &h in &self.heads {
            best = best.min(h);
        }
        (best != i64::MAX).then_some(best)
    }

    /// Index of the stream holding the next record (lowest index on ties).
    #[inline]
    fn next_stream(&self) -> Option<usize> {
        let mut best = i64::MAX;
        let mut which = None;
        for (i, &h) in self.heads.iter().enumerate() {
            if h < best {
                best = h;
                which = Some(i);
            }
        }
        which
    }

    /// Takes the next record in merged order.
    #[inline]
    pub fn next_record(&mut self) -> Option<Record<'_>> {
        let (stream, row) = self.advance()?;
        self.record(stream, row)
    }

    /// Moves past the next record in merged order and returns where it is
    /// (stream index, row), to be read with [`DataFeed::record`].
    #[inline]
    pub fn advance(&mut self) -> Option<(usize, usize)> {
        let i = self.next_stream()?;
        let row = self.cursors[i];
        self.cursors[i] = row + 1;
        let stream = &self.streams[i];
        self.heads[i] = if row + 1 < stream.len() {
            stream.ts_init(row + 1)
        } else {
            i64::MAX
        };
        Some((i, row))
    }

    /// Row `row` of stream `stream` (None when out of range).
    #[inline]
    pub fn record(&self, stream: usize, row: usize) -> Option<Record<'_>> {
        Some(match self.streams.get(stream)? {
            Stream::Trades(v) => Record::Trade(v.get(row)?),
            Stream::Quotes(v) => Record::Quote(v.get(row)?),
            Stream::Deltas(v) => Record::Delta(v.get(row)?),
            Stream::Bars(v) => Record::Bar(v.get(row)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trade(ts: i64, id: u64) -> TradeTick {
        TradeTick {
            ts_init: ts,
            trade_id: id,
            ..Default::default()
        }
    }

    fn bar(ts: i64) -> Bar {
        Bar {
            ts_init: ts,
            ..Default::default()
        }
    }

    #[test]
    fn test_merge_orders_by_ts_init_and_breaks_ties_by_stream_then_row() {
        let mut feed = DataFeed::new();
        feed.add(Stream::Trades(vec![trade(1, 1), trade(3, 2), trade(3, 3)]))
            .unwrap();
        feed.add(Stream::Bars(vec![bar(0), bar(3)])).unwrap();
        let mut seen = Vec::new();
        while let Some(r) = feed.next_record() {
            seen.push(match r {
                Record::Trade(t) => format!("t{}@{}", t.trade_id, t.ts_init),
                Record::Bar(b) => format!("b@{}", b.ts_init),
                _ => unreachable!(),
            });
        }
        assert_eq!(seen, ["b@0", "t1@1", "t2@3", "t3@3", "b@3"]);
    }

    #[test]
    fn test_advance_returns_where_the_record_is_and_record_reads_it_back() {
        let mut feed = DataFeed::new();
        feed.add(Stream::Trades(vec![trade(2, 1), trade(4, 2)]))
            .unwrap();
        feed.add(Stream::Bars(vec![bar(3)])).unwrap();
        let mut at = Vec::new();
        while let Some(pos) = feed.advance() {
            at.push(pos);
        }
        assert_eq!(at, [(0, 0), (1, 0), (0, 1)]);
        assert!(matches!(feed.record(0, 1), Some(Record::Trade(t)) if t.trade_id == 2));
        assert!(matches!(feed.record(1, 0), Some(Record::Bar(b)) if b.ts_init == 3));
        assert!(feed.record(1, 1).is_none() && feed.record(2, 0).is_none());
    }

    #[test]
    fn test_backwards_stream_is_refused_with_its_row() {
        let mut feed = DataFeed::new();
        let err = feed
            .add(Stream::Trades(vec![trade(5, 1), trade(4, 2)]))
            .unwrap_err();
        assert_eq!(err.row, 1);
        assert_eq!((err.previous, err.ts_init), (5, 4));
    }
}

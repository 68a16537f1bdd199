//! Batch aggregation: columns in, bars out. It is the streaming state
//! machine run in a loop ([`Aggregate::feed`] per trade, then
//! [`Aggregate::flush`]), so batch and streaming agree bar for bar; rows are
//! checked (time order, sizes, sides) as they are read, and a bad row stops
//! the batch with an error naming it.
//!
//! Time bars take one shortcut through the same machine: the trades that fall
//! inside the open bucket cannot close a bar, so they are added to it as a run
//! by column loops (`TimeBars::absorb_run`) that compute exactly what
//! updating them one by one computes; the trade that crosses into the next
//! bucket goes through `update`. Rows are checked a chunk at a time, in one
//! vectorised pass, and the loop is compiled for AVX2 too, chosen at run time.

use thiserror::Error;

use super::bar::{OhlcvBar, Trade};
use super::source::Source;
use super::{Aggregate, BarAggregator, TimeBars};
use crate::types::{AggressorSide, UnixNanos};

/// Bad input columns, named with the row that broke them.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BatchError {
    /// Columns of different lengths.
    #[error("column {column:?} has {len} rows but {reference:?} has {expected}")]
    Length {
        /// The column that differs.
        column: String,
        /// Its length.
        len: usize,
        /// The column it was compared with.
        reference: String,
        /// That column's length.
        expected: usize,
    },
    /// Timestamps going backwards.
    #[error("column {column:?} is not sorted: row {row} ({ts}) is earlier than row {} ({previous}); sort by {column:?} first", row - 1)]
    Unsorted {
        /// The timestamp column.
        column: String,
        /// First row that is earlier than the one before it.
        row: usize,
        /// Its timestamp.
        ts: UnixNanos,
        /// The previous row's timestamp.
        previous: UnixNanos,
    },
    /// An aggressor side code other than 0, 1, 2.
    #[error("column \"aggressor_side\" row {row}: {value} is not an aggressor side (0 unknown, 1 buyer, 2 seller)")]
    Side {
        /// The row.
        row: usize,
        /// The code found.
        value: u8,
    },
    /// A negative size.
    #[error("column {column:?} row {row}: size {value} is negative")]
    NegativeSize {
        /// The size column.
        column: String,
        /// The row.
        row: usize,
        /// The raw size.
        value: i64,
    },
    /// The exact mid of a quote does not fit `i64`.
    #[error("row {row}: the mid of bid {bid} and ask {ask} (or of their sizes) overflows int64 at one more decimal")]
    MidOverflow {
        /// The row.
        row: usize,
        /// Raw bid price.
        bid: i64,
        /// Raw ask price.
        ask: i64,
    },
    /// A bar's exact sums overflowed.
    #[error("a bar's volume or value overflows its exact 64/128-bit sum; use coarser bars or a smaller size precision")]
    Overflow,
    /// Quotes fed to a trades source or the other way round.
    #[error("source {0:?} does not apply to these columns")]
    Source(&'static str),
}

/// Trade columns (raw values); `side` may be absent (all unknown).
#[derive(Debug, Clone, Copy)]
pub struct TradeColumns<'a> {
    /// Name of the timestamp column, for errors (`ts_event` or `ts_init`).
    pub ts_name: &'a str,
    /// Timestamps on the clock the bars are built on.
    pub ts: &'a [UnixNanos],
    /// Raw prices.
    pub price: &'a [i64],
    /// Raw sizes.
    pub size: &'a [i64],
    /// Aggressor side codes (0 unknown, 1 buyer, 2 seller).
    pub side: Option<&'a [u8]>,
}

/// Quote columns (raw values).
#[derive(Debug, Clone, Copy)]
pub struct QuoteColumns<'a> {
    /// Name of the timestamp column, for errors.
    pub ts_name: &'a str,
    /// Timestamps on the clock the bars are built on.
    pub ts: &'a [UnixNanos],
    /// Raw best bid prices.
    pub bid_price: &'a [i64],
    /// Raw best ask prices.
    pub ask_price: &'a [i64],
    /// Raw sizes at the best bid.
    pub bid_size: &'a [i64],
    /// Raw sizes at the best ask.
    pub ask_size: &'a [i64],
}

fn check_lengths(ts_name: &str, n: usize, others: &[(&str, usize)]) -> Result<(), BatchError> {
    match others.iter().find(|(_, len)| *len != n) {
        Some((column, len)) => Err(BatchError::Length {
            column: (*column).to_string(),
            len: *len,
            reference: ts_name.to_string(),
            expected: n,
        }),
        None => Ok(()),
    }
}

/// The first thing wrong with row `row`, which failed the fused check.
#[cold]
fn row_error(
    ts_name: &str,
    ts: &[UnixNanos],
    row: usize,
    sizes: [(&str, i64); 2],
    side: Option<u8>,
) -> BatchError {
    if row > 0 && ts[row] < ts[row - 1] {
        return BatchError::Unsorted {
            column: ts_name.to_string(),
            row,
            ts: ts[row],
            previous: ts[row - 1],
        };
    }
    if let Some((column, value)) = sizes.into_iter().find(|(_, v)| *v < 0) {
        return BatchError::NegativeSize {
            column: column.to_string(),
            row,
            value,
        };
    }
    BatchError::Side {
        row,
        value: side.unwrap_or_default(),
    }
}

/// An aggressor side code as the enum (codes above 2 are caught by the caller).
#[inline(always)]
fn side_of(code: u8) -> AggressorSide {
    match code {
        1 => AggressorSide::Buyer,
        2 => AggressorSide::Seller,
        _ => AggressorSide::NoAggressor,
    }
}

/// Runs `agg` over trade columns of equal length, checking each row as it
/// goes (time order, size, side) so the columns are read once.
fn drive_trades<A: Aggregate>(
    agg: &mut A,
    c: &TradeColumns<'_>,
    out: &mut Vec<OhlcvBar>,
) -> Result<(), BatchError> {
    let n = c.ts.len();
    // Re-slicing to `n` lets the compiler drop the bounds checks below.
    let (ts, price, size) = (&c.ts[..n], &c.price[..n], &c.size[..n]);
    let mut emit = |bar| out.push(bar);
    let mut previous = UnixNanos::MIN;
    match c.side {
        Some(side) => {
            let side = &side[..n];
            for i in 0..n {
                let bad = (ts[i] < previous) | (size[i] < 0) | (side[i] > 2);
                if bad {
                    return Err(row_error(
                        c.ts_name,
                        ts,
                        i,
                        [("size", size[i]), ("size", 0)],
                        Some(side[i]),
                    ));
                }
                previous = ts[i];
                let trade = Trade {
                    ts: ts[i],
                    price: price[i],
                    size: size[i],
                    side: side_of(side[i]),
                };
                agg.feed(&trade, &mut emit);
            }
        }
        None => {
            for i in 0..n {
                if (ts[i] < previous) | (size[i] < 0) {
                    return Err(row_error(
                        c.ts_name,
                        ts,
                        i,
                        [("size", size[i]), ("size", 0)],
                        None,
                    ));
                }
                previous = ts[i];
                let trade = Trade {
                    ts: ts[i],
                    price: price[i],
                    size: size[i],
                    side: AggressorSide::NoAggressor,
                };
                agg.feed(&trade, &mut emit);
            }
        }
    }
    out.extend(agg.flush());
    Ok(())
}

/// Rows per validation chunk of the time-bar batch path (fits in L1 with its columns).
const CHUNK: usize = 4096;
/// Runs shorter than this inside one bucket go through `update` trade by trade.
const SHORT_RUN: usize = 16;

/// Time bars over trade columns: each chunk is checked in one vectorised
/// pass, then the trades inside the open bucket are added as a run
/// ([`TimeBars::absorb_run`], equal to updating them one by one) and the
/// trade that crosses into a new bucket goes through [`Aggregate::feed`].
fn drive_time_trades(
    agg: &mut TimeBars,
    c: &TradeColumns<'_>,
    out: &mut Vec<OhlcvBar>,
) -> Result<(), BatchError> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { drive_time_trades_avx2(agg, c, out) };
    }
    drive_time_trades_body(agg, c, out)
}

/// The same loop compiled for AVX2, whose 64-bit compares and wider lanes
/// the column kernels use (the baseline x86-64 build has only SSE2).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn drive_time_trades_avx2(
    agg: &mut TimeBars,
    c: &TradeColumns<'_>,
    out: &mut Vec<OhlcvBar>,
) -> Result<(), BatchError> {
    drive_time_trades_body(agg, c, out)
}

#[inline(always)]
fn drive_time_trades_body(
    agg: &mut TimeBars,
    c: &TradeColumns<'_>,
    out: &mut Vec<OhlcvBar>,
) -> Result<(), BatchError> {
    let n = c.ts.len();
    let (ts, price, size) = (&c.ts[..n], &c.price[..n], &c.size[..n]);
    let side = c.side.map(|s| &s[..n]);
    if let (Some(&first), Some(&last)) = (ts.first(), ts.last()) {
        // Room for one bar per bucket spanned, up to one per trade.
        let buckets = last.saturating_sub(first).max(0) / agg.interval();
        out.reserve(usize::try_from(buckets).unwrap_or(n).min(n) + 1);
    }
    let mut emit = |bar| out.push(bar);
    let mut start = 0;
    while start < n {
        let end = (start + CHUNK).min(n);
        // Time order (row 0 has no predecessor), sizes and side codes.
        let from = start.max(1).min(end);
        let later = &ts[from..end];
        let earlier = &ts[from - 1..end - 1];
        let mut bad = later
            .iter()
            .zip(earlier)
            .fold(false, |bad, (t, p)| bad | (t < p));
        bad |= size[start..end].iter().fold(false, |bad, &s| bad | (s < 0));
        if let Some(side) = side {
            bad |= side[start..end].iter().fold(false, |bad, &s| bad | (s > 2));
        }
        if bad {
            return Err(first_bad_row(c, start, end));
        }
        let mut k = start;
        while k < end {
            let run = agg.absorb_run(
                &ts[k..end],
                &price[k..end],
                &size[k..end],
                side.map(|s| &s[k..end]),
                SHORT_RUN,
            );
            k += run;
            // The crossing trade, then trades of short buckets, one by one.
            let stop = (k + SHORT_RUN).min(end);
            while k < stop {
                let trade = Trade {
                    ts: ts[k],
                    price: price[k],
                    size: size[k],
                    side: side.map_or(AggressorSide::NoAggressor, |s| side_of(s[k])),
                };
                let closed = agg.update(&trade);
                k += 1;
                if let Some(bar) = closed {
                    emit(bar);
                    while let Some(bar) = agg.next_pending() {
                        emit(bar);
                    }
                    break;
                }
            }
        }
        start = end;
    }
    out.extend(agg.flush());
    Ok(())
}

#[cold]
fn first_bad_row(c: &TradeColumns<'_>, start: usize, end: usize) -> BatchError {
    (start..end)
        .find(|&i| {
            (i > 0 && c.ts[i] < c.ts[i - 1]) || c.size[i] < 0 || c.side.is_some_and(|s| s[i] > 2)
        })
        .map_or(BatchError::Overflow, |i| {
            row_error(
                c.ts_name,
                c.ts,
                i,
                [("size", c.size[i]), ("size", 0)],
                c.side.map(|s| s[i]),
            )
        })
}

/// Runs `agg` over the `source` side of quote columns of equal length.
fn drive_quotes<A: Aggregate>(
    agg: &mut A,
    source: Source,
    c: &QuoteColumns<'_>,
    out: &mut Vec<OhlcvBar>,
) -> Result<(), BatchError> {
    let n = c.ts.len();
    let (ts, bid, ask) = (&c.ts[..n], &c.bid_price[..n], &c.ask_price[..n]);
    let (bid_size, ask_size) = (&c.bid_size[..n], &c.ask_size[..n]);
    let mut emit = |bar| out.push(bar);
    let mut previous = UnixNanos::MIN;
    for i in 0..n {
        if (ts[i] < previous) | (bid_size[i] < 0) | (ask_size[i] < 0) {
            return Err(row_error(
                c.ts_name,
                ts,
                i,
                [("bid_size", bid_size[i]), ("ask_size", ask_size[i])],
                None,
            ));
        }
        previous = ts[i];
        let trade = source
            .quote_trade(ts[i], bid[i], ask[i], bid_size[i], ask_size[i])
            .ok_or(BatchError::MidOverflow {
                row: i,
                bid: bid[i],
                ask: ask[i],
            })?;
        agg.feed(&trade, &mut emit);
    }
    out.extend(agg.flush());
    Ok(())
}

/// Feeds every trade of `columns` through `aggregator` and flushes it.
pub fn aggregate_trades(
    aggregator: &mut BarAggregator,
    columns: &TradeColumns<'_>,
) -> Result<Vec<OhlcvBar>, BatchError> {
    let n = columns.ts.len();
    let mut lengths = vec![("price", columns.price.len()), ("size", columns.size.len())];
    if let Some(side) = columns.side {
        lengths.push(("aggressor_side", side.len()));
    }
    check_lengths(columns.ts_name, n, &lengths)?;
    let mut bars = Vec::new();
    match aggregator {
        BarAggregator::Time(a) => drive_time_trades(a, columns, &mut bars),
        BarAggregator::Threshold(a) => drive_trades(a, columns, &mut bars),
        BarAggregator::Imbalance(a) => drive_trades(a, columns, &mut bars),
        BarAggregator::Run(a) => drive_trades(a, columns, &mut bars),
    }?;
    if aggregator.overflowed() {
        return Err(BatchError::Overflow);
    }
    Ok(bars)
}

/// Feeds the `source` side of every quote of `columns` through `aggregator`
/// and flushes it.
pub fn aggregate_quotes(
    aggregator: &mut BarAggregator,
    source: Source,
    columns: &QuoteColumns<'_>,
) -> Result<Vec<OhlcvBar>, BatchError> {
    if source == Source::Trades {
        return Err(BatchError::Source("trades"));
    }
    let n = columns.ts.len();
    check_lengths(
        columns.ts_name,
        n,
        &[
            ("bid_price", columns.bid_price.len()),
            ("ask_price", columns.ask_price.len()),
            ("bid_size", columns.bid_size.len()),
            ("ask_size", columns.ask_size.len()),
        ],
    )?;
    let mut bars = Vec::new();
    match aggregator {
        BarAggregator::Time(a) => drive_quotes(a, source, columns, &mut bars),
        BarAggregator::Threshold(a) => drive_quotes(a, source, columns, &mut bars),
        BarAggregator::Imbalance(a) => drive_quotes(a, source, columns, &mut bars),
        BarAggregator::Run(a) => drive_quotes(a, source, columns, &mut bars),
    }?;
    if aggregator.overflowed() {
        return Err(BatchError::Overflow);
    }
    Ok(bars)
}

//! Batch aggregation: columns in, bars out. It is the streaming state
//! machine run in a loop ([`Aggregate::feed`] per trade, then
//! [`Aggregate::flush`]), so batch and streaming agree bar for bar.

use thiserror::Error;

use super::bar::{OhlcvBar, Trade};
use super::source::Source;
use super::{Aggregate, BarAggregator};
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

fn check_sorted(ts_name: &str, ts: &[UnixNanos]) -> Result<(), BatchError> {
    match ts.windows(2).position(|w| w[1] < w[0]) {
        Some(i) => Err(BatchError::Unsorted {
            column: ts_name.to_string(),
            row: i + 1,
            ts: ts[i + 1],
            previous: ts[i],
        }),
        None => Ok(()),
    }
}

fn check_sizes(column: &str, size: &[i64]) -> Result<(), BatchError> {
    match size.iter().position(|&s| s < 0) {
        Some(row) => Err(BatchError::NegativeSize {
            column: column.to_string(),
            row,
            value: size[row],
        }),
        None => Ok(()),
    }
}

/// An aggressor side code as the enum; codes are checked before the loop.
#[inline(always)]
fn side_of(code: u8) -> AggressorSide {
    match code {
        1 => AggressorSide::Buyer,
        2 => AggressorSide::Seller,
        _ => AggressorSide::NoAggressor,
    }
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
    check_sorted(columns.ts_name, columns.ts)?;
    check_sizes("size", columns.size)?;
    if let Some(side) = columns.side {
        if let Some(row) = side.iter().position(|&s| s > 2) {
            return Err(BatchError::Side {
                row,
                value: side[row],
            });
        }
    }
    let trades = columns.ts.iter().zip(columns.price).zip(columns.size);
    let mut bars = Vec::new();
    match columns.side {
        Some(side) => aggregator.run(
            trades.zip(side).map(|(((&ts, &price), &size), &s)| Trade {
                ts,
                price,
                size,
                side: side_of(s),
            }),
            &mut bars,
        ),
        None => aggregator.run(
            trades.map(|((&ts, &price), &size)| Trade {
                ts,
                price,
                size,
                side: AggressorSide::NoAggressor,
            }),
            &mut bars,
        ),
    }
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
    check_sorted(columns.ts_name, columns.ts)?;
    check_sizes("bid_size", columns.bid_size)?;
    check_sizes("ask_size", columns.ask_size)?;
    let mut trades = Vec::with_capacity(n);
    for row in 0..n {
        let trade = source
            .quote_trade(
                columns.ts[row],
                columns.bid_price[row],
                columns.ask_price[row],
                columns.bid_size[row],
                columns.ask_size[row],
            )
            .ok_or(BatchError::MidOverflow {
                row,
                bid: columns.bid_price[row],
                ask: columns.ask_price[row],
            })?;
        trades.push(trade);
    }
    let mut bars = Vec::new();
    aggregator.run(trades.into_iter(), &mut bars);
    if aggregator.overflowed() {
        return Err(BatchError::Overflow);
    }
    Ok(bars)
}

//! Struct-of-vectors chunks: one vector per column, one row per record, as
//! the bindings hand them to numpy without copying.

use crate::types::{BookDelta, QuoteTick, TradeTick};

/// An empty column with room for `n` rows.
///
/// Large columns are backed by transparent huge pages where Linux offers
/// them on request: a chunk fills tens of megabytes of fresh memory, and
/// faulting it in 2 MiB at a time instead of 4 KiB took a quarter of the
/// parse time off on the benchmark machine.
fn column<T>(n: usize) -> Vec<T> {
    let column: Vec<T> = Vec::with_capacity(n);
    #[cfg(target_os = "linux")]
    advise_huge_pages(
        column.as_ptr().cast(),
        column.capacity() * std::mem::size_of::<T>(),
    );
    column
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(start: *const u8, len: usize) {
    const HUGE: usize = 2 << 20;
    if len < 2 * HUGE {
        return;
    }
    // madvise wants page-aligned bounds; only whole huge pages benefit.
    let first = (start as usize).next_multiple_of(HUGE);
    let end = (start as usize + len) / HUGE * HUGE;
    if end > first {
        // SAFETY: the range lies inside the column's own allocation, which is
        // not yet touched; MADV_HUGEPAGE only changes how it is faulted in and
        // never its contents. A refusal (no THP support) is harmless.
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
        }
    }
}

/// Trade rows (`trade` or `aggTrade` streams).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradeColumns {
    /// Index into the reader's instrument table.
    pub instrument: Vec<u32>,
    /// Trade time at the venue (`T`), ns.
    pub ts_event: Vec<i64>,
    /// Local receive time, ns.
    pub ts_init: Vec<i64>,
    /// Raw price at the instrument's price precision.
    pub price: Vec<i64>,
    /// Raw size at the instrument's size precision.
    pub size: Vec<i64>,
    /// `AggressorSide` as `u8`.
    pub aggressor_side: Vec<u8>,
    /// Trade id (`t`) or aggregate trade id (`a`).
    pub trade_id: Vec<u64>,
}

impl TradeColumns {
    /// Appends one trade.
    #[inline]
    pub fn push(&mut self, t: &TradeTick) {
        self.instrument.push(t.instrument);
        self.ts_event.push(t.ts_event);
        self.ts_init.push(t.ts_init);
        self.price.push(t.price);
        self.size.push(t.size);
        self.aggressor_side.push(t.aggressor_side as u8);
        self.trade_id.push(t.trade_id);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ts_init.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.ts_init.is_empty()
    }

    fn truncate(&mut self, n: usize) {
        self.instrument.truncate(n);
        self.ts_event.truncate(n);
        self.ts_init.truncate(n);
        self.price.truncate(n);
        self.size.truncate(n);
        self.aggressor_side.truncate(n);
        self.trade_id.truncate(n);
    }

    fn with_capacity(n: usize) -> Self {
        Self {
            instrument: column(n),
            ts_event: column(n),
            ts_init: column(n),
            price: column(n),
            size: column(n),
            aggressor_side: column(n),
            trade_id: column(n),
        }
    }
}

/// Best bid/offer rows (`bookTicker` stream).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuoteColumns {
    /// Index into the reader's instrument table.
    pub instrument: Vec<u32>,
    /// Venue time (`T`, else `E`), else the receive time: spot bookTicker
    /// messages carry no venue time at all.
    pub ts_event: Vec<i64>,
    /// Local receive time, ns.
    pub ts_init: Vec<i64>,
    /// Raw best bid price.
    pub bid_price: Vec<i64>,
    /// Raw best ask price.
    pub ask_price: Vec<i64>,
    /// Raw size at the best bid.
    pub bid_size: Vec<i64>,
    /// Raw size at the best ask.
    pub ask_size: Vec<i64>,
    /// Book update id (`u`).
    pub update_id: Vec<u64>,
}

impl QuoteColumns {
    /// Appends one quote.
    #[inline]
    pub fn push(&mut self, q: &QuoteTick) {
        self.instrument.push(q.instrument);
        self.ts_event.push(q.ts_event);
        self.ts_init.push(q.ts_init);
        self.bid_price.push(q.bid_price);
        self.ask_price.push(q.ask_price);
        self.bid_size.push(q.bid_size);
        self.ask_size.push(q.ask_size);
        self.update_id.push(q.update_id);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ts_init.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.ts_init.is_empty()
    }

    fn truncate(&mut self, n: usize) {
        self.instrument.truncate(n);
        self.ts_event.truncate(n);
        self.ts_init.truncate(n);
        self.bid_price.truncate(n);
        self.ask_price.truncate(n);
        self.bid_size.truncate(n);
        self.ask_size.truncate(n);
        self.update_id.truncate(n);
    }

    fn with_capacity(n: usize) -> Self {
        Self {
            instrument: column(n),
            ts_event: column(n),
            ts_init: column(n),
            bid_price: column(n),
            ask_price: column(n),
            bid_size: column(n),
            ask_size: column(n),
            update_id: column(n),
        }
    }
}

/// Order-book delta rows (`depthUpdate` levels and depth snapshots).
///
/// Binance depth is by price level, not by order, so the schema's
/// `order_id` is always 0 and is not stored here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeltaColumns {
    /// Index into the reader's instrument table.
    pub instrument: Vec<u32>,
    /// Venue time, ns.
    pub ts_event: Vec<i64>,
    /// Local receive time, ns.
    pub ts_init: Vec<i64>,
    /// `BookAction` as `u8`.
    pub action: Vec<u8>,
    /// `BookSide` as `u8`.
    pub side: Vec<u8>,
    /// Raw level price.
    pub price: Vec<i64>,
    /// Raw level size (the new total at the level; 0 deletes it).
    pub size: Vec<i64>,
    /// Last update id of the message (`u`, or a snapshot's `lastUpdateId`).
    pub sequence: Vec<u64>,
    /// First update id of the message (`U`), 0 for snapshots.
    pub first_update_id: Vec<u64>,
    /// Previous message's last update id (`pu`, futures only), else 0.
    pub prev_update_id: Vec<u64>,
    /// `FLAG_LAST` / `FLAG_SNAPSHOT` bits.
    pub flags: Vec<u8>,
}

impl DeltaColumns {
    /// Appends one delta.
    #[inline]
    pub fn push(&mut self, d: &BookDelta) {
        self.instrument.push(d.instrument);
        self.ts_event.push(d.ts_event);
        self.ts_init.push(d.ts_init);
        self.action.push(d.action as u8);
        self.side.push(d.side as u8);
        self.price.push(d.price);
        self.size.push(d.size);
        self.sequence.push(d.sequence);
        self.first_update_id.push(d.first_update_id);
        self.prev_update_id.push(d.prev_update_id);
        self.flags.push(d.flags);
    }

    /// Sets `flag` on the last row, if any.
    #[inline]
    pub(crate) fn flag_last(&mut self, flag: u8) {
        if let Some(f) = self.flags.last_mut() {
            *f |= flag;
        }
    }

    /// Reserves room for `n` more rows.
    #[inline]
    pub(crate) fn reserve(&mut self, n: usize) {
        self.instrument.reserve(n);
        self.ts_event.reserve(n);
        self.ts_init.reserve(n);
        self.action.reserve(n);
        self.side.reserve(n);
        self.price.reserve(n);
        self.size.reserve(n);
        self.sequence.reserve(n);
        self.first_update_id.reserve(n);
        self.prev_update_id.reserve(n);
        self.flags.reserve(n);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ts_init.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.ts_init.is_empty()
    }

    fn truncate(&mut self, n: usize) {
        self.instrument.truncate(n);
        self.ts_event.truncate(n);
        self.ts_init.truncate(n);
        self.action.truncate(n);
        self.side.truncate(n);
        self.price.truncate(n);
        self.size.truncate(n);
        self.sequence.truncate(n);
        self.first_update_id.truncate(n);
        self.prev_update_id.truncate(n);
        self.flags.truncate(n);
    }

    fn with_capacity(n: usize) -> Self {
        Self {
            instrument: column(n),
            ts_event: column(n),
            ts_init: column(n),
            action: column(n),
            side: column(n),
            price: column(n),
            size: column(n),
            sequence: column(n),
            first_update_id: column(n),
            prev_update_id: column(n),
            flags: column(n),
        }
    }
}

/// A refused line (skip and quarantine modes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// 1-based line number.
    pub line: u64,
    /// Why, starting with a category (see [`super::BadRecord`]).
    pub reason: String,
    /// The raw line (quarantine mode only; invalid UTF-8 replaced).
    pub text: Option<String>,
}

/// Up to `chunk_messages` lines of a capture, as columns per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chunk {
    /// `trade` stream rows.
    pub trades: TradeColumns,
    /// `aggTrade` stream rows, kept apart so that a capture of both streams
    /// does not count each trade twice.
    pub agg_trades: TradeColumns,
    /// `bookTicker` rows.
    pub quotes: QuoteColumns,
    /// Depth diff and snapshot rows.
    pub deltas: DeltaColumns,
    /// Lines refused in skip or quarantine mode.
    pub rejected: Vec<Rejection>,
    /// 1-based number of the last line read into this chunk.
    pub last_line: u64,
}

/// Row counts of a chunk, to roll back a refused line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    trades: usize,
    agg_trades: usize,
    quotes: usize,
    deltas: usize,
}

impl Chunk {
    /// An empty chunk with room for `messages` trade or quote rows per kind
    /// and `delta_rows` delta rows, so that filling it never moves the
    /// columns (untouched capacity costs address space, not memory).
    pub(crate) fn with_capacity(messages: usize, delta_rows: usize) -> Chunk {
        Chunk {
            trades: TradeColumns::with_capacity(messages),
            agg_trades: TradeColumns::with_capacity(messages),
            quotes: QuoteColumns::with_capacity(messages),
            deltas: DeltaColumns::with_capacity(delta_rows),
            rejected: Vec::new(),
            last_line: 0,
        }
    }

    /// Gives back the capacity the rows did not use.
    pub(crate) fn shrink_to_fit(&mut self) {
        macro_rules! shrink {
            ($kind:ident: $($col:ident),*) => { $(self.$kind.$col.shrink_to_fit();)* };
        }
        shrink!(trades: instrument, ts_event, ts_init, price, size, aggressor_side, trade_id);
        shrink!(agg_trades: instrument, ts_event, ts_init, price, size, aggressor_side, trade_id);
        shrink!(quotes: instrument, ts_event, ts_init, bid_price, ask_price, bid_size, ask_size, update_id);
        shrink!(deltas: instrument, ts_event, ts_init, action, side, price, size, sequence,
            first_update_id, prev_update_id, flags);
    }

    /// Whether the chunk holds no rows and no rejections.
    pub fn is_empty(&self) -> bool {
        self.trades.is_empty()
            && self.agg_trades.is_empty()
            && self.quotes.is_empty()
            && self.deltas.is_empty()
            && self.rejected.is_empty()
    }

    pub(crate) fn mark(&self) -> Mark {
        Mark {
            trades: self.trades.len(),
            agg_trades: self.agg_trades.len(),
            quotes: self.quotes.len(),
            deltas: self.deltas.len(),
        }
    }

    pub(crate) fn rollback(&mut self, mark: Mark) {
        self.trades.truncate(mark.trades);
        self.agg_trades.truncate(mark.agg_trades);
        self.quotes.truncate(mark.quotes);
        self.deltas.truncate(mark.deltas);
    }
}

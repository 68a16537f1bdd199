//! Market-data records, one per event. Fixed-point fields carry raw values at
//! the instrument's precisions; `instrument` is an index into the caller's
//! instrument table so that records stay `Copy` and allocation-free.

use super::time::UnixNanos;

/// Which side initiated a trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum AggressorSide {
    /// Unknown or not reported.
    #[default]
    NoAggressor = 0,
    /// The buyer lifted the offer.
    Buyer = 1,
    /// The seller hit the bid.
    Seller = 2,
}

/// Side of a book entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum BookSide {
    /// Not applicable (a clear).
    #[default]
    NoSide = 0,
    /// Bid side.
    Bid = 1,
    /// Ask side.
    Ask = 2,
}

/// What a book delta does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum BookAction {
    /// A new level or order.
    #[default]
    Add = 1,
    /// Set a level's size (L2) or modify an order (L3).
    Update = 2,
    /// Remove a level or order.
    Delete = 3,
    /// Remove everything (before a snapshot).
    Clear = 4,
}

impl BookSide {
    /// The side for its `u8` code (0 none, 1 bid, 2 ask), if valid.
    #[inline]
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::NoSide),
            1 => Some(Self::Bid),
            2 => Some(Self::Ask),
            _ => None,
        }
    }
}

impl BookAction {
    /// The action for its `u8` code (1 add, 2 update, 3 delete, 4 clear), if valid.
    #[inline]
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::Add),
            2 => Some(Self::Update),
            3 => Some(Self::Delete),
            4 => Some(Self::Clear),
            _ => None,
        }
    }
}

/// Delta flag: last record of a venue batch; the book is consistent after it.
/// Same bit as Databento's `F_LAST`.
pub const FLAG_LAST: u8 = 0x80;
/// Delta flag: part of a snapshot rather than a live update.
/// Same bit as Databento's `F_SNAPSHOT`.
pub const FLAG_SNAPSHOT: u8 = 0x20;

/// A trade print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TradeTick {
    /// Index of the instrument in the caller's table.
    pub instrument: u32,
    /// Price, raw at the instrument's price precision.
    pub price: i64,
    /// Size, raw at the instrument's size precision.
    pub size: i64,
    /// Who initiated.
    pub aggressor_side: AggressorSide,
    /// The venue's trade id.
    pub trade_id: u64,
    /// When the trade happened at the venue.
    pub ts_event: UnixNanos,
    /// When ferrox received it.
    pub ts_init: UnixNanos,
}

/// Best bid and offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuoteTick {
    /// Index of the instrument in the caller's table.
    pub instrument: u32,
    /// Best bid price (raw).
    pub bid_price: i64,
    /// Best ask price (raw).
    pub ask_price: i64,
    /// Size at the best bid (raw).
    pub bid_size: i64,
    /// Size at the best ask (raw).
    pub ask_size: i64,
    /// Venue update id of the book state quoted (Binance `u`), 0 if none.
    pub update_id: u64,
    /// Exchange time (receive time when the venue sends none).
    pub ts_event: UnixNanos,
    /// Receive time.
    pub ts_init: UnixNanos,
}

/// One change to an order book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BookDelta {
    /// Index of the instrument in the caller's table.
    pub instrument: u32,
    /// Add, update, delete or clear.
    pub action: BookAction,
    /// Bid or ask (none for a clear).
    pub side: BookSide,
    /// Level or order price (raw).
    pub price: i64,
    /// New size at the level or of the order (raw); 0 for deletes.
    pub size: i64,
    /// Order id for L3 data, 0 for L2.
    pub order_id: u64,
    /// Venue sequence / last update id of the batch (Binance `u`).
    pub sequence: u64,
    /// First update id of the batch (Binance `U`), 0 if none.
    pub first_update_id: u64,
    /// Previous batch's last update id (Binance futures `pu`), 0 if none.
    pub prev_update_id: u64,
    /// [`FLAG_LAST`], [`FLAG_SNAPSHOT`] and venue bits.
    pub flags: u8,
    /// Exchange time.
    pub ts_event: UnixNanos,
    /// Receive time.
    pub ts_init: UnixNanos,
}

/// An OHLCV bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bar {
    /// Index of the instrument in the caller's table.
    pub instrument: u32,
    /// Open price (raw).
    pub open: i64,
    /// High price (raw).
    pub high: i64,
    /// Low price (raw).
    pub low: i64,
    /// Close price (raw).
    pub close: i64,
    /// Volume (raw, at the bar's volume precision).
    pub volume: i64,
    /// Time the bar opened.
    pub ts_open: UnixNanos,
    /// Time the bar closed (its event time).
    pub ts_event: UnixNanos,
    /// When ferrox saw it.
    pub ts_init: UnixNanos,
}

//! The order vocabulary: sides, order types, time in force, statuses, ids.
//!
//! Prices and quantities inside the engine are raw `i64` values at the
//! instrument's price and size precisions (as in `types::records`); the
//! bindings turn them into exact `Price`/`Quantity` at the Python boundary.

use crate::types::UnixNanos;

/// A client order id: unique within one engine run, assigned in submission
/// order (so runs are deterministic), never reused.
pub type ClientOrderId = u64;

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OrderSide {
    /// Buy: executes against asks.
    Buy = 1,
    /// Sell: executes against bids.
    Sell = 2,
}

impl OrderSide {
    /// The other side.
    #[inline]
    pub fn opposite(self) -> Self {
        match self {
            Self::Buy => Self::Sell,
            Self::Sell => Self::Buy,
        }
    }

    /// +1 for a buy, -1 for a sell: the sign of the position change.
    #[inline]
    pub fn sign(self) -> i64 {
        match self {
            Self::Buy => 1,
            Self::Sell => -1,
        }
    }

    /// `BUY` / `SELL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "BUY",
            Self::Sell => "SELL",
        }
    }
}

/// What kind of order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OrderType {
    /// Executes immediately at the best prices available.
    Market = 1,
    /// Executes at `price` or better; rests otherwise.
    Limit = 2,
    /// Becomes a market order when the trigger price trades/is touched
    /// against the position (buy: price rises to trigger; sell: falls).
    StopMarket = 3,
    /// Becomes a limit order at `price` once `trigger_price` is reached.
    StopLimit = 4,
    /// Becomes a market order when the price reaches the trigger in the
    /// favourable direction (buy: price falls to trigger; sell: rises).
    MarketIfTouched = 5,
    /// Becomes a limit order at `price` once touched in the favourable direction.
    LimitIfTouched = 6,
    /// A stop-market whose trigger trails the market by an offset.
    TrailingStopMarket = 7,
    /// A stop-limit whose trigger (and limit) trail the market by offsets.
    TrailingStopLimit = 8,
}

impl OrderType {
    /// Whether the order waits for a trigger before it works.
    #[inline]
    pub fn has_trigger(self) -> bool {
        !matches!(self, Self::Market | Self::Limit)
    }

    /// Whether the order carries (or, once triggered, becomes) a limit price.
    #[inline]
    pub fn has_limit_price(self) -> bool {
        matches!(
            self,
            Self::Limit | Self::StopLimit | Self::LimitIfTouched | Self::TrailingStopLimit
        )
    }

    /// `MARKET`, `LIMIT`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Market => "MARKET",
            Self::Limit => "LIMIT",
            Self::StopMarket => "STOP_MARKET",
            Self::StopLimit => "STOP_LIMIT",
            Self::MarketIfTouched => "MARKET_IF_TOUCHED",
            Self::LimitIfTouched => "LIMIT_IF_TOUCHED",
            Self::TrailingStopMarket => "TRAILING_STOP_MARKET",
            Self::TrailingStopLimit => "TRAILING_STOP_LIMIT",
        }
    }
}

/// How long an order works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TimeInForce {
    /// Good till cancelled.
    Gtc = 1,
    /// Immediate or cancel: fill what is possible now, cancel the rest.
    Ioc = 2,
    /// Fill or kill: fill all now or nothing.
    Fok = 3,
    /// Good till `expire_ts`.
    Gtd = 4,
    /// Good for the (UTC) day it was accepted in.
    Day = 5,
}

impl TimeInForce {
    /// `GTC`, `IOC`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gtc => "GTC",
            Self::Ioc => "IOC",
            Self::Fok => "FOK",
            Self::Gtd => "GTD",
            Self::Day => "DAY",
        }
    }
}

/// How a trailing offset is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TrailingOffsetType {
    /// A raw price distance at the instrument's price precision.
    Price = 1,
    /// Basis points of the reference price (1 bp = 0.01%).
    BasisPoints = 2,
}

/// Where an order is in its life.
///
/// The legal transitions are the ones [`super::OrderStatus::can_transition_to`]
/// allows; everything else is refused with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OrderStatus {
    /// Created by the strategy, not yet through risk.
    Initialized = 1,
    /// Refused by the risk engine before reaching a venue (terminal).
    Denied = 2,
    /// Sent to the venue, no answer yet.
    Submitted = 3,
    /// Acknowledged and working at the venue.
    Accepted = 4,
    /// Refused by the venue (terminal).
    Rejected = 5,
    /// A trigger order whose trigger was hit; now working as market/limit.
    Triggered = 6,
    /// A cancel was sent, no answer yet.
    PendingCancel = 7,
    /// A modify was sent, no answer yet.
    PendingUpdate = 8,
    /// Some quantity filled, the rest working.
    PartiallyFilled = 9,
    /// Completely filled (terminal).
    Filled = 10,
    /// Cancelled (terminal).
    Cancelled = 11,
    /// Expired by its time in force (terminal).
    Expired = 12,
}

impl OrderStatus {
    /// Whether no further event may change the order.
    #[inline]
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Denied | Self::Rejected | Self::Filled | Self::Cancelled | Self::Expired
        )
    }

    /// Whether the order is working (or may be) at the venue.
    #[inline]
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Submitted
                | Self::Accepted
                | Self::Triggered
                | Self::PendingCancel
                | Self::PendingUpdate
                | Self::PartiallyFilled
        )
    }

    /// `INITIALIZED`, `ACCEPTED`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initialized => "INITIALIZED",
            Self::Denied => "DENIED",
            Self::Submitted => "SUBMITTED",
            Self::Accepted => "ACCEPTED",
            Self::Rejected => "REJECTED",
            Self::Triggered => "TRIGGERED",
            Self::PendingCancel => "PENDING_CANCEL",
            Self::PendingUpdate => "PENDING_UPDATE",
            Self::PartiallyFilled => "PARTIALLY_FILLED",
            Self::Filled => "FILLED",
            Self::Cancelled => "CANCELLED",
            Self::Expired => "EXPIRED",
        }
    }
}

/// Whether a fill added or took liquidity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum LiquiditySide {
    /// The order rested and was hit.
    Maker = 1,
    /// The order crossed the spread.
    Taker = 2,
}

impl LiquiditySide {
    /// `MAKER` / `TAKER`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Maker => "MAKER",
            Self::Taker => "TAKER",
        }
    }
}

/// How an order is linked to others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum ContingencyType {
    /// Stands alone.
    #[default]
    None = 0,
    /// One-cancels-other: a fill (or cancel) of one cancels the linked orders;
    /// a partial fill reduces the linked orders' quantity to what remains.
    Oco = 1,
    /// One-triggers-other: the linked (child) orders are submitted when this
    /// order fills (in proportion to each partial fill).
    Oto = 2,
}

/// What a strategy asks for: everything needed to create an [`super::Order`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderRequest {
    /// Index of the instrument in the engine's table.
    pub instrument: u32,
    /// Index of the strategy that sends it.
    pub strategy: u32,
    /// Buy or sell.
    pub side: OrderSide,
    /// Market, limit, stop, ...
    pub order_type: OrderType,
    /// Quantity, raw at the size precision; > 0.
    pub quantity: i64,
    /// Limit price (raw) for limit-type orders.
    pub price: Option<i64>,
    /// Trigger price (raw) for stop / if-touched orders; for trailing orders
    /// an optional initial trigger (otherwise set from the market on accept).
    pub trigger_price: Option<i64>,
    /// Trailing offset (raw price or basis points) for trailing orders.
    pub trailing_offset: Option<i64>,
    /// Unit of `trailing_offset`.
    pub trailing_offset_type: TrailingOffsetType,
    /// For trailing-stop-limit: distance of the limit from the trigger (raw).
    pub limit_offset: Option<i64>,
    /// How long it works.
    pub time_in_force: TimeInForce,
    /// Expiry for `Gtd`.
    pub expire_ts: Option<UnixNanos>,
    /// Refuse (rather than take liquidity) if it would cross on arrival.
    pub post_only: bool,
    /// May only reduce the position.
    pub reduce_only: bool,
}

impl OrderRequest {
    /// A market order request with every optional field unset.
    pub fn market(instrument: u32, side: OrderSide, quantity: i64) -> Self {
        Self {
            instrument,
            strategy: 0,
            side,
            order_type: OrderType::Market,
            quantity,
            price: None,
            trigger_price: None,
            trailing_offset: None,
            trailing_offset_type: TrailingOffsetType::Price,
            limit_offset: None,
            time_in_force: TimeInForce::Gtc,
            expire_ts: None,
            post_only: false,
            reduce_only: false,
        }
    }

    /// A limit order request (GTC) with every optional field unset.
    pub fn limit(instrument: u32, side: OrderSide, quantity: i64, price: i64) -> Self {
        Self {
            order_type: OrderType::Limit,
            price: Some(price),
            ..Self::market(instrument, side, quantity)
        }
    }
}

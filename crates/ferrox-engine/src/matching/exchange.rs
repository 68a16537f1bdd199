//! A simulated exchange for one instrument, matching our orders against
//! historical market data.
//!
//! The exchange's liquidity is whatever it is fed:
//!
//! - **L2 deltas** ([`MatchingEngine::on_delta`]): a full [`L2Book`].
//! - **L1 quotes** ([`MatchingEngine::on_quote`]): a one-level book made of
//!   the quote (ignored for liquidity once deltas have been seen, so a
//!   bookTicker stream next to a depth stream does not wipe the depth).
//! - **Bars** ([`MatchingEngine::on_bar`]): an OHLC path (see
//!   [`super::bar_path`]).
//! - **Trades** ([`MatchingEngine::on_trade`]) move resting orders' queue
//!   positions, fill them, and are the trigger reference price.
//!
//! # Orders arriving
//!
//! Validation failures are `Rejected` with a stable code from [`codes`];
//! otherwise the order is `Accepted` and then:
//!
//! - A **market** order takes the opposite side level by level (one taker
//!   `Filled` per level, at the level's price) until filled; the rest is
//!   `Cancelled` (market orders are immediate). A market order that finds no
//!   liquidity at all is `Rejected` with [`codes::NO_LIQUIDITY`].
//! - A **limit** order takes what is at or better than its limit the same way
//!   (taker), then rests (GTC/GTD/DAY), is cancelled (IOC), or — FOK — fills
//!   all or is cancelled without any fill. A post-only limit that would take
//!   is rejected ([`codes::POST_ONLY_WOULD_TAKE`]).
//! - **Historical liquidity is not depleted by our fills** (the recorded
//!   market did not see us), but what we took from a level is remembered
//!   until the feed next changes that level, so two orders in a row cannot
//!   both take the same displayed size.
//! - Our orders are not inserted into the historical book: our own resting
//!   orders neither provide liquidity to our own market orders nor change
//!   the displayed sizes.
//!
//! With no book yet (bars only, or no data at all), market orders and IOC/FOK
//! limits wait for liquidity: at a bar venue they execute at the **next bar's
//! open** (plus [`ExchangeConfig::bar_slippage`], never through an IOC/FOK
//! limit; an IOC/FOK limit the open does not reach is cancelled), which is
//! backtrader's default and the vectorised simulator's `next_open`.
//!
//! # No look-ahead on bars
//!
//! A bar is delivered at its close, so by then its open, high and low are
//! in the past. On bars an order is matched only against bars that **opened
//! at or after it arrived** (`bar.ts_open >= arrival`): an order that reaches
//! the venue partway through a bar (an entry latency, a timer, a modify)
//! waits for the next bar, whatever its type — a market order fills at the
//! next bar's open, never at the open of the bar it arrived in, and a
//! resting limit or stop is not checked against the part of a bar it did not
//! see. An order sent at a bar's close with no latency arrives exactly when
//! the next bar opens and fills at that open. A modify that changes the
//! price or trigger counts as a new arrival for this rule (the new terms
//! were not working before). Bars whose `ts_open` is missing (0) would
//! therefore never fill an order: bars must carry their open time.
//!
//! # Resting orders (book and quote data)
//!
//! A resting limit's queue position follows a [`QueueModel`] (see
//! [`super::queue`]). It fills, as maker and at its own limit price:
//!
//! - partly, when a trade prints at its price with more size than is ahead
//!   (the excess fills us; trades whose aggressor is on our side — a buy
//!   print at our bid — took the other side and do not move our queue);
//! - fully, when a trade prints through its price (below a buy, above a
//!   sell), or when the opposite best price crosses it.
//!
//! Book-driven checks (crossing, triggers on quotes) run after a complete
//! venue batch: once the feed has shown a [`FLAG_LAST`] delta, only on deltas
//! carrying it (a batch can be transiently crossed half way through).
//!
//! # Resting orders (bars)
//!
//! Limit and trigger orders are checked along each bar's path: a buy limit
//! fills when the path is at or below its limit, at the open if the bar opens
//! through it (the gap price really traded and is the better one), else at
//! the limit; all bar fills of resting limits are maker. A stop triggers
//! where the path reaches its trigger (at the open on a gap); a stop-market
//! then fills there (plus slippage, taker), a stop-limit rests at its limit
//! from that point of the path on (taker if its limit is already reached
//! there).
//!
//! # Triggers
//!
//! Stop / if-touched / trailing orders watch the **last trade** once trades
//! have been fed, else the quote they would execute against (buy-side orders
//! the best ask, sell-side the best bid); see [`super::triggers`]. A
//! triggered order emits `Triggered`, then becomes a market order (stop-market,
//! market-if-touched, trailing-stop-market) or a limit at its price
//! (stop-limit, limit-if-touched; a trailing-stop-limit at `limit_offset`
//! beyond its trigger, or its fixed price), handled as if it had just arrived.
//! A stop whose trigger is already reached on arrival is rejected
//! ([`codes::STOP_ALREADY_TRIGGERED`]) unless
//! [`ExchangeConfig::reject_stop_on_wrong_side`] is off, in which case it
//! triggers at once.
//!
//! # Fill price guarantee
//!
//! A buy fill is never below what the market offered at that moment: a taker
//! buy fills at a displayed ask level (>= the best ask, <= its limit); a
//! maker buy fills at its own limit, which is >= the best ask that crossed it
//! or >= the price of the trade that reached it; a bar fill is within the
//! bar's [low, high] and a bar buy limit fill is <= its limit. Sells mirror
//! this. Fills of one order never sum to more than its quantity, and a
//! cancelled, expired or filled order never fills again.
//!
//! # Time
//!
//! The exchange works in its own time: a command at `now`, data at its
//! `ts_init`; events carry that time. GTD orders expire at `expire_ts`, DAY
//! orders at the end of the UTC day they were accepted in, checked before
//! each data event and in [`MatchingEngine::on_time`].
//!
//! # Limits
//!
//! - Trades alone are not liquidity: at an exchange fed only trades, market
//!   orders wait (resting limits and triggers still work on the prints).
//! - Bars carry no volume profile: a bar fill is for the whole quantity.
//! - Reduce-only is the risk engine's and the portfolio's business; the
//!   exchange does not know positions.
//! - A DAY order expires at the end of its UTC day even when the next bar
//!   closes later (daily bars stamped at midnight expire it before they can
//!   fill it): use GTC on daily bars.

use thiserror::Error;

use super::bar_path::{first_touch, BarPathModel};
use super::queue::{QueueModel, QueuePos, UNKNOWN_AHEAD};
use super::triggers;
use super::{MatchingEngine, VenueCommand};
use crate::book::L2Book;
use crate::orders::{
    ClientOrderId, LiquiditySide, OrderEvent, OrderEventKind, OrderRequest, OrderSide, OrderType,
    TimeInForce, TrailingOffsetType,
};
use crate::types::time::NANOS_PER_DAY;
use crate::types::{
    AggressorSide, Bar, BookAction, BookDelta, BookSide, QuoteTick, TradeTick, UnixNanos, FLAG_LAST,
};

/// Stable rejection codes.
pub mod codes {
    /// Quantity is zero or negative.
    pub const INVALID_QUANTITY: &str = "INVALID_QUANTITY";
    /// A limit-type order without a limit price.
    pub const MISSING_PRICE: &str = "MISSING_PRICE";
    /// A stop / if-touched order without a trigger price.
    pub const MISSING_TRIGGER_PRICE: &str = "MISSING_TRIGGER_PRICE";
    /// A trailing order without a (non-negative) trailing offset.
    pub const INVALID_TRAILING_OFFSET: &str = "INVALID_TRAILING_OFFSET";
    /// Post-only on an order that is not a limit order.
    pub const POST_ONLY_NOT_LIMIT: &str = "POST_ONLY_NOT_LIMIT";
    /// A post-only limit that would take liquidity on arrival.
    pub const POST_ONLY_WOULD_TAKE: &str = "POST_ONLY_WOULD_TAKE";
    /// The order is for another instrument than this exchange's.
    pub const WRONG_INSTRUMENT: &str = "WRONG_INSTRUMENT";
    /// An order with this client id is already working.
    pub const DUPLICATE_ORDER_ID: &str = "DUPLICATE_ORDER_ID";
    /// A market order found nothing to take.
    pub const NO_LIQUIDITY: &str = "NO_LIQUIDITY";
    /// GTD without an expiry time.
    pub const MISSING_EXPIRE_TIME: &str = "MISSING_EXPIRE_TIME";
    /// GTD whose expiry time has already passed.
    pub const EXPIRE_TIME_PASSED: &str = "EXPIRE_TIME_PASSED";
    /// A stop / if-touched order whose trigger is already reached.
    pub const STOP_ALREADY_TRIGGERED: &str = "STOP_ALREADY_TRIGGERED";
}

/// Settings of a [`SimulatedExchange`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExchangeConfig {
    /// Queue-position model for resting limit orders on book/quote data.
    pub queue_model: QueueModel,
    /// Order of the high and the low inside a bar.
    pub bar_path: BarPathModel,
    /// Reject (true, default) or trigger at once (false) a stop / if-touched
    /// order whose trigger is already reached when it arrives.
    pub reject_stop_on_wrong_side: bool,
    /// Raw price units added against us to bar-driven market and
    /// stop-market fills (0 = none, the default).
    pub bar_slippage: i64,
    /// Emit an `Updated` event each time a trailing stop's trigger moves.
    pub emit_trailing_updates: bool,
}

impl Default for ExchangeConfig {
    fn default() -> Self {
        Self {
            queue_model: QueueModel::Conservative,
            bar_path: BarPathModel::NearestExtremeFirst,
            reject_stop_on_wrong_side: true,
            bar_slippage: 0,
            emit_trailing_updates: false,
        }
    }
}

/// A bad [`ExchangeConfig`].
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ExchangeError {
    /// The probabilistic queue model's exponent is not positive and finite.
    #[error("queue model power exponent must be positive and finite, got {n}")]
    InvalidQueuePower {
        /// The exponent given.
        n: f64,
    },
    /// Negative bar slippage.
    #[error("bar slippage must be >= 0 raw price units, got {slippage}")]
    NegativeSlippage {
        /// The slippage given.
        slippage: i64,
    },
}

impl ExchangeConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), ExchangeError> {
        if let QueueModel::PowerProb { n } = self.queue_model {
            if !self.queue_model.is_valid() {
                return Err(ExchangeError::InvalidQueuePower { n });
            }
        }
        if self.bar_slippage < 0 {
            return Err(ExchangeError::NegativeSlippage {
                slippage: self.bar_slippage,
            });
        }
        Ok(())
    }
}

/// What a working order is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Waiting for its trigger.
    Trigger,
    /// A market order (or IOC/FOK limit) waiting for the first liquidity.
    Pending,
    /// Resting at its limit price.
    Resting,
}

/// One of our orders working at the exchange.
#[derive(Debug, Clone)]
struct Working {
    id: ClientOrderId,
    side: OrderSide,
    order_type: OrderType,
    quantity: i64,
    filled: i64,
    /// Limit price while resting or once triggered (limit-type orders).
    price: Option<i64>,
    trigger: Option<i64>,
    trailing_offset: i64,
    offset_type: TrailingOffsetType,
    limit_offset: Option<i64>,
    tif: TimeInForce,
    expire: Option<UnixNanos>,
    post_only: bool,
    stage: Stage,
    queue: QueuePos,
    done: bool,
    /// When the order (or its last price/trigger change) reached the venue:
    /// only bars opening at or after it may match it.
    arrived: UnixNanos,
}

impl Working {
    #[inline]
    fn leaves(&self) -> i64 {
        self.quantity - self.filled
    }

    #[inline]
    fn is_immediate(&self) -> bool {
        matches!(self.tif, TimeInForce::Ioc | TimeInForce::Fok)
    }

    /// Whether, once triggered (or now), it executes without a limit.
    #[inline]
    fn is_market(&self) -> bool {
        self.order_type == OrderType::Market || triggers::becomes_market(self.order_type)
    }
}

/// Size we took from a displayed level, remembered until the level changes.
#[derive(Debug, Clone, Copy)]
struct Consumed {
    side: BookSide,
    price: i64,
    qty: i64,
}

/// A simulated exchange for one instrument (see the module docs).
#[derive(Debug, Clone)]
pub struct SimulatedExchange {
    instrument: u32,
    config: ExchangeConfig,
    book: L2Book,
    has_deltas: bool,
    has_quotes: bool,
    has_bars: bool,
    uses_last_flag: bool,
    last_trade: Option<i64>,
    last_close: Option<i64>,
    orders: Vec<Working>,
    consumed: Vec<Consumed>,
    // Summaries of `orders`, refreshed whenever an order changes, so that a
    // market-data event that touches none of them costs a few compares.
    n_trigger: usize,
    n_pending: usize,
    n_resting: usize,
    max_resting_buy: i64,
    min_resting_sell: i64,
    next_expiry: Option<UnixNanos>,
}

#[inline]
fn push(out: &mut Vec<OrderEvent>, order_id: ClientOrderId, ts: UnixNanos, kind: OrderEventKind) {
    out.push(OrderEvent { order_id, kind, ts });
}

#[inline]
fn fill(
    o: &mut Working,
    price: i64,
    qty: i64,
    liquidity: LiquiditySide,
    now: UnixNanos,
    out: &mut Vec<OrderEvent>,
) {
    if qty <= 0 || o.done {
        return;
    }
    let qty = qty.min(o.leaves());
    o.filled += qty;
    push(
        out,
        o.id,
        now,
        OrderEventKind::Filled {
            price,
            quantity: qty,
            liquidity,
        },
    );
    if o.filled >= o.quantity {
        o.done = true;
    }
}

#[inline]
fn finish(o: &mut Working, kind: OrderEventKind, now: UnixNanos, out: &mut Vec<OrderEvent>) {
    if !o.done {
        o.done = true;
        push(out, o.id, now, kind);
    }
}

/// The book side a `side` order takes from.
#[inline]
fn opposite_book_side(side: OrderSide) -> BookSide {
    match side {
        OrderSide::Buy => BookSide::Ask,
        OrderSide::Sell => BookSide::Bid,
    }
}

/// The book side a resting `side` order joins.
#[inline]
fn own_book_side(side: OrderSide) -> BookSide {
    match side {
        OrderSide::Buy => BookSide::Bid,
        OrderSide::Sell => BookSide::Ask,
    }
}

/// Whether a `side` order with `limit` may trade at `price`.
#[inline]
fn within(side: OrderSide, price: i64, limit: Option<i64>) -> bool {
    match (side, limit) {
        (_, None) => true,
        (OrderSide::Buy, Some(l)) => price <= l,
        (OrderSide::Sell, Some(l)) => price >= l,
    }
}

#[inline]
fn consumed_at(consumed: &[Consumed], side: BookSide, price: i64) -> i64 {
    consumed
        .iter()
        .find(|c| c.side == side && c.price == price)
        .map_or(0, |c| c.qty)
}

/// Size a `side` order could take now up to `limit`, counting at most `cap`.
fn available(
    book: &L2Book,
    consumed: &[Consumed],
    side: OrderSide,
    limit: Option<i64>,
    cap: i64,
) -> i64 {
    let bs = opposite_book_side(side);
    let ladder = match side {
        OrderSide::Buy => book.asks(),
        OrderSide::Sell => book.bids(),
    };
    let mut total = 0i64;
    for level in ladder.iter_best_first() {
        if !within(side, level.price, limit) || total >= cap {
            break;
        }
        total = total.saturating_add((level.size - consumed_at(consumed, bs, level.price)).max(0));
    }
    total
}

/// Takes liquidity for `o` up to `limit`, one taker fill per level.
fn take(
    book: &L2Book,
    consumed: &mut Vec<Consumed>,
    o: &mut Working,
    limit: Option<i64>,
    now: UnixNanos,
    out: &mut Vec<OrderEvent>,
) {
    let bs = opposite_book_side(o.side);
    let ladder = match o.side {
        OrderSide::Buy => book.asks(),
        OrderSide::Sell => book.bids(),
    };
    for level in ladder.iter_best_first() {
        if o.done || !within(o.side, level.price, limit) {
            break;
        }
        let avail = level.size - consumed_at(consumed, bs, level.price);
        if avail <= 0 {
            continue;
        }
        let qty = avail.min(o.leaves());
        match consumed
            .iter_mut()
            .find(|c| c.side == bs && c.price == level.price)
        {
            Some(c) => c.qty += qty,
            None => consumed.push(Consumed {
                side: bs,
                price: level.price,
                qty,
            }),
        }
        fill(o, level.price, qty, LiquiditySide::Taker, now, out);
    }
}

impl SimulatedExchange {
    /// An exchange for instrument index `instrument`.
    pub fn new(instrument: u32, config: ExchangeConfig) -> Result<Self, ExchangeError> {
        config.validate()?;
        Ok(Self {
            instrument,
            config,
            book: L2Book::new(),
            has_deltas: false,
            has_quotes: false,
            has_bars: false,
            uses_last_flag: false,
            last_trade: None,
            last_close: None,
            orders: Vec::new(),
            consumed: Vec::new(),
            n_trigger: 0,
            n_pending: 0,
            n_resting: 0,
            max_resting_buy: i64::MIN,
            min_resting_sell: i64::MAX,
            next_expiry: None,
        })
    }

    /// The instrument index this exchange trades.
    pub fn instrument(&self) -> u32 {
        self.instrument
    }

    /// The settings.
    pub fn config(&self) -> &ExchangeConfig {
        &self.config
    }

    /// The last trade price fed, if any.
    pub fn last_trade(&self) -> Option<i64> {
        self.last_trade
    }

    /// Number of orders working (resting, waiting for a trigger or for
    /// liquidity).
    pub fn open_order_count(&self) -> usize {
        self.orders.len()
    }

    /// Whether order `id` is working at the exchange.
    pub fn is_working(&self, id: ClientOrderId) -> bool {
        self.orders.iter().any(|o| o.id == id && !o.done)
    }

    /// Estimated size ahead of resting order `id` in its level's queue.
    pub fn queue_ahead(&self, id: ClientOrderId) -> Option<i64> {
        self.orders
            .iter()
            .find(|o| o.id == id && o.stage == Stage::Resting)
            .map(|o| o.queue.ahead)
    }

    /// The current trigger price of order `id` (trailing stops move it).
    pub fn trigger_price(&self, id: ClientOrderId) -> Option<i64> {
        self.orders
            .iter()
            .find(|o| o.id == id)
            .and_then(|o| o.trigger)
    }

    #[inline]
    fn has_book(&self) -> bool {
        self.has_deltas || self.has_quotes
    }

    /// Trigger reference for a `side` order (see the module docs).
    #[inline]
    fn reference(&self, side: OrderSide) -> Option<i64> {
        if self.last_trade.is_some() {
            return self.last_trade;
        }
        if self.has_book() {
            return match side {
                OrderSide::Buy => self.book.best_ask(),
                OrderSide::Sell => self.book.best_bid(),
            }
            .map(|l| l.price);
        }
        self.last_close
    }

    /// Recomputes the summaries after orders changed, dropping finished ones.
    fn refresh(&mut self) {
        self.orders.retain(|o| !o.done);
        self.n_trigger = 0;
        self.n_pending = 0;
        self.n_resting = 0;
        self.max_resting_buy = i64::MIN;
        self.min_resting_sell = i64::MAX;
        self.next_expiry = None;
        for o in &self.orders {
            match o.stage {
                Stage::Trigger => self.n_trigger += 1,
                Stage::Pending => self.n_pending += 1,
                Stage::Resting => {
                    self.n_resting += 1;
                    let p = o.price.unwrap_or_default();
                    match o.side {
                        OrderSide::Buy => self.max_resting_buy = self.max_resting_buy.max(p),
                        OrderSide::Sell => self.min_resting_sell = self.min_resting_sell.min(p),
                    }
                }
            }
            if let Some(t) = o.expire {
                self.next_expiry = Some(self.next_expiry.map_or(t, |e| e.min(t)));
            }
        }
    }

    /// Expires every order due at `now`.
    #[inline]
    fn expire_due(&mut self, now: UnixNanos, out: &mut Vec<OrderEvent>) {
        if self.next_expiry.is_some_and(|t| t <= now) {
            for o in &mut self.orders {
                if o.expire.is_some_and(|t| t <= now) {
                    finish(o, OrderEventKind::Expired, now, out);
                }
            }
        }
    }

    fn reject(
        id: ClientOrderId,
        code: &'static str,
        message: String,
        now: UnixNanos,
        out: &mut Vec<OrderEvent>,
    ) {
        push(
            out,
            id,
            now,
            OrderEventKind::Rejected {
                code,
                message: message.into_boxed_str(),
            },
        );
    }

    /// Validation of a new order: `Some((code, message))` if refused.
    fn refuse(
        &self,
        id: ClientOrderId,
        r: &OrderRequest,
        now: UnixNanos,
    ) -> Option<(&'static str, String)> {
        let t = r.order_type;
        if r.instrument != self.instrument {
            return Some((
                codes::WRONG_INSTRUMENT,
                format!(
                    "order {id}: instrument {} sent to the exchange of instrument {}",
                    r.instrument, self.instrument
                ),
            ));
        }
        if self.is_working(id) {
            return Some((
                codes::DUPLICATE_ORDER_ID,
                format!("order {id}: an order with this id is already working"),
            ));
        }
        if r.quantity <= 0 {
            return Some((
                codes::INVALID_QUANTITY,
                format!("order {id}: quantity must be > 0, got {}", r.quantity),
            ));
        }
        let trailing = triggers::is_trailing(t);
        if t.has_limit_price()
            && r.price.is_none()
            && !(t == OrderType::TrailingStopLimit && r.limit_offset.is_some())
        {
            return Some((
                codes::MISSING_PRICE,
                format!("order {id}: a {} order needs a limit price", t.as_str()),
            ));
        }
        if t.has_trigger() && !trailing && r.trigger_price.is_none() {
            return Some((
                codes::MISSING_TRIGGER_PRICE,
                format!("order {id}: a {} order needs a trigger price", t.as_str()),
            ));
        }
        if trailing && r.trailing_offset.is_none_or(|o| o < 0) {
            return Some((
                codes::INVALID_TRAILING_OFFSET,
                format!(
                    "order {id}: a {} order needs a trailing offset >= 0, got {:?}",
                    t.as_str(),
                    r.trailing_offset
                ),
            ));
        }
        if r.post_only && !t.has_limit_price() {
            return Some((
                codes::POST_ONLY_NOT_LIMIT,
                format!(
                    "order {id}: post-only needs a limit-type order, got {}",
                    t.as_str()
                ),
            ));
        }
        if r.time_in_force == TimeInForce::Gtd {
            match r.expire_ts {
                None => {
                    return Some((
                        codes::MISSING_EXPIRE_TIME,
                        format!("order {id}: GTD needs an expire time"),
                    ))
                }
                Some(e) if e <= now => {
                    return Some((
                        codes::EXPIRE_TIME_PASSED,
                        format!(
                            "order {id}: GTD expire time {e} is not after the arrival time {now}"
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
        if t == OrderType::Limit && r.post_only && self.has_book() {
            if let Some(p) = r.price {
                let best = match r.side {
                    OrderSide::Buy => self.book.best_ask(),
                    OrderSide::Sell => self.book.best_bid(),
                };
                if let Some(b) = best.filter(|b| within(r.side, b.price, Some(p))) {
                    return Some((
                        codes::POST_ONLY_WOULD_TAKE,
                        format!(
                            "order {id}: post-only {} limit {p} would take the best {} {}",
                            r.side.as_str(),
                            if r.side == OrderSide::Buy {
                                "ask"
                            } else {
                                "bid"
                            },
                            b.price
                        ),
                    ));
                }
            }
        }
        if t == OrderType::Market
            && self.has_book()
            && available(&self.book, &self.consumed, r.side, None, 1) == 0
        {
            return Some((
                codes::NO_LIQUIDITY,
                format!(
                    "order {id}: market {} found no liquidity on the {} side",
                    r.side.as_str(),
                    if r.side == OrderSide::Buy {
                        "ask"
                    } else {
                        "bid"
                    }
                ),
            ));
        }
        if t.has_trigger() && self.config.reject_stop_on_wrong_side {
            if let (Some(trigger), Some(reference)) = (r.trigger_price, self.reference(r.side)) {
                if triggers::is_triggered(t, r.side, trigger, reference) {
                    return Some((
                        codes::STOP_ALREADY_TRIGGERED,
                        format!(
                            "order {id}: {} {} trigger {trigger} is already reached by the market at {reference}",
                            r.side.as_str(),
                            t.as_str()
                        ),
                    ));
                }
            }
        }
        None
    }

    fn submit(
        &mut self,
        id: ClientOrderId,
        r: &OrderRequest,
        now: UnixNanos,
        out: &mut Vec<OrderEvent>,
    ) {
        if let Some((code, message)) = self.refuse(id, r, now) {
            Self::reject(id, code, message, now, out);
            return;
        }
        push(out, id, now, OrderEventKind::Accepted);
        let expire = match r.time_in_force {
            TimeInForce::Gtd => r.expire_ts,
            TimeInForce::Day => Some((now.div_euclid(NANOS_PER_DAY) + 1) * NANOS_PER_DAY),
            _ => None,
        };
        let t = r.order_type;
        let mut o = Working {
            id,
            side: r.side,
            order_type: t,
            quantity: r.quantity,
            filled: 0,
            price: r.price,
            trigger: r.trigger_price,
            trailing_offset: r.trailing_offset.unwrap_or(0),
            offset_type: r.trailing_offset_type,
            limit_offset: r.limit_offset,
            tif: r.time_in_force,
            expire,
            post_only: r.post_only,
            stage: Stage::Pending,
            queue: QueuePos::default(),
            done: false,
            arrived: now,
        };
        if t.has_trigger() {
            o.stage = Stage::Trigger;
            if triggers::is_trailing(t) && o.trigger.is_none() {
                o.trigger = self.reference(o.side).map(|reference| {
                    triggers::trailing_trigger(o.side, reference, o.trailing_offset, o.offset_type)
                });
            }
            self.orders.push(o);
            if self.has_book() || self.last_trade.is_some() {
                let i = self.orders.len() - 1;
                self.check_trigger(i, now, out);
            }
        } else {
            self.orders.push(o);
            let i = self.orders.len() - 1;
            if self.has_book() {
                self.execute(i, now, out);
            } else if t == OrderType::Limit && !self.orders[i].is_immediate() {
                self.rest(i);
            }
        }
    }

    /// Executes order `i` as if it just arrived against the current book:
    /// market orders take and cancel the rest, limits take then rest / cancel.
    fn execute(&mut self, i: usize, now: UnixNanos, out: &mut Vec<OrderEvent>) {
        let o = &mut self.orders[i];
        let limit = if o.is_market() { None } else { o.price };
        if o.tif == TimeInForce::Fok
            && available(&self.book, &self.consumed, o.side, limit, o.leaves()) < o.leaves()
        {
            finish(o, OrderEventKind::Cancelled, now, out);
            return;
        }
        take(&self.book, &mut self.consumed, o, limit, now, out);
        if o.done {
            return;
        }
        if limit.is_none() || o.is_immediate() {
            finish(o, OrderEventKind::Cancelled, now, out);
        } else {
            self.rest(i);
        }
    }

    /// Order `i` starts resting at its limit, joining the back of the queue.
    fn rest(&mut self, i: usize) {
        let (side, price) = (
            self.orders[i].side,
            self.orders[i].price.unwrap_or_default(),
        );
        let displayed = if self.has_deltas {
            match side {
                OrderSide::Buy => self.book.bids().size_at(price),
                OrderSide::Sell => self.book.asks().size_at(price),
            }
        } else if self.has_quotes {
            // Only the top is visible: behind the best, the size is unknown.
            match (side, self.book.best_bid(), self.book.best_ask()) {
                (OrderSide::Buy, Some(b), _) if b.price == price => b.size,
                (OrderSide::Buy, Some(b), _) if b.price > price => UNKNOWN_AHEAD,
                (OrderSide::Sell, _, Some(a)) if a.price == price => a.size,
                (OrderSide::Sell, _, Some(a)) if a.price < price => UNKNOWN_AHEAD,
                _ => 0,
            }
        } else {
            UNKNOWN_AHEAD
        };
        let o = &mut self.orders[i];
        o.stage = Stage::Resting;
        o.queue = QueuePos::join(displayed);
    }

    /// Triggers order `i` if its reference has reached its trigger (moving
    /// a trailing trigger first).
    fn check_trigger(&mut self, i: usize, now: UnixNanos, out: &mut Vec<OrderEvent>) {
        let o = &self.orders[i];
        if o.done || o.stage != Stage::Trigger {
            return;
        }
        let Some(reference) = self.reference(o.side) else {
            return;
        };
        let o = &mut self.orders[i];
        let trigger = match o.trigger {
            Some(t) if triggers::is_trailing(o.order_type) => {
                let moved = triggers::trail(o.side, t, reference, o.trailing_offset, o.offset_type);
                if moved != t {
                    o.trigger = Some(moved);
                    if self.config.emit_trailing_updates {
                        push(
                            out,
                            o.id,
                            now,
                            OrderEventKind::Updated {
                                quantity: o.quantity,
                                price: o.price,
                                trigger_price: Some(moved),
                            },
                        );
                    }
                }
                moved
            }
            Some(t) => t,
            None => {
                // A trailing stop that arrived before any price: start here.
                o.trigger = Some(triggers::trailing_trigger(
                    o.side,
                    reference,
                    o.trailing_offset,
                    o.offset_type,
                ));
                return;
            }
        };
        if !triggers::is_triggered(o.order_type, o.side, trigger, reference) {
            return;
        }
        push(out, o.id, now, OrderEventKind::Triggered);
        if !o.is_market() {
            o.price = Some(match (o.order_type, o.limit_offset) {
                (OrderType::TrailingStopLimit, Some(off)) => {
                    triggers::trailing_limit(o.side, trigger, off)
                }
                _ => o.price.unwrap_or(trigger),
            });
        }
        if self.has_book() {
            self.execute(i, now, out);
        } else {
            let o = &mut self.orders[i];
            if o.is_market() {
                o.stage = Stage::Pending;
            } else {
                self.rest(i);
            }
        }
    }

    /// Book-driven checks after the book changed: waiting market orders,
    /// triggers on quotes, resting orders crossed by the opposite best.
    fn match_book(&mut self, now: UnixNanos, out: &mut Vec<OrderEvent>) {
        if self.n_pending > 0 {
            for i in 0..self.orders.len() {
                if self.orders[i].stage == Stage::Pending && !self.orders[i].done {
                    self.execute(i, now, out);
                }
            }
        }
        if self.n_resting > 0 {
            let ask = self.book.best_ask().map_or(i64::MAX, |l| l.price);
            let bid = self.book.best_bid().map_or(i64::MIN, |l| l.price);
            if ask <= self.max_resting_buy || bid >= self.min_resting_sell {
                for o in &mut self.orders {
                    if o.done || o.stage != Stage::Resting {
                        continue;
                    }
                    let p = o.price.unwrap_or_default();
                    let crossed = match o.side {
                        OrderSide::Buy => ask <= p,
                        OrderSide::Sell => bid >= p,
                    };
                    if crossed {
                        let leaves = o.leaves();
                        fill(o, p, leaves, LiquiditySide::Maker, now, out);
                    }
                }
            }
        }
        if self.n_trigger > 0 && self.last_trade.is_none() {
            for i in 0..self.orders.len() {
                self.check_trigger(i, now, out);
            }
        }
    }

    /// Updates queue positions of resting orders at `(side, price)` whose
    /// level goes from `prev` to `new`.
    #[inline]
    fn queue_depth(&mut self, side: BookSide, price: i64, prev: i64, new: i64) {
        let model = self.config.queue_model;
        for o in &mut self.orders {
            if o.stage == Stage::Resting && own_book_side(o.side) == side && o.price == Some(price)
            {
                o.queue.on_depth(model, prev, new);
            }
        }
    }

    fn on_trade_inner(&mut self, t: &TradeTick, out: &mut Vec<OrderEvent>) {
        let now = t.ts_init;
        self.last_trade = Some(t.price);
        if self.n_resting > 0 && !self.has_bars {
            let mut ours = 0i64;
            for o in &mut self.orders {
                if o.done || o.stage != Stage::Resting {
                    continue;
                }
                let p = o.price.unwrap_or_default();
                let (through, at, own_aggressor) = match o.side {
                    OrderSide::Buy => (t.price < p, t.price == p, AggressorSide::Buyer),
                    OrderSide::Sell => (t.price > p, t.price == p, AggressorSide::Seller),
                };
                if through {
                    let leaves = o.leaves();
                    fill(o, p, leaves, LiquiditySide::Maker, now, out);
                } else if at && t.aggressor_side != own_aggressor {
                    // Our earlier orders at this price took part of the print.
                    let reach = (o.queue.on_trade(t.size) - ours).max(0);
                    let qty = reach.min(o.leaves());
                    if qty > 0 {
                        ours += qty;
                        fill(o, p, qty, LiquiditySide::Maker, now, out);
                    }
                }
            }
        }
        if self.n_trigger > 0 {
            for i in 0..self.orders.len() {
                self.check_trigger(i, now, out);
            }
        }
    }

    #[inline]
    fn on_delta_inner(&mut self, d: &BookDelta, out: &mut Vec<OrderEvent>) {
        if d.action == BookAction::Clear {
            self.book.apply(d);
            self.consumed.clear();
        } else {
            if self.n_resting > 0 {
                let own_here = self.orders.iter().any(|o| {
                    o.stage == Stage::Resting
                        && own_book_side(o.side) == d.side
                        && o.price == Some(d.price)
                });
                if own_here {
                    let prev = match d.side {
                        BookSide::Bid => self.book.bids().size_at(d.price),
                        _ => self.book.asks().size_at(d.price),
                    };
                    let new = if d.action == BookAction::Delete {
                        0
                    } else {
                        d.size
                    };
                    self.queue_depth(d.side, d.price, prev, new);
                }
            }
            self.book.apply(d);
            if !self.consumed.is_empty() {
                self.consumed
                    .retain(|c| !(c.side == d.side && c.price == d.price));
            }
        }
        if d.flags & FLAG_LAST != 0 {
            self.uses_last_flag = true;
        } else if self.uses_last_flag {
            return;
        }
        if !self.orders.is_empty() {
            self.match_book(d.ts_init, out);
        }
    }

    fn on_quote_inner(&mut self, q: &QuoteTick, out: &mut Vec<OrderEvent>) {
        if !self.has_deltas {
            let old_bid = self.book.best_bid();
            let old_ask = self.book.best_ask();
            if self.n_resting > 0 {
                for (side, new_price, new_size, old) in [
                    (BookSide::Bid, q.bid_price, q.bid_size, old_bid),
                    (BookSide::Ask, q.ask_price, q.ask_size, old_ask),
                ] {
                    let model = self.config.queue_model;
                    for o in &mut self.orders {
                        if o.stage != Stage::Resting || own_book_side(o.side) != side {
                            continue;
                        }
                        let p = o.price.unwrap_or_default();
                        // Behind a better best the level is invisible.
                        let better = |a: i64, b: i64| {
                            if side == BookSide::Bid {
                                a > b
                            } else {
                                a < b
                            }
                        };
                        let new = if new_size <= 0 || better(p, new_price) {
                            Some(0)
                        } else if new_price == p {
                            Some(new_size)
                        } else {
                            None
                        };
                        let prev = old.filter(|l| l.price == p).map_or(0, |l| l.size);
                        if let Some(new) = new {
                            o.queue.on_depth(model, prev, new);
                        }
                    }
                }
            }
            if !self.consumed.is_empty() {
                self.consumed.retain(|c| match c.side {
                    BookSide::Bid => {
                        old_bid.is_some_and(|l| l.price == q.bid_price && l.size == q.bid_size)
                    }
                    _ => old_ask.is_some_and(|l| l.price == q.ask_price && l.size == q.ask_size),
                });
            }
            self.book.set_from_quote(q);
        }
        if !self.orders.is_empty() {
            self.match_book(q.ts_init, out);
        }
    }

    fn on_bar_inner(&mut self, bar: &Bar, out: &mut Vec<OrderEvent>) {
        let now = bar.ts_init;
        let path = self.config.bar_path.path(bar);
        let config = self.config;
        for o in &mut self.orders {
            // A bar that opened before the order arrived holds prices from
            // before it existed (see "No look-ahead on bars").
            if o.done || bar.ts_open < o.arrived {
                continue;
            }
            match o.stage {
                Stage::Pending => bar_pending(o, bar, config.bar_slippage, now, out),
                Stage::Resting => bar_limit(o, &path, false, now, out),
                Stage::Trigger => bar_trigger(o, bar, &path, &config, now, out),
            }
        }
        self.last_close = Some(bar.close);
    }

    fn cancel(&mut self, id: ClientOrderId, now: UnixNanos, out: &mut Vec<OrderEvent>) {
        match self.orders.iter_mut().find(|o| o.id == id && !o.done) {
            Some(o) => finish(o, OrderEventKind::Cancelled, now, out),
            None => push(
                out,
                id,
                now,
                OrderEventKind::CancelRejected {
                    message: format!(
                        "order {id} is not working at the exchange (unknown, filled, cancelled or expired)"
                    )
                    .into_boxed_str(),
                },
            ),
        }
    }

    fn modify(
        &mut self,
        id: ClientOrderId,
        quantity: Option<i64>,
        price: Option<i64>,
        trigger_price: Option<i64>,
        now: UnixNanos,
        out: &mut Vec<OrderEvent>,
    ) {
        let refuse = |message: String, out: &mut Vec<OrderEvent>| {
            push(
                out,
                id,
                now,
                OrderEventKind::ModifyRejected {
                    message: message.into_boxed_str(),
                },
            );
        };
        let Some(i) = self.orders.iter().position(|o| o.id == id && !o.done) else {
            refuse(
                format!("order {id} is not working at the exchange (unknown, filled, cancelled or expired)"),
                out,
            );
            return;
        };
        let o = &self.orders[i];
        let new_qty = quantity.unwrap_or(o.quantity);
        if new_qty <= o.filled {
            refuse(
                format!(
                    "order {id}: new quantity {new_qty} must exceed the filled quantity {}",
                    o.filled
                ),
                out,
            );
            return;
        }
        if price.is_some() && !o.order_type.has_limit_price() {
            refuse(
                format!(
                    "order {id}: a {} order has no limit price to modify",
                    o.order_type.as_str()
                ),
                out,
            );
            return;
        }
        if trigger_price.is_some() && o.stage != Stage::Trigger {
            refuse(
                format!(
                    "order {id}: the trigger of a {} order that is not waiting for a trigger cannot change",
                    o.order_type.as_str()
                ),
                out,
            );
            return;
        }
        let new_price = price.or(o.price);
        if o.stage == Stage::Resting && self.has_book() {
            if let Some(p) = new_price {
                let best = match o.side {
                    OrderSide::Buy => self.book.best_ask(),
                    OrderSide::Sell => self.book.best_bid(),
                };
                if let Some(b) = best.filter(|b| within(o.side, b.price, Some(p))) {
                    if o.post_only {
                        refuse(
                            format!(
                                "{}: order {id}: post-only limit {p} would take the best price {}",
                                codes::POST_ONLY_WOULD_TAKE,
                                b.price
                            ),
                            out,
                        );
                        return;
                    }
                }
            }
        }
        let o = &mut self.orders[i];
        let keeps_queue = new_price == o.price && new_qty <= o.quantity;
        if new_price != o.price || trigger_price.is_some_and(|t| o.trigger != Some(t)) {
            o.arrived = now;
        }
        o.quantity = new_qty;
        o.price = new_price;
        if trigger_price.is_some() {
            o.trigger = trigger_price;
        }
        push(
            out,
            id,
            now,
            OrderEventKind::Updated {
                quantity: new_qty,
                price: o.price,
                trigger_price: o.trigger,
            },
        );
        let (stage, has_book) = (o.stage, self.has_deltas || self.has_quotes);
        match stage {
            Stage::Resting if !keeps_queue => {
                if has_book {
                    // A new price may now be marketable: take, then rest.
                    self.execute(i, now, out);
                } else {
                    self.rest(i);
                }
            }
            Stage::Trigger if has_book || self.last_trade.is_some() => {
                self.check_trigger(i, now, out);
            }
            _ => {}
        }
    }
}

/// A market order (or IOC/FOK limit) waiting for a bar: executes at the open.
fn bar_pending(o: &mut Working, bar: &Bar, slip: i64, now: UnixNanos, out: &mut Vec<OrderEvent>) {
    let px = slipped(o.side, bar.open, slip, bar);
    if o.is_market() {
        let leaves = o.leaves();
        fill(o, px, leaves, LiquiditySide::Taker, now, out);
        return;
    }
    let limit = o.price.unwrap_or_default();
    if within(o.side, bar.open, Some(limit)) {
        let px = match o.side {
            OrderSide::Buy => px.min(limit),
            OrderSide::Sell => px.max(limit),
        };
        let leaves = o.leaves();
        fill(o, px, leaves, LiquiditySide::Taker, now, out);
    } else {
        finish(o, OrderEventKind::Cancelled, now, out);
    }
}

/// `px` moved `slip` against a `side` taker, kept inside the bar's range.
#[inline]
fn slipped(side: OrderSide, px: i64, slip: i64, bar: &Bar) -> i64 {
    match side {
        OrderSide::Buy => px.saturating_add(slip).min(bar.high.max(px)),
        OrderSide::Sell => px.saturating_sub(slip).max(bar.low.min(px)),
    }
}

/// A resting limit along the path `pts` (its first point possibly a gap):
/// fills at the first point at or through the limit, else at the limit when
/// a leg crosses it. `first_is_taker`: the order only now started resting, so
/// a fill at the first point took liquidity.
fn bar_limit(
    o: &mut Working,
    pts: &[i64],
    first_is_taker: bool,
    now: UnixNanos,
    out: &mut Vec<OrderEvent>,
) {
    let limit = o.price.unwrap_or_default();
    let below = o.side == OrderSide::Buy;
    let Some(&first) = pts.first() else {
        return;
    };
    if within(o.side, first, Some(limit)) {
        let liquidity = if first_is_taker {
            LiquiditySide::Taker
        } else {
            LiquiditySide::Maker
        };
        let leaves = o.leaves();
        fill(o, first, leaves, liquidity, now, out);
        return;
    }
    for leg in pts.windows(2) {
        if let Some(px) = first_touch(leg[0], leg[1], limit, below) {
            let leaves = o.leaves();
            fill(o, px, leaves, LiquiditySide::Maker, now, out);
            return;
        }
    }
}

/// A trigger order along the bar's path: triggers where the path reaches the
/// trigger (trailing triggers follow each leg's favourable extreme), then
/// fills as a market order there or rests as a limit for the rest of the path.
fn bar_trigger(
    o: &mut Working,
    bar: &Bar,
    path: &[i64; 4],
    config: &ExchangeConfig,
    now: UnixNanos,
    out: &mut Vec<OrderEvent>,
) {
    let trailing = triggers::is_trailing(o.order_type);
    let upward = triggers::triggers_upward(o.order_type, o.side);
    let mut trigger = match o.trigger {
        Some(t) => t,
        None => triggers::trailing_trigger(o.side, path[0], o.trailing_offset, o.offset_type),
    };
    for k in 0..4 {
        let (s, e) = if k == 0 {
            (path[0], path[0])
        } else {
            (path[k - 1], path[k])
        };
        if let Some(px) = first_touch(s, e, trigger, !upward) {
            o.trigger = Some(trigger);
            push(out, o.id, now, OrderEventKind::Triggered);
            if o.is_market() {
                let px = slipped(o.side, px, config.bar_slippage, bar);
                let leaves = o.leaves();
                fill(o, px, leaves, LiquiditySide::Taker, now, out);
                return;
            }
            o.price = Some(match (o.order_type, o.limit_offset) {
                (OrderType::TrailingStopLimit, Some(off)) => {
                    triggers::trailing_limit(o.side, trigger, off)
                }
                _ => o.price.unwrap_or(trigger),
            });
            o.stage = Stage::Resting;
            o.queue = QueuePos::join(UNKNOWN_AHEAD);
            let mut pts = [0i64; 4];
            pts[0] = px;
            let rest = &path[k.max(1)..];
            pts[1..=rest.len()].copy_from_slice(rest);
            bar_limit(o, &pts[..=rest.len()], true, now, out);
            return;
        }
        if trailing {
            let extreme = match o.side {
                OrderSide::Sell => s.max(e),
                OrderSide::Buy => s.min(e),
            };
            let moved = triggers::trail(o.side, trigger, extreme, o.trailing_offset, o.offset_type);
            if moved != trigger && config.emit_trailing_updates {
                push(
                    out,
                    o.id,
                    now,
                    OrderEventKind::Updated {
                        quantity: o.quantity,
                        price: o.price,
                        trigger_price: Some(moved),
                    },
                );
            }
            trigger = moved;
        }
    }
    o.trigger = Some(trigger);
}

impl MatchingEngine for SimulatedExchange {
    fn on_command(&mut self, command: &VenueCommand, now: UnixNanos, out: &mut Vec<OrderEvent>) {
        let mark = out.len();
        self.expire_due(now, out);
        match *command {
            VenueCommand::Submit { id, ref request } => self.submit(id, request, now, out),
            VenueCommand::Cancel { id } => self.cancel(id, now, out),
            VenueCommand::Modify {
                id,
                quantity,
                price,
                trigger_price,
            } => self.modify(id, quantity, price, trigger_price, now, out),
        }
        if out.len() != mark {
            self.refresh();
        }
    }

    fn on_trade(&mut self, trade: &TradeTick, out: &mut Vec<OrderEvent>) {
        let mark = out.len();
        self.expire_due(trade.ts_init, out);
        self.on_trade_inner(trade, out);
        if out.len() != mark {
            self.refresh();
        }
    }

    fn on_quote(&mut self, quote: &QuoteTick, out: &mut Vec<OrderEvent>) {
        let mark = out.len();
        self.has_quotes = true;
        self.expire_due(quote.ts_init, out);
        self.on_quote_inner(quote, out);
        if out.len() != mark {
            self.refresh();
        }
    }

    #[inline]
    fn on_delta(&mut self, delta: &BookDelta, out: &mut Vec<OrderEvent>) {
        let mark = out.len();
        if !self.has_deltas {
            // The depth feed takes over from any quotes seen before it.
            self.has_deltas = true;
            self.book.clear();
            self.consumed.clear();
        }
        self.expire_due(delta.ts_init, out);
        self.on_delta_inner(delta, out);
        if out.len() != mark {
            self.refresh();
        }
    }

    fn on_bar(&mut self, bar: &Bar, out: &mut Vec<OrderEvent>) {
        let mark = out.len();
        self.has_bars = true;
        self.expire_due(bar.ts_init, out);
        self.on_bar_inner(bar, out);
        if out.len() != mark {
            self.refresh();
        }
    }

    fn on_time(&mut self, now: UnixNanos, out: &mut Vec<OrderEvent>) {
        let mark = out.len();
        self.expire_due(now, out);
        if out.len() != mark {
            self.refresh();
        }
    }

    fn next_expiry(&self) -> Option<UnixNanos> {
        self.next_expiry
    }

    fn book(&self) -> Option<&L2Book> {
        self.has_book().then_some(&self.book)
    }
}

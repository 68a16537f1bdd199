//! The engine's state and everything a strategy may do with it.
//!
//! [`EngineCore`] owns the clock, the venues (one per instrument), the orders,
//! the portfolio, the data engine (bars built from trades, indicators) and the
//! run log. The loop in [`super::run`] feeds it events; strategies get it as
//! their context and send orders through it. Every order goes through
//! [`EngineCore::submit`], which runs the pre-trade checks before anything can
//! reach a venue.
//!
//! Contingent orders live in [`super::contingent`], TWAP in [`super::algos`],
//! the data engine in [`super::data_engine`], the risk gate in
//! [`super::risk_gate`].

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

use super::algos::TwapSlot;
use super::data_engine::{BarBuilder, IndicatorSlot};
use super::latency::{LatencyModel, Rng};
use super::results::{EquityRow, OrderEventRow, RunLog};
use super::scheduler::{Due, Scheduler};
use crate::book::L2Book;
use crate::matching::{MatchingEngine, VenueCommand};
use crate::orders::{
    ClientOrderId, ContingencyAction, ContingencyError, ContingencyManager, LiquiditySide, Order,
    OrderEvent, OrderEventKind, OrderRequest, OrderSide, OrderStatus, TwapError,
};
use crate::portfolio::{FeeModel, Fill, Portfolio};
use crate::types::{Bar, UnixNanos};

/// Engine settings that do not depend on the data.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// Delay between a record's `ts_init` and the strategy seeing it.
    pub feed_latency: LatencyModel,
    /// Delay between sending a command and the venue receiving it.
    pub order_entry_latency: LatencyModel,
    /// Delay between a venue event and the strategy learning of it.
    pub ack_latency: LatencyModel,
    /// Seed of the latency draws.
    pub seed: u64,
    /// Equity sampling interval in ns; 0 samples after every bar (or, with
    /// no bars, every second of data time).
    pub equity_interval: i64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            feed_latency: LatencyModel::Constant(0),
            order_entry_latency: LatencyModel::Constant(0),
            ack_latency: LatencyModel::Constant(0),
            seed: 0,
            equity_interval: 0,
        }
    }
}

/// An engine call the strategy made that cannot be honoured.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EngineError {
    /// No order has this id.
    #[error("unknown order id {0}")]
    UnknownOrder(ClientOrderId),
    /// No instrument has this index.
    #[error("unknown instrument index {0}")]
    UnknownInstrument(u32),
    /// The order can no longer be changed.
    #[error("order {id} is {status}: it can no longer be {action}")]
    OrderClosed {
        /// The order.
        id: ClientOrderId,
        /// Its status.
        status: &'static str,
        /// `cancelled` or `modified`.
        action: &'static str,
    },
    /// An indicator name or parameter is invalid.
    #[error("indicator {name}: {message}")]
    Indicator {
        /// Indicator name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// A bar spec is invalid.
    #[error("bars: {0}")]
    Bars(String),
    /// A modify of this order is still waiting for the venue's answer.
    #[error("order {0}: a modify is already pending; wait for its answer (on_order) first")]
    ModifyPending(ClientOrderId),
    /// The portfolio refused a fill (overflow, unknown instrument).
    #[error("portfolio: {0}")]
    Portfolio(String),
    /// The state machine refused an event (an engine bug, reported loudly).
    #[error(transparent)]
    Order(#[from] crate::orders::OrderError),
    /// A contingency (OCO, OTO, bracket) cannot be set up.
    #[error(transparent)]
    Contingency(#[from] ContingencyError),
    /// A TWAP cannot be set up, or its children disagree with it.
    #[error(transparent)]
    Twap(#[from] TwapError),
    /// No TWAP has this id.
    #[error("unknown TWAP id {0}")]
    UnknownTwap(u64),
}

/// A fill as the strategy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillReport {
    /// The order.
    pub order_id: ClientOrderId,
    /// Instrument index.
    pub instrument: u32,
    /// Buy or sell.
    pub side: OrderSide,
    /// Price (raw).
    pub price: i64,
    /// Quantity (raw).
    pub quantity: i64,
    /// Fee (raw money in the quote currency).
    pub fee: i128,
    /// Maker or taker.
    pub liquidity: LiquiditySide,
    /// When.
    pub ts: UnixNanos,
}

/// Per-instrument facts the engine needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstrumentInfo {
    /// Decimal places of prices.
    pub price_precision: u8,
    /// Decimal places of sizes.
    pub size_precision: u8,
}

/// The engine's state; the context every strategy callback receives.
pub struct EngineCore {
    pub(crate) now: UnixNanos,
    pub(crate) config: EngineConfig,
    pub(crate) rng: Rng,
    pub(crate) instruments: Vec<InstrumentInfo>,
    pub(crate) venues: Vec<Box<dyn MatchingEngine + Send>>,
    pub(crate) fees: Vec<FeeModel>,
    pub(crate) portfolio: Portfolio,
    pub(crate) orders: Vec<Order>,
    pub(crate) open: BTreeSet<ClientOrderId>,
    pub(crate) scheduler: Scheduler,
    pub(crate) venue_events: Vec<OrderEvent>,
    /// Latest time an ack was scheduled, so answers never overtake each other.
    pub(crate) last_ack: UnixNanos,
    pub(crate) last_entry: UnixNanos,
    pub(crate) next_timer: u64,
    pub(crate) indicators: Vec<IndicatorSlot>,
    pub(crate) bar_builders: Vec<BarBuilder>,
    pub(crate) built_bars: Vec<Bar>,
    pub(crate) last_bar: Vec<Option<Bar>>,
    pub(crate) log: RunLog,
    /// The pre-trade risk engine every order passes.
    pub(crate) risk: crate::risk::pretrade::RiskEngine,
    /// The strategy's lagged books under feed latency (empty otherwise).
    pub(crate) lagged_books: Vec<super::run::LaggedBook>,
    /// OCO / OTO / bracket links.
    pub(crate) contingency: ContingencyManager,
    /// The manager's actions for one event (a buffer reused across events).
    pub(crate) actions: Vec<ContingencyAction>,
    /// Held orders cancelled locally whose `Cancelled` is on its way to the
    /// strategy (already applied to the order).
    pub(crate) held_cancels: BTreeSet<ClientOrderId>,
    /// OCO siblings the venue step already closed (their `Cancelled` is on
    /// its way): no cancel request is sent for them.
    pub(crate) settled: BTreeSet<ClientOrderId>,
    /// TWAPs, by id − 1.
    pub(crate) twaps: Vec<TwapSlot>,
    /// TWAP child order -> TWAP index.
    pub(crate) twap_children: BTreeMap<ClientOrderId, usize>,
    /// Earliest scheduled TWAP wake-up (`i64::MAX` when none).
    pub(crate) twap_due: UnixNanos,
}

impl EngineCore {
    /// A core over `instruments` (index = instrument index), each with its venue and fees.
    pub fn new(
        config: EngineConfig,
        instruments: Vec<InstrumentInfo>,
        venues: Vec<Box<dyn MatchingEngine + Send>>,
        fees: Vec<FeeModel>,
        portfolio: Portfolio,
    ) -> Self {
        let n = instruments.len();
        Self {
            now: i64::MIN,
            rng: Rng::new(config.seed),
            config,
            instruments,
            venues,
            fees,
            portfolio,
            orders: Vec::new(),
            open: BTreeSet::new(),
            scheduler: Scheduler::new(),
            venue_events: Vec::with_capacity(64),
            last_ack: i64::MIN,
            last_entry: i64::MIN,
            next_timer: 0,
            indicators: Vec::new(),
            bar_builders: Vec::new(),
            built_bars: Vec::new(),
            last_bar: vec![None; n],
            log: RunLog::default(),
            risk: crate::risk::pretrade::RiskEngine::unlimited(),
            lagged_books: Vec::new(),
            contingency: ContingencyManager::new(),
            actions: Vec::new(),
            held_cancels: BTreeSet::new(),
            settled: BTreeSet::new(),
            twaps: Vec::new(),
            twap_children: BTreeMap::new(),
            twap_due: i64::MAX,
        }
    }

    // ---- reading -------------------------------------------------------

    /// The engine clock (ns since the epoch, UTC).
    #[inline]
    pub fn now(&self) -> UnixNanos {
        self.now
    }

    /// Number of instruments.
    pub fn instrument_count(&self) -> usize {
        self.instruments.len()
    }

    /// Precisions of an instrument.
    pub fn instrument(&self, instrument: u32) -> Option<&InstrumentInfo> {
        self.instruments.get(instrument as usize)
    }

    /// The book of `instrument` as the strategy knows it (from deltas or the
    /// last quote). With no feed latency it is the venue's current book;
    /// with a feed latency and a strategy subscribed to books or quotes it is
    /// a copy updated as records reach the strategy, so it lags the venue's
    /// by the feed latency (see `engine::run`).
    #[inline]
    pub fn book(&self, instrument: u32) -> Option<&L2Book> {
        if !self.lagged_books.is_empty() {
            return self.lagged_books.get(instrument as usize)?.view();
        }
        self.venues.get(instrument as usize)?.book()
    }

    /// The portfolio.
    #[inline]
    pub fn portfolio(&self) -> &Portfolio {
        &self.portfolio
    }

    /// An order by id.
    #[inline]
    pub fn order(&self, id: ClientOrderId) -> Option<&Order> {
        id.checked_sub(1)
            .and_then(|i| self.orders.get(usize::try_from(i).ok()?))
    }

    /// Ids of the open (not terminal, submitted) orders, in id order.
    pub fn open_orders(&self) -> impl Iterator<Item = &Order> + '_ {
        self.open.iter().filter_map(|id| self.order(*id))
    }

    /// The run log so far.
    pub fn log(&self) -> &RunLog {
        &self.log
    }

    // ---- subscribing ---------------------------------------------------

    /// Fires `on_timer(id)` at `at` (or now, if `at` is in the past).
    pub fn set_timer(&mut self, at: UnixNanos) -> u64 {
        self.next_timer += 1;
        let id = self.next_timer;
        self.scheduler.push(at.max(self.now), Due::Timer { id });
        id
    }

    // ---- trading -------------------------------------------------------

    /// Sends an order: it gets an id, goes through the pre-trade checks and,
    /// if they pass, leaves for the venue (arriving after the order-entry
    /// latency). A denial is an order event, not an error.
    pub fn submit(&mut self, request: OrderRequest) -> ClientOrderId {
        let id = self.create(request);
        self.send_new(id);
        id
    }

    /// Creates an `Initialized` order (not sent).
    pub(super) fn create(&mut self, mut request: OrderRequest) -> ClientOrderId {
        let id = self.orders.len() as ClientOrderId + 1;
        request.strategy = 0;
        self.orders.push(Order::new(id, request, self.now));
        id
    }

    /// Runs the pre-trade checks on the `Initialized` order `id` and sends
    /// it, or denies it.
    pub(super) fn send_new(&mut self, id: ClientOrderId) {
        let Some(request) = self.order(id).map(|o| o.request) else {
            return;
        };
        match self.pre_trade_check(id, &request) {
            Err((code, message)) => {
                self.local_event(
                    id,
                    OrderEventKind::Denied {
                        code,
                        message: message.into_boxed_str(),
                    },
                );
            }
            Ok(()) => {
                self.local_event(id, OrderEventKind::Submitted);
                self.open.insert(id);
                self.send(request.instrument, VenueCommand::Submit { id, request });
            }
        }
    }

    /// Asks the venue to cancel order `id`. An order held by a contingency
    /// (never sent) is cancelled at once.
    pub fn cancel(&mut self, id: ClientOrderId) -> Result<(), EngineError> {
        let order = self.order(id).ok_or(EngineError::UnknownOrder(id))?;
        if order.status == OrderStatus::Initialized && self.contingency.is_linked(id) {
            self.cancel_held(id);
            return Ok(());
        }
        if !order.status.is_open() {
            return Err(EngineError::OrderClosed {
                id,
                status: order.status.as_str(),
                action: "cancelled",
            });
        }
        if order.status == OrderStatus::PendingCancel {
            return Ok(());
        }
        let instrument = order.request.instrument;
        self.local_event(id, OrderEventKind::PendingCancel);
        self.send(instrument, VenueCommand::Cancel { id });
        Ok(())
    }

    /// Cancels every open order (of `instrument`, or all).
    pub fn cancel_all(&mut self, instrument: Option<u32>) {
        let ids: Vec<ClientOrderId> = self
            .open_orders()
            .filter(|o| instrument.is_none_or(|i| o.request.instrument == i))
            .filter(|o| o.status != OrderStatus::PendingCancel)
            .map(|o| o.id)
            .collect();
        for id in ids {
            let _ = self.cancel(id);
        }
    }

    /// Asks the venue to change order `id` (None keeps a field).
    pub fn modify(
        &mut self,
        id: ClientOrderId,
        quantity: Option<i64>,
        price: Option<i64>,
        trigger_price: Option<i64>,
    ) -> Result<(), EngineError> {
        let order = self.order(id).ok_or(EngineError::UnknownOrder(id))?;
        if !order.status.is_open() || order.status == OrderStatus::PendingCancel {
            return Err(EngineError::OrderClosed {
                id,
                status: order.status.as_str(),
                action: "modified",
            });
        }
        if order.status == OrderStatus::PendingUpdate {
            // One request of each kind at a time (the venue answers in order;
            // a second modify would race the first one's answer).
            return Err(EngineError::ModifyPending(id));
        }
        let instrument = order.request.instrument;
        self.local_event(id, OrderEventKind::PendingUpdate);
        self.send(
            instrument,
            VenueCommand::Modify {
                id,
                quantity,
                price,
                trigger_price,
            },
        );
        Ok(())
    }

    /// Schedules a command to reach the venue after the entry latency.
    fn send(&mut self, instrument: u32, command: VenueCommand) {
        let at =
            (self.now + self.config.order_entry_latency.draw(&mut self.rng)).max(self.last_entry);
        self.last_entry = at;
        self.scheduler.push(
            at,
            Due::AtVenue {
                instrument,
                command,
            },
        );
    }

    /// An event that happens locally (denied, submitted, pending): the
    /// strategy learns of it now, after the current callback.
    pub(super) fn local_event(&mut self, id: ClientOrderId, kind: OrderEventKind) {
        let event = OrderEvent {
            order_id: id,
            kind,
            ts: self.now,
        };
        // Local events take effect on the order at once, so a second call in
        // the same callback sees the pending state; the strategy hears of it
        // after the current callback.
        if let Some(order) = self.order_mut(id) {
            // Only legal transitions are ever asked for here (checked by the
            // callers); a refusal would leave the order as it was.
            let _ = order.apply(&event);
        }
        self.scheduler.push(self.now, Due::ToStrategy(event));
    }

    pub(super) fn order_mut(&mut self, id: ClientOrderId) -> Option<&mut Order> {
        let i = usize::try_from(id.checked_sub(1)?).ok()?;
        self.orders.get_mut(i)
    }

    // ---- used by the loop ----------------------------------------------

    /// Moves venue answers in `venue_events` onto the strategy's timeline.
    pub(crate) fn schedule_venue_events(&mut self) {
        if self.venue_events.len() > 1 && self.step_touches_links() {
            self.settle_oco_in_step();
        }
        for i in 0..self.venue_events.len() {
            let ev = self.venue_events[i].clone();
            let at = (ev.ts + self.config.ack_latency.draw(&mut self.rng)).max(self.last_ack);
            self.last_ack = at;
            self.scheduler.push(at, Due::ToStrategy(ev));
        }
        self.venue_events.clear();
    }

    /// Applies an order event (state machine, portfolio, log). Returns the
    /// fill report when it was a fill.
    pub(crate) fn apply_event(
        &mut self,
        event: &OrderEvent,
    ) -> Result<Option<FillReport>, EngineError> {
        let id = event.order_id;
        let held_cancel =
            matches!(event.kind, OrderEventKind::Cancelled) && self.held_cancels.remove(&id);
        if matches!(event.kind, OrderEventKind::Cancelled) {
            self.settled.remove(&id);
        }
        let Some(order) = self.order_mut(id) else {
            return Err(EngineError::UnknownOrder(id));
        };
        let local = held_cancel
            || matches!(
                event.kind,
                OrderEventKind::Submitted
                    | OrderEventKind::Denied { .. }
                    | OrderEventKind::PendingCancel
                    | OrderEventKind::PendingUpdate
            );
        if !local {
            if let Err(e) = order.apply(event) {
                // A refused cancel or modify that crossed a fill (or another
                // answer) on the wire arrives when the order has moved on: a
                // normal race, logged, not applied. Anything else is a bug.
                let refusal = matches!(
                    event.kind,
                    OrderEventKind::CancelRejected { .. } | OrderEventKind::ModifyRejected { .. }
                );
                if !refusal {
                    return Err(e.into());
                }
            }
        }
        let instrument = order.request.instrument;
        let side = order.request.side;
        let reduce_only = order.request.reduce_only;
        let status = order.status;
        let (code, message): (&'static str, Box<str>) = match &event.kind {
            OrderEventKind::Denied { code, message }
            | OrderEventKind::Rejected { code, message } => (code, message.clone()),
            OrderEventKind::CancelRejected { message }
            | OrderEventKind::ModifyRejected { message } => ("", message.clone()),
            _ => ("", Box::from("")),
        };
        self.log.order_events.push(OrderEventRow {
            ts: event.ts,
            order_id: id,
            instrument,
            event: event.kind.name(),
            status: status.as_str(),
            code,
            message,
        });
        if status.is_terminal() {
            self.open.remove(&id);
        }
        if let Some(order) = id.checked_sub(1).and_then(|k| self.orders.get(k as usize)) {
            self.risk.on_order_event(&event.kind, order, event.ts);
        }
        if let OrderEventKind::Filled {
            price,
            quantity,
            liquidity,
        } = event.kind
        {
            let fee = self
                .portfolio
                .fee(
                    &self.fees[instrument as usize],
                    instrument,
                    price,
                    quantity,
                    liquidity,
                )
                .map_err(|e| EngineError::Portfolio(e.to_string()))?;
            let fill = FillReport {
                order_id: id,
                instrument,
                side,
                price,
                quantity,
                fee,
                liquidity,
                ts: event.ts,
            };
            self.portfolio
                .apply_fill(&Fill {
                    instrument,
                    side,
                    price,
                    quantity,
                    fee,
                    reduce_only,
                    ts: event.ts,
                })
                .map_err(|e| EngineError::Portfolio(e.to_string()))?;
            self.log.fills.push(fill);
            self.risk_after_fill(event.ts);
            self.follow_up(event)?;
            return Ok(Some(fill));
        }
        self.follow_up(event)?;
        Ok(None)
    }

    /// Records an equity sample at `ts`.
    pub(crate) fn sample_equity(&mut self, ts: UnixNanos) {
        self.log.equity.push(EquityRow {
            ts,
            equity: self.portfolio.equity_base(),
            cash: self.portfolio.cash_base(),
            gross_exposure: self.portfolio.gross_exposure_base(),
        });
    }
}

#[cfg(test)]
#[path = "core_tests.rs"]
mod tests;

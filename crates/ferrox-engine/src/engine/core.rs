//! The engine's state and everything a strategy may do with it.
//!
//! [`EngineCore`] owns the clock, the venues (one per instrument), the orders,
//! the portfolio, the data engine (bars built from trades, indicators) and the
//! run log. The loop in [`super::run`] feeds it events; strategies get it as
//! their context and send orders through it. Every order goes through
//! [`EngineCore::submit`], which runs the pre-trade checks before anything can
//! reach a venue.

use std::collections::BTreeSet;

use thiserror::Error;

use super::latency::{LatencyModel, Rng};
use super::results::{EquityRow, FillRow, OrderEventRow, RunLog};
use super::scheduler::{Due, Scheduler};
use crate::bars::{Aggregate, BarAggregator, OhlcvBar};
use crate::book::L2Book;
use crate::indicators::registry::{build, AnyStream};
use crate::matching::{MatchingEngine, VenueCommand};
use crate::orders::{
    ClientOrderId, LiquiditySide, Order, OrderEvent, OrderEventKind, OrderRequest, OrderSide,
    OrderStatus, OrderType, TimeInForce,
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
    /// The portfolio refused a fill (overflow, unknown instrument).
    #[error("portfolio: {0}")]
    Portfolio(String),
    /// The state machine refused an event (an engine bug, reported loudly).
    #[error(transparent)]
    Order(#[from] crate::orders::OrderError),
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

/// Which input of a bar an indicator reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarInput {
    /// Open.
    Open,
    /// High.
    High,
    /// Low.
    Low,
    /// Close.
    Close,
    /// Volume.
    Volume,
}

/// An indicator the data engine updates on every bar of its instrument.
#[derive(Debug, Clone)]
pub(crate) struct IndicatorSlot {
    pub instrument: u32,
    pub inputs: Vec<BarInput>,
    pub stream: AnyStream,
    pub input_buf: Vec<f64>,
    pub values: Vec<f64>,
    pub count: u64,
    pub lookback: u64,
}

/// Bars the data engine builds from an instrument's trades.
#[derive(Debug, Clone)]
pub(crate) struct BarBuilder {
    pub instrument: u32,
    pub aggregator: BarAggregator,
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
        }
    }

    /// Replaces the pre-trade risk engine (the default has no limits).
    pub fn set_risk(&mut self, risk: crate::risk::pretrade::RiskEngine) {
        self.risk = risk;
        let base = self.portfolio.config().base_currency;
        self.risk
            .set_base_currency(&self.portfolio.currencies().code(base));
    }

    /// The pre-trade risk engine (states, audit trail).
    pub fn risk(&self) -> &crate::risk::pretrade::RiskEngine {
        &self.risk
    }

    /// Kill switch: cancels every working order of `scope` and halts it,
    /// recorded in the risk audit trail with who and why. Returns the number
    /// of orders cancelled.
    pub fn kill_switch(
        &mut self,
        scope: crate::risk::pretrade::Scope,
        who: &str,
        why: &str,
    ) -> u32 {
        let cancelled = self.cancel_scope(scope);
        self.risk.set_state(
            scope,
            crate::risk::pretrade::TradingState::Halted,
            crate::risk::pretrade::codes::KILL_SWITCH,
            who,
            why,
            self.now,
            cancelled,
        );
        cancelled
    }

    /// Cancels every working order of `scope`; returns how many.
    fn cancel_scope(&mut self, scope: crate::risk::pretrade::Scope) -> u32 {
        use crate::risk::pretrade::Scope;
        let ids: Vec<ClientOrderId> = self
            .open_orders()
            .filter(|o| match scope {
                Scope::All | Scope::Account => true,
                Scope::Strategy(s) => o.request.strategy == s,
                Scope::Instrument(i) => o.request.instrument == i,
            })
            .filter(|o| o.status != OrderStatus::PendingCancel)
            .map(|o| o.id)
            .collect();
        ids.into_iter()
            .filter(|id| self.cancel(*id).is_ok())
            .count() as u32
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

    /// The last bar of `instrument` (from the feed or built from trades).
    pub fn last_bar(&self, instrument: u32) -> Option<&Bar> {
        self.last_bar.get(instrument as usize)?.as_ref()
    }

    /// Current values of indicator `handle` (NaN during its warm-up).
    pub fn indicator_values(&self, handle: usize) -> Option<&[f64]> {
        self.indicators.get(handle).map(|s| s.values.as_slice())
    }

    /// Whether indicator `handle` is past its warm-up.
    pub fn indicator_ready(&self, handle: usize) -> bool {
        self.indicators
            .get(handle)
            .is_some_and(|s| s.count > s.lookback && !s.values[0].is_nan())
    }

    /// The run log so far.
    pub fn log(&self) -> &RunLog {
        &self.log
    }

    // ---- subscribing ---------------------------------------------------

    /// Updates indicator `name` (TA-Lib name and parameters, see
    /// `indicators::registry`) on every bar of `instrument`, reading `inputs`
    /// (defaults to close, or high/low/close... by the indicator's inputs).
    /// Returns its handle.
    pub fn add_indicator(
        &mut self,
        instrument: u32,
        name: &str,
        params: &[f64],
        inputs: Option<Vec<BarInput>>,
    ) -> Result<usize, EngineError> {
        if instrument as usize >= self.instruments.len() {
            return Err(EngineError::UnknownInstrument(instrument));
        }
        let indicator = build(name, params).map_err(|e| EngineError::Indicator {
            name: name.to_string(),
            message: e.to_string(),
        })?;
        let n_in = indicator.n_inputs();
        let inputs = match inputs {
            Some(v) if v.len() != n_in => {
                return Err(EngineError::Indicator {
                    name: name.to_string(),
                    message: format!("takes {n_in} inputs, {} given", v.len()),
                })
            }
            Some(v) => v,
            None => match n_in {
                1 => vec![BarInput::Close],
                2 => vec![BarInput::High, BarInput::Low],
                3 => vec![BarInput::High, BarInput::Low, BarInput::Close],
                4 => vec![
                    BarInput::High,
                    BarInput::Low,
                    BarInput::Close,
                    BarInput::Volume,
                ],
                _ => vec![
                    BarInput::Open,
                    BarInput::High,
                    BarInput::Low,
                    BarInput::Close,
                    BarInput::Volume,
                ],
            },
        };
        let lookback = indicator.lookback() as u64;
        let n_out = indicator.n_outputs();
        self.indicators.push(IndicatorSlot {
            instrument,
            input_buf: vec![0.0; inputs.len()],
            inputs,
            stream: AnyStream::new(indicator),
            values: vec![f64::NAN; n_out],
            count: 0,
            lookback,
        });
        Ok(self.indicators.len() - 1)
    }

    /// Builds bars of `spec` (e.g. `1m`, `100t`, `volume:10`) from the trades
    /// of `instrument`; they reach `on_bar` like bars from the feed.
    pub fn add_bar_builder(&mut self, instrument: u32, spec: &str) -> Result<(), EngineError> {
        let info = *self
            .instrument(instrument)
            .ok_or(EngineError::UnknownInstrument(instrument))?;
        let spec =
            crate::bars::BarSpec::parse(spec).map_err(|e| EngineError::Bars(e.to_string()))?;
        let aggregator = BarAggregator::new(
            &spec,
            Some(info.price_precision),
            Some(info.size_precision),
            false,
        )
        .map_err(|e| EngineError::Bars(e.to_string()))?;
        self.bar_builders.push(BarBuilder {
            instrument,
            aggregator,
        });
        Ok(())
    }

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
    pub fn submit(&mut self, mut request: OrderRequest) -> ClientOrderId {
        let id = self.orders.len() as ClientOrderId + 1;
        request.strategy = 0;
        self.orders.push(Order::new(id, request, self.now));
        match self.pre_trade_check(&request) {
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
        id
    }

    /// Asks the venue to cancel order `id`.
    pub fn cancel(&mut self, id: ClientOrderId) -> Result<(), EngineError> {
        let order = self.order(id).ok_or(EngineError::UnknownOrder(id))?;
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

    /// Checks an order before it may leave: shape, instrument, reduce-only,
    /// then every control of the risk engine.
    fn pre_trade_check(&mut self, request: &OrderRequest) -> Result<(), (&'static str, String)> {
        if request.instrument as usize >= self.instruments.len() {
            return Err((
                "UNKNOWN_INSTRUMENT",
                format!(
                    "instrument index {} is not in this engine",
                    request.instrument
                ),
            ));
        }
        if request.quantity <= 0 {
            return Err((
                "INVALID_QUANTITY",
                format!("quantity {} is not positive", request.quantity),
            ));
        }
        if request.order_type.has_limit_price() && request.price.is_none() {
            return Err((
                "MISSING_PRICE",
                format!(
                    "a {} order needs a limit price",
                    request.order_type.as_str()
                ),
            ));
        }
        if matches!(
            request.order_type,
            OrderType::StopMarket
                | OrderType::StopLimit
                | OrderType::MarketIfTouched
                | OrderType::LimitIfTouched
        ) && request.trigger_price.is_none()
        {
            return Err((
                "MISSING_TRIGGER_PRICE",
                format!(
                    "a {} order needs a trigger price",
                    request.order_type.as_str()
                ),
            ));
        }
        if request.time_in_force == TimeInForce::Gtd && request.expire_ts.is_none() {
            return Err(("MISSING_EXPIRE_TIME", "a GTD order needs expire_ts".into()));
        }
        if request.reduce_only {
            let position = self.portfolio.net_quantity(request.instrument);
            let reduces = match request.side {
                OrderSide::Buy => position < 0 && request.quantity <= -position,
                OrderSide::Sell => position > 0 && request.quantity <= position,
            };
            if !reduces {
                return Err((
                    "REDUCE_ONLY_WOULD_INCREASE",
                    format!(
                        "reduce-only {} of {} would not reduce the position {}",
                        request.side.as_str(),
                        request.quantity,
                        position
                    ),
                ));
            }
        }
        let view = crate::risk::pretrade::RiskView {
            now: self.now,
            order_id: self.orders.len() as ClientOrderId,
            portfolio: &self.portfolio,
            orders: &self.orders,
            open: &self.open,
            venues: &self.venues,
            fees: &self.fees,
        };
        let result = self.risk.check(request, &view);
        if self.risk.has_pending_cancels() {
            for scope in self.risk.take_pending_cancels() {
                self.cancel_scope(scope);
            }
        }
        result
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
    fn local_event(&mut self, id: ClientOrderId, kind: OrderEventKind) {
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

    fn order_mut(&mut self, id: ClientOrderId) -> Option<&mut Order> {
        let i = usize::try_from(id.checked_sub(1)?).ok()?;
        self.orders.get_mut(i)
    }

    // ---- used by the loop ----------------------------------------------

    /// Moves venue answers in `venue_events` onto the strategy's timeline.
    pub(crate) fn schedule_venue_events(&mut self) {
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
        let Some(order) = self.order_mut(id) else {
            return Err(EngineError::UnknownOrder(id));
        };
        let local = matches!(
            event.kind,
            OrderEventKind::Submitted
                | OrderEventKind::Denied { .. }
                | OrderEventKind::PendingCancel
                | OrderEventKind::PendingUpdate
        );
        // A cancel or modify that crossed a fill on the wire is refused by the
        // venue after the order finished: a normal race, logged, not applied.
        let late_refusal = order.status.is_terminal()
            && matches!(
                event.kind,
                OrderEventKind::CancelRejected { .. } | OrderEventKind::ModifyRejected { .. }
            );
        if !local && !late_refusal {
            order.apply(event)?;
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
            self.log.fills.push(FillRow {
                ts: event.ts,
                order_id: id,
                instrument,
                side,
                price,
                quantity,
                fee,
                liquidity,
            });
            self.risk_after_fill(event.ts);
            return Ok(Some(fill));
        }
        Ok(None)
    }

    /// Feeds the risk engine's loss limits after a fill; cancels the working
    /// orders of any scope they halt.
    fn risk_after_fill(&mut self, ts: UnixNanos) {
        if !self.risk.watches_equity() {
            return;
        }
        self.risk.on_equity(ts, self.portfolio.equity_base());
        for scope in self.risk.take_pending_cancels() {
            self.cancel_scope(scope);
        }
    }

    /// Feeds a closed bar to the indicators of its instrument and records it.
    pub(crate) fn on_bar_data(&mut self, bar: &Bar) {
        let i = bar.instrument as usize;
        if let Some(slot) = self.last_bar.get_mut(i) {
            *slot = Some(*bar);
        }
        let Some(info) = self.instruments.get(i).copied() else {
            return;
        };
        let pscale = 10f64.powi(i32::from(info.price_precision));
        let vscale = 10f64.powi(i32::from(info.size_precision));
        for slot in self
            .indicators
            .iter_mut()
            .filter(|s| s.instrument == bar.instrument)
        {
            for (k, input) in slot.inputs.iter().enumerate() {
                slot.input_buf[k] = match input {
                    BarInput::Open => bar.open as f64 / pscale,
                    BarInput::High => bar.high as f64 / pscale,
                    BarInput::Low => bar.low as f64 / pscale,
                    BarInput::Close => bar.close as f64 / pscale,
                    BarInput::Volume => bar.volume as f64 / vscale,
                };
            }
            slot.stream.update(&slot.input_buf, &mut slot.values);
            slot.count += 1;
        }
    }

    /// Feeds a trade to the bar builders of its instrument; closed bars go to
    /// `built_bars`.
    pub(crate) fn build_bars(&mut self, trade: &crate::types::TradeTick) {
        for b in self
            .bar_builders
            .iter_mut()
            .filter(|b| b.instrument == trade.instrument)
        {
            let t = crate::bars::Trade {
                ts: trade.ts_init,
                price: trade.price,
                size: trade.size,
                side: trade.aggressor_side,
            };
            let instrument = b.instrument;
            let out = &mut self.built_bars;
            b.aggregator_feed(&t, &mut |bar: OhlcvBar| {
                out.push(Bar {
                    instrument,
                    open: bar.open,
                    high: bar.high,
                    low: bar.low,
                    close: bar.close,
                    volume: bar.volume,
                    ts_open: bar.ts_open,
                    ts_event: bar.ts_close,
                    ts_init: bar.ts_close,
                })
            });
        }
    }

    /// Records an equity sample at `ts`.
    pub(crate) fn sample_equity(&mut self, ts: UnixNanos) {
        self.log.equity.push(EquityRow {
            ts,
            equity: self.portfolio.equity_base(),
            cash: cash_base(&self.portfolio),
            gross_exposure: self.portfolio.gross_exposure_base(),
        });
    }
}

impl BarBuilder {
    fn aggregator_feed(&mut self, trade: &crate::bars::Trade, emit: &mut impl FnMut(OhlcvBar)) {
        match &mut self.aggregator {
            BarAggregator::Time(a) => a.feed(trade, emit),
            BarAggregator::Threshold(a) => a.feed(trade, emit),
            BarAggregator::Imbalance(a) => a.feed(trade, emit),
            BarAggregator::Run(a) => a.feed(trade, emit),
        }
    }
}

/// The base currency's balance as a float.
pub fn cash_base(portfolio: &Portfolio) -> f64 {
    let base = portfolio.config().base_currency;
    portfolio
        .to_base(base, portfolio.balance(base))
        .unwrap_or(f64::NAN)
}

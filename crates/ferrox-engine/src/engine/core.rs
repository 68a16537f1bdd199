//! The engine's state and everything a strategy may do with it.
//!
//! [`EngineCore`] owns the clock, the venues (one per instrument), the orders,
//! the portfolio, the data engine (bars built from trades, indicators) and the
//! run log. The loop in [`super::run`] feeds it events; strategies get it as
//! their context and send orders through it. Every order goes through
//! [`EngineCore::submit`], which runs the pre-trade checks before anything can
//! reach a venue.
//!
//! # Contingencies and TWAP
//!
//! OCO groups, OTO parents and brackets are created as `Initialized` orders,
//! registered with the [`ContingencyManager`], and only then is the working
//! part sent (through the same pre-trade checks as any order). Every order
//! event the strategy's timeline reaches is shown to the manager after the
//! order, portfolio and risk engine took it, and its actions are carried out
//! at once: a released child is risk-checked and sent, a held child is
//! cancelled locally, working ones get cancel / modify requests. Actions only
//! schedule things, so no strategy callback is re-entered; the strategy hears
//! of every resulting event through `on_order` like any other.
//!
//! A TWAP ([`EngineCore::start_twap`]) is driven by the scheduler: each time
//! it wants to send a slice, a [`Due::Algorithms`] item is scheduled at that
//! time and the loop sends the due slices then (so TWAP wake-ups never reach
//! the strategy's `on_timer`). Its children are
//! ordinary orders; their fills and unfilled remainders are reported back to
//! the TWAP, and a remainder goes out again with the next slice.

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

use super::latency::{LatencyModel, Rng};
use super::results::{EquityRow, OrderEventRow, RunLog};
use super::scheduler::{Due, Scheduler};
use crate::bars::{Aggregate, BarAggregator, OhlcvBar};
use crate::book::L2Book;
use crate::indicators::registry::{build, AnyStream};
use crate::matching::{MatchingEngine, VenueCommand};
use crate::orders::{
    Bracket, ClientOrderId, ContingencyAction, ContingencyError, ContingencyManager, LiquiditySide,
    Order, OrderEvent, OrderEventKind, OrderLookup, OrderRequest, OrderSide, OrderStatus,
    OrderType, SliceStyle, TimeInForce, Twap, TwapError, TwapParams,
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

/// The engine's orders (by id − 1) as the contingency manager reads them.
struct OrderStore<'a>(&'a [Order]);

impl OrderLookup for OrderStore<'_> {
    fn get(&self, id: ClientOrderId) -> Option<&Order> {
        id.checked_sub(1)
            .and_then(|i| self.0.get(usize::try_from(i).ok()?))
    }
}

/// A TWAP the engine runs, with its child orders.
#[derive(Debug, Clone)]
pub(crate) struct TwapSlot {
    pub twap: Twap,
    pub children: Vec<ClientOrderId>,
    /// When its next wake-up is scheduled, if one is.
    pub wake: Option<UnixNanos>,
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
    pub fn submit(&mut self, request: OrderRequest) -> ClientOrderId {
        let id = self.create(request);
        self.send_new(id);
        id
    }

    /// Creates an `Initialized` order (not sent).
    fn create(&mut self, mut request: OrderRequest) -> ClientOrderId {
        let id = self.orders.len() as ClientOrderId + 1;
        request.strategy = 0;
        self.orders.push(Order::new(id, request, self.now));
        id
    }

    /// Runs the pre-trade checks on the `Initialized` order `id` and sends
    /// it, or denies it.
    fn send_new(&mut self, id: ClientOrderId) {
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

    /// An OCO group: every request is sent (each through the pre-trade
    /// checks); a fill of one lowers the others by that quantity, and one
    /// that fills completely or ends (cancelled, expired, rejected, denied)
    /// cancels the others. Returns the ids in the order given.
    pub fn submit_oco(
        &mut self,
        requests: &[OrderRequest],
    ) -> Result<Vec<ClientOrderId>, EngineError> {
        if requests.len() < 2 {
            return Err(ContingencyError::OcoTooSmall(Vec::new()).into());
        }
        self.check_instruments(requests.iter())?;
        let ids: Vec<ClientOrderId> = requests.iter().map(|r| self.create(*r)).collect();
        if let Err(e) = self
            .contingency
            .register_oco(&ids, &OrderStore(&self.orders))
        {
            self.deny_unlinked(&ids, &e);
            return Err(e.into());
        }
        self.annotate(&ids);
        for &id in &ids {
            self.send_new(id);
        }
        Ok(ids)
    }

    /// An OTO: `parent` is sent; the `children` are held (never sent) until
    /// it fills, then released in proportion to its fills. A parent that
    /// ends unfilled cancels the children still held. Returns the parent's
    /// and the children's ids.
    pub fn submit_oto(
        &mut self,
        parent: OrderRequest,
        children: &[OrderRequest],
    ) -> Result<(ClientOrderId, Vec<ClientOrderId>), EngineError> {
        self.check_instruments(std::iter::once(&parent).chain(children))?;
        let parent_id = self.create(parent);
        let child_ids: Vec<ClientOrderId> = children.iter().map(|r| self.create(*r)).collect();
        if let Err(e) =
            self.contingency
                .register_oto(parent_id, &child_ids, &OrderStore(&self.orders))
        {
            let mut all = child_ids.clone();
            all.push(parent_id);
            self.deny_unlinked(&all, &e);
            return Err(e.into());
        }
        self.annotate(&[parent_id]);
        self.annotate(&child_ids);
        self.send_new(parent_id);
        Ok((parent_id, child_ids))
    }

    /// A bracket: the entry is sent; the take-profit and stop-loss are held
    /// until it fills, released for what filled, and cancel each other.
    /// Returns `(entry, take_profit, stop_loss)` ids.
    pub fn submit_bracket(
        &mut self,
        bracket: Bracket,
    ) -> Result<(ClientOrderId, ClientOrderId, ClientOrderId), EngineError> {
        self.check_instruments([bracket.entry, bracket.take_profit, bracket.stop_loss].iter())?;
        let entry = self.create(bracket.entry);
        let tp = self.create(bracket.take_profit);
        let sl = self.create(bracket.stop_loss);
        if let Err(e) = self
            .contingency
            .register_bracket(entry, tp, sl, &OrderStore(&self.orders))
        {
            self.deny_unlinked(&[entry, tp, sl], &e);
            return Err(e.into());
        }
        self.annotate(&[entry, tp, sl]);
        self.send_new(entry);
        Ok((entry, tp, sl))
    }

    fn check_instruments<'a>(
        &self,
        mut requests: impl Iterator<Item = &'a OrderRequest>,
    ) -> Result<(), EngineError> {
        match requests.find(|r| r.instrument as usize >= self.instruments.len()) {
            Some(r) => Err(EngineError::UnknownInstrument(r.instrument)),
            None => Ok(()),
        }
    }

    /// Orders created for a contingency that could not be registered never
    /// leave: each is denied, so none stays `Initialized` for ever.
    fn deny_unlinked(&mut self, ids: &[ClientOrderId], error: &ContingencyError) {
        for &id in ids {
            self.local_event(
                id,
                OrderEventKind::Denied {
                    code: "CONTINGENCY",
                    message: error.to_string().into_boxed_str(),
                },
            );
        }
    }

    /// Copies the registered links onto the orders (`contingency`, `linked`,
    /// `parent`).
    fn annotate(&mut self, ids: &[ClientOrderId]) {
        for &id in ids {
            let Some(i) = id.checked_sub(1).and_then(|i| usize::try_from(i).ok()) else {
                continue;
            };
            if let Some(order) = self.orders.get_mut(i) {
                self.contingency.annotate(order);
            }
        }
    }

    /// Starts a TWAP (its window starts at `params.start`, at the earliest
    /// now); returns its id. Children are sent through the pre-trade checks
    /// like any order and reach the strategy's `on_order` / `on_fill`.
    pub fn start_twap(&mut self, params: TwapParams) -> Result<u64, EngineError> {
        if params.instrument as usize >= self.instruments.len() {
            return Err(EngineError::UnknownInstrument(params.instrument));
        }
        let params = TwapParams {
            strategy: 0,
            ..params
        };
        let twap = Twap::new(params)?;
        self.twaps.push(TwapSlot {
            twap,
            children: Vec::new(),
            wake: None,
        });
        let k = self.twaps.len() - 1;
        self.arm_twap(k);
        Ok(k as u64 + 1)
    }

    /// Stops a TWAP: no further slices, and its working children are
    /// cancelled.
    pub fn cancel_twap(&mut self, id: u64) -> Result<(), EngineError> {
        let k = id
            .checked_sub(1)
            .and_then(|k| usize::try_from(k).ok())
            .filter(|&k| k < self.twaps.len())
            .ok_or(EngineError::UnknownTwap(id))?;
        self.twaps[k].twap.cancel();
        self.twaps[k].wake = None;
        let children: Vec<ClientOrderId> = self.twaps[k]
            .children
            .iter()
            .copied()
            .filter(|&c| {
                self.order(c)
                    .is_some_and(|o| o.status.is_open() && o.status != OrderStatus::PendingCancel)
            })
            .collect();
        for c in children {
            self.cancel(c)?;
        }
        Ok(())
    }

    /// A TWAP by id.
    pub fn twap(&self, id: u64) -> Option<&Twap> {
        let k = usize::try_from(id.checked_sub(1)?).ok()?;
        self.twaps.get(k).map(|s| &s.twap)
    }

    /// The child orders of a TWAP, in the order they were sent.
    pub fn twap_children(&self, id: u64) -> Option<&[ClientOrderId]> {
        let k = usize::try_from(id.checked_sub(1)?).ok()?;
        self.twaps.get(k).map(|s| s.children.as_slice())
    }

    /// Schedules TWAP `k`'s next wake-up unless one is due no later.
    fn arm_twap(&mut self, k: usize) {
        let now = self.now;
        let Some(slot) = self.twaps.get_mut(k) else {
            return;
        };
        let Some(at) = slot.twap.next_wakeup() else {
            return;
        };
        let at = at.max(now);
        if slot.wake.is_some_and(|w| w <= at) {
            return;
        }
        slot.wake = Some(at);
        self.twap_due = self.twap_due.min(at);
        self.scheduler.push(at, Due::Algorithms);
    }

    /// Sends the slices of every TWAP due by now (the loop calls it on
    /// [`Due::Algorithms`]).
    pub(crate) fn run_twaps(&mut self) {
        if self.twap_due > self.now {
            return;
        }
        self.twap_due = i64::MAX;
        for k in 0..self.twaps.len() {
            match self.twaps[k].wake {
                Some(w) if w <= self.now => {
                    self.twaps[k].wake = None;
                    self.fire_twap(k);
                }
                Some(w) => self.twap_due = self.twap_due.min(w),
                None => {}
            }
        }
    }

    fn fire_twap(&mut self, k: usize) {
        let (instrument, side, limit) = {
            let p = self.twaps[k].twap.params();
            (
                p.instrument,
                p.side,
                matches!(p.style, SliceStyle::Limit { .. }),
            )
        };
        if limit {
            if let Some(price) = self.reference_price(instrument, side) {
                self.twaps[k].twap.set_reference_price(price);
            }
        }
        let now = self.now;
        if let Some(request) = self.twaps[k].twap.on_timer(now) {
            let id = self.create(request);
            self.twaps[k].children.push(id);
            self.twap_children.insert(id, k);
            self.send_new(id);
        }
        self.arm_twap(k);
    }

    /// Where a limit slice is placed around: the far touch (best ask for a
    /// buy, best bid for a sell), else the last bar's close.
    fn reference_price(&self, instrument: u32, side: OrderSide) -> Option<i64> {
        let book = self.book(instrument);
        let touch = match side {
            OrderSide::Buy => book.and_then(L2Book::best_ask),
            OrderSide::Sell => book.and_then(L2Book::best_bid),
        };
        touch
            .map(|l| l.price)
            .or_else(|| self.last_bar(instrument).map(|b| b.close))
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

    /// Checks an order before it may leave: shape, instrument, reduce-only,
    /// then every control of the risk engine.
    fn pre_trade_check(
        &mut self,
        id: ClientOrderId,
        request: &OrderRequest,
    ) -> Result<(), (&'static str, String)> {
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
            order_id: id,
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

    /// Whether any pending venue event is about a linked order.
    fn step_touches_links(&self) -> bool {
        self.venue_events
            .iter()
            .any(|e| self.contingency.is_linked(e.order_id))
    }

    /// One venue step (a bar's whole OHLC path, one trade) may fill an OCO
    /// member and then a sibling the manager would have cancelled in
    /// between (on a bar, a take-profit at the high and the stop at the low).
    /// The venue has no clock inside the step, so the engine settles it as
    /// the venue would have with the cancel in time: when a member's fills
    /// in the step complete it, a sibling whose later fills in the same step
    /// complete it too is reported `Cancelled` instead (the venue holds
    /// neither order any more, so the two sides agree). Partial fills are
    /// left to the manager (it lowers the siblings).
    fn settle_oco_in_step(&mut self) {
        let mut i = 0;
        while i < self.venue_events.len() {
            let id = self.venue_events[i].order_id;
            if matches!(self.venue_events[i].kind, OrderEventKind::Filled { .. })
                && self.contingency.is_linked(id)
                && self.step_fills(id, 0, i + 1) == self.order(id).map_or(-1, Order::leaves_qty)
            {
                for sibling in self.contingency.oco_siblings(id) {
                    let leaves = self.order(sibling).map_or(-1, Order::leaves_qty);
                    let n = self.venue_events.len();
                    if leaves > 0
                        && self.step_fills(sibling, 0, i + 1) == 0
                        && self.step_fills(sibling, i + 1, n) == leaves
                    {
                        self.replace_with_cancel(sibling, i + 1);
                    }
                }
            }
            i += 1;
        }
    }

    /// Quantity `id` fills in `venue_events[from..to]`.
    fn step_fills(&self, id: ClientOrderId, from: usize, to: usize) -> i64 {
        self.venue_events[from..to]
            .iter()
            .filter(|e| e.order_id == id)
            .map(|e| match e.kind {
                OrderEventKind::Filled { quantity, .. } => quantity,
                _ => 0,
            })
            .sum()
    }

    /// Replaces `id`'s events from `from` on with one `Cancelled` where the
    /// first of them was.
    fn replace_with_cancel(&mut self, id: ClientOrderId, from: usize) {
        let mut placed = false;
        let mut k = from;
        while k < self.venue_events.len() {
            if self.venue_events[k].order_id != id {
                k += 1;
            } else if !placed {
                self.venue_events[k].kind = OrderEventKind::Cancelled;
                self.settled.insert(id);
                placed = true;
                k += 1;
            } else {
                self.venue_events.remove(k);
            }
        }
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

    /// What an applied event sets off: the contingency manager's actions
    /// and the TWAP's bookkeeping of its children.
    fn follow_up(&mut self, event: &OrderEvent) -> Result<(), EngineError> {
        let id = event.order_id;
        if self.contingency.is_linked(id) {
            let mut actions = std::mem::take(&mut self.actions);
            actions.clear();
            self.contingency
                .on_event_into(event, &OrderStore(&self.orders), &mut actions);
            for &action in &actions {
                self.carry_out(action);
            }
            self.actions = actions;
        }
        if let Some(&k) = self.twap_children.get(&id) {
            match &event.kind {
                OrderEventKind::Filled { quantity, .. } => {
                    self.twaps[k].twap.on_fill(*quantity)?;
                }
                OrderEventKind::Cancelled
                | OrderEventKind::Expired
                | OrderEventKind::Rejected { .. }
                | OrderEventKind::Denied { .. } => {
                    let unfilled = self.order(id).map_or(0, Order::leaves_qty);
                    if unfilled > 0 {
                        self.twaps[k].twap.on_child_closed(unfilled)?;
                    }
                    self.arm_twap(k);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Carries out one contingency action (it only schedules things).
    fn carry_out(&mut self, action: ContingencyAction) {
        match action {
            ContingencyAction::Submit { id, quantity } => {
                let Some(order) = self.order_mut(id) else {
                    return;
                };
                if order.status != OrderStatus::Initialized {
                    return;
                }
                order.request.quantity = quantity;
                self.send_new(id);
            }
            ContingencyAction::Modify { id, quantity } => {
                // Refused only when the order closed meanwhile: nothing to do.
                let _ = self.modify(id, Some(quantity), None, None);
            }
            ContingencyAction::Cancel { id } => {
                if self.settled.contains(&id) {
                    return;
                }
                if self
                    .order(id)
                    .is_some_and(|o| o.status == OrderStatus::Initialized)
                {
                    self.cancel_held(id);
                } else {
                    let _ = self.cancel(id);
                }
            }
        }
    }

    /// Cancels an order that never left (held by a contingency): a local
    /// `Cancelled`, applied now.
    fn cancel_held(&mut self, id: ClientOrderId) {
        self.held_cancels.insert(id);
        self.local_event(id, OrderEventKind::Cancelled);
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

#[cfg(test)]
#[path = "core_tests.rs"]
mod tests;

/// The base currency's balance as a float.
pub fn cash_base(portfolio: &Portfolio) -> f64 {
    let base = portfolio.config().base_currency;
    portfolio
        .to_base(base, portfolio.balance(base))
        .unwrap_or(f64::NAN)
}

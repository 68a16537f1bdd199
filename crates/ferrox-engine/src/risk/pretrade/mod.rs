//! Pre-trade risk controls and the kill switch.
//!
//! Every order passes [`RiskEngine::check`] before it can reach a venue (the
//! engine calls it from `EngineCore::submit`). Limits are configured per
//! scope — the account, a strategy, an instrument — and an order must pass
//! the limits of all three. A denial carries a stable reason code
//! ([`codes`]) and a message with the numbers; every decision goes to the
//! [`AuditTrail`].
//!
//! Units: quantity limits are instrument units (compared exactly with the
//! raw quantity at the instrument's size precision); money limits are in the
//! account's base currency, compared exactly with the order's notional when
//! the instrument is quoted in the base currency, otherwise at the
//! portfolio's (float) conversion rate. Exposure, equity, loss and drawdown
//! limits compare floats in the base currency, like the portfolio reports
//! them.
//!
//! The pass path allocates nothing: rate windows and the duplicate window are
//! fixed rings. Working orders are aggregated per instrument and side as
//! order events arrive ([`working`]), so a check costs the same with one
//! working order or thousands.
//!
//! The engine runs one strategy per account, so strategy-scope exposure and
//! loss limits read the account's positions and equity.

pub mod audit;
pub mod bench;
pub mod config;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
pub mod throttle;
pub mod working;

use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::BTreeSet;

pub use audit::{AuditKind, AuditRecord, AuditTrail};
pub use config::{
    Dec, InstrumentPrecision, Limits, PriceReference, RiskConfig, RiskConfigError, Scope,
    TradingState,
};
pub use throttle::RateLimit;
pub use working::{InstrumentWork, OrderWork, SideWork, WorkingOrders};

use crate::matching::MatchingEngine;
use crate::orders::{
    ClientOrderId, LiquiditySide, Order, OrderEventKind, OrderRequest, OrderSide, OrderType,
};
use crate::portfolio::{format_money, AccountType, FeeModel, OmsType, Portfolio};
use crate::types::{format_fixed, UnixNanos};

/// Stable reason codes of denials and state changes.
pub mod codes {
    /// The scope is halted (kill switch, loss limit, configuration).
    pub const TRADING_HALTED: &str = "TRADING_HALTED";
    /// The scope is reducing and the order would not reduce the position.
    pub const TRADING_REDUCING: &str = "TRADING_REDUCING";
    /// Quantity above `max_order_quantity`.
    pub const MAX_ORDER_QUANTITY: &str = "MAX_ORDER_QUANTITY";
    /// Quantity below `min_order_quantity`.
    pub const MIN_ORDER_QUANTITY: &str = "MIN_ORDER_QUANTITY";
    /// Notional above `max_order_notional`.
    pub const MAX_ORDER_NOTIONAL: &str = "MAX_ORDER_NOTIONAL";
    /// Notional below `min_order_notional`.
    pub const MIN_ORDER_NOTIONAL: &str = "MIN_ORDER_NOTIONAL";
    /// A price not on the tick grid.
    pub const TICK_SIZE: &str = "TICK_SIZE";
    /// A quantity not a multiple of the lot.
    pub const LOT_SIZE: &str = "LOT_SIZE";
    /// A price outside the band around the reference.
    pub const PRICE_COLLAR: &str = "PRICE_COLLAR";
    /// A limit price too far through the market.
    pub const FAT_FINGER: &str = "FAT_FINGER";
    /// A price control is on but no reference price is known yet.
    pub const NO_REFERENCE_PRICE: &str = "NO_REFERENCE_PRICE";
    /// Long position (with working buys) above `max_long_quantity`.
    pub const MAX_LONG_QUANTITY: &str = "MAX_LONG_QUANTITY";
    /// Short position (with working sells) above `max_short_quantity`.
    pub const MAX_SHORT_QUANTITY: &str = "MAX_SHORT_QUANTITY";
    /// Long notional above `max_long_notional`.
    pub const MAX_LONG_NOTIONAL: &str = "MAX_LONG_NOTIONAL";
    /// Short notional above `max_short_notional`.
    pub const MAX_SHORT_NOTIONAL: &str = "MAX_SHORT_NOTIONAL";
    /// Gross exposure above `max_gross_exposure`.
    pub const MAX_GROSS_EXPOSURE: &str = "MAX_GROSS_EXPOSURE";
    /// |Net exposure| above `max_net_exposure`.
    pub const MAX_NET_EXPOSURE: &str = "MAX_NET_EXPOSURE";
    /// Not enough buying power / free margin.
    pub const BUYING_POWER: &str = "BUYING_POWER";
    /// Orders per second above the limit.
    pub const ORDER_RATE: &str = "ORDER_RATE";
    /// Cancels per second above the limit.
    pub const CANCEL_RATE: &str = "CANCEL_RATE";
    /// Orders per fill above the limit.
    pub const ORDER_TO_TRADE_RATIO: &str = "ORDER_TO_TRADE_RATIO";
    /// Same side, price and size as a recent order.
    pub const DUPLICATE_ORDER: &str = "DUPLICATE_ORDER";
    /// Would cross one of our own resting orders.
    pub const SELF_TRADE: &str = "SELF_TRADE";
    /// A number could not be computed (overflow, missing rate).
    pub const RISK_ERROR: &str = "RISK_ERROR";
    /// State change: the kill switch.
    pub const KILL_SWITCH: &str = "KILL_SWITCH";
    /// State change: daily loss reached `max_daily_loss`.
    pub const MAX_DAILY_LOSS: &str = "MAX_DAILY_LOSS";
    /// State change: daily loss reached `reduce_at_daily_loss`.
    pub const DAILY_LOSS_REDUCING: &str = "DAILY_LOSS_REDUCING";
    /// State change: drawdown reached `max_drawdown`.
    pub const MAX_DRAWDOWN: &str = "MAX_DRAWDOWN";
    /// State change: drawdown reached `reduce_at_drawdown`.
    pub const DRAWDOWN_REDUCING: &str = "DRAWDOWN_REDUCING";
    /// State change asked for by an operator.
    pub const MANUAL: &str = "MANUAL";
}

const SECOND: i64 = 1_000_000_000;
const DAY: i64 = 86_400 * SECOND;
const RECENT: usize = 64;

/// A denial: reason code and message.
pub type Denial = (&'static str, String);

/// Which groups of controls a scope has on: a check tests these bits
/// instead of reading every optional limit (most of a scope's limits sit on
/// cache lines a check would otherwise pull in just to find them off).
mod mask {
    pub const SHAPE: u16 = 1;
    pub const SIZE: u16 = 1 << 1;
    pub const ORDER_NOTIONAL: u16 = 1 << 2;
    pub const PRICE: u16 = 1 << 3;
    pub const POSITION_QUANTITY: u16 = 1 << 4;
    pub const POSITION_NOTIONAL: u16 = 1 << 5;
    pub const EXPOSURE: u16 = 1 << 6;
    pub const BUYING_POWER: u16 = 1 << 7;
    pub const ORDER_TO_TRADE: u16 = 1 << 8;
}

fn control_mask(l: &Limits) -> u16 {
    let mut m = 0;
    let mut on = |bit: u16, yes: bool| {
        if yes {
            m |= bit;
        }
    };
    on(mask::SHAPE, l.lot_size.is_some() || l.tick_size.is_some());
    on(
        mask::SIZE,
        l.max_order_quantity.is_some() || l.min_order_quantity.is_some(),
    );
    on(
        mask::ORDER_NOTIONAL,
        l.max_order_notional.is_some() || l.min_order_notional.is_some(),
    );
    on(
        mask::PRICE,
        l.price_band_pct.is_some()
            || l.price_band_ticks.is_some()
            || l.fat_finger_pct.is_some()
            || l.fat_finger_ticks.is_some(),
    );
    on(
        mask::POSITION_QUANTITY,
        l.max_long_quantity.is_some() || l.max_short_quantity.is_some(),
    );
    on(
        mask::POSITION_NOTIONAL,
        l.max_long_notional.is_some() || l.max_short_notional.is_some(),
    );
    on(
        mask::EXPOSURE,
        l.max_gross_exposure.is_some() || l.max_net_exposure.is_some(),
    );
    on(mask::BUYING_POWER, l.check_buying_power);
    on(mask::ORDER_TO_TRADE, l.max_order_to_trade_ratio.is_some());
    m
}

/// One scope's limits and live state.
#[derive(Debug, Clone)]
pub struct ScopeRisk {
    /// The limits.
    pub limits: Limits,
    /// Current trading state.
    pub state: TradingState,
    /// Why the state is what it is (empty when active from the start).
    pub state_reason: Box<str>,
    controls: u16,
    orders: Option<RateLimit>,
    cancels: Option<RateLimit>,
    sent: u64,
    trades: u64,
    day: Option<i64>,
    day_start: f64,
    peak: f64,
}

impl ScopeRisk {
    fn new(limits: Limits) -> Self {
        Self {
            state: limits.state,
            state_reason: Box::from(""),
            controls: control_mask(&limits),
            orders: limits
                .max_orders_per_second
                .map(|n| RateLimit::new(n, SECOND)),
            cancels: limits
                .max_cancels_per_second
                .map(|n| RateLimit::new(n.saturating_add(1), SECOND)),
            sent: 0,
            trades: 0,
            day: None,
            day_start: f64::NAN,
            peak: f64::NAN,
            limits,
        }
    }

    fn has_loss_limits(&self) -> bool {
        let l = &self.limits;
        l.max_daily_loss.is_some()
            || l.reduce_at_daily_loss.is_some()
            || l.max_drawdown.is_some()
            || l.reduce_at_drawdown.is_some()
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct RecentOrder {
    ts: UnixNanos,
    instrument: u32,
    strategy: u32,
    side: Option<OrderSide>,
    order_type: Option<OrderType>,
    price: Option<i64>,
    trigger: Option<i64>,
    quantity: i64,
}

/// What the risk engine reads from the engine for one check.
pub struct RiskView<'a> {
    /// Engine clock.
    pub now: UnixNanos,
    /// Id the order will have.
    pub order_id: ClientOrderId,
    /// The account.
    pub portfolio: &'a Portfolio,
    /// Every order, by id − 1.
    pub orders: &'a [Order],
    /// Ids of the open orders.
    pub open: &'a BTreeSet<ClientOrderId>,
    /// Venues (for the current book), by instrument.
    pub venues: &'a [Box<dyn MatchingEngine + Send>],
    /// Fee models, by instrument.
    pub fees: &'a [FeeModel],
}

/// The facts about one order the controls share.
struct Facts {
    instrument: u32,
    side: OrderSide,
    quantity: i64,
    price_precision: u8,
    size_precision: u8,
    money_precision: u8,
    quote_is_base: bool,
    quote_rate: f64,
    position: i64,
    working_buy: i64,
    working_sell: i64,
    own_best_bid: Option<i64>,
    own_best_ask: Option<i64>,
    reduces: bool,
    /// Price used for notional: limit, trigger, last, mid.
    notional_price: Option<i64>,
    /// Account equity, gross and net exposure (base currency), computed at
    /// most once per check.
    equity: Cell<Option<f64>>,
    gross: Cell<Option<f64>>,
    net: Cell<Option<f64>>,
    /// Working orders' gross and net value (base currency), at most once.
    working: Cell<Option<(f64, f64)>>,
    /// The order's notional (raw quote money), computed at most once.
    order_notional: Cell<Option<i128>>,
    /// The last / mid reference price of the collars, looked up once per
    /// kind (a configured reference belongs to its scope).
    reference: Cell<Option<(PriceReference, Option<i64>)>>,
}

impl Facts {
    fn cached(cell: &Cell<Option<f64>>, compute: impl FnOnce() -> f64) -> f64 {
        cell.get().unwrap_or_else(|| {
            let v = compute();
            cell.set(Some(v));
            v
        })
    }

    fn equity(&self, p: &Portfolio) -> f64 {
        Self::cached(&self.equity, || p.equity_base())
    }

    fn gross(&self, p: &Portfolio) -> f64 {
        Self::cached(&self.gross, || p.gross_exposure_base())
    }

    fn net(&self, p: &Portfolio) -> f64 {
        Self::cached(&self.net, || p.net_exposure_base())
    }

    fn working(&self, work: &WorkingOrders, p: &Portfolio) -> (f64, f64) {
        self.working.get().unwrap_or_else(|| {
            let v = working_exposure(work, p);
            self.working.set(Some(v));
            v
        })
    }
}

/// Gross and net value of the working orders in the base currency: each
/// instrument's priced orders at their own prices, market orders at the last
/// price (skipped while there is none), like the portfolio values positions.
/// One term per instrument with working orders, whatever their number.
fn working_exposure(work: &WorkingOrders, p: &Portfolio) -> (f64, f64) {
    let base = p.config().base_currency;
    let (mut gross, mut net) = (0.0, 0.0);
    for (i, inst) in work.instruments().iter().enumerate() {
        if inst.is_empty() {
            continue;
        }
        let Some(spec) = p.instruments().get(i) else {
            continue;
        };
        let rate = if spec.quote_currency == base {
            1.0
        } else {
            p.rate(spec.quote_currency, base).unwrap_or(f64::NAN)
        };
        let mark = last_price(p, i as u32);
        let value = |side: &SideWork| -> f64 {
            let unpriced = mark.map_or(0, |m| i128::from(side.unpriced) * i128::from(m));
            config::i128_to_f64(side.priced_value + unpriced)
        };
        let digits = usize::from(spec.price_precision) + usize::from(spec.size_precision);
        let scale = spec.multiplier as f64 * config::INV_POW10_F64[digits.min(38)] * rate;
        let (b, s) = (value(&inst.buy) * scale, value(&inst.sell) * scale);
        gross += b + s;
        net += b - s;
    }
    (gross, net)
}

/// The pre-trade risk engine of one account.
#[derive(Debug, Clone)]
pub struct RiskEngine {
    account: ScopeRisk,
    strategies: Vec<ScopeRisk>,
    instruments: Vec<ScopeRisk>,
    recent: [RecentOrder; RECENT],
    recent_head: usize,
    duplicate_window: i64,
    self_trade: bool,
    enabled: bool,
    pending_cancels: Vec<Scope>,
    audit: AuditTrail,
    base_code: Box<str>,
    /// Working-order aggregates, valid while `tracking`.
    work: WorkingOrders,
    /// Whether `work` follows the order events; off until the first enabled
    /// check rebuilds it from the open orders (the engine may have been
    /// disabled, or set on a core that already had working orders).
    tracking: bool,
    /// Whether any scope has a loss limit (limits never change after
    /// construction; scopes added later have none).
    loss_limits: bool,
    /// The last (day, equity) the loss limits saw: the same again changes
    /// nothing, so it is not re-evaluated.
    last_equity: (i64, u64),
}

impl Default for RiskEngine {
    fn default() -> Self {
        Self::unlimited()
    }
}

impl RiskEngine {
    /// An engine with no limits: every order passes (and is counted).
    pub fn unlimited() -> Self {
        Self::new(RiskConfig {
            max_audit_records: config::DEFAULT_AUDIT_RECORDS,
            ..RiskConfig::default()
        })
    }

    /// An engine enforcing `config`.
    pub fn new(config: RiskConfig) -> Self {
        let n_strat = config
            .strategies
            .iter()
            .map(|(i, _)| *i as usize + 1)
            .max()
            .unwrap_or(1);
        let n_inst = config
            .instruments
            .iter()
            .map(|(i, _)| *i as usize + 1)
            .max()
            .unwrap_or(0);
        let mut strategies = vec![ScopeRisk::new(Limits::default()); n_strat];
        for (i, l) in config.strategies {
            strategies[i as usize] = ScopeRisk::new(l);
        }
        let mut instruments = vec![ScopeRisk::new(Limits::default()); n_inst];
        for (i, l) in config.instruments {
            instruments[i as usize] = ScopeRisk::new(l);
        }
        let account = ScopeRisk::new(config.account);
        let all = || {
            std::iter::once(&account)
                .chain(strategies.iter())
                .chain(instruments.iter())
        };
        let duplicate_window = all()
            .filter_map(|s| s.limits.duplicate_window_ns)
            .max()
            .unwrap_or(0);
        let self_trade = all().any(|s| s.limits.self_trade_prevention);
        let enabled = all().any(|s| s.limits != Limits::default());
        let loss_limits = all().any(ScopeRisk::has_loss_limits);
        Self {
            account,
            strategies,
            instruments,
            recent: [RecentOrder::default(); RECENT],
            recent_head: 0,
            duplicate_window,
            self_trade,
            enabled,
            pending_cancels: Vec::new(),
            audit: AuditTrail::new(config.max_audit_records),
            base_code: Box::from(""),
            work: WorkingOrders::default(),
            tracking: false,
            loss_limits,
            last_equity: (i64::MIN, 0),
        }
    }

    /// Names the account's base currency in loss-limit messages.
    pub fn set_base_currency(&mut self, code: &str) {
        self.base_code = Box::from(code);
    }

    /// The audit trail.
    pub fn audit(&self) -> &AuditTrail {
        &self.audit
    }

    /// The state of a scope (an unconfigured strategy/instrument is active).
    pub fn state(&self, scope: Scope) -> TradingState {
        self.scope(scope).map_or(TradingState::Active, |s| s.state)
    }

    fn scope(&self, scope: Scope) -> Option<&ScopeRisk> {
        match scope {
            Scope::All | Scope::Account => Some(&self.account),
            Scope::Strategy(i) => self.strategies.get(i as usize),
            Scope::Instrument(i) => self.instruments.get(i as usize),
        }
    }

    fn scope_mut(&mut self, scope: Scope) -> &mut ScopeRisk {
        let grow = |v: &mut Vec<ScopeRisk>, i: u32| {
            if v.len() <= i as usize {
                v.resize(i as usize + 1, ScopeRisk::new(Limits::default()));
            }
        };
        match scope {
            Scope::All | Scope::Account => &mut self.account,
            Scope::Strategy(i) => {
                grow(&mut self.strategies, i);
                &mut self.strategies[i as usize]
            }
            Scope::Instrument(i) => {
                grow(&mut self.instruments, i);
                &mut self.instruments[i as usize]
            }
        }
    }

    /// Moves `scope` to `state`, recorded with who and why. Any state change
    /// turns the engine's checks on.
    #[allow(clippy::too_many_arguments)]
    pub fn set_state(
        &mut self,
        scope: Scope,
        state: TradingState,
        code: &'static str,
        who: &str,
        why: &str,
        now: UnixNanos,
        cancelled: u32,
    ) {
        self.enabled = true;
        // A changed state is evaluated again even at an unchanged equity.
        self.last_equity = (i64::MIN, 0);
        let slot = self.scope_mut(scope);
        let from = slot.state;
        slot.state = state;
        slot.state_reason = format!("{code}: {why} (by {who})").into_boxed_str();
        self.audit.push(AuditRecord {
            ts: now,
            kind: AuditKind::StateChange {
                scope,
                from,
                to: state,
                code,
                who: Box::from(who),
                why: Box::from(why),
                cancelled,
            },
        });
    }

    /// Whether any loss limit needs equity updates.
    #[inline]
    pub fn watches_equity(&self) -> bool {
        self.enabled && self.loss_limits
    }

    /// Scopes whose working orders the engine must cancel (automatic halts).
    pub fn take_pending_cancels(&mut self) -> Vec<Scope> {
        std::mem::take(&mut self.pending_cancels)
    }

    /// Whether any scope has a pending cancel request.
    #[inline]
    pub fn has_pending_cancels(&self) -> bool {
        !self.pending_cancels.is_empty()
    }

    /// Takes an order event (`order` as it is after the event): the working
    /// order aggregates follow it; cancels count for the cancel rate, fills
    /// for the order-to-trade ratio.
    #[inline]
    pub fn on_order_event(&mut self, kind: &OrderEventKind, order: &Order, ts: UnixNanos) {
        if !self.enabled {
            return;
        }
        if self.tracking {
            self.work.update(order);
        }
        let instrument = order.request.instrument;
        let strategy = order.request.strategy;
        let is_fill = matches!(kind, OrderEventKind::Filled { .. });
        let is_cancel = matches!(kind, OrderEventKind::PendingCancel);
        if !is_fill && !is_cancel {
            return;
        }
        let s = strategy as usize;
        let i = instrument as usize;
        for slot in [
            Some(&mut self.account),
            self.strategies.get_mut(s),
            self.instruments.get_mut(i),
        ]
        .into_iter()
        .flatten()
        {
            if is_fill {
                slot.trades += 1;
            } else if let Some(r) = slot.cancels.as_mut() {
                r.record(ts);
            }
        }
    }

    /// Feeds the account equity (base currency) at `now`: daily loss and
    /// drawdown may move account or strategy scopes to reducing or halted.
    pub fn on_equity(&mut self, now: UnixNanos, equity: f64) {
        if !self.enabled || !equity.is_finite() {
            return;
        }
        let day = now.div_euclid(DAY);
        if self.last_equity == (day, equity.to_bits()) {
            return;
        }
        self.last_equity = (day, equity.to_bits());
        let n_strat = self.strategies.len();
        for k in 0..=n_strat {
            let (scope, slot) = if k == 0 {
                (Scope::Account, &mut self.account)
            } else {
                (Scope::Strategy(k as u32 - 1), &mut self.strategies[k - 1])
            };
            if !slot.has_loss_limits() {
                continue;
            }
            match slot.day {
                None => {
                    slot.day = Some(day);
                    if slot.peak.is_nan() {
                        slot.day_start = equity;
                        slot.peak = equity;
                    }
                }
                Some(d) if d != day => {
                    slot.day = Some(day);
                    slot.day_start = equity;
                }
                _ => {}
            }
            slot.peak = slot.peak.max(equity);
            let loss = slot.day_start - equity;
            let drawdown = slot.peak - equity;
            let l = &slot.limits;
            // Most severe first: a halt wins over reducing.
            let rules = [
                (
                    &l.max_daily_loss,
                    TradingState::Halted,
                    codes::MAX_DAILY_LOSS,
                    "daily loss",
                    loss,
                    "max_daily_loss",
                ),
                (
                    &l.max_drawdown,
                    TradingState::Halted,
                    codes::MAX_DRAWDOWN,
                    "drawdown",
                    drawdown,
                    "max_drawdown",
                ),
                (
                    &l.reduce_at_daily_loss,
                    TradingState::Reducing,
                    codes::DAILY_LOSS_REDUCING,
                    "daily loss",
                    loss,
                    "reduce_at_daily_loss",
                ),
                (
                    &l.reduce_at_drawdown,
                    TradingState::Reducing,
                    codes::DRAWDOWN_REDUCING,
                    "drawdown",
                    drawdown,
                    "reduce_at_drawdown",
                ),
            ];
            let target = rules
                .into_iter()
                .find_map(|(limit, to, code, what, value, key)| {
                    limit
                        .as_ref()
                        .filter(|x| value >= x.as_f64())
                        .map(|x| (to, code, what, value, key, x.clone()))
                });
            let Some((to, code, what, value, key, limit)) = target else {
                continue;
            };
            if to <= slot.state {
                continue;
            }
            let base = &self.base_code;
            let why = format!(
                "{what} {} {base} reaches {key} {} {base}",
                group_decimal(&format!("{value:.2}")),
                group_decimal(&limit.text),
            );
            self.set_state(scope, to, code, "risk-engine", &why, now, 0);
            if to == TradingState::Halted {
                self.pending_cancels.push(scope);
            }
        }
    }

    /// Runs every control on `request`; `Ok` lets it reach the venue.
    pub fn check(&mut self, request: &OrderRequest, view: &RiskView<'_>) -> Result<(), Denial> {
        if !self.enabled {
            self.audit.passed += 1;
            return Ok(());
        }
        if !self.tracking {
            self.work = WorkingOrders::rebuild(view.open, view.orders);
            self.tracking = true;
        }
        let f = match self.facts(request, view) {
            Ok(f) => f,
            Err(denial) => return Err(self.deny(request, view, denial)),
        };
        if self.watches_equity() {
            let equity = f.equity(view.portfolio);
            self.on_equity(view.now, equity);
        }
        match self.evaluate(request, view, &f) {
            Ok(()) => {
                self.record_pass(request, view.order_id, view.now);
                Ok(())
            }
            Err(denial) => Err(self.deny(request, view, denial)),
        }
    }

    fn deny(&mut self, request: &OrderRequest, view: &RiskView<'_>, denial: Denial) -> Denial {
        let (code, message) = denial;
        {
            {
                self.audit.count_denial(code);
                self.audit.push(AuditRecord {
                    ts: view.now,
                    kind: AuditKind::Denied {
                        order_id: view.order_id,
                        instrument: request.instrument,
                        code,
                        message: message.clone().into_boxed_str(),
                    },
                });
                (code, message)
            }
        }
    }

    /// The working-order aggregates (valid once an enabled check ran).
    pub fn working_orders(&self) -> &WorkingOrders {
        &self.work
    }

    /// Forgets order `id`, which passed the checks but was never sent (for
    /// callers of [`RiskEngine::check`] outside the engine, like the
    /// benchmark); the engine itself sends every order that passes.
    pub fn discard(&mut self, id: ClientOrderId) {
        self.work.remove(id);
    }

    fn record_pass(&mut self, request: &OrderRequest, id: ClientOrderId, now: UnixNanos) {
        self.audit.passed += 1;
        // The engine marks the order open right after a pass, so it works
        // from now on: a second order in the same callback must see it.
        self.work
            .insert(id, OrderWork::from_request(request, 0, false));
        let s = request.strategy as usize;
        let i = request.instrument as usize;
        for slot in [
            Some(&mut self.account),
            self.strategies.get_mut(s),
            self.instruments.get_mut(i),
        ]
        .into_iter()
        .flatten()
        {
            slot.sent += 1;
            if let Some(r) = slot.orders.as_mut() {
                r.record(now);
            }
        }
        if self.duplicate_window > 0 {
            self.recent[self.recent_head] = RecentOrder {
                ts: now,
                instrument: request.instrument,
                strategy: request.strategy,
                side: Some(request.side),
                order_type: Some(request.order_type),
                price: request.price,
                trigger: request.trigger_price,
                quantity: request.quantity,
            };
            self.recent_head = (self.recent_head + 1) % RECENT;
        }
    }

    fn facts(&self, request: &OrderRequest, view: &RiskView<'_>) -> Result<Facts, Denial> {
        let p = view.portfolio;
        let i = request.instrument;
        let spec = p.instruments().get(i as usize).copied().ok_or_else(|| {
            (
                codes::RISK_ERROR,
                format!("instrument index {i} is not in the portfolio"),
            )
        })?;
        let base = p.config().base_currency;
        let money_precision = p
            .money_precision(spec.quote_currency)
            .map_err(|e| (codes::RISK_ERROR, e.to_string()))?;
        let quote_rate = if spec.quote_currency == base {
            1.0
        } else {
            p.rate(spec.quote_currency, base).unwrap_or(f64::NAN)
        };
        let position = p.net_quantity(i);
        let inst = self.work.instrument(i);
        let (working_buy, working_sell) = (inst.buy.leaves, inst.sell.leaves);
        let reduces = match request.side {
            OrderSide::Buy => position < 0 && working_buy + request.quantity <= -position,
            OrderSide::Sell => position > 0 && working_sell + request.quantity <= position,
        };
        let notional_price = request
            .price
            .or(request.trigger_price)
            .or_else(|| last_price(p, i))
            .or_else(|| mid_price(view, i));
        Ok(Facts {
            instrument: i,
            side: request.side,
            quantity: request.quantity,
            price_precision: spec.price_precision,
            size_precision: spec.size_precision,
            money_precision,
            quote_is_base: spec.quote_currency == base,
            quote_rate,
            position,
            working_buy,
            working_sell,
            own_best_bid: inst.buy.best,
            own_best_ask: inst.sell.best,
            reduces,
            notional_price,
            equity: Cell::new(None),
            gross: Cell::new(None),
            net: Cell::new(None),
            working: Cell::new(None),
            order_notional: Cell::new(None),
            reference: Cell::new(None),
        })
    }

    fn evaluate(
        &self,
        request: &OrderRequest,
        view: &RiskView<'_>,
        f: &Facts,
    ) -> Result<(), Denial> {
        let strategy = self.strategies.get(request.strategy as usize);
        let instrument = self.instruments.get(request.instrument as usize);
        let scopes = [
            Some((Scope::Account, &self.account)),
            strategy.map(|s| (Scope::Strategy(request.strategy), s)),
            instrument.map(|s| (Scope::Instrument(request.instrument), s)),
        ];
        // Trading states first: a halted scope answers before any limit.
        for (scope, slot) in scopes.iter().flatten() {
            match slot.state {
                TradingState::Halted => {
                    return Err((
                        codes::TRADING_HALTED,
                        format!("{scope} is halted: {}", reason_or(&slot.state_reason)),
                    ))
                }
                TradingState::Reducing if !f.reduces => {
                    return Err((
                        codes::TRADING_REDUCING,
                        format!(
                            "{scope} is reducing: {} {} with position {} and working {} would not reduce it ({})",
                            request.side.as_str(),
                            format_fixed(request.quantity, f.size_precision),
                            format_fixed(f.position, f.size_precision),
                            format_fixed(
                                match request.side {
                                    OrderSide::Buy => f.working_buy,
                                    OrderSide::Sell => f.working_sell,
                                },
                                f.size_precision
                            ),
                            reason_or(&slot.state_reason)
                        ),
                    ))
                }
                _ => {}
            }
        }
        for (scope, slot) in scopes.iter().flatten() {
            self.check_scope(*scope, slot, request, f, view)?;
        }
        if self.self_trade {
            let crosses = match request.side {
                OrderSide::Buy => f
                    .own_best_ask
                    .filter(|ask| request.price.is_none_or(|p| p >= *ask)),
                OrderSide::Sell => f
                    .own_best_bid
                    .filter(|bid| request.price.is_none_or(|p| p <= *bid)),
            };
            let applies = |o: Option<&ScopeRisk>| o.is_some_and(|s| s.limits.self_trade_prevention);
            let on = self.account.limits.self_trade_prevention
                || applies(strategy)
                || applies(instrument);
            if let (true, Some(own)) = (on, crosses) {
                if is_marketable_now(request) {
                    return Err((
                        codes::SELF_TRADE,
                        format!(
                            "{} {} would cross our own resting {} at {}",
                            request.side.as_str(),
                            price_text(request.price, f.price_precision),
                            request.side.opposite().as_str(),
                            format_fixed(own, f.price_precision)
                        ),
                    ));
                }
            }
        }
        if self.duplicate_window > 0 {
            let window = scopes
                .iter()
                .flatten()
                .filter_map(|(_, s)| s.limits.duplicate_window_ns)
                .max()
                .unwrap_or(0);
            // Newest first: the ring is in time order, so the scan stops at
            // the first order older than the window.
            for k in 1..=RECENT {
                let r = &self.recent[(self.recent_head + RECENT - k) % RECENT];
                if window == 0 || r.side.is_none() || view.now - r.ts >= window {
                    break;
                }
                if r.side == Some(request.side)
                    && r.instrument == request.instrument
                    && r.strategy == request.strategy
                    && r.order_type == Some(request.order_type)
                    && r.price == request.price
                    && r.trigger == request.trigger_price
                    && r.quantity == request.quantity
                {
                    return Err((
                        codes::DUPLICATE_ORDER,
                        format!(
                            "{} {} {} at {} repeats an order sent {} ms ago (duplicate_window_ms {})",
                            request.order_type.as_str(),
                            request.side.as_str(),
                            format_fixed(request.quantity, f.size_precision),
                            price_text(request.price, f.price_precision),
                            (view.now - r.ts) / 1_000_000,
                            window / 1_000_000
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_scope(
        &self,
        scope: Scope,
        slot: &ScopeRisk,
        request: &OrderRequest,
        f: &Facts,
        view: &RiskView<'_>,
    ) -> Result<(), Denial> {
        let l = &slot.limits;
        let sp = f.size_precision;
        let pp = f.price_precision;
        let qty = i128::from(f.quantity);
        let base_code = || {
            let p = view.portfolio;
            p.currencies().code(p.config().base_currency)
        };
        let m = slot.controls;
        // Shape: lot and tick grids.
        if m & mask::SHAPE != 0 {
            if let Some(lot) = l.lot_size {
                if f.quantity % lot != 0 {
                    return Err((
                        codes::LOT_SIZE,
                        format!(
                            "quantity {} is not a multiple of lot_size {} ({scope})",
                            format_fixed(f.quantity, sp),
                            format_fixed(lot, sp)
                        ),
                    ));
                }
            }
            if let Some(tick) = l.tick_size {
                for (what, px) in [
                    ("price", request.price),
                    ("trigger price", request.trigger_price),
                ] {
                    if let Some(px) = px.filter(|px| px % tick != 0) {
                        return Err((
                            codes::TICK_SIZE,
                            format!(
                                "{what} {} is not a multiple of tick_size {} ({scope})",
                                format_fixed(px, pp),
                                format_fixed(tick, pp)
                            ),
                        ));
                    }
                }
            }
        }
        // Order size.
        if m & mask::SIZE != 0 {
            if let Some(max) = &l.max_order_quantity {
                if max.cmp_raw(qty, sp) == Ordering::Greater {
                    return Err((
                        codes::MAX_ORDER_QUANTITY,
                        format!(
                            "quantity {} exceeds max_order_quantity {} ({scope})",
                            group_decimal(&format_fixed(f.quantity, sp)),
                            group_decimal(&max.text)
                        ),
                    ));
                }
            }
            if let Some(min) = &l.min_order_quantity {
                if min.cmp_raw(qty, sp) == Ordering::Less {
                    return Err((
                        codes::MIN_ORDER_QUANTITY,
                        format!(
                            "quantity {} is below min_order_quantity {} ({scope})",
                            group_decimal(&format_fixed(f.quantity, sp)),
                            group_decimal(&min.text)
                        ),
                    ));
                }
            }
        }
        let needs_notional =
            m & (mask::ORDER_NOTIONAL | mask::POSITION_NOTIONAL | mask::EXPOSURE) != 0;
        let needs_reference = m & mask::PRICE != 0;
        if needs_notional && f.notional_price.is_none() {
            return Err((
                codes::NO_REFERENCE_PRICE,
                format!(
                    "no price to value a {} order on instrument {} yet ({scope})",
                    request.order_type.as_str(),
                    f.instrument
                ),
            ));
        }
        let notional = |qty: i64| -> Result<i128, Denial> {
            let price = f.notional_price.unwrap_or(0);
            let spec = view.portfolio.instruments()[f.instrument as usize];
            spec.notional(price, qty.abs(), f.money_precision)
                .map_err(|e| (codes::RISK_ERROR, e.to_string()))
        };
        let order_notional = || -> Result<i128, Denial> {
            if let Some(v) = f.order_notional.get() {
                return Ok(v);
            }
            let v = notional(f.quantity)?;
            f.order_notional.set(Some(v));
            Ok(v)
        };
        let over = |limit: &Dec, raw: i128| -> bool {
            if f.quote_is_base {
                limit.cmp_raw(raw, f.money_precision) == Ordering::Greater
            } else {
                money_f64(raw, f.money_precision) * f.quote_rate > limit.as_f64()
            }
        };
        let money_text = |raw: i128| -> String {
            if f.quote_is_base {
                group_decimal(&format_money(raw, f.money_precision))
            } else {
                group_decimal(&format!(
                    "{:.2}",
                    money_f64(raw, f.money_precision) * f.quote_rate
                ))
            }
        };
        if m & mask::ORDER_NOTIONAL != 0 {
            let n = order_notional()?;
            if let Some(max) = &l.max_order_notional {
                if over(max, n) {
                    let ccy = base_code();
                    return Err((
                        codes::MAX_ORDER_NOTIONAL,
                        format!(
                            "notional {} {ccy} exceeds max_order_notional {} {ccy} ({scope})",
                            money_text(n),
                            group_decimal(&max.text)
                        ),
                    ));
                }
            }
            if let Some(min) = &l.min_order_notional {
                let below = if f.quote_is_base {
                    min.cmp_raw(n, f.money_precision) == Ordering::Less
                } else {
                    money_f64(n, f.money_precision) * f.quote_rate < min.as_f64()
                };
                if below {
                    let ccy = base_code();
                    return Err((
                        codes::MIN_ORDER_NOTIONAL,
                        format!(
                            "notional {} {ccy} is below min_order_notional {} {ccy} ({scope})",
                            money_text(n),
                            group_decimal(&min.text)
                        ),
                    ));
                }
            }
        }
        // Price collar and fat finger.
        if needs_reference {
            if let Some(px) = request.price.or(request.trigger_price) {
                self.check_price(scope, l, request, px, f, view)?;
            }
        }
        // Position limits with working orders counted as filled.
        let positional = mask::POSITION_QUANTITY | mask::POSITION_NOTIONAL | mask::EXPOSURE;
        if !f.reduces && m & positional != 0 {
            let projected = match f.side {
                OrderSide::Buy => f.position + f.working_buy + f.quantity,
                OrderSide::Sell => f.position - f.working_sell - f.quantity,
            };
            let (limit_q, code_q, key_q, limit_n, code_n, key_n, exposed) = match f.side {
                OrderSide::Buy => (
                    &l.max_long_quantity,
                    codes::MAX_LONG_QUANTITY,
                    "max_long_quantity",
                    &l.max_long_notional,
                    codes::MAX_LONG_NOTIONAL,
                    "max_long_notional",
                    projected.max(0),
                ),
                OrderSide::Sell => (
                    &l.max_short_quantity,
                    codes::MAX_SHORT_QUANTITY,
                    "max_short_quantity",
                    &l.max_short_notional,
                    codes::MAX_SHORT_NOTIONAL,
                    "max_short_notional",
                    (-projected).max(0),
                ),
            };
            if let Some(max) = limit_q {
                if max.cmp_raw(i128::from(exposed), sp) == Ordering::Greater {
                    return Err((
                        code_q,
                        format!(
                            "position {} + working {} + order {} = {} exceeds {key_q} {} ({scope})",
                            qty_text(f.position, sp),
                            qty_text(
                                match f.side {
                                    OrderSide::Buy => f.working_buy,
                                    OrderSide::Sell => -f.working_sell,
                                },
                                sp
                            ),
                            qty_text(f.side.sign() * f.quantity, sp),
                            qty_text(projected, sp),
                            group_decimal(&max.text)
                        ),
                    ));
                }
            }
            if let Some(max) = limit_n {
                let n = notional(exposed)?;
                if over(max, n) {
                    let ccy = base_code();
                    return Err((
                        code_n,
                        format!(
                            "position notional {} {ccy} (position {} with working orders and this order) exceeds {key_n} {} {ccy} ({scope})",
                            money_text(n),
                            format_fixed(projected, sp),
                            group_decimal(&max.text)
                        ),
                    ));
                }
            }
            if l.max_gross_exposure.is_some() || l.max_net_exposure.is_some() {
                let order_value = money_f64(order_notional()?, f.money_precision) * f.quote_rate;
                let p = view.portfolio;
                let (working_gross, working_net) = f.working(&self.work, p);
                if let Some(max) = &l.max_gross_exposure {
                    let gross = f.gross(p) + working_gross + order_value;
                    if gross > max.as_f64() {
                        let ccy = base_code();
                        return Err((
                            codes::MAX_GROSS_EXPOSURE,
                            format!(
                                "gross exposure {} {ccy} (positions {} + working {} + order {}) exceeds max_gross_exposure {} {ccy} ({scope})",
                                group_f64(gross),
                                group_f64(f.gross(p)),
                                group_f64(working_gross),
                                group_f64(order_value),
                                group_decimal(&max.text)
                            ),
                        ));
                    }
                }
                if let Some(max) = &l.max_net_exposure {
                    let net = f.net(p) + working_net + order_value * f.side.sign() as f64;
                    if net.abs() > max.as_f64() {
                        let ccy = base_code();
                        return Err((
                            codes::MAX_NET_EXPOSURE,
                            format!(
                                "net exposure {} {ccy} (positions {} + working {} + order {}) exceeds max_net_exposure {} {ccy} ({scope})",
                                group_f64(net),
                                group_f64(f.net(p)),
                                group_f64(working_net),
                                group_f64(order_value * f.side.sign() as f64),
                                group_decimal(&max.text)
                            ),
                        ));
                    }
                }
            }
        }
        if m & mask::BUYING_POWER != 0 {
            if let Some(price) = f.notional_price {
                let p = view.portfolio;
                let i = f.instrument;
                let fee = view
                    .fees
                    .get(i as usize)
                    .map_or(Ok(0), |m| {
                        p.fee(m, i, price, f.quantity, LiquiditySide::Taker)
                    })
                    .map_err(|e| (codes::RISK_ERROR, e.to_string()))?;
                let exceeds = exceeds_buying_power(p, f, price, request.reduce_only, fee)?;
                if exceeds {
                    let ccy = base_code();
                    return Err((
                        codes::BUYING_POWER,
                        format!(
                            "{} {} at {} (notional {} + fee {}) exceeds buying power {} {ccy} (free margin {} {ccy}) ({scope})",
                            f.side.as_str(),
                            format_fixed(f.quantity, sp),
                            format_fixed(price, pp),
                            money_text(order_notional()?),
                            group_decimal(&format_money(fee, f.money_precision)),
                            group_f64(p.buying_power_base()),
                            group_f64(p.free_margin_base())
                        ),
                    ));
                }
            }
        }
        // Message rates.
        if let Some(r) = &slot.orders {
            if r.would_exceed(view.now) {
                return Err((
                    codes::ORDER_RATE,
                    format!(
                        "{} orders in the last second reach max_orders_per_second {} ({scope})",
                        r.count(view.now),
                        r.limit()
                    ),
                ));
            }
        }
        if let Some(r) = &slot.cancels {
            if r.would_exceed(view.now) {
                return Err((
                    codes::CANCEL_RATE,
                    format!(
                        "{} cancels in the last second exceed max_cancels_per_second {} ({scope})",
                        r.count(view.now),
                        r.limit() - 1
                    ),
                ));
            }
        }
        if m & mask::ORDER_TO_TRADE != 0 {
            if let Some(max) = &l.max_order_to_trade_ratio {
                let orders = slot.sent + 1;
                let trades = slot.trades.max(1);
                if orders > l.order_to_trade_min_orders {
                    let lhs = i128::from(orders) * config::POW10[usize::from(max.scale)];
                    let rhs = max.mantissa * i128::from(trades);
                    if lhs > rhs {
                        return Err((
                        codes::ORDER_TO_TRADE_RATIO,
                        format!(
                            "{orders} orders for {} fills exceeds max_order_to_trade_ratio {} ({scope})",
                            slot.trades,
                            max.text
                        ),
                    ));
                    }
                }
            }
        }
        Ok(())
    }

    fn check_price(
        &self,
        scope: Scope,
        l: &Limits,
        request: &OrderRequest,
        px: i64,
        f: &Facts,
        view: &RiskView<'_>,
    ) -> Result<(), Denial> {
        let pp = f.price_precision;
        let i = f.instrument;
        let kind = l.price_reference;
        let reference = match (kind, f.reference.get()) {
            (PriceReference::Last | PriceReference::Mid, Some((k, v))) if k == kind => v,
            (PriceReference::Last, _) => {
                let v = last_price(view.portfolio, i).or_else(|| mid_price(view, i));
                f.reference.set(Some((kind, v)));
                v
            }
            (PriceReference::Mid, _) => {
                let v = mid_price(view, i).or_else(|| last_price(view.portfolio, i));
                f.reference.set(Some((kind, v)));
                v
            }
            (PriceReference::Reference, _) => l.reference_price.or_else(|| {
                self.instruments
                    .get(i as usize)
                    .and_then(|s| s.limits.reference_price)
            }),
        };
        let Some(reference) = reference else {
            return Err((
                codes::NO_REFERENCE_PRICE,
                format!(
                    "no {} price for instrument {i} to check {} against ({scope})",
                    match l.price_reference {
                        PriceReference::Last => "last",
                        PriceReference::Mid => "mid",
                        PriceReference::Reference => "reference",
                    },
                    format_fixed(px, pp)
                ),
            ));
        };
        let tick = self
            .instruments
            .get(i as usize)
            .and_then(|s| s.limits.tick_size)
            .or(l.tick_size)
            .unwrap_or(1);
        let dist = i128::from(px) - i128::from(reference);
        let band_exceeded = |pct: &Option<Dec>, ticks: Option<i64>, d: i128| -> Option<String> {
            if let Some(pct) = pct {
                // |d| / ref > pct / 100  <=>  |d| * 100 * 10^scale > ref * mantissa
                let lhs = d.abs() * 100 * config::POW10[usize::from(pct.scale)];
                let rhs = i128::from(reference).abs() * pct.mantissa;
                if lhs > rhs {
                    return Some(format!("{}%", pct.text));
                }
            }
            if let Some(t) = ticks {
                if d.abs() > i128::from(t) * i128::from(tick) {
                    return Some(format!("{t} ticks"));
                }
            }
            None
        };
        // Fat finger: only the part of a limit through the market, on its
        // aggressive side (a buy above the reference, a sell below).
        if request.order_type.has_limit_price() {
            let through = match request.side {
                OrderSide::Buy => dist.max(0),
                OrderSide::Sell => (-dist).max(0),
            };
            if let Some(band) = band_exceeded(&l.fat_finger_pct, l.fat_finger_ticks, through) {
                return Err((
                    codes::FAT_FINGER,
                    format!(
                        "{} limit {} is {} through the reference {}, more than fat_finger {band} ({scope})",
                        request.side.as_str(),
                        format_fixed(px, pp),
                        format_fixed(i64::try_from(through).unwrap_or(i64::MAX), pp),
                        format_fixed(reference, pp)
                    ),
                ));
            }
        }
        if let Some(band) = band_exceeded(&l.price_band_pct, l.price_band_ticks, dist) {
            return Err((
                codes::PRICE_COLLAR,
                format!(
                    "price {} is {} from the reference {}, outside the price band {band} ({scope})",
                    format_fixed(px, pp),
                    format_fixed(i64::try_from(dist.abs()).unwrap_or(i64::MAX), pp),
                    format_fixed(reference, pp)
                ),
            ));
        }
        Ok(())
    }
}

/// `Portfolio::would_exceed_buying_power`, with the margin account's equity
/// and gross exposure taken from the check's cache (each is a pass over the
/// account; the check needs them anyway). The same formula: only the part
/// that opens or increases a position needs `notional / leverage + fee` of
/// free margin (`equity − gross / leverage`). Cash accounts compare exact
/// balances and go to the portfolio directly.
fn exceeds_buying_power(
    p: &Portfolio,
    f: &Facts,
    price: i64,
    reduce_only: bool,
    fee: i128,
) -> Result<bool, Denial> {
    let config = p.config();
    let i = f.instrument;
    if config.account_type == AccountType::Cash {
        return p
            .would_exceed_buying_power(i, f.side, f.quantity, price, reduce_only, fee)
            .map_err(|e| (codes::BUYING_POWER, e.to_string()));
    }
    let pos = p
        .position(i)
        .map_err(|e| (codes::RISK_ERROR, e.to_string()))?;
    let closable = match f.side {
        OrderSide::Buy => pos.short.quantity,
        OrderSide::Sell => pos.long.quantity,
    };
    let opening = match (config.oms, reduce_only) {
        (_, true) => 0,
        (OmsType::Netting, false) => f.quantity.saturating_sub(closable).max(0),
        (OmsType::Hedging, false) => f.quantity,
    };
    if opening == 0 {
        return Ok(false);
    }
    let spec = p.instruments()[i as usize];
    let notional = spec
        .notional(price, opening, f.money_precision)
        .map_err(|e| (codes::RISK_ERROR, e.to_string()))?;
    let leverage = config.leverage.as_f64();
    let needed = money_f64(notional, f.money_precision) * f.quote_rate / leverage
        + money_f64(fee, f.money_precision) * f.quote_rate;
    let free = f.equity(p) - f.gross(p) / leverage;
    Ok(needed > free)
}

/// Whether the order would execute against resting liquidity on arrival:
/// market and limit orders (trigger orders wait).
#[inline]
fn is_marketable_now(request: &OrderRequest) -> bool {
    matches!(request.order_type, OrderType::Market | OrderType::Limit)
}

#[inline]
fn last_price(p: &Portfolio, i: u32) -> Option<i64> {
    p.positions().get(i as usize).and_then(|pos| pos.mark_price)
}

#[inline]
fn mid_price(view: &RiskView<'_>, i: u32) -> Option<i64> {
    let book = view.venues.get(i as usize)?.book()?;
    let (b, a) = (book.best_bid()?, book.best_ask()?);
    Some(((i128::from(b.price) + i128::from(a.price)) / 2) as i64)
}

#[inline]
fn money_f64(raw: i128, precision: u8) -> f64 {
    config::i128_to_f64(raw) * config::INV_POW10_F64[usize::from(precision.min(38))]
}

fn reason_or(reason: &str) -> &str {
    if reason.is_empty() {
        "configured state"
    } else {
        reason
    }
}

fn price_text(price: Option<i64>, precision: u8) -> String {
    price.map_or_else(|| "market".to_string(), |p| format_fixed(p, precision))
}

fn qty_text(raw: i64, precision: u8) -> String {
    group_decimal(&format_fixed(raw, precision))
}

fn group_f64(v: f64) -> String {
    group_decimal(&format!("{v:.2}"))
}

/// `1250000.50` -> `1,250,000.5`: thousands grouped, trailing zeros dropped.
pub fn group_decimal(text: &str) -> String {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", text),
    };
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let frac = frac.trim_end_matches('0');
    let mut out = String::with_capacity(text.len() + int.len() / 3 + 1);
    out.push_str(sign);
    let n = int.len();
    for (k, ch) in int.chars().enumerate() {
        if k > 0 && (n - k) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

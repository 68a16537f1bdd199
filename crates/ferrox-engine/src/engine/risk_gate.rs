//! The pre-trade risk gate every order passes, the kill switch, and the
//! loss limits fed after each fill.

use super::core::EngineCore;
use crate::orders::{ClientOrderId, OrderRequest, OrderSide, OrderStatus, OrderType, TimeInForce};
use crate::types::UnixNanos;

impl EngineCore {
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

    /// Checks an order before it may leave: shape, instrument, reduce-only,
    /// then every control of the risk engine.
    pub(super) fn pre_trade_check(
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

    /// Feeds the risk engine's loss limits after a fill; cancels the working
    /// orders of any scope they halt.
    pub(super) fn risk_after_fill(&mut self, ts: UnixNanos) {
        if !self.risk.watches_equity() {
            return;
        }
        self.risk.on_equity(ts, self.portfolio.equity_base());
        for scope in self.risk.take_pending_cancels() {
            self.cancel_scope(scope);
        }
    }
}

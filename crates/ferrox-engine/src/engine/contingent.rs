//! OCO, OTO and bracket orders in the engine: creating linked orders, and
//! carrying out the contingency manager's actions after each order event.
//!
//! OCO groups, OTO parents and brackets are created as `Initialized` orders,
//! registered with the [`ContingencyManager`](crate::orders::ContingencyManager),
//! and only then is the working part sent (through the same pre-trade checks
//! as any order). Every order event the strategy's timeline reaches is shown
//! to the manager after the order, portfolio and risk engine took it, and its
//! actions are carried out at once: a released child is risk-checked and
//! sent, a held child is cancelled locally, working ones get cancel / modify
//! requests. Actions only schedule things, so no strategy callback is
//! re-entered; the strategy hears of every resulting event through
//! `on_order` like any other.

use super::core::{EngineCore, EngineError};
use crate::orders::{
    Bracket, ClientOrderId, ContingencyAction, ContingencyError, Order, OrderEvent, OrderEventKind,
    OrderLookup, OrderRequest, OrderStatus,
};

/// The engine's orders (by id − 1) as the contingency manager reads them.
struct OrderStore<'a>(&'a [Order]);

impl OrderLookup for OrderStore<'_> {
    fn get(&self, id: ClientOrderId) -> Option<&Order> {
        id.checked_sub(1)
            .and_then(|i| self.0.get(usize::try_from(i).ok()?))
    }
}

impl EngineCore {
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

    /// Whether any pending venue event is about a linked order.
    pub(super) fn step_touches_links(&self) -> bool {
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
    pub(super) fn settle_oco_in_step(&mut self) {
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

    /// What an applied event sets off: the contingency manager's actions
    /// and the TWAP's bookkeeping of its children.
    pub(super) fn follow_up(&mut self, event: &OrderEvent) -> Result<(), EngineError> {
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
    pub(super) fn cancel_held(&mut self, id: ClientOrderId) {
        self.held_cancels.insert(id);
        self.local_event(id, OrderEventKind::Cancelled);
    }
}

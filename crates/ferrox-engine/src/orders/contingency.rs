//! Order contingencies: OCO groups, OTO parent → children, and brackets.
//!
//! [`ContingencyManager`] is pure bookkeeping: the engine registers the links
//! when the strategy creates the orders, then hands it every order event
//! (after [`super::Order::apply`] accepted it) and carries out the
//! [`ContingencyAction`]s it returns. It never touches an order itself.
//!
//! # Semantics
//!
//! * **OTO.** Children are held (status `Initialized`, never sent) until the
//!   parent fills. They are released in proportion to the parent's fills, as
//!   NautilusTrader does: after each parent fill a child's released quantity
//!   is `floor(child_qty × parent_filled / parent_qty)` (exact integers), so a
//!   bracket's exits always cover exactly what the entry bought. The first
//!   release is a [`ContingencyAction::Submit`] with that quantity; later ones
//!   raise the working child's quantity by the increment through
//!   [`ContingencyAction::Modify`]. When the parent is denied, rejected,
//!   cancelled or expired, children still held are cancelled; children
//!   already released keep working (they protect the part that filled).
//! * **OCO.** A fill of `q` on one member lowers every other open member's
//!   quantity by `q` (a member whose quantity would fall to what it has
//!   already filled is cancelled instead). A member that fills completely, or
//!   is cancelled, expired, rejected or denied, cancels the others. Working
//!   from increments rather than from the orders' current quantities keeps the
//!   group right when fills of two members race each other.
//! * **Bracket** = entry OTO [take-profit, stop-loss] with the two exits OCO.
//!   When both exits are done while the entry still works (an exit filled
//!   completely on a partial entry, or the strategy cancelled an exit), the
//!   entry's remainder is cancelled too: the bracket is over, and later entry
//!   fills would otherwise be left without exits.
//!
//! The manager keeps, per order, the quantity it wants the order to have (its
//! *target*). An order with a cancel or modify request in flight is left
//! alone until the venue answers; the answer (or the next event of the group)
//! re-checks it, so at most one request per order is outstanding. A refused
//! modify or cancel of the manager's own is not retried (the venue said no).
//!
//! The engine must apply `PendingCancel` / `PendingUpdate` to an order when
//! it sends the request, and carry out a `Submit` by setting the held order's
//! quantity to the one given before submitting it. Actions come out in a
//! fixed order (children and group members in id / registration order), so
//! runs are deterministic.

use std::collections::{BTreeMap, HashMap};

use thiserror::Error;

use super::order::{Order, OrderEvent, OrderEventKind};
use super::types::{
    ClientOrderId, ContingencyType, OrderRequest, OrderSide, OrderStatus, OrderType, TimeInForce,
};

/// Where the manager finds an order's current state (the engine's order
/// store).
pub trait OrderLookup {
    /// The order `id`, if it exists.
    fn get(&self, id: ClientOrderId) -> Option<&Order>;
}

impl OrderLookup for BTreeMap<ClientOrderId, Order> {
    fn get(&self, id: ClientOrderId) -> Option<&Order> {
        BTreeMap::get(self, &id)
    }
}

impl<S: std::hash::BuildHasher> OrderLookup for HashMap<ClientOrderId, Order, S> {
    fn get(&self, id: ClientOrderId) -> Option<&Order> {
        HashMap::get(self, &id)
    }
}

/// What the engine must do because of an order event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContingencyAction {
    /// Release a held child: set its quantity to `quantity` (raw; at most the
    /// quantity it was created with) and submit it.
    Submit {
        /// The held order.
        id: ClientOrderId,
        /// Quantity to submit (raw).
        quantity: i64,
    },
    /// Cancel the order: a cancel request if it is at a venue, or a local
    /// `Cancelled` event if it is still held (`Initialized`).
    Cancel {
        /// The order.
        id: ClientOrderId,
    },
    /// Send a modify setting the working order's total quantity (raw,
    /// including what has filled).
    Modify {
        /// The order.
        id: ClientOrderId,
        /// New total quantity (raw).
        quantity: i64,
    },
}

/// A contingency that cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ContingencyError {
    /// An id the order store does not know.
    #[error("contingency: unknown order {0}")]
    UnknownOrder(ClientOrderId),
    /// An OCO group needs two or more distinct orders.
    #[error("contingency: an OCO group needs at least two distinct orders, got {0:?}")]
    OcoTooSmall(Vec<ClientOrderId>),
    /// The order is in an OCO group already.
    #[error("contingency: order {0} is already in an OCO group")]
    AlreadyInOco(ClientOrderId),
    /// The order is the child of another OTO parent already.
    #[error("contingency: order {child} already has the OTO parent {parent}")]
    AlreadyHasParent {
        /// The child.
        child: ClientOrderId,
        /// Its existing parent.
        parent: ClientOrderId,
    },
    /// The order is the parent of an OTO already.
    #[error("contingency: order {0} is already an OTO parent")]
    AlreadyParent(ClientOrderId),
    /// An OTO child must be held: `Initialized`.
    #[error("contingency: OTO child {id} must be INITIALIZED to be held, it is {status}")]
    ChildNotHeld {
        /// The child.
        id: ClientOrderId,
        /// Its status.
        status: &'static str,
    },
    /// The order can no longer take part (terminal, or a parent that has
    /// already filled).
    #[error("contingency: order {id} cannot be linked in status {status} with {filled} filled")]
    NotLinkable {
        /// The order.
        id: ClientOrderId,
        /// Its status.
        status: &'static str,
        /// Its filled quantity (raw).
        filled: i64,
    },
    /// Linking would make an order its own ancestor.
    #[error("contingency: linking {parent} -> {child} would make a cycle")]
    Cycle {
        /// The parent.
        parent: ClientOrderId,
        /// The child.
        child: ClientOrderId,
    },
    /// A bracket's prices are on the wrong sides.
    #[error(
        "bracket: a {side} entry needs stop-loss trigger {stop_loss} {relation} \
         take-profit {take_profit} (and the entry price {entry:?} between them)"
    )]
    BracketPrices {
        /// The entry side.
        side: &'static str,
        /// Stop-loss trigger (raw).
        stop_loss: i64,
        /// Take-profit price (raw).
        take_profit: i64,
        /// Entry reference price (raw): its limit or trigger price, if any.
        entry: Option<i64>,
        /// `<` for a buy entry, `>` for a sell.
        relation: &'static str,
    },
    /// A bracket entry must have a positive quantity.
    #[error("bracket: entry quantity must be > 0, got {0}")]
    BracketQuantity(i64),
}

/// What the manager knows about one linked order.
#[derive(Debug, Clone, Default)]
struct Link {
    /// OCO group index, if any.
    oco: Option<usize>,
    /// OTO parent, if any.
    parent: Option<ClientOrderId>,
    /// OTO children (in registration order), if a parent.
    children: Vec<ClientOrderId>,
    /// The quantity the order was created with (raw): the base of its share
    /// of the parent's fills.
    full_qty: i64,
    /// Quantity released so far (OTO children; raw).
    released: i64,
    /// The total quantity the manager wants the order to have (raw).
    target: i64,
    /// Whether a `Submit` was issued (OTO children).
    submitted: bool,
    /// Whether a `Cancel` was issued: never issued twice.
    cancel_sent: bool,
    /// Whether a `Modify` of ours awaits the venue's answer.
    modify_sent: bool,
}

/// OCO groups, OTO links and brackets, kept in step with order events.
#[derive(Debug, Clone, Default)]
pub struct ContingencyManager {
    links: BTreeMap<ClientOrderId, Link>,
    /// Members of each OCO group (sorted ids).
    groups: Vec<Vec<ClientOrderId>>,
}

fn order(orders: &impl OrderLookup, id: ClientOrderId) -> Result<&Order, ContingencyError> {
    orders.get(id).ok_or(ContingencyError::UnknownOrder(id))
}

fn held(order: &Order) -> bool {
    order.status == OrderStatus::Initialized
}

fn pending(order: &Order) -> bool {
    matches!(
        order.status,
        OrderStatus::PendingCancel | OrderStatus::PendingUpdate
    )
}

impl ContingencyManager {
    /// An empty manager.
    pub fn new() -> Self {
        Self::default()
    }

    /// Link `ids` as one OCO group. Each must exist, be neither terminal nor
    /// in another OCO group.
    pub fn register_oco(
        &mut self,
        ids: &[ClientOrderId],
        orders: &impl OrderLookup,
    ) -> Result<(), ContingencyError> {
        let mut members = ids.to_vec();
        members.sort_unstable();
        members.dedup();
        if members.len() < 2 {
            return Err(ContingencyError::OcoTooSmall(ids.to_vec()));
        }
        for &id in &members {
            let o = order(orders, id)?;
            if o.status.is_terminal() {
                return Err(ContingencyError::NotLinkable {
                    id,
                    status: o.status.as_str(),
                    filled: o.filled_qty,
                });
            }
            if self.links.get(&id).is_some_and(|l| l.oco.is_some()) {
                return Err(ContingencyError::AlreadyInOco(id));
            }
        }
        let group = self.groups.len();
        for &id in &members {
            let o = order(orders, id)?;
            let link = self.link_for(id, o);
            link.oco = Some(group);
        }
        self.groups.push(members);
        Ok(())
    }

    /// Link `parent` → `children` as an OTO: the children (which must be
    /// `Initialized`) are held until the parent fills. The parent must not
    /// have filled yet.
    pub fn register_oto(
        &mut self,
        parent: ClientOrderId,
        children: &[ClientOrderId],
        orders: &impl OrderLookup,
    ) -> Result<(), ContingencyError> {
        let p = order(orders, parent)?;
        if p.status.is_terminal() || p.filled_qty > 0 {
            return Err(ContingencyError::NotLinkable {
                id: parent,
                status: p.status.as_str(),
                filled: p.filled_qty,
            });
        }
        if self
            .links
            .get(&parent)
            .is_some_and(|l| !l.children.is_empty())
        {
            return Err(ContingencyError::AlreadyParent(parent));
        }
        let mut kids = children.to_vec();
        kids.dedup();
        for &child in &kids {
            let c = order(orders, child)?;
            if !held(c) {
                return Err(ContingencyError::ChildNotHeld {
                    id: child,
                    status: c.status.as_str(),
                });
            }
            if let Some(existing) = self.links.get(&child).and_then(|l| l.parent) {
                return Err(ContingencyError::AlreadyHasParent {
                    child,
                    parent: existing,
                });
            }
            // The child must not be the parent or one of its ancestors.
            let mut up = Some(parent);
            while let Some(a) = up {
                if a == child {
                    return Err(ContingencyError::Cycle { parent, child });
                }
                up = self.links.get(&a).and_then(|l| l.parent);
            }
        }
        for &child in &kids {
            let c = order(orders, child)?;
            let link = self.link_for(child, c);
            link.parent = Some(parent);
            link.target = 0;
        }
        self.link_for(parent, p).children = kids;
        Ok(())
    }

    /// Register a bracket already created as three orders: `entry` OTO
    /// [`take_profit`, `stop_loss`], the two exits OCO.
    pub fn register_bracket(
        &mut self,
        entry: ClientOrderId,
        take_profit: ClientOrderId,
        stop_loss: ClientOrderId,
        orders: &impl OrderLookup,
    ) -> Result<(), ContingencyError> {
        // Validate the OCO part first so a failure leaves nothing registered.
        for id in [take_profit, stop_loss] {
            if self.links.get(&id).is_some_and(|l| l.oco.is_some()) {
                return Err(ContingencyError::AlreadyInOco(id));
            }
        }
        self.register_oto(entry, &[take_profit, stop_loss], orders)?;
        self.register_oco(&[take_profit, stop_loss], orders)
    }

    fn link_for(&mut self, id: ClientOrderId, o: &Order) -> &mut Link {
        self.links.entry(id).or_insert_with(|| Link {
            full_qty: o.request.quantity,
            target: o.request.quantity,
            ..Link::default()
        })
    }

    /// Whether `id` takes part in any contingency.
    pub fn is_linked(&self, id: ClientOrderId) -> bool {
        self.links.contains_key(&id)
    }

    /// The OTO parent of `id`, if any.
    pub fn parent_of(&self, id: ClientOrderId) -> Option<ClientOrderId> {
        self.links.get(&id).and_then(|l| l.parent)
    }

    /// The OTO children of `id` (empty if none).
    pub fn children_of(&self, id: ClientOrderId) -> &[ClientOrderId] {
        self.links.get(&id).map_or(&[], |l| l.children.as_slice())
    }

    /// The other members of `id`'s OCO group (empty if none).
    pub fn oco_siblings(&self, id: ClientOrderId) -> Vec<ClientOrderId> {
        self.links
            .get(&id)
            .and_then(|l| l.oco)
            .and_then(|g| self.groups.get(g))
            .map(|m| m.iter().copied().filter(|&s| s != id).collect())
            .unwrap_or_default()
    }

    /// Fill in `order.contingency`, `linked` and `parent` from the registered
    /// links (an OTO parent is `Oto` with its children; an OCO member is
    /// `Oco` with its siblings).
    pub fn annotate(&self, order: &mut Order) {
        let Some(link) = self.links.get(&order.id) else {
            return;
        };
        order.parent = link.parent;
        if !link.children.is_empty() {
            order.contingency = ContingencyType::Oto;
            order.linked = link.children.clone();
        } else if link.oco.is_some() {
            order.contingency = ContingencyType::Oco;
            order.linked = self.oco_siblings(order.id);
        }
    }

    /// The actions that `event` calls for (see the module docs). Call it
    /// after the event was applied to the order in `orders`.
    pub fn on_event(
        &mut self,
        event: &OrderEvent,
        orders: &impl OrderLookup,
    ) -> Vec<ContingencyAction> {
        let mut out = Vec::new();
        self.on_event_into(event, orders, &mut out);
        out
    }

    /// [`Self::on_event`] appending to a buffer the caller reuses (no
    /// allocation for orders without contingencies).
    pub fn on_event_into(
        &mut self,
        event: &OrderEvent,
        orders: &impl OrderLookup,
        out: &mut Vec<ContingencyAction>,
    ) {
        use OrderEventKind as E;
        let id = event.order_id;
        let Some(link) = self.links.get(&id) else {
            return;
        };
        let (oco, has_children, parent) = (link.oco, !link.children.is_empty(), link.parent);
        let Some(me) = orders.get(id) else {
            return;
        };
        match &event.kind {
            E::Filled { quantity, .. } => {
                if has_children {
                    self.release_children(me, orders, out);
                }
                if let Some(g) = oco {
                    self.oco_fill(g, id, *quantity, me, orders, out);
                }
            }
            E::Cancelled | E::Expired | E::Rejected { .. } | E::Denied { .. } => {
                if has_children {
                    self.cancel_held_children(id, orders, out);
                }
                if let Some(g) = oco {
                    self.cancel_group(g, id, orders, out);
                }
            }
            // A request answered, or the order accepted: re-check what was
            // deferred while a request was in flight.
            E::Updated { .. } | E::CancelRejected { .. } | E::Submitted | E::Accepted => {
                if matches!(event.kind, E::Updated { .. }) {
                    self.clear_modify_sent(id);
                }
                self.reconcile(id, orders, false, out);
            }
            E::ModifyRejected { .. } => {
                let ours = self.clear_modify_sent(id);
                self.reconcile(id, orders, ours, out);
            }
            _ => {}
        }
        if let Some(p) = parent {
            self.close_finished_bracket(p, oco, orders, out);
        }
    }

    fn release_children(
        &mut self,
        parent: &Order,
        orders: &impl OrderLookup,
        out: &mut Vec<ContingencyAction>,
    ) {
        let parent_qty = parent.request.quantity.max(1) as i128;
        for i in 0..self.children_of(parent.id).len() {
            let child = self.children_of(parent.id)[i];
            let Some(link) = self.links.get_mut(&child) else {
                continue;
            };
            let share = (link.full_qty as i128 * parent.filled_qty as i128 / parent_qty) as i64;
            let increment = share - link.released;
            if increment <= 0 {
                continue;
            }
            let Some(c) = orders.get(child) else {
                continue;
            };
            if c.status.is_terminal() {
                continue;
            }
            link.released = share;
            link.target += increment;
            if !link.submitted {
                if link.target > 0 {
                    link.submitted = true;
                    out.push(ContingencyAction::Submit {
                        id: child,
                        quantity: link.target,
                    });
                }
            } else {
                self.reconcile(child, orders, false, out);
            }
        }
    }

    fn oco_fill(
        &mut self,
        group: usize,
        id: ClientOrderId,
        quantity: i64,
        me: &Order,
        orders: &impl OrderLookup,
        out: &mut Vec<ContingencyAction>,
    ) {
        if me.status == OrderStatus::Filled {
            self.cancel_group(group, id, orders, out);
            return;
        }
        let n = self.groups.get(group).map_or(0, Vec::len);
        for i in 0..n {
            let sibling = self.groups[group][i];
            if sibling == id {
                continue;
            }
            let Some(o) = orders.get(sibling) else {
                continue;
            };
            if o.status.is_terminal() {
                continue;
            }
            if let Some(link) = self.links.get_mut(&sibling) {
                // May go below zero for a sibling still held: the quantity
                // it is released with later is net of what this fill took.
                link.target -= quantity;
            }
            self.reconcile(sibling, orders, false, out);
        }
    }

    /// Bring the working order `id` to its target: cancel it when the target
    /// is no more than its fills, modify it when the quantity differs.
    fn reconcile(
        &mut self,
        id: ClientOrderId,
        orders: &impl OrderLookup,
        after_modify_rejected: bool,
        out: &mut Vec<ContingencyAction>,
    ) {
        let (Some(link), Some(o)) = (self.links.get_mut(&id), orders.get(id)) else {
            return;
        };
        if o.status.is_terminal() || held(o) || pending(o) {
            return;
        }
        if link.target <= o.filled_qty {
            self.cancel(id, o, out);
        } else if link.target != o.request.quantity && !after_modify_rejected {
            link.modify_sent = true;
            out.push(ContingencyAction::Modify {
                id,
                quantity: link.target,
            });
        }
    }

    /// Forget an answered modify; whether it was ours.
    fn clear_modify_sent(&mut self, id: ClientOrderId) -> bool {
        self.links
            .get_mut(&id)
            .is_some_and(|l| std::mem::take(&mut l.modify_sent))
    }

    /// Issue a cancel for `id` unless it is closed, being cancelled, or was
    /// already asked to cancel (a refused cancel is not retried).
    fn cancel(&mut self, id: ClientOrderId, o: &Order, out: &mut Vec<ContingencyAction>) {
        if o.status.is_terminal() || o.status == OrderStatus::PendingCancel {
            return;
        }
        if let Some(link) = self.links.get_mut(&id) {
            if !link.cancel_sent {
                link.cancel_sent = true;
                out.push(ContingencyAction::Cancel { id });
            }
        }
    }

    fn cancel_held_children(
        &mut self,
        parent: ClientOrderId,
        orders: &impl OrderLookup,
        out: &mut Vec<ContingencyAction>,
    ) {
        for i in 0..self.children_of(parent).len() {
            let child = self.children_of(parent)[i];
            if let Some(c) = orders.get(child).filter(|c| held(c)) {
                self.cancel(child, c, out);
            }
        }
    }

    fn cancel_group(
        &mut self,
        group: usize,
        except: ClientOrderId,
        orders: &impl OrderLookup,
        out: &mut Vec<ContingencyAction>,
    ) {
        let n = self.groups.get(group).map_or(0, Vec::len);
        for i in 0..n {
            let m = self.groups[group][i];
            if m == except {
                continue;
            }
            if let Some(o) = orders.get(m) {
                self.cancel(m, o, out);
            }
        }
    }

    /// When every exit of a bracket is done while its entry still works,
    /// cancel the entry's remainder.
    fn close_finished_bracket(
        &mut self,
        parent: ClientOrderId,
        oco: Option<usize>,
        orders: &impl OrderLookup,
        out: &mut Vec<ContingencyAction>,
    ) {
        let Some(g) = oco else {
            return;
        };
        let children = self.children_of(parent);
        let Some(members) = self.groups.get(g) else {
            return;
        };
        // Only a bracket: the OCO group is exactly the parent's children.
        if members.len() != children.len() || !members.iter().all(|m| children.contains(m)) {
            return;
        }
        let done = members
            .iter()
            .all(|&m| orders.get(m).is_none_or(|o| o.status.is_terminal()));
        if let Some(p) = orders.get(parent).filter(|_| done) {
            self.cancel(parent, p, out);
        }
    }
}

/// The three requests of a bracket: an entry, a take-profit limit and a
/// stop-loss stop (market, or limit with [`Bracket::with_stop_limit`]), the
/// exits on the other side, reduce-only, GTC, for the entry's quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bracket {
    /// The entry order.
    pub entry: OrderRequest,
    /// Take-profit limit order (held until the entry fills).
    pub take_profit: OrderRequest,
    /// Stop-loss stop order (held until the entry fills).
    pub stop_loss: OrderRequest,
}

impl Bracket {
    /// A bracket around `entry` with a take-profit limit at
    /// `take_profit_price` and a stop-market triggered at `stop_loss_trigger`
    /// (raw prices). For a buy entry the stop must be below the take-profit
    /// (and the entry's limit or trigger price between them); for a sell,
    /// above.
    pub fn new(
        entry: OrderRequest,
        take_profit_price: i64,
        stop_loss_trigger: i64,
    ) -> Result<Self, ContingencyError> {
        if entry.quantity <= 0 {
            return Err(ContingencyError::BracketQuantity(entry.quantity));
        }
        let reference = if entry.order_type.has_limit_price() {
            entry.price
        } else {
            entry.trigger_price
        };
        let below = |lo: i64, hi: i64| lo < hi;
        let ok = match entry.side {
            OrderSide::Buy => {
                below(stop_loss_trigger, take_profit_price)
                    && reference
                        .is_none_or(|r| below(stop_loss_trigger, r) && below(r, take_profit_price))
            }
            OrderSide::Sell => {
                below(take_profit_price, stop_loss_trigger)
                    && reference
                        .is_none_or(|r| below(take_profit_price, r) && below(r, stop_loss_trigger))
            }
        };
        if !ok {
            return Err(ContingencyError::BracketPrices {
                side: entry.side.as_str(),
                stop_loss: stop_loss_trigger,
                take_profit: take_profit_price,
                entry: reference,
                relation: if entry.side == OrderSide::Buy {
                    "<"
                } else {
                    ">"
                },
            });
        }
        let exit = OrderRequest {
            side: entry.side.opposite(),
            time_in_force: TimeInForce::Gtc,
            expire_ts: None,
            reduce_only: true,
            post_only: false,
            ..OrderRequest::market(entry.instrument, entry.side.opposite(), entry.quantity)
        };
        let exit = OrderRequest {
            strategy: entry.strategy,
            ..exit
        };
        Ok(Self {
            entry,
            take_profit: OrderRequest {
                order_type: OrderType::Limit,
                price: Some(take_profit_price),
                ..exit
            },
            stop_loss: OrderRequest {
                order_type: OrderType::StopMarket,
                trigger_price: Some(stop_loss_trigger),
                ..exit
            },
        })
    }

    /// Make the stop-loss a stop-limit with limit price `limit` (raw).
    pub fn with_stop_limit(mut self, limit: i64) -> Self {
        self.stop_loss.order_type = OrderType::StopLimit;
        self.stop_loss.price = Some(limit);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::{LiquiditySide, OrderEventKind as E};

    use ContingencyAction::{Cancel, Modify, Submit};

    /// An order store, the manager, and a clock: events are applied to the
    /// order first, then shown to the manager, as the engine does.
    #[derive(Default)]
    struct Desk {
        orders: BTreeMap<ClientOrderId, Order>,
        manager: ContingencyManager,
        ts: i64,
    }

    impl Desk {
        fn add(&mut self, id: ClientOrderId, request: OrderRequest) {
            self.orders.insert(id, Order::new(id, request, 0));
        }

        fn event(&mut self, id: ClientOrderId, kind: E) -> Vec<ContingencyAction> {
            self.ts += 1;
            let event = OrderEvent {
                order_id: id,
                kind,
                ts: self.ts,
            };
            let applied = self.orders.get_mut(&id).map(|o| o.apply(&event));
            assert_eq!(applied, Some(Ok(())), "{event:?}");
            self.manager.on_event(&event, &self.orders)
        }

        /// Submit and accept: the order works at the venue.
        fn work(&mut self, id: ClientOrderId) -> Vec<ContingencyAction> {
            let mut actions = self.event(id, E::Submitted);
            actions.extend(self.event(id, E::Accepted));
            actions
        }

        fn fill(&mut self, id: ClientOrderId, quantity: i64) -> Vec<ContingencyAction> {
            self.event(
                id,
                E::Filled {
                    price: 100,
                    quantity,
                    liquidity: LiquiditySide::Taker,
                },
            )
        }

        fn status(&self, id: ClientOrderId) -> OrderStatus {
            self.orders[&id].status
        }

        fn quantity(&self, id: ClientOrderId) -> i64 {
            self.orders[&id].request.quantity
        }

        /// Carry the actions out the way the engine does, with the venue
        /// answering at once; returns the actions these answers caused.
        fn perform(&mut self, actions: Vec<ContingencyAction>) -> Vec<ContingencyAction> {
            let mut next = Vec::new();
            for action in actions {
                match action {
                    Submit { id, quantity } => {
                        if let Some(o) = self.orders.get_mut(&id) {
                            o.request.quantity = quantity;
                        }
                        next.extend(self.work(id));
                    }
                    Cancel { id } if self.status(id) == OrderStatus::Initialized => {
                        next.extend(self.event(id, E::Cancelled));
                    }
                    Cancel { id } => {
                        next.extend(self.event(id, E::PendingCancel));
                        next.extend(self.event(id, E::Cancelled));
                    }
                    Modify { id, quantity } => {
                        next.extend(self.event(id, E::PendingUpdate));
                        next.extend(self.event(
                            id,
                            E::Updated {
                                quantity,
                                price: None,
                                trigger_price: None,
                            },
                        ));
                    }
                }
            }
            next
        }

        /// Perform actions and the actions they cause until none are left.
        fn settle(&mut self, mut actions: Vec<ContingencyAction>) {
            for _ in 0..16 {
                if actions.is_empty() {
                    return;
                }
                actions = self.perform(actions);
            }
            panic!("contingency actions did not settle: {actions:?}");
        }
    }

    fn limit(side: OrderSide, quantity: i64, price: i64) -> OrderRequest {
        OrderRequest::limit(0, side, quantity, price)
    }

    /// Entry buy 10 @ 100 (id 1), take-profit sell 10 @ 110 (id 2),
    /// stop-loss sell 10 triggered at 90 (id 3); the entry works.
    fn bracket_desk() -> Desk {
        let mut desk = Desk::default();
        let b = Bracket::new(limit(OrderSide::Buy, 10, 100), 110, 90).unwrap();
        desk.add(1, b.entry);
        desk.add(2, b.take_profit);
        desk.add(3, b.stop_loss);
        desk.manager
            .register_bracket(1, 2, 3, &desk.orders)
            .unwrap();
        assert!(desk.work(1).is_empty());
        desk
    }

    #[test]
    fn oco_fill_of_one_cancels_the_other() {
        let mut desk = Desk::default();
        desk.add(1, limit(OrderSide::Buy, 5, 100));
        desk.add(2, limit(OrderSide::Buy, 5, 90));
        desk.manager.register_oco(&[1, 2], &desk.orders).unwrap();
        desk.work(1);
        desk.work(2);
        assert_eq!(desk.fill(1, 5), vec![Cancel { id: 2 }]);
    }

    #[test]
    fn oco_cancel_of_one_cancels_the_other() {
        let mut desk = Desk::default();
        desk.add(1, limit(OrderSide::Buy, 5, 100));
        desk.add(2, limit(OrderSide::Sell, 5, 120));
        desk.manager.register_oco(&[1, 2], &desk.orders).unwrap();
        desk.work(1);
        desk.work(2);
        assert!(desk.event(1, E::PendingCancel).is_empty());
        assert_eq!(desk.event(1, E::Cancelled), vec![Cancel { id: 2 }]);
    }

    #[test]
    fn oco_partial_fill_reduces_the_other_to_what_remains() {
        let mut desk = Desk::default();
        desk.add(1, limit(OrderSide::Sell, 10, 110));
        desk.add(2, limit(OrderSide::Sell, 10, 120));
        desk.manager.register_oco(&[1, 2], &desk.orders).unwrap();
        desk.work(1);
        desk.work(2);
        assert_eq!(desk.fill(1, 4), vec![Modify { id: 2, quantity: 6 }]);
    }

    #[test]
    fn oco_fills_racing_a_modify_leave_both_at_the_true_remainder() {
        // 10 to sell in one of two ways: 4 fill on order 1, and 3 on order 2
        // before order 2's reduction reaches the venue. 3 remain to sell.
        let mut desk = Desk::default();
        desk.add(1, limit(OrderSide::Sell, 10, 110));
        desk.add(2, limit(OrderSide::Sell, 10, 120));
        desk.manager.register_oco(&[1, 2], &desk.orders).unwrap();
        desk.work(1);
        desk.work(2);
        assert_eq!(desk.fill(1, 4), vec![Modify { id: 2, quantity: 6 }]);
        assert!(desk.event(2, E::PendingUpdate).is_empty());
        assert_eq!(desk.fill(2, 3), vec![Modify { id: 1, quantity: 7 }]);
        let updated = E::Updated {
            quantity: 6,
            price: None,
            trigger_price: None,
        };
        assert!(desk.event(2, updated).is_empty());
        desk.settle(vec![Modify { id: 1, quantity: 7 }]);
        assert_eq!(desk.orders[&1].leaves_qty(), 3);
        assert_eq!(desk.orders[&2].leaves_qty(), 3);
    }

    #[test]
    fn oto_children_are_held_until_the_parent_fills() {
        let mut desk = Desk::default();
        desk.add(1, limit(OrderSide::Buy, 10, 100));
        desk.add(2, limit(OrderSide::Sell, 10, 110));
        desk.manager.register_oto(1, &[2], &desk.orders).unwrap();
        assert!(desk.work(1).is_empty());
        assert_eq!(desk.status(2), OrderStatus::Initialized);
        assert_eq!(
            desk.fill(1, 10),
            vec![Submit {
                id: 2,
                quantity: 10
            }]
        );
    }

    #[test]
    fn oto_children_are_released_in_proportion_to_partial_fills() {
        let mut desk = Desk::default();
        desk.add(1, limit(OrderSide::Buy, 10, 100));
        desk.add(2, limit(OrderSide::Sell, 10, 110));
        desk.add(3, limit(OrderSide::Sell, 5, 120));
        desk.manager.register_oto(1, &[2, 3], &desk.orders).unwrap();
        desk.work(1);
        // 4 of 10: child 2 gets 4, child 3 floor(5 × 4 / 10) = 2.
        let first = desk.fill(1, 4);
        assert_eq!(
            first,
            vec![Submit { id: 2, quantity: 4 }, Submit { id: 3, quantity: 2 }]
        );
        desk.settle(first);
        // 10 of 10: both grow to their full quantities.
        assert_eq!(
            desk.fill(1, 6),
            vec![
                Modify {
                    id: 2,
                    quantity: 10
                },
                Modify { id: 3, quantity: 5 }
            ]
        );
    }

    #[test]
    fn oto_parent_rejected_cancels_the_held_children() {
        let mut desk = Desk::default();
        desk.add(1, limit(OrderSide::Buy, 10, 100));
        desk.add(2, limit(OrderSide::Sell, 10, 110));
        desk.add(3, limit(OrderSide::Sell, 10, 120));
        desk.manager.register_oto(1, &[2, 3], &desk.orders).unwrap();
        desk.event(1, E::Submitted);
        let rejected = E::Rejected {
            code: "POST_ONLY_WOULD_TAKE",
            message: "".into(),
        };
        let actions = desk.event(1, rejected);
        assert_eq!(actions, vec![Cancel { id: 2 }, Cancel { id: 3 }]);
        desk.settle(actions);
        assert_eq!(desk.status(2), OrderStatus::Cancelled);
        assert_eq!(desk.status(3), OrderStatus::Cancelled);
    }

    #[test]
    fn oto_parent_cancelled_after_a_partial_fill_keeps_released_children() {
        let mut desk = Desk::default();
        desk.add(1, limit(OrderSide::Buy, 10, 100));
        desk.add(2, limit(OrderSide::Sell, 10, 110));
        desk.manager.register_oto(1, &[2], &desk.orders).unwrap();
        desk.work(1);
        let released = desk.fill(1, 3);
        desk.settle(released);
        desk.event(1, E::PendingCancel);
        assert!(desk.event(1, E::Cancelled).is_empty());
        assert_eq!(desk.status(2), OrderStatus::Accepted);
        assert_eq!(desk.quantity(2), 3);
    }

    #[test]
    fn bracket_entry_fill_releases_take_profit_and_stop_loss() {
        let mut desk = bracket_desk();
        assert_eq!(
            desk.fill(1, 10),
            vec![
                Submit {
                    id: 2,
                    quantity: 10
                },
                Submit {
                    id: 3,
                    quantity: 10
                }
            ]
        );
    }

    #[test]
    fn bracket_take_profit_fill_cancels_the_stop_loss() {
        let mut desk = bracket_desk();
        let released = desk.fill(1, 10);
        desk.settle(released);
        assert_eq!(desk.fill(2, 10), vec![Cancel { id: 3 }]);
    }

    #[test]
    fn bracket_stop_loss_fill_cancels_the_take_profit() {
        let mut desk = bracket_desk();
        let released = desk.fill(1, 10);
        desk.settle(released);
        assert!(desk.event(3, E::Triggered).is_empty());
        assert_eq!(desk.fill(3, 10), vec![Cancel { id: 2 }]);
    }

    #[test]
    fn bracket_partial_take_profit_reduces_the_stop_loss() {
        let mut desk = bracket_desk();
        let released = desk.fill(1, 10);
        desk.settle(released);
        assert_eq!(desk.fill(2, 4), vec![Modify { id: 3, quantity: 6 }]);
    }

    #[test]
    fn bracket_exits_follow_entry_fills_net_of_exit_fills() {
        // Entry 4 -> exits 4; TP fills 2 -> SL 2; entry 3 more -> TP 7
        // (2 filled + 5 open), SL 5: both cover the 5 still held.
        let mut desk = bracket_desk();
        let released = desk.fill(1, 4);
        desk.settle(released);
        let reduced = desk.fill(2, 2);
        assert_eq!(reduced, vec![Modify { id: 3, quantity: 2 }]);
        desk.settle(reduced);
        let grown = desk.fill(1, 3);
        assert_eq!(
            grown,
            vec![Modify { id: 2, quantity: 7 }, Modify { id: 3, quantity: 5 }]
        );
        desk.settle(grown);
        assert_eq!(desk.orders[&2].leaves_qty(), 5);
        assert_eq!(desk.orders[&3].leaves_qty(), 5);
    }

    #[test]
    fn bracket_entry_rejected_cancels_both_held_exits() {
        let mut desk = Desk::default();
        let b = Bracket::new(limit(OrderSide::Buy, 10, 100), 110, 90).unwrap();
        desk.add(1, b.entry);
        desk.add(2, b.take_profit);
        desk.add(3, b.stop_loss);
        desk.manager
            .register_bracket(1, 2, 3, &desk.orders)
            .unwrap();
        desk.event(1, E::Submitted);
        let rejected = E::Rejected {
            code: "PRICE",
            message: "".into(),
        };
        let actions = desk.event(1, rejected);
        assert_eq!(actions, vec![Cancel { id: 2 }, Cancel { id: 3 }]);
        desk.settle(actions);
        assert_eq!(desk.status(2), OrderStatus::Cancelled);
        assert_eq!(desk.status(3), OrderStatus::Cancelled);
    }

    #[test]
    fn bracket_exit_done_on_a_partial_entry_cancels_the_entry_remainder() {
        let mut desk = bracket_desk();
        let released = desk.fill(1, 4);
        desk.settle(released);
        let cancel_sl = desk.fill(2, 4);
        assert_eq!(cancel_sl, vec![Cancel { id: 3 }]);
        desk.settle(cancel_sl);
        assert_eq!(desk.status(3), OrderStatus::Cancelled);
        assert_eq!(desk.status(1), OrderStatus::Cancelled);
    }

    #[test]
    fn cancel_is_never_issued_twice_for_one_order() {
        let mut desk = Desk::default();
        desk.add(1, limit(OrderSide::Buy, 5, 100));
        desk.add(2, limit(OrderSide::Buy, 5, 90));
        desk.add(3, limit(OrderSide::Buy, 5, 80));
        desk.manager.register_oco(&[1, 2, 3], &desk.orders).unwrap();
        desk.work(1);
        desk.work(2);
        desk.work(3);
        assert_eq!(desk.fill(1, 5), vec![Cancel { id: 2 }, Cancel { id: 3 }]);
        // Before the engine acts, order 2's own cancellation by the venue
        // would ask for 3 again: it is not repeated.
        desk.event(2, E::PendingCancel);
        assert!(desk.event(2, E::Cancelled).is_empty());
    }

    #[test]
    fn modify_deferred_while_a_request_is_in_flight() {
        let mut desk = Desk::default();
        desk.add(1, limit(OrderSide::Sell, 10, 110));
        desk.add(2, limit(OrderSide::Sell, 10, 120));
        desk.manager.register_oco(&[1, 2], &desk.orders).unwrap();
        desk.work(1);
        desk.work(2);
        desk.event(2, E::PendingUpdate);
        assert!(desk.fill(1, 4).is_empty());
        let rejected = E::ModifyRejected { message: "".into() };
        // The strategy's own modify was refused: the deferred reduction goes
        // out now (it is not a retry of a modify of ours).
        assert_eq!(desk.event(2, rejected), vec![Modify { id: 2, quantity: 6 }]);
    }

    #[test]
    fn registration_refuses_bad_links() {
        let mut desk = Desk::default();
        desk.add(1, limit(OrderSide::Buy, 5, 100));
        desk.add(2, limit(OrderSide::Sell, 5, 110));
        let m = &mut desk.manager;
        assert_eq!(
            m.register_oco(&[1, 1], &desk.orders),
            Err(ContingencyError::OcoTooSmall(vec![1, 1]))
        );
        assert_eq!(
            m.register_oto(1, &[9], &desk.orders),
            Err(ContingencyError::UnknownOrder(9))
        );
        m.register_oto(1, &[2], &desk.orders).unwrap();
        assert_eq!(
            m.register_oto(2, &[1], &desk.orders),
            Err(ContingencyError::Cycle {
                parent: 2,
                child: 1
            })
        );
        assert_eq!(
            m.register_oto(1, &[2], &desk.orders),
            Err(ContingencyError::AlreadyParent(1))
        );
    }

    #[test]
    fn bracket_refuses_a_stop_above_the_take_profit_of_a_buy() {
        let err = Bracket::new(limit(OrderSide::Buy, 1, 100), 90, 110).unwrap_err();
        assert!(err
            .to_string()
            .contains("stop-loss trigger 110 < take-profit 90"));
    }

    #[test]
    fn bracket_exits_are_reduce_only_on_the_other_side() {
        let b = Bracket::new(limit(OrderSide::Sell, 3, 100), 90, 110)
            .unwrap()
            .with_stop_limit(112);
        assert_eq!(b.take_profit.side, OrderSide::Buy);
        assert_eq!(b.take_profit.price, Some(90));
        assert_eq!(b.stop_loss.order_type, OrderType::StopLimit);
        assert_eq!(
            (b.stop_loss.trigger_price, b.stop_loss.price),
            (Some(110), Some(112))
        );
        assert!(b.take_profit.reduce_only && b.stop_loss.reduce_only);
        assert_eq!(b.stop_loss.quantity, 3);
    }

    /// Fill `id` by up to `quantity` if it can fill (stops trigger first).
    fn try_fill(desk: &mut Desk, id: ClientOrderId, quantity: i64) {
        let o = &desk.orders[&id];
        if !o.status.is_open() || o.status == OrderStatus::Submitted {
            return;
        }
        let q = quantity.min(o.leaves_qty());
        if o.request.order_type.has_trigger() && !o.triggered {
            let actions = desk.event(id, E::Triggered);
            desk.settle(actions);
        }
        let actions = desk.fill(id, q);
        desk.settle(actions);
    }

    proptest::proptest! {
        #[test]
        fn bracket_exits_always_cover_exactly_the_open_position(
            steps in proptest::collection::vec((0u8..3, 1i64..8), 1..30),
        ) {
            let mut desk = bracket_desk();
            for (who, quantity) in steps {
                try_fill(&mut desk, ClientOrderId::from(who) + 1, quantity);
                let (entry, tp, sl) = (&desk.orders[&1], &desk.orders[&2], &desk.orders[&3]);
                let position = entry.filled_qty - tp.filled_qty - sl.filled_qty;
                proptest::prop_assert!(position >= 0, "exits sold more than the entry bought");
                for exit in [tp, sl] {
                    if exit.status.is_open() {
                        proptest::prop_assert_eq!(exit.leaves_qty(), position);
                    }
                }
                if position == 0 && entry.filled_qty > 0 {
                    proptest::prop_assert!(!entry.status.is_open(), "{:?}", entry.status);
                }
            }
        }
    }
}

//! One order and its state machine.
//!
//! Every change to an order is an [`OrderEvent`]; [`Order::apply`] moves the
//! order along the legal transitions only and refuses anything else with an
//! [`OrderError`], so an engine bug shows up as an error rather than as an
//! order that is filled after it was cancelled.

use thiserror::Error;

use super::types::{
    ClientOrderId, ContingencyType, LiquiditySide, OrderRequest, OrderSide, OrderStatus, OrderType,
};
use crate::types::UnixNanos;

/// What happened to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEventKind {
    /// The risk engine refused it before it reached a venue.
    Denied {
        /// Stable reason code (e.g. `MAX_ORDER_NOTIONAL`).
        code: &'static str,
        /// Human message with the numbers.
        message: Box<str>,
    },
    /// Sent to the venue.
    Submitted,
    /// Acknowledged by the venue.
    Accepted,
    /// Refused by the venue.
    Rejected {
        /// Stable reason code (e.g. `POST_ONLY_WOULD_TAKE`).
        code: &'static str,
        /// Human message with the numbers.
        message: Box<str>,
    },
    /// A cancel request was sent.
    PendingCancel,
    /// A modify request was sent.
    PendingUpdate,
    /// The venue applied a modify.
    Updated {
        /// New total quantity (raw).
        quantity: i64,
        /// New limit price (raw), if any.
        price: Option<i64>,
        /// New trigger price (raw), if any.
        trigger_price: Option<i64>,
    },
    /// The venue refused a cancel (the order keeps working).
    CancelRejected {
        /// Why.
        message: Box<str>,
    },
    /// The venue refused a modify (the order keeps working unchanged).
    ModifyRejected {
        /// Why.
        message: Box<str>,
    },
    /// A stop / if-touched / trailing order's trigger was hit.
    Triggered,
    /// Some or all of the order executed.
    Filled {
        /// Execution price (raw).
        price: i64,
        /// Executed quantity (raw), > 0.
        quantity: i64,
        /// Maker or taker.
        liquidity: LiquiditySide,
    },
    /// Cancelled (by request, IOC remainder, OCO sibling, ...).
    Cancelled,
    /// Expired by its time in force.
    Expired,
}

impl OrderEventKind {
    /// `DENIED`, `FILLED`, ...: the event's name in tables and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Denied { .. } => "DENIED",
            Self::Submitted => "SUBMITTED",
            Self::Accepted => "ACCEPTED",
            Self::Rejected { .. } => "REJECTED",
            Self::PendingCancel => "PENDING_CANCEL",
            Self::PendingUpdate => "PENDING_UPDATE",
            Self::Updated { .. } => "UPDATED",
            Self::CancelRejected { .. } => "CANCEL_REJECTED",
            Self::ModifyRejected { .. } => "MODIFY_REJECTED",
            Self::Triggered => "TRIGGERED",
            Self::Filled { .. } => "FILLED",
            Self::Cancelled => "CANCELLED",
            Self::Expired => "EXPIRED",
        }
    }
}

/// An event about one order, at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEvent {
    /// The order.
    pub order_id: ClientOrderId,
    /// What happened.
    pub kind: OrderEventKind,
    /// When it happened (engine clock).
    pub ts: UnixNanos,
}

/// An event an order cannot take in its current state.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrderError {
    /// The transition is not in the state machine.
    #[error("order {order_id}: illegal transition {from} -> {event}")]
    IllegalTransition {
        /// The order.
        order_id: ClientOrderId,
        /// Its status before the event.
        from: &'static str,
        /// The event's name.
        event: &'static str,
    },
    /// A fill larger than what is left.
    #[error("order {order_id}: fill of {fill} exceeds leaves quantity {leaves}")]
    Overfill {
        /// The order.
        order_id: ClientOrderId,
        /// Quantity of the fill (raw).
        fill: i64,
        /// Quantity still open (raw).
        leaves: i64,
    },
    /// A modify to a quantity below what already filled.
    #[error("order {order_id}: new quantity {quantity} is below the filled quantity {filled}")]
    QuantityBelowFilled {
        /// The order.
        order_id: ClientOrderId,
        /// Requested quantity (raw).
        quantity: i64,
        /// Already filled (raw).
        filled: i64,
    },
}

/// An order: what was asked, where it is, and what has filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Client order id.
    pub id: ClientOrderId,
    /// The request as (last) modified: quantity and prices follow `Updated`.
    pub request: OrderRequest,
    /// Current status.
    pub status: OrderStatus,
    /// Status before the pending cancel/modify (restored when refused).
    pub status_before_pending: OrderStatus,
    /// Filled so far (raw).
    pub filled_qty: i64,
    /// Sum of price × quantity of the fills (raw × raw), for the exact average.
    pub filled_notional: i128,
    /// Contingency of this order towards `linked`.
    pub contingency: ContingencyType,
    /// Orders linked by `contingency` (OCO siblings or OTO children).
    pub linked: Vec<ClientOrderId>,
    /// The OTO parent that releases this order, if any.
    pub parent: Option<ClientOrderId>,
    /// Whether the trigger was hit (trigger orders only).
    pub triggered: bool,
    /// When it was created.
    pub ts_init: UnixNanos,
    /// When the last event happened.
    pub ts_last: UnixNanos,
}

impl Order {
    /// A new order in `Initialized` state.
    pub fn new(id: ClientOrderId, request: OrderRequest, ts_init: UnixNanos) -> Self {
        Self {
            id,
            request,
            status: OrderStatus::Initialized,
            status_before_pending: OrderStatus::Initialized,
            filled_qty: 0,
            filled_notional: 0,
            contingency: ContingencyType::None,
            linked: Vec::new(),
            parent: None,
            triggered: false,
            ts_init,
            ts_last: ts_init,
        }
    }

    /// Quantity still open (raw).
    #[inline]
    pub fn leaves_qty(&self) -> i64 {
        self.request.quantity - self.filled_qty
    }

    /// Buy or sell.
    #[inline]
    pub fn side(&self) -> OrderSide {
        self.request.side
    }

    /// Order type.
    #[inline]
    pub fn order_type(&self) -> OrderType {
        self.request.order_type
    }

    /// Average fill price as a float (None before the first fill).
    pub fn avg_px(&self) -> Option<f64> {
        (self.filled_qty > 0).then(|| self.filled_notional as f64 / self.filled_qty as f64)
    }

    /// Apply `event`: the order moves to its next status, or the event is
    /// refused and the order is left unchanged.
    pub fn apply(&mut self, event: &OrderEvent) -> Result<(), OrderError> {
        use OrderEventKind as E;
        use OrderStatus as S;
        let illegal = || OrderError::IllegalTransition {
            order_id: self.id,
            from: self.status.as_str(),
            event: event.kind.name(),
        };
        let from = self.status;
        let next = match (&event.kind, from) {
            (_, s) if s.is_terminal() => return Err(illegal()),
            (E::Denied { .. }, S::Initialized) => S::Denied,
            (E::Submitted, S::Initialized) => S::Submitted,
            (E::Accepted, S::Submitted) => S::Accepted,
            (E::Rejected { .. }, S::Submitted) => S::Rejected,
            // The venue's answer to the submit, overtaken by a cancel/modify
            // sent before that answer came back.
            (E::Accepted, S::PendingCancel | S::PendingUpdate)
                if self.status_before_pending == S::Submitted =>
            {
                from
            }
            (E::Rejected { .. }, S::PendingCancel | S::PendingUpdate)
                if self.status_before_pending == S::Submitted =>
            {
                S::Rejected
            }
            (E::PendingCancel, S::Submitted | S::Accepted | S::Triggered | S::PartiallyFilled)
            | (E::PendingCancel, S::PendingUpdate) => S::PendingCancel,
            (E::PendingUpdate, S::Submitted | S::Accepted | S::Triggered | S::PartiallyFilled) => {
                S::PendingUpdate
            }
            (E::Updated { .. }, S::PendingUpdate) => self.status_before_pending,
            (E::Updated { .. }, S::Accepted | S::Triggered | S::PartiallyFilled) => from,
            // A modify answered while a cancel sent after it waits.
            (E::Updated { .. } | E::ModifyRejected { .. }, S::PendingCancel) => from,
            (E::CancelRejected { .. }, S::PendingCancel) => self.status_before_pending,
            (E::ModifyRejected { .. }, S::PendingUpdate) => self.status_before_pending,
            (E::Triggered, S::Accepted | S::PendingUpdate | S::PendingCancel)
                if self.request.order_type.has_trigger() && !self.triggered =>
            {
                if from == S::Accepted {
                    S::Triggered
                } else {
                    from
                }
            }
            (
                E::Filled { .. },
                S::Submitted
                | S::Accepted
                | S::Triggered
                | S::PendingCancel
                | S::PendingUpdate
                | S::PartiallyFilled,
            ) => S::PartiallyFilled, // refined below once the quantity is checked
            (
                E::Cancelled,
                S::Initialized
                | S::Submitted
                | S::Accepted
                | S::Triggered
                | S::PendingCancel
                | S::PendingUpdate
                | S::PartiallyFilled,
            ) => S::Cancelled,
            (
                E::Expired,
                S::Accepted
                | S::Triggered
                | S::PendingCancel
                | S::PendingUpdate
                | S::PartiallyFilled,
            ) => S::Expired,
            _ => return Err(illegal()),
        };
        match &event.kind {
            E::Filled {
                price, quantity, ..
            } => {
                let leaves = self.leaves_qty();
                if *quantity <= 0 || *quantity > leaves {
                    return Err(OrderError::Overfill {
                        order_id: self.id,
                        fill: *quantity,
                        leaves,
                    });
                }
                self.filled_qty += quantity;
                self.filled_notional += *price as i128 * *quantity as i128;
                self.status = if self.filled_qty == self.request.quantity {
                    S::Filled
                } else if matches!(from, S::PendingCancel | S::PendingUpdate) {
                    // A fill that races a pending request leaves it pending;
                    // the request's answer restores the partially filled state.
                    self.status_before_pending = S::PartiallyFilled;
                    from
                } else {
                    S::PartiallyFilled
                };
            }
            E::Updated {
                quantity,
                price,
                trigger_price,
            } => {
                if *quantity < self.filled_qty || *quantity <= 0 {
                    return Err(OrderError::QuantityBelowFilled {
                        order_id: self.id,
                        quantity: *quantity,
                        filled: self.filled_qty,
                    });
                }
                self.request.quantity = *quantity;
                if price.is_some() {
                    self.request.price = *price;
                }
                if trigger_price.is_some() {
                    self.request.trigger_price = *trigger_price;
                }
                self.status = if self.filled_qty == *quantity {
                    S::Filled
                } else {
                    next
                };
            }
            E::Triggered => {
                self.triggered = true;
                if matches!(from, S::PendingCancel | S::PendingUpdate) {
                    self.status_before_pending = S::Triggered;
                }
                self.status = next;
            }
            E::Accepted if from != S::Submitted => {
                self.status_before_pending = S::Accepted;
                self.status = next;
            }
            E::PendingCancel | E::PendingUpdate => {
                if !matches!(from, S::PendingCancel | S::PendingUpdate) {
                    self.status_before_pending = from;
                }
                self.status = next;
            }
            _ => self.status = next,
        }
        self.ts_last = event.ts;
        Ok(())
    }
}

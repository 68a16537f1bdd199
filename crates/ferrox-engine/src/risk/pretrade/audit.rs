//! The audit trail of pre-trade decisions.
//!
//! Memory is bounded: passes are counted (per scope of the check, not per
//! order), denials and state changes are kept as full records up to
//! `max_records`; beyond it they are counted in `dropped` (and by code), so a
//! long run never grows without bound.

use super::config::{Scope, TradingState};
use crate::orders::ClientOrderId;
use crate::types::UnixNanos;

/// What the risk engine decided or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditKind {
    /// An order was denied.
    Denied {
        /// The order.
        order_id: ClientOrderId,
        /// Instrument index.
        instrument: u32,
        /// Stable reason code.
        code: &'static str,
        /// Message with the numbers.
        message: Box<str>,
    },
    /// A scope changed trading state (loss limit, kill switch, operator).
    StateChange {
        /// The scope.
        scope: Scope,
        /// State before.
        from: TradingState,
        /// State after.
        to: TradingState,
        /// Why (a reason code such as `KILL_SWITCH` or `MAX_DAILY_LOSS`).
        code: &'static str,
        /// Who asked (`risk-engine` for automatic changes).
        who: Box<str>,
        /// Human reason with the numbers.
        why: Box<str>,
        /// Working orders cancelled by the change.
        cancelled: u32,
    },
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Engine time.
    pub ts: UnixNanos,
    /// What happened.
    pub kind: AuditKind,
}

/// Every decision the risk engine took.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditTrail {
    /// Orders that passed every control.
    pub passed: u64,
    /// Orders denied.
    pub denied: u64,
    /// Denials by reason code (in first-seen order).
    pub denied_by_code: Vec<(&'static str, u64)>,
    /// Denials and state changes, oldest first (at most `max_records`).
    pub records: Vec<AuditRecord>,
    /// Records not kept because the buffer was full.
    pub dropped: u64,
    /// Capacity of `records`.
    pub max_records: usize,
}

impl AuditTrail {
    /// An empty trail keeping at most `max_records` records.
    pub fn new(max_records: usize) -> Self {
        Self {
            max_records,
            ..Self::default()
        }
    }

    pub(crate) fn push(&mut self, record: AuditRecord) {
        if self.records.len() < self.max_records {
            self.records.push(record);
        } else {
            self.dropped += 1;
        }
    }

    pub(crate) fn count_denial(&mut self, code: &'static str) {
        self.denied += 1;
        match self.denied_by_code.iter_mut().find(|(c, _)| *c == code) {
            Some((_, n)) => *n += 1,
            None => self.denied_by_code.push((code, 1)),
        }
    }
}

//! Execution algorithms run by the engine: TWAP.
//!
//! A TWAP ([`EngineCore::start_twap`]) is driven by the scheduler: each time
//! it wants to send a slice, a [`Due::Algorithms`] item is scheduled at that
//! time and the loop sends the due slices then (so TWAP wake-ups never reach
//! the strategy's `on_timer`). Its children are ordinary orders; their fills
//! and unfilled remainders are reported back to the TWAP, and a remainder goes
//! out again with the next slice.

use super::core::{EngineCore, EngineError};
use super::scheduler::Due;
use crate::book::L2Book;
use crate::orders::{ClientOrderId, OrderSide, OrderStatus, SliceStyle, Twap, TwapParams};
use crate::types::UnixNanos;

/// A TWAP the engine runs, with its child orders.
#[derive(Debug, Clone)]
pub(crate) struct TwapSlot {
    pub twap: Twap,
    pub children: Vec<ClientOrderId>,
    /// When its next wake-up is scheduled, if one is.
    pub wake: Option<UnixNanos>,
}

impl EngineCore {
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
    pub(super) fn arm_twap(&mut self, k: usize) {
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
}

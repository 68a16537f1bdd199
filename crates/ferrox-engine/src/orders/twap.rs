//! TWAP: a parent quantity worked as evenly spaced child orders.
//!
//! The window `[start, end)` is cut into `n` slices, slice `i` due at
//! `start + i × (end − start) / n` (or every `interval` from `start`). The
//! quantity is counted in lots: slice `i` brings the cumulative quantity to
//! `floor(lots × (i + 1) / n)` lots, so slice sizes differ by at most one lot
//! and the extra lots are spread evenly (not heaped on the last slice); any
//! part of the quantity finer than a lot goes out with the last slice, so the
//! slices always add up exactly to the parent quantity. Slices that would
//! carry zero lots (fewer lots than slices) are skipped.
//!
//! The algorithm is a clock-driven schedule and nothing else: the engine asks
//! [`Twap::next_wakeup`], calls [`Twap::on_timer`] then, submits the request
//! it returns, and reports fills ([`Twap::on_fill`]) and any child that ended
//! with quantity unfilled ([`Twap::on_child_closed`]: that quantity goes out
//! again with the next slice). A timer that fires late sends everything due
//! so far in one order.

use thiserror::Error;

use super::types::{OrderRequest, OrderSide, TimeInForce};
use crate::types::UnixNanos;

/// How the window is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwapSchedule {
    /// This many slices, evenly spaced over the window.
    Slices(u32),
    /// One slice every this many nanoseconds from the start (the last one
    /// before the end).
    Interval(i64),
}

/// What kind of child order a slice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SliceStyle {
    /// A market order.
    Market,
    /// A limit order at the reference price (see
    /// [`Twap::set_reference_price`]) moved by `offset` raw ticks towards
    /// the other side: a buy at `reference + offset`, a sell at
    /// `reference − offset` (positive crosses, negative rests behind).
    Limit {
        /// Offset from the reference price (raw).
        offset: i64,
        /// Time in force of each child.
        time_in_force: TimeInForce,
    },
}

/// What to execute and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwapParams {
    /// Instrument index.
    pub instrument: u32,
    /// Strategy index.
    pub strategy: u32,
    /// Buy or sell.
    pub side: OrderSide,
    /// Parent quantity (raw), > 0.
    pub quantity: i64,
    /// Window start (ns): the first slice is due then.
    pub start: UnixNanos,
    /// Window end (ns), after `start`.
    pub end: UnixNanos,
    /// Slices or interval.
    pub schedule: TwapSchedule,
    /// The instrument's lot size (raw size increment), > 0.
    pub lot_size: i64,
    /// Market or limit children.
    pub style: SliceStyle,
    /// Children are reduce-only.
    pub reduce_only: bool,
}

/// A TWAP that cannot be set up or fed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TwapError {
    /// Quantity must be positive.
    #[error("twap: quantity must be > 0, got {0}")]
    Quantity(i64),
    /// Lot size must be positive.
    #[error("twap: lot size must be > 0, got {0}")]
    LotSize(i64),
    /// The window is empty.
    #[error("twap: end {end} must be after start {start}")]
    Window {
        /// Start (ns).
        start: UnixNanos,
        /// End (ns).
        end: UnixNanos,
    },
    /// No slices.
    #[error("twap: need at least one slice, got {0}")]
    Slices(u32),
    /// Interval must be positive.
    #[error("twap: interval must be > 0 ns, got {0}")]
    Interval(i64),
    /// A fill beyond what was sent and not yet filled.
    #[error("twap: fill of {fill} exceeds the {open} sent and unfilled")]
    Overfill {
        /// Fill quantity (raw).
        fill: i64,
        /// Sent and not filled (raw).
        open: i64,
    },
    /// Unfilled quantity returned beyond what is sent and unfilled.
    #[error("twap: {returned} returned unfilled exceeds the {open} sent and unfilled")]
    OverReturn {
        /// Returned quantity (raw).
        returned: i64,
        /// Sent and not filled (raw).
        open: i64,
    },
}

/// A TWAP execution in progress.
#[derive(Debug, Clone)]
pub struct Twap {
    params: TwapParams,
    /// Number of slices.
    slices: u64,
    /// Index of the next slice not yet due.
    next: u64,
    /// Quantity in child orders, less what came back unfilled (raw).
    sent: i64,
    /// Quantity filled (raw).
    filled: i64,
    /// Price limit slices are placed around.
    reference: Option<i64>,
    cancelled: bool,
}

impl Twap {
    /// Check `params` and set up the schedule.
    pub fn new(params: TwapParams) -> Result<Self, TwapError> {
        if params.quantity <= 0 {
            return Err(TwapError::Quantity(params.quantity));
        }
        if params.lot_size <= 0 {
            return Err(TwapError::LotSize(params.lot_size));
        }
        if params.end <= params.start {
            return Err(TwapError::Window {
                start: params.start,
                end: params.end,
            });
        }
        let duration = params.end as i128 - params.start as i128;
        let slices = match params.schedule {
            TwapSchedule::Slices(0) => return Err(TwapError::Slices(0)),
            TwapSchedule::Slices(n) => u64::from(n),
            TwapSchedule::Interval(iv) if iv <= 0 => return Err(TwapError::Interval(iv)),
            // ceil(duration / interval): every slice time is before the end.
            TwapSchedule::Interval(iv) => {
                ((duration + iv as i128 - 1) / iv as i128).min(u64::MAX as i128) as u64
            }
        };
        Ok(Self {
            params,
            slices,
            next: 0,
            sent: 0,
            filled: 0,
            reference: None,
            cancelled: false,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &TwapParams {
        &self.params
    }

    /// Number of slices in the schedule (including any of zero lots).
    pub fn slice_count(&self) -> u64 {
        self.slices
    }

    /// When slice `i` is due (ns).
    pub fn slice_time(&self, i: u64) -> UnixNanos {
        let p = &self.params;
        match p.schedule {
            TwapSchedule::Interval(iv) => p.start.saturating_add((i as i64).saturating_mul(iv)),
            TwapSchedule::Slices(_) => {
                let duration = p.end as i128 - p.start as i128;
                (p.start as i128 + duration * i as i128 / self.slices as i128) as i64
            }
        }
    }

    /// The planned cumulative quantity once slice `i` has gone out (raw).
    pub fn planned_cumulative(&self, i: u64) -> i64 {
        let p = &self.params;
        if i + 1 >= self.slices {
            return p.quantity;
        }
        let lots = (p.quantity / p.lot_size) as i128;
        let cum_lots = lots * (i as i128 + 1) / self.slices as i128;
        (cum_lots * p.lot_size as i128) as i64
    }

    /// Planned size of slice `i` (raw; 0 for a skipped slice).
    pub fn planned_slice(&self, i: u64) -> i64 {
        let before = if i == 0 {
            0
        } else {
            self.planned_cumulative(i - 1)
        };
        self.planned_cumulative(i) - before
    }

    /// The first slice at or after `self.next` that would send something.
    fn next_sending_slice(&self) -> Option<u64> {
        if self.cancelled || self.next >= self.slices {
            return None;
        }
        // planned_cumulative is non-decreasing and reaches the quantity at
        // the last slice: binary search for the first one above `sent`.
        if self.planned_cumulative(self.slices - 1) <= self.sent {
            return None;
        }
        let (mut lo, mut hi) = (self.next, self.slices - 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.planned_cumulative(mid) > self.sent {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Some(lo)
    }

    /// When the algorithm next wants [`Self::on_timer`] (None when done or
    /// cancelled).
    pub fn next_wakeup(&self) -> Option<UnixNanos> {
        self.next_sending_slice().map(|i| self.slice_time(i))
    }

    /// Set the price limit slices are placed around (e.g. the best bid for a
    /// sell, the best ask for a buy).
    pub fn set_reference_price(&mut self, price: i64) {
        self.reference = Some(price);
    }

    /// The timer fired at `now`: the child order for every slice due, if it
    /// sends anything. A limit slice with no reference price yet sends
    /// nothing; its quantity goes out with the next slice.
    pub fn on_timer(&mut self, now: UnixNanos) -> Option<OrderRequest> {
        if self.cancelled || self.next >= self.slices || now < self.slice_time(self.next) {
            return None;
        }
        // The last slice due at `now`.
        let (mut lo, mut hi) = (self.next, self.slices - 1);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if self.slice_time(mid) <= now {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        self.next = lo + 1;
        let quantity = self.planned_cumulative(lo) - self.sent;
        if quantity <= 0 {
            return None;
        }
        let p = &self.params;
        let request = match p.style {
            SliceStyle::Market => OrderRequest::market(p.instrument, p.side, quantity),
            SliceStyle::Limit {
                offset,
                time_in_force,
            } => {
                let price = match p.side {
                    OrderSide::Buy => self.reference?.checked_add(offset)?,
                    OrderSide::Sell => self.reference?.checked_sub(offset)?,
                };
                OrderRequest {
                    time_in_force,
                    ..OrderRequest::limit(p.instrument, p.side, quantity, price)
                }
            }
        };
        self.sent += quantity;
        Some(OrderRequest {
            strategy: p.strategy,
            reduce_only: p.reduce_only,
            ..request
        })
    }

    /// A child filled `quantity` (raw).
    pub fn on_fill(&mut self, quantity: i64) -> Result<(), TwapError> {
        let open = self.sent - self.filled;
        if quantity <= 0 || quantity > open {
            return Err(TwapError::Overfill {
                fill: quantity,
                open,
            });
        }
        self.filled += quantity;
        Ok(())
    }

    /// A child ended (cancelled, expired, rejected) with `unfilled` (raw)
    /// not filled: it is sent again with the next slice.
    pub fn on_child_closed(&mut self, unfilled: i64) -> Result<(), TwapError> {
        let open = self.sent - self.filled;
        if unfilled < 0 || unfilled > open {
            return Err(TwapError::OverReturn {
                returned: unfilled,
                open,
            });
        }
        self.sent -= unfilled;
        Ok(())
    }

    /// Stop: no further slices. Children already sent are the engine's to
    /// cancel.
    pub fn cancel(&mut self) {
        self.cancelled = true;
    }

    /// Whether it was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled
    }

    /// Whether no further slice will go out (cancelled, or every slice done).
    pub fn is_done(&self) -> bool {
        self.next_sending_slice().is_none()
    }

    /// Quantity sent in children, net of what came back unfilled (raw).
    pub fn sent(&self) -> i64 {
        self.sent
    }

    /// Quantity filled (raw).
    pub fn filled(&self) -> i64 {
        self.filled
    }

    /// Quantity not yet filled (raw).
    pub fn remaining(&self) -> i64 {
        self.params.quantity - self.filled
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::orders::OrderType;

    fn params(quantity: i64, lot_size: i64, schedule: TwapSchedule) -> TwapParams {
        TwapParams {
            instrument: 3,
            strategy: 1,
            side: OrderSide::Buy,
            quantity,
            start: 1_000,
            end: 1_100,
            schedule,
            lot_size,
            style: SliceStyle::Market,
            reduce_only: false,
        }
    }

    /// Run the schedule on time: (wakeup, quantity) of every child.
    fn run(twap: &mut Twap) -> Vec<(i64, i64)> {
        let mut out = Vec::new();
        while let Some(t) = twap.next_wakeup() {
            let request = twap.on_timer(t).expect("a due slice sends an order");
            out.push((t, request.quantity));
        }
        out
    }

    #[test]
    fn slices_are_evenly_spaced_over_the_window() {
        let mut twap = Twap::new(params(400, 1, TwapSchedule::Slices(4))).unwrap();
        assert_eq!(
            run(&mut twap),
            vec![(1_000, 100), (1_025, 100), (1_050, 100), (1_075, 100)]
        );
        assert!(twap.is_done());
    }

    #[test]
    fn interval_schedule_sends_every_interval_before_the_end() {
        // 100 ns in 30 ns steps: 0, 30, 60, 90 -> four slices.
        let mut twap = Twap::new(params(8, 1, TwapSchedule::Interval(30))).unwrap();
        assert_eq!(
            run(&mut twap),
            vec![(1_000, 2), (1_030, 2), (1_060, 2), (1_090, 2)]
        );
    }

    #[test]
    fn extra_lots_are_spread_and_the_sub_lot_rest_goes_last() {
        // 1050 raw in lots of 100: 10 lots over 4 slices -> 2,3,2,3 lots,
        // and the 50 finer than a lot with the last slice.
        let mut twap = Twap::new(params(1_050, 100, TwapSchedule::Slices(4))).unwrap();
        let sizes: Vec<i64> = run(&mut twap).into_iter().map(|(_, q)| q).collect();
        assert_eq!(sizes, vec![200, 300, 200, 350]);
    }

    #[test]
    fn slices_of_zero_lots_are_skipped() {
        // 2 lots over 5 slices: cumulative 0,0,1,1,2 lots.
        let mut twap = Twap::new(params(2, 1, TwapSchedule::Slices(5))).unwrap();
        assert_eq!(run(&mut twap), vec![(1_040, 1), (1_080, 1)]);
    }

    #[test]
    fn a_late_timer_sends_everything_due_in_one_order() {
        let mut twap = Twap::new(params(400, 1, TwapSchedule::Slices(4))).unwrap();
        assert_eq!(twap.on_timer(1_060).map(|r| r.quantity), Some(300));
        assert_eq!(twap.next_wakeup(), Some(1_075));
    }

    #[test]
    fn a_timer_before_the_next_slice_sends_nothing() {
        let mut twap = Twap::new(params(400, 1, TwapSchedule::Slices(4))).unwrap();
        assert!(twap.on_timer(999).is_none());
        assert!(twap.on_timer(1_000).is_some());
        assert!(twap.on_timer(1_024).is_none());
        assert_eq!(twap.sent(), 100);
    }

    #[test]
    fn children_carry_the_parent_fields() {
        let mut twap = Twap::new(TwapParams {
            side: OrderSide::Sell,
            reduce_only: true,
            ..params(10, 1, TwapSchedule::Slices(2))
        })
        .unwrap();
        let child = twap.on_timer(1_000).unwrap();
        assert_eq!(
            (
                child.instrument,
                child.strategy,
                child.side,
                child.order_type
            ),
            (3, 1, OrderSide::Sell, OrderType::Market)
        );
        assert!(child.reduce_only);
    }

    #[test]
    fn limit_slices_are_placed_at_the_reference_plus_offset() {
        let style = SliceStyle::Limit {
            offset: 2,
            time_in_force: TimeInForce::Ioc,
        };
        let mut buy = Twap::new(TwapParams {
            style,
            ..params(10, 1, TwapSchedule::Slices(2))
        })
        .unwrap();
        buy.set_reference_price(500);
        let child = buy.on_timer(1_000).unwrap();
        assert_eq!(
            (child.price, child.time_in_force),
            (Some(502), TimeInForce::Ioc)
        );
        let mut sell = Twap::new(TwapParams {
            style,
            side: OrderSide::Sell,
            ..params(10, 1, TwapSchedule::Slices(2))
        })
        .unwrap();
        sell.set_reference_price(500);
        assert_eq!(sell.on_timer(1_000).unwrap().price, Some(498));
    }

    #[test]
    fn a_limit_slice_without_a_reference_rolls_into_the_next() {
        let style = SliceStyle::Limit {
            offset: 0,
            time_in_force: TimeInForce::Gtc,
        };
        let mut twap = Twap::new(TwapParams {
            style,
            ..params(10, 1, TwapSchedule::Slices(2))
        })
        .unwrap();
        assert!(twap.on_timer(1_000).is_none());
        twap.set_reference_price(500);
        assert_eq!(twap.on_timer(1_050).map(|r| r.quantity), Some(10));
    }

    #[test]
    fn fills_are_tracked_and_overfills_refused() {
        let mut twap = Twap::new(params(10, 1, TwapSchedule::Slices(2))).unwrap();
        twap.on_timer(1_000);
        twap.on_fill(3).unwrap();
        assert_eq!((twap.filled(), twap.remaining()), (3, 7));
        assert_eq!(
            twap.on_fill(3),
            Err(TwapError::Overfill { fill: 3, open: 2 })
        );
    }

    #[test]
    fn unfilled_child_quantity_goes_out_with_the_next_slice() {
        let mut twap = Twap::new(params(10, 1, TwapSchedule::Slices(2))).unwrap();
        twap.on_timer(1_000);
        twap.on_fill(3).unwrap();
        twap.on_child_closed(2).unwrap();
        assert_eq!(twap.on_timer(1_050).map(|r| r.quantity), Some(7));
    }

    #[test]
    fn cancel_stops_the_schedule() {
        let mut twap = Twap::new(params(10, 1, TwapSchedule::Slices(2))).unwrap();
        twap.on_timer(1_000);
        twap.cancel();
        assert_eq!(twap.next_wakeup(), None);
        assert!(twap.on_timer(1_050).is_none());
        assert!(twap.is_done() && twap.is_cancelled());
    }

    #[test]
    fn bad_parameters_are_refused_with_the_numbers() {
        let bad = |p: TwapParams| Twap::new(p).unwrap_err().to_string();
        assert_eq!(
            bad(params(0, 1, TwapSchedule::Slices(2))),
            "twap: quantity must be > 0, got 0"
        );
        assert_eq!(
            bad(params(5, 0, TwapSchedule::Slices(2))),
            "twap: lot size must be > 0, got 0"
        );
        assert_eq!(
            bad(params(5, 1, TwapSchedule::Slices(0))),
            "twap: need at least one slice, got 0"
        );
        assert_eq!(
            bad(params(5, 1, TwapSchedule::Interval(-5))),
            "twap: interval must be > 0 ns, got -5"
        );
        assert_eq!(
            bad(TwapParams {
                end: 1_000,
                ..params(5, 1, TwapSchedule::Slices(2))
            }),
            "twap: end 1000 must be after start 1000"
        );
    }

    proptest! {
        #[test]
        fn slices_add_up_exactly_in_whole_lots(
            lots in 0i64..5_000,
            rest in 0i64..100,
            lot_size in 1i64..1_000,
            slices in 1u32..300,
        ) {
            let quantity = lots * lot_size + rest % lot_size;
            prop_assume!(quantity > 0);
            // A window long enough that no two slices fall on the same ns
            // (those would go out as one order).
            let mut twap = Twap::new(TwapParams {
                end: 1_000 + 1_000_000,
                ..params(quantity, lot_size, TwapSchedule::Slices(slices))
            })
            .unwrap();
            let sent = run(&mut twap);
            prop_assert_eq!(sent.iter().map(|(_, q)| q).sum::<i64>(), quantity);
            prop_assert!(sent.len() as u64 <= u64::from(slices));
            let (last, body) = sent.split_last().unwrap();
            // Every slice is whole lots but the last, which carries the rest.
            for (_, q) in body {
                prop_assert_eq!(q % lot_size, 0);
            }
            prop_assert_eq!(last.1 % lot_size, quantity % lot_size);
            // Even spread: whole-lot parts differ by at most one lot.
            let parts: Vec<i64> = sent.iter().map(|(_, q)| q / lot_size).collect();
            let (lo, hi) = (parts.iter().min().unwrap(), parts.iter().max().unwrap());
            prop_assert!(hi - lo <= 1, "lots per slice {:?}", parts);
        }

        #[test]
        fn wakeups_are_increasing_and_inside_the_window(
            quantity in 1i64..10_000,
            start in -1_000_000i64..1_000_000,
            duration in 1i64..10_000_000,
            interval in 1i64..1_000_000,
        ) {
            let mut twap = Twap::new(TwapParams {
                start,
                end: start + duration,
                ..params(quantity, 1, TwapSchedule::Interval(interval))
            })
            .unwrap();
            let sent = run(&mut twap);
            prop_assert_eq!(sent.iter().map(|(_, q)| q).sum::<i64>(), quantity);
            // The first slice goes at the start unless it rounds to zero lots
            // (fewer lots than slices).
            prop_assert!(sent[0].0 >= start);
            if quantity as u64 >= twap.slice_count() {
                prop_assert_eq!(sent[0].0, start);
            }
            for pair in sent.windows(2) {
                prop_assert!(pair[0].0 < pair[1].0);
                prop_assert_eq!((pair[1].0 - start) % interval, 0);
            }
            prop_assert!(sent.iter().all(|(t, _)| *t < start + duration));
        }
    }
}

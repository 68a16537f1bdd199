//! Queue-position models for our resting orders in a historical L2 / L1 book.
//!
//! Market-by-price data only shows the total size at a level, so where our
//! order sits in the level's FIFO queue has to be estimated. The estimate is
//! `ahead`: the size we believe is in front of us. We join at the back
//! (`ahead` = the displayed size at our price when the order starts resting),
//! and the estimate only ever shrinks:
//!
//! - A **trade at our price** (on the side that can hit us) takes size from
//!   the front of the queue: `ahead -= trade size`; what the trade has left
//!   over once `ahead` reaches zero fills us (maker, at our price).
//! - A **level size decrease not explained by trades** is a cancellation
//!   somewhere in the queue. The models differ only here:
//!   - [`QueueModel::Conservative`] (default; hftbacktest's
//!     `RiskAdverseQueueModel`): cancellations are assumed to come from
//!     behind us, so `ahead` only drops when the level becomes smaller than
//!     it (`ahead = min(ahead, new size)`: the running minimum of the level).
//!   - [`QueueModel::PowerProb`] / [`QueueModel::LogProb`] (the estimator of
//!     Rigtorp's "estimate the position of our order in the book" answer, as
//!     hftbacktest's `ProbQueueModel` uses it): the decrease `chg` is split
//!     between the size in front (`front = ahead`) and behind
//!     (`back = previous size - ahead`). The share taken from behind is
//!     `p = f(back) / (f(front) + f(back))` with `f(x) = x^n` (power) or
//!     `f(x) = ln(1 + x)` (log), so an order near the front mostly sees
//!     cancellations behind it and an order at the back mostly in front.
//!     `ahead` becomes `front - (1 - p)·chg`, minus whatever `back` cannot
//!     absorb, capped at the new level size. The split is the expected value,
//!     not a draw, so runs are deterministic; it is rounded up (the
//!     conservative side) to whole raw size units. Trade volume printed at
//!     the level since its last size change is subtracted from the decrease
//!     first, so a trade is not counted twice (once as a trade and once when
//!     the feed shows the level shrink).
//! - A size increase queues behind us and never moves `ahead`.
//!
//! Quantities are raw `i64` sizes; only the probabilistic split uses `f64`.

/// How our position in a level's queue moves when the level shrinks.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum QueueModel {
    /// Cancellations come from behind us: `ahead` is the running minimum of
    /// the level's size (plus trades at our price).
    #[default]
    Conservative,
    /// Cancellations are split in front/behind with `f(x) = x^n`
    /// (`n = 1` uniform in the queue; larger `n` favours the back for an
    /// order near the front). `n` must be positive and finite.
    PowerProb {
        /// The exponent `n`.
        n: f64,
    },
    /// Cancellations are split in front/behind with `f(x) = ln(1 + x)`.
    LogProb,
}

impl QueueModel {
    /// Share of an unexplained decrease taken from behind us.
    #[inline]
    fn share_behind(self, front: f64, back: f64) -> f64 {
        let (ff, fb) = match self {
            Self::Conservative => return 1.0,
            Self::PowerProb { n } => (front.powf(n), back.powf(n)),
            Self::LogProb => (front.ln_1p(), back.ln_1p()),
        };
        let p = fb / (ff + fb);
        if p.is_finite() {
            p
        } else {
            // Both sides empty: nothing in front to take from.
            1.0
        }
    }

    /// Whether the model is valid (a positive, finite exponent).
    pub fn is_valid(self) -> bool {
        match self {
            Self::PowerProb { n } => n.is_finite() && n > 0.0,
            _ => true,
        }
    }
}

/// The queue estimate of one resting order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueuePos {
    /// Size estimated in front of us (raw).
    pub ahead: i64,
    /// Trade volume at our level since the level last changed size (raw).
    pub traded_since_change: i64,
}

/// `ahead` when the size at our price is not visible (an L1 quote whose best
/// is better than our price): effectively "everything"; the first time the
/// level is seen its size caps it.
pub const UNKNOWN_AHEAD: i64 = i64::MAX / 4;

impl QueuePos {
    /// Joining the back of a level that shows `displayed` size.
    #[inline]
    pub fn join(displayed: i64) -> Self {
        Self {
            ahead: displayed.max(0),
            traded_since_change: 0,
        }
    }

    /// A trade of `size` at our price: returns the part of the trade that
    /// reaches us (the excess over what was ahead), 0 if none.
    #[inline]
    pub fn on_trade(&mut self, size: i64) -> i64 {
        self.traded_since_change = self.traded_since_change.saturating_add(size);
        let excess = size - self.ahead;
        self.ahead = (self.ahead - size).max(0);
        excess.max(0)
    }

    /// The level at our price changed from `prev` to `new` size.
    #[inline]
    pub fn on_depth(&mut self, model: QueueModel, prev: i64, new: i64) {
        let new = new.max(0);
        let chg = prev - new - self.traded_since_change;
        self.traded_since_change = 0;
        if chg <= 0 || matches!(model, QueueModel::Conservative) || self.ahead >= UNKNOWN_AHEAD {
            self.ahead = self.ahead.min(new);
            return;
        }
        let front = self.ahead as f64;
        let back = (prev - self.ahead).max(0) as f64;
        let chg = chg as f64;
        let p = model.share_behind(front, back);
        let est = front - (1.0 - p) * chg + (back - p * chg).min(0.0);
        let est = est.ceil().max(0.0);
        // `est <= front`, which is an i64, so the conversion is exact enough.
        self.ahead = (est as i64).min(self.ahead).min(new);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conservative_takes_cancellations_from_behind() {
        let mut q = QueuePos::join(20);
        q.on_depth(QueueModel::Conservative, 20, 15);
        assert_eq!(q.ahead, 15);
        q.on_depth(QueueModel::Conservative, 15, 30);
        assert_eq!(q.ahead, 15);
    }

    #[test]
    fn trades_fill_the_excess_over_ahead() {
        let mut q = QueuePos::join(10);
        assert_eq!(q.on_trade(4), 0);
        assert_eq!(q.ahead, 6);
        assert_eq!(q.on_trade(9), 3);
        assert_eq!(q.ahead, 0);
    }

    #[test]
    fn probabilistic_split_for_uniform_power_one() {
        // front 10, back 10, n = 1: p = 1/2, a decrease of 4 takes 2 in front.
        let mut q = QueuePos::join(10);
        q.on_depth(QueueModel::PowerProb { n: 1.0 }, 20, 16);
        assert_eq!(q.ahead, 8);
    }

    #[test]
    fn probabilistic_does_not_count_a_trade_twice() {
        let mut q = QueuePos::join(10);
        q.on_trade(4); // ahead 6
                       // The feed then shows the level drop by the traded 4: no cancellation.
        q.on_depth(QueueModel::PowerProb { n: 2.0 }, 20, 16);
        assert_eq!(q.ahead, 6);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn model() -> impl Strategy<Value = QueueModel> {
            prop_oneof![
                Just(QueueModel::Conservative),
                (0.1f64..5.0).prop_map(|n| QueueModel::PowerProb { n }),
                Just(QueueModel::LogProb),
            ]
        }

        proptest! {
            // Whatever the feed does, the estimate never grows, never exceeds
            // the level, and never goes below zero.
            #[test]
            fn ahead_only_shrinks_and_stays_within_the_level(
                model in model(),
                start in 0i64..50,
                ops in proptest::collection::vec((any::<bool>(), 0i64..60), 0..60),
            ) {
                let mut q = QueuePos::join(start);
                let mut level = start;
                for (is_trade, x) in ops {
                    let before = q.ahead;
                    if is_trade {
                        let reached = q.on_trade(x);
                        prop_assert!(reached <= x);
                    } else {
                        q.on_depth(model, level, x);
                        level = x;
                        prop_assert!(q.ahead <= level);
                    }
                    prop_assert!(q.ahead <= before && q.ahead >= 0);
                }
            }

            // A cancellation-only decrease never moves the probabilistic
            // estimate less than the conservative one.
            #[test]
            fn probabilistic_is_never_behind_conservative(
                n in 0.1f64..5.0, start in 0i64..50, extra in 0i64..50, new in 0i64..100,
            ) {
                let prev = start + extra;
                let (mut c, mut p) = (QueuePos::join(start), QueuePos::join(start));
                c.on_depth(QueueModel::Conservative, prev, new);
                p.on_depth(QueueModel::PowerProb { n }, prev, new);
                prop_assert!(p.ahead <= c.ahead);
            }
        }
    }

    #[test]
    fn at_the_front_cancellations_are_behind() {
        let mut q = QueuePos::join(0);
        q.on_depth(QueueModel::LogProb, 10, 3);
        assert_eq!(q.ahead, 0);
    }
}

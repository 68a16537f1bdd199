//! Venue synchronisation rules: when an L2 book built from diffs is exact.
//!
//! A diff stream is only meaningful on top of a snapshot and only while no
//! diff is missing. [`SyncedBook`] applies the venue's rules and keeps the
//! outcome visible as a [`SyncState`], never silently wrong:
//!
//! - **Binance USD-M / COIN-M futures**: each diff's `pu` equals the previous
//!   diff's `u`; the first diff applied after a snapshot has
//!   `U <= lastUpdateId <= u`; diffs with `u < lastUpdateId` are already in
//!   the snapshot and are dropped.
//! - **Binance spot**: each diff's `U` equals the previous `u + 1`; the first
//!   applied has `U <= lastUpdateId + 1 <= u`; diffs with `u <= lastUpdateId`
//!   are dropped.
//! - **Sequenced**: deltas are applied as they come (Tardis, Databento
//!   snapshots + live); only a crossed book is flagged.
//!
//! Diffs that arrive while the book is unsynced (before the first snapshot,
//! or after a gap) are buffered, newest kept when the bound is reached, and
//! replayed by these rules when a snapshot arrives, as Binance's own
//! procedure asks: a capture subscribes to the diffs, then fetches the
//! snapshot. A gap, or a book left crossed at the end of a batch, moves the
//! book to `Unsynced` with the reason until a snapshot resynchronises it.

use std::collections::VecDeque;
use std::fmt;

use super::l2::L2Book;
use crate::types::{BookAction, BookDelta, FLAG_LAST, FLAG_SNAPSHOT};

/// Which continuity rule the feed follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncRule {
    /// Binance futures: `pu` chains to the previous `u`.
    BinanceFutures,
    /// Binance spot: `U` follows the previous `u` by one.
    BinanceSpot,
    /// Apply in order; no id checks.
    Sequenced,
}

/// Why a book is not (yet) exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsyncedReason {
    /// No snapshot has been seen yet.
    AwaitingSnapshot,
    /// A diff is missing: expected this id, got another.
    Gap {
        /// The id the rule expected (`pu` or `U`).
        expected: u64,
        /// The id that arrived.
        got: u64,
    },
    /// The first diff after the snapshot does not cover it.
    SnapshotNotBridged {
        /// The snapshot's last update id.
        snapshot_id: u64,
        /// `U` of the first live diff.
        first_update_id: u64,
    },
    /// Best bid at or above best ask at the end of a batch.
    Crossed {
        /// Raw best bid price.
        bid: i64,
        /// Raw best ask price.
        ask: i64,
    },
}

impl fmt::Display for UnsyncedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AwaitingSnapshot => write!(f, "awaiting snapshot"),
            Self::Gap { expected, got } => write!(f, "gap: expected id {expected}, got {got}"),
            Self::SnapshotNotBridged {
                snapshot_id,
                first_update_id,
            } => write!(
                f,
                "first diff U={first_update_id} is past snapshot lastUpdateId={snapshot_id}"
            ),
            Self::Crossed { bid, ask } => write!(f, "crossed: bid {bid} >= ask {ask}"),
        }
    }
}

/// Whether the book can be trusted right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// Exact: every diff since the snapshot is applied.
    Synced,
    /// Snapshot applied; waiting for the diff that bridges it.
    AwaitingBridge,
    /// Not exact, with the reason.
    Unsynced(UnsyncedReason),
}

impl SyncState {
    /// A small code for columnar output: 0 synced, 1 awaiting bridge, 2 unsynced.
    pub fn code(self) -> u8 {
        match self {
            Self::Synced => 0,
            Self::AwaitingBridge => 1,
            Self::Unsynced(_) => 2,
        }
    }
}

impl fmt::Display for SyncState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Synced => write!(f, "synced"),
            Self::AwaitingBridge => write!(f, "awaiting bridge"),
            Self::Unsynced(reason) => write!(f, "unsynced ({reason})"),
        }
    }
}

/// What applying one delta did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Applied to the book.
    Applied,
    /// Dropped: already contained in the snapshot.
    Stale,
    /// Held (the book is unsynced) until a snapshot arrives.
    Buffered,
}

/// Most diff rows buffered while the book is unsynced (the oldest go first).
pub const MAX_BUFFERED_DELTAS: usize = 1 << 20;

/// An L2 book that follows a venue's synchronisation rule.
#[derive(Debug, Clone)]
pub struct SyncedBook {
    book: L2Book,
    rule: SyncRule,
    state: SyncState,
    /// `u` of the last applied diff (or the snapshot's lastUpdateId).
    last_update_id: u64,
    /// Decision for the diff currently being applied, reused for its rows.
    current: Option<(u64, Applied)>,
    in_snapshot: bool,
    pending: VecDeque<BookDelta>,
}

impl SyncedBook {
    /// A book following `rule`, awaiting its first snapshot.
    pub fn new(rule: SyncRule) -> Self {
        let state = match rule {
            SyncRule::Sequenced => SyncState::Synced,
            _ => SyncState::Unsynced(UnsyncedReason::AwaitingSnapshot),
        };
        Self {
            book: L2Book::new(),
            rule,
            state,
            last_update_id: 0,
            current: None,
            in_snapshot: false,
            pending: VecDeque::new(),
        }
    }

    /// The book as it stands.
    pub fn book(&self) -> &L2Book {
        &self.book
    }

    /// The book, mutable for own-order tracking (`join_queue`, `leave_queue`).
    pub fn book_mut(&mut self) -> &mut L2Book {
        &mut self.book
    }

    /// The sync state.
    pub fn state(&self) -> SyncState {
        self.state
    }

    /// The last applied update id.
    pub fn last_update_id(&self) -> u64 {
        self.last_update_id
    }

    /// Applies one delta by the rule; returns what happened to it.
    pub fn apply(&mut self, delta: &BookDelta) -> Applied {
        if delta.flags & FLAG_SNAPSHOT != 0 {
            self.apply_snapshot_row(delta);
            return Applied::Applied;
        }
        if self.rule == SyncRule::Sequenced {
            self.book.apply(delta);
            self.last_update_id = delta.sequence;
            self.end_of_batch(delta);
            return Applied::Applied;
        }
        let decision = match self.current {
            Some((seq, decision)) if seq == delta.sequence => decision,
            _ => self.decide(delta),
        };
        self.current = Some((delta.sequence, decision));
        match decision {
            Applied::Applied => {
                self.book.apply(delta);
                self.end_of_batch(delta);
            }
            Applied::Buffered => {
                if self.pending.len() >= MAX_BUFFERED_DELTAS {
                    // Only the newest diffs can bridge a snapshot still to come.
                    self.pending.pop_front();
                }
                self.pending.push_back(*delta);
            }
            Applied::Stale => {}
        }
        if delta.flags & FLAG_LAST != 0 {
            self.current = None;
        }
        decision
    }

    fn apply_snapshot_row(&mut self, delta: &BookDelta) {
        if !self.in_snapshot {
            // A snapshot replaces the book even without a leading Clear.
            self.book.clear();
            self.in_snapshot = true;
        }
        if delta.action != BookAction::Clear {
            self.book.apply(delta);
        }
        if delta.flags & FLAG_LAST != 0 {
            self.in_snapshot = false;
            self.last_update_id = delta.sequence;
            self.current = None;
            self.state = match self.rule {
                SyncRule::Sequenced => SyncState::Synced,
                _ => SyncState::AwaitingBridge,
            };
            // Replay diffs that arrived before the snapshot.
            let pending = std::mem::take(&mut self.pending);
            for buffered in &pending {
                self.apply(buffered);
            }
            if self.rule == SyncRule::Sequenced {
                self.end_of_batch(delta);
            }
        }
    }

    /// Decides, on the first row of a diff, whether the diff applies.
    fn decide(&mut self, d: &BookDelta) -> Applied {
        let spot = self.rule == SyncRule::BinanceSpot;
        match self.state {
            // Unsynced for any reason: keep the diffs, the next snapshot may
            // need those that arrived before it (captures subscribe first,
            // then fetch the snapshot).
            SyncState::Unsynced(_) => Applied::Buffered,
            SyncState::AwaitingBridge => {
                let snap = self.last_update_id;
                let stale = if spot {
                    d.sequence <= snap
                } else {
                    d.sequence < snap
                };
                if stale {
                    return Applied::Stale;
                }
                let target = if spot { snap + 1 } else { snap };
                if d.first_update_id <= target {
                    self.state = SyncState::Synced;
                    self.last_update_id = d.sequence;
                    Applied::Applied
                } else {
                    self.state = SyncState::Unsynced(UnsyncedReason::SnapshotNotBridged {
                        snapshot_id: snap,
                        first_update_id: d.first_update_id,
                    });
                    Applied::Buffered
                }
            }
            SyncState::Synced => {
                let (expected, got) = if spot {
                    (self.last_update_id + 1, d.first_update_id)
                } else {
                    (self.last_update_id, d.prev_update_id)
                };
                if got == expected {
                    self.last_update_id = d.sequence;
                    Applied::Applied
                } else {
                    self.state = SyncState::Unsynced(UnsyncedReason::Gap { expected, got });
                    Applied::Buffered
                }
            }
        }
    }

    fn end_of_batch(&mut self, delta: &BookDelta) {
        if delta.flags & FLAG_LAST == 0 {
            return;
        }
        if let (Some(b), Some(a)) = (self.book.best_bid(), self.book.best_ask()) {
            if b.price >= a.price && self.state == SyncState::Synced {
                self.state = SyncState::Unsynced(UnsyncedReason::Crossed {
                    bid: b.price,
                    ask: a.price,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{BookAction as A, BookSide as S};

    fn snap(id: u64, levels: &[(S, i64, i64)]) -> Vec<BookDelta> {
        let mut out = vec![BookDelta {
            action: A::Clear,
            sequence: id,
            flags: FLAG_SNAPSHOT,
            ..BookDelta::default()
        }];
        for &(side, price, size) in levels {
            out.push(BookDelta {
                action: A::Add,
                side,
                price,
                size,
                sequence: id,
                flags: FLAG_SNAPSHOT,
                ..BookDelta::default()
            });
        }
        if let Some(last) = out.last_mut() {
            last.flags |= FLAG_LAST;
        }
        out
    }

    fn diff(first: u64, last: u64, prev: u64, side: S, price: i64, size: i64) -> BookDelta {
        BookDelta {
            action: if size == 0 { A::Delete } else { A::Update },
            side,
            price,
            size,
            sequence: last,
            first_update_id: first,
            prev_update_id: prev,
            flags: FLAG_LAST,
            ..BookDelta::default()
        }
    }

    #[test]
    fn futures_buffers_diffs_then_bridges_the_snapshot() {
        let mut book = SyncedBook::new(SyncRule::BinanceFutures);
        assert_eq!(book.apply(&diff(1, 5, 0, S::Bid, 99, 1)), Applied::Buffered);
        assert_eq!(
            book.apply(&diff(6, 12, 5, S::Bid, 100, 3)),
            Applied::Buffered
        );
        for d in snap(10, &[(S::Bid, 98, 1), (S::Ask, 101, 2)]) {
            book.apply(&d);
        }
        // The diff ending at 5 was stale; the one covering 10 bridged.
        assert_eq!(book.state(), SyncState::Synced);
        assert_eq!(book.book().best_bid().map(|l| l.price), Some(100));
        assert_eq!(book.book().bids().size_at(99), 0);
        assert_eq!(
            book.apply(&diff(13, 15, 12, S::Ask, 101, 0)),
            Applied::Applied
        );
        assert_eq!(book.book().best_ask(), None);
    }

    #[test]
    fn futures_gap_is_visible_until_the_next_snapshot() {
        let mut book = SyncedBook::new(SyncRule::BinanceFutures);
        for d in snap(10, &[(S::Bid, 98, 1), (S::Ask, 101, 2)]) {
            book.apply(&d);
        }
        book.apply(&diff(9, 11, 8, S::Bid, 99, 1));
        assert_eq!(book.state(), SyncState::Synced);
        book.apply(&diff(14, 15, 13, S::Bid, 97, 1));
        assert_eq!(
            book.state(),
            SyncState::Unsynced(UnsyncedReason::Gap {
                expected: 11,
                got: 13
            })
        );
        assert_eq!(
            book.apply(&diff(16, 17, 15, S::Bid, 96, 1)),
            Applied::Buffered
        );
        for d in snap(20, &[(S::Bid, 90, 1), (S::Ask, 91, 2)]) {
            book.apply(&d);
        }
        assert_eq!(book.state(), SyncState::AwaitingBridge);
        book.apply(&diff(19, 21, 17, S::Bid, 90, 5));
        assert_eq!(book.state(), SyncState::Synced);
    }

    #[test]
    fn diffs_buffered_after_a_gap_bridge_the_next_snapshot() {
        // A second capture's diffs arrive before its snapshot, while the book
        // still holds the first capture: they are kept and bridge the snapshot.
        let mut book = SyncedBook::new(SyncRule::BinanceFutures);
        for d in snap(10, &[(S::Bid, 98, 1), (S::Ask, 101, 2)]) {
            book.apply(&d);
        }
        book.apply(&diff(9, 11, 8, S::Bid, 99, 1));
        assert_eq!(
            book.apply(&diff(500, 510, 499, S::Bid, 50, 1)),
            Applied::Buffered
        );
        assert_eq!(
            book.apply(&diff(511, 530, 510, S::Bid, 51, 1)),
            Applied::Buffered
        );
        for d in snap(520, &[(S::Bid, 49, 1), (S::Ask, 60, 2)]) {
            book.apply(&d);
        }
        assert_eq!(book.state(), SyncState::Synced);
        assert_eq!(book.last_update_id(), 530);
        assert_eq!(book.book().best_bid().map(|l| l.price), Some(51));
    }

    #[test]
    fn spot_requires_consecutive_ids() {
        let mut book = SyncedBook::new(SyncRule::BinanceSpot);
        for d in snap(10, &[(S::Bid, 98, 1), (S::Ask, 101, 2)]) {
            book.apply(&d);
        }
        assert_eq!(book.apply(&diff(5, 10, 0, S::Bid, 1, 1)), Applied::Stale);
        assert_eq!(
            book.apply(&diff(11, 13, 0, S::Bid, 99, 1)),
            Applied::Applied
        );
        assert_eq!(
            book.apply(&diff(14, 14, 0, S::Bid, 99, 2)),
            Applied::Applied
        );
        book.apply(&diff(16, 17, 0, S::Bid, 99, 2));
        assert!(matches!(
            book.state(),
            SyncState::Unsynced(UnsyncedReason::Gap {
                expected: 15,
                got: 16
            })
        ));
    }

    #[test]
    fn crossed_book_is_flagged() {
        let mut book = SyncedBook::new(SyncRule::BinanceFutures);
        for d in snap(10, &[(S::Bid, 98, 1), (S::Ask, 101, 2)]) {
            book.apply(&d);
        }
        book.apply(&diff(10, 11, 9, S::Bid, 102, 1));
        assert!(matches!(
            book.state(),
            SyncState::Unsynced(UnsyncedReason::Crossed { .. })
        ));
    }
}

//! Order books: L2 (market-by-price) with venue synchronisation rules.

pub mod l2;
pub mod sync;

pub use l2::{BookLadder, L2Book, Level};
pub use sync::{Applied, SyncRule, SyncState, SyncedBook, UnsyncedReason};

//! Order books: L2 (market-by-price) with venue synchronisation rules, and L3
//! (market-by-order) with queue positions.

pub mod l2;
pub mod l3;
pub mod sync;

pub use l2::{BookLadder, L2Book, Level};
pub use l3::{L3Book, L3Error, QueuePosition};
pub use sync::{Applied, SyncRule, SyncState, SyncedBook, UnsyncedReason};

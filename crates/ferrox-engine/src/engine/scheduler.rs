//! Things due at a time: commands reaching a venue, venue answers reaching
//! the strategy, timers, and (with a feed latency) records reaching the
//! strategy. Equal times keep the order they were scheduled in,
//! so the run is deterministic.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::matching::VenueCommand;
use crate::orders::OrderEvent;
use crate::types::UnixNanos;

/// Something the engine must do at a time.
#[derive(Debug, Clone)]
pub enum Due {
    /// A command arrives at the venue of `instrument`.
    AtVenue {
        /// Instrument index (one venue per instrument).
        instrument: u32,
        /// The command.
        command: VenueCommand,
    },
    /// A venue's answer (or a local event) reaches the strategy.
    ToStrategy(OrderEvent),
    /// A strategy timer fires.
    Timer {
        /// The timer's id.
        id: u64,
    },
    /// Execution algorithms (TWAP) have slices due; never reaches `on_timer`.
    Algorithms,
    /// Wake the venue of `instrument` (an order may expire).
    WakeVenue {
        /// Instrument index.
        instrument: u32,
    },
    /// A record the venue already saw reaches the strategy (feed latency):
    /// row `row` of feed stream `stream`.
    Data {
        /// Stream index, in the order the streams were added to the feed.
        stream: usize,
        /// Row within the stream.
        row: usize,
    },
}

#[derive(Debug)]
struct Entry {
    ts: UnixNanos,
    seq: u64,
    due: Due,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.ts, self.seq) == (other.ts, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    // Reversed: BinaryHeap is a max-heap and we want the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.ts, other.seq).cmp(&(self.ts, self.seq))
    }
}

/// A time-ordered queue of [`Due`] items, FIFO among equal times.
#[derive(Debug, Default)]
pub struct Scheduler {
    heap: BinaryHeap<Entry>,
    seq: u64,
}

impl Scheduler {
    /// An empty scheduler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `due` at `ts`.
    #[inline]
    pub fn push(&mut self, ts: UnixNanos, due: Due) {
        self.seq += 1;
        self.heap.push(Entry {
            ts,
            seq: self.seq,
            due,
        });
    }

    /// Time of the earliest item.
    #[inline]
    pub fn peek_ts(&self) -> Option<UnixNanos> {
        self.heap.peek().map(|e| e.ts)
    }

    /// Takes the earliest item if it is due at or before `ts`.
    #[inline]
    pub fn pop_due(&mut self, ts: UnixNanos) -> Option<(UnixNanos, Due)> {
        if self.heap.peek()?.ts <= ts {
            self.heap.pop().map(|e| (e.ts, e.due))
        } else {
            None
        }
    }

    /// Number of items waiting.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_equal_times_pop_in_scheduling_order() {
        let mut s = Scheduler::new();
        s.push(5, Due::Timer { id: 1 });
        s.push(3, Due::Timer { id: 2 });
        s.push(5, Due::Timer { id: 3 });
        let mut ids = Vec::new();
        while let Some((_, Due::Timer { id })) = s.pop_due(10) {
            ids.push(id);
        }
        assert_eq!(ids, [2, 1, 3]);
        assert!(s.pop_due(10).is_none());
    }
}

//! Sliding-window rate counters on the engine clock.

use crate::types::UnixNanos;

/// Counts events in the last `window` ns with a ring of the latest `limit`
/// timestamps: the limit is reached when the ring is full and its oldest
/// entry is still inside the window. O(1), no allocation after creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    limit: u32,
    window: i64,
    ring: Vec<UnixNanos>,
    head: usize,
    len: usize,
}

impl RateLimit {
    /// At most `limit` events per `window` ns.
    pub fn new(limit: u32, window: i64) -> Self {
        Self {
            limit,
            window,
            ring: vec![0; limit as usize],
            head: 0,
            len: 0,
        }
    }

    /// The configured limit.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Whether one more event at `now` would exceed the limit.
    #[inline]
    pub fn would_exceed(&self, now: UnixNanos) -> bool {
        if self.limit == 0 {
            return true;
        }
        self.len == self.ring.len() && now - self.ring[self.head] < self.window
    }

    /// Events inside the window ending at `now`.
    pub fn count(&self, now: UnixNanos) -> usize {
        (0..self.len)
            .filter(|k| {
                let i = (self.head + k) % self.ring.len();
                now - self.ring[i] < self.window
            })
            .count()
    }

    /// Records an event at `now`.
    #[inline]
    pub fn record(&mut self, now: UnixNanos) {
        if self.ring.is_empty() {
            return;
        }
        let cap = self.ring.len();
        if self.len < cap {
            self.ring[(self.head + self.len) % cap] = now;
            self.len += 1;
        } else {
            self.ring[self.head] = now;
            self.head = (self.head + 1) % cap;
        }
    }
}

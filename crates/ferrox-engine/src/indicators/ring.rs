//! A fixed-capacity window of the last `n` values, allocated once.
//!
//! Every value is written twice, `cap` slots apart, so the window is always one
//! contiguous slice (oldest first): lookups are plain indexing and rescans of
//! the window are straight loops over a slice.

/// The last `cap` values pushed, oldest first.
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    buf: Vec<f64>,
    cap: usize,
    /// Slot of the latest value (in `0..cap`).
    head: usize,
    len: usize,
}

impl Ring {
    pub(crate) fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        Self {
            buf: vec![0.0; 2 * cap],
            cap,
            head: cap - 1,
            len: 0,
        }
    }

    #[inline(always)]
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn clear(&mut self) {
        self.head = self.cap - 1;
        self.len = 0;
    }

    /// Appends `v`, dropping the oldest value when full.
    #[inline(always)]
    pub(crate) fn push(&mut self, v: f64) {
        self.head += 1;
        if self.head == self.cap {
            self.head = 0;
        }
        self.buf[self.head] = v;
        self.buf[self.head + self.cap] = v;
        if self.len < self.cap {
            self.len += 1;
        }
    }

    /// The values held, oldest first.
    #[inline(always)]
    pub(crate) fn as_slice(&self) -> &[f64] {
        let end = self.head + self.cap + 1;
        &self.buf[end - self.len..end]
    }

    /// The value pushed `age` pushes ago (0 = the latest).
    #[inline(always)]
    pub(crate) fn back(&self, age: usize) -> f64 {
        self.buf[self.head + self.cap - age]
    }

    /// The `k`-th oldest value held (0 = the oldest).
    #[inline(always)]
    pub(crate) fn get(&self, k: usize) -> f64 {
        self.back(self.len - 1 - k)
    }

    /// Values held, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        self.as_slice().iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::Ring;

    #[test]
    fn the_window_is_the_last_values_oldest_first() {
        let mut r = Ring::new(3);
        assert!(r.as_slice().is_empty());
        r.push(1.0);
        r.push(2.0);
        assert_eq!(r.as_slice(), &[1.0, 2.0]);
        for v in 3..=7 {
            r.push(f64::from(v));
        }
        r.push(8.0);
        assert_eq!(r.as_slice(), &[6.0, 7.0, 8.0]);
        assert_eq!((r.get(0), r.back(0), r.back(2)), (6.0, 8.0, 6.0));
    }
}

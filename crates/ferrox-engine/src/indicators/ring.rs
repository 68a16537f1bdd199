//! A fixed-capacity ring of the last `n` values, allocated once.

/// The last `cap` values pushed, oldest first by [`Ring::get`] index.
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    buf: Vec<f64>,
    /// Slot the next push writes.
    head: usize,
    len: usize,
}

impl Ring {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            buf: vec![0.0; cap.max(1)],
            head: 0,
            len: 0,
        }
    }

    #[inline(always)]
    pub(crate) fn cap(&self) -> usize {
        self.buf.len()
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// Appends `v`, dropping the oldest value when full.
    #[inline(always)]
    pub(crate) fn push(&mut self, v: f64) {
        self.buf[self.head] = v;
        self.head += 1;
        if self.head == self.buf.len() {
            self.head = 0;
        }
        if self.len < self.buf.len() {
            self.len += 1;
        }
    }

    /// The value pushed `age` pushes ago (0 = the latest).
    #[inline(always)]
    pub(crate) fn back(&self, age: usize) -> f64 {
        let cap = self.buf.len();
        let idx = (self.head + cap - 1 - age) % cap;
        self.buf[idx]
    }

    /// The `k`-th oldest value held (0 = the oldest).
    #[inline(always)]
    pub(crate) fn get(&self, k: usize) -> f64 {
        self.back(self.len - 1 - k)
    }

    /// Values held, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.len).map(move |k| self.get(k))
    }
}

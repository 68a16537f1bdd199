//! The [`Indicator`] trait, the batch driver and the streaming wrapper.
//!
//! Warm-up and missing data follow the `talib` Python wrapper exactly: rows
//! before the first one whose inputs are all non-NaN are skipped (their output
//! is NaN) and the indicator starts there, as if the array began at that row;
//! NaNs after that point are fed to the algorithm and propagate as TA-Lib's
//! arithmetic propagates them.

use std::mem::MaybeUninit;

use super::error::IndicatorError;

/// One output cell as the batch kernels see it: written exactly once, never
/// read, so outputs can be fresh (uninitialised) memory.
pub type Slot = MaybeUninit<f64>;

/// A NaN output cell.
pub const NAN_SLOT: Slot = MaybeUninit::new(f64::NAN);

/// One bar of inputs or outputs: a plain `f64` or a small array of them.
pub trait Row: Copy + Send + Sync + 'static {
    /// Number of values in the row.
    const N: usize;
    /// Columns cut to one length, so row reads need no bounds checks.
    type Cols<'a>: Copy;
    /// Mutable columns cut to one length.
    type ColsMut<'a>;
    /// A row of NaNs (the warm-up output).
    fn nan() -> Self;
    /// Views the first `N` of `cols`, each cut to `n` rows (`n` <= every length).
    fn cols<'a>(cols: &[&'a [f64]], n: usize) -> Self::Cols<'a>;
    /// Mutable view of the first `N` of `cols`, each cut to `n` rows.
    fn cols_mut<'a>(cols: &'a mut [&mut [Slot]], n: usize) -> Self::ColsMut<'a>;
    /// Reads row `i` (`i < n`).
    fn read(cols: Self::Cols<'_>, i: usize) -> Self;
    /// Writes this row at `i` (`i < n`).
    fn write(self, cols: &mut Self::ColsMut<'_>, i: usize);
    /// Reads a row from a slice of `N` values.
    fn from_slice(values: &[f64]) -> Self;
    /// Writes this row into a slice of `N` values.
    fn to_slice(self, out: &mut [f64]);
    /// True when any value is NaN.
    fn has_nan(&self) -> bool;
}

impl Row for f64 {
    const N: usize = 1;
    type Cols<'a> = &'a [f64];
    type ColsMut<'a> = &'a mut [Slot];
    #[inline(always)]
    fn nan() -> Self {
        f64::NAN
    }
    #[inline(always)]
    fn cols<'a>(cols: &[&'a [f64]], n: usize) -> &'a [f64] {
        cols.first().map_or(&[][..], |c| &c[..n])
    }
    #[inline(always)]
    fn cols_mut<'a>(cols: &'a mut [&mut [Slot]], n: usize) -> &'a mut [Slot] {
        match cols.first_mut() {
            Some(c) => &mut c[..n],
            None => &mut [],
        }
    }
    #[inline(always)]
    fn read(cols: &[f64], i: usize) -> Self {
        cols[i]
    }
    #[inline(always)]
    fn write(self, cols: &mut &mut [Slot], i: usize) {
        cols[i] = Slot::new(self);
    }
    #[inline(always)]
    fn from_slice(values: &[f64]) -> Self {
        values[0]
    }
    #[inline(always)]
    fn to_slice(self, out: &mut [f64]) {
        out[0] = self;
    }
    #[inline(always)]
    fn has_nan(&self) -> bool {
        self.is_nan()
    }
}

impl<const K: usize> Row for [f64; K] {
    const N: usize = K;
    type Cols<'a> = [&'a [f64]; K];
    type ColsMut<'a> = [&'a mut [Slot]; K];
    #[inline(always)]
    fn nan() -> Self {
        [f64::NAN; K]
    }
    #[inline(always)]
    fn cols<'a>(cols: &[&'a [f64]], n: usize) -> [&'a [f64]; K] {
        std::array::from_fn(|k| cols.get(k).map_or(&[][..], |c| &c[..n]))
    }
    #[inline(always)]
    fn cols_mut<'a>(cols: &'a mut [&mut [Slot]], n: usize) -> [&'a mut [Slot]; K] {
        let mut it = cols.iter_mut();
        std::array::from_fn(|_| match it.next() {
            Some(c) => &mut c[..n],
            None => &mut [],
        })
    }
    #[inline(always)]
    fn read(cols: [&[f64]; K], i: usize) -> Self {
        std::array::from_fn(|k| cols[k][i])
    }
    #[inline(always)]
    fn write(self, cols: &mut [&mut [Slot]; K], i: usize) {
        for (col, v) in cols.iter_mut().zip(self) {
            col[i] = Slot::new(v);
        }
    }
    #[inline(always)]
    fn from_slice(values: &[f64]) -> Self {
        std::array::from_fn(|k| values[k])
    }
    #[inline(always)]
    fn to_slice(self, out: &mut [f64]) {
        out[..K].copy_from_slice(&self);
    }
    #[inline(always)]
    fn has_nan(&self) -> bool {
        self.iter().any(|v| v.is_nan())
    }
}

/// A technical indicator as a state machine over bars.
///
/// `update` takes one bar and returns the indicator's value at that bar, NaN
/// while the indicator is warming up (exactly `lookback()` bars). `run` is the
/// batch form: the default applies `update` row by row; an override must give
/// identical results (it exists only to be faster).
pub trait Indicator: Clone + Send + Sync + 'static {
    /// One bar of input (`f64` or `[f64; K]`, in TA-Lib's input order).
    type Input: Row;
    /// One bar of output (`f64` or `[f64; K]`, in TA-Lib's output order).
    type Output: Row;

    /// Number of leading bars that produce no value (TA-Lib's lookback).
    fn lookback(&self) -> usize;

    /// Feeds one bar; returns the value at that bar or NaN during warm-up.
    fn update(&mut self, input: Self::Input) -> Self::Output;

    /// Forgets every bar seen, keeping the parameters.
    fn reset(&mut self);

    /// Feeds rows `start..` of `inputs` to a fresh indicator, writing every one
    /// of those rows of `outputs` (NaN during warm-up). Columns have one length.
    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let n = inputs.first().map_or(0, |c| c.len());
        self.run_rows(inputs, outputs, start, n);
    }

    /// Feeds rows `from..to` through `update`, writing their outputs (the
    /// building block of `run`; overrides use it for warm-up before a tight
    /// steady-state loop). Returns `to`.
    #[inline(always)]
    fn run_rows(
        &mut self,
        inputs: &[&[f64]],
        outputs: &mut [&mut [Slot]],
        from: usize,
        to: usize,
    ) -> usize {
        let ins = Self::Input::cols(inputs, to);
        let mut outs = Self::Output::cols_mut(outputs, to);
        // A local copy lets the optimiser keep the state in registers (it
        // cannot for fields behind `&mut self` around out-of-line calls).
        let mut local = self.clone();
        for i in from..to {
            let y = local.update(Self::Input::read(ins, i));
            y.write(&mut outs, i);
        }
        *self = local;
        to
    }
}

/// An indicator fed one bar at a time, skipping leading incomplete bars.
///
/// Bars are ignored (output NaN) until the first bar whose inputs are all
/// non-NaN; from then on every bar is fed, exactly as the batch form does.
#[derive(Debug, Clone)]
pub struct Stream<I> {
    inner: I,
    started: bool,
}

impl<I: Indicator> Stream<I> {
    /// Wraps a freshly built indicator.
    pub fn new(inner: I) -> Self {
        Self {
            inner,
            started: false,
        }
    }

    /// Feeds one bar.
    #[inline]
    pub fn update(&mut self, input: I::Input) -> I::Output {
        if !self.started {
            if input.has_nan() {
                return I::Output::nan();
            }
            self.started = true;
        }
        self.inner.update(input)
    }

    /// Forgets every bar seen.
    pub fn reset(&mut self) {
        self.inner.reset();
        self.started = false;
    }

    /// The wrapped indicator.
    pub fn indicator(&self) -> &I {
        &self.inner
    }
}

/// Index of the first row whose inputs are all non-NaN, if any.
pub fn first_complete_row(inputs: &[&[f64]]) -> Option<usize> {
    let n = inputs.first().map_or(0, |c| c.len());
    (0..n).find(|&i| inputs.iter().all(|c| !c[i].is_nan()))
}

/// Computes `ind` over whole columns: `outputs` are overwritten, NaN before the
/// first complete row and during warm-up. The indicator is reset first.
pub fn compute<I: Indicator>(
    ind: &mut I,
    inputs: &[&[f64]],
    outputs: &mut [&mut [f64]],
) -> Result<(), IndicatorError> {
    let mut slots: Vec<&mut [Slot]> = outputs.iter_mut().map(|o| as_slots(o)).collect();
    compute_into(ind, inputs, &mut slots)
}

/// Views initialised floats as output cells. Sound because the kernels only
/// ever store initialised values into cells.
pub(crate) fn as_slots(values: &mut [f64]) -> &mut [Slot] {
    // SAFETY: `MaybeUninit<f64>` has the layout of `f64`, and every write the
    // kernels make through the view stores an initialised `f64`.
    unsafe { &mut *(values as *mut [f64] as *mut [Slot]) }
}

/// Reads back output cells a kernel has written (to reuse an output column as
/// scratch for a later stage).
///
/// # Safety
/// Every cell of `cells` must have been written.
pub(crate) unsafe fn written(cells: &[Slot]) -> &[f64] {
    // SAFETY: same layout; the caller guarantees every cell is initialised.
    unsafe { &*(cells as *const [Slot] as *const [f64]) }
}

/// As [`compute`], into possibly uninitialised memory: on success every cell of
/// every output has been written.
pub fn compute_into<I: Indicator>(
    ind: &mut I,
    inputs: &[&[f64]],
    outputs: &mut [&mut [Slot]],
) -> Result<(), IndicatorError> {
    check_shapes(I::Input::N, I::Output::N, inputs, outputs)?;
    ind.reset();
    let n = inputs.first().map_or(0, |c| c.len());
    let start = first_complete_row(inputs).unwrap_or(n);
    // Rows before the first complete bar are NaN; `run` writes all the others.
    for out in outputs.iter_mut() {
        out[..start].fill(NAN_SLOT);
    }
    run_dispatch(ind, inputs, outputs, start);
    Ok(())
}

/// Checks the number of columns and that every column has the same length.
pub fn check_shapes(
    n_in: usize,
    n_out: usize,
    inputs: &[&[f64]],
    outputs: &[&mut [Slot]],
) -> Result<(), IndicatorError> {
    if inputs.len() != n_in {
        return Err(IndicatorError::InputCount {
            expected: n_in,
            got: inputs.len(),
        });
    }
    if outputs.len() != n_out {
        return Err(IndicatorError::OutputCount {
            expected: n_out,
            got: outputs.len(),
        });
    }
    let n = inputs.first().map_or(0, |c| c.len());
    for (k, col) in inputs.iter().enumerate() {
        if col.len() != n {
            return Err(IndicatorError::LengthMismatch {
                index: k,
                expected: n,
                got: col.len(),
            });
        }
    }
    for col in outputs.iter() {
        if col.len() != n {
            return Err(IndicatorError::OutputLength {
                expected: n,
                got: col.len(),
            });
        }
    }
    Ok(())
}

/// Runs the batch loop, on x86-64 through a copy compiled with hardware FMA when
/// the CPU has it. Both copies compute the same correctly rounded `fma`, so the
/// results are identical; the hardware one is only faster.
#[inline]
fn run_dispatch<I: Indicator>(
    ind: &mut I,
    inputs: &[&[f64]],
    outputs: &mut [&mut [Slot]],
    start: usize,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports FMA (checked just above), the only
            // requirement of a `target_feature(enable = "fma")` function.
            unsafe { run_fma(ind, inputs, outputs, start) };
            return;
        }
    }
    ind.run(inputs, outputs, start);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn run_fma<I: Indicator>(
    ind: &mut I,
    inputs: &[&[f64]],
    outputs: &mut [&mut [Slot]],
    start: usize,
) {
    ind.run(inputs, outputs, start);
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the per-module tests: batch vs streaming equality.
    use super::*;

    /// Runs `ind` batch and row-by-row over `inputs`; asserts bitwise equality.
    pub fn assert_batch_equals_stream<I: Indicator>(ind: &I, inputs: &[&[f64]]) {
        let n = inputs[0].len();
        let mut batch_ind = ind.clone();
        let mut out_store: Vec<Vec<f64>> = vec![vec![0.0; n]; I::Output::N];
        let mut outs: Vec<&mut [f64]> = out_store.iter_mut().map(|v| v.as_mut_slice()).collect();
        compute(&mut batch_ind, inputs, &mut outs).expect("shapes");
        let mut stream = Stream::new(ind.clone());
        let mut row_out = vec![0.0; I::Output::N];
        for i in 0..n {
            let row: Vec<f64> = inputs.iter().map(|c| c[i]).collect();
            let y = stream.update(I::Input::from_slice(&row));
            y.to_slice(&mut row_out);
            for (k, (col, &b)) in out_store.iter().zip(&row_out).enumerate() {
                let a = col[i];
                assert!(
                    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                    "row {i} output {k}: batch {a} != stream {b}"
                );
            }
        }
    }

    /// A deterministic random walk with a few NaNs, for equality tests.
    pub fn walk(n: usize, seed: u64, with_nans: bool) -> Vec<f64> {
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut x = 100.0;
        (0..n)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = ((state >> 11) as f64) / ((1u64 << 53) as f64) - 0.5;
                x += u;
                if with_nans && i % 97 == 50 {
                    f64::NAN
                } else {
                    x
                }
            })
            .collect()
    }
}

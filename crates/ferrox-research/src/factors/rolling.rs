//! Time-series kernels over one instrument's rows.
//!
//! Semantics are Qlib's (pandas `rolling(N, min_periods=1)` underneath): a
//! window at the start of a series is simply shorter, NaN values are skipped,
//! ±inf counts as NaN, a window without any value gives NaN. Running forms
//! (sums, moments, regressions) are recomputed from scratch once per window
//! length, which bounds floating-point drift to one window's worth while
//! keeping the cost O(1) per row. Like pandas, a window whose values are all
//! equal has exactly zero variance and its mean is that value.

use std::collections::VecDeque;

use super::plan::Roll;

/// ±inf is treated as missing by every rolling operator (pandas' `_prep_values`).
#[inline]
fn clean(v: f64) -> f64 {
    if v.is_infinite() {
        f64::NAN
    } else {
        v
    }
}

/// First row of the window ending at row `i`.
#[inline]
fn start(i: usize, n: usize) -> usize {
    (i + 1).saturating_sub(n)
}

/// What a rolling kernel is asked for; several wants over the same input and
/// window are computed in one pass when they share a kernel ([`Family`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Want {
    /// A [`Roll`] statistic.
    Roll(Roll),
    /// A quantile at `q`.
    Quantile(f64),
}

/// Rolling statistics that one pass over a window computes together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// Count, sum, mean, variance, std.
    Moments,
    /// Slope, R², residual.
    Regression,
    /// Quantiles, median, rank (sorted window).
    Sorted,
    /// Max and IdxMax (one deque).
    Highest,
    /// Min and IdxMin (one deque).
    Lowest,
    /// Computed alone.
    Single,
}

impl Want {
    /// The kernel family of this statistic.
    pub fn family(self) -> Family {
        match self {
            Want::Quantile(_) => Family::Sorted,
            Want::Roll(r) => match r {
                Roll::Mean | Roll::Sum | Roll::Count | Roll::Std | Roll::Var => Family::Moments,
                Roll::Slope | Roll::Rsquare | Roll::Resi => Family::Regression,
                Roll::Med | Roll::Rank => Family::Sorted,
                Roll::Max | Roll::IdxMax => Family::Highest,
                Roll::Min | Roll::IdxMin => Family::Lowest,
                Roll::Mad | Roll::Wma => Family::Single,
            },
        }
    }
}

/// Runs one rolling operator.
pub fn rolling(kind: Roll, x: &[f64], n: usize, out: &mut [f64]) {
    let mut outs = [vec![f64::NAN; out.len()]];
    rolling_many(x, n, &[Want::Roll(kind)], &mut outs);
    out.copy_from_slice(&outs[0]);
}

/// Computes every want (all of one [`Family`], over input `x` and window `n`)
/// into the matching `outs` buffer (each as long as `x`).
pub fn rolling_many(x: &[f64], n: usize, wants: &[Want], outs: &mut [Vec<f64>]) {
    let Some(first) = wants.first() else { return };
    match first.family() {
        Family::Moments => scan_moments(x, n, |i, m| {
            for (w, out) in wants.iter().zip(outs.iter_mut()) {
                out[i] = match w {
                    Want::Roll(Roll::Sum) => m.sum(),
                    Want::Roll(Roll::Mean) => m.mean(),
                    Want::Roll(Roll::Count) => m.count as f64,
                    Want::Roll(Roll::Var) => m.var(),
                    _ => m.var().sqrt(),
                };
            }
        }),
        Family::Regression => regression(x, n, |i, fit| {
            for (w, out) in wants.iter().zip(outs.iter_mut()) {
                out[i] = match w {
                    Want::Roll(Roll::Slope) => fit.slope,
                    Want::Roll(Roll::Resi) => fit.resi,
                    _ => fit.rsquare,
                };
            }
        }),
        Family::Sorted => sorted_window_scan(x, n, |i, s, v| {
            for (w, out) in wants.iter().zip(outs.iter_mut()) {
                out[i] = match w {
                    Want::Roll(Roll::Rank) => rank_pct(s, v),
                    Want::Quantile(q) => quantile_sorted(s, *q),
                    _ => median(s),
                };
            }
        }),
        Family::Highest | Family::Lowest => {
            let better: fn(f64, f64) -> bool = if first.family() == Family::Highest {
                |a, b| a > b
            } else {
                |a, b| a < b
            };
            extreme(x, n, better, |i, value, index| {
                for (w, out) in wants.iter().zip(outs.iter_mut()) {
                    out[i] = match w {
                        Want::Roll(Roll::IdxMax | Roll::IdxMin) => index,
                        _ => value,
                    };
                }
            });
        }
        Family::Single => {
            for (w, out) in wants.iter().zip(outs.iter_mut()) {
                match w {
                    Want::Roll(Roll::Mad) => mad(x, n, out),
                    _ => wma(x, n, out),
                }
            }
        }
    }
}

/// Running count, sum and "all equal" tracking of the non-NaN values in a
/// window, the sum of squares taken about an anchor so that large levels
/// (prices) do not cancel.
#[derive(Clone, Copy)]
struct Moments {
    anchor: f64,
    count: usize,
    s1: f64,
    s2: f64,
    negatives: usize,
    run: usize,
    prev: f64,
}

impl Moments {
    fn new() -> Self {
        Moments {
            anchor: 0.0,
            count: 0,
            s1: 0.0,
            s2: 0.0,
            negatives: 0,
            run: 0,
            prev: f64::NAN,
        }
    }

    #[inline]
    fn add(&mut self, v: f64) {
        if v.is_nan() {
            return;
        }
        let d = v - self.anchor;
        self.count += 1;
        self.s1 += d;
        self.s2 += d * d;
        self.negatives += usize::from(v < 0.0);
        // pandas GH#42064: count equal values in a row so flat windows are exact.
        if v == self.prev {
            self.run += 1;
        } else {
            self.run = 1;
            self.prev = v;
        }
    }

    #[inline]
    fn remove(&mut self, v: f64) {
        if v.is_nan() {
            return;
        }
        let d = v - self.anchor;
        self.count -= 1;
        self.s1 -= d;
        self.s2 -= d * d;
        self.negatives -= usize::from(v < 0.0);
    }

    /// Recomputes the sums exactly over `window` (all values cleaned).
    fn rebase(&mut self, window: &[f64]) {
        let anchor = window.iter().copied().find(|v| !v.is_nan());
        if let Some(a) = anchor {
            self.anchor = a;
        }
        let (mut s1, mut s2) = (0.0, 0.0);
        for &v in window {
            if !v.is_nan() {
                let d = v - self.anchor;
                s1 += d;
                s2 += d * d;
            }
        }
        self.s1 = s1;
        self.s2 = s2;
    }

    #[inline]
    fn flat(&self) -> bool {
        self.count > 0 && self.run >= self.count
    }

    fn sum(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else if self.flat() {
            self.prev * self.count as f64
        } else {
            self.s1 + self.anchor * self.count as f64
        }
    }

    fn mean(&self) -> f64 {
        if self.count == 0 {
            return f64::NAN;
        }
        if self.flat() {
            return self.prev;
        }
        let m = self.anchor + self.s1 / self.count as f64;
        // pandas clamps a mean of all non-negative values at 0 (and vice versa).
        if self.negatives == 0 && m < 0.0 || self.negatives == self.count && m > 0.0 {
            0.0
        } else {
            m
        }
    }

    fn var(&self) -> f64 {
        if self.count < 2 {
            return f64::NAN;
        }
        if self.flat() {
            return 0.0;
        }
        let c = self.count as f64;
        ((self.s2 - self.s1 * self.s1 / c) / (c - 1.0)).max(0.0)
    }
}

/// Cleans `x` into `buf` (reused) so the kernels below read finite-or-NaN values.
fn cleaned(x: &[f64]) -> Vec<f64> {
    x.iter().map(|&v| clean(v)).collect()
}

/// Drives a [`Moments`] over the windows of `x`, calling `emit(i, m)` per row.
fn scan_moments(x: &[f64], n: usize, mut emit: impl FnMut(usize, &Moments)) {
    let x = cleaned(x);
    let mut m = Moments::new();
    for i in 0..x.len() {
        if i >= n {
            m.remove(x[i - n]);
        }
        m.add(x[i]);
        if i % n == n - 1 {
            m.rebase(&x[start(i, n)..=i]);
        }
        emit(i, &m);
    }
}

/// Rolling sample standard deviation as pandas computes it (the guard series of
/// Qlib's `Rsquare` and `Corr`).
pub fn rolling_std(x: &[f64], n: usize, out: &mut [f64]) {
    scan_moments(x, n, |i, m| out[i] = m.var().sqrt());
}

/// Max/Min with a monotone deque, and the 1-based position of the extreme
/// from the oldest row of the window, where (as numpy's `argmax`) a NaN in the
/// window wins and the earliest of equal extremes is reported. `emit(i,
/// value, position)`.
fn extreme(
    x: &[f64],
    n: usize,
    better: fn(f64, f64) -> bool,
    mut emit: impl FnMut(usize, f64, f64),
) {
    let mut best: VecDeque<usize> = VecDeque::with_capacity(n.min(x.len()) + 1);
    let mut nans: VecDeque<usize> = VecDeque::new();
    for i in 0..x.len() {
        let s = start(i, n);
        let v = clean(x[i]);
        if v.is_nan() {
            nans.push_back(i);
        } else {
            while best.back().is_some_and(|&j| better(v, clean(x[j]))) {
                best.pop_back();
            }
            best.push_back(i);
        }
        while best.front().is_some_and(|&j| j < s) {
            best.pop_front();
        }
        while nans.front().is_some_and(|&j| j < s) {
            nans.pop_front();
        }
        match best.front() {
            None => emit(i, f64::NAN, f64::NAN),
            Some(&j) => {
                let at = nans.front().copied().unwrap_or(j);
                emit(i, clean(x[j]), (at - s + 1) as f64);
            }
        }
    }
}

/// Windows kept as a sorted list of their non-NaN values (O(N) insert per row,
/// cheap for Alpha158's N <= 60): quantiles, medians, ranks.
fn sorted_window_scan(x: &[f64], n: usize, mut emit: impl FnMut(usize, &[f64], f64)) {
    let x = cleaned(x);
    let mut sorted: Vec<f64> = Vec::with_capacity(n.min(x.len()));
    for i in 0..x.len() {
        if i >= n {
            let o = x[i - n];
            if !o.is_nan() {
                let k = sorted.partition_point(|&y| y < o);
                if k < sorted.len() {
                    sorted.remove(k);
                }
            }
        }
        let v = x[i];
        if !v.is_nan() {
            let k = sorted.partition_point(|&y| y < v);
            sorted.insert(k, v);
        }
        emit(i, &sorted, v);
    }
}

/// pandas `rolling.rank(pct=True)`: average rank of the current value among
/// the window's values, over their count; NaN when the current value is NaN.
fn rank_pct(sorted: &[f64], v: f64) -> f64 {
    if v.is_nan() || sorted.is_empty() {
        return f64::NAN;
    }
    let less = sorted.partition_point(|&y| y < v);
    let upto = sorted.partition_point(|&y| y <= v);
    let avg = less as f64 + (upto - less + 1) as f64 / 2.0;
    avg / sorted.len() as f64
}

fn median(s: &[f64]) -> f64 {
    let k = s.len();
    if k == 0 {
        f64::NAN
    } else if k % 2 == 1 {
        s[k / 2]
    } else {
        (s[k / 2 - 1] + s[k / 2]) / 2.0
    }
}

/// pandas' linear-interpolation quantile of sorted values.
pub fn quantile_sorted(s: &[f64], q: f64) -> f64 {
    match s.len() {
        0 => f64::NAN,
        1 => s[0],
        k => {
            let f = q * (k - 1) as f64;
            let lo = f as usize;
            if lo as f64 == f || lo + 1 >= k {
                s[lo.min(k - 1)]
            } else {
                s[lo] + (s[lo + 1] - s[lo]) * (f - lo as f64)
            }
        }
    }
}

/// Rolling quantile at `q`.
pub fn quantile(x: &[f64], n: usize, q: f64, out: &mut [f64]) {
    sorted_window_scan(x, n, |i, s, _| out[i] = quantile_sorted(s, q));
}

/// Least squares of the window's non-NaN values against their row positions
/// (Qlib's Cython `rolling_slope`/`rolling_rsquare`/`rolling_resi`, which
/// keep each value at its own position, gaps included).
/// One row's regression results.
struct Fit {
    slope: f64,
    rsquare: f64,
    resi: f64,
}

fn regression(x: &[f64], n: usize, mut emit: impl FnMut(usize, Fit)) {
    let x = cleaned(x);
    // Positions are taken relative to `base` and values relative to `anchor`,
    // both reset at each exact recomputation, so the sums stay small.
    let (mut base, mut anchor) = (0usize, 0.0f64);
    let (mut c, mut sx, mut sxx, mut sy, mut syy, mut sxy) = (0usize, 0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut run, mut prev) = (0usize, f64::NAN);
    for i in 0..x.len() {
        if i >= n {
            let o = x[i - n];
            if !o.is_nan() {
                let (p, d) = ((i - n) as f64 - base as f64, o - anchor);
                c -= 1;
                sx -= p;
                sxx -= p * p;
                sy -= d;
                syy -= d * d;
                sxy -= p * d;
            }
        }
        let v = x[i];
        if !v.is_nan() {
            let (p, d) = (i as f64 - base as f64, v - anchor);
            c += 1;
            sx += p;
            sxx += p * p;
            sy += d;
            syy += d * d;
            sxy += p * d;
            if v == prev {
                run += 1;
            } else {
                run = 1;
                prev = v;
            }
        }
        if i % n == n - 1 {
            let s = start(i, n);
            base = s;
            if let Some(a) = x[s..=i].iter().copied().find(|v| !v.is_nan()) {
                anchor = a;
            }
            (sx, sxx, sy, syy, sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for (j, &w) in x.iter().enumerate().take(i + 1).skip(s) {
                if !w.is_nan() {
                    let (p, d) = ((j - base) as f64, w - anchor);
                    sx += p;
                    sxx += p * p;
                    sy += d;
                    syy += d * d;
                    sxy += p * d;
                }
            }
        }
        let fit = if c < 2 {
            Fit {
                slope: f64::NAN,
                rsquare: f64::NAN,
                resi: f64::NAN,
            }
        } else {
            let cf = c as f64;
            let cxx = sxx - sx * sx / cf;
            let cxy = sxy - sx * sy / cf;
            let flat = run >= c;
            let cyy = if flat {
                0.0
            } else {
                (syy - sy * sy / cf).max(0.0)
            };
            let slope = if flat { 0.0 } else { cxy / cxx };
            let resi = if v.is_nan() {
                f64::NAN
            } else {
                let p = i as f64 - base as f64;
                (v - anchor - sy / cf) - slope * (p - sx / cf)
            };
            // Qlib sets R² to NaN where the window's std is within 2e-5 of 0.
            let std = (cyy / (cf - 1.0)).sqrt();
            let rsquare = if std <= 2e-5 {
                f64::NAN
            } else {
                (cxy * cxy) / (cxx * cyy)
            };
            Fit {
                slope,
                rsquare,
                resi,
            }
        };
        emit(i, fit);
    }
}

/// Mean absolute deviation about the window mean, over the non-NaN values.
fn mad(x: &[f64], n: usize, out: &mut [f64]) {
    let x = cleaned(x);
    for i in 0..x.len() {
        let w = &x[start(i, n)..=i];
        let (mut s, mut c) = (0.0, 0usize);
        for &v in w.iter().filter(|v| !v.is_nan()) {
            s += v;
            c += 1;
        }
        out[i] = if c == 0 {
            f64::NAN
        } else {
            let m = s / c as f64;
            w.iter()
                .filter(|v| !v.is_nan())
                .map(|v| (v - m).abs())
                .sum::<f64>()
                / c as f64
        };
    }
}

/// Qlib's WMA: weights 1..=L over the window's L rows, normalised to sum 1,
/// then `nanmean(w * x)` (the mean of the weighted values, not their sum).
fn wma(x: &[f64], n: usize, out: &mut [f64]) {
    let x = cleaned(x);
    for i in 0..x.len() {
        let s = start(i, n);
        let w = &x[s..=i];
        let l = w.len() as f64;
        let total = l * (l + 1.0) / 2.0;
        let (mut acc, mut c) = (0.0, 0usize);
        for (k, &v) in w.iter().enumerate() {
            if !v.is_nan() {
                acc += ((k + 1) as f64 / total) * v;
                c += 1;
            }
        }
        out[i] = if c == 0 { f64::NAN } else { acc / c as f64 };
    }
}

/// pandas `ewm(alpha=alpha, adjust=True, min_periods=1).mean()`.
pub fn ema(x: &[f64], alpha: f64, out: &mut [f64]) {
    let decay = 1.0 - alpha;
    let mut weighted = f64::NAN;
    let mut old_wt = 1.0;
    let mut seen = false;
    for (i, &raw) in x.iter().enumerate() {
        let v = clean(raw);
        let obs = !v.is_nan();
        if i == 0 || weighted.is_nan() {
            if obs {
                weighted = v;
                old_wt = 1.0;
            }
        } else {
            old_wt *= decay;
            if obs {
                if weighted != v {
                    weighted = (old_wt * weighted + v) / (old_wt + 1.0);
                }
                old_wt += 1.0;
            }
        }
        seen |= obs;
        out[i] = if seen { weighted } else { f64::NAN };
    }
}

/// `Ref(x, k)`: the value `k` rows earlier (later when negative), NaN outside.
pub fn shift(x: &[f64], k: i64, out: &mut [f64]) {
    let len = x.len() as i64;
    for (i, o) in out.iter_mut().enumerate() {
        let j = i as i64 - k;
        *o = if (0..len).contains(&j) {
            x[j as usize]
        } else {
            f64::NAN
        };
    }
}

/// Rolling covariance (`corr = false`) or correlation as pandas computes them:
/// over the rows where both sides are present (pandas masks each side with
/// the other's missing values first); correlation is NaN where either side's
/// own rolling std (unmasked, as Qlib computes its guard) is within 2e-5 of 0.
pub fn pair(corr: bool, x: &[f64], y: &[f64], n: usize, out: &mut [f64]) {
    let (x, y) = (cleaned(x), cleaned(y));
    let both = |i: usize| -> (f64, f64) {
        if x[i].is_nan() || y[i].is_nan() {
            (f64::NAN, f64::NAN)
        } else {
            (x[i], y[i])
        }
    };
    let (mut mx, mut my) = (Moments::new(), Moments::new());
    let (mut gx, mut gy) = (Moments::new(), Moments::new());
    let mut sp = 0.0f64;
    for i in 0..x.len() {
        if i >= n {
            let (a, b) = both(i - n);
            mx.remove(a);
            my.remove(b);
            if !a.is_nan() {
                sp -= a * b;
            }
            if corr {
                gx.remove(x[i - n]);
                gy.remove(y[i - n]);
            }
        }
        let (a, b) = both(i);
        mx.add(a);
        my.add(b);
        if !a.is_nan() {
            sp += a * b;
        }
        if corr {
            gx.add(x[i]);
            gy.add(y[i]);
        }
        if i % n == n - 1 {
            let s = start(i, n);
            let (xs, ys): (Vec<f64>, Vec<f64>) = (s..=i).map(both).unzip();
            mx.rebase(&xs);
            my.rebase(&ys);
            sp = xs
                .iter()
                .zip(&ys)
                .filter(|(a, _)| !a.is_nan())
                .map(|(a, b)| a * b)
                .sum();
            if corr {
                gx.rebase(&x[s..=i]);
                gy.rebase(&y[s..=i]);
            }
        }
        let cp = mx.count as f64;
        let mean_xy = if mx.count == 0 { f64::NAN } else { sp / cp };
        let cov = (mean_xy - mx.mean() * my.mean()) * (cp / (cp - 1.0));
        out[i] = if !corr {
            cov
        } else if gx.var().sqrt() <= 2e-5 || gy.var().sqrt() <= 2e-5 {
            f64::NAN
        } else {
            cov / (mx.var() * my.var()).sqrt()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(kind: Roll, x: &[f64], n: usize) -> Vec<f64> {
        let mut out = vec![0.0; x.len()];
        rolling(kind, x, n, &mut out);
        out
    }

    #[test]
    fn mean_has_no_warm_up_and_skips_nan() {
        let out = run(Roll::Mean, &[1.0, f64::NAN, 3.0, 5.0], 2);
        assert_eq!(out[0], 1.0);
        assert_eq!(out[1], 1.0);
        assert_eq!(out[2], 3.0);
        assert_eq!(out[3], 4.0);
    }

    #[test]
    fn std_needs_two_values() {
        let out = run(Roll::Std, &[1.0, 3.0], 5);
        assert!(out[0].is_nan());
        assert!((out[1] - 2f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn flat_window_after_movement_has_exactly_zero_variance() {
        let out = run(Roll::Var, &[1e6 + 0.1, 3.7, 2.0, 2.0, 2.0], 3);
        assert_eq!(out[4], 0.0);
    }

    #[test]
    fn idxmax_counts_from_one_at_the_oldest_row_and_nan_wins() {
        assert_eq!(run(Roll::IdxMax, &[1.0, 3.0, 2.0], 3), vec![1.0, 2.0, 2.0]);
        assert_eq!(run(Roll::IdxMax, &[1.0, f64::NAN, 2.0], 3)[2], 2.0);
        assert_eq!(run(Roll::IdxMax, &[5.0, 1.0, f64::NAN], 3)[2], 3.0);
        assert_eq!(run(Roll::IdxMin, &[2.0, 1.0, 1.0], 3)[2], 2.0);
    }

    #[test]
    fn slope_of_a_line_is_its_gradient() {
        let x: Vec<f64> = (0..10).map(|i| 3.0 * i as f64 + 1.0).collect();
        let out = run(Roll::Slope, &x, 4);
        assert!(out[0].is_nan());
        assert!(out.iter().skip(1).all(|s| (s - 3.0).abs() < 1e-12));
    }

    #[test]
    fn ema_matches_the_adjusted_recursion() {
        let mut out = vec![0.0; 3];
        ema(&[1.0, 2.0, 3.0], 0.5, &mut out);
        assert!((out[1] - (0.5 * 1.0 + 2.0) / 1.5).abs() < 1e-15);
    }

    fn naive(kind: Roll, x: &[f64], n: usize) -> Vec<f64> {
        (0..x.len())
            .map(|i| {
                let w: Vec<f64> = x[start(i, n)..=i].to_vec();
                let v: Vec<f64> = w.iter().copied().filter(|v| !v.is_nan()).collect();
                let c = v.len() as f64;
                let mean = v.iter().sum::<f64>() / c;
                match kind {
                    Roll::Mean => mean,
                    Roll::Sum if v.is_empty() => f64::NAN,
                    Roll::Sum => v.iter().sum(),
                    Roll::Std if v.len() < 2 => f64::NAN,
                    Roll::Std => {
                        (v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (c - 1.0)).sqrt()
                    }
                    Roll::Max => v.iter().copied().fold(f64::NAN, f64::max),
                    Roll::IdxMax if v.is_empty() => f64::NAN,
                    Roll::IdxMax => match w.iter().position(|a| a.is_nan()) {
                        Some(k) => (k + 1) as f64,
                        None => {
                            let m = v.iter().copied().fold(f64::NAN, f64::max);
                            (w.iter().position(|&a| a == m).unwrap_or(0) + 1) as f64
                        }
                    },
                    _ => f64::NAN,
                }
            })
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn running_forms_equal_direct_window_computation(
            raw in proptest::collection::vec(proptest::option::weighted(0.85, -1e3f64..1e3), 1..200),
            n in 1usize..12,
        ) {
            let x: Vec<f64> = raw.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
            for kind in [Roll::Mean, Roll::Sum, Roll::Std, Roll::Max, Roll::IdxMax] {
                let got = run(kind, &x, n);
                let want = naive(kind, &x, n);
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    let ok = (g.is_nan() && w.is_nan()) || (g - w).abs() <= 1e-9 * (1.0 + w.abs());
                    proptest::prop_assert!(ok, "{:?} row {}: {} vs {}", kind, i, g, w);
                }
            }
        }
    }
}

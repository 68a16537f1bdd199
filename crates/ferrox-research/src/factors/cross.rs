//! Cross-sectional kernels: one timestamp's values across instruments.
//!
//! NaN values take no part and stay NaN (pandas' `groupby(time)` conventions:
//! `rank(pct=True)` with average ties, `std` with ddof 1, `quantile` with
//! linear interpolation).

use super::plan::Op;
use super::rolling::quantile_sorted;

/// Computes `op` over one timestamp's `x` (and group keys `g` for
/// `CsNeutralize`) into `out`; `order` is scratch.
pub fn cross_section(op: Op, x: &[f64], g: &[f64], out: &mut [f64], order: &mut Vec<usize>) {
    match op {
        Op::CsRank => rank(x, out, order),
        Op::CsZScore | Op::CsDemean => {
            let (mean, std) = mean_std(x.iter().copied());
            for (o, &v) in out.iter_mut().zip(x) {
                *o = if op == Op::CsDemean {
                    v - mean
                } else {
                    (v - mean) / std
                };
            }
        }
        Op::CsNeutralize => neutralize(x, g, out, order),
        Op::CsWinsorize(q) => {
            let mut s: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
            s.sort_by(f64::total_cmp);
            let (lo, hi) = (quantile_sorted(&s, q), quantile_sorted(&s, 1.0 - q));
            for (o, &v) in out.iter_mut().zip(x) {
                *o = if v.is_nan() { v } else { v.max(lo).min(hi) };
            }
        }
        _ => out.fill(f64::NAN),
    }
}

/// Mean and sample standard deviation of the non-NaN values (two passes).
fn mean_std(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let (mut s, mut c) = (0.0, 0usize);
    for v in values.clone().filter(|v| !v.is_nan()) {
        s += v;
        c += 1;
    }
    if c == 0 {
        return (f64::NAN, f64::NAN);
    }
    let m = s / c as f64;
    let ss: f64 = values
        .filter(|v| !v.is_nan())
        .map(|v| (v - m) * (v - m))
        .sum();
    let std = if c < 2 {
        f64::NAN
    } else {
        (ss / (c - 1) as f64).sqrt()
    };
    (m, std)
}

fn rank(x: &[f64], out: &mut [f64], order: &mut Vec<usize>) {
    order.clear();
    order.extend((0..x.len()).filter(|&i| !x[i].is_nan()));
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    out.fill(f64::NAN);
    let n = order.len() as f64;
    let mut k = 0;
    while k < order.len() {
        let mut e = k + 1;
        while e < order.len() && x[order[e]] == x[order[k]] {
            e += 1;
        }
        // Ties share the average of ranks k+1..=e.
        let avg = (k + 1 + e) as f64 / 2.0;
        for &i in &order[k..e] {
            out[i] = avg / n;
        }
        k = e;
    }
}

fn neutralize(x: &[f64], g: &[f64], out: &mut [f64], order: &mut Vec<usize>) {
    out.fill(f64::NAN);
    order.clear();
    order.extend((0..x.len()).filter(|&i| !g[i].is_nan()));
    order.sort_by(|&a, &b| g[a].total_cmp(&g[b]));
    let mut k = 0;
    while k < order.len() {
        let mut e = k + 1;
        while e < order.len() && g[order[e]] == g[order[k]] {
            e += 1;
        }
        let (mean, _) = mean_std(order[k..e].iter().map(|&i| x[i]));
        for &i in &order[k..e] {
            out[i] = x[i] - mean;
        }
        k = e;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_averages_ties_and_skips_nan() {
        let x = [3.0, 1.0, f64::NAN, 3.0];
        let mut out = [0.0; 4];
        cross_section(Op::CsRank, &x, &[], &mut out, &mut Vec::new());
        assert_eq!(out[1], 1.0 / 3.0);
        assert_eq!(out[0], 2.5 / 3.0);
        assert!(out[2].is_nan());
    }

    #[test]
    fn neutralize_demeans_within_groups() {
        let x = [1.0, 3.0, 10.0, 20.0];
        let g = [0.0, 0.0, 1.0, 1.0];
        let mut out = [0.0; 4];
        cross_section(Op::CsNeutralize, &x, &g, &mut out, &mut Vec::new());
        assert_eq!(out, [-1.0, 1.0, -5.0, 5.0]);
    }
}

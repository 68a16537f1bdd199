//! Evaluating a [`Plan`] over a panel.
//!
//! The graph runs in phases: phase `k` holds the nodes with `k` cross-sectional
//! operators below them. Within a phase every instrument is evaluated on its
//! own (in parallel), through the whole phase, on a short dense series in
//! per-thread scratch buffers that are recycled as soon as their last user
//! has run, so intermediates never become panel-sized columns. Only the
//! requested outputs and the inputs of later phases are written to full
//! columns. Cross-sectional nodes then run per timestamp over full columns.
//!
//! Each instrument's series spans the calendar positions from its first to its
//! last row; positions it has no row for are NaN (Qlib aligns every
//! instrument to the calendar the same way), so `Ref($close, 1)` after a
//! missing day is NaN rather than the close two days back. Outputs are kept
//! for the panel's own rows only.

use rayon::prelude::*;

use super::cross::cross_section;
use super::plan::{Node, Op, Plan};
use super::rolling::{ema, pair, quantile, rolling, rolling_many, shift, Want};
use super::FactorError;

/// Column-major panel: rows sorted by instrument, then time.
pub struct Panel<'a> {
    /// One float64 column per field, each as long as the panel.
    pub fields: Vec<&'a [f64]>,
    /// Row offsets of the instruments: instrument `i` is rows
    /// `offsets[i]..offsets[i + 1]`; starts at 0, ends at the row count.
    pub offsets: &'a [usize],
    /// Calendar position of each row, strictly increasing within an instrument.
    pub time_pos: &'a [i64],
    /// Number of calendar positions (every `time_pos` is below it).
    pub n_times: usize,
}

impl Panel<'_> {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.time_pos.len()
    }

    fn validate(&self) -> Result<(), FactorError> {
        let n = self.rows();
        let bad = |m: String| Err(FactorError::Panel(m));
        if self.offsets.first() != Some(&0) || self.offsets.last() != Some(&n) {
            return bad(format!("offsets must run from 0 to the row count {n}"));
        }
        if let Some(w) = self.offsets.windows(2).position(|w| w[0] > w[1]) {
            return bad(format!("offsets decrease at instrument {w}"));
        }
        for (k, f) in self.fields.iter().enumerate() {
            if f.len() != n {
                return bad(format!("field {k} has {} rows, expected {n}", f.len()));
            }
        }
        for w in self.offsets.windows(2) {
            let t = &self.time_pos[w[0]..w[1]];
            if let Some(r) = t.iter().position(|&p| p < 0 || p as usize >= self.n_times) {
                return bad(format!(
                    "row {}: time position {} outside 0..{}",
                    w[0] + r,
                    t[r],
                    self.n_times
                ));
            }
            if let Some(r) = t.windows(2).position(|p| p[0] >= p[1]) {
                return bad(format!(
                    "row {}: time does not increase within its instrument",
                    w[0] + r + 1
                ));
            }
        }
        Ok(())
    }
}

/// A column written from several threads at disjoint rows.
#[derive(Clone, Copy)]
struct SharedCol(*mut f64, usize);

// SAFETY: every user writes rows no other thread writes (each row belongs to
// exactly one instrument and to exactly one timestamp), and the column outlives
// the parallel section that writes it.
unsafe impl Send for SharedCol {}
unsafe impl Sync for SharedCol {}

impl SharedCol {
    fn new(col: &mut [f64]) -> Self {
        SharedCol(col.as_mut_ptr(), col.len())
    }

    /// # Safety
    /// No other thread may access row `i` at the same time.
    #[inline]
    unsafe fn write(&self, i: usize, v: f64) {
        assert!(i < self.1, "row {i} outside a column of {}", self.1);
        // SAFETY: in bounds (checked above); exclusive per the contract.
        unsafe { *self.0.add(i) = v }
    }
}

/// Evaluates `plan` over `panel`: one column per requested expression, in
/// request order, each as long as the panel.
pub fn evaluate(plan: &Plan, panel: &Panel<'_>) -> Result<Vec<Vec<f64>>, FactorError> {
    panel.validate()?;
    let nodes = &plan.nodes;
    let nn = nodes.len();
    if let Some(Op::Field(i)) = nodes.iter().map(|n| n.op).find(|op| match op {
        Op::Field(i) => *i >= panel.fields.len(),
        _ => false,
    }) {
        return Err(FactorError::Panel(format!(
            "field {i} missing from the panel"
        )));
    }
    let mut materialize = vec![false; nn];
    for &o in &plan.outputs {
        materialize[o] = true;
    }
    for node in nodes {
        for &c in &node.inputs {
            if node.op.is_cross_sectional() || nodes[c].level < node.level {
                materialize[c] = true;
            }
        }
    }
    let max_level = nodes.iter().map(|n| n.level).max().unwrap_or(0);
    let by_time = if nodes.iter().any(|n| n.op.is_cross_sectional()) {
        Some(TimeIndex::new(panel))
    } else {
        None
    };
    let mut full: Vec<Option<Vec<f64>>> = (0..nn).map(|_| None).collect();
    for level in 0..=max_level {
        if let Some(index) = &by_time {
            for id in
                (0..nn).filter(|&i| nodes[i].level == level && nodes[i].op.is_cross_sectional())
            {
                let col = cross_node(&nodes[id], &full, index, panel.rows())?;
                full[id] = Some(col);
            }
        }
        let phase: Vec<usize> = (0..nn)
            .filter(|&i| nodes[i].level == level && !nodes[i].op.is_cross_sectional())
            .collect();
        if phase.is_empty() {
            continue;
        }
        let written = run_phase(plan, panel, &phase, &materialize, &full)?;
        for (id, col) in written {
            full[id] = Some(col);
        }
    }
    let mut outputs = Vec::with_capacity(plan.outputs.len());
    for (k, &o) in plan.outputs.iter().enumerate() {
        let shared_later = plan.outputs[k + 1..].contains(&o);
        let col = if shared_later {
            full[o].clone()
        } else {
            full[o].take()
        };
        outputs
            .push(col.ok_or_else(|| FactorError::Panel(format!("output {k} was not computed")))?);
    }
    Ok(outputs)
}

/// Rows grouped by calendar position (counting sort).
struct TimeIndex {
    starts: Vec<usize>,
    rows: Vec<usize>,
}

impl TimeIndex {
    fn new(panel: &Panel<'_>) -> Self {
        let mut starts = vec![0usize; panel.n_times + 1];
        for &p in panel.time_pos {
            starts[p as usize + 1] += 1;
        }
        for t in 0..panel.n_times {
            starts[t + 1] += starts[t];
        }
        let mut fill = starts.clone();
        let mut rows = vec![0usize; panel.rows()];
        for (r, &p) in panel.time_pos.iter().enumerate() {
            rows[fill[p as usize]] = r;
            fill[p as usize] += 1;
        }
        TimeIndex { starts, rows }
    }
}

fn cross_node(
    node: &Node,
    full: &[Option<Vec<f64>>],
    index: &TimeIndex,
    n: usize,
) -> Result<Vec<f64>, FactorError> {
    let input = |k: usize| -> Result<&[f64], FactorError> {
        node.inputs
            .get(k)
            .and_then(|&c| full[c].as_deref())
            .ok_or_else(|| FactorError::Panel("a cross-sectional input was not computed".into()))
    };
    let x = input(0)?;
    let g = if node.op == Op::CsNeutralize {
        input(1)?
    } else {
        x
    };
    let mut out = vec![f64::NAN; n];
    let col = SharedCol::new(&mut out);
    let times = index.starts.len() - 1;
    (0..times).into_par_iter().for_each_init(
        || (Vec::new(), Vec::new(), Vec::new(), Vec::new()),
        |(xs, gs, os, order), t| {
            let rows = &index.rows[index.starts[t]..index.starts[t + 1]];
            if rows.is_empty() {
                return;
            }
            xs.clear();
            xs.extend(rows.iter().map(|&r| x[r]));
            gs.clear();
            gs.extend(rows.iter().map(|&r| g[r]));
            os.clear();
            os.resize(rows.len(), f64::NAN);
            cross_section(node.op, xs, gs, os, order);
            for (&r, &v) in rows.iter().zip(os.iter()) {
                // SAFETY: each row belongs to exactly one timestamp.
                unsafe { col.write(r, v) };
            }
        },
    );
    Ok(out)
}

/// Runs the per-instrument nodes of one phase; returns the full columns of
/// the nodes that must outlive it.
fn run_phase(
    plan: &Plan,
    panel: &Panel<'_>,
    phase: &[usize],
    materialize: &[bool],
    full: &[Option<Vec<f64>>],
) -> Result<Vec<(usize, Vec<f64>)>, FactorError> {
    let nodes = &plan.nodes;
    let nn = nodes.len();
    let n = panel.rows();
    let level = nodes[phase[0]].level;
    // Inputs computed in an earlier phase (or cross-sectionally) are imported
    // from their full columns.
    let mut imports: Vec<usize> = Vec::new();
    // Position in `phase` after which each node's scratch is no longer read.
    let mut last_use = vec![usize::MAX; nn];
    for (k, &id) in phase.iter().enumerate() {
        for &c in &nodes[id].inputs {
            let imported = nodes[c].level < level || nodes[c].op.is_cross_sectional();
            if imported && !imports.contains(&c) {
                imports.push(c);
            }
            last_use[c] = k;
        }
    }
    for &c in &imports {
        if full[c].is_none() {
            return Err(FactorError::Panel(
                "an input of a later phase was not computed".into(),
            ));
        }
    }
    let empty: &[f64] = &[];
    let sources: Vec<&[f64]> = (0..nn)
        .map(|i| full[i].as_deref().unwrap_or(empty))
        .collect();
    let mut written: Vec<(usize, Vec<f64>)> = phase
        .iter()
        .filter(|&&id| materialize[id])
        // Zeroed allocations are mapped lazily; every row is written below.
        .map(|&id| (id, vec![0.0; n]))
        .collect();
    let mut targets: Vec<Option<SharedCol>> = vec![None; nn];
    for (id, col) in written.iter_mut() {
        targets[*id] = Some(SharedCol::new(col));
    }
    // Rolling nodes over the same input and window whose statistics one pass
    // computes together (Mean and Std; Slope, Rsquare and Resi; quantiles and
    // Rank; Max and IdxMax) form a group evaluated at its first member.
    let mut group_of = vec![usize::MAX; nn];
    let mut groups: Vec<Group> = Vec::new();
    for &id in phase {
        let node = &nodes[id];
        let (want, window) = match node.op {
            Op::Rolling(kind, w) => (Want::Roll(kind), w),
            Op::Quantile(w, q) => (Want::Quantile(q), w),
            _ => continue,
        };
        let input = node.inputs[0];
        let family = want.family();
        let found = groups
            .iter()
            .position(|g| g.input == input && g.window == window && g.wants[0].family() == family);
        let g = match found {
            Some(g) if family != super::rolling::Family::Single => g,
            _ => {
                groups.push(Group {
                    input,
                    window,
                    members: Vec::new(),
                    wants: Vec::new(),
                });
                groups.len() - 1
            }
        };
        groups[g].members.push(id);
        groups[g].wants.push(want);
        group_of[id] = g;
    }
    let instruments = panel.offsets.len() - 1;
    (0..instruments).into_par_iter().for_each_init(
        || Scratch {
            bufs: (0..nn).map(|_| Vec::new()).collect(),
            pool: Vec::new(),
            ready: vec![usize::MAX; nn],
        },
        |scratch, inst| {
            let (a, b) = (panel.offsets[inst], panel.offsets[inst + 1]);
            if a == b {
                return;
            }
            let p0 = panel.time_pos[a];
            let len = (panel.time_pos[b - 1] - p0) as usize + 1;
            let dense = len == b - a;
            let scatter = |src: &[f64], dst: &mut Vec<f64>| {
                dst.clear();
                if dense {
                    dst.extend_from_slice(&src[a..b]);
                } else {
                    dst.resize(len, f64::NAN);
                    for r in a..b {
                        dst[(panel.time_pos[r] - p0) as usize] = src[r];
                    }
                }
            };
            for &c in &imports {
                let mut buf = scratch.take();
                scatter(sources[c], &mut buf);
                scratch.bufs[c] = buf;
            }
            for (k, &id) in phase.iter().enumerate() {
                let node = &nodes[id];
                if group_of[id] != usize::MAX && scratch.ready[id] != inst {
                    let g = &groups[group_of[id]];
                    let mut outs: Vec<Vec<f64>> = g
                        .members
                        .iter()
                        .map(|_| {
                            let mut b = scratch.take();
                            b.clear();
                            b.resize(len, f64::NAN);
                            b
                        })
                        .collect();
                    rolling_many(&scratch.bufs[g.input], g.window, &g.wants, &mut outs);
                    for (&m, b) in g.members.iter().zip(outs) {
                        scratch.bufs[m] = b;
                        scratch.ready[m] = inst;
                    }
                }
                let mut buf = if scratch.ready[id] == inst {
                    std::mem::take(&mut scratch.bufs[id])
                } else {
                    scratch.take()
                };
                match node.op {
                    _ if scratch.ready[id] == inst => {}
                    Op::Field(f) => scatter(panel.fields[f], &mut buf),
                    op => {
                        buf.clear();
                        buf.resize(len, f64::NAN);
                        let arg = |j: usize| -> &[f64] {
                            node.inputs
                                .get(j)
                                .map_or(empty, |&c| scratch.bufs[c].as_slice())
                        };
                        apply(op, arg(0), arg(1), arg(2), &mut buf);
                    }
                }
                if let Some(col) = targets[id] {
                    for r in a..b {
                        let d = if dense {
                            r - a
                        } else {
                            (panel.time_pos[r] - p0) as usize
                        };
                        // SAFETY: rows a..b belong to this instrument only.
                        unsafe { col.write(r, buf[d]) };
                    }
                }
                scratch.bufs[id] = buf;
                for &c in &node.inputs {
                    if last_use[c] == k {
                        scratch.release(c);
                    }
                }
                if last_use[id] == usize::MAX {
                    scratch.release(id);
                }
            }
            for &c in &imports {
                scratch.release(c);
            }
        },
    );
    Ok(written)
}

struct Group {
    input: usize,
    window: usize,
    members: Vec<usize>,
    wants: Vec<Want>,
}

struct Scratch {
    bufs: Vec<Vec<f64>>,
    pool: Vec<Vec<f64>>,
    /// The instrument whose value of each node is already in `bufs`.
    ready: Vec<usize>,
}

impl Scratch {
    fn take(&mut self) -> Vec<f64> {
        self.pool.pop().unwrap_or_default()
    }

    fn release(&mut self, id: usize) {
        let buf = std::mem::take(&mut self.bufs[id]);
        if buf.capacity() > 0 {
            self.pool.push(buf);
        }
    }
}

#[inline]
fn truthy(v: f64) -> bool {
    // numpy: NaN is truthy, only zero is false.
    v != 0.0
}

#[inline]
fn flag(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

fn map1(a: &[f64], out: &mut [f64], f: impl Fn(f64) -> f64) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = f(x);
    }
}

fn map2(a: &[f64], b: &[f64], out: &mut [f64], f: impl Fn(f64, f64) -> f64) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = f(x, y);
    }
}

/// One node over one instrument's dense series.
fn apply(op: Op, a: &[f64], b: &[f64], c: &[f64], out: &mut [f64]) {
    match op {
        Op::Field(_) => {}
        Op::Const(v) => out.fill(v),
        Op::Neg => map1(a, out, |x| -x),
        Op::Abs => map1(a, out, f64::abs),
        Op::Log => map1(a, out, f64::ln),
        Op::Sign => map1(a, out, |x| {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                x
            }
        }),
        Op::Not => map1(a, out, |x| flag(!truthy(x))),
        Op::Add => map2(a, b, out, |x, y| x + y),
        Op::Sub => map2(a, b, out, |x, y| x - y),
        Op::Mul => map2(a, b, out, |x, y| x * y),
        Op::Div => map2(a, b, out, |x, y| x / y),
        Op::Power => map2(a, b, out, f64::powf),
        Op::Greater => map2(a, b, out, |x, y| {
            if x.is_nan() || y.is_nan() {
                f64::NAN
            } else {
                x.max(y)
            }
        }),
        Op::Less => map2(a, b, out, |x, y| {
            if x.is_nan() || y.is_nan() {
                f64::NAN
            } else {
                x.min(y)
            }
        }),
        Op::Gt => map2(a, b, out, |x, y| flag(x > y)),
        Op::Ge => map2(a, b, out, |x, y| flag(x >= y)),
        Op::Lt => map2(a, b, out, |x, y| flag(x < y)),
        Op::Le => map2(a, b, out, |x, y| flag(x <= y)),
        Op::Eq => map2(a, b, out, |x, y| flag(x == y)),
        Op::Ne => map2(a, b, out, |x, y| flag(x != y)),
        Op::And => map2(a, b, out, |x, y| flag(truthy(x) && truthy(y))),
        Op::Or => map2(a, b, out, |x, y| flag(truthy(x) || truthy(y))),
        Op::If => {
            for (i, o) in out.iter_mut().enumerate() {
                *o = if truthy(a[i]) { b[i] } else { c[i] };
            }
        }
        Op::Ref(k) => shift(a, k, out),
        Op::Delta(k) => {
            shift(a, k, out);
            for (o, &x) in out.iter_mut().zip(a) {
                *o = x - *o;
            }
        }
        Op::Rolling(kind, n) => rolling(kind, a, n, out),
        Op::Quantile(n, q) => quantile(a, n, q, out),
        Op::Ema(alpha) => ema(a, alpha, out),
        Op::Corr(n) => pair(true, a, b, n, out),
        Op::Cov(n) => pair(false, a, b, n, out),
        Op::CsRank | Op::CsZScore | Op::CsDemean | Op::CsNeutralize | Op::CsWinsorize(_) => {
            out.fill(f64::NAN)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel_eval(
        exprs: &[&str],
        close: &[f64],
        offsets: &[usize],
        pos: &[i64],
        n_times: usize,
    ) -> Vec<Vec<f64>> {
        let plan = Plan::build(exprs, &["close"], true).unwrap();
        let panel = Panel {
            fields: vec![close],
            offsets,
            time_pos: pos,
            n_times,
        };
        evaluate(&plan, &panel).unwrap()
    }

    #[test]
    fn a_missing_day_is_a_nan_row_inside_windows() {
        // One instrument, days 0, 1, 3 (day 2 missing).
        let out = panel_eval(
            &["Ref($close, 1)"],
            &[1.0, 2.0, 4.0],
            &[0, 3],
            &[0, 1, 3],
            4,
        );
        assert!(out[0][0].is_nan());
        assert_eq!(out[0][1], 1.0);
        assert!(out[0][2].is_nan());
    }

    #[test]
    fn instruments_do_not_leak_into_each_other() {
        let out = panel_eval(
            &["Mean($close, 3)"],
            &[1.0, 2.0, 10.0, 20.0],
            &[0, 2, 4],
            &[0, 1, 0, 1],
            2,
        );
        assert_eq!(out[0], vec![1.0, 1.5, 10.0, 15.0]);
    }

    #[test]
    fn cross_sectional_then_time_series() {
        let out = panel_eval(
            &["Mean(CSRank($close), 2)"],
            &[1.0, 2.0, 10.0, 0.0],
            &[0, 2, 4],
            &[0, 1, 0, 1],
            2,
        );
        assert_eq!(out[0], vec![0.5, 0.75, 1.0, 0.75]);
    }

    #[test]
    fn unsorted_time_is_refused() {
        let plan = Plan::build(&["$close"], &["close"], true).unwrap();
        let panel = Panel {
            fields: vec![&[1.0, 2.0]],
            offsets: &[0, 2],
            time_pos: &[1, 0],
            n_times: 2,
        };
        assert!(evaluate(&plan, &panel).is_err());
    }
}

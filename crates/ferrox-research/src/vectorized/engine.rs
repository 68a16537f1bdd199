//! The row loop shared by the three ways of ordering, run per cash group in
//! parallel.

use rayon::prelude::*;

use super::account::{Cash, Costs, Executed, Holding, Intent};
use super::stops::{Bar, Hit, Stops};
use super::{
    ColumnParams, ExecPrice, Fills, Matrix, Outputs, Prices, Reason, Records, Signals, SimError,
    SimOptions, SizeType, Trades,
};

/// What one mode decides, handed out one column at a time.
trait Decide: Sync {
    /// The rule of one column.
    type Column<'s>: ColumnRule
    where
        Self: 's;
    /// The rule of column `col`.
    fn column(&self, col: usize) -> Self::Column<'_>;
}

/// What one mode decides for one column.
trait ColumnRule {
    /// Whether bar `row` asks for anything at all (the cheap test that lets
    /// most bars skip [`ColumnRule::decide`]).
    fn wants(&self, row: usize) -> bool;

    /// The order on bar `row` of column `col`, holding `position`.
    fn decide(
        &self,
        row: usize,
        col: usize,
        position: f64,
        ctx: &Sizing,
    ) -> Result<Intent, SimError>;
}

/// What sizes are read against on the decision bar.
struct Sizing {
    kind: SizeType,
    /// The decision bar's close (NaN when missing).
    price: f64,
    /// Equity of the group at that close, before the bar's orders.
    equity: f64,
}

impl Sizing {
    /// Units for a size of `value` (signed, `inf` kept as "all").
    fn units(&self, value: f64, row: usize, col: usize) -> Result<f64, SimError> {
        if value.is_infinite() || self.kind == SizeType::Amount {
            return Ok(value);
        }
        if !(self.price.is_finite() && self.price > 0.0) {
            return Err(SimError::MissingPrice {
                arg: "close",
                row,
                col,
                value: self.price,
            });
        }
        Ok(match self.kind {
            SizeType::Amount => value,
            SizeType::Value => value / self.price,
            SizeType::Percent => value * self.equity / self.price,
        })
    }
}

struct SignalRule<'a> {
    signals: Signals<'a>,
    size: &'a [f64],
}

struct SignalColumn<'a> {
    entries: &'a [bool],
    exits: &'a [bool],
    short_entries: Option<&'a [bool]>,
    short_exits: Option<&'a [bool]>,
    size: f64,
}

impl Decide for SignalRule<'_> {
    type Column<'s>
        = SignalColumn<'s>
    where
        Self: 's;

    fn column(&self, col: usize) -> SignalColumn<'_> {
        let s = &self.signals;
        SignalColumn {
            entries: s.entries.column(col),
            exits: s.exits.column(col),
            short_entries: s.short_entries.map(|m| m.column(col)),
            short_exits: s.short_exits.map(|m| m.column(col)),
            size: self.size[col],
        }
    }
}

impl ColumnRule for SignalColumn<'_> {
    #[inline]
    fn wants(&self, row: usize) -> bool {
        self.entries[row]
            || self.exits[row]
            || self.short_entries.is_some_and(|m| m[row])
            || self.short_exits.is_some_and(|m| m[row])
    }

    #[inline]
    fn decide(
        &self,
        row: usize,
        col: usize,
        position: f64,
        ctx: &Sizing,
    ) -> Result<Intent, SimError> {
        let mut le = self.entries[row];
        let mut lx = self.exits[row];
        let mut se = self.short_entries.is_some_and(|m| m[row]);
        let mut sx = self.short_exits.is_some_and(|m| m[row]);
        if !(le || lx || se || sx) {
            return Ok(Intent::None);
        }
        // vectorbt's defaults: an entry and an exit of one side on one bar
        // cancel, as do a long and a short entry.
        if le && lx {
            (le, lx) = (false, false);
        }
        if se && sx {
            (se, sx) = (false, false);
        }
        if le && se {
            (le, se) = (false, false);
        }
        let reason = Reason::Signal;
        let size = self.size;
        Ok(if position > 0.0 {
            if se {
                let units = ctx.units(size, row, col)?;
                Intent::Sell {
                    units: position + units,
                    short: true,
                    reason,
                }
            } else if lx {
                Intent::Sell {
                    units: position,
                    short: false,
                    reason,
                }
            } else {
                Intent::None
            }
        } else if position < 0.0 {
            if le {
                let units = ctx.units(size, row, col)?;
                Intent::Buy {
                    units: -position + units,
                    reason,
                }
            } else if sx {
                Intent::Buy {
                    units: -position,
                    reason,
                }
            } else {
                Intent::None
            }
        } else if le {
            Intent::Buy {
                units: ctx.units(size, row, col)?,
                reason,
            }
        } else if se {
            Intent::Sell {
                units: ctx.units(size, row, col)?,
                short: true,
                reason,
            }
        } else {
            Intent::None
        })
    }
}

struct TargetRule<'a> {
    target: Matrix<'a, f64>,
}

struct CellColumn<'a> {
    values: &'a [f64],
    /// Targets are positions to reach; orders are sizes to trade.
    target: bool,
}

impl Decide for TargetRule<'_> {
    type Column<'s>
        = CellColumn<'s>
    where
        Self: 's;

    fn column(&self, col: usize) -> CellColumn<'_> {
        CellColumn {
            values: self.target.column(col),
            target: true,
        }
    }
}

struct OrderRule<'a> {
    size: Matrix<'a, f64>,
}

impl Decide for OrderRule<'_> {
    type Column<'s>
        = CellColumn<'s>
    where
        Self: 's;

    fn column(&self, col: usize) -> CellColumn<'_> {
        CellColumn {
            values: self.size.column(col),
            target: false,
        }
    }
}

impl ColumnRule for CellColumn<'_> {
    #[inline]
    fn wants(&self, row: usize) -> bool {
        !self.values[row].is_nan()
    }

    #[inline]
    fn decide(
        &self,
        row: usize,
        col: usize,
        position: f64,
        ctx: &Sizing,
    ) -> Result<Intent, SimError> {
        let value = self.values[row];
        if value.is_nan() {
            return Ok(Intent::None);
        }
        let units = ctx.units(value, row, col)?;
        Ok(signed_intent(if self.target {
            units - position
        } else {
            units
        }))
    }
}

fn signed_intent(units: f64) -> Intent {
    let reason = Reason::Signal;
    if units > 0.0 {
        Intent::Buy { units, reason }
    } else if units < 0.0 {
        Intent::Sell {
            units: -units,
            short: true,
            reason,
        }
    } else {
        Intent::None
    }
}

/// Simulates entry/exit signals. Entries and exits act only when they change
/// something: an entry opens a position when flat (or reverses the opposite
/// one), an exit closes its side; a second entry on the same side is
/// ignored (no pyramiding). A bar whose stop triggered takes no signal.
pub fn simulate_signals(
    prices: Prices<'_>,
    signals: Signals<'_>,
    params: ColumnParams<'_>,
    options: SimOptions<'_>,
    out: Outputs<'_>,
) -> Result<Records, SimError> {
    let (n_rows, n_cols) = layout(&prices, &options)?;
    signals.entries.check("entries", n_rows, n_cols)?;
    signals.exits.check("exits", n_rows, n_cols)?;
    if let Some(m) = signals.short_entries {
        m.check("short_entries", n_rows, n_cols)?;
    }
    if let Some(m) = signals.short_exits {
        m.check("short_exits", n_rows, n_cols)?;
    }
    check_params(&params, n_cols, true)?;
    let rule = SignalRule {
        signals,
        size: params.size,
    };
    run(&rule, prices, params, options, out, true)
}

/// Simulates a target position per cell (NaN = no change), read per
/// `options.size_type`: units, value, or a fraction of the group's equity.
pub fn simulate_target(
    prices: Prices<'_>,
    target: Matrix<'_, f64>,
    params: ColumnParams<'_>,
    options: SimOptions<'_>,
    out: Outputs<'_>,
) -> Result<Records, SimError> {
    let (n_rows, n_cols) = layout(&prices, &options)?;
    target.check("target", n_rows, n_cols)?;
    check_params(&params, n_cols, false)?;
    run(&TargetRule { target }, prices, params, options, out, false)
}

/// Simulates explicit orders: a signed size per cell (NaN = none), read per
/// `options.size_type`; `inf` buys with all the cash, `-inf` sells the long
/// position and shorts with all the free cash.
pub fn simulate_orders(
    prices: Prices<'_>,
    size: Matrix<'_, f64>,
    params: ColumnParams<'_>,
    options: SimOptions<'_>,
    out: Outputs<'_>,
) -> Result<Records, SimError> {
    let (n_rows, n_cols) = layout(&prices, &options)?;
    size.check("size", n_rows, n_cols)?;
    check_params(&params, n_cols, false)?;
    run(&OrderRule { size }, prices, params, options, out, false)
}

/// (rows, columns) of the layout, with the prices and groups checked.
fn layout(prices: &Prices<'_>, options: &SimOptions<'_>) -> Result<(usize, usize), SimError> {
    let n_cols: usize = options.group_lens.iter().sum();
    if options.group_lens.contains(&0) || n_cols == 0 {
        return Err(SimError::Config(
            "group_by: every group needs at least one column".into(),
        ));
    }
    let n_rows = prices.close.n_rows();
    prices.close.check("close", n_rows, n_cols)?;
    for (name, m) in [
        ("open", prices.open),
        ("high", prices.high),
        ("low", prices.low),
    ] {
        if let Some(m) = m {
            m.check(name, n_rows, n_cols)?;
        }
    }
    if prices.high.is_some() != prices.low.is_some() {
        return Err(SimError::Config(
            "high and low: give both (stops inside the bar) or neither".into(),
        ));
    }
    if options.price == ExecPrice::NextOpen && prices.open.is_none() {
        return Err(SimError::Config(
            "open: price=\"next_open\" fills at the next bar's open, so open is required".into(),
        ));
    }
    if options.init_cash.len() != options.group_lens.len() {
        return Err(SimError::Shape {
            arg: "init_cash",
            expected: format!("{} values (one per group)", options.group_lens.len()),
            got: format!("{} values", options.init_cash.len()),
        });
    }
    for (g, &c) in options.init_cash.iter().enumerate() {
        if !(c.is_finite() && c > 0.0) {
            return Err(SimError::Param {
                arg: "init_cash",
                col: g,
                value: c,
                expected: "a finite amount > 0",
            });
        }
    }
    Ok((n_rows, n_cols))
}

fn check_params(params: &ColumnParams<'_>, n_cols: usize, signals: bool) -> Result<(), SimError> {
    type Rule = fn(f64) -> bool;
    let ge0: Rule = |v| v.is_finite() && v >= 0.0;
    let stop: Rule = |v| v.is_nan() || (v.is_finite() && v > 0.0);
    let slippage: Rule = |v| v.is_finite() && (0.0..1.0).contains(&v);
    let size: Rule = |v| !v.is_nan() && v >= 0.0;
    let checks: [(&'static str, &[f64], Rule, &'static str); 7] = [
        ("size", params.size, size, "a size >= 0 (inf = all)"),
        ("fees", params.fees, ge0, "a finite fraction >= 0"),
        ("fixed_fees", params.fixed_fees, ge0, "a finite amount >= 0"),
        (
            "slippage",
            params.slippage,
            slippage,
            "a fraction in [0, 1)",
        ),
        (
            "sl_stop",
            params.sl_stop,
            stop,
            "a fraction > 0, or NaN for none",
        ),
        (
            "tp_stop",
            params.tp_stop,
            stop,
            "a fraction > 0, or NaN for none",
        ),
        (
            "tsl_stop",
            params.tsl_stop,
            stop,
            "a fraction > 0, or NaN for none",
        ),
    ];
    for (arg, values, ok, expected) in checks {
        if values.len() != n_cols {
            return Err(SimError::Shape {
                arg,
                expected: format!("{n_cols} values (one per column)"),
                got: format!("{} values", values.len()),
            });
        }
        if arg == "size" && !signals {
            continue;
        }
        if let Some(col) = values.iter().position(|&v| !ok(v)) {
            return Err(SimError::Param {
                arg,
                col,
                value: values[col],
                expected,
            });
        }
        if !signals && arg.ends_with("_stop") && values.iter().any(|v| !v.is_nan()) {
            return Err(SimError::Config(format!(
                "{arg}: stops apply to signals only (simulate_signals)"
            )));
        }
    }
    Ok(())
}

/// One cash group's share of the outputs.
struct Job<'o> {
    group: usize,
    first_col: usize,
    len: usize,
    cash: Option<&'o mut [f64]>,
    equity: &'o mut [f64],
    position: Option<&'o mut [f64]>,
}

fn run<D: Decide>(
    rule: &D,
    prices: Prices<'_>,
    params: ColumnParams<'_>,
    options: SimOptions<'_>,
    out: Outputs<'_>,
    use_stops: bool,
) -> Result<Records, SimError> {
    let n_rows = prices.close.n_rows();
    let n_groups = options.group_lens.len();
    let n_cols: usize = options.group_lens.iter().sum();
    let use_stops = use_stops
        && [params.sl_stop, params.tp_stop, params.tsl_stop]
            .iter()
            .any(|s| s.iter().any(|v| !v.is_nan()));
    for (arg, len, want) in [
        (
            "cash",
            out.cash.as_ref().map(|c| c.len()),
            n_rows * n_groups,
        ),
        ("equity", Some(out.equity.len()), n_rows * n_groups),
        (
            "position",
            out.position.as_ref().map(|p| p.len()),
            n_rows * n_cols,
        ),
    ] {
        if let Some(len) = len.filter(|&l| l != want) {
            return Err(SimError::Shape {
                arg,
                expected: format!("an output of {want} cells"),
                got: format!("{len} cells"),
            });
        }
    }
    let mut jobs = Vec::with_capacity(n_groups);
    {
        let (mut c_rest, mut e_rest, mut p_rest) = (out.cash, out.equity, out.position);
        let mut first_col = 0;
        for (group, &len) in options.group_lens.iter().enumerate() {
            let (c, cr) = split(c_rest.take(), n_rows);
            let (e, er) = std::mem::take(&mut e_rest).split_at_mut(n_rows);
            let (p, pr) = split(p_rest.take(), n_rows * len);
            (c_rest, e_rest, p_rest) = (cr, er, pr);
            jobs.push(Job {
                group,
                first_col,
                len,
                cash: c,
                equity: e,
                position: p,
            });
            first_col += len;
        }
    }
    let results: Vec<Result<(Fills, Trades), SimError>> = jobs
        .into_par_iter()
        .map(|job| run_group(rule, job, &prices, &params, &options, use_stops))
        .collect();
    let mut fills = Fills::default();
    let mut trades = Trades::default();
    let mut first_error: Option<SimError> = None;
    for result in results {
        match result {
            Ok((f, t)) => {
                append_fills(&mut fills, f);
                append_trades(&mut trades, t);
            }
            Err(e) => {
                if first_error
                    .as_ref()
                    .is_none_or(|f| e.position() < f.position())
                {
                    first_error = Some(e);
                }
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(Records { fills, trades })
}

/// Splits an optional buffer after `mid` cells.
fn split(buffer: Option<&mut [f64]>, mid: usize) -> (Option<&mut [f64]>, Option<&mut [f64]>) {
    match buffer {
        Some(b) => {
            let (head, tail) = b.split_at_mut(mid);
            (Some(head), Some(tail))
        }
        None => (None, None),
    }
}

fn append_fills(into: &mut Fills, mut from: Fills) {
    into.row.append(&mut from.row);
    into.col.append(&mut from.col);
    into.side.append(&mut from.side);
    into.size.append(&mut from.size);
    into.price.append(&mut from.price);
    into.fee.append(&mut from.fee);
    into.reason.append(&mut from.reason);
    into.position.append(&mut from.position);
    into.cash.append(&mut from.cash);
}

fn append_trades(into: &mut Trades, mut from: Trades) {
    into.col.append(&mut from.col);
    into.side.append(&mut from.side);
    into.entry_row.append(&mut from.entry_row);
    into.exit_row.append(&mut from.exit_row);
    into.size.append(&mut from.size);
    into.entry_price.append(&mut from.entry_price);
    into.exit_price.append(&mut from.exit_price);
    into.pnl.append(&mut from.pnl);
    into.ret.append(&mut from.ret);
}

/// One column of a group: its inputs and its state.
struct Column<'a, R> {
    rule: R,
    index: usize,
    close: &'a [f64],
    open: Option<&'a [f64]>,
    high: Option<&'a [f64]>,
    low: Option<&'a [f64]>,
    costs: Costs,
    sl: f64,
    tp: f64,
    tsl: f64,
    holding: Holding,
    stops: Stops,
    /// Last known price, for valuation.
    mark: f64,
    /// Order decided on the previous bar (next-open mode) or this bar.
    intent: Intent,
    /// Whether `intent` came from a stop checked on the close.
    stopped: bool,
}

fn valid_price(arg: &'static str, price: f64, row: usize, col: usize) -> Result<f64, SimError> {
    if price.is_finite() && price > 0.0 {
        Ok(price)
    } else {
        Err(SimError::MissingPrice {
            arg,
            row,
            col,
            value: price,
        })
    }
}

/// Executes `c.intent` at `price`, arming or clearing its stops.
fn fill<R>(
    c: &mut Column<'_, R>,
    cash: &mut Cash,
    price: f64,
    row: usize,
    first_stop_row: usize,
    use_stops: bool,
    records: &mut (Fills, Trades),
) -> Option<Executed> {
    let before = c.holding.position;
    let intent = std::mem::replace(&mut c.intent, Intent::None);
    let done = c.holding.execute(
        cash,
        intent,
        price,
        c.costs,
        row,
        c.index,
        &mut records.0,
        &mut records.1,
    )?;
    if c.mark.is_nan() {
        c.mark = price;
    }
    if use_stops {
        let after = c.holding.position;
        if after == 0.0 {
            c.stops.clear();
        } else if before == 0.0 || before.signum() != after.signum() {
            c.stops
                .arm(after.signum(), price, first_stop_row, c.sl, c.tp, c.tsl);
        }
    }
    Some(done)
}

/// Checks the stops of `c` on bar `row`: a stop inside the bar fills at
/// once; one on the close leaves its exit in `c.intent`. Whether one fired.
fn check_stop<R>(
    c: &mut Column<'_, R>,
    cash: &mut Cash,
    row: usize,
    records: &mut (Fills, Trades),
) -> bool {
    if c.holding.position == 0.0 || !c.stops.active() {
        return false;
    }
    let bar = Bar {
        open: c.open.map_or(f64::NAN, |o| o[row]),
        high: c.high.map_or(f64::NAN, |h| h[row]),
        low: c.low.map_or(f64::NAN, |l| l[row]),
        close: c.close[row],
    };
    let Some(hit) = c.stops.check(row, bar) else {
        return false;
    };
    let reason = match hit {
        Hit::At(_, r) | Hit::OnClose(r) => r,
    };
    let position = c.holding.position;
    c.intent = if position > 0.0 {
        Intent::Sell {
            units: position,
            short: false,
            reason,
        }
    } else {
        Intent::Buy {
            units: -position,
            reason,
        }
    };
    if let Hit::At(price, _) = hit {
        fill(c, cash, price, row, row + 1, true, records);
    }
    true
}

/// The loop of a group of one column: the same steps as [`run_group`]
/// without the passes over the group's columns.
#[allow(clippy::too_many_arguments)]
fn run_single<R: ColumnRule>(
    c: &mut Column<'_, R>,
    cash: &mut Cash,
    job: &mut Job<'_>,
    n_rows: usize,
    kind: SizeType,
    next_open: bool,
    use_stops: bool,
    records: &mut (Fills, Trades),
) -> Result<(), SimError> {
    let mut pending = false;
    for row in 0..n_rows {
        if pending {
            let open = c.open.map_or(f64::NAN, |o| o[row]);
            let price = valid_price("open", open, row, c.index)?;
            fill(c, cash, price, row, row, use_stops, records);
            pending = false;
        }
        let close = c.close[row];
        if close.is_finite() {
            c.mark = close;
        }
        let stopped = use_stops && check_stop(c, cash, row, records);
        if stopped {
            // The stop's exit stands in for the bar's signals.
        } else if !c.rule.wants(row) {
            c.intent = Intent::None;
        } else {
            let position = c.holding.position;
            let mut equity = cash.cash;
            if position != 0.0 {
                equity += position * c.mark;
            }
            let sizing = Sizing {
                kind,
                price: close,
                equity,
            };
            c.intent = c.rule.decide(row, c.index, position, &sizing)?;
        }
        if c.intent != Intent::None {
            if !next_open {
                let price = valid_price("close", close, row, c.index)?;
                fill(c, cash, price, row, row + 1, use_stops, records);
            } else if row + 1 < n_rows {
                pending = true;
            } else {
                c.intent = Intent::None;
            }
        }
        let p = c.holding.position;
        let mut value = cash.cash;
        if p != 0.0 {
            value += p * c.mark;
        }
        if let Some(out) = job.position.as_deref_mut() {
            out[row] = p;
        }
        if let Some(out) = job.cash.as_deref_mut() {
            out[row] = cash.cash;
        }
        job.equity[row] = value;
    }
    Ok(())
}

fn run_group<D: Decide>(
    rule: &D,
    mut job: Job<'_>,
    prices: &Prices<'_>,
    params: &ColumnParams<'_>,
    options: &SimOptions<'_>,
    use_stops: bool,
) -> Result<(Fills, Trades), SimError> {
    let n_rows = prices.close.n_rows();
    let next_open = options.price == ExecPrice::NextOpen;
    let mut cols: Vec<Column<'_, D::Column<'_>>> = (job.first_col..job.first_col + job.len)
        .map(|index| Column {
            rule: rule.column(index),
            index,
            close: prices.close.column(index),
            open: prices.open.map(|m| m.column(index)),
            high: prices.high.map(|m| m.column(index)),
            low: prices.low.map(|m| m.column(index)),
            costs: Costs {
                fees: params.fees[index],
                fixed_fees: params.fixed_fees[index],
                slippage: params.slippage[index],
            },
            sl: params.sl_stop[index],
            tp: params.tp_stop[index],
            tsl: params.tsl_stop[index],
            holding: Holding::default(),
            stops: Stops::default(),
            mark: f64::NAN,
            intent: Intent::None,
            stopped: false,
        })
        .collect();
    let mut cash = Cash {
        cash: options.init_cash[job.group],
        debt: 0.0,
    };
    let mut records = (Fills::default(), Trades::default());
    if let [c] = cols.as_mut_slice() {
        run_single(
            c,
            &mut cash,
            &mut job,
            n_rows,
            options.size_type,
            next_open,
            use_stops,
            &mut records,
        )?;
        return Ok(records);
    }
    let mut pending = false;
    for row in 0..n_rows {
        // Orders decided on the previous bar fill at this bar's open, sales
        // first so that their cash pays for the buys.
        if pending {
            for buys in [false, true] {
                for c in cols.iter_mut() {
                    if matches!(c.intent, Intent::Buy { .. }) != buys || c.intent == Intent::None {
                        continue;
                    }
                    let open = c.open.map_or(f64::NAN, |o| o[row]);
                    let price = valid_price("open", open, row, c.index)?;
                    fill(c, &mut cash, price, row, row, use_stops, &mut records);
                }
            }
            pending = false;
        }
        for c in cols.iter_mut() {
            let close = c.close[row];
            if close.is_finite() {
                c.mark = close;
            }
        }
        if use_stops {
            for c in cols.iter_mut() {
                c.stopped = check_stop(c, &mut cash, row, &mut records);
            }
        }
        // Decide this bar's orders against the equity at its close.
        let mut equity = cash.cash;
        for c in cols.iter() {
            if c.holding.position != 0.0 {
                equity += c.holding.position * c.mark;
            }
        }
        let mut any = false;
        for c in cols.iter_mut() {
            if !c.stopped {
                let sizing = Sizing {
                    kind: options.size_type,
                    price: c.close[row],
                    equity,
                };
                c.intent = if c.rule.wants(row) {
                    c.rule.decide(row, c.index, c.holding.position, &sizing)?
                } else {
                    Intent::None
                };
            }
            c.stopped = false;
            any |= c.intent != Intent::None;
        }
        if any {
            if next_open {
                if row + 1 < n_rows {
                    pending = true;
                } else {
                    cols.iter_mut().for_each(|c| c.intent = Intent::None);
                }
            } else {
                for buys in [false, true] {
                    for c in cols.iter_mut() {
                        if matches!(c.intent, Intent::Buy { .. }) != buys
                            || c.intent == Intent::None
                        {
                            continue;
                        }
                        let price = valid_price("close", c.close[row], row, c.index)?;
                        fill(c, &mut cash, price, row, row + 1, use_stops, &mut records);
                    }
                }
            }
        }
        let mut value = cash.cash;
        for (k, c) in cols.iter().enumerate() {
            let p = c.holding.position;
            if p != 0.0 {
                value += p * c.mark;
            }
            if let Some(out) = job.position.as_deref_mut() {
                out[k * n_rows + row] = p;
            }
        }
        if let Some(out) = job.cash.as_deref_mut() {
            out[row] = cash.cash;
        }
        job.equity[row] = value;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    #[test]
    fn all_in_entry_and_exit_round_trip_pays_fees_both_ways() {
        let close = [10.0, 11.0, 12.0, 12.0];
        let entries = [true, false, false, false];
        let exits = [false, false, true, false];
        let zero = [0.001];
        let none = [0.0];
        let inf = [f64::INFINITY];
        let nan = [NAN];
        let p = ColumnParams {
            size: &inf,
            fees: &zero,
            fixed_fees: &none,
            slippage: &none,
            sl_stop: &nan,
            tp_stop: &nan,
            tsl_stop: &nan,
        };
        let (mut cash, mut equity, mut position) = (vec![0.0; 4], vec![0.0; 4], vec![0.0; 4]);
        let records = simulate_signals(
            Prices {
                close: Matrix::new("close", &close, 4, 1).unwrap(),
                open: None,
                high: None,
                low: None,
            },
            Signals {
                entries: Matrix::new("entries", &entries, 4, 1).unwrap(),
                exits: Matrix::new("exits", &exits, 4, 1).unwrap(),
                short_entries: None,
                short_exits: None,
            },
            p,
            SimOptions {
                size_type: SizeType::Amount,
                price: ExecPrice::Close,
                group_lens: &[1],
                init_cash: &[100.0],
            },
            Outputs {
                cash: Some(&mut cash),
                equity: &mut equity,
                position: Some(&mut position),
            },
        )
        .unwrap();
        let units = 100.0 / 1.001 / 10.0;
        assert_eq!(position, vec![units, units, 0.0, 0.0]);
        let final_cash = units * 12.0 * (1.0 - 0.001);
        assert!((cash[3] - final_cash).abs() < 1e-9);
        assert_eq!(equity[3], cash[3]);
        assert_eq!(records.fills.row, vec![0, 2]);
        assert_eq!(records.trades.entry_row, vec![0]);
        assert!((records.trades.pnl[0] - (final_cash - 100.0)).abs() < 1e-9);
    }
}

//! Vectorised portfolio simulation over a time × column layout.
//!
//! A column is an instrument or a parameter combination; every 2-D input is
//! column-major (`data[col * n_rows + row]`), so one column is one contiguous
//! slice and independent columns run in parallel (rayon). An input may hold a
//! single column, which then serves every column (one price series against
//! many signal columns).
//!
//! Three ways to say what to trade, one execution model:
//! - [`simulate_signals`]: long/short entry and exit signals, with stop-loss,
//!   take-profit and trailing stops;
//! - [`simulate_target`]: a target position per cell (units, value or a
//!   fraction of equity), NaN = leave as is;
//! - [`simulate_orders`]: an order size per cell (signed), NaN = none.
//!
//! Execution follows vectorbt's cash model so that results can be compared
//! with it: a buy never spends more cash than there is (it is cut down to what
//! the cash pays, fees included), a sale adds its proceeds to cash, a short
//! sale books a debt whose double is held back from the cash free for further
//! shorting. With cash sharing, the columns of a group draw on one cash
//! balance; within a row their sales run before their buys so that freed cash
//! can be spent in the same row.

mod account;
mod engine;
mod stops;
#[cfg(test)]
mod tests;

use thiserror::Error;

pub use engine::{simulate_orders, simulate_signals, simulate_target};

/// A column-major matrix of `n_rows` rows and either one column (shared by
/// all) or one column per simulated column.
#[derive(Clone, Copy, Debug)]
pub struct Matrix<'a, T> {
    data: &'a [T],
    n_rows: usize,
    n_cols: usize,
}

impl<'a, T: Copy> Matrix<'a, T> {
    /// A matrix over `data`, which must hold `n_rows * n_cols` cells.
    pub fn new(
        name: &'static str,
        data: &'a [T],
        n_rows: usize,
        n_cols: usize,
    ) -> Result<Self, SimError> {
        if n_cols == 0 || data.len() != n_rows * n_cols {
            return Err(SimError::Shape {
                arg: name,
                expected: format!(
                    "{n_rows} rows × {n_cols} columns ({} cells)",
                    n_rows * n_cols
                ),
                got: format!("{} cells", data.len()),
            });
        }
        Ok(Self {
            data,
            n_rows,
            n_cols,
        })
    }

    /// Rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Columns held (1 when broadcast).
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Column `col` (column 0 when the matrix holds a single column).
    #[inline]
    pub fn column(&self, col: usize) -> &'a [T] {
        let c = if self.n_cols == 1 { 0 } else { col };
        &self.data[c * self.n_rows..(c + 1) * self.n_rows]
    }

    fn check(&self, name: &'static str, n_rows: usize, n_cols: usize) -> Result<(), SimError> {
        if self.n_rows != n_rows || (self.n_cols != 1 && self.n_cols != n_cols) {
            return Err(SimError::Shape {
                arg: name,
                expected: format!("{n_rows} rows × 1 or {n_cols} columns"),
                got: format!("{} rows × {} columns", self.n_rows, self.n_cols),
            });
        }
        Ok(())
    }
}

/// Bar prices. `close` values positions and fills orders in `Close` mode;
/// `open` fills orders in `NextOpen` mode and gaps through stops; `high` and
/// `low` trigger stops inside the bar (without them stops are checked on the
/// close).
#[derive(Clone, Copy, Debug)]
pub struct Prices<'a> {
    /// Close prices.
    pub close: Matrix<'a, f64>,
    /// Open prices.
    pub open: Option<Matrix<'a, f64>>,
    /// High prices.
    pub high: Option<Matrix<'a, f64>>,
    /// Low prices.
    pub low: Option<Matrix<'a, f64>>,
}

/// How a size is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeType {
    /// Units of the instrument (`inf` = as much as the cash allows).
    Amount,
    /// Money: units = value / price.
    Value,
    /// Fraction of the account's equity (the group's with cash sharing):
    /// units = fraction × equity / price.
    Percent,
}

/// Where orders decided on bar `t` fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecPrice {
    /// At bar `t`'s close (vectorbt's default).
    Close,
    /// At bar `t + 1`'s open: the event engine's convention for market
    /// orders on bars. Sizes are still decided with bar `t`'s close and
    /// equity, as a strategy placing the order would; orders decided on the
    /// last bar never fill.
    NextOpen,
}

/// Per-column parameters, each of length `n_cols` (NaN stop = no stop).
#[derive(Clone, Copy, Debug)]
pub struct ColumnParams<'a> {
    /// Entry size (signals mode), read per [`SizeType`].
    pub size: &'a [f64],
    /// Fee as a fraction of notional (0.001 = 10 bp).
    pub fees: &'a [f64],
    /// Fee per order, in cash.
    pub fixed_fees: &'a [f64],
    /// Slippage as a fraction of price, against the order.
    pub slippage: &'a [f64],
    /// Stop-loss distance from the entry price, as a fraction.
    pub sl_stop: &'a [f64],
    /// Take-profit distance from the entry price, as a fraction.
    pub tp_stop: &'a [f64],
    /// Trailing-stop distance from the best price since entry, as a fraction.
    pub tsl_stop: &'a [f64],
}

/// Options shared by all columns.
#[derive(Clone, Copy, Debug)]
pub struct SimOptions<'a> {
    /// How sizes are read.
    pub size_type: SizeType,
    /// Where orders fill.
    pub price: ExecPrice,
    /// Columns per group, summing to the column count; each group has its
    /// own cash. Without cash sharing every group must be one column.
    pub group_lens: &'a [usize],
    /// Starting cash per group.
    pub init_cash: &'a [f64],
}

/// Entry and exit signals.
#[derive(Clone, Copy, Debug)]
pub struct Signals<'a> {
    /// Open a long position (or reverse a short one).
    pub entries: Matrix<'a, bool>,
    /// Close a long position.
    pub exits: Matrix<'a, bool>,
    /// Open a short position (or reverse a long one).
    pub short_entries: Option<Matrix<'a, bool>>,
    /// Close a short position.
    pub short_exits: Option<Matrix<'a, bool>>,
}

/// Why an order was placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Reason {
    /// A signal, target or explicit order.
    Signal = 0,
    /// The stop-loss.
    StopLoss = 1,
    /// The trailing stop.
    TrailingStop = 2,
    /// The take-profit.
    TakeProfit = 3,
}

/// Fills, one entry per fill.
#[derive(Clone, Debug, Default)]
pub struct Fills {
    /// Row of the fill.
    pub row: Vec<i64>,
    /// Column of the fill.
    pub col: Vec<i64>,
    /// +1 buy, -1 sell.
    pub side: Vec<i8>,
    /// Units filled (positive).
    pub size: Vec<f64>,
    /// Fill price, slippage included.
    pub price: Vec<f64>,
    /// Fee paid.
    pub fee: Vec<f64>,
    /// [`Reason`] code.
    pub reason: Vec<u8>,
    /// The column's position after the fill.
    pub position: Vec<f64>,
    /// The group's cash after the fill.
    pub cash: Vec<f64>,
}

/// Closed trades: each fill that reduces a position closes a trade of its
/// size against the position's average entry price (vectorbt's exit trades).
#[derive(Clone, Debug, Default)]
pub struct Trades {
    /// Column of the trade.
    pub col: Vec<i64>,
    /// +1 long, -1 short.
    pub side: Vec<i8>,
    /// Row of the fill that opened the position.
    pub entry_row: Vec<i64>,
    /// Row of the closing fill.
    pub exit_row: Vec<i64>,
    /// Units closed.
    pub size: Vec<f64>,
    /// Average entry price (slippage included).
    pub entry_price: Vec<f64>,
    /// Exit price (slippage included).
    pub exit_price: Vec<f64>,
    /// Profit net of the entry and exit fees falling to this trade.
    pub pnl: Vec<f64>,
    /// `pnl` over the entry notional.
    pub ret: Vec<f64>,
}

/// Where a simulation writes its per-cell results: column-major buffers the
/// caller owns (so that Python can hand in numpy's own memory). Every cell of
/// a given buffer is written. Cash and position are optional because they are
/// step functions of the fills (which carry both after each fill), and
/// writing them costs more memory traffic than the simulation itself.
#[derive(Debug)]
pub struct Outputs<'o> {
    /// Cash per group at each row's end (`n_rows × n_groups`).
    pub cash: Option<&'o mut [f64]>,
    /// Equity (cash + positions at the last known close) per group.
    pub equity: &'o mut [f64],
    /// Position in units per column (`n_rows × n_cols`).
    pub position: Option<&'o mut [f64]>,
}

/// The fills and closed trades of a simulation.
#[derive(Clone, Debug, Default)]
pub struct Records {
    /// Every fill, by group then row.
    pub fills: Fills,
    /// Every closed trade, by group then row.
    pub trades: Trades,
}

/// Why a simulation could not run.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SimError {
    /// An input's shape does not fit the layout.
    #[error("{arg}: expected {expected}, got {got}")]
    Shape {
        /// The argument.
        arg: &'static str,
        /// What fits.
        expected: String,
        /// What came.
        got: String,
    },
    /// A parameter is out of range.
    #[error("{arg}: {value} at column {col} is invalid; expected {expected}")]
    Param {
        /// The argument.
        arg: &'static str,
        /// Its column (or group for `init_cash`).
        col: usize,
        /// The value.
        value: f64,
        /// What is allowed.
        expected: &'static str,
    },
    /// Options that do not fit together.
    #[error("{0}")]
    Config(String),
    /// An order had to fill or be sized where the price is missing.
    #[error("{arg}: no usable price ({value}) at row {row}, column {col} where an order fills")]
    MissingPrice {
        /// The price argument (`close` or `open`).
        arg: &'static str,
        /// Row.
        row: usize,
        /// Column.
        col: usize,
        /// The value found (NaN, infinite or not positive).
        value: f64,
    },
}

impl SimError {
    /// (row, column) of a data error, to pick the first across columns.
    fn position(&self) -> (usize, usize) {
        match self {
            SimError::MissingPrice { row, col, .. } => (*row, *col),
            _ => (0, 0),
        }
    }
}

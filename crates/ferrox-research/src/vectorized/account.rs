//! Order execution against one cash balance, and trade bookkeeping.
//!
//! The arithmetic is vectorbt's (`buy_nb` / `sell_nb` without cash locking)
//! so that the two agree to the last bit on the same orders.

use super::{Fills, Reason, Trades};

/// Cash of one group.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cash {
    pub cash: f64,
    /// Sum of the columns' short debts (entry value of open shorts).
    pub debt: f64,
}

impl Cash {
    /// Cash not tied up by shorts: each unit of short debt holds back its
    /// proceeds and as much again as margin.
    fn free(&self) -> f64 {
        self.cash - 2.0 * self.debt
    }
}

/// An order still in units, before cash limits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Intent {
    None,
    /// Buy `units` (`inf` = all the cash allows).
    Buy {
        units: f64,
        reason: Reason,
    },
    /// Sell `units`; without `short` never more than the long position;
    /// with `short` and `inf`, as much as the free cash allows.
    Sell {
        units: f64,
        short: bool,
        reason: Reason,
    },
}

/// Costs of one column.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Costs {
    pub fees: f64,
    pub fixed_fees: f64,
    pub slippage: f64,
}

/// Position and open-trade state of one column.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Holding {
    pub position: f64,
    /// Entry value of the open short (0 when long or flat).
    pub debt: f64,
    entry_row: usize,
    entry_price: f64,
    /// Entry fees not yet charged to a closed trade.
    entry_fees: f64,
}

/// A fill as executed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Executed {
    pub side: i8,
    pub size: f64,
    pub price: f64,
    pub fee: f64,
}

impl Holding {
    /// Executes `intent` at market price `price`; records the fill and any
    /// closed trade. Returns the fill, or `None` when nothing could fill.
    #[allow(clippy::too_many_arguments)]
    pub fn execute(
        &mut self,
        cash: &mut Cash,
        intent: Intent,
        price: f64,
        costs: Costs,
        row: usize,
        col: usize,
        fills: &mut Fills,
        trades: &mut Trades,
    ) -> Option<Executed> {
        let before = self.position;
        let (executed, reason) = match intent {
            Intent::None => return None,
            Intent::Buy { units, reason } => (self.buy(cash, units, price, costs)?, reason),
            Intent::Sell {
                units,
                short,
                reason,
            } => (self.sell(cash, units, short, price, costs)?, reason),
        };
        fills.row.push(row as i64);
        fills.col.push(col as i64);
        fills.side.push(executed.side);
        fills.size.push(executed.size);
        fills.price.push(executed.price);
        fills.fee.push(executed.fee);
        fills.reason.push(reason as u8);
        fills.position.push(self.position);
        fills.cash.push(cash.cash);
        self.book(before, executed, row, col, trades);
        Some(executed)
    }

    fn buy(&mut self, cash: &mut Cash, units: f64, price: f64, costs: Costs) -> Option<Executed> {
        if units.is_nan() || units <= 0.0 || cash.cash <= 0.0 {
            return None;
        }
        let adj = price * (1.0 + costs.slippage);
        let limit = cash.cash;
        let mut size = units;
        let mut fee = size * adj * costs.fees + costs.fixed_fees;
        let mut spent = size * adj + fee;
        if spent.is_nan() || spent > limit {
            // Cut down to what the cash pays, fees included.
            let max_value = (limit - costs.fixed_fees) / (1.0 + costs.fees);
            if max_value <= 0.0 {
                return None;
            }
            size = max_value / adj;
            fee = limit - max_value;
            spent = limit;
        }
        if size <= 0.0 || !size.is_finite() {
            return None;
        }
        let before = self.position;
        cash.cash = if spent == limit {
            0.0
        } else {
            cash.cash - spent
        };
        if before < 0.0 {
            let covered = size.min(-before);
            let released = covered * (self.debt / -before);
            self.debt -= released;
            cash.debt -= released;
        }
        self.position = before + size;
        if self.position >= 0.0 {
            // Rounding must not leave a phantom debt behind a closed short.
            cash.debt -= self.debt;
            self.debt = 0.0;
        }
        Some(Executed {
            side: 1,
            size,
            price: adj,
            fee,
        })
    }

    fn sell(
        &mut self,
        cash: &mut Cash,
        units: f64,
        short: bool,
        price: f64,
        costs: Costs,
    ) -> Option<Executed> {
        if units.is_nan() || units <= 0.0 {
            return None;
        }
        let adj = price * (1.0 - costs.slippage);
        let before = self.position;
        let size = if !short {
            units.min(before.max(0.0))
        } else if units.is_infinite() {
            let long = before.max(0.0);
            let free = cash.free() + long * adj * (1.0 - costs.fees);
            if free <= 0.0 {
                long
            } else {
                long + ((free - costs.fixed_fees) / (adj * (1.0 + costs.fees))).max(0.0)
            }
        } else {
            units
        };
        if size <= 0.0 || !size.is_finite() {
            return None;
        }
        let proceeds = size * adj;
        let fee = proceeds * costs.fees + costs.fixed_fees;
        let net = proceeds - fee;
        if net < 0.0 {
            return None;
        }
        cash.cash += net;
        let after = before - size;
        if after < 0.0 {
            let shorted = if before < 0.0 { size } else { -after };
            self.debt += shorted * adj;
            cash.debt += shorted * adj;
        }
        self.position = after;
        Some(Executed {
            side: -1,
            size,
            price: adj,
            fee,
        })
    }

    /// Books `fill` (which moved the position from `before`) into the
    /// open trade, closing a trade for the part that reduced the position.
    fn book(&mut self, before: f64, fill: Executed, row: usize, col: usize, trades: &mut Trades) {
        let mut opening = fill.size;
        let side = f64::from(fill.side);
        if before != 0.0 && before.signum() != side {
            let open = before.abs();
            let closed = fill.size.min(open);
            let entry_fee = self.entry_fees * (closed / open);
            let exit_fee = fill.fee * (closed / fill.size);
            let dir = before.signum();
            let pnl = dir * (fill.price - self.entry_price) * closed - entry_fee - exit_fee;
            trades.col.push(col as i64);
            trades.side.push(if dir > 0.0 { 1 } else { -1 });
            trades.entry_row.push(self.entry_row as i64);
            trades.exit_row.push(row as i64);
            trades.size.push(closed);
            trades.entry_price.push(self.entry_price);
            trades.exit_price.push(fill.price);
            trades.pnl.push(pnl);
            trades.ret.push(pnl / (self.entry_price * closed));
            self.entry_fees -= entry_fee;
            opening = fill.size - closed;
        }
        if opening > 0.0 {
            let fee = fill.fee * (opening / fill.size);
            let held = if before.signum() == side {
                before.abs()
            } else {
                0.0
            };
            if held == 0.0 {
                self.entry_row = row;
                self.entry_price = fill.price;
                self.entry_fees = fee;
            } else {
                self.entry_price =
                    (self.entry_price * held + fill.price * opening) / (held + opening);
                self.entry_fees += fee;
            }
        }
    }
}

//! Positions: legs with an exact cost basis, realised PnL and fees.
//!
//! A leg holds a non-negative quantity and its cost basis: the sum, in raw
//! quote-currency money, of the notional of every fill part that opened it.
//! Closing `q` of a leg of quantity `Q` and cost `C` removes
//! `floor(C × q / Q)` of the cost (the cost is never negative, so floor is
//! toward zero); the remainder stays with the open quantity, and the last
//! close of a leg removes all that is left. Realised PnL of a close is
//! `notional − removed` for a long leg and `removed − notional` for a short
//! one, so over a leg's life the realised PnL is exactly the money in minus
//! the money out.
//!
//! A netting position uses one leg at a time (long or short) and flips
//! through zero; a hedging position may hold both legs at once.

use crate::orders::OrderSide;
use crate::types::fixed::format_fixed;

use super::currency::CurrencyId;
use super::fees::{div_round_half_even, pow10_i128, rescale_round};
use super::PortfolioError;

/// What the portfolio needs to know about an instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstrumentSpec {
    /// Decimals of raw prices.
    pub price_precision: u8,
    /// Decimals of raw quantities.
    pub size_precision: u8,
    /// Contract multiplier: quote-currency value of one unit of quantity per
    /// unit of price (1 for spot and linear perpetuals).
    pub multiplier: i64,
    /// Currency prices, PnL and fees are in.
    pub quote_currency: CurrencyId,
    /// The asset bought (spot: BTC of BTCUSDT). In a cash account buying it
    /// credits this balance; `None` for instruments that are not held as a
    /// balance (their position is valued at the mark price instead).
    pub base_currency: Option<CurrencyId>,
}

impl InstrumentSpec {
    /// `|price × quantity × multiplier|` in raw money at `money_precision`,
    /// rounded half to even (exact when `money_precision >= price_precision +
    /// size_precision`).
    pub fn notional(
        &self,
        price: i64,
        quantity: i64,
        money_precision: u8,
    ) -> Result<i128, PortfolioError> {
        let overflow = || PortfolioError::Overflow {
            what: format!(
                "notional {} x {} x {}",
                format_fixed(price, self.price_precision),
                format_fixed(quantity, self.size_precision),
                self.multiplier
            ),
        };
        let product = i128::from(price)
            .checked_mul(i128::from(quantity))
            .and_then(|v| v.checked_mul(i128::from(self.multiplier)))
            .ok_or_else(overflow)?;
        let from = u32::from(self.price_precision) + u32::from(self.size_precision);
        rescale_round(product, from, u32::from(money_precision)).ok_or_else(overflow)
    }

    /// The price (raw, at the price precision, rounded half to even) whose
    /// notional for `quantity` is `cost`: the average price of a leg.
    pub fn price_of(&self, cost: i128, quantity: i64, money_precision: u8) -> Option<i64> {
        if quantity <= 0 || self.multiplier <= 0 {
            return None;
        }
        let fine = u32::from(self.price_precision) + u32::from(self.size_precision);
        // price = cost × 10^fine / (10^money × quantity × multiplier)
        let num = if fine >= u32::from(money_precision) {
            cost.checked_mul(pow10_i128(fine - u32::from(money_precision))?)?
        } else {
            div_round_half_even(cost, pow10_i128(u32::from(money_precision) - fine)?)
        };
        let den = i128::from(quantity).checked_mul(i128::from(self.multiplier))?;
        i64::try_from(div_round_half_even(num, den)).ok()
    }
}

/// `a + b`, or an overflow error naming `what`.
#[inline]
fn add(a: i128, b: i128, what: &str) -> Result<i128, PortfolioError> {
    a.checked_add(b).ok_or_else(|| PortfolioError::Overflow {
        what: format!("{what}: {a} + {b}"),
    })
}

/// One side of a position: a non-negative quantity and its cost basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Leg {
    /// Open quantity (raw, ≥ 0).
    pub quantity: i64,
    /// Cost basis of the open quantity (raw quote money, ≥ 0 for positive prices).
    pub cost: i128,
}

impl Leg {
    /// Adds `quantity` bought (long) or sold (short) for `notional`.
    #[inline]
    fn open(&mut self, quantity: i64, notional: i128) -> Result<(), PortfolioError> {
        self.quantity = self
            .quantity
            .checked_add(quantity)
            .ok_or(PortfolioError::Overflow {
                what: format!("leg quantity {} + {quantity}", self.quantity),
            })?;
        self.cost = self
            .cost
            .checked_add(notional)
            .ok_or(PortfolioError::Overflow {
                what: format!("leg cost {} + {notional}", self.cost),
            })?;
        Ok(())
    }

    /// Removes `quantity` (≤ the open quantity) and returns the cost removed.
    #[inline]
    fn close(&mut self, quantity: i64) -> Result<i128, PortfolioError> {
        debug_assert!(quantity > 0 && quantity <= self.quantity);
        let removed = if quantity == self.quantity {
            self.cost
        } else {
            // Truncating division rounds toward zero: floor for a positive cost.
            self.cost
                .checked_mul(i128::from(quantity))
                .ok_or(PortfolioError::Overflow {
                    what: format!("leg cost {} x {quantity}", self.cost),
                })?
                / i128::from(self.quantity)
        };
        self.quantity -= quantity;
        self.cost -= removed;
        Ok(removed)
    }
}

/// Which leg of a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PositionSide {
    /// Bought.
    Long,
    /// Sold short.
    Short,
}

/// A position's full state (one per instrument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// The long leg.
    pub long: Leg,
    /// The short leg (always empty under netting while the long leg is open).
    pub short: Leg,
    /// Realised PnL (raw quote money), fees excluded.
    pub realized_pnl: i128,
    /// Fees paid (raw quote money; rebates are negative).
    pub fees: i128,
    /// Last price seen (raw), used for unrealised PnL and exposure.
    pub mark_price: Option<i64>,
    /// Number of fills applied.
    pub fill_count: u64,
    /// Time of the last fill (ns), 0 before any.
    pub last_fill_ts: i64,
}

/// What one fill did to its position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FillEffect {
    /// Quantity that closed an existing leg.
    pub closed: i64,
    /// Quantity that opened or increased a leg.
    pub opened: i64,
    /// Realised PnL of the closed part (raw quote money, fees excluded).
    pub realized_pnl: i128,
    /// Change of the quote-currency balance, fee included.
    pub cash_delta: i128,
    /// Quantity of a reduce-only fill beyond the position (netting) or leg
    /// (hedging) it was to reduce; booked as an opening (see the apply rules).
    pub reduce_only_excess: i64,
}

impl Position {
    /// Signed net quantity: long minus short.
    #[inline]
    pub fn net_quantity(&self) -> i64 {
        self.long.quantity - self.short.quantity
    }

    /// Whether nothing is open.
    pub fn is_flat(&self) -> bool {
        self.long.quantity == 0 && self.short.quantity == 0
    }

    /// The leg on `side`.
    pub fn leg(&self, side: PositionSide) -> &Leg {
        match side {
            PositionSide::Long => &self.long,
            PositionSide::Short => &self.short,
        }
    }

    /// Unrealised PnL at the mark price (raw quote money); zero without a mark.
    pub fn unrealized_pnl(
        &self,
        spec: &InstrumentSpec,
        money_precision: u8,
    ) -> Result<i128, PortfolioError> {
        let Some(mark) = self.mark_price else {
            return Ok(0);
        };
        let mut pnl = 0i128;
        if self.long.quantity > 0 {
            let value = spec.notional(mark, self.long.quantity, money_precision)?;
            pnl = add(value, -self.long.cost, "unrealised PnL")?;
        }
        if self.short.quantity > 0 {
            let value = spec.notional(mark, self.short.quantity, money_precision)?;
            pnl = add(
                pnl,
                add(self.short.cost, -value, "unrealised PnL")?,
                "unrealised PnL",
            )?;
        }
        Ok(pnl)
    }

    /// Value of the legs at the mark (long − short, raw quote money), falling
    /// back to the cost basis without a mark.
    pub fn market_value(
        &self,
        spec: &InstrumentSpec,
        money_precision: u8,
    ) -> Result<(i128, i128), PortfolioError> {
        let value = |leg: &Leg| match self.mark_price {
            Some(mark) if leg.quantity > 0 => spec.notional(mark, leg.quantity, money_precision),
            _ => Ok(leg.cost),
        };
        Ok((value(&self.long)?, value(&self.short)?))
    }

    /// Opens `quantity` on `side`; returns the notional paid (long) or received (short).
    fn open_leg(
        &mut self,
        side: PositionSide,
        price: i64,
        quantity: i64,
        spec: &InstrumentSpec,
        money_precision: u8,
        effect: &mut FillEffect,
    ) -> Result<(), PortfolioError> {
        let notional = spec.notional(price, quantity, money_precision)?;
        match side {
            PositionSide::Long => {
                self.long.open(quantity, notional)?;
                effect.cash_delta = add(effect.cash_delta, -notional, "cash")?;
            }
            PositionSide::Short => {
                self.short.open(quantity, notional)?;
                effect.cash_delta = add(effect.cash_delta, notional, "cash")?;
            }
        }
        effect.opened += quantity;
        Ok(())
    }

    /// Closes `quantity` of `side` at `price`, realising PnL.
    fn close_leg(
        &mut self,
        side: PositionSide,
        price: i64,
        quantity: i64,
        spec: &InstrumentSpec,
        money_precision: u8,
        effect: &mut FillEffect,
    ) -> Result<(), PortfolioError> {
        let notional = spec.notional(price, quantity, money_precision)?;
        let realized = match side {
            PositionSide::Long => {
                let removed = self.long.close(quantity)?;
                effect.cash_delta = add(effect.cash_delta, notional, "cash")?;
                add(notional, -removed, "realised PnL")?
            }
            PositionSide::Short => {
                let removed = self.short.close(quantity)?;
                effect.cash_delta = add(effect.cash_delta, -notional, "cash")?;
                add(removed, -notional, "realised PnL")?
            }
        };
        effect.realized_pnl = add(effect.realized_pnl, realized, "realised PnL")?;
        self.realized_pnl = add(self.realized_pnl, realized, "realised PnL")?;
        effect.closed += quantity;
        Ok(())
    }

    /// Applies a fill under netting: the fill first closes the opposite leg,
    /// and what is left opens (flips to) its own side. A reduce-only fill
    /// larger than the position is booked the same way (the fill happened),
    /// with the excess reported in [`FillEffect::reduce_only_excess`].
    pub(crate) fn apply_netting(
        &mut self,
        side: OrderSide,
        price: i64,
        quantity: i64,
        reduce_only: bool,
        spec: &InstrumentSpec,
        money_precision: u8,
    ) -> Result<FillEffect, PortfolioError> {
        let (closing, opening) = match side {
            OrderSide::Buy => (PositionSide::Short, PositionSide::Long),
            OrderSide::Sell => (PositionSide::Long, PositionSide::Short),
        };
        let open_qty = self.leg(closing).quantity;
        let mut effect = FillEffect::default();
        let close_qty = quantity.min(open_qty);
        if reduce_only {
            effect.reduce_only_excess = quantity - close_qty;
        }
        // Work on a copy so an error leaves the position untouched.
        let mut next = *self;
        if close_qty > 0 {
            next.close_leg(
                closing,
                price,
                close_qty,
                spec,
                money_precision,
                &mut effect,
            )?;
        }
        if quantity > close_qty {
            next.open_leg(
                opening,
                price,
                quantity - close_qty,
                spec,
                money_precision,
                &mut effect,
            )?;
        }
        *self = next;
        Ok(effect)
    }

    /// Applies a fill under hedging (Binance hedge mode): a reduce-only buy
    /// closes the short leg, any other buy adds to the long leg; a reduce-only
    /// sell closes the long leg, any other sell adds to the short leg. What a
    /// reduce-only fill has beyond its leg (the venue does not know the
    /// position, and latency lets two reduce-only orders both fill) adds to
    /// the other leg as an ordinary fill would, and is reported in
    /// [`FillEffect::reduce_only_excess`].
    pub(crate) fn apply_hedging(
        &mut self,
        side: OrderSide,
        price: i64,
        quantity: i64,
        reduce_only: bool,
        spec: &InstrumentSpec,
        money_precision: u8,
    ) -> Result<FillEffect, PortfolioError> {
        let mut effect = FillEffect::default();
        let mut next = *self;
        match (side, reduce_only) {
            (OrderSide::Buy, false) => next.open_leg(
                PositionSide::Long,
                price,
                quantity,
                spec,
                money_precision,
                &mut effect,
            )?,
            (OrderSide::Sell, false) => next.open_leg(
                PositionSide::Short,
                price,
                quantity,
                spec,
                money_precision,
                &mut effect,
            )?,
            (_, true) => {
                let (leg, other) = match side {
                    OrderSide::Buy => (PositionSide::Short, PositionSide::Long),
                    OrderSide::Sell => (PositionSide::Long, PositionSide::Short),
                };
                let close_qty = quantity.min(self.leg(leg).quantity);
                if close_qty > 0 {
                    next.close_leg(leg, price, close_qty, spec, money_precision, &mut effect)?;
                }
                if quantity > close_qty {
                    effect.reduce_only_excess = quantity - close_qty;
                    next.open_leg(
                        other,
                        price,
                        quantity - close_qty,
                        spec,
                        money_precision,
                        &mut effect,
                    )?;
                }
            }
        }
        *self = next;
        Ok(effect)
    }
}

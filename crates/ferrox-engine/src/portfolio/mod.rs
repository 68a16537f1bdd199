//! The portfolio: balances, positions, realised and unrealised PnL, fees and
//! currencies of one account.
//!
//! # Units
//!
//! Prices and quantities are raw `i64` at the instrument's precisions.
//! Money (balances, cost basis, PnL, fees) is raw `i128` at the precision of
//! its currency in the [`CurrencyTable`]. The notional of a fill part,
//! `price × quantity × multiplier`, is computed exactly and rounded half to
//! even to the quote currency's precision; it is exact (no rounding at all)
//! when that precision is at least `price_precision + size_precision`, e.g.
//! USDT at 8 decimals for BTCUSDT at 2 + 3. Fees are computed the same way
//! (see [`fees`]). Rates between currencies are floats and only value things
//! for reporting (equity, exposure, margin); they never move money.
//!
//! # Positions
//!
//! Each instrument has a [`Position`] made of a long and a short [`Leg`],
//! each with an exact cost basis (see [`position`] for the proportional cost
//! removal on partial closes and its rounding). Under [`OmsType::Netting`] a
//! fill first closes the opposite leg and what remains opens its own side, so
//! a position flips through zero as one close and one open. Under
//! [`OmsType::Hedging`] (Binance hedge mode) a reduce-only buy closes the
//! short leg and any other buy adds to the long leg; vice versa for sells.
//! A fill is always booked: a reduce-only fill larger than what it reduces
//! (possible in a simulation, where the venue does not know the position)
//! opens the excess like an ordinary fill and reports it in
//! [`FillEffect::reduce_only_excess`] rather than stopping the run.
//!
//! # Accounts
//!
//! - **Cash** ([`AccountType::Cash`], spot): a buy pays its notional in the
//!   quote currency and credits the base currency (when the instrument has
//!   one) with the quantity; a sell does the reverse; fees are paid in the
//!   quote currency. Positions are therefore also balances, and equity is the
//!   sum of all balances at the current rates (plus the mark value of
//!   positions in instruments without a base currency). For every currency
//!   `c`, exactly:
//!
//!   `balance[c] − start[c] == realised[c] − fees[c] − Σ long cost + Σ short cost
//!    + Σ net quantity (in c's units)`
//!
//!   where the cost sums run over instruments quoted in `c` and the quantity
//!   sum over instruments whose base currency is `c`.
//! - **Margin** ([`AccountType::Margin`], linear futures and perpetuals): only
//!   realised PnL and fees move cash; open positions tie up margin of
//!   `notional at mark / leverage`. For every currency `c`, exactly:
//!
//!   `balance[c] − start[c] == realised[c] − fees[c]`,
//!   and `equity == Σ balances + Σ unrealised PnL` (converted to the base currency).
//!
//! [`Portfolio::verify`] checks these identities.

pub mod account;
pub mod currency;
pub mod fees;
pub mod position;

#[cfg(test)]
mod tests;

use thiserror::Error;

use crate::orders::OrderSide;

pub use account::{AccountType, Leverage, OmsType, PortfolioConfig};
pub use currency::{Currency, CurrencyId, CurrencyTable};
pub use fees::{format_money, FeeModel, Rate};
pub use position::{FillEffect, InstrumentSpec, Leg, Position, PositionSide};

use currency::RateMatrix;
use fees::rescale_round;

/// Why the portfolio refused a configuration, a fill or a query.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PortfolioError {
    /// An instrument index outside the table.
    #[error("unknown instrument #{instrument} (the portfolio has {count})")]
    UnknownInstrument {
        /// The index asked for.
        instrument: u32,
        /// Number of instruments.
        count: usize,
    },
    /// A currency id outside the table.
    #[error("unknown currency #{currency} (the table has {count})")]
    UnknownCurrency {
        /// The id asked for.
        currency: CurrencyId,
        /// Number of currencies.
        count: usize,
    },
    /// A fill with a quantity that is not positive.
    #[error("fill on instrument #{instrument}: quantity {quantity} must be > 0")]
    NonPositiveQuantity {
        /// The instrument.
        instrument: u32,
        /// The raw quantity.
        quantity: i64,
    },
    /// An amount outside the 128-bit range (or a quantity outside 64 bits).
    #[error("overflow: {what}")]
    Overflow {
        /// The operation.
        what: String,
    },
    /// A rate that is not an exact decimal.
    #[error("bad rate {text:?}: {reason}")]
    BadRate {
        /// The text given.
        text: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A negative taker fee rate.
    #[error("taker fee rate {rate} is negative (only maker rates may be rebates)")]
    NegativeTakerRate {
        /// The rate.
        rate: String,
    },
    /// A conversion rate that is not a positive finite number.
    #[error("conversion rate {from}->{to} = {rate} must be positive and finite")]
    InvalidConversionRate {
        /// From currency code.
        from: String,
        /// To currency code.
        to: String,
        /// The rate given.
        rate: f64,
    },
    /// No conversion rate is known between two currencies.
    #[error("no conversion rate known from {from} to {to}")]
    NoRate {
        /// From currency code.
        from: String,
        /// To currency code.
        to: String,
    },
    /// A bad portfolio configuration.
    #[error("portfolio config: {0}")]
    Config(String),
    /// An accounting identity does not hold (a bug, reported rather than hidden).
    #[error("portfolio does not reconcile in {currency}: {detail}")]
    Unreconciled {
        /// The currency code.
        currency: String,
        /// The two sides of the identity.
        detail: String,
    },
}

/// A fill as the portfolio books it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    /// Index of the instrument.
    pub instrument: u32,
    /// Buy or sell.
    pub side: OrderSide,
    /// Fill price (raw).
    pub price: i64,
    /// Fill quantity (raw, > 0).
    pub quantity: i64,
    /// Fee in raw quote-currency money (negative = rebate); see [`FeeModel::fee`].
    pub fee: i128,
    /// The order was reduce-only (selects the leg under hedging).
    pub reduce_only: bool,
    /// Time of the fill (ns).
    pub ts: i64,
}

/// A position with its derived numbers, for queries and reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionReport {
    /// Index of the instrument.
    pub instrument: u32,
    /// Signed net quantity (raw): long − short.
    pub net_quantity: i64,
    /// Long leg quantity (raw, ≥ 0).
    pub long_quantity: i64,
    /// Short leg quantity (raw, ≥ 0).
    pub short_quantity: i64,
    /// Exact cost basis of the long leg (raw quote money).
    pub long_cost: i128,
    /// Exact cost basis of the short leg (raw quote money).
    pub short_cost: i128,
    /// Average open price of the long leg (raw, rounded half to even).
    pub avg_long_price: Option<i64>,
    /// Average open price of the short leg (raw, rounded half to even).
    pub avg_short_price: Option<i64>,
    /// Realised PnL, fees excluded (raw quote money).
    pub realized_pnl: i128,
    /// Unrealised PnL at the mark (raw quote money).
    pub unrealized_pnl: i128,
    /// Fees paid (raw quote money).
    pub fees: i128,
    /// Last mark price (raw).
    pub mark_price: Option<i64>,
    /// Quote currency.
    pub quote_currency: CurrencyId,
}

/// Raw money at `precision` as a float (reporting only).
#[inline]
fn money_f64(raw: i128, precision: u8) -> f64 {
    raw as f64 / 10f64.powi(i32::from(precision))
}

/// One account's balances and positions.
#[derive(Debug, Clone)]
pub struct Portfolio {
    config: PortfolioConfig,
    instruments: Vec<InstrumentSpec>,
    currencies: CurrencyTable,
    /// Money precision of each instrument's quote currency (cached).
    quote_precision: Vec<u8>,
    /// `10^-price_precision` per instrument, to turn marks into rates.
    price_scale: Vec<f64>,
    positions: Vec<Position>,
    starting: Vec<i128>,
    balances: Vec<i128>,
    realized: Vec<i128>,
    fees: Vec<i128>,
    rates: RateMatrix,
}

impl Portfolio {
    /// Builds an account; checks every currency id, multiplier and precision.
    pub fn new(
        config: PortfolioConfig,
        instruments: Vec<InstrumentSpec>,
        currencies: CurrencyTable,
    ) -> Result<Self, PortfolioError> {
        let n = currencies.len();
        let check = |c: CurrencyId| {
            if usize::from(c) < n {
                Ok(())
            } else {
                Err(PortfolioError::UnknownCurrency {
                    currency: c,
                    count: n,
                })
            }
        };
        check(config.base_currency)?;
        let mut starting = vec![0i128; n];
        for &(c, amount) in &config.starting_balances {
            check(c)?;
            if amount < 0 {
                return Err(PortfolioError::Config(format!(
                    "starting balance of {} is negative: {}",
                    currencies.code(c),
                    format_money(amount, currencies.get(c).map_or(0, |x| x.precision))
                )));
            }
            let slot = &mut starting[usize::from(c)];
            *slot = slot
                .checked_add(amount)
                .ok_or_else(|| PortfolioError::Overflow {
                    what: format!("starting balance of {}", currencies.code(c)),
                })?;
        }
        let mut quote_precision = Vec::with_capacity(instruments.len());
        let mut price_scale = Vec::with_capacity(instruments.len());
        for (i, spec) in instruments.iter().enumerate() {
            check(spec.quote_currency)?;
            if spec.multiplier <= 0 {
                return Err(PortfolioError::Config(format!(
                    "instrument #{i}: multiplier {} must be positive",
                    spec.multiplier
                )));
            }
            let max = crate::types::MAX_PRECISION;
            if spec.price_precision > max || spec.size_precision > max {
                return Err(PortfolioError::Config(format!(
                    "instrument #{i}: precisions {}/{} above {max}",
                    spec.price_precision, spec.size_precision
                )));
            }
            if let Some(b) = spec.base_currency {
                check(b)?;
                let bp = currencies.get(b).map_or(0, |c| c.precision);
                if config.account_type == AccountType::Cash && bp < spec.size_precision {
                    return Err(PortfolioError::Config(format!(
                        "instrument #{i}: base currency {} has precision {bp}, finer size \
                         precision {} cannot be credited exactly in a cash account",
                        currencies.code(b),
                        spec.size_precision
                    )));
                }
            }
            quote_precision.push(
                currencies
                    .get(spec.quote_currency)
                    .map_or(0, |c| c.precision),
            );
            price_scale.push(10f64.powi(-i32::from(spec.price_precision)));
        }
        Ok(Self {
            positions: vec![Position::default(); instruments.len()],
            balances: starting.clone(),
            starting,
            realized: vec![0; n],
            fees: vec![0; n],
            rates: RateMatrix::new(n),
            config,
            instruments,
            currencies,
            quote_precision,
            price_scale,
        })
    }

    #[inline]
    fn index(&self, instrument: u32) -> Result<usize, PortfolioError> {
        let i = instrument as usize;
        if i < self.instruments.len() {
            Ok(i)
        } else {
            Err(PortfolioError::UnknownInstrument {
                instrument,
                count: self.instruments.len(),
            })
        }
    }

    #[inline]
    fn currency_index(&self, currency: CurrencyId) -> Result<usize, PortfolioError> {
        let c = usize::from(currency);
        if c < self.balances.len() {
            Ok(c)
        } else {
            Err(PortfolioError::UnknownCurrency {
                currency,
                count: self.balances.len(),
            })
        }
    }

    /// Books a fill: updates the position, realised PnL, fees and balances.
    /// On error nothing changes.
    pub fn apply_fill(&mut self, fill: &Fill) -> Result<FillEffect, PortfolioError> {
        let i = self.index(fill.instrument)?;
        if fill.quantity <= 0 {
            return Err(PortfolioError::NonPositiveQuantity {
                instrument: fill.instrument,
                quantity: fill.quantity,
            });
        }
        let spec = self.instruments[i];
        let mp = self.quote_precision[i];
        let mut pos = self.positions[i];
        let mut effect = match self.config.oms {
            OmsType::Netting => pos.apply_netting(
                fill.side,
                fill.price,
                fill.quantity,
                fill.reduce_only,
                &spec,
                mp,
            )?,
            OmsType::Hedging => pos.apply_hedging(
                fill.side,
                fill.price,
                fill.quantity,
                fill.reduce_only,
                &spec,
                mp,
            )?,
        };
        let overflow = |what: &str| PortfolioError::Overflow {
            what: format!("{what} after fill on instrument #{}", fill.instrument),
        };
        let q = usize::from(spec.quote_currency);
        effect.cash_delta = match self.config.account_type {
            AccountType::Cash => effect.cash_delta,
            AccountType::Margin => effect.realized_pnl,
        }
        .checked_sub(fill.fee)
        .ok_or_else(|| overflow("cash"))?;
        let new_quote = self.balances[q]
            .checked_add(effect.cash_delta)
            .ok_or_else(|| overflow("balance"))?;
        let base_credit = match (self.config.account_type, spec.base_currency) {
            (AccountType::Cash, Some(b)) => {
                let bp = self.currencies.get(b).map_or(0, |c| c.precision);
                let units = i128::from(fill.side.sign() * fill.quantity)
                    .checked_mul(i128::from(spec.multiplier))
                    .and_then(|v| rescale_round(v, u32::from(spec.size_precision), u32::from(bp)))
                    .ok_or_else(|| overflow("base quantity"))?;
                Some((usize::from(b), units))
            }
            _ => None,
        };
        let new_realized = self.realized[q]
            .checked_add(effect.realized_pnl)
            .ok_or_else(|| overflow("realised PnL"))?;
        let new_fees = self.fees[q]
            .checked_add(fill.fee)
            .ok_or_else(|| overflow("fees"))?;
        pos.fees = pos
            .fees
            .checked_add(fill.fee)
            .ok_or_else(|| overflow("position fees"))?;
        if let Some((b, units)) = base_credit {
            let base_after = if b == q { new_quote } else { self.balances[b] };
            let new_base = base_after
                .checked_add(units)
                .ok_or_else(|| overflow("base balance"))?;
            self.balances[q] = new_quote;
            self.balances[b] = new_base;
        } else {
            self.balances[q] = new_quote;
        }
        self.realized[q] = new_realized;
        self.fees[q] = new_fees;
        pos.fill_count += 1;
        pos.last_fill_ts = fill.ts;
        if pos.mark_price.is_none() {
            pos.mark_price = Some(fill.price);
        }
        self.positions[i] = pos;
        Ok(effect)
    }

    /// The fee of a fill on `instrument` under `model`, in raw money at its
    /// quote currency's precision (see [`FeeModel::fee`]).
    pub fn fee(
        &self,
        model: &FeeModel,
        instrument: u32,
        price: i64,
        quantity: i64,
        liquidity: crate::orders::LiquiditySide,
    ) -> Result<i128, PortfolioError> {
        let i = self.index(instrument)?;
        model.fee(
            price,
            quantity,
            liquidity,
            &self.instruments[i],
            self.quote_precision[i],
        )
    }

    /// Sets the last price of `instrument` (for unrealised PnL and exposure).
    /// For an instrument with a base currency, the mark is also the
    /// base→quote conversion rate. O(1), no allocation.
    #[inline]
    pub fn mark_price(&mut self, instrument: u32, price: i64) -> Result<(), PortfolioError> {
        let i = self.index(instrument)?;
        self.positions[i].mark_price = Some(price);
        let spec = &self.instruments[i];
        if let Some(b) = spec.base_currency {
            if price > 0 {
                self.rates
                    .set(b, spec.quote_currency, price as f64 * self.price_scale[i]);
            }
        }
        Ok(())
    }

    /// Sets the rate converting one unit of `from` into `to` (and the inverse).
    pub fn set_rate(
        &mut self,
        from: CurrencyId,
        to: CurrencyId,
        rate: f64,
    ) -> Result<(), PortfolioError> {
        self.currency_index(from)?;
        self.currency_index(to)?;
        if !(rate.is_finite() && rate > 0.0) {
            return Err(PortfolioError::InvalidConversionRate {
                from: self.currencies.code(from),
                to: self.currencies.code(to),
                rate,
            });
        }
        self.rates.set(from, to, rate);
        Ok(())
    }

    /// The rate converting `from` into `to`: direct, inverse, or through one
    /// intermediate currency.
    pub fn rate(&self, from: CurrencyId, to: CurrencyId) -> Result<f64, PortfolioError> {
        self.rates
            .get(from, to)
            .ok_or_else(|| PortfolioError::NoRate {
                from: self.currencies.code(from),
                to: self.currencies.code(to),
            })
    }

    /// The configuration.
    pub fn config(&self) -> &PortfolioConfig {
        &self.config
    }

    /// The currency table.
    pub fn currencies(&self) -> &CurrencyTable {
        &self.currencies
    }

    /// The instrument specs, by index.
    pub fn instruments(&self) -> &[InstrumentSpec] {
        &self.instruments
    }

    /// Every position, by instrument index.
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    /// The position of `instrument`.
    pub fn position(&self, instrument: u32) -> Result<&Position, PortfolioError> {
        Ok(&self.positions[self.index(instrument)?])
    }

    /// Signed net quantity of `instrument` (raw); 0 for an unknown index.
    #[inline]
    pub fn net_quantity(&self, instrument: u32) -> i64 {
        self.positions
            .get(instrument as usize)
            .map_or(0, Position::net_quantity)
    }

    /// The position of `instrument` with average prices and unrealised PnL.
    pub fn position_report(&self, instrument: u32) -> Result<PositionReport, PortfolioError> {
        let i = self.index(instrument)?;
        let (pos, spec, mp) = (
            &self.positions[i],
            &self.instruments[i],
            self.quote_precision[i],
        );
        Ok(PositionReport {
            instrument,
            net_quantity: pos.net_quantity(),
            long_quantity: pos.long.quantity,
            short_quantity: pos.short.quantity,
            long_cost: pos.long.cost,
            short_cost: pos.short.cost,
            avg_long_price: spec.price_of(pos.long.cost, pos.long.quantity, mp),
            avg_short_price: spec.price_of(pos.short.cost, pos.short.quantity, mp),
            realized_pnl: pos.realized_pnl,
            unrealized_pnl: pos.unrealized_pnl(spec, mp)?,
            fees: pos.fees,
            mark_price: pos.mark_price,
            quote_currency: spec.quote_currency,
        })
    }

    /// Unrealised PnL of `instrument` at its mark (raw quote money).
    pub fn unrealized_pnl(&self, instrument: u32) -> Result<i128, PortfolioError> {
        let i = self.index(instrument)?;
        self.positions[i].unrealized_pnl(&self.instruments[i], self.quote_precision[i])
    }

    /// Balance of `currency` (raw at its precision); 0 for an unknown id.
    #[inline]
    pub fn balance(&self, currency: CurrencyId) -> i128 {
        self.balances
            .get(usize::from(currency))
            .copied()
            .unwrap_or(0)
    }

    /// Opening balance of `currency` (raw); 0 for an unknown id.
    pub fn starting_balance(&self, currency: CurrencyId) -> i128 {
        self.starting
            .get(usize::from(currency))
            .copied()
            .unwrap_or(0)
    }

    /// Realised PnL booked in `currency`, fees excluded (raw); 0 for an unknown id.
    pub fn realized_pnl(&self, currency: CurrencyId) -> i128 {
        self.realized
            .get(usize::from(currency))
            .copied()
            .unwrap_or(0)
    }

    /// Fees paid in `currency` (raw); 0 for an unknown id.
    pub fn fees_paid(&self, currency: CurrencyId) -> i128 {
        self.fees.get(usize::from(currency)).copied().unwrap_or(0)
    }

    /// Realised PnL of `instrument` in quote-currency units, for reporting;
    /// 0 for an unknown index.
    pub fn realized_pnl_f64(&self, instrument: u32) -> f64 {
        let i = instrument as usize;
        match (self.positions.get(i), self.quote_precision.get(i)) {
            (Some(pos), Some(&mp)) => money_f64(pos.realized_pnl, mp),
            _ => 0.0,
        }
    }

    /// Unrealised PnL of `instrument` at its mark in quote-currency units, for
    /// reporting; 0 for an unknown index, `NaN` on overflow.
    pub fn unrealized_pnl_f64(&self, instrument: u32) -> f64 {
        let i = instrument as usize;
        match (
            self.positions.get(i),
            self.instruments.get(i),
            self.quote_precision.get(i),
        ) {
            (Some(pos), Some(spec), Some(&mp)) => pos
                .unrealized_pnl(spec, mp)
                .map_or(f64::NAN, |pnl| money_f64(pnl, mp)),
            _ => 0.0,
        }
    }

    /// The balance of the base currency in its units (the account's cash in a
    /// single-currency setup), for reporting.
    pub fn cash_base(&self) -> f64 {
        let base = self.config.base_currency;
        money_f64(
            self.balance(base),
            self.currencies.get(base).map_or(0, |c| c.precision),
        )
    }

    /// Raw quote money of `instrument` (a fee, a PnL) as exact decimal text.
    pub fn format_quote_money(&self, instrument: u32, raw: i128) -> String {
        format_money(
            raw,
            self.quote_precision
                .get(instrument as usize)
                .copied()
                .unwrap_or(0),
        )
    }

    /// A fee of `instrument` (raw quote money) as exact decimal text.
    pub fn format_fee(&self, instrument: u32, fee: i128) -> String {
        self.format_quote_money(instrument, fee)
    }

    /// Money precision of `currency`.
    pub fn money_precision(&self, currency: CurrencyId) -> Result<u8, PortfolioError> {
        self.currency_index(currency)?;
        Ok(self.currencies.get(currency).map_or(0, |c| c.precision))
    }

    /// `raw` money of `currency` in the base currency, as a float.
    pub fn to_base(&self, currency: CurrencyId, raw: i128) -> Result<f64, PortfolioError> {
        let precision = self.money_precision(currency)?;
        if raw == 0 {
            return Ok(0.0);
        }
        if currency == self.config.base_currency {
            return Ok(money_f64(raw, precision));
        }
        let rate = self.rate(currency, self.config.base_currency)?;
        Ok(money_f64(raw, precision) * rate)
    }

    /// Sum over instruments of `f(position, spec, money precision)` in the base currency.
    fn sum_positions_base(
        &self,
        f: impl Fn(&Position, &InstrumentSpec, u8) -> Result<i128, PortfolioError>,
    ) -> Result<f64, PortfolioError> {
        let mut total = 0.0;
        for (i, pos) in self.positions.iter().enumerate() {
            if pos.is_flat() {
                continue;
            }
            let spec = &self.instruments[i];
            let amount = f(pos, spec, self.quote_precision[i])?;
            total += self.to_base(spec.quote_currency, amount)?;
        }
        Ok(total)
    }

    /// Equity in the base currency, or an error naming a missing rate.
    ///
    /// Margin: all balances plus unrealised PnL. Cash: all balances (positions
    /// with a base currency are balances) plus the mark value of positions
    /// in instruments without one.
    pub fn try_equity_base(&self) -> Result<f64, PortfolioError> {
        let mut total = 0.0;
        for (c, &raw) in self.balances.iter().enumerate() {
            total += self.to_base(c as CurrencyId, raw)?;
        }
        total += match self.config.account_type {
            AccountType::Margin => self.sum_positions_base(|p, s, mp| p.unrealized_pnl(s, mp))?,
            AccountType::Cash => self.sum_positions_base(|p, s, mp| {
                if s.base_currency.is_some() {
                    return Ok(0);
                }
                let (long, short) = p.market_value(s, mp)?;
                Ok(long - short)
            })?,
        };
        Ok(total)
    }

    /// Equity in the base currency; `NaN` while a needed rate is unknown.
    pub fn equity_base(&self) -> f64 {
        self.try_equity_base().unwrap_or(f64::NAN)
    }

    /// Sum of the absolute market values of all legs, in the base currency.
    pub fn try_gross_exposure_base(&self) -> Result<f64, PortfolioError> {
        self.sum_positions_base(|p, s, mp| {
            let (long, short) = p.market_value(s, mp)?;
            Ok(long.abs() + short.abs())
        })
    }

    /// Gross exposure in the base currency; `NaN` while a rate is unknown.
    pub fn gross_exposure_base(&self) -> f64 {
        self.try_gross_exposure_base().unwrap_or(f64::NAN)
    }

    /// Long minus short market value, in the base currency.
    pub fn try_net_exposure_base(&self) -> Result<f64, PortfolioError> {
        self.sum_positions_base(|p, s, mp| {
            let (long, short) = p.market_value(s, mp)?;
            Ok(long - short)
        })
    }

    /// Net exposure in the base currency; `NaN` while a rate is unknown.
    pub fn net_exposure_base(&self) -> f64 {
        self.try_net_exposure_base().unwrap_or(f64::NAN)
    }

    /// Margin tied up by open positions (gross exposure / leverage) in the
    /// base currency; always 0 for a cash account.
    pub fn try_margin_used_base(&self) -> Result<f64, PortfolioError> {
        match self.config.account_type {
            AccountType::Cash => Ok(0.0),
            AccountType::Margin => {
                Ok(self.try_gross_exposure_base()? / self.config.leverage.as_f64())
            }
        }
    }

    /// Margin used in the base currency; `NaN` while a rate is unknown.
    pub fn margin_used_base(&self) -> f64 {
        self.try_margin_used_base().unwrap_or(f64::NAN)
    }

    /// Equity not tied up as margin (margin account), or the base-currency
    /// cash balance (cash account), in the base currency.
    pub fn try_free_margin_base(&self) -> Result<f64, PortfolioError> {
        match self.config.account_type {
            AccountType::Cash => self.to_base(
                self.config.base_currency,
                self.balance(self.config.base_currency),
            ),
            AccountType::Margin => Ok(self.try_equity_base()? - self.try_margin_used_base()?),
        }
    }

    /// Free margin in the base currency; `NaN` while a rate is unknown.
    pub fn free_margin_base(&self) -> f64 {
        self.try_free_margin_base().unwrap_or(f64::NAN)
    }

    /// Notional that may still be opened, in the base currency: cash only
    /// for a cash account; `equity × leverage − gross exposure` for a margin
    /// account.
    pub fn try_buying_power_base(&self) -> Result<f64, PortfolioError> {
        match self.config.account_type {
            AccountType::Cash => self.try_free_margin_base(),
            AccountType::Margin => Ok(self.try_free_margin_base()? * self.config.leverage.as_f64()),
        }
    }

    /// Buying power in the base currency; `NaN` while a rate is unknown.
    pub fn buying_power_base(&self) -> f64 {
        self.try_buying_power_base().unwrap_or(f64::NAN)
    }

    /// Pre-trade check: whether an order of `quantity` at `price` (the limit,
    /// or the expected fill price of a market order) with an estimated `fee`
    /// (raw quote money) would need more than the account can pay.
    ///
    /// Cash account: a buy needs `notional + fee` of the quote currency
    /// (exact integer comparison); a sell needs the base-currency balance
    /// (or, without a base currency, a long position) to cover it — cash
    /// accounts do not sell short. Margin account: only the part that opens
    /// or increases a position needs margin (`notional / leverage + fee`,
    /// compared with free margin); reduce-only orders never exceed.
    pub fn would_exceed_buying_power(
        &self,
        instrument: u32,
        side: OrderSide,
        quantity: i64,
        price: i64,
        reduce_only: bool,
        fee: i128,
    ) -> Result<bool, PortfolioError> {
        let i = self.index(instrument)?;
        let (spec, pos, mp) = (
            &self.instruments[i],
            &self.positions[i],
            self.quote_precision[i],
        );
        let closable = match side {
            OrderSide::Buy => pos.short.quantity,
            OrderSide::Sell => pos.long.quantity,
        };
        let opening = match (self.config.oms, reduce_only) {
            (_, true) => 0,
            (OmsType::Netting, false) => quantity.saturating_sub(closable).max(0),
            (OmsType::Hedging, false) => quantity,
        };
        match self.config.account_type {
            AccountType::Cash => match side {
                OrderSide::Buy => {
                    let needed = spec
                        .notional(price, quantity, mp)?
                        .checked_add(fee)
                        .ok_or_else(|| PortfolioError::Overflow {
                            what: "order cost".into(),
                        })?;
                    Ok(needed > self.balance(spec.quote_currency))
                }
                OrderSide::Sell => match spec.base_currency {
                    Some(b) => {
                        let bp = self.money_precision(b)?;
                        let units = i128::from(quantity)
                            .checked_mul(i128::from(spec.multiplier))
                            .and_then(|v| {
                                rescale_round(v, u32::from(spec.size_precision), u32::from(bp))
                            })
                            .ok_or_else(|| PortfolioError::Overflow {
                                what: "order base quantity".into(),
                            })?;
                        Ok(units > self.balance(b))
                    }
                    None => Ok(quantity > pos.long.quantity),
                },
            },
            AccountType::Margin => {
                if opening == 0 {
                    return Ok(false);
                }
                let notional = spec.notional(price, opening, mp)?;
                let needed = self.to_base(spec.quote_currency, notional)?
                    / self.config.leverage.as_f64()
                    + self.to_base(spec.quote_currency, fee)?;
                Ok(needed > self.try_free_margin_base()?)
            }
        }
    }

    /// Checks the accounting identities of the module docs for every
    /// currency, exactly; an error names the currency and both sides.
    pub fn verify(&self) -> Result<(), PortfolioError> {
        let n = self.balances.len();
        // Saturating sums: a checker must not panic, and a saturated sum cannot reconcile.
        let mut expected: Vec<i128> = (0..n)
            .map(|c| self.realized[c].saturating_sub(self.fees[c]))
            .collect();
        let mut realized = vec![0i128; n];
        let mut fees = vec![0i128; n];
        for (i, pos) in self.positions.iter().enumerate() {
            let spec = &self.instruments[i];
            let q = usize::from(spec.quote_currency);
            realized[q] = realized[q].saturating_add(pos.realized_pnl);
            fees[q] = fees[q].saturating_add(pos.fees);
            if pos.long.quantity < 0 || pos.short.quantity < 0 {
                return Err(PortfolioError::Unreconciled {
                    currency: self.currencies.code(spec.quote_currency),
                    detail: format!("instrument #{i} has a negative leg: {pos:?}"),
                });
            }
            if self.config.account_type == AccountType::Cash {
                expected[q] =
                    expected[q].saturating_add(pos.short.cost.saturating_sub(pos.long.cost));
                if let Some(b) = spec.base_currency {
                    let bp = self.currencies.get(b).map_or(0, |c| c.precision);
                    let units = i128::from(pos.net_quantity()) * i128::from(spec.multiplier);
                    let credit =
                        rescale_round(units, u32::from(spec.size_precision), u32::from(bp))
                            .unwrap_or(i128::MAX);
                    expected[usize::from(b)] = expected[usize::from(b)].saturating_add(credit);
                }
            }
        }
        for c in 0..n {
            let code = || self.currencies.code(c as CurrencyId);
            let change = self.balances[c].saturating_sub(self.starting[c]);
            if change != expected[c] {
                return Err(PortfolioError::Unreconciled {
                    currency: code(),
                    detail: format!(
                        "balance change {change} != realised - fees +/- open cost and quantity {}",
                        expected[c]
                    ),
                });
            }
            if realized[c] != self.realized[c] || fees[c] != self.fees[c] {
                return Err(PortfolioError::Unreconciled {
                    currency: code(),
                    detail: format!(
                        "positions realised {} / fees {} != account {} / {}",
                        realized[c], fees[c], self.realized[c], self.fees[c]
                    ),
                });
            }
        }
        Ok(())
    }
}

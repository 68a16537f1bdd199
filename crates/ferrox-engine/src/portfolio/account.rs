//! Account configuration: cash or margin, netting or hedging, leverage.

use super::currency::CurrencyId;
use super::fees::Rate;
use super::PortfolioError;

/// How the account pays for positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountType {
    /// Spot: a buy pays the full notional in the quote currency and receives
    /// the base asset as a balance; a sell does the reverse. No leverage.
    Cash,
    /// Linear futures/perpetuals: only realised PnL and fees move cash;
    /// open positions tie up margin = notional / leverage.
    Margin,
}

/// How fills net into positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OmsType {
    /// One signed position per instrument that can flip through zero.
    Netting,
    /// A long and a short leg per instrument; reduce-only orders close a leg.
    Hedging,
}

/// An exact leverage ratio `numerator / denominator` (> 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leverage {
    numerator: i64,
    denominator: i64,
}

impl Default for Leverage {
    fn default() -> Self {
        Self {
            numerator: 1,
            denominator: 1,
        }
    }
}

impl Leverage {
    /// `numerator / denominator`; both must be positive.
    pub fn new(numerator: i64, denominator: i64) -> Result<Self, PortfolioError> {
        if numerator <= 0 || denominator <= 0 {
            return Err(PortfolioError::Config(format!(
                "leverage {numerator}/{denominator} must be positive"
            )));
        }
        Ok(Self {
            numerator,
            denominator,
        })
    }

    /// Parses a decimal leverage such as `"10"` or `"2.5"`.
    pub fn parse(text: &str) -> Result<Self, PortfolioError> {
        let rate = Rate::parse(text)
            .map_err(|e| PortfolioError::Config(format!("leverage {text:?}: {e}")))?;
        Self::new(rate.raw(), 10i64.pow(u32::from(rate.decimals())))
    }

    /// The numerator.
    pub fn numerator(self) -> i64 {
        self.numerator
    }

    /// The denominator.
    pub fn denominator(self) -> i64 {
        self.denominator
    }

    /// The ratio as a float, for reporting and buying-power checks.
    pub fn as_f64(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }
}

/// Everything that fixes an account before the run starts.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioConfig {
    /// Cash or margin.
    pub account_type: AccountType,
    /// Netting or hedging.
    pub oms: OmsType,
    /// Currency equity, exposure and margin are reported in.
    pub base_currency: CurrencyId,
    /// Opening balances, raw at each currency's precision.
    pub starting_balances: Vec<(CurrencyId, i128)>,
    /// Leverage of a margin account (ignored by a cash account).
    pub leverage: Leverage,
}

impl PortfolioConfig {
    /// A cash account (netting) starting with `balance` of `base_currency`.
    pub fn cash(base_currency: CurrencyId, balance: i128) -> Self {
        Self {
            account_type: AccountType::Cash,
            oms: OmsType::Netting,
            base_currency,
            starting_balances: vec![(base_currency, balance)],
            leverage: Leverage::default(),
        }
    }

    /// A margin account starting with `balance` of `base_currency`.
    pub fn margin(
        base_currency: CurrencyId,
        balance: i128,
        oms: OmsType,
        leverage: Leverage,
    ) -> Self {
        Self {
            account_type: AccountType::Margin,
            oms,
            base_currency,
            starting_balances: vec![(base_currency, balance)],
            leverage,
        }
    }
}

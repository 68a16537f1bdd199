//! Currencies and the conversion rates between them.
//!
//! A [`CurrencyId`] is an index into the run's [`CurrencyTable`]; names are
//! looked up once at configuration time, never per event. Rates come from
//! data (a BTCUSDT trade is a BTC→USDT rate) and are floats: they only value
//! balances for reporting (equity, exposure), never move money.

use super::PortfolioError;

/// Index of a currency in the [`CurrencyTable`].
pub type CurrencyId = u16;

/// A currency (or any asset held as a balance: "USDT", "BTC", "USD").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency {
    /// Its code.
    pub code: String,
    /// Number of decimals balances, PnL and fees in it are kept at.
    pub precision: u8,
}

/// The currencies of a run, in the order they were added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurrencyTable {
    currencies: Vec<Currency>,
}

impl CurrencyTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a currency and returns its id; adding an existing code with the
    /// same precision returns the existing id, with another precision is an error.
    pub fn add(&mut self, code: &str, precision: u8) -> Result<CurrencyId, PortfolioError> {
        if precision > crate::types::MAX_PRECISION {
            return Err(PortfolioError::Config(format!(
                "currency {code}: precision {precision} is above {}",
                crate::types::MAX_PRECISION
            )));
        }
        if let Some(id) = self.id(code) {
            let existing = self.currencies[usize::from(id)].precision;
            if existing != precision {
                return Err(PortfolioError::Config(format!(
                    "currency {code} added with precision {precision}, already has {existing}"
                )));
            }
            return Ok(id);
        }
        let id = CurrencyId::try_from(self.currencies.len())
            .map_err(|_| PortfolioError::Config("more than 65535 currencies".to_owned()))?;
        self.currencies.push(Currency {
            code: code.to_owned(),
            precision,
        });
        Ok(id)
    }

    /// The id of `code`, if present.
    pub fn id(&self, code: &str) -> Option<CurrencyId> {
        self.currencies
            .iter()
            .position(|c| c.code == code)
            .and_then(|i| CurrencyId::try_from(i).ok())
    }

    /// The currency with id `id`.
    pub fn get(&self, id: CurrencyId) -> Option<&Currency> {
        self.currencies.get(usize::from(id))
    }

    /// Its code, or `"#id"` when unknown (for messages).
    pub fn code(&self, id: CurrencyId) -> String {
        self.get(id)
            .map_or_else(|| format!("#{id}"), |c| c.code.clone())
    }

    /// Number of currencies.
    pub fn len(&self) -> usize {
        self.currencies.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.currencies.is_empty()
    }

    /// All currencies in id order.
    pub fn iter(&self) -> impl Iterator<Item = (CurrencyId, &Currency)> {
        self.currencies
            .iter()
            .enumerate()
            .map(|(i, c)| (i as CurrencyId, c))
    }
}

/// A dense matrix of the latest known rates (`NaN` = unknown).
///
/// Setting `from→to` also sets `to→from` to the inverse. A lookup uses the
/// direct rate, or else a single hop through the lowest-id currency that
/// links both (deterministic).
#[derive(Debug, Clone)]
pub(crate) struct RateMatrix {
    n: usize,
    rates: Vec<f64>,
}

impl RateMatrix {
    pub(crate) fn new(n: usize) -> Self {
        let mut rates = vec![f64::NAN; n * n];
        for i in 0..n {
            rates[i * n + i] = 1.0;
        }
        Self { n, rates }
    }

    #[inline]
    pub(crate) fn set(&mut self, from: CurrencyId, to: CurrencyId, rate: f64) {
        let (f, t) = (usize::from(from), usize::from(to));
        if f == t || f >= self.n || t >= self.n {
            return;
        }
        self.rates[f * self.n + t] = rate;
        self.rates[t * self.n + f] = 1.0 / rate;
    }

    pub(crate) fn get(&self, from: CurrencyId, to: CurrencyId) -> Option<f64> {
        let (f, t) = (usize::from(from), usize::from(to));
        if f >= self.n || t >= self.n {
            return None;
        }
        let direct = self.rates[f * self.n + t];
        if !direct.is_nan() {
            return Some(direct);
        }
        (0..self.n).find_map(|x| {
            let r = self.rates[f * self.n + x] * self.rates[x * self.n + t];
            (!r.is_nan()).then_some(r)
        })
    }
}

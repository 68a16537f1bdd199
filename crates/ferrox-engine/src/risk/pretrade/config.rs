//! Risk limits per scope (account, strategy, instrument) and their parsing
//! from `(scope, key, value)` text settings, the form TOML `[risk]` tables
//! and Python dicts are flattened into.

use std::cmp::Ordering;

use thiserror::Error;

use crate::types::parse_fixed;

/// A configuration the risk engine refuses; names the scope, key and value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RiskConfigError {
    /// A scope that is not `account`, `strategy:N` or `instrument:N`.
    #[error("risk scope {scope:?}: expected account, strategy:N or instrument:N")]
    BadScope {
        /// The scope text.
        scope: String,
    },
    /// An instrument index outside the engine.
    #[error("risk scope {scope:?}: the engine has {count} instruments")]
    UnknownInstrument {
        /// The scope text.
        scope: String,
        /// Number of instruments.
        count: usize,
    },
    /// A key no control reads.
    #[error("risk {scope}.{key}: unknown key")]
    UnknownKey {
        /// The scope.
        scope: String,
        /// The key.
        key: String,
    },
    /// A key that does not apply to this scope.
    #[error("risk {scope}.{key}: only valid for {valid}")]
    WrongScope {
        /// The scope.
        scope: String,
        /// The key.
        key: String,
        /// Where it is valid.
        valid: &'static str,
    },
    /// A value of the wrong shape.
    #[error("risk {scope}.{key} = {value:?}: expected {expected}")]
    BadValue {
        /// The scope.
        scope: String,
        /// The key.
        key: String,
        /// The value text.
        value: String,
        /// What was expected.
        expected: String,
    },
}

/// An exact non-negative decimal limit: `mantissa / 10^scale`, with its text
/// kept for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dec {
    /// The digits.
    pub mantissa: i128,
    /// Decimal places.
    pub scale: u8,
    /// The text as configured.
    pub text: Box<str>,
    /// The value as a float (bits), computed once: float comparisons with
    /// equity and exposure run on every check.
    float_bits: u64,
}

/// `10^k` for k in 0..=38, so scaling never calls `pow` on a check.
pub(crate) const POW10: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut k = 1;
    while k < 39 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

/// `10^-k` as floats for k in 0..=38.
pub(crate) const INV_POW10_F64: [f64; 39] = {
    let mut t = [1f64; 39];
    let mut k = 1;
    while k < 39 {
        t[k] = 1.0 / POW10[k] as f64;
        k += 1;
    }
    t
};

/// `v` as a float; through `i64` when it fits (one instruction, where an
/// `i128` conversion is a library call).
#[inline]
pub(crate) fn i128_to_f64(v: i128) -> f64 {
    match i64::try_from(v) {
        Ok(v) => v as f64,
        Err(_) => v as f64,
    }
}

impl Dec {
    /// Parses exact decimal text (no exponent, no rounding).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().replace('_', "");
        let scale = t.split_once('.').map_or(0, |(_, f)| f.len());
        let scale = u8::try_from(scale).ok().filter(|s| *s <= 18)?;
        let raw = parse_fixed(&t, scale).ok()?;
        if raw < 0 {
            return None;
        }
        let float = raw as f64 / POW10[usize::from(scale)] as f64;
        Some(Self {
            mantissa: i128::from(raw),
            scale,
            text: t.into_boxed_str(),
            float_bits: float.to_bits(),
        })
    }

    /// Compares `raw / 10^precision` with this limit, exactly.
    #[inline]
    pub fn cmp_raw(&self, raw: i128, precision: u8) -> Ordering {
        let (a, b) = align(raw, precision, self.mantissa, self.scale);
        a.cmp(&b)
    }

    /// This limit at `precision` (raw), rounded down; None on overflow.
    pub fn to_raw_floor(&self, precision: u8) -> Option<i64> {
        let v = if precision >= self.scale {
            self.mantissa
                .checked_mul(10i128.checked_pow(u32::from(precision - self.scale))?)?
        } else {
            self.mantissa / 10i128.pow(u32::from(self.scale - precision))
        };
        i64::try_from(v).ok()
    }

    /// Exact if the limit has no more decimals than `precision`.
    pub fn to_raw_exact(&self, precision: u8) -> Option<i64> {
        if self.scale > precision
            && self.mantissa % 10i128.pow(u32::from(self.scale - precision)) != 0
        {
            return None;
        }
        self.to_raw_floor(precision)
    }

    /// As a float (for comparisons with float equity and exposure).
    #[inline]
    pub fn as_f64(&self) -> f64 {
        f64::from_bits(self.float_bits)
    }
}

/// `a / 10^pa` and `b / 10^pb` brought to a common scale (saturating).
#[inline]
fn align(a: i128, pa: u8, b: i128, pb: u8) -> (i128, i128) {
    match pa.cmp(&pb) {
        Ordering::Equal => (a, b),
        Ordering::Less => (a.saturating_mul(POW10[usize::from(pb - pa)]), b),
        Ordering::Greater => (a, b.saturating_mul(POW10[usize::from(pa - pb)])),
    }
}

/// Which price collars and fat-finger checks measure against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PriceReference {
    /// The last trade (or bar close) seen.
    #[default]
    Last,
    /// The mid of the current best bid and offer.
    Mid,
    /// A configured reference price (`reference_price`, instrument scope).
    Reference,
}

/// Where orders may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum TradingState {
    /// Every order that passes the limits.
    #[default]
    Active,
    /// Only orders that reduce the position.
    Reducing,
    /// No orders.
    Halted,
}

impl TradingState {
    /// `ACTIVE`, `REDUCING`, `HALTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Reducing => "REDUCING",
            Self::Halted => "HALTED",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "active" => Some(Self::Active),
            "reducing" | "reduce_only" => Some(Self::Reducing),
            "halted" => Some(Self::Halted),
            _ => None,
        }
    }
}

/// The limits of one scope; `None` = control off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// Largest quantity of one order (instrument units).
    pub max_order_quantity: Option<Dec>,
    /// Smallest quantity of one order.
    pub min_order_quantity: Option<Dec>,
    /// Largest notional of one order (account base currency).
    pub max_order_notional: Option<Dec>,
    /// Smallest notional of one order.
    pub min_order_notional: Option<Dec>,
    /// Price tick (instrument scope): prices must be multiples, raw.
    pub tick_size: Option<i64>,
    /// Lot size (instrument scope): quantities must be multiples, raw.
    pub lot_size: Option<i64>,
    /// Band around the reference price, percent.
    pub price_band_pct: Option<Dec>,
    /// Band around the reference price, ticks (raw price units × tick).
    pub price_band_ticks: Option<i64>,
    /// What the band and fat-finger checks measure against.
    pub price_reference: PriceReference,
    /// Static reference price (instrument scope, raw).
    pub reference_price: Option<i64>,
    /// How far a limit may go through the market, percent.
    pub fat_finger_pct: Option<Dec>,
    /// How far a limit may go through the market, ticks.
    pub fat_finger_ticks: Option<i64>,
    /// Largest long position per instrument, working buys counted as filled.
    pub max_long_quantity: Option<Dec>,
    /// Largest short position per instrument, working sells counted as filled.
    pub max_short_quantity: Option<Dec>,
    /// Largest long position notional per instrument (base currency).
    pub max_long_notional: Option<Dec>,
    /// Largest short position notional per instrument (base currency).
    pub max_short_notional: Option<Dec>,
    /// Largest gross exposure, positions + working orders (base currency).
    pub max_gross_exposure: Option<Dec>,
    /// Largest |net exposure|, positions + working orders (base currency).
    pub max_net_exposure: Option<Dec>,
    /// Check the order against the account's buying power / free margin.
    pub check_buying_power: bool,
    /// Orders per second (engine clock).
    pub max_orders_per_second: Option<u32>,
    /// Cancels per second; over it new orders are denied (cancels never are).
    pub max_cancels_per_second: Option<u32>,
    /// Largest orders / fills ratio once `order_to_trade_min_orders` were sent.
    pub max_order_to_trade_ratio: Option<Dec>,
    /// Orders before the order-to-trade ratio is enforced.
    pub order_to_trade_min_orders: u64,
    /// Window (ns) in which an identical order is a duplicate.
    pub duplicate_window_ns: Option<i64>,
    /// Deny orders that would cross our own resting orders.
    pub self_trade_prevention: bool,
    /// Starting trading state.
    pub state: TradingState,
    /// Daily loss (base currency) that halts the scope.
    pub max_daily_loss: Option<Dec>,
    /// Daily loss that moves the scope to reducing.
    pub reduce_at_daily_loss: Option<Dec>,
    /// Drawdown from the equity peak that halts the scope.
    pub max_drawdown: Option<Dec>,
    /// Drawdown that moves the scope to reducing.
    pub reduce_at_drawdown: Option<Dec>,
}

/// Which part of the firm a limit, a state or a kill switch applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Everything (the engine's one account).
    All,
    /// The account.
    Account,
    /// One strategy (by index).
    Strategy(u32),
    /// One instrument (by index).
    Instrument(u32),
}

impl Scope {
    /// Parses `all`, `account`, `strategy:N`, `instrument:N`.
    pub fn parse(text: &str) -> Result<Self, RiskConfigError> {
        let bad = || RiskConfigError::BadScope {
            scope: text.to_string(),
        };
        let t = text.trim();
        match t {
            "all" | "*" => return Ok(Self::All),
            "account" => return Ok(Self::Account),
            _ => {}
        }
        let (kind, index) = t.split_once(':').ok_or_else(bad)?;
        let index: u32 = index.trim().parse().map_err(|_| bad())?;
        match kind.trim() {
            "strategy" => Ok(Self::Strategy(index)),
            "instrument" => Ok(Self::Instrument(index)),
            _ => Err(bad()),
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::All => f.write_str("all"),
            Self::Account => f.write_str("account"),
            Self::Strategy(i) => write!(f, "strategy:{i}"),
            Self::Instrument(i) => write!(f, "instrument:{i}"),
        }
    }
}

/// Every scope's limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RiskConfig {
    /// The account's limits.
    pub account: Limits,
    /// Per-strategy limits, by strategy index.
    pub strategies: Vec<(u32, Limits)>,
    /// Per-instrument limits, by instrument index.
    pub instruments: Vec<(u32, Limits)>,
    /// Most denial / state-change records the audit trail keeps.
    pub max_audit_records: usize,
}

/// Precisions the parser needs to turn prices and sizes into raw values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstrumentPrecision {
    /// Decimals of prices.
    pub price_precision: u8,
    /// Decimals of sizes.
    pub size_precision: u8,
}

/// Default size of the audit trail's record buffer.
pub const DEFAULT_AUDIT_RECORDS: usize = 100_000;

impl RiskConfig {
    /// Builds the config from `(scope, key, value)` settings; scopes are
    /// `account`, `strategy:N`, `instrument:N` (plus `audit.max_records`).
    pub fn from_settings(
        settings: &[(String, String, String)],
        instruments: &[InstrumentPrecision],
    ) -> Result<Self, RiskConfigError> {
        let mut config = Self {
            max_audit_records: DEFAULT_AUDIT_RECORDS,
            ..Self::default()
        };
        for (scope_text, key, value) in settings {
            if scope_text.trim() == "audit" && key == "max_records" {
                config.max_audit_records =
                    value
                        .trim()
                        .parse()
                        .map_err(|_| RiskConfigError::BadValue {
                            scope: "audit".into(),
                            key: key.clone(),
                            value: value.clone(),
                            expected: "a non-negative integer".into(),
                        })?;
                continue;
            }
            let scope = Scope::parse(scope_text)?;
            let precision = match scope {
                Scope::Instrument(i) => Some(*instruments.get(i as usize).ok_or_else(|| {
                    RiskConfigError::UnknownInstrument {
                        scope: scope_text.clone(),
                        count: instruments.len(),
                    }
                })?),
                _ => None,
            };
            let limits = match scope {
                Scope::All | Scope::Account => &mut config.account,
                Scope::Strategy(i) => slot(&mut config.strategies, i),
                Scope::Instrument(i) => slot(&mut config.instruments, i),
            };
            set_key(limits, scope, precision, key, value)?;
        }
        Ok(config)
    }
}

fn slot(list: &mut Vec<(u32, Limits)>, index: u32) -> &mut Limits {
    let at = match list.iter().position(|(i, _)| *i == index) {
        Some(at) => at,
        None => {
            list.push((index, Limits::default()));
            list.len() - 1
        }
    };
    &mut list[at].1
}

fn set_key(
    limits: &mut Limits,
    scope: Scope,
    precision: Option<InstrumentPrecision>,
    key: &str,
    value: &str,
) -> Result<(), RiskConfigError> {
    let bad = |expected: &str| RiskConfigError::BadValue {
        scope: scope.to_string(),
        key: key.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    };
    let wrong = |valid: &'static str| RiskConfigError::WrongScope {
        scope: scope.to_string(),
        key: key.to_string(),
        valid,
    };
    let dec = || Dec::parse(value).ok_or_else(|| bad("a non-negative exact decimal"));
    let count = || {
        value
            .trim()
            .parse::<u32>()
            .map_err(|_| bad("a non-negative integer"))
    };
    let ticks = || {
        value
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
            .ok_or_else(|| bad("a non-negative integer number of ticks"))
    };
    let flag = || match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(bad("true or false")),
    };
    let instrument_raw = |price: bool| -> Result<i64, RiskConfigError> {
        let p = precision.ok_or_else(|| wrong("instrument:N"))?;
        let digits = if price {
            p.price_precision
        } else {
            p.size_precision
        };
        let raw = dec()?
            .to_raw_exact(digits)
            .ok_or_else(|| bad(&format!("a decimal with at most {digits} decimal places")))?;
        if raw <= 0 {
            return Err(bad("a positive decimal"));
        }
        Ok(raw)
    };
    let aggregate_only = matches!(scope, Scope::Instrument(_));
    match key {
        "max_order_quantity" => limits.max_order_quantity = Some(dec()?),
        "min_order_quantity" => limits.min_order_quantity = Some(dec()?),
        "max_order_notional" => limits.max_order_notional = Some(dec()?),
        "min_order_notional" => limits.min_order_notional = Some(dec()?),
        "tick_size" => limits.tick_size = Some(instrument_raw(true)?),
        "lot_size" => limits.lot_size = Some(instrument_raw(false)?),
        "price_band_pct" => limits.price_band_pct = Some(dec()?),
        "price_band_ticks" => limits.price_band_ticks = Some(ticks()?),
        "price_reference" => {
            limits.price_reference = match value.trim().to_ascii_lowercase().as_str() {
                "last" => PriceReference::Last,
                "mid" => PriceReference::Mid,
                "reference" => PriceReference::Reference,
                _ => return Err(bad("last, mid or reference")),
            }
        }
        "reference_price" => limits.reference_price = Some(instrument_raw(true)?),
        "fat_finger_pct" => limits.fat_finger_pct = Some(dec()?),
        "fat_finger_ticks" => limits.fat_finger_ticks = Some(ticks()?),
        "max_long_quantity" => limits.max_long_quantity = Some(dec()?),
        "max_short_quantity" => limits.max_short_quantity = Some(dec()?),
        "max_position_quantity" => {
            limits.max_long_quantity = Some(dec()?);
            limits.max_short_quantity = Some(dec()?);
        }
        "max_long_notional" => limits.max_long_notional = Some(dec()?),
        "max_short_notional" => limits.max_short_notional = Some(dec()?),
        "max_position_notional" => {
            limits.max_long_notional = Some(dec()?);
            limits.max_short_notional = Some(dec()?);
        }
        "max_gross_exposure" | "max_net_exposure" if aggregate_only => {
            return Err(wrong("account or strategy:N"))
        }
        "max_gross_exposure" => limits.max_gross_exposure = Some(dec()?),
        "max_net_exposure" => limits.max_net_exposure = Some(dec()?),
        "check_buying_power" => limits.check_buying_power = flag()?,
        "max_orders_per_second" => limits.max_orders_per_second = Some(count()?),
        "max_cancels_per_second" => limits.max_cancels_per_second = Some(count()?),
        "max_order_to_trade_ratio" => limits.max_order_to_trade_ratio = Some(dec()?),
        "order_to_trade_min_orders" => limits.order_to_trade_min_orders = u64::from(count()?),
        "duplicate_window_ms" => {
            limits.duplicate_window_ns = Some(i64::from(count()?) * 1_000_000);
        }
        "self_trade_prevention" => limits.self_trade_prevention = flag()?,
        "state" => {
            limits.state =
                TradingState::parse(value).ok_or_else(|| bad("active, reducing or halted"))?
        }
        "max_daily_loss" | "reduce_at_daily_loss" | "max_drawdown" | "reduce_at_drawdown"
            if aggregate_only =>
        {
            return Err(wrong("account or strategy:N"))
        }
        "max_daily_loss" => limits.max_daily_loss = Some(dec()?),
        "reduce_at_daily_loss" => limits.reduce_at_daily_loss = Some(dec()?),
        "max_drawdown" => limits.max_drawdown = Some(dec()?),
        "reduce_at_drawdown" => limits.reduce_at_drawdown = Some(dec()?),
        _ => {
            return Err(RiskConfigError::UnknownKey {
                scope: scope.to_string(),
                key: key.to_string(),
            })
        }
    }
    Ok(())
}

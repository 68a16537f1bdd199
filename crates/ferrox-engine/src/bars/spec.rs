//! Bar spec strings: what kind of bar, and its parameters.
//!
//! Grammar (no spaces; words are lower case):
//!
//! ```text
//! spec       := time | threshold | info
//! time       := INTEGER UNIT                      1m  250ms  5s  1h  1d  100us  10ns
//! UNIT       := "ns" | "us" | "ms" | "s" | "m" | "h" | "d"
//! threshold  := DECIMAL "-" MEASURE               1000-tick  50-volume  1000000-value
//! info       := MEASURE "-" ("imbalance" | "run") [":" param ("," param)*]
//! MEASURE    := "tick" | "volume" | "value"
//! param      := NAME "=" DECIMAL                  expected=100,span=20
//! NAME       := "expected" | "span" | "window" | "min" | "max"
//! ```
//!
//! A tick threshold is a whole number of trades; volume and value thresholds
//! are decimals in real units (base units of volume, quote units of
//! price × size) and are converted exactly to raw values when the instrument's
//! precisions are known ([`BarSpec::resolve`]); a threshold finer than the
//! precision is an error, never a rounding. Positions in errors count
//! characters from 1.

use std::fmt;

use thiserror::Error;

use crate::types::fixed::MAX_PRECISION;

/// Nanoseconds per unit of a time spec, by unit name.
const TIME_UNITS: [(&str, i64); 7] = [
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60 * 1_000_000_000),
    ("h", 3_600 * 1_000_000_000),
    ("d", 86_400 * 1_000_000_000),
];

/// Default of `expected`: the initial expected number of trades per bar.
pub const DEFAULT_EXPECTED: f64 = 1000.0;
/// Default of `span`: the EWMA span, in bars, of the expected trades per bar.
pub const DEFAULT_SPAN: f64 = 10.0;

/// A spec that does not parse, or cannot be converted exactly to raw units.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("bar spec {spec:?}: {}{message}", position.map(|p| format!("at position {p}: ")).unwrap_or_default())]
pub struct SpecError {
    /// The spec as given.
    pub spec: String,
    /// 1-based character position of the problem, when it has one.
    pub position: Option<usize>,
    /// What was found and what was expected.
    pub message: String,
}

/// What a bar's threshold counts: trades, volume or value (price × size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// One per trade.
    Tick,
    /// The trade's size.
    Volume,
    /// The trade's price × size.
    Value,
}

impl Measure {
    /// The spec word.
    pub fn name(self) -> &'static str {
        match self {
            Measure::Tick => "tick",
            Measure::Volume => "volume",
            Measure::Value => "value",
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        match word {
            "tick" => Some(Measure::Tick),
            "volume" => Some(Measure::Volume),
            "value" => Some(Measure::Value),
            _ => None,
        }
    }
}

/// A positive decimal written in a spec, kept exactly: `mantissa / 10^scale`,
/// with no trailing zeros in the fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecDecimal {
    /// The digits as an integer.
    pub mantissa: u128,
    /// Number of decimals.
    pub scale: u32,
}

impl SpecDecimal {
    /// The value as raw units at `precision`, if it is exact there and fits `i128`.
    pub fn to_raw(self, precision: u32) -> Result<i128, String> {
        if self.scale > precision {
            return Err(format!(
                "{self} has {} decimals, finer than the precision {precision}",
                self.scale
            ));
        }
        let factor = 10u128
            .checked_pow(precision - self.scale)
            .ok_or_else(|| format!("{self} overflows at precision {precision}"))?;
        self.mantissa
            .checked_mul(factor)
            .and_then(|v| i128::try_from(v).ok())
            .ok_or_else(|| format!("{self} overflows at precision {precision}"))
    }

    fn as_f64(self) -> f64 {
        self.mantissa as f64 / 10f64.powi(self.scale as i32)
    }
}

impl fmt::Display for SpecDecimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scale == 0 {
            return write!(f, "{}", self.mantissa);
        }
        let scale = 10u128.pow(self.scale);
        write!(
            f,
            "{}.{:0width$}",
            self.mantissa / scale,
            self.mantissa % scale,
            width = self.scale as usize
        )
    }
}

/// Parameters of imbalance and run bars (López de Prado, *Advances in
/// Financial Machine Learning*, 2.3.2).
///
/// Expectations are exponentially weighted moving averages in the recursive
/// form `m ← (1 − α)·m + α·x` with `α = 2 / (span + 1)`, which is what
/// `pandas.Series.ewm(span=..., adjust=False).mean()` computes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InfoParams {
    /// `expected`: `E0[T]` before the first bar, in trades; the first bar cannot
    /// close before this many trades (warm-up).
    pub expected: f64,
    /// `span`: EWMA span, in bars, of the bar lengths T that estimate `E0[T]`.
    pub span: f64,
    /// `window`: EWMA span, in trades, of the per-trade estimates
    /// (E0[b·v] for imbalance bars; P[b=1], E0[v|b=1], E0[v|b=−1] for run
    /// bars). Defaults to `span × expected`.
    pub window: f64,
    /// `min`: lower bound kept on `E0[T]` (default 1).
    pub min: f64,
    /// `max`: upper bound kept on `E0[T]` (default unbounded).
    pub max: f64,
}

impl Default for InfoParams {
    fn default() -> Self {
        Self {
            expected: DEFAULT_EXPECTED,
            span: DEFAULT_SPAN,
            window: DEFAULT_SPAN * DEFAULT_EXPECTED,
            min: 1.0,
            max: f64::INFINITY,
        }
    }
}

/// A parsed bar spec.
#[derive(Debug, Clone, PartialEq)]
pub enum BarSpec {
    /// Epoch-aligned time buckets of this many nanoseconds.
    Time {
        /// Bucket length in ns (> 0).
        interval: i64,
    },
    /// A bar every `n` trades.
    Tick(u64),
    /// A bar when the volume reaches this many base units.
    Volume(SpecDecimal),
    /// A bar when Σ price × size reaches this many quote units.
    Value(SpecDecimal),
    /// Imbalance bars over a measure.
    Imbalance(Measure, InfoParams),
    /// Run bars over a measure.
    Run(Measure, InfoParams),
}

/// A spec with thresholds in raw units, ready to build an aggregator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ResolvedSpec {
    /// Time buckets of `interval` ns.
    Time {
        /// Bucket length in ns.
        interval: i64,
    },
    /// A bar every `n` trades.
    Tick(u64),
    /// A bar when the raw volume reaches this.
    Volume(i64),
    /// A bar when Σ raw price × raw size (at price + size precision) reaches this.
    Value(i128),
    /// Imbalance bars.
    Imbalance(Measure, InfoParams),
    /// Run bars.
    Run(Measure, InfoParams),
}

impl BarSpec {
    /// Parses a spec string (grammar in the module docs).
    pub fn parse(spec: &str) -> Result<BarSpec, SpecError> {
        Parser { spec, pos: 0 }.parse()
    }

    /// The kind as a word: `time`, `tick`, `volume`, `value`,
    /// `tick-imbalance`, ..., `value-run`.
    pub fn kind(&self) -> String {
        match self {
            BarSpec::Time { .. } => "time".into(),
            BarSpec::Tick(_) => "tick".into(),
            BarSpec::Volume(_) => "volume".into(),
            BarSpec::Value(_) => "value".into(),
            BarSpec::Imbalance(m, _) => format!("{}-imbalance", m.name()),
            BarSpec::Run(m, _) => format!("{}-run", m.name()),
        }
    }

    /// Whether the bars are time bars.
    pub fn is_time(&self) -> bool {
        matches!(self, BarSpec::Time { .. })
    }

    /// Converts thresholds to raw units at the given precisions (`None` when
    /// unknown: an error only if the spec needs it).
    pub fn resolve(
        &self,
        price_precision: Option<u8>,
        size_precision: Option<u8>,
    ) -> Result<ResolvedSpec, SpecError> {
        let fail = |message: String| SpecError {
            spec: self.to_string(),
            position: None,
            message,
        };
        let check = |name: &str, p: Option<u8>| -> Result<u32, SpecError> {
            let p = p.ok_or_else(|| {
                fail(format!(
                    "{} bars need the instrument's {name} precision (pass the instrument or its precisions)",
                    self.kind()
                ))
            })?;
            if p > MAX_PRECISION + 1 {
                return Err(fail(format!("{name} precision {p} is out of range")));
            }
            Ok(u32::from(p))
        };
        Ok(match *self {
            BarSpec::Time { interval } => ResolvedSpec::Time { interval },
            BarSpec::Tick(n) => ResolvedSpec::Tick(n),
            BarSpec::Volume(d) => {
                let sp = check("size", size_precision)?;
                let raw = d
                    .to_raw(sp)
                    .map_err(|m| fail(format!("volume threshold {m} of sizes")))?;
                ResolvedSpec::Volume(i64::try_from(raw).map_err(|_| {
                    fail(format!(
                        "volume threshold {d} overflows int64 at precision {sp}"
                    ))
                })?)
            }
            BarSpec::Value(d) => {
                let pp = check("price", price_precision)?;
                let sp = check("size", size_precision)?;
                let raw = d.to_raw(pp + sp).map_err(|m| {
                    fail(format!(
                        "value threshold {m} of price × size (price {pp} + size {sp} decimals)"
                    ))
                })?;
                ResolvedSpec::Value(raw)
            }
            BarSpec::Imbalance(m, p) => ResolvedSpec::Imbalance(m, p),
            BarSpec::Run(m, p) => ResolvedSpec::Run(m, p),
        })
    }
}

impl fmt::Display for BarSpec {
    /// The canonical spec: time in the largest whole unit, every parameter of
    /// imbalance and run bars written out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BarSpec::Time { interval } => {
                let (unit, ns) = TIME_UNITS
                    .iter()
                    .rev()
                    .find(|(_, ns)| interval % ns == 0)
                    .copied()
                    .unwrap_or(("ns", 1));
                write!(f, "{}{unit}", interval / ns)
            }
            BarSpec::Tick(n) => write!(f, "{n}-tick"),
            BarSpec::Volume(d) => write!(f, "{d}-volume"),
            BarSpec::Value(d) => write!(f, "{d}-value"),
            BarSpec::Imbalance(m, p) | BarSpec::Run(m, p) => {
                let kind = if matches!(self, BarSpec::Imbalance(..)) {
                    "imbalance"
                } else {
                    "run"
                };
                write!(
                    f,
                    "{}-{kind}:expected={},span={},window={},min={}",
                    m.name(),
                    p.expected,
                    p.span,
                    p.window,
                    p.min
                )?;
                if p.max.is_finite() {
                    write!(f, ",max={}", p.max)?;
                }
                Ok(())
            }
        }
    }
}

struct Parser<'a> {
    spec: &'a str,
    /// Byte offset; specs are checked to be ASCII-safe where it matters.
    pos: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, at: usize, expected: &str) -> SpecError {
        let found = match self.spec[at..].chars().next() {
            Some(c) => format!("found {c:?}"),
            None => "found the end".to_string(),
        };
        SpecError {
            spec: self.spec.to_string(),
            position: Some(self.spec[..at].chars().count() + 1),
            message: format!("{found}, expected {expected}"),
        }
    }

    fn rest(&self) -> &str {
        &self.spec[self.pos..]
    }

    fn word(&mut self) -> (usize, &'a str) {
        let spec: &'a str = self.spec;
        let start = self.pos;
        let len = self
            .rest()
            .bytes()
            .take_while(|b| b.is_ascii_alphabetic() || *b == b'_')
            .count();
        self.pos += len;
        (start, &spec[start..self.pos])
    }

    /// Digits with at most one `.`; returns the start, the decimal and whether it had a point.
    fn decimal(&mut self, expected: &str) -> Result<(usize, SpecDecimal, bool), SpecError> {
        let start = self.pos;
        let mut mantissa: u128 = 0;
        let mut scale: u32 = 0;
        let mut digits = 0;
        let mut point = false;
        while let Some(&b) = self.spec.as_bytes().get(self.pos) {
            match b {
                b'0'..=b'9' => {
                    mantissa = mantissa
                        .checked_mul(10)
                        .and_then(|m| m.checked_add(u128::from(b - b'0')))
                        .ok_or_else(|| self.error(start, "a number of at most 38 digits"))?;
                    digits += 1;
                    if point {
                        scale += 1;
                    }
                }
                b'.' if !point => point = true,
                _ => break,
            }
            self.pos += 1;
        }
        if digits == 0 {
            return Err(self.error(start, expected));
        }
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        Ok((start, SpecDecimal { mantissa, scale }, point))
    }

    fn expect_end(&self, expected: &str) -> Result<(), SpecError> {
        if self.pos == self.spec.len() {
            Ok(())
        } else {
            Err(self.error(self.pos, expected))
        }
    }

    fn parse(mut self) -> Result<BarSpec, SpecError> {
        match self.spec.as_bytes().first() {
            Some(b'0'..=b'9') => self.parse_numbered(),
            Some(b) if b.is_ascii_alphabetic() => self.parse_info(),
            _ => Err(self.error(
                0,
                "a number (1m, 1000-tick, 50-volume) or tick/volume/value-imbalance/run",
            )),
        }
    }

    fn parse_numbered(&mut self) -> Result<BarSpec, SpecError> {
        let (start, number, point) = self.decimal("a number")?;
        if number.mantissa == 0 {
            return Err(SpecError {
                spec: self.spec.to_string(),
                position: Some(start + 1),
                message: format!("found {number}, expected a number greater than zero"),
            });
        }
        if self.rest().starts_with('-') {
            self.pos += 1;
            let (at, word) = self.word();
            let spec = match Measure::from_word(word) {
                Some(Measure::Tick) => {
                    if point {
                        return Err(SpecError {
                            spec: self.spec.to_string(),
                            position: Some(start + 1),
                            message: format!(
                                "found {number}, expected a whole number of trades for tick bars"
                            ),
                        });
                    }
                    let n = u64::try_from(number.mantissa)
                        .map_err(|_| self.error(start, "a tick count that fits 64 bits"))?;
                    BarSpec::Tick(n)
                }
                Some(Measure::Volume) => BarSpec::Volume(number),
                Some(Measure::Value) => BarSpec::Value(number),
                None => return Err(self.error(at, "'tick', 'volume' or 'value'")),
            };
            self.expect_end("the end of the spec")?;
            return Ok(spec);
        }
        let (at, word) = self.word();
        let Some(&(_, unit)) = TIME_UNITS.iter().find(|(name, _)| *name == word) else {
            return Err(self.error(
                at,
                "a time unit (ns, us, ms, s, m, h, d) or '-tick', '-volume', '-value'",
            ));
        };
        if point {
            return Err(SpecError {
                spec: self.spec.to_string(),
                position: Some(start + 1),
                message: format!(
                    "found {number}, expected a whole number of {word} (use a smaller unit: 1500ms, not 1.5s)"
                ),
            });
        }
        let interval = i64::try_from(number.mantissa)
            .ok()
            .and_then(|n| n.checked_mul(unit))
            .ok_or_else(|| self.error(start, "an interval that fits 64-bit nanoseconds"))?;
        self.expect_end("the end of the spec")?;
        Ok(BarSpec::Time { interval })
    }

    fn parse_info(&mut self) -> Result<BarSpec, SpecError> {
        let (at, word) = self.word();
        let Some(measure) = Measure::from_word(word) else {
            return Err(self.error(
                at,
                "a number (1m, 1000-tick, 50-volume) or 'tick', 'volume', 'value' (tick-imbalance, volume-run)",
            ));
        };
        if !self.rest().starts_with('-') {
            return Err(self.error(self.pos, "'-imbalance' or '-run'"));
        }
        self.pos += 1;
        let (at, word) = self.word();
        let imbalance = match word {
            "imbalance" => true,
            "run" => false,
            _ => return Err(self.error(at, "'imbalance' or 'run'")),
        };
        let params = self.parse_params()?;
        Ok(if imbalance {
            BarSpec::Imbalance(measure, params)
        } else {
            BarSpec::Run(measure, params)
        })
    }

    fn parse_params(&mut self) -> Result<InfoParams, SpecError> {
        const NAMES: &str = "expected, span, window, min or max";
        let mut values: [Option<(usize, f64)>; 5] = [None; 5];
        if self.pos < self.spec.len() {
            if !self.rest().starts_with(':') {
                return Err(self.error(self.pos, "':' and parameters, or the end of the spec"));
            }
            loop {
                self.pos += 1;
                let (at, name) = self.word();
                let index = match name {
                    "expected" => 0,
                    "span" => 1,
                    "window" => 2,
                    "min" => 3,
                    "max" => 4,
                    _ => return Err(self.error(at, &format!("a parameter name ({NAMES})"))),
                };
                if values[index].is_some() {
                    return Err(SpecError {
                        spec: self.spec.to_string(),
                        position: Some(at + 1),
                        message: format!("parameter {name:?} is given twice"),
                    });
                }
                if !self.rest().starts_with('=') {
                    return Err(self.error(self.pos, &format!("'=' after {name:?}")));
                }
                self.pos += 1;
                let (start, value, _) = self.decimal(&format!("a number for {name:?}"))?;
                values[index] = Some((start, value.as_f64()));
                match self.rest().as_bytes().first() {
                    None => break,
                    Some(b',') => continue,
                    Some(_) => return Err(self.error(self.pos, "',' or the end of the spec")),
                }
            }
        }
        let mut p = InfoParams::default();
        let value_error = |start: usize, name: &str, message: &str| SpecError {
            spec: self.spec.to_string(),
            position: Some(start + 1),
            message: format!("{name} {message}"),
        };
        if let Some((start, v)) = values[0] {
            if v < 1.0 {
                return Err(value_error(start, "expected", "must be at least 1 trade"));
            }
            p.expected = v;
        }
        if let Some((start, v)) = values[1] {
            if v < 1.0 {
                return Err(value_error(start, "span", "must be at least 1 bar"));
            }
            p.span = v;
        }
        p.window = match values[2] {
            Some((start, v)) if v < 1.0 => {
                return Err(value_error(start, "window", "must be at least 1 trade"))
            }
            Some((_, v)) => v,
            None => p.span * p.expected,
        };
        if let Some((start, v)) = values[3] {
            if v < 1.0 {
                return Err(value_error(start, "min", "must be at least 1 trade"));
            }
            p.min = v;
        }
        if let Some((start, v)) = values[4] {
            if v < p.min {
                return Err(value_error(
                    start,
                    "max",
                    &format!("must be at least min ({})", p.min),
                ));
            }
            p.max = v;
        }
        if p.expected < p.min || p.expected > p.max {
            let start = values[0].map_or(0, |(s, _)| s);
            return Err(value_error(
                start,
                "expected",
                &format!(
                    "{} must lie within min {} and max {}",
                    p.expected, p.min, p.max
                ),
            ));
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(spec: &str) -> SpecError {
        BarSpec::parse(spec).expect_err(spec)
    }

    #[test]
    fn time_specs_parse_to_nanoseconds() {
        for (spec, ns) in [
            ("1m", 60_000_000_000),
            ("250ms", 250_000_000),
            ("5s", 5_000_000_000),
            ("1h", 3_600_000_000_000),
            ("1d", 86_400_000_000_000),
            ("100us", 100_000),
            ("10ns", 10),
        ] {
            assert_eq!(
                BarSpec::parse(spec).unwrap(),
                BarSpec::Time { interval: ns },
                "{spec}"
            );
        }
    }

    #[test]
    fn canonical_form_uses_the_largest_whole_unit() {
        assert_eq!(BarSpec::parse("60s").unwrap().to_string(), "1m");
        assert_eq!(BarSpec::parse("1500ms").unwrap().to_string(), "1500ms");
        assert_eq!(
            BarSpec::parse("50.50-volume").unwrap().to_string(),
            "50.5-volume"
        );
    }

    #[test]
    fn thresholds_keep_their_decimals_exactly() {
        assert_eq!(BarSpec::parse("1000-tick").unwrap(), BarSpec::Tick(1000));
        let BarSpec::Volume(d) = BarSpec::parse("0.125-volume").unwrap() else {
            panic!()
        };
        assert_eq!(d.to_raw(3), Ok(125));
        assert!(d
            .to_raw(2)
            .unwrap_err()
            .contains("finer than the precision 2"));
    }

    #[test]
    fn value_threshold_resolves_at_price_plus_size_precision() {
        let spec = BarSpec::parse("1000000-value").unwrap();
        assert_eq!(
            spec.resolve(Some(2), Some(3)).unwrap(),
            ResolvedSpec::Value(1_000_000 * 100_000)
        );
        let missing = spec.resolve(None, Some(3)).unwrap_err();
        assert!(missing.message.contains("price precision"), "{missing}");
    }

    #[test]
    fn info_params_default_and_override() {
        let BarSpec::Imbalance(Measure::Tick, p) =
            BarSpec::parse("tick-imbalance:expected=100,span=20").unwrap()
        else {
            panic!()
        };
        assert_eq!((p.expected, p.span, p.window), (100.0, 20.0, 2000.0));
        let BarSpec::Run(Measure::Value, p) = BarSpec::parse("value-run").unwrap() else {
            panic!()
        };
        assert_eq!(p, InfoParams::default());
    }

    #[test]
    fn errors_name_the_position_and_what_was_expected() {
        let e = err("5x");
        assert_eq!(e.position, Some(2));
        assert!(e.message.contains("time unit"), "{e}");
        assert!(e.to_string().starts_with("bar spec \"5x\": at position 2:"));
        assert_eq!(err("").position, Some(1));
        assert_eq!(err("1000-ticks").position, Some(6));
        assert_eq!(err("tick-imbalanse").position, Some(6));
        assert_eq!(err("tick-run:span=").position, Some(15));
        assert_eq!(err("tick-run:spam=3").position, Some(10));
        assert_eq!(err("tick-run:span=3,span=4").position, Some(17));
        assert_eq!(err("1.5s").position, Some(1));
        assert_eq!(err("0m").position, Some(1));
        assert_eq!(err("2.5-tick").position, Some(1));
        assert_eq!(err("1m ").position, Some(3));
        assert!(err("tick-run:min=10,expected=5")
            .message
            .contains("within min"));
    }
}

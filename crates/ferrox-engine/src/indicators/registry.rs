//! The indicator catalogue: TA-Lib names, inputs, parameters (with TA-Lib's
//! defaults and ranges) and outputs, and [`build`] to make one by name.
//!
//! This table is the single source of truth for the Python layer: the
//! `ferrox.ta` function signatures, stream classes and polars expressions are
//! generated from it.

use super::core::{compute, compute_into, Indicator, Row, Slot};
use super::directional::{Adx, Adxr, Di, Direction, Dx};
use super::error::IndicatorError;
use super::extra::{Donchian, EwmVar, Keltner, RollingQuantile, Vwap, ZScore};
use super::ma::{Dema, Ema, Kama, Ma, MaType, Mama, Sma, Tema, Trima, Wma, T3};
use super::macd::{Macd, MacdExt, PriceOscillator};
use super::momentum::{Bop, Change, ChangeKind, Cmo, Rsi, Trix};
use super::oscillator::{Aroon, AroonOsc, Cci, Mfi, Stoch, StochF, StochRsi, UltOsc, WillR};
use super::regression::{Beta, Correl, LineOutput, LinearReg};
use super::sar::Sar;
use super::volatility::{Atr, BBands, StdDev, TRange, Var};
use super::volume::{Ad, AdOsc, Obv};
use super::window::{Max, MidPoint, MidPrice, Min, Sum};

/// How a parameter is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A whole number (periods).
    Int,
    /// A real number.
    Float,
    /// A TA-Lib moving-average type code, 0..=8.
    MaType,
}

/// One parameter: its TA-Lib keyword, kind, default and inclusive range.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// Keyword name, as `talib` spells it.
    pub name: &'static str,
    /// How the value is read.
    pub kind: ParamKind,
    /// Default value.
    pub default: f64,
    /// Smallest allowed value.
    pub min: f64,
    /// Largest allowed value.
    pub max: f64,
}

/// One indicator of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct IndicatorSpec {
    /// Name (TA-Lib's, upper case).
    pub name: &'static str,
    /// Family, for documentation.
    pub group: &'static str,
    /// One-line description.
    pub summary: &'static str,
    /// Input series, in order (TA-Lib's names).
    pub inputs: &'static [&'static str],
    /// Parameters, in order.
    pub params: &'static [ParamSpec],
    /// Output series, in order (TA-Lib's names).
    pub outputs: &'static [&'static str],
    /// True when the indicator is part of TA-Lib (checked against `talib`).
    pub talib: bool,
    make: fn(&[f64]) -> AnyIndicator,
}

const MAX_PERIOD: f64 = 100_000.0;
const REAL_MAX: f64 = 3.0e37;

const fn int(name: &'static str, default: f64, min: f64) -> ParamSpec {
    ParamSpec {
        name,
        kind: ParamKind::Int,
        default,
        min,
        max: MAX_PERIOD,
    }
}

const fn real(name: &'static str, default: f64, min: f64, max: f64) -> ParamSpec {
    ParamSpec {
        name,
        kind: ParamKind::Float,
        default,
        min,
        max,
    }
}

const fn matype(name: &'static str, default: f64) -> ParamSpec {
    ParamSpec {
        name,
        kind: ParamKind::MaType,
        default,
        min: 0.0,
        max: 8.0,
    }
}

const REAL: &[&str] = &["real"];
const HL: &[&str] = &["high", "low"];
const HLC: &[&str] = &["high", "low", "close"];
const HLCV: &[&str] = &["high", "low", "close", "volume"];
const OUT: &[&str] = &["real"];

fn n(v: f64) -> usize {
    v as usize
}

fn ma(v: f64) -> MaType {
    MaType::from_code(v as i64).unwrap_or(MaType::Sma)
}

macro_rules! any_indicator {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        /// Any indicator of the catalogue, built by [`build`].
        #[allow(clippy::large_enum_variant)] // built once per series, see `Ma`
        #[derive(Debug, Clone)]
        pub enum AnyIndicator {
            $(
                #[doc = concat!("[`", stringify!($ty), "`].")]
                $variant($ty),
            )*
        }

        impl AnyIndicator {
            /// Number of input series.
            pub fn n_inputs(&self) -> usize {
                match self { $(Self::$variant(_) => <<$ty as Indicator>::Input as Row>::N,)* }
            }

            /// Number of output series.
            pub fn n_outputs(&self) -> usize {
                match self { $(Self::$variant(_) => <<$ty as Indicator>::Output as Row>::N,)* }
            }

            /// Warm-up length (TA-Lib's lookback).
            pub fn lookback(&self) -> usize {
                match self { $(Self::$variant(i) => i.lookback(),)* }
            }

            /// Forgets every bar seen.
            pub fn reset(&mut self) {
                match self { $(Self::$variant(i) => i.reset(),)* }
            }

            /// The batch form over whole columns (see [`compute`]).
            pub fn compute(
                &mut self,
                inputs: &[&[f64]],
                outputs: &mut [&mut [f64]],
            ) -> Result<(), IndicatorError> {
                match self { $(Self::$variant(i) => compute(i, inputs, outputs),)* }
            }

            /// The batch form into possibly uninitialised outputs (see
            /// [`compute_into`]): every cell is written on success.
            pub fn compute_into(
                &mut self,
                inputs: &[&[f64]],
                outputs: &mut [&mut [Slot]],
            ) -> Result<(), IndicatorError> {
                match self { $(Self::$variant(i) => compute_into(i, inputs, outputs),)* }
            }

            /// One raw step: `input` holds one bar, `out` receives its outputs.
            pub fn update_slice(&mut self, input: &[f64], out: &mut [f64]) {
                match self {
                    $(Self::$variant(i) => {
                        let y = i.update(Row::from_slice(input));
                        Row::to_slice(y, out);
                    })*
                }
            }
        }
    };
}

any_indicator! {
    Ma(Ma), Sma(Sma), Ema(Ema), Wma(Wma), Dema(Dema), Tema(Tema), Trima(Trima), Kama(Kama),
    T3(T3), Mama(Mama), BBands(BBands), Sar(Sar), MidPoint(MidPoint), MidPrice(MidPrice),
    Rsi(Rsi), Stoch(Stoch), StochF(StochF), StochRsi(StochRsi), Macd(Macd),
    MacdExt(MacdExt), PriceOscillator(PriceOscillator), Change(Change), Cmo(Cmo),
    Cci(Cci), WillR(WillR), Adx(Adx), Adxr(Adxr), Dx(Dx), Di(Di), Aroon(Aroon),
    AroonOsc(AroonOsc), Mfi(Mfi), Bop(Bop), Trix(Trix), UltOsc(UltOsc), Atr(Atr),
    TRange(TRange), Obv(Obv), Ad(Ad), AdOsc(AdOsc), LinearReg(LinearReg),
    StdDev(StdDev), Var(Var), Correl(Correl), Beta(Beta), Max(Max), Min(Min), Sum(Sum),
    Vwap(Vwap), Keltner(Keltner), Donchian(Donchian), ZScore(ZScore),
    RollingQuantile(RollingQuantile), EwmVar(EwmVar),
}

/// An [`AnyIndicator`] fed one bar at a time, skipping leading bars with a NaN
/// input exactly as the batch form does.
#[derive(Debug, Clone)]
pub struct AnyStream {
    inner: AnyIndicator,
    started: bool,
}

impl AnyStream {
    /// Wraps a freshly built indicator.
    pub fn new(inner: AnyIndicator) -> Self {
        Self {
            inner,
            started: false,
        }
    }

    /// The wrapped indicator.
    pub fn indicator(&self) -> &AnyIndicator {
        &self.inner
    }

    /// Feeds one bar (`input.len() == n_inputs`), writing `n_outputs` values.
    pub fn update(&mut self, input: &[f64], out: &mut [f64]) {
        if !self.started {
            if input.iter().any(|v| v.is_nan()) {
                out.fill(f64::NAN);
                return;
            }
            self.started = true;
        }
        self.inner.update_slice(input, out);
    }

    /// Forgets every bar seen.
    pub fn reset(&mut self) {
        self.inner.reset();
        self.started = false;
    }
}

macro_rules! spec {
    ($name:literal, $group:literal, $summary:literal, $inputs:expr, [$($param:expr),*], $outputs:expr, $talib:literal, $make:expr) => {
        IndicatorSpec {
            name: $name,
            group: $group,
            summary: $summary,
            inputs: $inputs,
            params: &[$($param),*],
            outputs: $outputs,
            talib: $talib,
            make: $make,
        }
    };
}

/// Every indicator, in documentation order.
pub static SPECS: &[IndicatorSpec] = &[
    // ---- overlap studies
    spec!(
        "MA",
        "overlap",
        "Moving average of any type (matype 0..8)",
        REAL,
        [int("timeperiod", 30.0, 1.0), matype("matype", 0.0)],
        OUT,
        true,
        |p| AnyIndicator::Ma(Ma::new(ma(p[1]), n(p[0])))
    ),
    spec!(
        "SMA",
        "overlap",
        "Simple moving average",
        REAL,
        [int("timeperiod", 30.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Sma(Sma::new(n(p[0])))
    ),
    spec!(
        "EMA",
        "overlap",
        "Exponential moving average (k = 2/(n+1), seeded with the SMA of the first n)",
        REAL,
        [int("timeperiod", 30.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Ema(Ema::new(n(p[0])))
    ),
    spec!(
        "WMA",
        "overlap",
        "Linearly weighted moving average",
        REAL,
        [int("timeperiod", 30.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Wma(Wma::new(n(p[0])))
    ),
    spec!(
        "DEMA",
        "overlap",
        "Double exponential moving average",
        REAL,
        [int("timeperiod", 30.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Dema(Dema::new(n(p[0])))
    ),
    spec!(
        "TEMA",
        "overlap",
        "Triple exponential moving average",
        REAL,
        [int("timeperiod", 30.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Tema(Tema::new(n(p[0])))
    ),
    spec!(
        "TRIMA",
        "overlap",
        "Triangular moving average",
        REAL,
        [int("timeperiod", 30.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Trima(Trima::new(n(p[0])))
    ),
    spec!(
        "KAMA",
        "overlap",
        "Kaufman adaptive moving average",
        REAL,
        [int("timeperiod", 30.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Kama(Kama::new(n(p[0])))
    ),
    spec!(
        "T3",
        "overlap",
        "Tillson T3 moving average",
        REAL,
        [int("timeperiod", 5.0, 1.0), real("vfactor", 0.7, 0.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::T3(T3::new(n(p[0]), p[1]))
    ),
    spec!(
        "MAMA",
        "overlap",
        "MESA adaptive moving average (Ehlers)",
        REAL,
        [
            real("fastlimit", 0.5, 0.01, 0.99),
            real("slowlimit", 0.05, 0.01, 0.99)
        ],
        &["mama", "fama"],
        true,
        |p| AnyIndicator::Mama(Mama::new(p[0], p[1]))
    ),
    spec!(
        "BBANDS",
        "overlap",
        "Bollinger bands",
        REAL,
        [
            int("timeperiod", 20.0, 2.0),
            real("nbdevup", 2.0, -REAL_MAX, REAL_MAX),
            real("nbdevdn", 2.0, -REAL_MAX, REAL_MAX),
            matype("matype", 0.0)
        ],
        &["upperband", "middleband", "lowerband"],
        true,
        |p| AnyIndicator::BBands(BBands::new(n(p[0]), p[1], p[2], ma(p[3])))
    ),
    spec!(
        "SAR",
        "overlap",
        "Parabolic SAR",
        HL,
        [
            real("acceleration", 0.02, 0.0, REAL_MAX),
            real("maximum", 0.2, 0.0, REAL_MAX)
        ],
        OUT,
        true,
        |p| AnyIndicator::Sar(Sar::new(p[0], p[1]))
    ),
    spec!(
        "MIDPOINT",
        "overlap",
        "Midpoint of the highest and lowest value over the period",
        REAL,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::MidPoint(MidPoint::new(n(p[0])))
    ),
    spec!(
        "MIDPRICE",
        "overlap",
        "Midpoint of the highest high and lowest low over the period",
        HL,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::MidPrice(MidPrice::new(n(p[0])))
    ),
    // ---- momentum
    spec!(
        "RSI",
        "momentum",
        "Relative strength index (Wilder)",
        REAL,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::Rsi(Rsi::new(n(p[0])))
    ),
    spec!(
        "STOCH",
        "momentum",
        "Slow stochastic",
        HLC,
        [
            int("fastk_period", 5.0, 1.0),
            int("slowk_period", 3.0, 1.0),
            matype("slowk_matype", 0.0),
            int("slowd_period", 3.0, 1.0),
            matype("slowd_matype", 0.0)
        ],
        &["slowk", "slowd"],
        true,
        |p| AnyIndicator::Stoch(Stoch::new(n(p[0]), n(p[1]), ma(p[2]), n(p[3]), ma(p[4])))
    ),
    spec!(
        "STOCHF",
        "momentum",
        "Fast stochastic",
        HLC,
        [
            int("fastk_period", 5.0, 1.0),
            int("fastd_period", 3.0, 1.0),
            matype("fastd_matype", 0.0)
        ],
        &["fastk", "fastd"],
        true,
        |p| AnyIndicator::StochF(StochF::new(n(p[0]), n(p[1]), ma(p[2])))
    ),
    spec!(
        "STOCHRSI",
        "momentum",
        "Stochastic of the RSI",
        REAL,
        [
            int("timeperiod", 14.0, 2.0),
            int("fastk_period", 5.0, 1.0),
            int("fastd_period", 3.0, 1.0),
            matype("fastd_matype", 0.0)
        ],
        &["fastk", "fastd"],
        true,
        |p| AnyIndicator::StochRsi(StochRsi::new(n(p[0]), n(p[1]), n(p[2]), ma(p[3])))
    ),
    spec!(
        "MACD",
        "momentum",
        "Moving average convergence/divergence",
        REAL,
        [
            int("fastperiod", 12.0, 2.0),
            int("slowperiod", 26.0, 2.0),
            int("signalperiod", 9.0, 1.0)
        ],
        &["macd", "macdsignal", "macdhist"],
        true,
        |p| AnyIndicator::Macd(Macd::new(n(p[0]), n(p[1]), n(p[2])))
    ),
    spec!(
        "MACDEXT",
        "momentum",
        "MACD with a moving-average type per line",
        REAL,
        [
            int("fastperiod", 12.0, 2.0),
            matype("fastmatype", 0.0),
            int("slowperiod", 26.0, 2.0),
            matype("slowmatype", 0.0),
            int("signalperiod", 9.0, 1.0),
            matype("signalmatype", 0.0)
        ],
        &["macd", "macdsignal", "macdhist"],
        true,
        |p| AnyIndicator::MacdExt(MacdExt::new(
            n(p[0]),
            ma(p[1]),
            n(p[2]),
            ma(p[3]),
            n(p[4]),
            ma(p[5])
        ))
    ),
    spec!(
        "PPO",
        "momentum",
        "Percentage price oscillator",
        REAL,
        [
            int("fastperiod", 12.0, 2.0),
            int("slowperiod", 26.0, 2.0),
            matype("matype", 1.0)
        ],
        OUT,
        true,
        |p| AnyIndicator::PriceOscillator(PriceOscillator::new(n(p[0]), n(p[1]), ma(p[2]), true))
    ),
    spec!(
        "APO",
        "momentum",
        "Absolute price oscillator",
        REAL,
        [
            int("fastperiod", 12.0, 2.0),
            int("slowperiod", 26.0, 2.0),
            matype("matype", 1.0)
        ],
        OUT,
        true,
        |p| AnyIndicator::PriceOscillator(PriceOscillator::new(n(p[0]), n(p[1]), ma(p[2]), false))
    ),
    spec!(
        "MOM",
        "momentum",
        "Momentum: price - price n bars ago",
        REAL,
        [int("timeperiod", 10.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Change(Change::new(ChangeKind::Difference, n(p[0])))
    ),
    spec!(
        "ROC",
        "momentum",
        "Rate of change: (price/prev - 1) * 100",
        REAL,
        [int("timeperiod", 10.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Change(Change::new(ChangeKind::Percent, n(p[0])))
    ),
    spec!(
        "ROCP",
        "momentum",
        "Rate of change: (price - prev)/prev",
        REAL,
        [int("timeperiod", 10.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Change(Change::new(ChangeKind::Fraction, n(p[0])))
    ),
    spec!(
        "ROCR",
        "momentum",
        "Rate of change ratio: price/prev",
        REAL,
        [int("timeperiod", 10.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Change(Change::new(ChangeKind::Ratio, n(p[0])))
    ),
    spec!(
        "CMO",
        "momentum",
        "Chande momentum oscillator",
        REAL,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::Cmo(Cmo::new(n(p[0])))
    ),
    spec!(
        "CCI",
        "momentum",
        "Commodity channel index",
        HLC,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::Cci(Cci::new(n(p[0])))
    ),
    spec!(
        "WILLR",
        "momentum",
        "Williams' %R",
        HLC,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::WillR(WillR::new(n(p[0])))
    ),
    spec!(
        "ADX",
        "momentum",
        "Average directional movement index",
        HLC,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::Adx(Adx::new(n(p[0])))
    ),
    spec!(
        "ADXR",
        "momentum",
        "Average directional movement index rating",
        HLC,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::Adxr(Adxr::new(n(p[0])))
    ),
    spec!(
        "DX",
        "momentum",
        "Directional movement index",
        HLC,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::Dx(Dx::new(n(p[0])))
    ),
    spec!(
        "PLUS_DI",
        "momentum",
        "Plus directional indicator",
        HLC,
        [int("timeperiod", 14.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Di(Di::new(Direction::Plus, n(p[0])))
    ),
    spec!(
        "MINUS_DI",
        "momentum",
        "Minus directional indicator",
        HLC,
        [int("timeperiod", 14.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Di(Di::new(Direction::Minus, n(p[0])))
    ),
    spec!(
        "AROON",
        "momentum",
        "Aroon up and down",
        HL,
        [int("timeperiod", 14.0, 2.0)],
        &["aroondown", "aroonup"],
        true,
        |p| AnyIndicator::Aroon(Aroon::new(n(p[0])))
    ),
    spec!(
        "AROONOSC",
        "momentum",
        "Aroon oscillator",
        HL,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::AroonOsc(AroonOsc::new(n(p[0])))
    ),
    spec!(
        "MFI",
        "momentum",
        "Money flow index",
        HLCV,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::Mfi(Mfi::new(n(p[0])))
    ),
    spec!(
        "BOP",
        "momentum",
        "Balance of power",
        &["open", "high", "low", "close"],
        [],
        OUT,
        true,
        |_| AnyIndicator::Bop(Bop)
    ),
    spec!(
        "TRIX",
        "momentum",
        "1-bar rate of change of a triple EMA",
        REAL,
        [int("timeperiod", 30.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Trix(Trix::new(n(p[0])))
    ),
    spec!(
        "ULTOSC",
        "momentum",
        "Ultimate oscillator",
        HLC,
        [
            int("timeperiod1", 7.0, 1.0),
            int("timeperiod2", 14.0, 1.0),
            int("timeperiod3", 28.0, 1.0)
        ],
        OUT,
        true,
        |p| AnyIndicator::UltOsc(UltOsc::new(n(p[0]), n(p[1]), n(p[2])))
    ),
    // ---- volatility
    spec!(
        "ATR",
        "volatility",
        "Average true range (Wilder)",
        HLC,
        [int("timeperiod", 14.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Atr(Atr::new(n(p[0]), false))
    ),
    spec!(
        "NATR",
        "volatility",
        "Normalized average true range (percent of close)",
        HLC,
        [int("timeperiod", 14.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Atr(Atr::new(n(p[0]), true))
    ),
    spec!(
        "TRANGE",
        "volatility",
        "True range",
        HLC,
        [],
        OUT,
        true,
        |_| AnyIndicator::TRange(TRange::default())
    ),
    // ---- volume
    spec!(
        "OBV",
        "volume",
        "On balance volume",
        &["real", "volume"],
        [],
        OUT,
        true,
        |_| AnyIndicator::Obv(Obv::default())
    ),
    spec!(
        "AD",
        "volume",
        "Chaikin accumulation/distribution line",
        HLCV,
        [],
        OUT,
        true,
        |_| AnyIndicator::Ad(Ad::default())
    ),
    spec!(
        "ADOSC",
        "volume",
        "Chaikin A/D oscillator",
        HLCV,
        [int("fastperiod", 3.0, 2.0), int("slowperiod", 10.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::AdOsc(AdOsc::new(n(p[0]), n(p[1])))
    ),
    // ---- statistics
    spec!(
        "LINEARREG",
        "statistic",
        "Linear regression: value of the fitted line at the latest bar",
        REAL,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::LinearReg(LinearReg::new(LineOutput::Value, n(p[0])))
    ),
    spec!(
        "LINEARREG_SLOPE",
        "statistic",
        "Slope of the linear regression line",
        REAL,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::LinearReg(LinearReg::new(LineOutput::Slope, n(p[0])))
    ),
    spec!(
        "LINEARREG_INTERCEPT",
        "statistic",
        "Intercept of the linear regression line",
        REAL,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::LinearReg(LinearReg::new(LineOutput::Intercept, n(p[0])))
    ),
    spec!(
        "LINEARREG_ANGLE",
        "statistic",
        "Angle of the linear regression line, in degrees",
        REAL,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::LinearReg(LinearReg::new(LineOutput::Angle, n(p[0])))
    ),
    spec!(
        "TSF",
        "statistic",
        "Time series forecast: the regression line one bar ahead",
        REAL,
        [int("timeperiod", 14.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::LinearReg(LinearReg::new(LineOutput::Forecast, n(p[0])))
    ),
    spec!(
        "STDDEV",
        "statistic",
        "Rolling population standard deviation times nbdev",
        REAL,
        [
            int("timeperiod", 5.0, 2.0),
            real("nbdev", 1.0, -REAL_MAX, REAL_MAX)
        ],
        OUT,
        true,
        |p| AnyIndicator::StdDev(StdDev::new(n(p[0]), p[1]))
    ),
    spec!(
        "VAR",
        "statistic",
        "Rolling population variance (nbdev is ignored, as in TA-Lib)",
        REAL,
        [
            int("timeperiod", 5.0, 1.0),
            real("nbdev", 1.0, -REAL_MAX, REAL_MAX)
        ],
        OUT,
        true,
        |p| AnyIndicator::Var(Var::new(n(p[0])))
    ),
    spec!(
        "CORREL",
        "statistic",
        "Pearson correlation of two series",
        &["real0", "real1"],
        [int("timeperiod", 30.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Correl(Correl::new(n(p[0])))
    ),
    spec!(
        "BETA",
        "statistic",
        "Beta of real1's returns on real0's",
        &["real0", "real1"],
        [int("timeperiod", 5.0, 1.0)],
        OUT,
        true,
        |p| AnyIndicator::Beta(Beta::new(n(p[0])))
    ),
    spec!(
        "MAX",
        "statistic",
        "Highest value over the period",
        REAL,
        [int("timeperiod", 30.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::Max(Max::new(n(p[0])))
    ),
    spec!(
        "MIN",
        "statistic",
        "Lowest value over the period",
        REAL,
        [int("timeperiod", 30.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::Min(Min::new(n(p[0])))
    ),
    spec!(
        "SUM",
        "statistic",
        "Sum over the period",
        REAL,
        [int("timeperiod", 30.0, 2.0)],
        OUT,
        true,
        |p| AnyIndicator::Sum(Sum::new(n(p[0])))
    ),
    // ---- beyond TA-Lib
    spec!(
        "VWAP",
        "extra",
        "Session-anchored volume-weighted average of the typical price",
        &["high", "low", "close", "volume", "session"],
        [],
        OUT,
        false,
        |_| AnyIndicator::Vwap(Vwap::default())
    ),
    spec!(
        "KELTNER",
        "extra",
        "Keltner channels: EMA of close +/- multiplier * ATR",
        HLC,
        [
            int("timeperiod", 20.0, 1.0),
            int("atr_period", 10.0, 1.0),
            real("multiplier", 2.0, -REAL_MAX, REAL_MAX)
        ],
        &["upperband", "middleband", "lowerband"],
        false,
        |p| AnyIndicator::Keltner(Keltner::new(n(p[0]), n(p[1]), p[2]))
    ),
    spec!(
        "DONCHIAN",
        "extra",
        "Donchian channels: highest high, midpoint, lowest low",
        HL,
        [int("timeperiod", 20.0, 1.0)],
        &["upperband", "middleband", "lowerband"],
        false,
        |p| AnyIndicator::Donchian(Donchian::new(n(p[0])))
    ),
    spec!(
        "ZSCORE",
        "extra",
        "Rolling z-score of the latest value",
        REAL,
        [int("timeperiod", 20.0, 2.0)],
        OUT,
        false,
        |p| AnyIndicator::ZScore(ZScore::new(n(p[0])))
    ),
    spec!(
        "QUANTILE",
        "extra",
        "Rolling quantile, linear interpolation",
        REAL,
        [
            int("timeperiod", 20.0, 1.0),
            real("quantile", 0.5, 0.0, 1.0)
        ],
        OUT,
        false,
        |p| AnyIndicator::RollingQuantile(RollingQuantile::new(n(p[0]), p[1]))
    ),
    spec!(
        "EWMVAR",
        "extra",
        "Exponentially weighted moving variance (alpha = 2/(n+1))",
        REAL,
        [int("timeperiod", 20.0, 1.0)],
        OUT,
        false,
        |p| AnyIndicator::EwmVar(EwmVar::new(n(p[0])))
    ),
];

/// The spec of `name` (TA-Lib's upper-case name).
pub fn spec(name: &str) -> Option<&'static IndicatorSpec> {
    SPECS.iter().find(|s| s.name == name)
}

fn describe(p: &ParamSpec) -> String {
    match p.kind {
        ParamKind::Int => format!("an integer in {}..={}", p.min, p.max),
        ParamKind::MaType => {
            "a moving-average type 0..=8 (SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA, MAMA, T3)"
                .to_string()
        }
        ParamKind::Float if p.max >= REAL_MAX => format!("a finite number >= {:e}", p.min),
        ParamKind::Float => format!("a number in {}..={}", p.min, p.max),
    }
}

/// Checks `value` against `p`.
pub fn check_param(
    indicator: &'static str,
    p: &ParamSpec,
    value: f64,
) -> Result<(), IndicatorError> {
    let integral = value.fract() == 0.0;
    let ok = value.is_finite()
        && value >= p.min
        && value <= p.max
        && (p.kind == ParamKind::Float || integral);
    if ok {
        Ok(())
    } else {
        Err(IndicatorError::Param {
            indicator,
            param: p.name,
            expected: describe(p),
            got: value,
        })
    }
}

/// Builds the indicator `name` with `params` in the spec's order.
pub fn build(name: &str, params: &[f64]) -> Result<AnyIndicator, IndicatorError> {
    let spec = spec(name).ok_or_else(|| IndicatorError::UnknownIndicator(name.to_string()))?;
    if params.len() != spec.params.len() {
        return Err(IndicatorError::ParamCount {
            indicator: spec.name,
            expected: spec.params.len(),
            got: params.len(),
        });
    }
    for (p, &v) in spec.params.iter().zip(params) {
        check_param(spec.name, p, v)?;
    }
    Ok((spec.make)(params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_builds_with_its_defaults_and_matches_its_arity() {
        for s in SPECS {
            let defaults: Vec<f64> = s.params.iter().map(|p| p.default).collect();
            let ind = build(s.name, &defaults).expect(s.name);
            assert_eq!(ind.n_inputs(), s.inputs.len(), "{}", s.name);
            assert_eq!(ind.n_outputs(), s.outputs.len(), "{}", s.name);
        }
    }

    #[test]
    fn a_period_out_of_range_names_the_parameter_and_the_range() {
        let err = build("RSI", &[1.0]).unwrap_err();
        assert!(err.is_param_error());
        assert_eq!(
            err.to_string(),
            "RSI: timeperiod must be an integer in 2..=100000, got 1"
        );
    }

    #[test]
    fn an_unknown_matype_is_refused() {
        let err = build("BBANDS", &[20.0, 2.0, 2.0, 9.0]).unwrap_err();
        assert!(err.to_string().contains("matype"));
    }
}

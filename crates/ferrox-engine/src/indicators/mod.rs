//! Technical indicators: a TA-Lib-compatible library of state machines.
//!
//! Every indicator is a small state struct with an `update` step (one bar in,
//! one value out, NaN during warm-up). The batch form runs the same step over
//! slices, so batch and streaming agree bit for bit; a few hot indicators also
//! carry a hand-written batch loop that performs the identical arithmetic in
//! the identical order (proptests pin the equality).
//!
//! The arithmetic mirrors TA-Lib 0.8 (the C library shipped with the `ta-lib`
//! Python wheel 0.8.x): same seeds, same smoothing, same operation order and the
//! same fused multiply-adds, so results match `talib` exactly rather than to a
//! tolerance. Floats are right here: indicators are analytics, not money.
//!
//! Layout: [`core`] holds the [`Indicator`] trait and the batch driver,
//! [`registry`] maps TA-Lib names and parameters onto the structs, and one
//! module per family holds the algorithms.

pub mod core;
pub mod directional;
pub mod error;
pub mod extra;
pub mod ma;
pub mod macd;
pub mod momentum;
pub mod oscillator;
pub mod registry;
pub mod regression;
mod ring;
pub mod sar;
pub mod volatility;
pub mod volume;
pub mod window;

pub use self::core::{compute, compute_into, Indicator, Row, Slot, Stream, NAN_SLOT};
pub use self::error::IndicatorError;
pub use self::ma::MaType;
pub use self::registry::{build, spec, AnyIndicator, IndicatorSpec, ParamKind, ParamSpec, SPECS};

/// TA-Lib's zero test (`TA_IS_ZERO`): `|v| < 1e-14`.
#[inline(always)]
pub(crate) fn is_zero(v: f64) -> bool {
    -TA_EPSILON < v && v < TA_EPSILON
}

/// TA-Lib's scale-aware zero test (`TA_IS_ZERO_SCALED`): `|v| <= 1e-14 * scale`.
#[inline(always)]
pub(crate) fn is_zero_scaled(v: f64, scale: f64) -> bool {
    v.abs() <= TA_EPSILON * scale
}

/// TA-Lib's `TA_EPSILON`.
pub(crate) const TA_EPSILON: f64 = 0.000_000_000_000_01;

/// A fused multiply-add, `a * b + c` rounded once, exactly where TA-Lib fuses.
#[inline(always)]
pub(crate) fn fma(a: f64, b: f64, c: f64) -> f64 {
    a.mul_add(b, c)
}

//! ferrox-research: kernels for research at scale.
//!
//! `factors` evaluates factor expressions (Qlib's Alpha158 operator set) over
//! an instrument × time panel; `vectorized` simulates portfolios over a
//! time × column layout. A crate of its own so that research kernels build and
//! test without recompiling the trading engine. Knows nothing of Python.
#![deny(missing_docs)]

pub mod factors;
pub mod vectorized;

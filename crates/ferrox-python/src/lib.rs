//! `ferrox._core`: PyO3 bindings for ferrox-engine. Conversions, GIL release
//! and error mapping only; all logic lives in the engine crate. One file per
//! engine module, registered here.

use pyo3::prelude::*;

mod backtest;
mod bars;
mod binance;
mod book;
mod decimals;
mod errors;
mod factors;
mod indicators;
mod lob;
mod risk;
mod risk_pretrade;
mod strategies;
mod values;
mod vectorized;

/// The compiled core of ferrox.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    values::register(m)?;
    decimals::register(m)?;
    book::register(m)?;
    bars::register(m)?;
    binance::register(m)?;
    indicators::register(m)?;
    lob::register(m)?;
    factors::register(m)?;
    risk::register(m)?;
    risk_pretrade::register(m)?;
    vectorized::register(m)?;
    backtest::register(m)?;
    strategies::register(m)?;
    Ok(())
}

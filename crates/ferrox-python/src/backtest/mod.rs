//! Bindings for the event-driven engine: `BacktestEngine` (data in as numpy
//! columns, results out as numpy columns), the strategy context handed to
//! Python strategies, and the event objects their callbacks receive.
//!
//! A Python strategy runs in the Rust loop through the adapter: only the
//! callbacks the strategy class overrides are called, so a bar strategy never
//! pays for book deltas crossing into Python. Built-in Rust strategies run
//! with the GIL released.

use pyo3::prelude::*;

mod adapter;
mod context;
mod engine;
mod events;

/// Registers the backtest classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<engine::PyBacktestEngine>()?;
    m.add_class::<context::PyContext>()?;
    m.add_class::<events::PyBar>()?;
    m.add_class::<events::PyTrade>()?;
    m.add_class::<events::PyQuote>()?;
    m.add_class::<events::PyOrderEvent>()?;
    m.add_class::<events::PyFill>()?;
    Ok(())
}

//! Streaming parsers of real exchange formats into columnar batches.

pub mod binance;
pub mod decimals;

//! ferrox-engine: the pure-Rust core of ferrox.
//!
//! `types` is the exact market-data model; `data` holds the streaming parsers
//! of real exchange formats. The crate knows nothing of Python: the
//! `ferrox-python` crate binds it.
#![deny(missing_docs)]

pub mod bars;
pub mod book;
pub mod data;
pub mod engine;
pub mod indicators;
pub mod matching;
pub mod orders;
pub mod portfolio;
pub mod risk;
pub mod rng;
pub mod types;

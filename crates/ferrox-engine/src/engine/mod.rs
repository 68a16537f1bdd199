//! The event-driven engine: one deterministic loop for backtests (and, with a
//! real clock and venue adapters, for paper and live trading).
//!
//! [`feed`] merges market-data streams by `ts_init`; [`scheduler`] holds what
//! is due later (orders travelling to venues, answers travelling back,
//! timers); [`latency`] draws the delays; [`core`] is the state a strategy
//! works with, extended by [`data_engine`] (bars, indicators), [`risk_gate`]
//! (pre-trade checks, kill switch), [`contingent`] (OCO/OTO/brackets) and
//! [`algos`] (TWAP); [`run`] is the loop; [`strategy`] is the Rust strategy
//! trait and [`strategies`] the compiled ones.

pub mod algos;
pub mod contingent;
pub mod core;
pub mod data_engine;
pub mod feed;
pub mod latency;
pub mod results;
pub mod risk_gate;
pub mod run;
pub mod scheduler;
pub mod strategies;
pub mod strategy;

pub use self::core::{EngineConfig, EngineCore, EngineError, FillReport, InstrumentInfo};
pub use data_engine::BarInput;
pub use feed::{DataFeed, FeedError, Record, Stream};
pub use latency::{LatencyModel, Rng};
pub use results::{EquityRow, FillRow, OrderEventRow, RunLog};
pub use run::{Engine, RunError};
pub use strategy::{Strategy, StrategyError, StrategyResult, Subscriptions};

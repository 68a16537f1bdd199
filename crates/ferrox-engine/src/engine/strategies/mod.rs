//! Built-in Rust strategies: compiled, configured from Python or TOML by
//! name, and run with no Python per event. They double as the reference
//! strategies of the benchmarks and examples.

mod ema_cross;
mod market_maker;
pub mod registry;

pub use ema_cross::{EmaCross, EmaCrossConfig};
pub use market_maker::{MarketMaker, MarketMakerConfig};
pub use registry::{build, find, SettingSpec, Settings, SettingsError, StrategyFactory, REGISTRY};

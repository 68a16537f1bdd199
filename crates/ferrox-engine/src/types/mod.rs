//! The exact market-data model: fixed-point values, ids, instruments, records.

pub mod fixed;
pub mod ids;
pub mod instrument;
pub mod records;
pub mod time;
pub mod values;

pub use fixed::{format_fixed, parse_fixed, rescale, FixedError, MAX_PRECISION};
pub use ids::{IdError, InstrumentId};
pub use instrument::{Instrument, InstrumentKind};
pub use records::{
    AggressorSide, Bar, BookAction, BookDelta, BookSide, QuoteTick, TradeTick, FLAG_LAST,
    FLAG_SNAPSHOT,
};
pub use time::UnixNanos;
pub use values::{Money, MoneyError, Price, Quantity};

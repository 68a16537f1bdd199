//! Binance combined-stream captures -> columnar chunks.
//!
//! # Input
//!
//! Text lines `LOCAL_RECV_NS JSON` (plain or gzip, possibly multi-member),
//! the JSON being a raw combined-stream WebSocket message
//! `{"stream":"btcusdt@depth@0ms","data":{..}}`, plus a REST depth snapshot
//! line `{"lastUpdateId":..,"bids":[..],"asks":[..]}` with no wrapper and no
//! symbol. Prices and sizes are decimal strings and are parsed exactly.
//!
//! # Rows
//!
//! `ts_init` is always the line's receive time. Per stream (the part of the
//! stream name after `symbol@`):
//!
//! - `trade` -> [`Chunk::trades`]: `ts_event` = `T`, trade id `t`,
//!   aggressor = seller if `m` (the buyer was the maker) else buyer.
//! - `aggTrade` -> [`Chunk::agg_trades`], the same columns with trade id
//!   `a`. Kept apart from `trades` so a capture of both streams does not
//!   count each trade twice.
//! - `bookTicker` (and `!bookTicker`) -> [`Chunk::quotes`]: `ts_event` = `T`,
//!   else `E`, else `ts_init` — spot bookTicker messages carry no venue time
//!   at all; update id `u`.
//! - `depth`, `depth@0ms|100ms|250ms|500ms` (`depthUpdate`) ->
//!   [`Chunk::deltas`], one row per level, bids then asks: action `Delete`
//!   when the size is zero, else `Update` (Binance sends the level's new
//!   total); `sequence` = `u`, `first_update_id` = `U`, `prev_update_id` =
//!   `pu` (futures; 0 on spot); `ts_event` = `T`, else `E`; `FLAG_LAST` on
//!   the message's last row. A diff with no levels still yields one marker
//!   row (side `NoSide`, action `Update`, price 0, size 0, `FLAG_LAST`) so the
//!   update-id chain a book sync follows has no hole.
//! - a depth snapshot -> [`Chunk::deltas`]: one `Clear` row (`FLAG_SNAPSHOT`),
//!   then `Add` rows for the bids then the asks (`FLAG_SNAPSHOT`, the last
//!   one `FLAG_SNAPSHOT | FLAG_LAST`), all with `sequence` = `lastUpdateId`
//!   and `first_update_id` = `prev_update_id` = 0; `ts_event` = `T`, else
//!   `E`, else `ts_init`. The snapshot belongs to the capture's symbol: the
//!   `symbol` option if given, else the only symbol seen so far (a snapshot
//!   before any stream message is held until the first one names the
//!   symbol). A snapshot in a capture of several symbols is refused, and a
//!   second symbol appearing after a snapshot was given to the first ends the
//!   read whatever the error mode: split the capture or name the symbol.
//!
//! # Venue
//!
//! Instrument ids are `SYMBOL.VENUE` with venue `BINANCE` (spot),
//! `BINANCE-USDM` (USD-M futures) or `BINANCE-COINM` (COIN-M futures, whose
//! symbols are a USD pair and an expiry: `BTCUSD_PERP`). Unless the `venue` option
//! fixes it, the market is judged once per file, from the first stream
//! message that parses: futures if it is a depth diff with `pu`, a trade with
//! `X`, a bookTicker with `e` or an aggTrade without `M`; spot otherwise.
//! Within futures, a symbol `<pair>_<expiry>` whose pair ends in `USD` is
//! COIN-M, anything else USD-M (`BTCUSDT_240927` is a USD-M delivery contract).
//!
//! # Precision
//!
//! Known instruments ([`ReaderOptions::instruments`]) fix the precisions and
//! increments: a value with more significant decimals than the precision, or
//! not a multiple of the increment, is a bad record. Other instruments take
//! the precision from how Binance writes their first price and size (it
//! writes a fixed number of decimals per symbol: spot `"61837.63000000"` has
//! 8) and are marked as inferred; later values finer than that are bad
//! records too. Never rounded.
//!
//! # Bad lines
//!
//! Each refusal names the 1-based line, the field (`data.b[3][0]`) and what
//! was expected ([`BadRecord`]). [`ErrorMode::Fail`] stops at the first,
//! `Skip` lists them per chunk, `Quarantine` also keeps their text. A refused
//! line never leaves rows behind. Blank lines are ignored. Decimal strings
//! written with JSON escapes are refused (Binance never escapes them).

mod columns;
mod decimal;
mod error;
mod instruments;
mod json;
mod message;
mod reader;

pub use columns::{Chunk, DeltaColumns, QuoteColumns, Rejection, TradeColumns};
pub use error::{BadRecord, Field, ReadError};
pub use instruments::{InstrumentEntry, InstrumentSpec, UnknownVenue, Venue};
pub use reader::{BinanceReader, ErrorMode, ReaderOptions};

#[cfg(test)]
mod tests;

//! Why a capture line was refused, worded for the person who has to fix it.
//!
//! Every message starts with a short category (`malformed JSON`, `bad
//! decimal`, `too fine`, ...) followed by a colon, so error counts group by
//! it; then the field (`data.b[3][0]`) and what was expected.

use std::fmt;

use thiserror::Error;

use super::message::SUPPORTED_STREAMS;

/// A JSON field, named the way it appears in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A top-level key (`stream`, `lastUpdateId`, `bids`).
    Top(&'static str),
    /// A key inside `data` (`data.p`).
    Data(&'static str),
    /// A level of a depth array (`data.b[3][0]`, `asks[0][1]`), or the pair itself.
    Level {
        /// Whether the array is inside `data`.
        in_data: bool,
        /// The array's key.
        array: &'static str,
        /// Zero-based level index.
        index: usize,
        /// 0 = price, 1 = size, `None` = the pair.
        part: Option<u8>,
    },
}

impl Field {
    /// The field of level `index` (and of its price or size) in this array.
    pub(crate) fn level(self, index: usize, part: Option<u8>) -> Field {
        let (in_data, array) = match self {
            Field::Top(name) => (false, name),
            Field::Data(name) => (true, name),
            Field::Level { in_data, array, .. } => (in_data, array),
        };
        Field::Level {
            in_data,
            array,
            index,
            part,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Field::Top(name) => f.write_str(name),
            Field::Data(name) => write!(f, "data.{name}"),
            Field::Level {
                in_data,
                array,
                index,
                part,
            } => {
                if in_data {
                    f.write_str("data.")?;
                }
                write!(f, "{array}[{index}]")?;
                match part {
                    Some(p) => write!(f, "[{p}]"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// A byte found where the JSON grammar wanted something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found(pub Option<u8>);

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("the end of the line"),
            Some(b) if b.is_ascii_graphic() || b == b' ' => write!(f, "{:?}", char::from(b)),
            Some(b) => write!(f, "byte 0x{b:02x}"),
        }
    }
}

/// Why one line of a capture could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BadRecord {
    /// The line is not `LOCAL_RECV_NS JSON`.
    #[error("not `NS JSON`: {0}")]
    NotNsJson(String),
    /// The JSON text is malformed.
    #[error("malformed JSON: at column {column}: expected {expected}, found {}", Found(*found))]
    Json {
        /// 1-based byte column in the line.
        column: usize,
        /// What the grammar wanted there.
        expected: &'static str,
        /// The byte found instead.
        found: Option<u8>,
    },
    /// A line longer than 4 GiB.
    #[error("line too long: more than 4 GiB")]
    LineTooLong,
    /// Valid JSON, but neither a stream message nor a depth snapshot.
    #[error(
        "not a Binance message: expected {{\"stream\":..,\"data\":{{..}}}} or a depth snapshot \
         {{\"lastUpdateId\":..,\"bids\":..,\"asks\":..}}"
    )]
    NotAMessage,
    /// A required field is absent.
    #[error("missing field: {0}")]
    Missing(Field),
    /// A field holds the wrong JSON type.
    #[error("wrong type: {field}: expected {expected}, found {found}")]
    WrongType {
        /// The field.
        field: Field,
        /// The type wanted.
        expected: &'static str,
        /// The type found.
        found: &'static str,
    },
    /// A decimal string written with JSON escapes (Binance never does).
    #[error("wrong type: {0}: expected a plain decimal string, found an escape sequence")]
    Escaped(Field),
    /// A price or size that is not a decimal number (or out of range).
    #[error("bad decimal: {field}: expected {expected}, found {text:?}{detail}")]
    BadDecimal {
        /// The field.
        field: Field,
        /// The text found.
        text: String,
        /// What was expected ("a decimal", "a non-negative size").
        expected: &'static str,
        /// Why it failed, starting with `" ("` or empty.
        detail: String,
    },
    /// A price or size finer than the instrument's precision or increment.
    #[error("too fine: {field}: {text:?} {detail}")]
    TooFine {
        /// The field.
        field: Field,
        /// The text found.
        text: String,
        /// What it had to fit.
        detail: String,
    },
    /// A value whose written decimals exceed the supported precision.
    #[error(
        "precision out of range: {field}: {text:?} has {decimals} decimals, more than the 16 \
         ferrox holds exactly"
    )]
    Precision {
        /// The field.
        field: Field,
        /// The text found.
        text: String,
        /// Its written decimals.
        decimals: u32,
    },
    /// A millisecond time that overflows nanoseconds.
    #[error("out of range: {field}: {ms} ms does not fit 64-bit nanoseconds")]
    TimeRange {
        /// The field.
        field: Field,
        /// The value.
        ms: u64,
    },
    /// The local receive time went backwards.
    #[error("ts_init backwards: {ts_init} is before {previous} on line {previous_line}")]
    TsBackwards {
        /// This line's receive time.
        ts_init: i64,
        /// The previous accepted line's receive time.
        previous: i64,
        /// Its line number.
        previous_line: u64,
    },
    /// A stream this reader does not know.
    #[error("unknown stream: {stream:?}; supported: {SUPPORTED_STREAMS}")]
    UnknownStream {
        /// The stream name.
        stream: String,
    },
    /// `data.e` disagrees with the stream name.
    #[error("wrong event: data.e {event:?} does not belong on stream {stream:?}")]
    EventMismatch {
        /// The event type.
        event: String,
        /// The stream name.
        stream: String,
    },
    /// `data.s` is not the symbol the stream name starts with.
    #[error("wrong symbol: data.s {symbol:?} does not belong on stream {stream:?}")]
    SymbolMismatch {
        /// The symbol.
        symbol: String,
        /// The stream name.
        stream: String,
    },
    /// The symbol cannot form an instrument id.
    #[error("bad symbol: data.s: {0}")]
    Symbol(String),
    /// A depth snapshot (which names no symbol) in a capture of several symbols.
    #[error(
        "snapshot without symbol: this capture holds several symbols ({symbols}); split it \
         per symbol or name the snapshot's symbol (the `symbol` option)"
    )]
    SnapshotSeveralSymbols {
        /// The symbols seen so far.
        symbols: String,
    },
    /// A depth snapshot in a capture where no stream message names a symbol.
    #[error(
        "snapshot without symbol: no stream message in this capture names a symbol; name the \
         snapshot's symbol (the `symbol` option)"
    )]
    SnapshotNoSymbol,
    /// A second symbol after a snapshot was attributed to the first.
    #[error(
        "several symbols: {symbol} appears after the depth snapshot on line {snapshot_line} was \
         attributed to {attributed}; split the capture per symbol or name the snapshot's symbol \
         (the `symbol` option)"
    )]
    SymbolAfterSnapshot {
        /// The new symbol.
        symbol: String,
        /// Where the snapshot was.
        snapshot_line: u64,
        /// Whom it was given to.
        attributed: String,
    },
    /// The gzip stream is truncated or corrupt.
    #[error(
        "truncated or corrupt gzip: {detail}; the data ends inside this line (the lines \
         before it were read)"
    )]
    Gzip {
        /// The decoder's error.
        detail: String,
    },
    /// Any other read error.
    #[error("read error: {0}")]
    Io(String),
}

impl BadRecord {
    /// Errors that invalidate rows already returned: raised whatever the
    /// error mode, since skipping the line cannot repair them.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            BadRecord::SymbolAfterSnapshot { .. } | BadRecord::Io(_)
        )
    }
}

/// A refused line with its 1-based number; what `next_chunk` returns in
/// fail mode (and for fatal errors in any mode).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {reason}")]
pub struct ReadError {
    /// 1-based line number.
    pub line: u64,
    /// What was wrong.
    pub reason: BadRecord,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_level_fields_like_the_json_path() {
        assert_eq!(
            Field::Data("b").level(3, Some(0)).to_string(),
            "data.b[3][0]"
        );
        assert_eq!(
            Field::Top("asks").level(0, Some(1)).to_string(),
            "asks[0][1]"
        );
        assert_eq!(Field::Data("a").level(2, None).to_string(), "data.a[2]");
    }

    #[test]
    fn leads_with_a_category_before_the_first_colon() {
        let err = BadRecord::Json {
            column: 12,
            expected: "':'",
            found: Some(b'x'),
        };
        assert_eq!(
            err.to_string(),
            "malformed JSON: at column 12: expected ':', found 'x'"
        );
    }
}

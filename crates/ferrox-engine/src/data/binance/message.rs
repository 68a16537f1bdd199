//! One capture line's JSON -> a borrowed [`Message`], with no side effects.
//!
//! Values stay as slices of the line (decimal strings are parsed exactly
//! later, once the instrument's precision is known); depth levels go into a
//! reused scratch vector of spans, so reading a message allocates nothing.
//! Keys may come in any order; unknown keys are skipped (and validated).

use super::decimal::Plain;
use super::error::{BadRecord, Field};
use super::json::{Scanner, Str, SyntaxError, Token};

/// A `[price, size]` pair as spans of the JSON text, with the values when
/// the scan could already read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LevelSpan {
    pub price: (u32, u32),
    pub size: (u32, u32),
    pub price_value: Plain,
    pub size_value: Plain,
}

/// A run of levels in the scratch vector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Levels {
    pub start: u32,
    pub end: u32,
}

impl Levels {
    pub(crate) fn len(self) -> usize {
        (self.end - self.start) as usize
    }
}

/// A decimal string value: its text (between the quotes, escapes not
/// decoded) and, when it is a plain decimal, its value read in the same pass.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dec<'a> {
    pub text: &'a [u8],
    pub value: Plain,
    pub escaped: bool,
}

/// Which stream a message came from (the suffix after `symbol@`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamKind {
    Trade,
    AggTrade,
    BookTicker,
    Depth,
}

/// Streams this reader understands, for the unknown-stream message.
pub(crate) const SUPPORTED_STREAMS: &str = "<symbol>@trade, <symbol>@aggTrade, \
     <symbol>@bookTicker, !bookTicker, <symbol>@depth, <symbol>@depth@100ms, @depth@0ms, \
     @depth@250ms, @depth@500ms";

impl StreamKind {
    fn from_stream(stream: &[u8]) -> Option<Self> {
        if stream == b"!bookTicker" {
            return Some(StreamKind::BookTicker);
        }
        let at = stream.iter().position(|&b| b == b'@')?;
        match &stream[at + 1..] {
            b"trade" => Some(StreamKind::Trade),
            b"aggTrade" => Some(StreamKind::AggTrade),
            b"bookTicker" => Some(StreamKind::BookTicker),
            b"depth" | b"depth@0ms" | b"depth@100ms" | b"depth@250ms" | b"depth@500ms" => {
                Some(StreamKind::Depth)
            }
            _ => None,
        }
    }

    /// The event type (`data.e`) this stream carries.
    fn event(self) -> &'static [u8] {
        match self {
            StreamKind::Trade => b"trade",
            StreamKind::AggTrade => b"aggTrade",
            StreamKind::BookTicker => b"bookTicker",
            StreamKind::Depth => b"depthUpdate",
        }
    }
}

/// A value whose meaning depends on the event type: Binance reuses `a` and
/// `b` for level arrays (depth), decimal strings (bookTicker) and ids (aggTrade).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum Slot<'a> {
    #[default]
    Absent,
    Levels(Levels),
    Text(Dec<'a>),
    Int(u64),
    Other(Token),
}

/// The fields of a `data` object, or of a depth snapshot, as found.
#[derive(Debug, Default)]
pub(crate) struct Fields<'a> {
    pub event_type: Option<Str<'a>>,
    pub event_ms: Option<u64>,
    pub trade_ms: Option<u64>,
    pub symbol: Option<Str<'a>>,
    pub first_update_id: Option<u64>,
    pub update_id: Option<u64>,
    pub prev_update_id: Option<u64>,
    pub trade_id: Option<u64>,
    pub price: Option<Dec<'a>>,
    pub qty: Option<Dec<'a>>,
    pub bid_qty: Option<Dec<'a>>,
    pub ask_qty: Option<Dec<'a>>,
    pub buyer_is_maker: Option<bool>,
    pub a: Slot<'a>,
    pub b: Slot<'a>,
    pub has_order_type: bool,
    pub has_ignore_flag: bool,
}

/// A parsed line (a stream message's fields go to the caller's [`Fields`]).
#[derive(Debug)]
pub(crate) enum Message {
    /// A combined-stream message.
    Stream { kind: StreamKind },
    /// A REST depth snapshot (`{"lastUpdateId":..,"bids":..,"asks":..}`).
    Snapshot {
        last_update_id: u64,
        event_ms: Option<u64>,
        trade_ms: Option<u64>,
        bids: Levels,
        asks: Levels,
    },
}

/// Maps a scanner error to a bad record at its 1-based column in the line.
fn syntax(column0: usize) -> impl Fn(SyntaxError) -> BadRecord {
    move |e| BadRecord::Json {
        column: column0 + e.pos + 1,
        expected: e.expected,
        found: e.found,
    }
}

/// Reads one line's JSON. Level spans go to `levels` (cleared first).
/// `column0` is the JSON's offset in the line, for error columns.
pub(crate) fn parse_message<'a>(
    json: &'a [u8],
    levels: &mut Vec<LevelSpan>,
    column0: usize,
    data: &mut Fields<'a>,
) -> Result<Message, BadRecord> {
    levels.clear();
    let syntax = syntax(column0);
    if json.len() > u32::MAX as usize {
        return Err(BadRecord::LineTooLong);
    }
    let mut sc = Scanner::new(json);
    sc.begin_object().map_err(&syntax)?;
    let mut stream: Option<Str<'a>> = None;
    let mut has_data = false;
    let mut last_update_id: Option<u64> = None;
    let mut snap_event_ms = None;
    let mut snap_trade_ms = None;
    let mut bids: Option<Levels> = None;
    let mut asks: Option<Levels> = None;
    let mut first = true;
    while let Some(key) = sc.next_key(&mut first).map_err(&syntax)? {
        match key.raw {
            b"stream" => stream = Some(string(&mut sc, Field::Top("stream"), column0)?),
            b"data" => {
                if sc.peek() != Token::Object {
                    return Err(wrong(&mut sc, Field::Top("data"), "an object"));
                }
                parse_data(&mut sc, levels, column0, data)?;
                has_data = true;
            }
            b"lastUpdateId" => {
                last_update_id = Some(uint(&mut sc, Field::Top("lastUpdateId"), column0)?)
            }
            b"E" => snap_event_ms = Some(uint(&mut sc, Field::Top("E"), column0)?),
            b"T" => snap_trade_ms = Some(uint(&mut sc, Field::Top("T"), column0)?),
            b"bids" => bids = Some(level_array(&mut sc, levels, Field::Top("bids"), column0)?),
            b"asks" => asks = Some(level_array(&mut sc, levels, Field::Top("asks"), column0)?),
            _ => sc.skip_value().map_err(&syntax)?,
        }
    }
    sc.finish().map_err(&syntax)?;

    if let Some(stream) = stream {
        if !has_data {
            return Err(BadRecord::Missing(Field::Top("data")));
        }
        let name = stream.raw;
        let kind = StreamKind::from_stream(name).ok_or_else(|| BadRecord::UnknownStream {
            stream: String::from_utf8_lossy(name).into_owned(),
        })?;
        if let Some(e) = data.event_type {
            if e.raw != kind.event() {
                return Err(BadRecord::EventMismatch {
                    event: String::from_utf8_lossy(e.raw).into_owned(),
                    stream: String::from_utf8_lossy(name).into_owned(),
                });
            }
        }
        // `btcusdt@trade` carries BTCUSDT; `!bookTicker` carries every symbol.
        if let (Some(at), Some(symbol)) = (name.iter().position(|&b| b == b'@'), data.symbol) {
            if !name[..at].eq_ignore_ascii_case(symbol.raw) {
                return Err(BadRecord::SymbolMismatch {
                    symbol: String::from_utf8_lossy(symbol.raw).into_owned(),
                    stream: String::from_utf8_lossy(name).into_owned(),
                });
            }
        }
        return Ok(Message::Stream { kind });
    }
    if has_data {
        return Err(BadRecord::Missing(Field::Top("stream")));
    }
    if last_update_id.is_none() && bids.is_none() && asks.is_none() {
        return Err(BadRecord::NotAMessage);
    }
    Ok(Message::Snapshot {
        last_update_id: last_update_id.ok_or(BadRecord::Missing(Field::Top("lastUpdateId")))?,
        event_ms: snap_event_ms,
        trade_ms: snap_trade_ms,
        bids: bids.ok_or(BadRecord::Missing(Field::Top("bids")))?,
        asks: asks.ok_or(BadRecord::Missing(Field::Top("asks")))?,
    })
}

fn parse_data<'a>(
    sc: &mut Scanner<'a>,
    levels: &mut Vec<LevelSpan>,
    column0: usize,
    f: &mut Fields<'a>,
) -> Result<(), BadRecord> {
    let syntax = syntax(column0);
    sc.begin_object().map_err(&syntax)?;
    *f = Fields::default();
    let mut first = true;
    while let Some(key) = sc.next_key(&mut first).map_err(&syntax)? {
        match key.raw {
            b"e" => f.event_type = Some(string(sc, Field::Data("e"), column0)?),
            b"E" => f.event_ms = Some(uint(sc, Field::Data("E"), column0)?),
            b"T" => f.trade_ms = Some(uint(sc, Field::Data("T"), column0)?),
            b"s" => f.symbol = Some(string(sc, Field::Data("s"), column0)?),
            b"U" => f.first_update_id = Some(uint(sc, Field::Data("U"), column0)?),
            b"u" => f.update_id = Some(uint(sc, Field::Data("u"), column0)?),
            b"pu" => f.prev_update_id = Some(uint(sc, Field::Data("pu"), column0)?),
            b"t" => f.trade_id = Some(uint(sc, Field::Data("t"), column0)?),
            b"p" => f.price = Some(decimal(sc, Field::Data("p"), column0)?),
            b"q" => f.qty = Some(decimal(sc, Field::Data("q"), column0)?),
            b"B" => f.bid_qty = Some(decimal(sc, Field::Data("B"), column0)?),
            b"A" => f.ask_qty = Some(decimal(sc, Field::Data("A"), column0)?),
            b"m" => {
                if sc.peek() != Token::Bool {
                    return Err(wrong(sc, Field::Data("m"), "true or false"));
                }
                f.buyer_is_maker = Some(sc.bool().map_err(&syntax)?);
            }
            b"X" => {
                f.has_order_type = true;
                sc.skip_value().map_err(&syntax)?;
            }
            b"M" => {
                f.has_ignore_flag = true;
                sc.skip_value().map_err(&syntax)?;
            }
            b"a" => f.a = slot(sc, levels, Field::Data("a"), column0)?,
            b"b" => f.b = slot(sc, levels, Field::Data("b"), column0)?,
            _ => sc.skip_value().map_err(&syntax)?,
        }
    }
    Ok(())
}

#[inline(always)]
fn slot<'a>(
    sc: &mut Scanner<'a>,
    levels: &mut Vec<LevelSpan>,
    field: Field,
    column0: usize,
) -> Result<Slot<'a>, BadRecord> {
    let syntax = syntax(column0);
    match sc.peek() {
        Token::Array => Ok(Slot::Levels(level_array(sc, levels, field, column0)?)),
        Token::String => Ok(Slot::Text(decimal(sc, field, column0)?)),
        Token::Number => match sc.u64().map_err(&syntax)? {
            Some(v) => Ok(Slot::Int(v)),
            None => Ok(Slot::Other(Token::Number)),
        },
        other => {
            sc.skip_value().map_err(&syntax)?;
            Ok(Slot::Other(other))
        }
    }
}

/// Reads `[["price","size"], ...]` into `levels`.
fn level_array(
    sc: &mut Scanner<'_>,
    levels: &mut Vec<LevelSpan>,
    field: Field,
    column0: usize,
) -> Result<Levels, BadRecord> {
    let syntax = syntax(column0);
    if sc.peek() != Token::Array {
        return Err(wrong(sc, field, "an array of [price, size] pairs"));
    }
    sc.begin_array().map_err(&syntax)?;
    let start = levels.len();
    let mut first = true;
    while sc.next_element(&mut first).map_err(&syntax)? {
        if let Some((price, size)) = sc.plain_pair() {
            // The caller checked the line fits u32 offsets.
            levels.push(LevelSpan {
                price: (price.start as u32, price.end as u32),
                size: (size.start as u32, size.end as u32),
                price_value: price.value,
                size_value: size.value,
            });
            continue;
        }
        let index = levels.len() - start;
        if sc.peek() != Token::Array {
            return Err(wrong(sc, field.level(index, None), "a [price, size] pair"));
        }
        sc.begin_array().map_err(&syntax)?;
        let price = level_text(sc, field.level(index, Some(0)), column0)?;
        sc.comma().map_err(&syntax)?;
        let size = level_text(sc, field.level(index, Some(1)), column0)?;
        sc.end_array("']' after [price, size]").map_err(&syntax)?;
        levels.push(LevelSpan {
            price,
            size,
            price_value: Plain::NONE,
            size_value: Plain::NONE,
        });
    }
    Ok(Levels {
        start: start as u32,
        end: levels.len() as u32,
    })
}

#[inline(always)]
fn level_text(sc: &mut Scanner<'_>, field: Field, column0: usize) -> Result<(u32, u32), BadRecord> {
    let s = string(sc, field, column0)?;
    if s.escaped {
        return Err(BadRecord::Escaped(field));
    }
    // The caller checked the line fits u32 offsets.
    Ok((s.start as u32, (s.start + s.raw.len()) as u32))
}

#[inline(always)]
fn string<'a>(sc: &mut Scanner<'a>, field: Field, column0: usize) -> Result<Str<'a>, BadRecord> {
    match sc.try_string().map_err(syntax(column0))? {
        Some(s) => Ok(s),
        None => Err(wrong(sc, field, "a string")),
    }
}

/// A string expected to hold a decimal, read in one pass when it is plain.
#[inline(always)]
fn decimal<'a>(sc: &mut Scanner<'a>, field: Field, column0: usize) -> Result<Dec<'a>, BadRecord> {
    let json = sc.bytes();
    if let Some(plain) = sc.plain_decimal() {
        return Ok(Dec {
            text: &json[plain.start..plain.end],
            value: plain.value,
            escaped: false,
        });
    }
    let s = string(sc, field, column0)?;
    Ok(Dec {
        text: s.raw,
        value: Plain::NONE,
        escaped: s.escaped,
    })
}

#[inline(always)]
fn uint(sc: &mut Scanner<'_>, field: Field, column0: usize) -> Result<u64, BadRecord> {
    if sc.peek() != Token::Number {
        return Err(wrong(sc, field, "a non-negative integer"));
    }
    match sc.u64() {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(BadRecord::WrongType {
            field,
            expected: "a non-negative integer below 2^64",
            found: "another number",
        }),
        Err(e) => Err(syntax(column0)(e)),
    }
}

fn wrong(sc: &mut Scanner<'_>, field: Field, expected: &'static str) -> BadRecord {
    BadRecord::WrongType {
        field,
        expected,
        found: sc.peek().describe(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Message, BadRecord> {
        let mut levels = Vec::new();
        let mut data = Fields::default();
        parse_message(json.as_bytes(), &mut levels, 0, &mut data)
    }

    #[test]
    fn reads_a_futures_depth_update() {
        let json = r#"{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":2,"T":1,"s":"BTCUSDT","U":5,"u":7,"pu":4,"b":[["1.0","2"]],"a":[]}}"#;
        let mut levels = Vec::new();
        let mut data = Fields::default();
        match parse_message(json.as_bytes(), &mut levels, 0, &mut data).unwrap() {
            Message::Stream { kind } => {
                assert_eq!(kind, StreamKind::Depth);
                assert_eq!(data.prev_update_id, Some(4));
                assert!(matches!(data.b, Slot::Levels(l) if l.len() == 1));
                assert!(matches!(data.a, Slot::Levels(l) if l.len() == 0));
                let span = levels[0].price;
                assert_eq!(&json.as_bytes()[span.0 as usize..span.1 as usize], b"1.0");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_a_snapshot_without_wrapper() {
        let json = r#"{"lastUpdateId":9,"bids":[["1","2"]],"asks":[["3","4"],["5","6"]]}"#;
        match parse(json).unwrap() {
            Message::Snapshot {
                last_update_id,
                bids,
                asks,
                event_ms,
                ..
            } => {
                assert_eq!(last_update_id, 9);
                assert_eq!((bids.len(), asks.len()), (1, 2));
                assert_eq!(event_ms, None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_unknown_streams() {
        let err = parse(r#"{"stream":"btcusdt@kline_1m","data":{}}"#).unwrap_err();
        assert!(err.to_string().contains("btcusdt@kline_1m"), "{err}");
        assert!(err.to_string().contains("@bookTicker"), "{err}");
    }

    #[test]
    fn refuses_a_symbol_that_is_not_the_streams() {
        let err =
            parse(r#"{"stream":"ethusdt@trade","data":{"e":"trade","s":"BTCUSDT"}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "wrong symbol: data.s \"BTCUSDT\" does not belong on stream \"ethusdt@trade\""
        );
        assert!(parse(r#"{"stream":"!bookTicker","data":{"s":"BTCUSDT"}}"#).is_ok());
    }

    #[test]
    fn names_the_level_field_of_a_number_where_a_string_belongs() {
        let err = parse(r#"{"stream":"x@depth","data":{"b":[["1","2"],[3,"4"]]}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "wrong type: data.b[1][0]: expected a string, found a number"
        );
    }

    #[test]
    fn reports_the_column_of_malformed_json() {
        let err = parse(r#"{"stream":"x@trade" "data":{}}"#).unwrap_err();
        assert!(matches!(err, BadRecord::Json { column: 21, .. }), "{err:?}");
    }
}

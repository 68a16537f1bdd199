//! The streaming reader: capture lines in, columnar chunks out.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;
use memchr::memchr;

use super::columns::{Chunk, Rejection};
use super::decimal::{parse_decimal, written_decimals};
use super::error::{BadRecord, Field, ReadError};
use super::instruments::{Increment, InstrumentEntry, InstrumentSpec, Market, Venue};
use super::message::{parse_message, Dec, Fields, LevelSpan, Levels, Message, Slot, StreamKind};
use crate::types::fixed::FixedError;
use crate::types::time::millis_to_nanos;
use crate::types::{
    format_fixed, AggressorSide, BookAction, BookDelta, BookSide, InstrumentId, QuoteTick,
    TradeTick, FLAG_LAST, FLAG_SNAPSHOT, MAX_PRECISION,
};

/// What to do with a line that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorMode {
    /// Stop at the first bad line with a [`ReadError`].
    #[default]
    Fail,
    /// Leave bad lines out and list them (line and reason) in the chunk.
    Skip,
    /// As `Skip`, and keep each bad line's raw text.
    Quarantine,
}

/// How to read a capture.
#[derive(Debug, Clone)]
pub struct ReaderOptions {
    /// Error policy.
    pub on_error: ErrorMode,
    /// Venue of every instrument, instead of judging it from the content.
    pub venue: Option<Venue>,
    /// The capture's symbol, for depth snapshot lines (which name none) in a
    /// capture of several symbols.
    pub symbol: Option<String>,
    /// Known instruments; others get precisions inferred from the data.
    pub instruments: Vec<InstrumentSpec>,
    /// Most lines per chunk; a chunk also ends after the message that
    /// brings it to about a million delta rows.
    pub chunk_messages: usize,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        Self {
            on_error: ErrorMode::Fail,
            venue: None,
            symbol: None,
            instruments: Vec::new(),
            chunk_messages: 65_536,
        }
    }
}

/// Reads a Binance capture (`LOCAL_RECV_NS JSON` lines) chunk by chunk.
///
/// See the [module documentation](super) for the rows each message yields.
pub struct BinanceReader<R> {
    input: R,
    /// A line that spans two buffer fills.
    partial: Vec<u8>,
    state: State,
    finished: bool,
}

/// Size of the buffers between file, inflater and line splitter.
const BUFFER: usize = 1 << 18;

/// A chunk also ends once it holds this many delta rows (after the message
/// that reaches it), which bounds its memory whatever the depth per message.
const DELTA_ROWS_PER_CHUNK: usize = 1 << 20;

impl BinanceReader<Box<dyn BufRead + Send>> {
    /// Opens a capture file, gzip-compressed (judged by its magic bytes,
    /// whatever its name) or plain.
    pub fn open(path: impl AsRef<Path>, options: ReaderOptions) -> io::Result<Self> {
        let mut file = BufReader::with_capacity(BUFFER, File::open(path)?);
        let gzip = file.fill_buf()?.starts_with(&[0x1f, 0x8b]);
        let input: Box<dyn BufRead + Send> = if gzip {
            Box::new(BufReader::with_capacity(BUFFER, MultiGzDecoder::new(file)))
        } else {
            Box::new(file)
        };
        Ok(Self::new(input, options))
    }
}

impl<R: BufRead> BinanceReader<R> {
    /// Reads from any buffered source of decompressed lines.
    pub fn new(input: R, options: ReaderOptions) -> Self {
        Self {
            input,
            partial: Vec::new(),
            state: State::new(options),
            finished: false,
        }
    }

    /// The instruments seen so far, indexed by the chunks' `instrument` columns.
    pub fn instruments(&self) -> &[InstrumentEntry] {
        &self.state.table
    }

    /// The next chunk of at most `chunk_messages` lines, `None` at the end.
    ///
    /// In fail mode the first bad line ends the read with its error; errors
    /// that invalidate rows already returned end it in every mode.
    pub fn next_chunk(&mut self) -> Result<Option<Chunk>, ReadError> {
        if self.finished {
            return Ok(None);
        }
        // Between calls the chunk is empty: give it its full capacity now.
        self.state.chunk = self.state.fresh_chunk();
        match self.fill_chunk() {
            Ok(()) => Ok(self.state.take_chunk()),
            Err(e) => {
                self.finished = true;
                Err(e)
            }
        }
    }

    fn fill_chunk(&mut self) -> Result<(), ReadError> {
        while !self.state.chunk_full() {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.finished = true;
                    let partial = std::mem::take(&mut self.partial);
                    return self.state.read_failed(&e, &partial);
                }
            };
            if buf.is_empty() {
                self.finished = true;
                if !self.partial.is_empty() {
                    let line = std::mem::take(&mut self.partial);
                    self.state.line(&line)?;
                }
                return self.state.release_held_at_end();
            }
            match memchr(b'\n', buf) {
                Some(end) => {
                    if self.partial.is_empty() {
                        self.state.line(&buf[..end])?;
                    } else {
                        self.partial.extend_from_slice(&buf[..end]);
                        let line = std::mem::take(&mut self.partial);
                        self.state.line(&line)?;
                        self.partial = line;
                        self.partial.clear();
                    }
                    self.input.consume(end + 1);
                }
                None => {
                    let n = buf.len();
                    self.partial.extend_from_slice(buf);
                    self.input.consume(n);
                }
            }
        }
        Ok(())
    }
}

impl<R: BufRead> Iterator for BinanceReader<R> {
    type Item = Result<Chunk, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_chunk().transpose()
    }
}

/// Resolved precisions and increments of one instrument for one message.
#[derive(Debug, Clone, Copy)]
struct Scales {
    price: u8,
    size: u8,
    price_increment: Increment,
    size_increment: Increment,
}

/// Everything but the input: the parse state, tables and the chunk in progress.
struct State {
    options: ReaderOptions,
    table: Vec<InstrumentEntry>,
    /// Index of the last instrument looked up (most lines repeat it).
    cached: usize,
    market: Option<Market>,
    /// The last accepted line's receive time and number.
    last_ts: Option<(i64, u64)>,
    /// Snapshot lines waiting for the capture's symbol: (line number, text).
    held: Vec<(u64, Vec<u8>)>,
    /// Set while held snapshots are processed: they must not be held again.
    releasing: bool,
    /// Line of a snapshot given to the only symbol seen, not a named one.
    attributed_snapshot: Option<u64>,
    levels: Vec<LevelSpan>,
    chunk: Chunk,
    line: u64,
    messages: usize,
}

impl State {
    fn new(options: ReaderOptions) -> Self {
        Self {
            options,
            table: Vec::new(),
            cached: usize::MAX,
            market: None,
            last_ts: None,
            held: Vec::new(),
            releasing: false,
            attributed_snapshot: None,
            levels: Vec::new(),
            chunk: Chunk::default(),
            line: 0,
            messages: 0,
        }
    }

    fn take_chunk(&mut self) -> Option<Chunk> {
        if self.messages == 0 && self.chunk.is_empty() {
            self.chunk = Chunk::default();
            return None;
        }
        let mut chunk = std::mem::take(&mut self.chunk);
        chunk.shrink_to_fit();
        chunk.last_line = self.line;
        self.messages = 0;
        Some(chunk)
    }

    fn fresh_chunk(&self) -> Chunk {
        Chunk::with_capacity(self.options.chunk_messages.max(1), DELTA_ROWS_PER_CHUNK)
    }

    /// Whether the chunk in progress is full.
    fn chunk_full(&self) -> bool {
        self.messages >= self.options.chunk_messages.max(1)
            || self.chunk.deltas.len() >= DELTA_ROWS_PER_CHUNK
    }

    /// One line, without its `\n`.
    fn line(&mut self, raw: &[u8]) -> Result<(), ReadError> {
        self.line += 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        self.messages += 1;
        if !self.held.is_empty() {
            self.try_release_held(line)?;
        }
        let number = self.line;
        match self.record(number, line) {
            Ok(()) => Ok(()),
            Err(bad) => self.reject(number, bad, line),
        }
    }

    fn reject(&mut self, line: u64, reason: BadRecord, text: &[u8]) -> Result<(), ReadError> {
        let mode = self.options.on_error;
        if mode == ErrorMode::Fail || reason.is_fatal() {
            return Err(ReadError { line, reason });
        }
        self.chunk.rejected.push(Rejection {
            line,
            reason: reason.to_string(),
            text: (mode == ErrorMode::Quarantine)
                .then(|| String::from_utf8_lossy(text).into_owned()),
        });
        Ok(())
    }

    fn read_failed(&mut self, err: &io::Error, partial: &[u8]) -> Result<(), ReadError> {
        let line = self.line + 1;
        let reason = match err.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::InvalidData
            | io::ErrorKind::InvalidInput => BadRecord::Gzip {
                detail: err.to_string(),
            },
            _ => BadRecord::Io(err.to_string()),
        };
        self.line = line;
        self.reject(line, reason, partial)?;
        self.release_held_at_end()
    }

    /// Reads one non-blank line into the chunk, or leaves the chunk as it
    /// was and says why not.
    fn record(&mut self, number: u64, line: &[u8]) -> Result<(), BadRecord> {
        let mark = self.chunk.mark();
        let instruments = self.table.len();
        let result = self.apply(number, line);
        if result.is_err() {
            self.chunk.rollback(mark);
            self.table.truncate(instruments);
            if self.cached >= instruments {
                self.cached = usize::MAX;
            }
        }
        result
    }

    fn apply(&mut self, number: u64, line: &[u8]) -> Result<(), BadRecord> {
        let (ts_init, json, column0) = split_ns(line)?;
        let mut levels = std::mem::take(&mut self.levels);
        let result = self.apply_json(number, line, ts_init, json, column0, &mut levels);
        self.levels = levels;
        result
    }

    fn apply_json(
        &mut self,
        number: u64,
        line: &[u8],
        ts_init: i64,
        json: &[u8],
        column0: usize,
        levels: &mut Vec<LevelSpan>,
    ) -> Result<(), BadRecord> {
        let mut data = Fields::default();
        let message = parse_message(json, levels, column0, &mut data)?;
        if let Some((previous, previous_line)) = self.last_ts {
            if ts_init < previous {
                return Err(BadRecord::TsBackwards {
                    ts_init,
                    previous,
                    previous_line,
                });
            }
        }
        match message {
            Message::Stream { kind } => {
                if self.market.is_none() {
                    self.market = Some(market_of(kind, &data));
                }
                let symbol = plain_text(data.symbol, Field::Data("s"))?;
                let idx = self.instrument(symbol)?;
                match kind {
                    StreamKind::Depth => self.depth(idx, ts_init, &data, json, levels)?,
                    StreamKind::Trade => self.trade(idx, ts_init, &data, false)?,
                    StreamKind::AggTrade => self.trade(idx, ts_init, &data, true)?,
                    StreamKind::BookTicker => self.quote(idx, ts_init, &data)?,
                }
            }
            Message::Snapshot {
                last_update_id,
                event_ms,
                trade_ms,
                bids,
                asks,
            } => {
                let has_times = event_ms.is_some() || trade_ms.is_some();
                let Some(idx) = self.snapshot_target(number, has_times)? else {
                    self.held.push((number, line.to_vec()));
                    return Ok(());
                };
                let ts_event = match (trade_ms, event_ms) {
                    (Some(t), _) => ms_to_ns(t, Field::Top("T"))?,
                    (None, Some(e)) => ms_to_ns(e, Field::Top("E"))?,
                    (None, None) => ts_init,
                };
                self.snapshot(
                    idx,
                    ts_event,
                    ts_init,
                    last_update_id,
                    bids,
                    asks,
                    json,
                    levels,
                )?;
            }
        }
        self.last_ts = Some((ts_init, number));
        Ok(())
    }

    /// The instrument of `symbol`, added to the table on first sight.
    #[inline]
    fn instrument(&mut self, symbol: &[u8]) -> Result<usize, BadRecord> {
        if let Some(entry) = self.table.get(self.cached) {
            if *entry.symbol == *symbol {
                return Ok(self.cached);
            }
        }
        if let Some(i) = self.table.iter().position(|e| *e.symbol == *symbol) {
            self.cached = i;
            return Ok(i);
        }
        let text = String::from_utf8_lossy(symbol);
        if let Some(snapshot_line) = self.attributed_snapshot {
            return Err(BadRecord::SymbolAfterSnapshot {
                symbol: text.into_owned(),
                snapshot_line,
                attributed: self
                    .table
                    .first()
                    .map(|e| e.id.to_string())
                    .unwrap_or_default(),
            });
        }
        let venue = self
            .options
            .venue
            .unwrap_or_else(|| self.market.unwrap_or(Market::Spot).venue_of(text.as_ref()));
        let id = InstrumentId::new(&text, venue.as_str())
            .map_err(|e| BadRecord::Symbol(e.to_string()))?;
        let spec = self.options.instruments.iter().find(|s| s.id == id);
        self.table.push(InstrumentEntry::new(id, spec));
        self.cached = self.table.len() - 1;
        Ok(self.cached)
    }

    /// Whom a snapshot line belongs to; `None` to hold it until the
    /// capture's symbol (or market) is known.
    fn snapshot_target(
        &mut self,
        number: u64,
        has_times: bool,
    ) -> Result<Option<usize>, BadRecord> {
        if let Some(symbol) = self.options.symbol.clone() {
            if self.options.venue.is_none() && self.market.is_none() {
                if !self.releasing {
                    return Ok(None);
                }
                // Only futures snapshots carry event times.
                self.market = Some(if has_times {
                    Market::Futures
                } else {
                    Market::Spot
                });
            }
            return self.instrument(symbol.as_bytes()).map(Some);
        }
        match self.table.len() {
            0 if self.releasing => Err(BadRecord::SnapshotNoSymbol),
            0 => Ok(None),
            1 => {
                self.attributed_snapshot.get_or_insert(number);
                Ok(Some(0))
            }
            _ => Err(BadRecord::SnapshotSeveralSymbols {
                symbols: self
                    .table
                    .iter()
                    .map(|e| e.id.symbol())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Called before a line while snapshots are held: if the line is a stream
    /// message naming a symbol, that symbol is the capture's and the held
    /// snapshots are read now, in their own line order, before it.
    fn try_release_held(&mut self, line: &[u8]) -> Result<(), ReadError> {
        let Ok((_, json, column0)) = split_ns(line) else {
            return Ok(());
        };
        let mut levels = std::mem::take(&mut self.levels);
        let mut data = Fields::default();
        let symbol = match parse_message(json, &mut levels, column0, &mut data) {
            Ok(Message::Stream { kind }) => {
                if self.market.is_none() {
                    self.market = Some(market_of(kind, &data));
                }
                data.symbol
                    .filter(|s| !s.escaped && std::str::from_utf8(s.raw).is_ok())
                    .map(|s| s.raw.to_vec())
            }
            _ => None,
        };
        self.levels = levels;
        let ready = match symbol {
            Some(symbol) => self.options.symbol.is_some() || self.instrument(&symbol).is_ok(),
            None => false,
        };
        if ready {
            self.release_held()?;
        }
        Ok(())
    }

    fn release_held(&mut self) -> Result<(), ReadError> {
        self.releasing = true;
        let held = std::mem::take(&mut self.held);
        let mut result = Ok(());
        for (number, text) in &held {
            if let Err(bad) = self.record(*number, text) {
                result = self.reject(*number, bad, text);
                if result.is_err() {
                    break;
                }
            }
        }
        self.releasing = false;
        result
    }

    fn release_held_at_end(&mut self) -> Result<(), ReadError> {
        if self.held.is_empty() {
            Ok(())
        } else {
            self.release_held()
        }
    }

    fn scales(
        &self,
        idx: usize,
        price: (&[u8], Field),
        size: (&[u8], Field),
    ) -> Result<Scales, BadRecord> {
        let entry = &self.table[idx];
        let infer = |(text, field): (&[u8], Field)| -> Result<u8, BadRecord> {
            // Text that is no decimal at all fails when parsed, with its own message.
            let decimals = written_decimals(text).unwrap_or(0);
            match u8::try_from(decimals) {
                Ok(d) if d <= MAX_PRECISION => Ok(d),
                _ => Err(BadRecord::Precision {
                    field,
                    text: String::from_utf8_lossy(text).into_owned(),
                    decimals,
                }),
            }
        };
        Ok(Scales {
            price: match entry.price_precision {
                Some(p) => p,
                None => infer(price)?,
            },
            size: match entry.size_precision {
                Some(p) => p,
                None => infer(size)?,
            },
            price_increment: entry.price_increment,
            size_increment: entry.size_increment,
        })
    }

    /// Fixes an inferred instrument's precisions once a message using them is accepted.
    fn commit(&mut self, idx: usize, scales: &Scales) {
        let entry = &mut self.table[idx];
        entry.price_precision.get_or_insert(scales.price);
        entry.size_precision.get_or_insert(scales.size);
    }

    #[inline]
    fn price(&self, idx: usize, s: &Scales, text: &[u8], field: Field) -> Result<i64, BadRecord> {
        let raw = parse_decimal(text, s.price)
            .map_err(|e| self.decimal_error(idx, "price", e, text, field))?;
        if !s.price_increment.divides(raw) {
            return Err(self.not_multiple(idx, "price", s.price_increment, s.price, text, field));
        }
        Ok(raw)
    }

    #[inline]
    fn size(&self, idx: usize, s: &Scales, text: &[u8], field: Field) -> Result<i64, BadRecord> {
        let raw = parse_decimal(text, s.size)
            .map_err(|e| self.decimal_error(idx, "size", e, text, field))?;
        if raw < 0 {
            return Err(BadRecord::BadDecimal {
                field,
                text: String::from_utf8_lossy(text).into_owned(),
                expected: "a non-negative size",
                detail: String::new(),
            });
        }
        if !s.size_increment.divides(raw) {
            return Err(self.not_multiple(idx, "size", s.size_increment, s.size, text, field));
        }
        Ok(raw)
    }

    #[cold]
    fn decimal_error(
        &self,
        idx: usize,
        what: &str,
        err: FixedError,
        text: &[u8],
        field: Field,
    ) -> BadRecord {
        let text = String::from_utf8_lossy(text).into_owned();
        let detail = match err {
            FixedError::TooPrecise {
                decimals,
                precision,
                ..
            } => {
                let entry = &self.table[idx];
                let source = if entry.defined {
                    "defined"
                } else {
                    "inferred from its first value"
                };
                return BadRecord::TooFine {
                    field,
                    text,
                    detail: format!(
                        "has {decimals} significant decimals; {} {what}s have {precision} \
                         ({source})",
                        entry.id
                    ),
                };
            }
            FixedError::InvalidChar { ch, pos, .. } => {
                format!(" (invalid character {ch:?} at position {pos})")
            }
            FixedError::Empty => " (empty)".to_owned(),
            FixedError::Overflow { precision, .. } => {
                format!(" (out of the 64-bit range at precision {precision})")
            }
            other => format!(" ({other})"),
        };
        BadRecord::BadDecimal {
            field,
            text,
            expected: "a decimal",
            detail,
        }
    }

    #[cold]
    fn not_multiple(
        &self,
        idx: usize,
        what: &str,
        increment: Increment,
        precision: u8,
        text: &[u8],
        field: Field,
    ) -> BadRecord {
        BadRecord::TooFine {
            field,
            text: String::from_utf8_lossy(text).into_owned(),
            detail: format!(
                "is not a multiple of the {what} increment {} of {}",
                format_fixed(increment.raw(), precision),
                self.table[idx].id
            ),
        }
    }

    fn depth(
        &mut self,
        idx: usize,
        ts_init: i64,
        data: &Fields<'_>,
        json: &[u8],
        levels: &[LevelSpan],
    ) -> Result<(), BadRecord> {
        let bids = level_slot(data.b, Field::Data("b"))?;
        let asks = level_slot(data.a, Field::Data("a"))?;
        let first_update_id = data
            .first_update_id
            .ok_or(BadRecord::Missing(Field::Data("U")))?;
        let update_id = data.update_id.ok_or(BadRecord::Missing(Field::Data("u")))?;
        let ts_event = match (data.trade_ms, data.event_ms) {
            (Some(t), _) => ms_to_ns(t, Field::Data("T"))?,
            (None, Some(e)) => ms_to_ns(e, Field::Data("E"))?,
            (None, None) => return Err(BadRecord::Missing(Field::Data("E"))),
        };
        let mut row = BookDelta {
            instrument: idx as u32,
            action: BookAction::Update,
            side: BookSide::NoSide,
            price: 0,
            size: 0,
            order_id: 0,
            sequence: update_id,
            first_update_id,
            prev_update_id: data.prev_update_id.unwrap_or(0),
            flags: 0,
            ts_event,
            ts_init,
        };
        if bids.len() + asks.len() == 0 {
            // An empty diff still moves the update-id chain a book sync follows.
            row.flags = FLAG_LAST;
            self.chunk.deltas.push(&row);
            return Ok(());
        }
        let scales = self.levels_scales(idx, bids, asks, json, levels, "b", "a", true)?;
        let n = bids.len() + asks.len();
        self.chunk.deltas.reserve(n);
        // Price, size and action vary per level; the other columns are the
        // message's and are filled in bulk once its levels have all parsed.
        let base = self.chunk.deltas.len();
        for (run, name) in [(bids, "b"), (asks, "a")] {
            let array = Field::Data(name);
            for (i, level) in levels[run.start as usize..run.end as usize]
                .iter()
                .enumerate()
            {
                let price = self.level_price(idx, &scales, json, level, array.level(i, Some(0)))?;
                let size = self.level_size(idx, &scales, json, level, array.level(i, Some(1)))?;
                let d = &mut self.chunk.deltas;
                d.price.push(price);
                d.size.push(size);
                d.action.push(if size == 0 {
                    BookAction::Delete as u8
                } else {
                    BookAction::Update as u8
                });
            }
        }
        let d = &mut self.chunk.deltas;
        let end = base + n;
        d.instrument.resize(end, row.instrument);
        d.ts_event.resize(end, ts_event);
        d.ts_init.resize(end, ts_init);
        d.side.resize(base + bids.len(), BookSide::Bid as u8);
        d.side.resize(end, BookSide::Ask as u8);
        d.sequence.resize(end, update_id);
        d.first_update_id.resize(end, first_update_id);
        d.prev_update_id.resize(end, row.prev_update_id);
        d.flags.resize(end, 0);
        d.flag_last(FLAG_LAST);
        self.commit(idx, &scales);
        Ok(())
    }

    /// A price from the value read during the scan when it is a plain
    /// decimal that fits, else parsed (and refused) in full.
    #[inline(always)]
    fn decimal_price(
        &self,
        idx: usize,
        s: &Scales,
        dec: Dec<'_>,
        field: Field,
    ) -> Result<i64, BadRecord> {
        match dec.value.at(s.price) {
            Some(raw) if s.price_increment.divides(raw) => Ok(raw),
            _ => self.price(idx, s, dec.text, field),
        }
    }

    /// A size; see [`Self::decimal_price`].
    #[inline(always)]
    fn decimal_size(
        &self,
        idx: usize,
        s: &Scales,
        dec: Dec<'_>,
        field: Field,
    ) -> Result<i64, BadRecord> {
        match dec.value.at(s.size) {
            Some(raw) if s.size_increment.divides(raw) => Ok(raw),
            _ => self.size(idx, s, dec.text, field),
        }
    }

    /// A level's price, from the value read during the scan when it is a
    /// plain decimal that fits, else parsed (and refused) in full.
    #[inline(always)]
    fn level_price(
        &self,
        idx: usize,
        s: &Scales,
        json: &[u8],
        level: &LevelSpan,
        field: Field,
    ) -> Result<i64, BadRecord> {
        match level.price_value.at(s.price) {
            Some(raw) if s.price_increment.divides(raw) => Ok(raw),
            _ => self.price(idx, s, span(json, level.price), field),
        }
    }

    /// A level's size; see [`Self::level_price`].
    #[inline(always)]
    fn level_size(
        &self,
        idx: usize,
        s: &Scales,
        json: &[u8],
        level: &LevelSpan,
        field: Field,
    ) -> Result<i64, BadRecord> {
        match level.size_value.at(s.size) {
            Some(raw) if s.size_increment.divides(raw) => Ok(raw),
            _ => self.size(idx, s, span(json, level.size), field),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn levels_scales(
        &self,
        idx: usize,
        bids: Levels,
        asks: Levels,
        json: &[u8],
        levels: &[LevelSpan],
        bid_name: &'static str,
        ask_name: &'static str,
        in_data: bool,
    ) -> Result<Scales, BadRecord> {
        let (run, name) = if bids.len() > 0 {
            (bids, bid_name)
        } else {
            (asks, ask_name)
        };
        let array = if in_data {
            Field::Data(name)
        } else {
            Field::Top(name)
        };
        let first = levels[run.start as usize];
        self.scales(
            idx,
            (span(json, first.price), array.level(0, Some(0))),
            (span(json, first.size), array.level(0, Some(1))),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn snapshot(
        &mut self,
        idx: usize,
        ts_event: i64,
        ts_init: i64,
        last_update_id: u64,
        bids: Levels,
        asks: Levels,
        json: &[u8],
        levels: &[LevelSpan],
    ) -> Result<(), BadRecord> {
        let mut row = BookDelta {
            instrument: idx as u32,
            action: BookAction::Clear,
            side: BookSide::NoSide,
            price: 0,
            size: 0,
            order_id: 0,
            sequence: last_update_id,
            first_update_id: 0,
            prev_update_id: 0,
            flags: FLAG_SNAPSHOT,
            ts_event,
            ts_init,
        };
        self.chunk.deltas.push(&row);
        if bids.len() + asks.len() == 0 {
            self.chunk.deltas.flag_last(FLAG_LAST);
            return Ok(());
        }
        let scales = self.levels_scales(idx, bids, asks, json, levels, "bids", "asks", false)?;
        self.chunk.deltas.reserve(bids.len() + asks.len());
        row.action = BookAction::Add;
        for (side, run, name) in [(BookSide::Bid, bids, "bids"), (BookSide::Ask, asks, "asks")] {
            let array = Field::Top(name);
            for (i, level) in levels[run.start as usize..run.end as usize]
                .iter()
                .enumerate()
            {
                row.side = side;
                row.price = self.level_price(idx, &scales, json, level, array.level(i, Some(0)))?;
                let field = array.level(i, Some(1));
                row.size = self.level_size(idx, &scales, json, level, field)?;
                if row.size == 0 {
                    let text = span(json, level.size);
                    return Err(BadRecord::BadDecimal {
                        field,
                        text: String::from_utf8_lossy(text).into_owned(),
                        expected: "a positive size (a snapshot lists resting levels only)",
                        detail: String::new(),
                    });
                }
                self.chunk.deltas.push(&row);
            }
        }
        self.chunk.deltas.flag_last(FLAG_LAST);
        self.commit(idx, &scales);
        Ok(())
    }

    fn trade(
        &mut self,
        idx: usize,
        ts_init: i64,
        data: &Fields<'_>,
        aggregate: bool,
    ) -> Result<(), BadRecord> {
        let price = decimal_field(data.price, Field::Data("p"))?;
        let qty = decimal_field(data.qty, Field::Data("q"))?;
        let trade_id = if aggregate {
            match data.a {
                Slot::Int(id) => id,
                slot => return Err(slot_error(slot, Field::Data("a"), "a non-negative integer")),
            }
        } else {
            data.trade_id.ok_or(BadRecord::Missing(Field::Data("t")))?
        };
        let ms = data.trade_ms.ok_or(BadRecord::Missing(Field::Data("T")))?;
        let ts_event = ms_to_ns(ms, Field::Data("T"))?;
        let buyer_is_maker = data
            .buyer_is_maker
            .ok_or(BadRecord::Missing(Field::Data("m")))?;
        let scales = self.scales(
            idx,
            (price.text, Field::Data("p")),
            (qty.text, Field::Data("q")),
        )?;
        let tick = TradeTick {
            instrument: idx as u32,
            price: self.decimal_price(idx, &scales, price, Field::Data("p"))?,
            size: self.decimal_size(idx, &scales, qty, Field::Data("q"))?,
            // The buyer being the maker means the seller crossed the spread.
            aggressor_side: if buyer_is_maker {
                AggressorSide::Seller
            } else {
                AggressorSide::Buyer
            },
            trade_id,
            ts_event,
            ts_init,
        };
        if aggregate {
            self.chunk.agg_trades.push(&tick);
        } else {
            self.chunk.trades.push(&tick);
        }
        self.commit(idx, &scales);
        Ok(())
    }

    fn quote(&mut self, idx: usize, ts_init: i64, data: &Fields<'_>) -> Result<(), BadRecord> {
        let bid = slot_decimal(data.b, Field::Data("b"))?;
        let ask = slot_decimal(data.a, Field::Data("a"))?;
        let bid_qty = decimal_field(data.bid_qty, Field::Data("B"))?;
        let ask_qty = decimal_field(data.ask_qty, Field::Data("A"))?;
        let update_id = data.update_id.ok_or(BadRecord::Missing(Field::Data("u")))?;
        // Spot bookTicker messages carry no venue time at all.
        let ts_event = match (data.trade_ms, data.event_ms) {
            (Some(t), _) => ms_to_ns(t, Field::Data("T"))?,
            (None, Some(e)) => ms_to_ns(e, Field::Data("E"))?,
            (None, None) => ts_init,
        };
        let scales = self.scales(
            idx,
            (bid.text, Field::Data("b")),
            (bid_qty.text, Field::Data("B")),
        )?;
        let quote = QuoteTick {
            instrument: idx as u32,
            bid_price: self.decimal_price(idx, &scales, bid, Field::Data("b"))?,
            ask_price: self.decimal_price(idx, &scales, ask, Field::Data("a"))?,
            bid_size: self.decimal_size(idx, &scales, bid_qty, Field::Data("B"))?,
            ask_size: self.decimal_size(idx, &scales, ask_qty, Field::Data("A"))?,
            update_id,
            ts_event,
            ts_init,
        };
        self.chunk.quotes.push(&quote);
        self.commit(idx, &scales);
        Ok(())
    }
}

/// Splits `NS JSON` into the receive time, the JSON and the JSON's offset.
fn split_ns(line: &[u8]) -> Result<(i64, &[u8], usize), BadRecord> {
    let Some(space) = memchr(b' ', line) else {
        return Err(BadRecord::NotNsJson(
            "expected the receive time in nanoseconds, a space, then the JSON message; found \
             no space"
                .to_owned(),
        ));
    };
    let digits = &line[..space];
    let ts = if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
        digits.iter().try_fold(0i64, |acc, &d| {
            acc.checked_mul(10)?.checked_add(i64::from(d - b'0'))
        })
    } else {
        None
    };
    let Some(ts) = ts else {
        let shown = String::from_utf8_lossy(&digits[..digits.len().min(40)]);
        return Err(BadRecord::NotNsJson(format!(
            "expected the receive time as integer nanoseconds (below 2^63) before the first \
             space, found {shown:?}"
        )));
    };
    Ok((ts, &line[space + 1..], space + 1))
}

/// Futures messages carry fields spot ones lack (checked on the first
/// stream message of a file).
fn market_of(kind: StreamKind, data: &Fields<'_>) -> Market {
    let futures = match kind {
        StreamKind::Depth => data.prev_update_id.is_some(),
        StreamKind::Trade => data.has_order_type,
        StreamKind::BookTicker => data.event_type.is_some(),
        StreamKind::AggTrade => !data.has_ignore_flag,
    };
    if futures {
        Market::Futures
    } else {
        Market::Spot
    }
}

#[inline]
fn span(json: &[u8], (start, end): (u32, u32)) -> &[u8] {
    &json[start as usize..end as usize]
}

fn ms_to_ns(ms: u64, field: Field) -> Result<i64, BadRecord> {
    i64::try_from(ms)
        .ok()
        .and_then(millis_to_nanos)
        .ok_or(BadRecord::TimeRange { field, ms })
}

/// A required string field, refused if absent or escaped.
#[inline]
fn plain_text<'a>(
    value: Option<super::json::Str<'a>>,
    field: Field,
) -> Result<&'a [u8], BadRecord> {
    match value {
        Some(s) if !s.escaped => Ok(s.raw),
        Some(_) => Err(BadRecord::Escaped(field)),
        None => Err(BadRecord::Missing(field)),
    }
}

/// A required decimal string field, refused if absent or escaped.
#[inline]
fn decimal_field(value: Option<Dec<'_>>, field: Field) -> Result<Dec<'_>, BadRecord> {
    match value {
        Some(d) if !d.escaped => Ok(d),
        Some(_) => Err(BadRecord::Escaped(field)),
        None => Err(BadRecord::Missing(field)),
    }
}

#[inline]
fn slot_decimal(slot: Slot<'_>, field: Field) -> Result<Dec<'_>, BadRecord> {
    match slot {
        Slot::Text(d) => decimal_field(Some(d), field),
        other => Err(slot_error(other, field, "a decimal string")),
    }
}

#[inline]
fn level_slot(slot: Slot<'_>, field: Field) -> Result<Levels, BadRecord> {
    match slot {
        Slot::Levels(levels) => Ok(levels),
        other => Err(slot_error(other, field, "an array of [price, size] pairs")),
    }
}

#[cold]
fn slot_error(slot: Slot<'_>, field: Field, expected: &'static str) -> BadRecord {
    use super::json::Token;
    let found = match slot {
        Slot::Absent => return BadRecord::Missing(field),
        Slot::Levels(_) => Token::Array,
        Slot::Text(_) => Token::String,
        Slot::Int(_) => Token::Number,
        Slot::Other(token) => token,
    };
    BadRecord::WrongType {
        field,
        expected,
        found: found.describe(),
    }
}

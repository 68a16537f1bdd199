//! Reader tests on small synthetic captures, written the way Binance writes them.

use std::io::{BufReader, Cursor, Write};

use proptest::prelude::*;

use super::*;
use crate::types::{format_fixed, InstrumentId, Price, Quantity, FLAG_LAST, FLAG_SNAPSHOT};

const USDM_DEPTH: &str = r#"1000 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":10,"u":12,"pu":9,"b":[["61800.10","0.014"],["61700.00","0.000"]],"a":[["61800.20","1.500"]]}}"#;
const USDM_TRADE: &str = r#"1001 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256321,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}}"#;
const USDM_QUOTE: &str = r#"1002 {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":13,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256314}}"#;
const USDM_SNAPSHOT: &str = r#"1003 {"lastUpdateId":11,"E":1723161256400,"T":1723161256399,"bids":[["61800.10","0.014"],["61790.00","2.000"]],"asks":[["61800.20","1.500"]]}"#;
const USDM_AGG: &str = r#"1004 {"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1723161256500,"a":77,"s":"BTCUSDT","p":"61800.20","q":"0.100","f":1,"l":2,"T":1723161256499,"m":true}}"#;

const SPOT_QUOTE: &str = r#"2000 {"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}"#;
const SPOT_SNAPSHOT: &str = r#"1999 {"lastUpdateId":50093239218,"bids":[["61837.63000000","3.78826000"]],"asks":[["61837.64000000","1.60520000"]]}"#;
const SPOT_DEPTH: &str = r#"2001 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[["61737.63000000","0.00000000"]],"a":[]}}"#;

fn options() -> ReaderOptions {
    ReaderOptions::default()
}

fn skip() -> ReaderOptions {
    ReaderOptions {
        on_error: ErrorMode::Skip,
        ..ReaderOptions::default()
    }
}

fn spec(id: &str, tick: &str, lot: &str) -> InstrumentSpec {
    let decimals = |s: &str| s.split_once('.').map_or(0, |(_, f)| f.len()) as u8;
    InstrumentSpec {
        id: id.parse::<InstrumentId>().unwrap(),
        price_increment: Price::parse(tick, decimals(tick)).unwrap(),
        size_increment: Quantity::parse(lot, decimals(lot)).unwrap(),
    }
}

/// All chunks of `text` appended into one, with the instrument table.
fn read(text: &str, options: ReaderOptions) -> Result<(Chunk, Vec<InstrumentEntry>), ReadError> {
    read_from(Cursor::new(text.as_bytes().to_vec()), options)
}

fn read_from<R: std::io::BufRead>(
    input: R,
    options: ReaderOptions,
) -> Result<(Chunk, Vec<InstrumentEntry>), ReadError> {
    let mut reader = BinanceReader::new(input, options);
    let mut all = Chunk::default();
    while let Some(chunk) = reader.next_chunk()? {
        append(&mut all, chunk);
    }
    Ok((all, reader.instruments().to_vec()))
}

fn append(all: &mut Chunk, chunk: Chunk) {
    macro_rules! extend {
        ($kind:ident: $($col:ident),*) => { $(all.$kind.$col.extend(chunk.$kind.$col);)* };
    }
    extend!(trades: instrument, ts_event, ts_init, price, size, aggressor_side, trade_id);
    extend!(agg_trades: instrument, ts_event, ts_init, price, size, aggressor_side, trade_id);
    extend!(quotes: instrument, ts_event, ts_init, bid_price, ask_price, bid_size, ask_size, update_id);
    extend!(deltas: instrument, ts_event, ts_init, action, side, price, size, sequence,
        first_update_id, prev_update_id, flags);
    all.rejected.extend(chunk.rejected);
    all.last_line = chunk.last_line;
}

fn lines(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn fail_message(text: &str, options: ReaderOptions) -> String {
    read(text, options).unwrap_err().to_string()
}

#[test]
fn reads_a_futures_depth_diff_into_one_row_per_level() {
    let (chunk, table) = read(&lines(&[USDM_DEPTH]), options()).unwrap();
    let d = &chunk.deltas;
    assert_eq!(d.len(), 3);
    assert_eq!(d.side, vec![1, 1, 2]);
    assert_eq!(d.action, vec![2, 3, 2], "zero size deletes the level");
    assert_eq!(d.price, vec![6_180_010, 6_170_000, 6_180_020]);
    assert_eq!(d.size, vec![14, 0, 1_500]);
    assert_eq!(d.flags, vec![0, 0, FLAG_LAST]);
    assert_eq!(d.sequence, vec![12; 3]);
    assert_eq!(d.first_update_id, vec![10; 3]);
    assert_eq!(d.prev_update_id, vec![9; 3]);
    assert_eq!(d.ts_event, vec![1_723_161_256_298_000_000; 3], "T, not E");
    assert_eq!(d.ts_init, vec![1000; 3]);
    assert_eq!(table[0].id.to_string(), "BTCUSDT.BINANCE-USDM");
    assert_eq!(
        (table[0].price_precision, table[0].size_precision),
        (Some(2), Some(3))
    );
    assert!(!table[0].defined);
}

#[test]
fn reads_trades_with_the_aggressor_from_the_maker_flag() {
    let (chunk, _) = read(&lines(&[USDM_TRADE, USDM_AGG]), options()).unwrap();
    let t = &chunk.trades;
    assert_eq!(
        (t.price[0], t.size[0], t.trade_id[0], t.aggressor_side[0]),
        (6_180_030, 6, 5_266_583_935, 1)
    );
    assert_eq!(t.ts_event[0], 1_723_161_256_321_000_000);
    let a = &chunk.agg_trades;
    assert_eq!(
        (a.trade_id[0], a.aggressor_side[0], a.size[0]),
        (77, 2, 100)
    );
}

#[test]
fn reads_quotes_with_venue_time_or_receive_time_on_spot() {
    let (futures, _) = read(&lines(&[USDM_QUOTE]), options()).unwrap();
    assert_eq!(futures.quotes.ts_event, vec![1_723_161_256_313_000_000]);
    assert_eq!(futures.quotes.update_id, vec![13]);
    let (spot, table) = read(&lines(&[SPOT_QUOTE]), options()).unwrap();
    assert_eq!(spot.quotes.ts_event, vec![2000]);
    assert_eq!(spot.quotes.bid_price, vec![6_183_763_000_000]);
    assert_eq!(table[0].id.to_string(), "BTCUSDT.BINANCE");
    assert_eq!(
        table[0].price_precision,
        Some(8),
        "Binance writes 8 decimals on spot"
    );
}

#[test]
fn turns_a_snapshot_into_clear_then_adds() {
    let (chunk, _) = read(&lines(&[USDM_DEPTH, USDM_SNAPSHOT]), options()).unwrap();
    let d = &chunk.deltas;
    assert_eq!(&d.action[3..], &[4, 1, 1, 1]);
    assert_eq!(&d.side[3..], &[0, 1, 1, 2]);
    assert_eq!(
        &d.flags[3..],
        &[
            FLAG_SNAPSHOT,
            FLAG_SNAPSHOT,
            FLAG_SNAPSHOT,
            FLAG_SNAPSHOT | FLAG_LAST
        ]
    );
    assert_eq!(&d.sequence[3..], &[11; 4]);
    assert_eq!(&d.price[3..], &[0, 6_180_010, 6_179_000, 6_180_020]);
    assert_eq!(&d.ts_event[3..], &[1_723_161_256_399_000_000; 4]);
    assert_eq!(&d.instrument[3..], &[0; 4]);
}

#[test]
fn holds_a_snapshot_that_comes_before_any_symbol() {
    let (chunk, table) = read(&lines(&[SPOT_SNAPSHOT, SPOT_QUOTE, SPOT_DEPTH]), options()).unwrap();
    let d = &chunk.deltas;
    assert_eq!(
        d.action,
        vec![4, 1, 1, 3],
        "snapshot rows come first, in file order"
    );
    assert_eq!(d.ts_init, vec![1999, 1999, 1999, 2001]);
    assert_eq!(d.ts_event[0], 1999, "spot snapshots carry no venue time");
    assert_eq!(d.prev_update_id, vec![0; 4], "spot diffs have no pu");
    assert_eq!(table.len(), 1);
    assert_eq!(table[0].id.to_string(), "BTCUSDT.BINANCE");
}

#[test]
fn refuses_a_snapshot_no_message_gives_a_symbol_to() {
    let msg = fail_message(&lines(&[SPOT_SNAPSHOT]), options());
    assert!(msg.starts_with("line 1: snapshot without symbol"), "{msg}");
    let named = ReaderOptions {
        symbol: Some("BTCUSDT".into()),
        ..options()
    };
    let (chunk, table) = read(&lines(&[SPOT_SNAPSHOT]), named).unwrap();
    assert_eq!(chunk.deltas.len(), 3);
    assert_eq!(table[0].id.to_string(), "BTCUSDT.BINANCE");
}

#[test]
fn refuses_a_snapshot_in_a_capture_of_several_symbols() {
    let eth = USDM_TRADE
        .replace("BTCUSDT", "ETHUSDT")
        .replace("btcusdt", "ethusdt");
    let msg = fail_message(&lines(&[USDM_TRADE, &eth, USDM_SNAPSHOT]), options());
    assert!(msg.contains("line 3: snapshot without symbol"), "{msg}");
    assert!(msg.contains("BTCUSDT, ETHUSDT"), "{msg}");
}

#[test]
fn ends_the_read_when_a_second_symbol_follows_an_attributed_snapshot() {
    let eth = USDM_AGG
        .replace("BTCUSDT", "ETHUSDT")
        .replace("btcusdt", "ethusdt");
    let err = read(&lines(&[USDM_TRADE, USDM_SNAPSHOT, &eth]), skip()).unwrap_err();
    assert_eq!(err.line, 3);
    assert!(err.to_string().contains("split the capture"), "{err}");
}

#[test]
fn gives_an_empty_diff_a_marker_row_carrying_its_update_ids() {
    let empty = r#"5 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":20,"u":21,"pu":19,"b":[],"a":[]}}"#;
    let (chunk, table) = read(&lines(&[empty]), options()).unwrap();
    let d = &chunk.deltas;
    assert_eq!(
        (d.side[0], d.action[0], d.price[0], d.size[0]),
        (0, 2, 0, 0)
    );
    assert_eq!(
        (d.sequence[0], d.first_update_id[0], d.prev_update_id[0]),
        (21, 20, 19)
    );
    assert_eq!(d.flags[0], FLAG_LAST);
    assert_eq!(table[0].price_precision, None, "no price seen yet");
}

#[test]
fn judges_the_venue_from_content_unless_told() {
    let (_, spot) = read(&lines(&[SPOT_DEPTH]), options()).unwrap();
    assert_eq!(spot[0].id.venue(), "BINANCE");
    let (_, usdm) = read(&lines(&[USDM_TRADE]), options()).unwrap();
    assert_eq!(usdm[0].id.venue(), "BINANCE-USDM");
    let coinm = USDM_TRADE
        .replace("BTCUSDT", "BTCUSD_PERP")
        .replace("btcusdt", "btcusd_perp");
    let (_, coinm) = read(&lines(&[&coinm]), options()).unwrap();
    assert_eq!(coinm[0].id.to_string(), "BTCUSD_PERP.BINANCE-COINM");
    let told = ReaderOptions {
        venue: Some(Venue::UsdM),
        ..options()
    };
    let (_, forced) = read(&lines(&[SPOT_DEPTH]), told).unwrap();
    assert_eq!(forced[0].id.venue(), "BINANCE-USDM");
}

#[test]
fn holds_defined_instruments_to_their_increments() {
    let defined = ReaderOptions {
        instruments: vec![spec("BTCUSDT.BINANCE-USDM", "0.10", "0.001")],
        ..options()
    };
    let (chunk, table) = read(&lines(&[USDM_DEPTH, USDM_SNAPSHOT]), defined.clone()).unwrap();
    assert!(table[0].defined);
    assert_eq!(chunk.deltas.price[0], 6_180_010);
    let off_tick = USDM_TRADE.replace("61800.30", "61800.305");
    let msg = fail_message(&lines(&[&off_tick]), defined.clone());
    assert!(
        msg.starts_with("line 1: too fine: data.p: \"61800.305\""),
        "{msg}"
    );
    assert!(msg.contains("BTCUSDT.BINANCE-USDM prices have 2"), "{msg}");
    let between_ticks = USDM_TRADE.replace("61800.30", "61800.31");
    let msg = fail_message(&lines(&[&between_ticks]), defined);
    assert!(
        msg.contains("not a multiple of the price increment 0.10"),
        "{msg}"
    );
}

#[test]
fn holds_inferred_instruments_to_the_first_precision_seen() {
    let finer = USDM_AGG
        .replace("61800.20", "61800.205")
        .replace("1004", "1005");
    let msg = fail_message(&lines(&[USDM_TRADE, &finer]), options());
    assert!(msg.starts_with("line 2: too fine: data.p"), "{msg}");
    assert!(msg.contains("inferred"), "{msg}");
}

#[test]
fn names_the_level_of_a_non_numeric_price() {
    let bad = USDM_DEPTH.replace("61800.20", "61x00.20");
    let msg = fail_message(&lines(&[&bad]), options());
    assert_eq!(
        msg,
        "line 1: bad decimal: data.a[0][0]: expected a decimal, found \"61x00.20\" (invalid \
         character 'x' at position 2)"
    );
}

#[test]
fn names_both_times_when_receive_time_goes_backwards() {
    let back = USDM_TRADE.replacen("1001", "999", 1);
    let msg = fail_message(&lines(&[USDM_DEPTH, &back]), options());
    assert_eq!(
        msg,
        "line 2: ts_init backwards: 999 is before 1000 on line 1"
    );
}

#[test]
fn names_an_unknown_stream_and_lists_the_supported_ones() {
    let kline = r#"5 {"stream":"btcusdt@kline_1m","data":{"e":"kline"}}"#;
    let msg = fail_message(&lines(&[kline]), options());
    assert!(
        msg.starts_with("line 1: unknown stream: \"btcusdt@kline_1m\"; supported:"),
        "{msg}"
    );
    assert!(msg.contains("<symbol>@aggTrade"), "{msg}");
}

#[test]
fn reports_malformed_json_and_lines_without_a_receive_time() {
    let cut = &USDM_TRADE[..60];
    let msg = fail_message(&lines(&[cut]), options());
    assert!(
        msg.starts_with("line 1: malformed JSON: at column 61"),
        "{msg}"
    );
    let msg = fail_message(&lines(&[&USDM_TRADE[5..]]), options());
    assert!(msg.starts_with("line 1: not `NS JSON`"), "{msg}");
    let huge = USDM_TRADE.replacen("1001", "9999999999999999999", 1);
    let msg = fail_message(&lines(&[&huge]), options());
    assert!(msg.contains("below 2^63"), "{msg}");
    let missing = USDM_TRADE.replace(r#""q":"0.006","#, "");
    let msg = fail_message(&lines(&[&missing]), options());
    assert_eq!(msg, "line 1: missing field: data.q");
}

#[test]
fn skips_bad_lines_without_leaving_partial_rows() {
    let bad_last_level = USDM_DEPTH
        .replace("1.500", "1.5x0")
        .replace("1000 ", "1001 ");
    let text = lines(&[USDM_DEPTH, &bad_last_level, "garbage", USDM_QUOTE]);
    let (chunk, _) = read(&text, skip()).unwrap();
    assert_eq!(
        chunk.deltas.len(),
        3,
        "the bad diff's two good levels are not kept"
    );
    assert_eq!(chunk.quotes.len(), 1);
    let lines: Vec<u64> = chunk.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 3]);
    assert!(chunk.rejected[0]
        .reason
        .starts_with("bad decimal: data.a[0][1]"));
    assert!(chunk.rejected.iter().all(|r| r.text.is_none()));
}

#[test]
fn quarantines_the_raw_text_of_bad_lines() {
    let quarantine = ReaderOptions {
        on_error: ErrorMode::Quarantine,
        ..options()
    };
    let (chunk, _) = read(&lines(&[USDM_DEPTH, "not json"]), quarantine).unwrap();
    assert_eq!(chunk.rejected[0].text.as_deref(), Some("not json"));
}

#[test]
fn reports_the_line_a_truncated_gzip_stream_ends_in() {
    let text = lines(&[USDM_DEPTH, USDM_TRADE, USDM_QUOTE]).repeat(50);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let cut = &bytes[..bytes.len() / 2];
    let input = BufReader::new(flate2::bufread::MultiGzDecoder::new(cut));
    let err = read_from(input, options()).unwrap_err();
    assert!(err.line > 1 && err.line < 150, "{err}");
    assert!(
        err.to_string().contains("truncated or corrupt gzip"),
        "{err}"
    );
    let input = BufReader::new(flate2::bufread::MultiGzDecoder::new(cut));
    let (chunk, _) = read_from(input, skip()).unwrap();
    assert_eq!(chunk.rejected.len(), 1);
    assert_eq!(chunk.rejected[0].line, err.line);
}

#[test]
fn splits_into_chunks_of_at_most_n_lines() {
    let text = lines(&[USDM_DEPTH, USDM_TRADE, USDM_QUOTE, USDM_SNAPSHOT, USDM_AGG]);
    let options = ReaderOptions {
        chunk_messages: 2,
        ..options()
    };
    let mut reader = BinanceReader::new(Cursor::new(text.into_bytes()), options);
    let mut last_lines = Vec::new();
    while let Some(chunk) = reader.next_chunk().unwrap() {
        last_lines.push(chunk.last_line);
    }
    assert_eq!(last_lines, vec![2, 4, 5]);
}

#[test]
fn reads_lines_that_span_buffer_refills_and_crlf_endings() {
    let text = lines(&[USDM_DEPTH, USDM_TRADE, USDM_QUOTE, USDM_SNAPSHOT, USDM_AGG]);
    let (expected, _) = read(&text, options()).unwrap();
    let crlf = text.replace('\n', "\r\n");
    let tiny = BufReader::with_capacity(7, Cursor::new(crlf.trim_end().as_bytes().to_vec()));
    let (got, _) = read_from(tiny, options()).unwrap();
    assert_eq!(got, expected);
}

#[test]
fn opens_plain_and_gzip_files_alike() {
    let text = lines(&[USDM_DEPTH, USDM_TRADE]);
    let dir = std::env::temp_dir().join(format!("ferrox-binance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plain = dir.join("capture.txt");
    std::fs::write(&plain, &text).unwrap();
    let gz_path = dir.join("capture.bin");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
    let mut counts = Vec::new();
    for path in [&plain, &gz_path] {
        let mut reader = BinanceReader::open(path, options()).unwrap();
        let chunk = reader.next_chunk().unwrap().unwrap();
        counts.push((chunk.deltas.len(), chunk.trades.len()));
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(counts, vec![(3, 1), (3, 1)]);
}

// --- properties ----------------------------------------------------------------

fn all_modes() -> impl Strategy<Value = ErrorMode> {
    prop_oneof![
        Just(ErrorMode::Fail),
        Just(ErrorMode::Skip),
        Just(ErrorMode::Quarantine)
    ]
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), mode in all_modes()) {
        let options = ReaderOptions { on_error: mode, chunk_messages: 3, ..options() };
        let _ = read_from(Cursor::new(bytes), options);
    }

    #[test]
    fn corrupted_real_lines_never_panic(
        picks in prop::collection::vec(0usize..8, 1..8),
        cuts in prop::collection::vec((0usize..400, any::<u8>()), 0..6),
        mode in all_modes(),
    ) {
        let pool = [USDM_DEPTH, USDM_TRADE, USDM_QUOTE, USDM_SNAPSHOT, USDM_AGG, SPOT_QUOTE, SPOT_SNAPSHOT, SPOT_DEPTH];
        let mut bytes = lines(&picks.iter().map(|&i| pool[i]).collect::<Vec<_>>()).into_bytes();
        for (at, byte) in cuts {
            if !bytes.is_empty() {
                let at = at % bytes.len();
                bytes[at] = byte;
            }
        }
        let options = ReaderOptions { on_error: mode, ..options() };
        if let Ok((chunk, table)) = read_from(Cursor::new(bytes), options) {
            // Every row points into the table.
            let n = table.len() as u32;
            prop_assert!(chunk.deltas.instrument.iter().chain(&chunk.trades.instrument).chain(&chunk.quotes.instrument).all(|&i| i < n));
        }
    }

    #[test]
    fn extreme_numbers_never_panic(
        ts in "[0-9]{1,25}",
        ms in "-?[0-9]{1,25}",
        id in "-?[0-9]{1,25}(\\.[0-9]{0,3})?",
        price in "[0-9]{0,22}(\\.[0-9]{0,22})?",
        size in "-?[0-9]{0,22}(\\.[0-9]{0,22})?(e-?[0-9]{1,3})?",
        mode in all_modes(),
    ) {
        let lines = [
            format!("{ts} {{\"stream\":\"x@trade\",\"data\":{{\"e\":\"trade\",\"T\":{ms},\"s\":\"X\",\"t\":{id},\"p\":\"{price}\",\"q\":\"{size}\",\"m\":true}}}}"),
            format!("{ts} {{\"stream\":\"x@depth\",\"data\":{{\"E\":{ms},\"s\":\"X\",\"U\":{id},\"u\":{id},\"b\":[[\"{price}\",\"{size}\"]],\"a\":[]}}}}"),
            format!("{ts} {{\"lastUpdateId\":{id},\"T\":{ms},\"bids\":[[\"{price}\",\"{size}\"]],\"asks\":[]}}"),
        ];
        let options = ReaderOptions { on_error: mode, ..options() };
        let _ = read(&lines.join("\n"), options);
    }

    #[test]
    fn generated_messages_round_trip(
        trades in prop::collection::vec((1i64..10_000_000_000, 1i64..100_000_000, any::<u64>(), any::<bool>(), 0i64..4_000_000_000_000), 0..20),
        levels in prop::collection::vec((1i64..10_000_000_000, 0i64..100_000_000, any::<bool>()), 0..30),
        price_precision in 0u8..=8,
        size_precision in 0u8..=8,
        pad in 0usize..3,
    ) {
        let fmt = |raw: i64, p: u8| {
            let mut s = format_fixed(raw, p);
            if p > 0 { s.push_str(&"0".repeat(pad)); }
            s
        };
        let id = format!("SYM.{}", Venue::UsdM);
        let options = ReaderOptions {
            instruments: vec![InstrumentSpec {
                id: id.parse().unwrap(),
                price_increment: Price::from_raw(1, price_precision).unwrap(),
                size_increment: Quantity::from_raw(1, size_precision).unwrap(),
            }],
            ..options()
        };
        let mut text = String::new();
        for (i, (price, size, id, maker, ms)) in trades.iter().enumerate() {
            text += &format!(
                "{} {{\"stream\":\"sym@trade\",\"data\":{{\"e\":\"trade\",\"T\":{ms},\"s\":\"SYM\",\"t\":{id},\"p\":\"{}\",\"q\":\"{}\",\"X\":\"MARKET\",\"m\":{maker}}}}}\n",
                1000 + i, fmt(*price, price_precision), fmt(*size, size_precision)
            );
        }
        let (bids, asks): (Vec<_>, Vec<_>) = levels.iter().partition(|l| l.2);
        let side = |v: &[&(i64, i64, bool)]| v.iter().map(|(p, s, _)| format!("[\"{}\",\"{}\"]", fmt(*p, price_precision), fmt(*s, size_precision))).collect::<Vec<_>>().join(",");
        text += &format!(
            "5000 {{\"stream\":\"sym@depth\",\"data\":{{\"e\":\"depthUpdate\",\"E\":7,\"s\":\"SYM\",\"U\":1,\"u\":2,\"pu\":0,\"b\":[{}],\"a\":[{}]}}}}\n",
            side(&bids), side(&asks)
        );
        let (chunk, table) = read(&text, options).unwrap();
        prop_assert_eq!(table[0].id.to_string(), id);
        prop_assert_eq!(&chunk.trades.price, &trades.iter().map(|t| t.0).collect::<Vec<_>>());
        prop_assert_eq!(&chunk.trades.size, &trades.iter().map(|t| t.1).collect::<Vec<_>>());
        prop_assert_eq!(&chunk.trades.trade_id, &trades.iter().map(|t| t.2).collect::<Vec<_>>());
        prop_assert_eq!(&chunk.trades.aggressor_side, &trades.iter().map(|t| if t.3 { 2 } else { 1 }).collect::<Vec<_>>());
        prop_assert_eq!(&chunk.trades.ts_event, &trades.iter().map(|t| t.4 * 1_000_000).collect::<Vec<_>>());
        let expected: Vec<i64> = bids.iter().chain(&asks).map(|l| l.0).collect();
        if expected.is_empty() {
            prop_assert_eq!(&chunk.deltas.price, &vec![0]);
        } else {
            prop_assert_eq!(&chunk.deltas.price, &expected);
            let sizes: Vec<i64> = bids.iter().chain(&asks).map(|l| l.1).collect();
            prop_assert_eq!(&chunk.deltas.size, &sizes);
        }
    }
}

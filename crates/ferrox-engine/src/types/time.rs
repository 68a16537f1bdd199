//! The one clock: nanoseconds since the Unix epoch, UTC, as `i64`.

/// Nanoseconds since 1970-01-01T00:00:00Z. Every event carries two:
/// `ts_event` (when it happened at the source) and `ts_init` (when ferrox saw it).
pub type UnixNanos = i64;

/// Nanoseconds per millisecond.
pub const NANOS_PER_MILLI: i64 = 1_000_000;
/// Nanoseconds per microsecond.
pub const NANOS_PER_MICRO: i64 = 1_000;
/// Nanoseconds per day.
pub const NANOS_PER_DAY: i64 = 86_400 * 1_000_000_000;

/// Converts Unix milliseconds to nanoseconds, `None` on overflow.
pub fn millis_to_nanos(ms: i64) -> Option<UnixNanos> {
    ms.checked_mul(NANOS_PER_MILLI)
}

/// Converts Unix microseconds to nanoseconds, `None` on overflow.
pub fn micros_to_nanos(us: i64) -> Option<UnixNanos> {
    us.checked_mul(NANOS_PER_MICRO)
}

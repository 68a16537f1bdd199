//! When stop, if-touched and trailing orders trigger, and how trailing
//! triggers move.
//!
//! Stops (stop-market, stop-limit, trailing stops) protect against an adverse
//! move: a buy stop triggers when the reference price rises to the trigger
//! (`>=`), a sell stop when it falls to it (`<=`). If-touched orders wait for
//! a favourable move: a buy triggers when the price falls to the trigger
//! (`<=`), a sell when it rises to it (`>=`).
//!
//! The reference price is chosen by the exchange (see
//! [`super::exchange`]): the last trade when trades are fed, else the quote the
//! order would execute against (buy-side triggers watch the ask, sell-side
//! the bid); bars use their OHLC path.
//!
//! A trailing stop's trigger sits `offset` away from the best reference price
//! seen since it was accepted (sell: below the highest, buy: above the
//! lowest) and only ever moves in the favourable direction. A basis-point
//! offset is `reference × bps / 10_000` raw price units, rounded toward zero.

use crate::orders::{OrderSide, OrderType, TrailingOffsetType};

/// Whether `order_type` on `side` triggers when the reference is at or above
/// the trigger (`true`) or at or below it (`false`).
#[inline]
pub fn triggers_upward(order_type: OrderType, side: OrderSide) -> bool {
    let is_if_touched = matches!(
        order_type,
        OrderType::MarketIfTouched | OrderType::LimitIfTouched
    );
    (side == OrderSide::Buy) != is_if_touched
}

/// Whether `reference` has reached `trigger` for this order.
#[inline]
pub fn is_triggered(order_type: OrderType, side: OrderSide, trigger: i64, reference: i64) -> bool {
    if triggers_upward(order_type, side) {
        reference >= trigger
    } else {
        reference <= trigger
    }
}

/// Whether the order is a trailing stop.
#[inline]
pub fn is_trailing(order_type: OrderType) -> bool {
    matches!(
        order_type,
        OrderType::TrailingStopMarket | OrderType::TrailingStopLimit
    )
}

/// Whether the order becomes a market order once triggered.
#[inline]
pub fn becomes_market(order_type: OrderType) -> bool {
    matches!(
        order_type,
        OrderType::StopMarket | OrderType::MarketIfTouched | OrderType::TrailingStopMarket
    )
}

/// The trailing distance in raw price units at `reference`.
#[inline]
pub fn trailing_distance(reference: i64, offset: i64, offset_type: TrailingOffsetType) -> i64 {
    match offset_type {
        TrailingOffsetType::Price => offset,
        TrailingOffsetType::BasisPoints => {
            let d = i128::from(reference).abs() * i128::from(offset) / 10_000;
            i64::try_from(d).unwrap_or(i64::MAX)
        }
    }
}

/// The trailing trigger for `reference`: below it for a sell, above for a buy.
#[inline]
pub fn trailing_trigger(
    side: OrderSide,
    reference: i64,
    offset: i64,
    offset_type: TrailingOffsetType,
) -> i64 {
    let d = trailing_distance(reference, offset, offset_type);
    match side {
        OrderSide::Sell => reference.saturating_sub(d),
        OrderSide::Buy => reference.saturating_add(d),
    }
}

/// The trigger after the market moved to `reference`: the trailing trigger
/// if it is more favourable than `current` (higher for a sell, lower for a
/// buy), else `current`.
#[inline]
pub fn trail(
    side: OrderSide,
    current: i64,
    reference: i64,
    offset: i64,
    offset_type: TrailingOffsetType,
) -> i64 {
    let candidate = trailing_trigger(side, reference, offset, offset_type);
    match side {
        OrderSide::Sell => current.max(candidate),
        OrderSide::Buy => current.min(candidate),
    }
}

/// The limit of a triggered trailing-stop-limit: `limit_offset` beyond the
/// trigger in the order's direction of execution (a sell below, a buy above).
#[inline]
pub fn trailing_limit(side: OrderSide, trigger: i64, limit_offset: i64) -> i64 {
    match side {
        OrderSide::Sell => trigger.saturating_sub(limit_offset),
        OrderSide::Buy => trigger.saturating_add(limit_offset),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderSide::{Buy, Sell};
    use OrderType as T;

    #[test]
    fn stops_trigger_against_the_position_and_if_touched_with_it() {
        assert!(is_triggered(T::StopMarket, Buy, 100, 100));
        assert!(!is_triggered(T::StopMarket, Buy, 100, 99));
        assert!(is_triggered(T::StopLimit, Sell, 100, 99));
        assert!(is_triggered(T::MarketIfTouched, Buy, 100, 99));
        assert!(!is_triggered(T::LimitIfTouched, Sell, 100, 99));
    }

    #[test]
    fn trailing_sell_stop_only_moves_up() {
        let o = TrailingOffsetType::Price;
        let t = trailing_trigger(Sell, 100, 5, o);
        assert_eq!(t, 95);
        let t = trail(Sell, t, 110, 5, o);
        assert_eq!(t, 105);
        assert_eq!(trail(Sell, t, 104, 5, o), 105);
    }

    #[test]
    fn basis_point_offsets_scale_with_the_price() {
        // 50 bp of 20_000 is 100.
        assert_eq!(
            trailing_trigger(Buy, 20_000, 50, TrailingOffsetType::BasisPoints),
            20_100
        );
    }
}

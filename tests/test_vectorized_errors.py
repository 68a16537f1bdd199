"""Bad input to the vectorised simulator fails with the argument and the first offending cell."""

from __future__ import annotations

import numpy as np
import pytest

from ferrox import _core
from ferrox.errors import ConfigError, DataError
from ferrox.research import simulate_orders, simulate_signals, simulate_target

CLOSE = np.array([[10.0, 20.0], [11.0, 21.0], [12.0, 22.0], [13.0, 23.0]])
NO = np.zeros((4, 2), dtype=bool)


def _entries_at(row: int, col: int) -> np.ndarray:
    entries = NO.copy()
    entries[row, col] = True
    return entries


def test_signals_with_other_rows_than_close_are_refused() -> None:
    with pytest.raises(DataError, match=r"entries: expected 4 rows \(as close\), got 3"):
        simulate_signals(CLOSE, NO[:3], NO)


def test_signals_with_a_column_count_that_does_not_broadcast_are_refused() -> None:
    with pytest.raises(DataError, match="close: expected 1 or 3 columns"):
        simulate_signals(CLOSE, np.zeros((4, 3), dtype=bool), np.zeros((4, 3), dtype=bool))


def test_signals_that_are_not_booleans_are_refused() -> None:
    with pytest.raises(DataError, match="exits: expected booleans, got float64"):
        simulate_signals(CLOSE, NO, np.zeros((4, 2)))


def test_a_nan_close_where_an_order_fills_names_the_row_and_column() -> None:
    close = CLOSE.copy()
    close[2, 1] = np.nan
    with pytest.raises(DataError, match=r"close: no usable price \(NaN\) at row 2, column 1"):
        simulate_signals(close, _entries_at(2, 1), NO)


def test_a_nan_close_without_an_order_is_carried_over() -> None:
    close = CLOSE.copy()
    close[2, 1] = np.nan
    result = simulate_signals(close, _entries_at(0, 1), NO)
    assert result.equity_array[2, 1] == result.equity_array[1, 1]


def test_the_first_offending_cell_is_reported_across_columns() -> None:
    close = CLOSE.copy()
    close[3, 0] = np.nan
    close[1, 1] = np.nan
    entries = NO.copy()
    entries[3, 0] = entries[1, 1] = True
    with pytest.raises(DataError, match="at row 1, column 1"):
        simulate_signals(close, entries, NO)


def test_a_missing_next_open_names_the_open_argument() -> None:
    open_ = CLOSE.copy()
    open_[1, 0] = np.nan
    with pytest.raises(DataError, match=r"open: no usable price .* at row 1, column 0"):
        simulate_signals(CLOSE, _entries_at(0, 0), NO, open=open_, price="next_open")


def test_next_open_without_open_prices_is_refused() -> None:
    with pytest.raises(ConfigError, match='open: price="next_open"'):
        simulate_signals(CLOSE, NO, NO, price="next_open")


def test_negative_fees_name_the_column() -> None:
    with pytest.raises(ConfigError, match=r"fees: -0.001 at column 1 \('1'\)"):
        simulate_signals(CLOSE, NO, NO, fees=[0.001, -0.001])


def test_negative_fixed_fees_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"fixed_fees: -1\.0 at column 0"):
        simulate_orders(CLOSE, np.full((4, 2), np.nan), fixed_fees=-1.0)


def test_per_column_parameters_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(
        ConfigError, match=r"slippage: expected a number or 2 values \(one per column\), got 3"
    ):
        simulate_signals(CLOSE, NO, NO, slippage=[0.0, 0.0, 0.0])


def test_a_non_positive_stop_is_refused() -> None:
    with pytest.raises(ConfigError, match="sl_stop: 0 at column 0 is invalid"):
        simulate_signals(CLOSE, NO, NO, sl_stop=0.0)


def test_a_negative_entry_size_is_refused() -> None:
    with pytest.raises(ConfigError, match="size: -1 at column 0 is invalid"):
        simulate_signals(CLOSE, NO, NO, size=-1.0)


def test_zero_initial_cash_is_refused() -> None:
    with pytest.raises(ConfigError, match="init_cash: 0 at column 1 is invalid"):
        simulate_signals(CLOSE, NO, NO, init_cash=[100.0, 0.0])


def test_an_unknown_size_type_is_refused() -> None:
    with pytest.raises(
        ConfigError, match="size_type: expected one of 'amount', 'value', 'percent'"
    ):
        simulate_target(CLOSE, np.full((4, 2), np.nan), size_type="weights")  # type: ignore[arg-type]


def test_high_without_low_is_refused() -> None:
    with pytest.raises(ConfigError, match="high and low: give both"):
        simulate_signals(CLOSE, NO, NO, high=CLOSE)


def test_groups_must_be_adjacent_columns() -> None:
    close = np.ones((4, 3))
    no = np.zeros((4, 3), dtype=bool)
    with pytest.raises(
        ConfigError, match=r"group_by: column 2 \('2'\) is in group 'a', which ended"
    ):
        simulate_signals(close, no, no, cash_sharing=True, group_by=["a", "b", "a"])


def test_timestamps_must_increase() -> None:
    with pytest.raises(DataError, match=r"ts: row 2 \(5\) is not after row 1"):
        simulate_signals(CLOSE, NO, NO, ts=[1, 5, 5, 9])


def test_stats_without_timestamps_ask_for_periods_per_year() -> None:
    result = simulate_signals(CLOSE, _entries_at(0, 0), NO)
    with pytest.raises(ConfigError, match="periods_per_year"):
        result.stats()


def test_the_kernel_refuses_stops_outside_signals() -> None:
    n = np.full(2, np.nan)
    params = (np.full(2, np.inf), np.zeros(2), np.zeros(2), np.zeros(2), np.full(2, 0.1), n, n)
    with pytest.raises(ConfigError, match="sl_stop: stops apply to signals only"):
        _core.vsim_orders(
            4, (CLOSE.ravel(order="F"), None, None, None), np.full(8, np.nan), params,
            "amount", "close", [1, 1], np.full(2, 100.0),
        )  # fmt: skip

"""Alpha158: ferrox.factors against Qlib itself (pyqlib 0.9.7), values and speed.

Two panels, each written in Qlib's binary layout (``_qlib_panel.py``: float32,
little-endian, the first value the calendar start index) and read back by Qlib's
own ``D.features``:

- ``synthetic``: ``bench_factors.universe`` (seeded, ``--instruments`` x ``--days``,
  default 1,000 x 2,500 = 2.47 M rows, ~1% missing days, 0.5% zero-volume days);
- ``btc-hourly``: the shared 1-minute BTC perpetual month as hourly bars
  (``tests/test_factors_alpha158.btc_hourly``), skipped when the data folder is absent.

Qlib computes the 158 expressions of ``Alpha158DL.get_feature_config`` with the
``Alpha158`` handler's configuration (taken from the installed pyqlib, and checked
equal to ``ferrox.factors.alpha158()`` name by name); ferrox computes
``ferrox.factors.compute(panel, alpha158())`` on the same values (the panel rounded
to float32, as Qlib stores it, so differences come from the arithmetic, not the
input). Agreement is judged on the panel's own rows (Qlib also returns rows for the
missing days it fills): per feature the largest difference relative to
``max(|qlib|, s)`` (``s`` = the feature's median magnitude, so values crossing zero
are judged at the feature's scale), the share of rows within 1e-5 on that measure
(both NaN, or both the same infinity, agree), and the rows where only one side is
NaN. Features beyond 1e-5 are listed with the reason (see
``/work/shared/research/ALPHA158.md`` and ``docs/factors.md``).

Speed: seconds for ``D.features`` (Qlib reads its binary files, from the page
cache, and computes with ``kernels`` worker processes: all cores here, Qlib's own
default being cpu_count - 2) against
seconds for ``compute`` on the in-memory polars panel (every core). With
``--qlib-instruments K`` Qlib runs on the first K instruments only and its time is
scaled by the instrument count (the output says so).

pyqlib pins pyarrow < 26 and python-dateutil < 3 (through mlflow), so installing it
into the project venv would downgrade both; it lives in its own venv and this script
runs the Qlib side in a subprocess (``--worker``; that mode imports no ferrox).
``make bench`` builds that venv (``.venv-qlib``, from the ``bench-qlib`` extra's
list) and passes it in ``$FERROX_QLIB_PYTHON``; by hand::

    python3.11 -m venv /tmp/qlib-venv
    /tmp/qlib-venv/bin/pip install pyqlib==0.9.7 pandas==2.3.3 numpy==2.2.6 pyarrow

Run: ``.venv/bin/python benchmarks/bench_factors_qlib.py [--instruments N] [--days D]
[--qlib-instruments K] [--qlib-python /tmp/qlib-venv/bin/python]``. The Qlib
interpreter defaults to ``$FERROX_QLIB_PYTHON``, else this interpreter if it imports
qlib, else ``/tmp/qlib-venv/bin/python``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIELDS = ["open", "high", "low", "close", "volume", "vwap"]
TOL = 1e-5

# Why a feature family can sit beyond 1e-5 of Qlib (ALPHA158.md, docs/factors.md): Qlib
# computes element-wise operators on its float32 data in float32 (about 7 digits), and a
# ratio near 1 minus 1, or a correlation of such values, keeps far fewer.
REASONS = {
    "CORD": "float32 $close/Ref($close,1) and Log($volume/Ref($volume,1)+1) in a Corr",
    "CORR": "float32 Log($volume+1) in a Corr (and its 2e-5 std guard)",
    "WVMA": "float32 Abs($close/Ref($close,1)-1): small returns keep few digits",
    "VMA": "zero-volume day: mean/($volume+1e-12) in float32",
    "VSTD": "zero-volume day: std/($volume+1e-12) in float32",
}


def _children_cpu() -> float:
    """User + system CPU seconds of this process's reaped children."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def qlib_worker(root: Path, out: Path, count: int) -> None:
    """Runs in the Qlib venv: ``D.features`` on the first ``count`` instruments, to Parquet."""
    import pandas as pd
    import qlib
    from qlib.contrib.data.handler import Alpha158
    from qlib.data import D

    fields, names = Alpha158.get_feature_config(None)  # self is unused there
    # Qlib's default is cpu_count - 2 worker processes (1 here); ferrox uses every core.
    qlib.init(
        provider_uri=str(root),
        region="cn",
        expression_cache=None,
        dataset_cache=None,
        kernels=os.cpu_count() or 1,
    )
    calendar = (root / "calendars" / "day.txt").read_text().split()
    insts = [line.split("\t")[0] for line in (root / "instruments" / "all.txt").open()][:count]
    started, cpu, kids = time.perf_counter(), time.process_time(), _children_cpu()
    frame = D.features(insts, fields, start_time=calendar[0], end_time=calendar[-1], freq="day")
    seconds = time.perf_counter() - started
    # The worker pool is joined inside D.features, so its processes' CPU is in RUSAGE_CHILDREN.
    cpu_seconds = time.process_time() - cpu + _children_cpu() - kids
    frame.columns = names
    frame = frame.reset_index()
    frame["datetime"] = pd.to_datetime(frame["datetime"]).dt.strftime("%Y-%m-%d")
    frame.to_parquet(out)
    meta = {
        "seconds": seconds,
        "cpu": cpu_seconds,
        "kernels": qlib.config.C.get_kernels("day"),
        "names": names,
        "fields": fields,
        "qlib": qlib.__version__,
    }
    out.with_suffix(".json").write_text(json.dumps(meta))


def qlib_python(given: str | None) -> str:
    """The interpreter that imports qlib (see the module docstring)."""
    if given:
        return given
    if os.environ.get("FERROX_QLIB_PYTHON"):
        return os.environ["FERROX_QLIB_PYTHON"]
    if importlib.util.find_spec("qlib") is not None:
        return sys.executable
    return "/tmp/qlib-venv/bin/python"


def compare(ours: Any, theirs: Any, names: list[str]) -> list[dict[str, Any]]:
    """Per-feature agreement of two aligned frames (see the module docstring)."""
    import numpy as np

    rows = []
    for name in names:
        a = ours.get_column(name).to_numpy().astype(np.float64)
        b = theirs.get_column(name).to_numpy().astype(np.float64)
        nan_a, nan_b = np.isnan(a), np.isnan(b)
        one_nan = nan_a != nan_b
        both = ~nan_a & ~nan_b
        finite = both & np.isfinite(a) & np.isfinite(b)
        scale = float(np.median(np.abs(b[finite]))) if finite.any() else 0.0
        rel = np.zeros(len(a))
        rel[finite] = np.abs(a[finite] - b[finite]) / np.maximum(
            np.maximum(np.abs(b[finite]), scale), 1e-300
        )
        same_inf = both & ~np.isfinite(a) & (a == b)
        rel[both & ~finite & ~same_inf] = np.inf
        rel[one_nan] = np.inf
        ok = (nan_a & nan_b) | (rel <= TOL)
        worst = float(rel[finite].max()) if finite.any() else 0.0
        rows.append(
            {
                "feature": name,
                "max_rel": worst,
                "within": float(ok.mean()),
                "beyond": int((~ok).sum()),
                "one_nan": int(one_nan.sum()),
                "rows": len(a),
            }
        )
    return rows


def reason(name: str) -> str:
    """The documented reason for a feature's family, longest prefix first."""
    family = name.rstrip("0123456789")
    return REASONS.get(family, "not explained: investigate")


def run_panel(label: str, panel: Any, qlib_count: int | None, py: str) -> dict[str, Any]:
    """Writes ``panel`` for Qlib, runs both sides, compares; returns the figures."""
    import numpy as np
    import polars as pl

    from _qlib_panel import EPOCH, write_qlib_panel
    from ferrox.factors import alpha158, compute

    features = alpha158()
    # Qlib stores float32: give ferrox the very same values.
    panel = panel.with_columns(pl.col(FIELDS).cast(pl.Float32).cast(pl.Float64))
    with tempfile.TemporaryDirectory(prefix=f"ferrox-qlib-{label}-") as folder:
        root = Path(folder) / "qlib_data"
        written = write_qlib_panel(panel, root, FIELDS)
        n_inst = len(written.names)
        count = n_inst if qlib_count is None else min(qlib_count, n_inst)
        out = Path(folder) / "qlib_alpha158.parquet"
        cmd = [py, str(Path(__file__).resolve()), "--worker", str(root), str(out), str(count)]
        subprocess.run(cmd, check=True)
        meta = json.loads(out.with_suffix(".json").read_text())
        theirs = pl.read_parquet(out)

    if meta["names"] != list(features):
        raise SystemExit(f"{label}: Qlib's Alpha158 names differ from ferrox.factors.alpha158()")
    differing = [n for n, f in zip(meta["names"], meta["fields"], strict=True) if f != features[n]]

    started, cpu = time.perf_counter(), time.process_time()
    ours = compute(panel, features)
    ferrox_s, ferrox_cpu = time.perf_counter() - started, time.process_time() - cpu

    # Key both sides by (Qlib name, calendar date) and keep the panel's rows Qlib computed.
    key_map = pl.DataFrame(
        {"instrument": list(written.names), "_name": list(written.names.values())}
    )
    dates = pl.DataFrame(
        {
            "ts": written.times,
            "_date": [str(EPOCH + i) for i in range(len(written.times))],
        }
    )
    ours = (
        ours.join(key_map, on="instrument", how="left")
        .join(dates, on="ts", how="left")
        .drop("instrument", "ts")
    )
    theirs = theirs.rename({"instrument": "_name", "datetime": "_date"}).with_columns(
        pl.col("_name").cast(pl.String)
    )
    both = ours.join(theirs, on=["_name", "_date"], how="inner", suffix="_qlib")
    expected = ours.filter(pl.col("_name").is_in(list(written.names.values())[:count])).height
    if both.height != expected:
        raise SystemExit(f"{label}: {both.height:,} rows matched, expected {expected:,}")
    mine = both.select(list(features))
    qlibs = both.select([pl.col(f"{n}_qlib").alias(n) for n in features])
    table = compare(mine, qlibs, list(features))
    # Zero-volume days: `$volume + 1e-12` does not guard them (ALPHA158.md).
    huge = qlibs.get_column("VMA5") > 1e12
    zero_volume = {
        "rows": int(huge.sum()),
        "qlib_median": float(qlibs.filter(huge).get_column("VMA5").median() or np.nan),
        "ferrox_median": float(mine.filter(huge).get_column("VMA5").median() or np.nan),
    }
    scale = n_inst / count
    return {
        "label": label,
        "rows": panel.height,
        "instruments": n_inst,
        "qlib_instruments": count,
        "compared_rows": both.height,
        "qlib_s": meta["seconds"] * scale,
        "qlib_measured_s": meta["seconds"],
        "qlib_cpu": meta["cpu"] * scale,
        "kernels": meta["kernels"],
        "ferrox_s": ferrox_s,
        "ferrox_cpu": ferrox_cpu,
        "table": table,
        "differing_exprs": differing,
        "zero_volume": zero_volume,
        "nan_fraction": float(np.isnan(qlibs.to_numpy()).mean()),
    }


def report(res: dict[str, Any]) -> None:
    """Prints one panel's agreement table and timing."""
    print(
        f"\n== {res['label']}: {res['instruments']:,} instruments, {res['rows']:,} rows; "
        f"compared on {res['compared_rows']:,} rows of {res['qlib_instruments']:,} instruments"
    )
    if res["differing_exprs"]:
        print(f"expressions written differently from Qlib's: {res['differing_exprs']}")
    else:
        print("all 158 names and expression strings equal Qlib's Alpha158DL")
    table = res["table"]
    print(f"{'feature':<8} {'max rel diff':>12} {'within 1e-5':>11} {'one-side NaN':>12}")
    for row in table:
        print(
            f"{row['feature']:<8} {row['max_rel']:12.2e} {row['within']:11.6f} {row['one_nan']:12,}"
        )
    beyond = [r for r in table if r["within"] < 1.0]
    exact = sum(r["within"] == 1.0 for r in table)
    print(f"{exact} of {len(table)} features agree to 1e-5 on every row")
    if beyond:
        print("beyond 1e-5 on some rows:")
        for row in sorted(beyond, key=lambda r: r["within"]):
            print(
                f"  {row['feature']:<7} {row['beyond']:6,} rows ({1 - row['within']:.4%}), "
                f"max {row['max_rel']:.1e}, {row['one_nan']} one-side NaN: {reason(row['feature'])}"
            )
    zv = res["zero_volume"]
    if zv["rows"]:
        print(
            f"zero-volume rows (Qlib VMA5 > 1e12): {zv['rows']:,}; VMA5 median there: "
            f"Qlib {zv['qlib_median']:.3e}, ferrox {zv['ferrox_median']:.3e}"
        )
    scaled = res["qlib_instruments"] != res["instruments"]
    note = (
        f" (measured {res['qlib_measured_s']:.2f} s on {res['qlib_instruments']} instruments, "
        f"scaled x{res['instruments'] / res['qlib_instruments']:g})"
        if scaled
        else " (whole panel)"
    )
    print(
        f"qlib D.features {res['qlib_s']:9.2f} s wall, {res['qlib_cpu']:.2f} s CPU in "
        f"{res['kernels']} kernels{note}"
    )
    print(
        f"ferrox compute  {res['ferrox_s']:9.2f} s wall, {res['ferrox_cpu']:.2f} s CPU on "
        f"{os.cpu_count()} cores (whole panel)"
    )
    print(
        f"qlib/ferrox     {res['qlib_s'] / res['ferrox_s']:9.1f}x wall, "
        f"{res['qlib_cpu'] / res['ferrox_cpu']:.1f}x CPU"
    )


def main() -> None:
    """Runs the comparison on the synthetic and real panels and prints the tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instruments", type=int, default=1000)
    ap.add_argument("--days", type=int, default=2500)
    ap.add_argument("--qlib-instruments", type=int, default=None)
    ap.add_argument("--qlib-python", default=None)
    ap.add_argument("--skip-btc", action="store_true")
    ap.add_argument("--worker", nargs=3, metavar=("ROOT", "OUT", "COUNT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        qlib_worker(Path(args.worker[0]), Path(args.worker[1]), int(args.worker[2]))
        return

    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent / "tests"))
    from bench_factors import universe

    py = qlib_python(args.qlib_python)
    load = os.getloadavg()[0]
    print(f"Qlib side: {py}; load average {load:.1f} on {os.cpu_count()} cores at start")
    data = Path(os.environ.get("FERROX_SHARED_DATA", HERE.parent.parent / "shared" / "data"))
    btc = data / "bars" / "btc-perp-20211231-20220201_1m.csv"
    if not args.skip_btc and btc.exists():
        from test_factors_alpha158 import btc_hourly

        report(run_panel("btc-hourly", btc_hourly(btc), None, py))
    else:
        print(f"\n(no BTC panel: {btc} absent or --skip-btc)")
    panel = universe(args.instruments, args.days)
    report(run_panel("synthetic", panel, args.qlib_instruments, py))


if __name__ == "__main__":
    main()

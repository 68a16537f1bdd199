//! `BacktestEngine`: instruments, venues and account set up at construction,
//! data added as numpy columns, a run, results out as numpy columns.

use std::cell::Cell;

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyDictMethods};

use ferrox_engine::engine::{
    DataFeed, Engine, EngineConfig, EngineCore, InstrumentInfo, LatencyModel, RunError, Stream,
};
use ferrox_engine::matching::{ExchangeConfig, MatchingEngine, QueueModel, SimulatedExchange};
use ferrox_engine::portfolio::{
    AccountType, CurrencyTable, FeeModel, InstrumentSpec, Leverage, OmsType, Portfolio,
    PortfolioConfig,
};
use ferrox_engine::types::{Bar, BookDelta, QuoteTick, TradeTick};

use crate::bars::side_of as aggressor_of;
use crate::book::{action_of, side_of};
use crate::errors::{config_error, data_error};
use crate::strategies::builtin_strategy;
use ferrox_engine::portfolio::format_money;

use super::adapter::{overrides_of, PyStrategyAdapter};
use super::context::PyContext;

// ---- the engine ----------------------------------------------------------

pub(super) fn latency_of(spec: (String, i64, f64), what: &'static str) -> PyResult<LatencyModel> {
    let (kind, a, b) = spec;
    let model = match kind.as_str() {
        "constant" => LatencyModel::Constant(a),
        "uniform" => LatencyModel::Uniform {
            low: a,
            high: b as i64,
        },
        "lognormal" => LatencyModel::LogNormal {
            median: a,
            sigma: b,
        },
        other => {
            return Err(config_error(format!(
                "{what} latency: unknown model {other:?} (constant, uniform, lognormal)"
            )))
        }
    };
    model
        .validate(what)
        .map_err(|e| config_error(e.to_string()))?;
    Ok(model)
}

/// An event-driven backtest: instruments, venues and account set up at
/// construction; data added as numpy columns; `run` with a strategy.
#[pyclass(unsendable, name = "BacktestEngine", module = "ferrox._core")]
pub struct PyBacktestEngine {
    pub(super) config: EngineConfig,
    pub(super) infos: Vec<InstrumentInfo>,
    pub(super) exchange_config: ExchangeConfig,
    pub(super) fees: Vec<FeeModel>,
    pub(super) portfolio: Option<Portfolio>,
    pub(super) feed: DataFeed,
    pub(super) core: Option<EngineCore>,
    pub(super) risk: Option<ferrox_engine::risk::pretrade::RiskEngine>,
}

#[pymethods]
impl PyBacktestEngine {
    /// Sets up instruments (precisions, quote/base currencies), the account
    /// and the venue. Money and rates are exact decimal text.
    #[new]
    #[pyo3(signature = (price_precisions, size_precisions, quote_currencies, base_currencies, maker_fees, taker_fees, *, base_currency, starting_balances, account_type="margin", oms="netting", leverage="1", queue_model="conservative", queue_power=2.0, feed_latency=("constant".to_string(), 0, 0.0), order_entry_latency=("constant".to_string(), 0, 0.0), ack_latency=("constant".to_string(), 0, 0.0), seed=0, equity_interval=0, risk=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        price_precisions: Vec<u8>,
        size_precisions: Vec<u8>,
        quote_currencies: Vec<String>,
        base_currencies: Vec<Option<String>>,
        maker_fees: Vec<String>,
        taker_fees: Vec<String>,
        base_currency: &str,
        starting_balances: Vec<(String, String)>,
        account_type: &str,
        oms: &str,
        leverage: &str,
        queue_model: &str,
        queue_power: f64,
        feed_latency: (String, i64, f64),
        order_entry_latency: (String, i64, f64),
        ack_latency: (String, i64, f64),
        seed: u64,
        equity_interval: i64,
        risk: Option<Vec<(String, String, String)>>,
    ) -> PyResult<Self> {
        let n = price_precisions.len();
        for (name, len) in [
            ("size_precisions", size_precisions.len()),
            ("quote_currencies", quote_currencies.len()),
            ("base_currencies", base_currencies.len()),
            ("maker_fees", maker_fees.len()),
            ("taker_fees", taker_fees.len()),
        ] {
            if len != n {
                return Err(config_error(format!(
                    "{name}: {len} entries for {n} instruments"
                )));
            }
        }
        let mut currencies = CurrencyTable::new();
        let mut currency = |code: &str| -> PyResult<u16> {
            match currencies.id(code) {
                Some(id) => Ok(id),
                None => currencies
                    .add(code, 8)
                    .map_err(|e| config_error(e.to_string())),
            }
        };
        let base = currency(base_currency)?;
        let mut specs = Vec::with_capacity(n);
        let mut infos = Vec::with_capacity(n);
        let mut fees = Vec::with_capacity(n);
        for i in 0..n {
            let quote = currency(&quote_currencies[i])?;
            let base_ccy = match &base_currencies[i] {
                Some(code) => Some(currency(code)?),
                None => None,
            };
            specs.push(InstrumentSpec {
                price_precision: price_precisions[i],
                size_precision: size_precisions[i],
                multiplier: 1,
                quote_currency: quote,
                base_currency: base_ccy,
            });
            infos.push(InstrumentInfo {
                price_precision: price_precisions[i],
                size_precision: size_precisions[i],
            });
            fees.push(
                FeeModel::parse(&maker_fees[i], &taker_fees[i])
                    .map_err(|e| config_error(format!("instrument {i} fees: {e}")))?,
            );
        }
        let mut balances = Vec::new();
        for (code, amount) in &starting_balances {
            let id = currency(code)?;
            balances.push((id, amount.clone()));
        }
        let account_type = match account_type {
            "cash" => AccountType::Cash,
            "margin" => AccountType::Margin,
            other => {
                return Err(config_error(format!(
                    "account_type: expected cash or margin, got {other:?}"
                )))
            }
        };
        let oms = match oms {
            "netting" => OmsType::Netting,
            "hedging" => OmsType::Hedging,
            other => {
                return Err(config_error(format!(
                    "oms: expected netting or hedging, got {other:?}"
                )))
            }
        };
        let leverage = Leverage::parse(leverage).map_err(|e| config_error(e.to_string()))?;
        let portfolio = build_portfolio(
            account_type,
            oms,
            base,
            &balances,
            leverage,
            specs,
            currencies,
        )?;
        let queue_model = match queue_model {
            "conservative" => QueueModel::Conservative,
            "probabilistic" | "power" => QueueModel::PowerProb { n: queue_power },
            "log" => QueueModel::LogProb,
            other => {
                return Err(config_error(format!(
                    "queue_model: expected conservative or probabilistic, got {other:?}"
                )))
            }
        };
        let config = EngineConfig {
            feed_latency: latency_of(feed_latency, "feed")?,
            order_entry_latency: latency_of(order_entry_latency, "order entry")?,
            ack_latency: latency_of(ack_latency, "ack")?,
            seed,
            equity_interval,
        };
        let risk = match &risk {
            Some(settings) => Some(crate::risk_pretrade::build_risk(settings, &infos)?),
            None => None,
        };
        Ok(Self {
            risk,
            config,
            infos,
            exchange_config: ExchangeConfig {
                queue_model,
                ..ExchangeConfig::default()
            },
            fees,
            portfolio: Some(portfolio),
            feed: DataFeed::new(),
            core: None,
        })
    }

    /// Adds a trade stream (raw prices/sizes at the instrument's precisions).
    #[allow(clippy::too_many_arguments)]
    fn add_trades(
        &mut self,
        instrument: u32,
        ts_init: PyReadonlyArray1<'_, i64>,
        ts_event: PyReadonlyArray1<'_, i64>,
        price: PyReadonlyArray1<'_, i64>,
        size: PyReadonlyArray1<'_, i64>,
        aggressor_side: PyReadonlyArray1<'_, u8>,
        trade_id: PyReadonlyArray1<'_, u64>,
    ) -> PyResult<()> {
        self.check_instrument(instrument)?;
        let (a, b, c, d, e, f) = (
            ts_init.as_slice()?,
            ts_event.as_slice()?,
            price.as_slice()?,
            size.as_slice()?,
            aggressor_side.as_slice()?,
            trade_id.as_slice()?,
        );
        same_len(
            "trades",
            a.len(),
            &[b.len(), c.len(), d.len(), e.len(), f.len()],
        )?;
        let mut rows = Vec::with_capacity(a.len());
        for i in 0..a.len() {
            rows.push(TradeTick {
                instrument,
                price: c[i],
                size: d[i],
                aggressor_side: aggressor_of(e[i])?,
                trade_id: f[i],
                ts_event: b[i],
                ts_init: a[i],
            });
        }
        self.add_stream(Stream::Trades(rows))
    }

    /// Adds a quote stream.
    #[allow(clippy::too_many_arguments)]
    fn add_quotes(
        &mut self,
        instrument: u32,
        ts_init: PyReadonlyArray1<'_, i64>,
        ts_event: PyReadonlyArray1<'_, i64>,
        bid_price: PyReadonlyArray1<'_, i64>,
        ask_price: PyReadonlyArray1<'_, i64>,
        bid_size: PyReadonlyArray1<'_, i64>,
        ask_size: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<()> {
        self.check_instrument(instrument)?;
        let (a, b, c, d, e, f) = (
            ts_init.as_slice()?,
            ts_event.as_slice()?,
            bid_price.as_slice()?,
            ask_price.as_slice()?,
            bid_size.as_slice()?,
            ask_size.as_slice()?,
        );
        same_len(
            "quotes",
            a.len(),
            &[b.len(), c.len(), d.len(), e.len(), f.len()],
        )?;
        let rows = (0..a.len())
            .map(|i| QuoteTick {
                instrument,
                bid_price: c[i],
                ask_price: d[i],
                bid_size: e[i],
                ask_size: f[i],
                update_id: 0,
                ts_event: b[i],
                ts_init: a[i],
            })
            .collect();
        self.add_stream(Stream::Quotes(rows))
    }

    /// Adds a book-delta stream (actions 1 add, 2 update, 3 delete, 4 clear;
    /// sides 1 bid, 2 ask).
    #[allow(clippy::too_many_arguments)]
    fn add_deltas(
        &mut self,
        instrument: u32,
        ts_init: PyReadonlyArray1<'_, i64>,
        ts_event: PyReadonlyArray1<'_, i64>,
        action: PyReadonlyArray1<'_, u8>,
        side: PyReadonlyArray1<'_, u8>,
        price: PyReadonlyArray1<'_, i64>,
        size: PyReadonlyArray1<'_, i64>,
        flags: PyReadonlyArray1<'_, u8>,
        sequence: PyReadonlyArray1<'_, u64>,
    ) -> PyResult<()> {
        self.check_instrument(instrument)?;
        let (a, b, c, d, e, f, g, h) = (
            ts_init.as_slice()?,
            ts_event.as_slice()?,
            action.as_slice()?,
            side.as_slice()?,
            price.as_slice()?,
            size.as_slice()?,
            flags.as_slice()?,
            sequence.as_slice()?,
        );
        same_len(
            "deltas",
            a.len(),
            &[
                b.len(),
                c.len(),
                d.len(),
                e.len(),
                f.len(),
                g.len(),
                h.len(),
            ],
        )?;
        let mut rows = Vec::with_capacity(a.len());
        for i in 0..a.len() {
            rows.push(BookDelta {
                instrument,
                action: action_of(c[i], i)?,
                side: side_of(d[i], i)?,
                price: e[i],
                size: f[i],
                order_id: 0,
                sequence: h[i],
                first_update_id: 0,
                prev_update_id: 0,
                flags: g[i],
                ts_event: b[i],
                ts_init: a[i],
            });
        }
        self.add_stream(Stream::Deltas(rows))
    }

    /// Adds a bar stream (bars are delivered at `ts_init`, their close).
    #[allow(clippy::too_many_arguments)]
    fn add_bars(
        &mut self,
        instrument: u32,
        ts_open: PyReadonlyArray1<'_, i64>,
        ts_init: PyReadonlyArray1<'_, i64>,
        open: PyReadonlyArray1<'_, i64>,
        high: PyReadonlyArray1<'_, i64>,
        low: PyReadonlyArray1<'_, i64>,
        close: PyReadonlyArray1<'_, i64>,
        volume: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<()> {
        self.check_instrument(instrument)?;
        let (t0, t1, o, h, l, c, v) = (
            ts_open.as_slice()?,
            ts_init.as_slice()?,
            open.as_slice()?,
            high.as_slice()?,
            low.as_slice()?,
            close.as_slice()?,
            volume.as_slice()?,
        );
        same_len(
            "bars",
            t0.len(),
            &[t1.len(), o.len(), h.len(), l.len(), c.len(), v.len()],
        )?;
        let mut rows = Vec::with_capacity(t0.len());
        for i in 0..t0.len() {
            if !(l[i] <= o[i].min(c[i]) && h[i] >= o[i].max(c[i])) {
                return Err(data_error(format!(
                    "bars row {i}: low {} / high {} do not contain open {} and close {}",
                    l[i], h[i], o[i], c[i]
                )));
            }
            rows.push(Bar {
                instrument,
                open: o[i],
                high: h[i],
                low: l[i],
                close: c[i],
                volume: v[i],
                ts_open: t0[i],
                ts_event: t1[i],
                ts_init: t1[i],
            });
        }
        self.add_stream(Stream::Bars(rows))
    }

    /// Number of records added.
    fn record_count(&self) -> usize {
        self.feed.len()
    }

    /// `(first, last)` ts_init of the data, if any.
    fn time_range(&self) -> Option<(i64, i64)> {
        self.feed.time_range()
    }

    /// Runs `strategy` (a `ferrox.backtest.Strategy` or a built-in Rust
    /// strategy spec) over the data. `progress(n)` is called every `every`
    /// records. An engine runs once.
    #[pyo3(signature = (strategy, progress=None, every=100_000))]
    fn run(
        &mut self,
        py: Python<'_>,
        strategy: &Bound<'_, PyAny>,
        progress: Option<Py<PyAny>>,
        every: u64,
    ) -> PyResult<()> {
        let portfolio = self
            .portfolio
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this engine has already run"))?;
        let venues = (0..self.infos.len())
            .map(|i| {
                SimulatedExchange::new(i as u32, self.exchange_config)
                    .map(|v| Box::new(v) as Box<dyn MatchingEngine + Send>)
                    .map_err(|e| config_error(e.to_string()))
            })
            .collect::<PyResult<Vec<_>>>()?;
        let mut core = EngineCore::new(
            self.config.clone(),
            self.infos.clone(),
            venues,
            std::mem::take(&mut self.fees),
            portfolio,
        );
        if let Some(risk) = self.risk.take() {
            core.set_risk(risk);
        }
        let feed = std::mem::take(&mut self.feed);
        let mut callback = |n: u64| -> bool {
            match &progress {
                None => true,
                Some(p) => Python::attach(|py| p.call1(py, (n,)).is_ok()),
            }
        };
        if let Ok(spec) = strategy.extract::<PyRef<'_, crate::strategies::PyRustStrategy>>() {
            let rust = builtin_strategy(&spec)?;
            let mut engine = Engine::new(core, feed, rust);
            let result = py.detach(|| {
                let mut quiet = |_n: u64| true;
                engine.run(every, &mut quiet)
            });
            callback(engine.core.log().records);
            self.core = Some(engine.core);
            return result.map_err(run_error);
        }
        let overrides = overrides_of(strategy)?;
        let ctx = Py::new(
            py,
            PyContext {
                core: Cell::new(std::ptr::null_mut()),
            },
        )?;
        strategy.call_method1(intern!(py, "_bind"), (ctx.clone_ref(py),))?;
        let scales = self
            .infos
            .iter()
            .map(|i| {
                (
                    10f64.powi(i32::from(i.price_precision)),
                    10f64.powi(i32::from(i.size_precision)),
                )
            })
            .collect();
        let adapter = PyStrategyAdapter {
            strategy: strategy.clone().unbind(),
            ctx,
            overrides,
            scales,
            error: None,
        };
        let mut engine = Engine::new(core, feed, Box::new(adapter));
        let result = engine.run(every, &mut callback);
        let error = engine.strategy.error.take();
        self.core = Some(engine.core);
        match (result, error) {
            (Err(_), Some(e)) => Err(e),
            (Err(e), None) => Err(run_error(e)),
            (Ok(()), _) => Ok(()),
        }
    }

    /// Order events as columns.
    fn order_events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let log = self.log()?;
        let rows = &log.order_events;
        let d = PyDict::new(py);
        d.set_item("ts", PyArray1::from_iter(py, rows.iter().map(|r| r.ts)))?;
        d.set_item(
            "order_id",
            PyArray1::from_iter(py, rows.iter().map(|r| r.order_id)),
        )?;
        d.set_item(
            "instrument",
            PyArray1::from_iter(py, rows.iter().map(|r| r.instrument)),
        )?;
        d.set_item("event", rows.iter().map(|r| r.event).collect::<Vec<_>>())?;
        d.set_item("status", rows.iter().map(|r| r.status).collect::<Vec<_>>())?;
        d.set_item("code", rows.iter().map(|r| r.code).collect::<Vec<_>>())?;
        d.set_item(
            "message",
            rows.iter()
                .map(|r| r.message.to_string())
                .collect::<Vec<_>>(),
        )?;
        Ok(d)
    }

    /// Fills as columns (fees as exact decimal text in the quote currency).
    fn fills<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let core = self.core_ref()?;
        let rows = &core.log().fills;
        let d = PyDict::new(py);
        d.set_item("ts", PyArray1::from_iter(py, rows.iter().map(|r| r.ts)))?;
        d.set_item(
            "order_id",
            PyArray1::from_iter(py, rows.iter().map(|r| r.order_id)),
        )?;
        d.set_item(
            "instrument",
            PyArray1::from_iter(py, rows.iter().map(|r| r.instrument)),
        )?;
        d.set_item(
            "side",
            rows.iter().map(|r| r.side.as_str()).collect::<Vec<_>>(),
        )?;
        d.set_item(
            "price",
            PyArray1::from_iter(py, rows.iter().map(|r| r.price)),
        )?;
        d.set_item(
            "quantity",
            PyArray1::from_iter(py, rows.iter().map(|r| r.quantity)),
        )?;
        d.set_item(
            "fee",
            rows.iter()
                .map(|r| core.portfolio().format_fee(r.instrument, r.fee))
                .collect::<Vec<_>>(),
        )?;
        d.set_item(
            "liquidity",
            rows.iter()
                .map(|r| r.liquidity.as_str())
                .collect::<Vec<_>>(),
        )?;
        Ok(d)
    }

    /// The equity curve as columns.
    fn equity<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let rows = &self.log()?.equity;
        let d = PyDict::new(py);
        d.set_item("ts", PyArray1::from_iter(py, rows.iter().map(|r| r.ts)))?;
        d.set_item(
            "equity",
            PyArray1::from_iter(py, rows.iter().map(|r| r.equity)),
        )?;
        d.set_item("cash", PyArray1::from_iter(py, rows.iter().map(|r| r.cash)))?;
        d.set_item(
            "gross_exposure",
            PyArray1::from_iter(py, rows.iter().map(|r| r.gross_exposure)),
        )?;
        Ok(d)
    }

    /// Final positions per instrument: net quantity (raw), realised and
    /// unrealised PnL, fees (quote currency floats), last price (raw).
    fn positions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let core = self.core_ref()?;
        let p = core.portfolio();
        let n = core.instrument_count() as u32;
        let rows = (0..n)
            .map(|i| position_floats(p, i))
            .collect::<PyResult<Vec<_>>>()?;
        let d = PyDict::new(py);
        d.set_item("instrument", PyArray1::from_iter(py, 0..n))?;
        d.set_item(
            "quantity",
            PyArray1::from_iter(py, rows.iter().map(|r| r.quantity)),
        )?;
        d.set_item(
            "avg_price",
            PyArray1::from_iter(py, rows.iter().map(|r| r.avg_price)),
        )?;
        d.set_item(
            "realized_pnl",
            PyArray1::from_iter(py, rows.iter().map(|r| r.realized)),
        )?;
        d.set_item(
            "unrealized_pnl",
            PyArray1::from_iter(py, rows.iter().map(|r| r.unrealized)),
        )?;
        d.set_item("fees", PyArray1::from_iter(py, rows.iter().map(|r| r.fees)))?;
        d.set_item(
            "last_price",
            PyArray1::from_iter(py, rows.iter().map(|r| r.last_price)),
        )?;
        Ok(d)
    }

    /// Final balances: `{currency: exact decimal text}`.
    fn balances(&self) -> PyResult<Vec<(String, String)>> {
        let p = self.core_ref()?.portfolio();
        let mut out = Vec::new();
        for (id, c) in p.currencies().iter() {
            out.push((c.code.to_string(), format_money(p.balance(id), c.precision)));
        }
        Ok(out)
    }

    /// Number of market-data records processed.
    fn records_processed(&self) -> PyResult<u64> {
        Ok(self.log()?.records)
    }

    /// The pre-trade risk audit trail (counts, denials and state changes).
    fn risk_audit<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        crate::risk_pretrade::audit_dict(py, self.core_ref()?.risk())
    }
}

impl PyBacktestEngine {
    /// Adds a stream to the feed (refused if its `ts_init` goes backwards).
    fn add_stream(&mut self, stream: Stream) -> PyResult<()> {
        self.feed.add(stream).map_err(|e| data_error(e.to_string()))
    }

    fn check_instrument(&self, instrument: u32) -> PyResult<()> {
        if instrument as usize >= self.infos.len() {
            return Err(config_error(format!(
                "instrument index {instrument} out of range (0..{})",
                self.infos.len()
            )));
        }
        Ok(())
    }

    fn core_ref(&self) -> PyResult<&EngineCore> {
        self.core
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("the engine has not run yet"))
    }

    fn log(&self) -> PyResult<&ferrox_engine::engine::RunLog> {
        Ok(self.core_ref()?.log())
    }
}

/// A position's numbers as floats (quote currency), for tables.
pub(super) struct PositionFloats {
    pub(super) quantity: i64,
    pub(super) avg_price: f64,
    pub(super) realized: f64,
    pub(super) unrealized: f64,
    pub(super) fees: f64,
    pub(super) last_price: f64,
}

pub(super) fn position_floats(p: &Portfolio, instrument: u32) -> PyResult<PositionFloats> {
    let r = p
        .position_report(instrument)
        .map_err(|e| config_error(e.to_string()))?;
    let money = 10f64.powi(i32::from(
        p.money_precision(r.quote_currency)
            .map_err(|e| config_error(e.to_string()))?,
    ));
    let pp = p
        .instruments()
        .get(instrument as usize)
        .map_or(0, |s| s.price_precision);
    let price = 10f64.powi(i32::from(pp));
    let avg = if r.net_quantity >= 0 {
        r.avg_long_price
    } else {
        r.avg_short_price
    };
    Ok(PositionFloats {
        quantity: r.net_quantity,
        avg_price: avg.map_or(f64::NAN, |a| a as f64 / price),
        realized: r.realized_pnl as f64 / money,
        unrealized: r.unrealized_pnl as f64 / money,
        fees: r.fees as f64 / money,
        last_price: r.mark_price.map_or(f64::NAN, |m| m as f64 / price),
    })
}

pub(super) fn same_len(what: &str, n: usize, others: &[usize]) -> PyResult<()> {
    if let Some(bad) = others.iter().find(|&&m| m != n) {
        return Err(data_error(format!(
            "{what}: columns have different lengths ({n} and {bad})"
        )));
    }
    Ok(())
}

pub(super) fn run_error(e: RunError) -> PyErr {
    PyRuntimeError::new_err(e.to_string())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn build_portfolio(
    account_type: AccountType,
    oms: OmsType,
    base: u16,
    balances: &[(u16, String)],
    leverage: Leverage,
    specs: Vec<InstrumentSpec>,
    currencies: CurrencyTable,
) -> PyResult<Portfolio> {
    let mut starting = Vec::new();
    for (id, text) in balances {
        let precision = currencies.get(*id).map_or(8, |c| c.precision);
        let raw = ferrox_engine::types::parse_fixed(text, precision)
            .map_err(|e| config_error(format!("starting balance {text:?}: {e}")))?;
        starting.push((*id, i128::from(raw)));
    }
    let config = PortfolioConfig {
        account_type,
        oms,
        base_currency: base,
        starting_balances: starting,
        leverage,
    };
    Portfolio::new(config, specs, currencies).map_err(|e| config_error(e.to_string()))
}

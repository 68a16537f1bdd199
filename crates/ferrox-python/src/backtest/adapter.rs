//! A Python `ferrox.backtest.Strategy` running inside the Rust loop: only the
//! callbacks its class overrides are called.

use pyo3::prelude::*;

use ferrox_engine::engine::{
    EngineCore, FillReport, Strategy, StrategyError, StrategyResult, Subscriptions,
};
use ferrox_engine::orders::{OrderEvent, OrderEventKind};
use ferrox_engine::types::{Bar, BookDelta, QuoteTick, TradeTick};

use super::context::PyContext;
use super::events::{PyBar, PyFill, PyOrderEvent, PyQuote, PyTrade};

// ---- the Python strategy adapter -----------------------------------------

/// Which callbacks a Python strategy class overrides.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Overrides {
    pub(super) trade: bool,
    pub(super) quote: bool,
    pub(super) book: bool,
    pub(super) bar: bool,
    pub(super) timer: bool,
    pub(super) order: bool,
    pub(super) fill: bool,
    pub(super) position: bool,
}

/// Runs a Python `ferrox.backtest.Strategy` inside the Rust loop.
pub(super) struct PyStrategyAdapter {
    pub(super) strategy: Py<PyAny>,
    pub(super) ctx: Py<PyContext>,
    pub(super) overrides: Overrides,
    pub(super) scales: Vec<(f64, f64)>,
    pub(super) error: Option<PyErr>,
}

impl PyStrategyAdapter {
    fn call<'py>(
        &mut self,
        py: Python<'py>,
        core: &mut EngineCore,
        name: &'static str,
        make_args: impl FnOnce(Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyTuple>>,
    ) -> StrategyResult {
        let ctx = self.ctx.bind(py).borrow();
        ctx.core.set(core as *mut EngineCore);
        let result = make_args(py)
            .and_then(|args| self.strategy.bind(py).call_method1(name, args).map(|_| ()));
        ctx.core.set(std::ptr::null_mut());
        result.map_err(|e| {
            let message = e.to_string();
            self.error = Some(e);
            StrategyError {
                callback: name,
                message,
            }
        })
    }

    fn scale(&self, instrument: u32) -> (f64, f64) {
        self.scales
            .get(instrument as usize)
            .copied()
            .unwrap_or((1.0, 1.0))
    }
}

impl Strategy for PyStrategyAdapter {
    fn subscriptions(&self) -> Subscriptions {
        Subscriptions {
            trades: self.overrides.trade,
            quotes: self.overrides.quote,
            book: self.overrides.book,
            bars: self.overrides.bar,
        }
    }

    fn on_start(&mut self, ctx: &mut EngineCore) -> StrategyResult {
        Python::attach(|py| {
            self.call(py, ctx, "on_start", |py| {
                Ok(pyo3::types::PyTuple::empty(py))
            })
        })
    }

    fn on_stop(&mut self, ctx: &mut EngineCore) -> StrategyResult {
        Python::attach(|py| self.call(py, ctx, "on_stop", |py| Ok(pyo3::types::PyTuple::empty(py))))
    }

    fn on_trade(&mut self, ctx: &mut EngineCore, trade: &TradeTick) -> StrategyResult {
        let (scale, vscale) = self.scale(trade.instrument);
        let trade = *trade;
        Python::attach(|py| {
            self.call(py, ctx, "on_trade", |py| {
                (Py::new(
                    py,
                    PyTrade {
                        trade,
                        scale,
                        vscale,
                    },
                )?,)
                    .into_pyobject(py)
            })
        })
    }

    fn on_quote(&mut self, ctx: &mut EngineCore, quote: &QuoteTick) -> StrategyResult {
        let (scale, vscale) = self.scale(quote.instrument);
        let quote = *quote;
        Python::attach(|py| {
            self.call(py, ctx, "on_quote", |py| {
                (Py::new(
                    py,
                    PyQuote {
                        quote,
                        scale,
                        vscale,
                    },
                )?,)
                    .into_pyobject(py)
            })
        })
    }

    fn on_book(&mut self, ctx: &mut EngineCore, delta: &BookDelta) -> StrategyResult {
        let instrument = delta.instrument;
        Python::attach(|py| self.call(py, ctx, "on_book", |py| (instrument,).into_pyobject(py)))
    }

    fn on_bar(&mut self, ctx: &mut EngineCore, bar: &Bar) -> StrategyResult {
        let (scale, vscale) = self.scale(bar.instrument);
        let bar = *bar;
        Python::attach(|py| {
            self.call(py, ctx, "on_bar", |py| {
                (Py::new(py, PyBar { bar, scale, vscale })?,).into_pyobject(py)
            })
        })
    }

    fn on_timer(&mut self, ctx: &mut EngineCore, timer_id: u64) -> StrategyResult {
        if !self.overrides.timer {
            return Ok(());
        }
        Python::attach(|py| self.call(py, ctx, "on_timer", |py| (timer_id,).into_pyobject(py)))
    }

    fn on_order(&mut self, ctx: &mut EngineCore, event: &OrderEvent) -> StrategyResult {
        if !self.overrides.order {
            return Ok(());
        }
        let (code, message) = match &event.kind {
            OrderEventKind::Denied { code, message }
            | OrderEventKind::Rejected { code, message } => (*code, message.to_string()),
            OrderEventKind::CancelRejected { message }
            | OrderEventKind::ModifyRejected { message } => ("", message.to_string()),
            _ => ("", String::new()),
        };
        let ev = PyOrderEvent {
            order_id: event.order_id,
            event: event.kind.name(),
            code,
            message,
            ts: event.ts,
        };
        Python::attach(|py| {
            self.call(py, ctx, "on_order", |py| {
                (Py::new(py, ev)?,).into_pyobject(py)
            })
        })
    }

    fn on_fill(&mut self, ctx: &mut EngineCore, fill: &FillReport) -> StrategyResult {
        if !self.overrides.fill {
            return Ok(());
        }
        let (scale, vscale) = self.scale(fill.instrument);
        let f = PyFill {
            order_id: fill.order_id,
            instrument: fill.instrument,
            side: fill.side.as_str(),
            price: fill.price as f64 / scale,
            quantity: fill.quantity as f64 / vscale,
            price_raw: fill.price,
            quantity_raw: fill.quantity,
            liquidity: fill.liquidity.as_str(),
            ts: fill.ts,
        };
        Python::attach(|py| {
            self.call(py, ctx, "on_fill", |py| {
                (Py::new(py, f)?,).into_pyobject(py)
            })
        })
    }

    fn on_position(&mut self, ctx: &mut EngineCore, instrument: u32) -> StrategyResult {
        if !self.overrides.position {
            return Ok(());
        }
        Python::attach(|py| self.call(py, ctx, "on_position", |py| (instrument,).into_pyobject(py)))
    }
}

pub(super) fn overrides_of(strategy: &Bound<'_, PyAny>) -> PyResult<Overrides> {
    let py = strategy.py();
    let cls = strategy.get_type();
    let base = py.import("ferrox.backtest.strategy")?.getattr("Strategy")?;
    let differs = |name: &str| -> PyResult<bool> {
        let mine = cls.getattr(name)?;
        let theirs = base.getattr(name)?;
        Ok(!mine.is(&theirs))
    };
    Ok(Overrides {
        trade: differs("on_trade")?,
        quote: differs("on_quote")?,
        book: differs("on_book")?,
        bar: differs("on_bar")?,
        timer: differs("on_timer")?,
        order: differs("on_order")?,
        fill: differs("on_fill")?,
        position: differs("on_position")?,
    })
}

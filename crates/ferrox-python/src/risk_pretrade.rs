//! Bindings for the pre-trade risk engine: building it from flattened
//! `(scope, key, value)` settings, its audit trail as columns, the kill-switch
//! scope parser, and the Rust-side timing loop of the full check.

use ferrox_engine::engine::InstrumentInfo;
use ferrox_engine::risk::pretrade::{
    bench, AuditKind, InstrumentPrecision, RiskConfig, RiskEngine, Scope,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::config_error;

/// Builds the risk engine for `infos` from `(scope, key, value)` settings;
/// a bad setting is a `ConfigError` naming scope, key and value.
pub fn build_risk(
    settings: &[(String, String, String)],
    infos: &[InstrumentInfo],
) -> PyResult<RiskEngine> {
    let precisions: Vec<InstrumentPrecision> = infos
        .iter()
        .map(|i| InstrumentPrecision {
            price_precision: i.price_precision,
            size_precision: i.size_precision,
        })
        .collect();
    let config = RiskConfig::from_settings(settings, &precisions)
        .map_err(|e| config_error(e.to_string()))?;
    Ok(RiskEngine::new(config))
}

/// Parses a kill-switch scope: `all`, `account`, `strategy:N`, `instrument:N`.
pub fn parse_scope(text: &str) -> PyResult<Scope> {
    Scope::parse(text).map_err(|e| config_error(e.to_string()))
}

/// The audit trail: pass/deny counts, denials by code, and the records
/// (denials and state changes) as columns.
pub fn audit_dict<'py>(py: Python<'py>, risk: &RiskEngine) -> PyResult<Bound<'py, PyDict>> {
    let audit = risk.audit();
    let d = PyDict::new(py);
    d.set_item("passed", audit.passed)?;
    d.set_item("denied", audit.denied)?;
    d.set_item("dropped", audit.dropped)?;
    d.set_item("denied_by_code", audit.denied_by_code.clone())?;
    let n = audit.records.len();
    let mut ts = Vec::with_capacity(n);
    let mut kind = Vec::with_capacity(n);
    let mut order_id: Vec<Option<u64>> = Vec::with_capacity(n);
    let mut scope = Vec::with_capacity(n);
    let mut code = Vec::with_capacity(n);
    let mut message = Vec::with_capacity(n);
    let mut who = Vec::with_capacity(n);
    let mut state = Vec::with_capacity(n);
    let mut cancelled = Vec::with_capacity(n);
    for r in &audit.records {
        ts.push(r.ts);
        match &r.kind {
            AuditKind::Denied {
                order_id: id,
                instrument,
                code: c,
                message: m,
            } => {
                kind.push("DENIED");
                order_id.push(Some(*id));
                scope.push(format!("instrument:{instrument}"));
                code.push(*c);
                message.push(m.to_string());
                who.push(String::new());
                state.push("");
                cancelled.push(0u32);
            }
            AuditKind::StateChange {
                scope: s,
                from: _,
                to,
                code: c,
                who: w,
                why,
                cancelled: k,
            } => {
                kind.push("STATE_CHANGE");
                order_id.push(None);
                scope.push(s.to_string());
                code.push(*c);
                message.push(why.to_string());
                who.push(w.to_string());
                state.push(to.as_str());
                cancelled.push(*k);
            }
        }
    }
    let records = PyDict::new(py);
    records.set_item("ts", ts)?;
    records.set_item("kind", kind)?;
    records.set_item("order_id", order_id)?;
    records.set_item("scope", scope)?;
    records.set_item("code", code)?;
    records.set_item("message", message)?;
    records.set_item("who", who)?;
    records.set_item("state", state)?;
    records.set_item("cancelled", cancelled)?;
    d.set_item("records", records)?;
    Ok(d)
}

/// Mean nanoseconds of one full pre-trade check with every control on,
/// measured in Rust over `iterations` passing orders with `open_orders`
/// working orders (the GIL is released while it runs).
#[pyfunction]
#[pyo3(signature = (iterations=1_000_000, open_orders=10))]
fn bench_pretrade_check(py: Python<'_>, iterations: u64, open_orders: u32) -> PyResult<f64> {
    py.detach(|| bench::time_full_check(iterations, open_orders))
        .map_err(config_error)
}

/// Registers the pre-trade risk functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(bench_pretrade_check, m)?)?;
    Ok(())
}

//! A timing loop for the full pre-trade check, for `benchmarks/bench_risk.py`
//! (through the bindings). Wall-clock time is read here only to measure; it
//! never reaches a run's results.

use std::time::Instant;

use super::{RiskConfig, RiskEngine, RiskView};
use crate::engine::{EngineConfig, EngineCore, InstrumentInfo};
use crate::matching::{ExchangeConfig, MatchingEngine, SimulatedExchange};
use crate::orders::{OrderRequest, OrderSide};
use crate::portfolio::{
    CurrencyTable, FeeModel, InstrumentSpec, Leverage, OmsType, Portfolio, PortfolioConfig,
};

/// Every control on, limits wide enough that the benchmark orders pass.
pub const ALL_CONTROLS: &[(&str, &str, &str)] = &[
    ("account", "max_order_quantity", "1000"),
    ("account", "min_order_quantity", "0.001"),
    ("account", "max_order_notional", "10000000"),
    ("account", "min_order_notional", "1"),
    ("account", "max_position_quantity", "100000"),
    ("account", "max_position_notional", "1000000000"),
    ("account", "max_gross_exposure", "1000000000"),
    ("account", "max_net_exposure", "1000000000"),
    ("account", "check_buying_power", "true"),
    ("account", "max_orders_per_second", "100000"),
    ("account", "max_cancels_per_second", "100000"),
    ("account", "max_order_to_trade_ratio", "1000000000"),
    ("account", "duplicate_window_ms", "1"),
    ("account", "self_trade_prevention", "true"),
    ("account", "max_daily_loss", "1000000"),
    ("account", "reduce_at_daily_loss", "500000"),
    ("account", "max_drawdown", "1000000"),
    ("account", "reduce_at_drawdown", "500000"),
    ("strategy:0", "max_order_notional", "10000000"),
    ("strategy:0", "max_orders_per_second", "100000"),
    ("strategy:0", "max_drawdown", "1000000"),
    ("instrument:0", "tick_size", "0.01"),
    ("instrument:0", "lot_size", "0.001"),
    ("instrument:0", "price_band_pct", "10"),
    ("instrument:0", "fat_finger_pct", "5"),
    ("instrument:0", "max_position_quantity", "1000"),
    ("instrument:0", "max_orders_per_second", "100000"),
];

/// A core with `n_instruments` instruments (prices at 2 decimals, sizes at
/// 3, quoted in USDT, margin account of 1,000,000 USDT, leverage 10) under
/// `settings`; only instrument 0 is marked at 100.00.
pub fn demo_core(
    n_instruments: usize,
    settings: &[(&str, &str, &str)],
) -> Result<EngineCore, String> {
    let mut currencies = CurrencyTable::new();
    let usdt = currencies.add("USDT", 8).map_err(|e| e.to_string())?;
    let spec = InstrumentSpec {
        price_precision: 2,
        size_precision: 3,
        multiplier: 1,
        quote_currency: usdt,
        base_currency: None,
    };
    let leverage = Leverage::new(10, 1).map_err(|e| e.to_string())?;
    let portfolio = Portfolio::new(
        PortfolioConfig::margin(usdt, 1_000_000 * 100_000_000, OmsType::Netting, leverage),
        vec![spec; n_instruments],
        currencies,
    )
    .map_err(|e| e.to_string())?;
    let venues = (0..n_instruments)
        .map(|i| {
            SimulatedExchange::new(i as u32, ExchangeConfig::default())
                .map(|v| Box::new(v) as Box<dyn MatchingEngine + Send>)
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let fees = vec![FeeModel::parse("0.0002", "0.0004").map_err(|e| e.to_string())?; n_instruments];
    let infos = vec![
        InstrumentInfo {
            price_precision: 2,
            size_precision: 3,
        };
        n_instruments
    ];
    let mut core = EngineCore::new(EngineConfig::default(), infos, venues, fees, portfolio);
    let owned: Vec<(String, String, String)> = settings
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    let precisions = vec![
        super::InstrumentPrecision {
            price_precision: 2,
            size_precision: 3,
        };
        n_instruments
    ];
    let config = RiskConfig::from_settings(&owned, &precisions).map_err(|e| e.to_string())?;
    core.set_risk(RiskEngine::new(config));
    core.now = 1_700_000_000_000_000_000;
    if n_instruments > 0 {
        core.portfolio
            .mark_price(0, 10_000)
            .map_err(|e| e.to_string())?;
    }
    Ok(core)
}

/// Mean nanoseconds of one full check (every control on) over
/// `iterations` passing orders, with `open_orders` working orders resting.
pub fn time_full_check(iterations: u64, open_orders: u32) -> Result<f64, String> {
    let mut core = demo_core(1, ALL_CONTROLS)?;
    for k in 0..open_orders {
        // Resting bids below the market, inside the 10 % band: working, not
        // crossing our asks, no two alike (the duplicate check).
        let k = i64::from(k);
        core.submit(OrderRequest::limit(
            0,
            OrderSide::Buy,
            100 + k / 800,
            9_900 - k % 800,
        ));
    }
    if core.open.len() != open_orders as usize {
        return Err(format!(
            "{} of {open_orders} working orders passed the checks: {:?}",
            core.open.len(),
            core.risk.audit().records.first()
        ));
    }
    let passed_before = core.risk.audit().passed;
    let start = Instant::now();
    for k in 0..iterations {
        core.now += 2_000_000;
        let request = OrderRequest::limit(0, OrderSide::Sell, 1_000 + (k % 7) as i64, 10_010);
        let view = RiskView {
            now: core.now,
            order_id: k + 1_000_000,
            portfolio: &core.portfolio,
            orders: &core.orders,
            open: &core.open,
            venues: &core.venues,
            fees: &core.fees,
        };
        if let Err((code, message)) = core.risk.check(&request, &view) {
            return Err(format!("benchmark order denied: {code}: {message}"));
        }
        // The order is not sent: forget it so the working orders stay
        // `open_orders` (the forgetting is inside the timing, a few ns).
        core.risk.discard(k + 1_000_000);
    }
    let elapsed = start.elapsed().as_nanos() as f64;
    debug_assert_eq!(core.risk.audit().passed - passed_before, iterations);
    Ok(elapsed / iterations.max(1) as f64)
}

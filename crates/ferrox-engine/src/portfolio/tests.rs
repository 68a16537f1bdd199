//! Portfolio specifications: hand-checked unit cases and property tests over
//! random fill sequences for both OMS types and both account types.

// Prices are written as `dollars_cents` (`100_00` = 100.00 at 2 decimals) so a reader
// sees the decimal point.
#![allow(clippy::inconsistent_digit_grouping)]

use super::*;
use crate::orders::{LiquiditySide, OrderSide};

const USDT: CurrencyId = 0;
const BTC: CurrencyId = 1;
/// 1 USDT at precision 8.
const ONE: i128 = 100_000_000;

/// USDT and BTC at 8 decimals; BTCUSDT prices at 2 decimals, sizes at 3.
fn currencies() -> CurrencyTable {
    let mut t = CurrencyTable::new();
    assert_eq!(t.add("USDT", 8).unwrap(), USDT);
    assert_eq!(t.add("BTC", 8).unwrap(), BTC);
    t
}

fn btcusdt() -> InstrumentSpec {
    InstrumentSpec {
        price_precision: 2,
        size_precision: 3,
        multiplier: 1,
        quote_currency: USDT,
        base_currency: Some(BTC),
    }
}

fn margin(oms: OmsType) -> Portfolio {
    let config = PortfolioConfig::margin(USDT, 10_000 * ONE, oms, Leverage::new(10, 1).unwrap());
    Portfolio::new(config, vec![btcusdt()], currencies()).unwrap()
}

fn cash() -> Portfolio {
    Portfolio::new(
        PortfolioConfig::cash(USDT, 100_000 * ONE),
        vec![btcusdt()],
        currencies(),
    )
    .unwrap()
}

/// A fill of `qty` (in thousandths) at `price` (in cents), no fee.
fn fill(side: OrderSide, price: i64, qty: i64) -> Fill {
    Fill {
        instrument: 0,
        side,
        price,
        quantity: qty,
        fee: 0,
        reduce_only: false,
        ts: 0,
    }
}

fn reduce(side: OrderSide, price: i64, qty: i64) -> Fill {
    Fill {
        reduce_only: true,
        ..fill(side, price, qty)
    }
}

use OrderSide::{Buy, Sell};

#[test]
fn average_price_after_adds_is_the_quantity_weighted_cost() {
    let mut p = margin(OmsType::Netting);
    p.apply_fill(&fill(Buy, 100_00, 1_000)).unwrap();
    p.apply_fill(&fill(Buy, 200_00, 3_000)).unwrap();
    let r = p.position_report(0).unwrap();
    assert_eq!(r.net_quantity, 4_000);
    assert_eq!(r.long_cost, 700 * ONE);
    assert_eq!(r.avg_long_price, Some(175_00));
}

#[test]
fn partial_close_realises_pnl_against_the_average_price() {
    let mut p = margin(OmsType::Netting);
    p.apply_fill(&fill(Buy, 100_00, 1_000)).unwrap();
    p.apply_fill(&fill(Buy, 200_00, 3_000)).unwrap();
    let effect = p.apply_fill(&fill(Sell, 200_00, 1_000)).unwrap();
    assert_eq!(effect.realized_pnl, 25 * ONE);
    assert_eq!((effect.closed, effect.opened), (1_000, 0));
    let r = p.position_report(0).unwrap();
    assert_eq!(r.long_cost, 525 * ONE);
    assert_eq!(r.avg_long_price, Some(175_00));
    assert_eq!(p.balance(USDT), 10_025 * ONE);
}

#[test]
fn partial_close_floors_the_removed_cost_and_the_last_close_takes_the_rest() {
    let mut t = CurrencyTable::new();
    let jpy = t.add("JPY", 0).unwrap();
    let spec = InstrumentSpec {
        price_precision: 0,
        size_precision: 0,
        multiplier: 1,
        quote_currency: jpy,
        base_currency: None,
    };
    let config = PortfolioConfig::margin(jpy, 0, OmsType::Netting, Leverage::default());
    let mut p = Portfolio::new(config, vec![spec], t).unwrap();
    for price in [10, 10, 11] {
        p.apply_fill(&fill(Buy, price, 1)).unwrap();
    }
    // cost 31 for 3: removing 1 takes floor(31/3) = 10, leaving 21.
    assert_eq!(p.apply_fill(&fill(Sell, 11, 1)).unwrap().realized_pnl, 1);
    assert_eq!(p.position(0).unwrap().long.cost, 21);
    assert_eq!(p.apply_fill(&fill(Sell, 11, 2)).unwrap().realized_pnl, 1);
    assert_eq!(p.position(0).unwrap().long, Leg::default());
    assert_eq!(p.realized_pnl(jpy), 33 - 31);
}

#[test]
fn netting_fill_through_zero_closes_then_opens_the_other_side() {
    let mut p = margin(OmsType::Netting);
    p.apply_fill(&fill(Buy, 100_00, 1_000)).unwrap();
    let effect = p.apply_fill(&fill(Sell, 110_00, 3_000)).unwrap();
    assert_eq!((effect.closed, effect.opened), (1_000, 2_000));
    assert_eq!(effect.realized_pnl, 10 * ONE);
    let r = p.position_report(0).unwrap();
    assert_eq!(
        (r.net_quantity, r.long_quantity, r.short_quantity),
        (-2_000, 0, 2_000)
    );
    assert_eq!(r.short_cost, 220 * ONE);
    assert_eq!(r.avg_short_price, Some(110_00));
}

#[test]
fn hedging_keeps_both_legs_and_reduce_only_closes_the_opposite_leg() {
    let mut p = margin(OmsType::Hedging);
    p.apply_fill(&fill(Buy, 100_00, 1_000)).unwrap();
    p.apply_fill(&fill(Sell, 110_00, 1_000)).unwrap();
    let r = p.position_report(0).unwrap();
    assert_eq!(
        (r.net_quantity, r.long_quantity, r.short_quantity),
        (0, 1_000, 1_000)
    );
    assert_eq!(r.realized_pnl, 0);
    // A reduce-only sell closes the long leg.
    let effect = p.apply_fill(&reduce(Sell, 120_00, 1_000)).unwrap();
    assert_eq!(effect.realized_pnl, 20 * ONE);
    let r = p.position_report(0).unwrap();
    assert_eq!((r.long_quantity, r.short_quantity), (0, 1_000));
}

#[test]
fn hedging_reduce_only_beyond_its_leg_books_the_excess_on_the_other_leg() {
    let mut p = margin(OmsType::Hedging);
    p.apply_fill(&fill(Sell, 100_00, 1_000)).unwrap();
    let effect = p.apply_fill(&reduce(Buy, 90_00, 2_500)).unwrap();
    assert_eq!(
        (effect.closed, effect.opened, effect.reduce_only_excess),
        (1_000, 1_500, 1_500)
    );
    assert_eq!(effect.realized_pnl, 10 * ONE);
    let r = p.position_report(0).unwrap();
    assert_eq!((r.short_quantity, r.long_quantity), (0, 1_500));
    assert_eq!(r.avg_long_price, Some(90_00));
}

#[test]
fn netting_reduce_only_beyond_the_position_flips_and_reports_the_excess() {
    let mut p = margin(OmsType::Netting);
    p.apply_fill(&fill(Buy, 100_00, 1_000)).unwrap();
    let effect = p.apply_fill(&reduce(Sell, 100_00, 1_001)).unwrap();
    assert_eq!(effect.reduce_only_excess, 1);
    assert_eq!(p.net_quantity(0), -1);
}

#[test]
fn fee_is_rate_times_notional_rounded_half_to_even() {
    let mut t = CurrencyTable::new();
    let usd = t.add("USD", 2).unwrap();
    let spec = InstrumentSpec {
        price_precision: 2,
        size_precision: 0,
        multiplier: 1,
        quote_currency: usd,
        base_currency: None,
    };
    let fees = FeeModel::parse("-0.001", "0.001").unwrap();
    let taker = |price| fees.fee(price, 1, LiquiditySide::Taker, &spec, 2).unwrap();
    assert_eq!(taker(5_00), 0); // 0.005 -> 0.00 (even)
    assert_eq!(taker(15_00), 2); // 0.015 -> 0.02 (even)
    assert_eq!(taker(25_00), 2); // 0.025 -> 0.02 (even)
    assert_eq!(taker(26_00), 3); // 0.026 -> 0.03
    assert_eq!(
        fees.fee(35_00, 1, LiquiditySide::Maker, &spec, 2).unwrap(),
        -4
    ); // -0.035 -> -0.04
}

#[test]
fn fee_uses_the_contract_multiplier() {
    let spec = InstrumentSpec {
        multiplier: 100,
        ..btcusdt()
    };
    let fees = FeeModel::parse("0", "0.0004").unwrap();
    // 0.5 contracts x 100 x 60000.00 = 3,000,000 notional; 4 bp = 1200.
    let fee = fees
        .fee(60_000_00, 500, LiquiditySide::Taker, &spec, 8)
        .unwrap();
    assert_eq!(fee, 1_200 * ONE);
}

#[test]
fn negative_taker_rate_is_a_config_error() {
    let err = FeeModel::parse("0.0002", "-0.0004").unwrap_err();
    assert!(err.to_string().contains("-0.0004"), "{err}");
}

#[test]
fn rate_text_that_is_not_a_decimal_is_refused() {
    assert!(matches!(
        Rate::parse("2bp"),
        Err(PortfolioError::BadRate { .. })
    ));
    assert_eq!(
        Rate::parse("0.00020").unwrap(),
        Rate::from_raw(2, 4).unwrap()
    );
}

#[test]
fn cash_buy_pays_quote_and_fee_and_credits_base() {
    let mut p = cash();
    let fees = FeeModel::parse("0.0002", "0.0004").unwrap();
    let fee = fees
        .fee(60_000_00, 500, LiquiditySide::Taker, &btcusdt(), 8)
        .unwrap();
    assert_eq!(fee, 12 * ONE);
    p.apply_fill(&Fill {
        fee,
        ..fill(Buy, 60_000_00, 500)
    })
    .unwrap();
    assert_eq!(p.balance(USDT), (100_000 - 30_000 - 12) * ONE);
    assert_eq!(p.balance(BTC), ONE / 2);
    p.verify().unwrap();
}

#[test]
fn cash_equity_values_the_base_balance_at_the_mark() {
    let mut p = cash();
    p.apply_fill(&fill(Buy, 60_000_00, 500)).unwrap();
    p.mark_price(0, 62_000_00).unwrap();
    assert_eq!(p.equity_base(), 101_000.0);
    assert_eq!(p.unrealized_pnl(0).unwrap(), 1_000 * ONE);
}

#[test]
fn margin_balance_moves_only_by_realised_pnl_and_fees() {
    let mut p = margin(OmsType::Netting);
    p.apply_fill(&Fill {
        fee: 3 * ONE,
        ..fill(Buy, 60_000_00, 1_000)
    })
    .unwrap();
    assert_eq!(p.balance(USDT), 10_000 * ONE - 3 * ONE);
    p.mark_price(0, 61_000_00).unwrap();
    assert_eq!(p.equity_base(), 10_000.0 - 3.0 + 1_000.0);
    assert_eq!(p.margin_used_base(), 6_100.0);
    p.apply_fill(&Fill {
        fee: 3 * ONE,
        ..fill(Sell, 61_000_00, 1_000)
    })
    .unwrap();
    assert_eq!(p.balance(USDT), (10_000 + 1_000 - 6) * ONE);
    assert_eq!(p.margin_used_base(), 0.0);
    p.verify().unwrap();
}

#[test]
fn margin_buying_power_is_free_margin_times_leverage() {
    let mut p = margin(OmsType::Netting);
    p.apply_fill(&fill(Buy, 50_000_00, 1_000)).unwrap();
    // equity 10,000, margin used 5,000, free 5,000, x10 = 50,000.
    assert_eq!(p.free_margin_base(), 5_000.0);
    assert_eq!(p.buying_power_base(), 50_000.0);
    assert!(!p
        .would_exceed_buying_power(0, Buy, 1_000, 50_000_00, false, 0)
        .unwrap());
    assert!(p
        .would_exceed_buying_power(0, Buy, 1_001, 50_000_00, false, 0)
        .unwrap());
    // Selling closes first: only 1.001 - 1.000 opens.
    assert!(!p
        .would_exceed_buying_power(0, Sell, 2_000, 50_000_00, false, 0)
        .unwrap());
}

#[test]
fn cash_account_cannot_buy_more_than_its_cash_or_sell_what_it_lacks() {
    let p = cash();
    assert!(!p
        .would_exceed_buying_power(0, Buy, 1_000, 100_000_00, false, 0)
        .unwrap());
    assert!(p
        .would_exceed_buying_power(0, Buy, 1_000, 100_000_00, false, 1)
        .unwrap());
    assert!(p
        .would_exceed_buying_power(0, Sell, 1, 100_000_00, false, 0)
        .unwrap());
}

#[test]
fn pnl_in_a_foreign_quote_currency_converts_at_the_rate_from_data() {
    let mut t = currencies();
    let eth = t.add("ETH", 8).unwrap();
    let ethbtc = InstrumentSpec {
        price_precision: 5,
        size_precision: 3,
        multiplier: 1,
        quote_currency: BTC,
        base_currency: Some(eth),
    };
    let config = PortfolioConfig::margin(USDT, 1_000 * ONE, OmsType::Netting, Leverage::default());
    let mut p = Portfolio::new(config, vec![btcusdt(), ethbtc], t).unwrap();
    p.apply_fill(&Fill {
        instrument: 1,
        ..fill(Buy, 5_000, 10_000)
    })
    .unwrap(); // 10 ETH @ 0.05
    p.mark_price(1, 5_500).unwrap(); // +0.05 BTC
    assert!(p.equity_base().is_nan());
    assert!(matches!(
        p.try_equity_base(),
        Err(PortfolioError::NoRate { .. })
    ));
    p.mark_price(0, 60_000_00).unwrap(); // BTC -> USDT from BTCUSDT
    assert_eq!(p.equity_base(), 1_000.0 + 0.05 * 60_000.0);
    // ETH -> USDT goes through BTC (ETHBTC mark x BTCUSDT mark).
    assert!((p.rate(eth, USDT).unwrap() - 0.055 * 60_000.0).abs() < 1e-9);
    p.set_rate(BTC, USDT, 50_000.0).unwrap();
    assert_eq!(p.equity_base(), 1_000.0 + 0.05 * 50_000.0);
}

#[test]
fn invalid_inputs_are_refused_with_their_numbers() {
    let mut p = margin(OmsType::Netting);
    let err = p
        .apply_fill(&Fill {
            instrument: 3,
            ..fill(Buy, 1, 1)
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown instrument #3 (the portfolio has 1)"
    );
    let err = p.apply_fill(&fill(Buy, 1, 0)).unwrap_err();
    assert!(err.to_string().contains("quantity 0"), "{err}");
    assert!(p.set_rate(USDT, BTC, 0.0).is_err());
    assert!(p.mark_price(9, 1).is_err());
}

#[test]
fn cash_account_refuses_a_base_currency_coarser_than_the_size_precision() {
    let mut t = CurrencyTable::new();
    let usdt = t.add("USDT", 8).unwrap();
    let btc = t.add("BTC", 2).unwrap();
    let spec = InstrumentSpec {
        quote_currency: usdt,
        base_currency: Some(btc),
        ..btcusdt()
    };
    let err = Portfolio::new(PortfolioConfig::cash(usdt, 0), vec![spec], t).unwrap_err();
    assert!(err.to_string().contains("precision 2"), "{err}");
}

#[test]
fn portfolio_fee_uses_the_instruments_quote_precision() {
    let p = margin(OmsType::Netting);
    let fees = FeeModel::parse("0.0002", "0.0004").unwrap();
    // 0.001 BTC x 61800.30 x 2 bp = 0.01236006 USDT.
    let fee = p.fee(&fees, 0, 61_800_30, 1, LiquiditySide::Maker).unwrap();
    assert_eq!(fee, 1_236_006);
}

#[test]
fn negative_starting_balance_is_a_config_error() {
    let config = PortfolioConfig::cash(USDT, -ONE);
    let err = Portfolio::new(config, vec![btcusdt()], currencies()).unwrap_err();
    assert!(err.to_string().contains("-1.00000000"), "{err}");
}

#[test]
fn reporting_numbers_are_in_currency_units() {
    let mut p = margin(OmsType::Netting);
    p.apply_fill(&Fill {
        fee: ONE / 4,
        ..fill(Buy, 100_00, 2_000)
    })
    .unwrap();
    p.apply_fill(&fill(Sell, 110_00, 1_000)).unwrap();
    p.mark_price(0, 90_00).unwrap();
    assert_eq!(p.realized_pnl_f64(0), 10.0);
    assert_eq!(p.unrealized_pnl_f64(0), -10.0);
    assert_eq!(p.cash_base(), 10_000.0 + 10.0 - 0.25);
    assert_eq!(p.format_fee(0, ONE / 4), "0.25000000");
}

#[test]
fn leverage_parses_decimal_text() {
    let l = Leverage::parse("2.5").unwrap();
    assert_eq!(l.as_f64(), 2.5);
    assert!(Leverage::parse("0").is_err());
}

#[test]
fn money_formats_beyond_64_bits() {
    assert_eq!(format_money(-12_345, 2), "-123.45");
    assert_eq!(
        format_money(10i128.pow(20) + 5, 2),
        "1000000000000000000.05"
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    struct Step {
        side: OrderSide,
        price: i64,
        qty: i64,
        reduce_only: bool,
        fee: i128,
        mark: i64,
    }

    fn step() -> impl Strategy<Value = Step> {
        (
            any::<bool>(),
            1i64..2_000,
            1i64..60,
            any::<bool>(),
            -5i128..20,
            1i64..2_000,
        )
            .prop_map(|(buy, price, qty, reduce_only, fee, mark)| Step {
                side: if buy { Buy } else { Sell },
                price,
                qty,
                reduce_only,
                fee,
                mark,
            })
    }

    /// One instrument, prices at 2 and sizes at 2 decimals, quote money at
    /// `money_precision` (below 4, notionals round).
    fn portfolio(account: AccountType, oms: OmsType, money_precision: u8) -> Portfolio {
        let mut t = CurrencyTable::new();
        let usd = t.add("USD", money_precision).unwrap();
        let asset = t.add("ASSET", 4).unwrap();
        let spec = InstrumentSpec {
            price_precision: 2,
            size_precision: 2,
            multiplier: 1,
            quote_currency: usd,
            base_currency: Some(asset),
        };
        let start = 1_000_000 * 10i128.pow(u32::from(money_precision));
        let config = PortfolioConfig {
            account_type: account,
            oms,
            base_currency: usd,
            starting_balances: vec![(usd, start)],
            leverage: Leverage::new(5, 1).unwrap(),
        };
        Portfolio::new(config, vec![spec], t).unwrap()
    }

    fn gcd(mut a: i128, mut b: i128) -> i128 {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a.max(1)
    }

    fn kinds() -> impl Strategy<Value = (AccountType, OmsType)> {
        prop_oneof![
            Just((AccountType::Cash, OmsType::Netting)),
            Just((AccountType::Cash, OmsType::Hedging)),
            Just((AccountType::Margin, OmsType::Netting)),
            Just((AccountType::Margin, OmsType::Hedging)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn books_reconcile_after_every_fill(
            (account, oms) in kinds(),
            money_precision in 0u8..7,
            steps in proptest::collection::vec(step(), 1..60),
        ) {
            let mut p = portfolio(account, oms, money_precision);
            let scale = 10f64.powi(i32::from(money_precision));
            let mut signed_sum = 0i64;
            for s in &steps {
                let f = Fill {
                    instrument: 0,
                    side: s.side,
                    price: s.price,
                    quantity: s.qty,
                    fee: s.fee,
                    reduce_only: s.reduce_only,
                    ts: 0,
                };
                let before = *p.position(0).unwrap();
                let effect = p.apply_fill(&f).map_err(|e| TestCaseError::fail(e.to_string()))?;
                signed_sum += s.side.sign() * s.qty;
                prop_assert_eq!(effect.closed + effect.opened, s.qty);
                if !s.reduce_only {
                    prop_assert_eq!(effect.reduce_only_excess, 0);
                } else {
                    let leg = if s.side == Buy { before.short } else { before.long };
                    prop_assert_eq!(effect.reduce_only_excess, (s.qty - leg.quantity).max(0));
                }
                p.mark_price(0, s.mark).unwrap();
                let pos = *p.position(0).unwrap();
                // Position always equals the signed sum of the fills.
                prop_assert_eq!(pos.net_quantity(), signed_sum);
                // Legs never go negative; netting never holds both.
                prop_assert!(pos.long.quantity >= 0 && pos.short.quantity >= 0);
                if oms == OmsType::Netting {
                    prop_assert!(pos.long.quantity == 0 || pos.short.quantity == 0);
                }
                // The exact integer identities of the module docs.
                p.verify().map_err(|e| TestCaseError::fail(e.to_string()))?;
                // Equity == start + realised − fees + unrealised (cash: up to the
                // rounding of the mark notional, one unit per leg).
                let expected = (p.starting_balance(0) + p.realized_pnl(0) - p.fees_paid(0)
                    + p.unrealized_pnl(0).unwrap()) as f64 / scale;
                let tolerance = match account {
                    AccountType::Margin => 1e-6,
                    AccountType::Cash => 2.0 / scale + 1e-6,
                };
                let equity = p.equity_base();
                prop_assert!((equity - expected).abs() <= tolerance * expected.abs().max(1.0),
                    "equity {} expected {}", equity, expected);
            }
        }

        #[test]
        fn flat_position_realises_exactly_the_cash_flows_of_its_fills(
            oms in prop_oneof![Just(OmsType::Netting), Just(OmsType::Hedging)],
            steps in proptest::collection::vec(step(), 1..40),
        ) {
            // Money at 4 decimals = price 2 + size 2: no rounding anywhere.
            let mut p = portfolio(AccountType::Margin, oms, 4);
            let mut flows = 0i128;
            for s in &steps {
                let f = Fill { instrument: 0, side: s.side, price: s.price, quantity: s.qty,
                    fee: 0, reduce_only: s.reduce_only, ts: 0 };
                p.apply_fill(&f).map_err(|e| TestCaseError::fail(e.to_string()))?;
                flows -= i128::from(s.side.sign() * s.price * s.qty);
            }
            // Close every leg at one price, then realised PnL is all cash in − out.
            let pos = *p.position(0).unwrap();
            let close = 1_000;
            if pos.long.quantity > 0 {
                p.apply_fill(&Fill { instrument: 0, side: Sell, price: close,
                    quantity: pos.long.quantity, fee: 0, reduce_only: true, ts: 0 }).unwrap();
                flows += i128::from(close * pos.long.quantity);
            }
            if pos.short.quantity > 0 {
                p.apply_fill(&Fill { instrument: 0, side: Buy, price: close,
                    quantity: pos.short.quantity, fee: 0, reduce_only: true, ts: 0 }).unwrap();
                flows -= i128::from(close * pos.short.quantity);
            }
            prop_assert!(p.position(0).unwrap().is_flat());
            prop_assert_eq!(p.realized_pnl(0), flows);
            prop_assert_eq!(p.balance(0) - p.starting_balance(0), flows);
        }

        #[test]
        fn fee_is_the_nearest_money_unit_with_ties_to_even(
            rate_raw in -50i64..500, rate_decimals in 0u8..7, price in 1i64..10_000_000,
            qty in 1i64..1_000_000, price_precision in 0u8..5, size_precision in 0u8..5,
            money_precision in 0u8..9, taker in any::<bool>(),
        ) {
            let rate = Rate::from_raw(rate_raw, rate_decimals).unwrap();
            let model = if taker {
                FeeModel::new(Rate::ZERO, Rate::from_raw(rate_raw.abs(), rate_decimals).unwrap())
            } else {
                FeeModel::new(rate, Rate::ZERO)
            }
            .unwrap();
            let liquidity = if taker { LiquiditySide::Taker } else { LiquiditySide::Maker };
            let spec = InstrumentSpec { price_precision, size_precision, ..btcusdt() };
            let fee = model.fee(price, qty, liquidity, &spec, money_precision).unwrap();
            // Oracle: exact value num / den in money units; fee must be its
            // nearest integer, ties to the even one.
            let r = i128::from(model.rate(liquidity).raw());
            let mut num = r * i128::from(price) * i128::from(qty);
            let mut den = 10i128.pow(u32::from(rate_decimals + price_precision + size_precision));
            num *= 10i128.pow(u32::from(money_precision));
            let g = gcd(num.abs(), den);
            num /= g;
            den /= g;
            let twice_error = 2 * (fee * den - num);
            prop_assert!(twice_error.abs() <= den, "fee {} for {}/{}", fee, num, den);
            if twice_error.abs() == den {
                prop_assert_eq!(fee % 2, 0);
            }
        }

        #[test]
        fn a_currency_that_is_both_quote_and_base_reconciles(
            account in prop_oneof![Just(AccountType::Cash), Just(AccountType::Margin)],
            steps in proptest::collection::vec((0u32..2, step()), 1..60),
        ) {
            let mut t = currencies();
            let eth = t.add("ETH", 8).unwrap();
            let ethbtc = InstrumentSpec {
                price_precision: 5,
                size_precision: 3,
                multiplier: 1,
                quote_currency: BTC,
                base_currency: Some(eth),
            };
            let config = PortfolioConfig {
                account_type: account,
                oms: OmsType::Netting,
                base_currency: USDT,
                starting_balances: vec![(USDT, 1_000_000 * ONE), (BTC, 10 * ONE)],
                leverage: Leverage::new(3, 1).unwrap(),
            };
            let mut p = Portfolio::new(config, vec![btcusdt(), ethbtc], t).unwrap();
            let mut sums = [0i64; 2];
            for (instrument, s) in &steps {
                let f = Fill { instrument: *instrument, side: s.side, price: s.price * 1_000,
                    quantity: s.qty, fee: s.fee, reduce_only: false, ts: 0 };
                p.apply_fill(&f).map_err(|e| TestCaseError::fail(e.to_string()))?;
                p.mark_price(*instrument, s.mark * 1_000).unwrap();
                sums[*instrument as usize] += s.side.sign() * s.qty;
                prop_assert_eq!(p.net_quantity(0), sums[0]);
                prop_assert_eq!(p.net_quantity(1), sums[1]);
                p.verify().map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
        }

        #[test]
        fn netting_flip_splits_into_a_full_close_and_an_open_at_the_fill_price(
            first in 1i64..100, second in 1i64..100, p1 in 1i64..5_000, p2 in 1i64..5_000,
        ) {
            let mut p = portfolio(AccountType::Margin, OmsType::Netting, 4);
            p.apply_fill(&fill(Buy, p1, first)).unwrap();
            let effect = p.apply_fill(&fill(Sell, p2, first + second)).unwrap();
            prop_assert_eq!((effect.closed, effect.opened), (first, second));
            prop_assert_eq!(effect.realized_pnl, i128::from((p2 - p1) * first));
            let pos = *p.position(0).unwrap();
            prop_assert_eq!(pos.short, Leg { quantity: second, cost: i128::from(p2 * second) });
            prop_assert_eq!(pos.long, Leg::default());
        }
    }
}

//! Invariants of the simulator on random inputs (proptest), and the order of
//! execution inside a cash-sharing group.

use proptest::prelude::*;

use super::*;

#[derive(Debug)]
struct Case {
    n: usize,
    k: usize,
    close: Vec<f64>,
    sizes: Vec<f64>,
    fees: f64,
    fixed: f64,
    slippage: f64,
    shared: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (2usize..40, 1usize..4).prop_flat_map(|(n, k)| {
        (
            prop::collection::vec(-0.05f64..0.05, n * k),
            prop::collection::vec(prop::option::weighted(0.3, -3.0f64..3.0), n * k),
            prop::sample::select(vec![0.0, 0.001, 0.02]),
            prop::sample::select(vec![0.0, 0.5]),
            prop::sample::select(vec![0.0, 0.003]),
            any::<bool>(),
        )
            .prop_map(move |(steps, sizes, fees, fixed, slippage, shared)| {
                let mut close = vec![0.0; n * k];
                for c in 0..k {
                    let mut p = 50.0;
                    for r in 0..n {
                        p *= (steps[c * n + r]).exp();
                        close[c * n + r] = p;
                    }
                }
                Case {
                    n,
                    k,
                    close,
                    sizes: sizes.into_iter().map(|s| s.unwrap_or(f64::NAN)).collect(),
                    fees,
                    fixed,
                    slippage,
                    shared,
                }
            })
    })
}

struct Run {
    cash: Vec<f64>,
    equity: Vec<f64>,
    position: Vec<f64>,
    records: Records,
    lens: Vec<usize>,
}

fn run(c: &Case) -> Run {
    let k = c.k;
    let nan = vec![f64::NAN; k];
    let inf = vec![f64::INFINITY; k];
    let fees = vec![c.fees; k];
    let fixed = vec![c.fixed; k];
    let slippage = vec![c.slippage; k];
    let lens = if c.shared { vec![k] } else { vec![1; k] };
    let init = vec![100.0; lens.len()];
    let groups = lens.len();
    let mut cash = vec![0.0; c.n * groups];
    let mut equity = vec![0.0; c.n * groups];
    let mut position = vec![0.0; c.n * k];
    let records = simulate_orders(
        Prices {
            close: Matrix::new("close", &c.close, c.n, k).unwrap(),
            open: None,
            high: None,
            low: None,
        },
        Matrix::new("size", &c.sizes, c.n, k).unwrap(),
        ColumnParams {
            size: &inf,
            fees: &fees,
            fixed_fees: &fixed,
            slippage: &slippage,
            sl_stop: &nan,
            tp_stop: &nan,
            tsl_stop: &nan,
        },
        SimOptions {
            size_type: SizeType::Amount,
            price: ExecPrice::Close,
            group_lens: &lens,
            init_cash: &init,
        },
        Outputs {
            cash: Some(&mut cash),
            equity: &mut equity,
            position: Some(&mut position),
        },
    )
    .unwrap();
    Run {
        cash,
        equity,
        position,
        records,
        lens,
    }
}

proptest! {
    #[test]
    fn cash_never_goes_negative(c in case()) {
        let r = run(&c);
        prop_assert!(r.cash.iter().all(|&x| x >= 0.0));
        prop_assert!(r.records.fills.cash.iter().all(|&x| x >= 0.0));
    }

    #[test]
    fn position_is_the_sum_of_fills(c in case()) {
        let r = run(&c);
        let f = &r.records.fills;
        let mut held = vec![0.0; c.k];
        let mut next = 0;
        for row in 0..c.n {
            // Fills come by group, then row: gather this row's fills.
            for i in 0..f.row.len() {
                if f.row[i] as usize == row {
                    held[f.col[i] as usize] += f64::from(f.side[i]) * f.size[i];
                    next += 1;
                }
            }
            for (col, want) in held.iter().enumerate() {
                let got = r.position[col * c.n + row];
                prop_assert!((got - want).abs() <= 1e-9 * (1.0 + got.abs()));
            }
        }
        prop_assert_eq!(next, f.row.len());
    }

    #[test]
    fn equity_is_cash_plus_positions_at_the_close(c in case()) {
        let r = run(&c);
        let mut first = 0;
        for (g, &len) in r.lens.iter().enumerate() {
            for row in 0..c.n {
                let held: f64 = (first..first + len)
                    .map(|col| r.position[col * c.n + row] * c.close[col * c.n + row])
                    .sum();
                let want = r.cash[g * c.n + row] + held;
                let got = r.equity[g * c.n + row];
                prop_assert!((got - want).abs() <= 1e-9 * (1.0 + want.abs()));
            }
            first += len;
        }
    }
}

#[test]
fn a_cash_sharing_group_sells_before_it_buys() {
    // Column 0 buys, column 1 sells on row 1: the sale must pay for the buy.
    let close = [10.0, 10.0, 10.0, 10.0];
    let sizes = [f64::NAN, 5.0, 10.0, -10.0];
    let nan = [f64::NAN; 2];
    let zero = [0.0; 2];
    let inf = [f64::INFINITY; 2];
    let (mut cash, mut equity) = (vec![0.0; 2], vec![0.0; 2]);
    let mut position = vec![0.0; 4];
    let records = simulate_orders(
        Prices {
            close: Matrix::new("close", &close, 2, 2).unwrap(),
            open: None,
            high: None,
            low: None,
        },
        Matrix::new("size", &sizes, 2, 2).unwrap(),
        ColumnParams {
            size: &inf,
            fees: &zero,
            fixed_fees: &zero,
            slippage: &zero,
            sl_stop: &nan,
            tp_stop: &nan,
            tsl_stop: &nan,
        },
        SimOptions {
            size_type: SizeType::Amount,
            price: ExecPrice::Close,
            group_lens: &[2],
            init_cash: &[100.0],
        },
        Outputs {
            cash: Some(&mut cash),
            equity: &mut equity,
            position: Some(&mut position),
        },
    )
    .unwrap();
    // Row 0: column 1 buys 10 (all the cash). Row 1: column 1 sells 10 first,
    // then column 0 buys its 5 with the proceeds.
    assert_eq!(records.fills.col, vec![1, 1, 0]);
    assert_eq!(position, vec![0.0, 5.0, 10.0, 0.0]);
    assert_eq!(cash, vec![0.0, 50.0]);
}

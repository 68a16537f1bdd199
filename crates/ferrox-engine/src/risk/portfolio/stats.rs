//! Covariance, correlation and beta kernels (two-pass, for accuracy).

use super::{check_finite, RiskError};

/// The arithmetic mean (NaN for an empty slice).
pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn check_pair(a: &[f64], b: &[f64]) -> Result<(), RiskError> {
    if b.len() != a.len() {
        return Err(RiskError::Length {
            name: "benchmark",
            expected: a.len(),
            got: b.len(),
        });
    }
    if a.len() < 2 {
        return Err(RiskError::TooShort {
            name: "returns",
            needed: 2,
            got: a.len(),
        });
    }
    check_finite("returns", a)?;
    check_finite("benchmark", b)
}

/// Sums of centred squares and cross products: `(Σa'², Σb'², Σa'b')`.
fn centred_sums(a: &[f64], b: &[f64]) -> (f64, f64, f64) {
    let (ma, mb) = (mean(a), mean(b));
    a.iter()
        .zip(b)
        .fold((0.0, 0.0, 0.0), |(saa, sbb, sab), (x, y)| {
            let (dx, dy) = (x - ma, y - mb);
            (saa + dx * dx, sbb + dy * dy, sab + dx * dy)
        })
}

/// The sample covariance matrix (`ddof` = 1) of equal-length `columns`, row-major.
pub fn covariance_matrix(columns: &[&[f64]]) -> Result<Vec<f64>, RiskError> {
    let k = columns.len();
    if k == 0 {
        return Err(RiskError::Empty("returns"));
    }
    let n = columns[0].len();
    if n < 2 {
        return Err(RiskError::TooShort {
            name: "returns",
            needed: 2,
            got: n,
        });
    }
    for column in columns {
        if column.len() != n {
            return Err(RiskError::Length {
                name: "returns",
                expected: n,
                got: column.len(),
            });
        }
        check_finite("returns", column)?;
    }
    let means: Vec<f64> = columns.iter().map(|c| mean(c)).collect();
    let mut cov = vec![0.0; k * k];
    for i in 0..k {
        for j in i..k {
            let s: f64 = columns[i]
                .iter()
                .zip(columns[j])
                .map(|(x, y)| (x - means[i]) * (y - means[j]))
                .sum();
            let c = s / (n - 1) as f64;
            cov[i * k + j] = c;
            cov[j * k + i] = c;
        }
    }
    Ok(cov)
}

/// Pearson correlation of `returns` with `benchmark`.
pub fn correlation(returns: &[f64], benchmark: &[f64]) -> Result<f64, RiskError> {
    check_pair(returns, benchmark)?;
    let (saa, sbb, sab) = centred_sums(returns, benchmark);
    if sbb == 0.0 {
        return Err(RiskError::ZeroVariance("benchmark"));
    }
    if saa == 0.0 {
        return Err(RiskError::ZeroVariance("returns"));
    }
    Ok((sab / (saa.sqrt() * sbb.sqrt())).clamp(-1.0, 1.0))
}

/// Beta of `returns` to `benchmark`: `cov(r, b) / var(b)` (the OLS slope).
pub fn beta(returns: &[f64], benchmark: &[f64]) -> Result<f64, RiskError> {
    check_pair(returns, benchmark)?;
    let (_, sbb, sab) = centred_sums(returns, benchmark);
    if sbb == 0.0 {
        return Err(RiskError::ZeroVariance("benchmark"));
    }
    Ok(sab / sbb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beta_of_a_scaled_benchmark_is_the_scale() {
        let b = [0.01, -0.02, 0.03, 0.0];
        let r: Vec<f64> = b.iter().map(|x| 2.0 * x + 0.001).collect();
        assert!((beta(&r, &b).unwrap() - 2.0).abs() < 1e-12);
        assert!((correlation(&r, &b).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_flat_benchmark_has_no_beta() {
        assert_eq!(
            beta(&[1.0, 2.0], &[3.0, 3.0]),
            Err(RiskError::ZeroVariance("benchmark"))
        );
    }

    #[test]
    fn covariance_matrix_is_symmetric_with_variances_on_the_diagonal() {
        let a = [1.0, 2.0, 3.0];
        let b = [2.0, 4.0, 7.0];
        let c = covariance_matrix(&[&a, &b]).unwrap();
        assert_eq!(c[0], 1.0);
        assert_eq!(c[1], c[2]);
        assert!((c[1] - 2.5).abs() < 1e-15);
        assert!((c[3] - 19.0 / 3.0).abs() < 1e-14);
    }
}

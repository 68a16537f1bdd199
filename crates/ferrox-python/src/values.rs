//! Python classes for `Price`, `Quantity`, `Money` and `InstrumentId`.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use pyo3::basic::CompareOp;
use pyo3::prelude::*;
use pyo3::types::PyAny;

use ferrox_engine::types::{self as t, FixedError};

use crate::errors::{data_error, fixed_error};

/// Reads a Python value (str, int or decimal.Decimal; never float) as decimal text.
fn decimal_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if value.is_instance_of::<pyo3::types::PyFloat>() {
        return Err(data_error(format!(
            "binary float {value} is not accepted for an exact value; pass a str or decimal.Decimal"
        )));
    }
    Ok(value.str()?.to_string())
}

fn parse_with_precision<T>(
    value: &Bound<'_, PyAny>,
    precision: Option<u8>,
    parse: impl Fn(&str, u8) -> Result<T, FixedError>,
    parse_shown: impl Fn(&str) -> Result<T, FixedError>,
) -> PyResult<T> {
    let text = decimal_text(value)?;
    match precision {
        Some(p) => parse(&text, p),
        None => parse_shown(&text),
    }
    .map_err(fixed_error)
}

fn hash_of(value: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

macro_rules! py_fixed {
    ($pyname:ident, $inner:ty, $label:literal) => {
        #[doc = concat!("An exact ", $label, ": a fixed-point `i64` raw value with a precision.")]
        #[pyclass(module = "ferrox._core", frozen)]
        #[derive(Clone, Copy)]
        pub struct $pyname {
            pub inner: $inner,
        }

        #[pymethods]
        impl $pyname {
            #[new]
            #[pyo3(signature = (value, precision=None))]
            fn new(value: &Bound<'_, PyAny>, precision: Option<u8>) -> PyResult<Self> {
                let inner = parse_with_precision(value, precision, <$inner>::parse, |s| {
                    s.parse::<$inner>()
                })?;
                Ok(Self { inner })
            }

            /// Builds a value from its raw integer and precision.
            #[staticmethod]
            fn from_raw(raw: i64, precision: u8) -> PyResult<Self> {
                Ok(Self {
                    inner: <$inner>::from_raw(raw, precision).map_err(fixed_error)?,
                })
            }

            /// The raw integer: the value times 10**precision.
            #[getter]
            fn raw(&self) -> i64 {
                self.inner.raw()
            }

            /// Number of decimals.
            #[getter]
            fn precision(&self) -> u8 {
                self.inner.precision()
            }

            /// The value as a `decimal.Decimal`, exactly.
            fn as_decimal<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                py.import("decimal")?
                    .getattr("Decimal")?
                    .call1((self.inner.to_string(),))
            }

            /// The same value at another precision; raises if digits would be lost.
            fn rescaled(&self, precision: u8) -> PyResult<Self> {
                Ok(Self {
                    inner: self.inner.rescaled(precision).map_err(fixed_error)?,
                })
            }

            fn __add__(&self, other: &Self) -> PyResult<Self> {
                Ok(Self {
                    inner: self.inner.checked_add(other.inner).map_err(fixed_error)?,
                })
            }

            fn __sub__(&self, other: &Self) -> PyResult<Self> {
                Ok(Self {
                    inner: self.inner.checked_sub(other.inner).map_err(fixed_error)?,
                })
            }

            fn __float__(&self) -> f64 {
                self.inner.as_f64()
            }

            fn __str__(&self) -> String {
                self.inner.to_string()
            }

            fn __repr__(&self) -> String {
                format!("{}('{}')", stringify!($pyname), self.inner)
            }

            fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp) -> PyResult<Py<PyAny>> {
                let py = other.py();
                match other.extract::<PyRef<'_, Self>>() {
                    Ok(o) => Ok(op
                        .matches(self.inner.cmp(&o.inner))
                        .into_pyobject(py)?
                        .to_owned()
                        .into_any()
                        .unbind()),
                    Err(_) => Ok(py.NotImplemented()),
                }
            }

            fn __hash__(&self) -> u64 {
                hash_of(self.inner)
            }
        }
    };
}

py_fixed!(Price, t::Price, "price");
py_fixed!(Quantity, t::Quantity, "quantity (never negative)");

/// An exact amount of money in a currency.
#[pyclass(module = "ferrox._core", frozen)]
#[derive(Clone)]
pub struct Money {
    inner: t::Money,
}

#[pymethods]
impl Money {
    #[new]
    #[pyo3(signature = (amount, currency, precision=None))]
    fn new(amount: &Bound<'_, PyAny>, currency: &str, precision: Option<u8>) -> PyResult<Self> {
        let price = parse_with_precision(amount, precision, t::Price::parse, |s| {
            s.parse::<t::Price>()
        })?;
        let inner =
            t::Money::from_raw(price.raw(), price.precision(), currency).map_err(fixed_error)?;
        Ok(Self { inner })
    }

    /// The amount as an exact `Price`-like value.
    #[getter]
    fn amount(&self) -> Price {
        Price {
            inner: self.inner.amount(),
        }
    }

    /// Currency code.
    #[getter]
    fn currency(&self) -> String {
        self.inner.currency().to_owned()
    }

    /// Raw integer of the amount.
    #[getter]
    fn raw(&self) -> i64 {
        self.inner.amount().raw()
    }

    /// Number of decimals of the amount.
    #[getter]
    fn precision(&self) -> u8 {
        self.inner.amount().precision()
    }

    /// The amount as a `decimal.Decimal`, exactly.
    fn as_decimal<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("decimal")?
            .getattr("Decimal")?
            .call1((self.inner.amount().to_string(),))
    }

    /// The notional of `quantity` at `price` (times `multiplier`) in `currency`
    /// at `precision`, exactly; raises rather than round.
    #[staticmethod]
    #[pyo3(signature = (price, quantity, currency, precision, multiplier=None))]
    fn notional(
        price: &Price,
        quantity: &Quantity,
        currency: &str,
        precision: u8,
        multiplier: Option<&Quantity>,
    ) -> PyResult<Self> {
        let one = t::Quantity::from_raw(1, 0).map_err(fixed_error)?;
        let m = multiplier.map_or(one, |q| q.inner);
        Ok(Self {
            inner: t::Money::notional(price.inner, quantity.inner, m, precision, currency)
                .map_err(fixed_error)?,
        })
    }

    fn __add__(&self, other: &Self) -> PyResult<Self> {
        Ok(Self {
            inner: self
                .inner
                .checked_add(&other.inner)
                .map_err(|e| data_error(e.to_string()))?,
        })
    }

    fn __sub__(&self, other: &Self) -> PyResult<Self> {
        Ok(Self {
            inner: self
                .inner
                .checked_sub(&other.inner)
                .map_err(|e| data_error(e.to_string()))?,
        })
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .extract::<PyRef<'_, Self>>()
            .is_ok_and(|o| o.inner == self.inner)
    }

    fn __hash__(&self) -> u64 {
        hash_of((
            self.inner.amount().raw(),
            self.inner.amount().precision(),
            self.inner.currency(),
        ))
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "Money('{}', '{}')",
            self.inner.amount(),
            self.inner.currency()
        )
    }
}

/// An instrument id written `SYMBOL.VENUE`, e.g. `BTCUSDT.BINANCE-USDM`.
#[pyclass(module = "ferrox._core", frozen)]
#[derive(Clone)]
pub struct InstrumentId {
    inner: t::InstrumentId,
}

#[pymethods]
impl InstrumentId {
    #[new]
    fn new(text: &str) -> PyResult<Self> {
        Ok(Self {
            inner: text
                .parse()
                .map_err(|e: t::IdError| data_error(e.to_string()))?,
        })
    }

    /// Builds an id from a venue symbol and a venue.
    #[staticmethod]
    fn from_parts(symbol: &str, venue: &str) -> PyResult<Self> {
        Ok(Self {
            inner: t::InstrumentId::new(symbol, venue).map_err(|e| data_error(e.to_string()))?,
        })
    }

    /// The venue's symbol.
    #[getter]
    fn symbol(&self) -> String {
        self.inner.symbol().to_owned()
    }

    /// The venue.
    #[getter]
    fn venue(&self) -> String {
        self.inner.venue().to_owned()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .extract::<PyRef<'_, Self>>()
            .is_ok_and(|o| o.inner == self.inner)
    }

    fn __hash__(&self) -> u64 {
        hash_of(&self.inner)
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!("InstrumentId('{}')", self.inner)
    }
}

/// Parses decimal text exactly into a raw integer at `precision`.
#[pyfunction]
fn parse_fixed(text: &str, precision: u8) -> PyResult<i64> {
    t::parse_fixed(text, precision).map_err(fixed_error)
}

/// Formats a raw integer at `precision` as decimal text with exactly `precision` decimals.
#[pyfunction]
fn format_fixed(raw: i64, precision: u8) -> PyResult<String> {
    t::fixed::check_precision(precision).map_err(fixed_error)?;
    Ok(t::format_fixed(raw, precision))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Price>()?;
    m.add_class::<Quantity>()?;
    m.add_class::<Money>()?;
    m.add_class::<InstrumentId>()?;
    m.add_function(wrap_pyfunction!(parse_fixed, m)?)?;
    m.add_function(wrap_pyfunction!(format_fixed, m)?)?;
    Ok(())
}

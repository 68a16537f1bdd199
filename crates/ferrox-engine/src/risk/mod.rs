//! Risk: portfolio risk measures (value at risk, expected shortfall, beta,
//! correlation) and the pre-trade controls every order passes.

pub mod portfolio;
pub mod pretrade;

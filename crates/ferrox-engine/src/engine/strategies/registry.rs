//! The registry of compiled strategies: how a Rust strategy ships with a
//! Python or TOML config.
//!
//! Each entry names a strategy, documents its integer settings (raw values at
//! the instrument's precisions, with defaults) and builds it from them after
//! checking them. Python picks one with `RustStrategy("name", **settings)`, a
//! backtest config with `[strategy] rust = "name"` and `[strategy.params]`.
//! To ship your own compiled strategy: implement [`crate::engine::Strategy`]
//! in a module beside these, give it a [`StrategyFactory`], add that to
//! [`REGISTRY`], and rebuild (`maturin develop` / `pip install .`).

use thiserror::Error;

use crate::engine::Strategy;

/// A setting a strategy cannot be built with.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{strategy}: {message}")]
pub struct SettingsError {
    /// The strategy's registry name.
    pub strategy: &'static str,
    /// What is wrong, naming the setting and its value.
    pub message: String,
}

/// One documented setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingSpec {
    /// Its key.
    pub key: &'static str,
    /// Its default, or `None` when it must be given.
    pub default: Option<i64>,
    /// What it means (units included).
    pub doc: &'static str,
}

/// The settings given for one strategy, checked against its specs.
#[derive(Debug, Clone)]
pub struct Settings<'a> {
    strategy: &'static str,
    specs: &'static [SettingSpec],
    values: &'a [(String, i64)],
}

impl Settings<'_> {
    /// The value of `key` (given, else its default), converted to `T`.
    pub fn get<T: TryFrom<i64>>(&self, key: &str) -> Result<T, SettingsError> {
        let given = self.values.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
        let default = self
            .specs
            .iter()
            .find(|s| s.key == key)
            .and_then(|s| s.default);
        let value = given
            .or(default)
            .ok_or_else(|| self.error(format!("missing setting {key:?}")))?;
        T::try_from(value).map_err(|_| self.error(format!("{key} = {value} is out of range")))
    }

    /// An error about these settings.
    pub fn error(&self, message: String) -> SettingsError {
        SettingsError {
            strategy: self.strategy,
            message,
        }
    }
}

/// How to build one compiled strategy.
#[derive(Debug, Clone, Copy)]
pub struct StrategyFactory {
    /// The name configs use.
    pub name: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// Its settings.
    pub settings: &'static [SettingSpec],
    /// Builds it from checked settings.
    pub build: fn(&Settings<'_>) -> Result<Box<dyn Strategy + Send>, SettingsError>,
}

/// Every compiled strategy, by name.
pub static REGISTRY: &[StrategyFactory] =
    &[super::ema_cross::FACTORY, super::market_maker::FACTORY];

/// The factory registered under `name`.
pub fn find(name: &str) -> Option<&'static StrategyFactory> {
    REGISTRY.iter().find(|f| f.name == name)
}

/// Builds the strategy `name` from `values`; unknown names and unknown or
/// missing settings are errors naming what exists.
pub fn build(
    name: &str,
    values: &[(String, i64)],
) -> Result<Box<dyn Strategy + Send>, SettingsError> {
    let Some(factory) = find(name) else {
        let known: Vec<&str> = REGISTRY.iter().map(|f| f.name).collect();
        return Err(SettingsError {
            strategy: "registry",
            message: format!(
                "unknown compiled strategy {name:?} (registered: {})",
                known.join(", ")
            ),
        });
    };
    for (key, _) in values {
        if !factory.settings.iter().any(|s| s.key == key) {
            let keys: Vec<&str> = factory.settings.iter().map(|s| s.key).collect();
            return Err(SettingsError {
                strategy: factory.name,
                message: format!("unknown setting {key:?} (settings: {})", keys.join(", ")),
            });
        }
    }
    (factory.build)(&Settings {
        strategy: factory.name,
        specs: factory.settings,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn test_every_registered_name_is_unique() {
        let mut names: Vec<&str> = REGISTRY.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), REGISTRY.len());
    }

    #[test]
    fn test_defaults_fill_settings_not_given() {
        assert!(build("ema_cross", &values(&[("quantity", 5)])).is_ok());
    }

    #[test]
    fn test_a_missing_required_setting_is_named() {
        let err = build("ema_cross", &[])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("quantity"), "{err}");
    }

    #[test]
    fn test_an_unknown_setting_lists_the_known_ones() {
        let err = build("ema_cross", &values(&[("quantity", 1), ("fats", 3)]))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("fats") && err.contains("fast"), "{err}");
    }

    #[test]
    fn test_an_unknown_name_lists_the_registry() {
        let err = build("ema", &[])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("ema_cross") && err.contains("market_maker"),
            "{err}"
        );
    }
}

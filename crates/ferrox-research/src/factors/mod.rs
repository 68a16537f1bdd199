//! Factor expressions over an instrument × time panel.

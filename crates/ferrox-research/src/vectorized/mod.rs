//! Vectorised portfolio simulation over a time × column layout.

"""Market data: loaders of real exchange formats, the Parquet catalog, imports."""

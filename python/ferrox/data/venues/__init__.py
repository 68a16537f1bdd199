"""Built-in instrument definitions per venue (increments, currencies, contract terms)."""

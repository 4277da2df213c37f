"""Benchmarks that print tables: compression quality and speed, proxy overhead."""

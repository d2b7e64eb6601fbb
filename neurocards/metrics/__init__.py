"""Prometheus metrics shared by every process: counters added up in one table, and /metrics' exposition."""

"""Benchmark: the real bot process against the fake Bot API and the fake gateway on loopback."""

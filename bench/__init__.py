"""Benchmark harness for `make bench`: settings, baseline views and tasks used only there."""

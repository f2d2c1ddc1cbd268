"""Benchmarks; run them as scripts or modules (`python bench/api.py`), never from the tests."""

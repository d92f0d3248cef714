"""Venues: where orders go.

`sim` is the simulated matching engine used by backtests and paper trading.
"""

"""Runtime: turn a validated `tradeyard run` config into running bots (live or paper)."""

from tradeyard.runtime.config import RunConfig, load_run_config, parse_run_config
from tradeyard.runtime.node import Node, ShutdownReport

__all__ = ["Node", "RunConfig", "ShutdownReport", "load_run_config", "parse_run_config"]

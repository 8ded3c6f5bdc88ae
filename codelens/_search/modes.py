"""The search modes and result limits that every front end offers: defined here once."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["BY", "DEFAULT_BY", "DEFAULT_LIMIT", "DEFAULT_MODE", "MAX_LIMIT", "MODES", "By", "Mode"]

Mode = Literal["hybrid", "semantic", "lexical"]
MODES: tuple[Mode, ...] = get_args(Mode)
DEFAULT_MODE: Mode = "hybrid"
DEFAULT_LIMIT = 10
# A page a person reads: deeper lists cost fusion and rendering time and say little more.
MAX_LIMIT = 100
# What one result row is: a definition (the default), or a file with its definitions.
By = Literal["definition", "file"]
BY: tuple[By, ...] = get_args(By)
DEFAULT_BY: By = "definition"

"""Project ids: the only user text that becomes an SQL identifier, so it is checked first."""

from __future__ import annotations

import re

from codelens.errors import InvalidProjectId

__all__ = ["PROJECT_ID_RULE", "schema_name", "validate_project_id"]

PROJECT_ID_RULE = (
    "lower-case letters and digits in groups joined by single dashes, 1 to 50 characters"
)
# \Z, not $: $ would accept a trailing newline.
_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z", re.ASCII)


def validate_project_id(value: object) -> str:
    """Return ``value`` unchanged when it is a valid project id, else raise InvalidProjectId."""
    if not isinstance(value, str) or not 1 <= len(value) <= 50 or not _PATTERN.match(value):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise InvalidProjectId(
            f"invalid project id {shown}: use {PROJECT_ID_RULE} "
            "(pattern ^[a-z0-9]+(-[a-z0-9]+)*$), e.g. 'payments' or 'payments-api'"
        )
    return value


def schema_name(project_id: str) -> str:
    """The PostgreSQL schema of a project: ``project_`` plus the id with dashes as underscores."""
    return "project_" + validate_project_id(project_id).replace("-", "_")

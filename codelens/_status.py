"""The status text of ``%codelens status`` and ``codelens status``: one project's model,
repositories and counts, and the server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from codelens._db.first_pass import FIRST_PASS_SPEC, first_pass_enabled
from codelens._db.model_record import first_pass_model, first_pass_retired

if TYPE_CHECKING:
    from codelens._project import Project
    from codelens._workspace import Workspace

__all__ = ["awaiting_line", "first_pass_line", "status_lines"]


def awaiting_line(chunks: int, awaiting: int, *, first_pass: bool = False) -> str:
    """How much of the project its model has embedded; the rest is found by words only,
    or by meaning through the first pass when the project has one."""
    if not awaiting:
        return f"vectors: all {chunks:,} chunks embedded"
    until = "by meaning through the first pass" if first_pass else "by words only"
    return (
        f"vectors: {chunks - awaiting:,} of {chunks:,} chunks embedded, {awaiting:,} await"
        f" vectors (found {until} until embedded)"
    )


def first_pass_line(model: str, first: int, chunks: int, awaiting: int) -> str:
    """The first pass's coverage beside the project's model's, and which one answers."""
    answers = (
        "answers meaning search until the project's model has embedded them"
        if awaiting and first
        else "the project's model answers meaning search"
    )
    return f"first pass: {model}, {first:,} of {chunks:,} chunks; {answers}"


def status_lines(ws: Workspace, project: Project | None) -> list[str]:
    lines: list[str] = []
    if project is None:
        lines.append(
            "project: none; choose one with `%codelens use NAME` or `%codelens create NAME`"
        )
    else:
        info = project.info()
        current = " (current)" if ws.current_id == project.id else ""
        lines.append(f"project: {project.id}{current}")
        if info.get("description"):
            lines.append(f"description: {info['description']}")
        if info.get("embedding_model"):
            model = f"{info['embedding_model']}, {info['embedding_dimensions']} dimensions"
        else:
            model = f"{info.get('embedder') or 'default'} (not indexed yet)"
        lines.append(f"model: {model}")
        lines.append(f"access: {project.access_line()}")
        counts = project.counts()
        lines.append(
            f"repositories: {counts['repositories']}; files: {counts['indexed_files']} indexed,"
            f" {counts['skipped_files']} skipped, {counts['failed_files']} failed;"
            f" chunks: {counts['chunks']}"
        )
        first = first_pass_model(project.handle)
        # A retired first pass answers nothing: its vectors wait for the next run's renewal.
        retired = first_pass_retired(first)
        covered = project.coverage() if first is not None and not retired else None
        lines.append(
            awaiting_line(
                counts["chunks"],
                counts["chunks_awaiting_vectors"],
                first_pass=covered is not None and covered.first_pass == covered.total,
            )
        )
        if retired:
            renewal = (
                f"gives every chunk {FIRST_PASS_SPEC}'s vectors"
                if first_pass_enabled(project.handle)
                else "drops its vectors (the first pass is turned off)"
            )
            lines.append(
                f"first pass: {first} is no longer shipped; the project's model answers"
                f" meaning search, and the next index run {renewal}"
            )
        elif first is not None and covered is not None:
            lines.append(
                first_pass_line(first, covered.first_pass, covered.total, covered.awaiting)
            )
        job = project.embedding_job()
        if job is not None:
            lines.append(
                f"  {job.summary()} (in the background; `%codelens embed --cancel` stops it)"
            )
        for repo in project.repositories().itertuples():
            when: Any = repo.last_indexed_at
            indexed = "never indexed" if pd.isna(when) else f"last indexed {when:%Y-%m-%d %H:%M}"
            lines.append(
                f"  {repo.name}: {repo.root_path} ({repo.files} files, {repo.chunks} chunks, {indexed})"
            )
    lines.append(f"projects: {len(ws.ids())}")
    lines.append(f"server: {ws.server_status()}")
    replica = ws.db.replica_line()
    if replica is not None:
        lines.append(replica)
    return lines

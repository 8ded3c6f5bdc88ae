"""The indexing panel, ``codelens.index_ui()``: index a folder with a progress bar and a Cancel button.

Dry run shows what Index would do (files, skips, chunks, time estimates) and writes nothing.

The run happens on a background thread so the kernel keeps answering (other cells, the
search panel) meanwhile; the thread writes to widgets, which ipywidgets allows.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from codelens._index.dry_run import DRY_RUN_HELP
from codelens._index.dry_run_report import duration
from codelens._index.run import check_index_request
from codelens._notebook.widget_util import classed, one_line, set_status, workspace_of
from codelens._project import Project
from codelens.errors import CodelensError, IndexingError

if TYPE_CHECKING:
    import os

    from codelens._index.dry_run_report import DryRunReport
    from codelens._index.report import IndexProgress, IndexReport
    from codelens._workspace import Workspace

__all__ = ["IndexPanel", "index_ui"]


class IndexPanel:
    """Index PATH into PROJECT (created when new); Cancel stops after the batch in flight.

    Files are stored first (searchable by words), then embedded; both bars move, and
    Cancel in either phase leaves a consistent index whose awaiting chunks the next run embeds.
    """

    def __init__(
        self,
        project: Project | str | None = None,
        workspace: Workspace | None = None,
        path: str | os.PathLike[str] = "",
    ) -> None:
        self.workspace = workspace_of(project, workspace)
        # A name that does not exist yet is fine here: Index creates the project.
        chosen = (
            project.id if isinstance(project, Project) else project or self.workspace.current_id
        )

        self.path = classed(
            w.Text(value=str(path), description="Folder", placeholder="path of a repository"),
            "cl-path",
        )
        self.project = classed(
            w.Combobox(
                value=chosen or "",
                options=self.workspace.ids(),
                description="Project",
                placeholder="existing or new project",
                ensure_option=False,
            ),
            "cl-project",
        )
        self.force = classed(w.Checkbox(description="re-embed unchanged files"), "cl-force")
        self.index_button = classed(
            w.Button(description="Index", icon="play", button_style="primary"), "cl-index-button"
        )
        self.dry_run_button = classed(
            w.Button(description="Dry run", icon="search", tooltip=DRY_RUN_HELP), "cl-dry-run"
        )
        self.cancel_button = classed(
            w.Button(description="Cancel", icon="stop", disabled=True), "cl-cancel"
        )
        self.progress = classed(
            w.IntProgress(value=0, min=0, max=1, description="stored"), "cl-progress"
        )
        self.embed_progress = classed(
            w.IntProgress(value=0, min=0, max=1, description="embedded"), "cl-embed-progress"
        )
        self.stage = classed(w.Label(), "cl-stage")
        self.status = classed(w.HTML(), "cl-status")
        self.report = classed(w.Output(), "cl-report")
        self.thread: threading.Thread | None = None
        self.cancel_event = threading.Event()
        self.last_report: IndexReport | DryRunReport | None = None
        self.index_button.on_click(lambda _: self.start())
        self.dry_run_button.on_click(lambda _: self.start(dry_run=True))
        self.cancel_button.on_click(lambda _: self.cancel())
        self.widget = classed(
            w.VBox(
                [
                    w.HBox([self.path, self.project]),
                    w.HBox(
                        [self.force, self.index_button, self.dry_run_button, self.cancel_button]
                    ),
                    w.HBox([self.progress, self.embed_progress]),
                    self.stage,
                    self.status,
                    self.report,
                ]
            ),
            "cl-index-panel",
        )

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def _say(self, text: str, *, error: bool = False) -> None:
        set_status(self.status, text, error=error)

    def start(self, *, dry_run: bool = False) -> None:
        """Start indexing on a background thread (a click on Index does this); ``dry_run``
        (the Dry run button) says what indexing would do and writes nothing."""
        if self.running:
            return
        try:
            path = self.path.value.strip()
            if not path:
                raise IndexingError("type the folder to index in the Folder box")
            name = self.project.value.strip()
            if not name:
                raise CodelensError("type a project name: an existing one or a new one")
            # Created here, so a bad name fails at once, after the folder (a mistyped one
            # takes no name); not by a dry run, which writes nothing (a bad name still
            # fails: Project checks it).
            ws = self.workspace
            if not dry_run:
                check_index_request(path)
            project = Project(ws, name) if dry_run else ws.project(name)
        except CodelensError as error:
            self._say(one_line(error), error=True)
            return
        self.cancel_event = threading.Event()
        self._buttons(running=True)
        self.progress.value, self.progress.bar_style = 0, ""
        self.embed_progress.value, self.embed_progress.bar_style = 0, ""
        self.report.outputs = ()
        if dry_run:
            self.stage.value = "dry run: reading and cutting files"
            self._say(f"dry run of {path} into {name}: nothing is written…")
        else:
            self._say(f"indexing {path} into {name}…")
        self.thread = threading.Thread(
            target=self._dry_run if dry_run else self._run,
            args=(project, path, self.force.value),
            name="codelens-index-panel",
            daemon=True,
        )
        self.thread.start()

    def _buttons(self, *, running: bool) -> None:
        self.index_button.disabled = self.dry_run_button.disabled = running
        self.cancel_button.disabled = not running

    def cancel(self) -> None:
        self.cancel_event.set()
        self.cancel_button.disabled = True
        self._say("cancelling after the batch in flight…")

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run in progress ends (tests, scripts)."""
        if self.thread is not None:
            self.thread.join(timeout)

    def _on_progress(self, tick: IndexProgress) -> None:
        # Two bars: files stored (searchable by words from then on), then chunks embedded
        # (found by meaning too), whose total is known when embedding begins.
        self.progress.max = max(tick.files_total, 1)
        self.progress.value = min(tick.files_done, self.progress.max)
        if tick.stage == "first pass":
            self.stage.value = (
                f"first pass: {tick.chunks_done:,} of {tick.chunks_total:,} chunks given"
                " the current static model's vectors"
            )
            return
        stored = f"{tick.stage}: {tick.files_done:,} of {tick.files_total:,} files stored"
        if tick.stage not in ("embed", "done") or not tick.chunks_total:
            self.stage.value = stored
            return
        if tick.stage == "embed" and tick.chunks_done == 0:
            self._say("every file is stored: search by words now; meaning search follows")
        self.embed_progress.max = max(tick.chunks_total, 1)
        self.embed_progress.value = min(tick.chunks_done, self.embed_progress.max)
        left = f", about {tick.seconds_left:.0f} s left" if tick.seconds_left else ""
        self.stage.value = (
            f"{stored}; {tick.chunks_done:,} of {tick.chunks_total:,} chunks embedded{left}"
        )

    def _run(self, project: Project, path: str, force: bool) -> None:
        try:
            report = project.index(
                path,
                force=force,
                progress=False,
                on_progress=self._on_progress,
                cancel=self.cancel_event,
            )
        except Exception as error:  # shown in the panel: a thread has nowhere else to report
            self.progress.bar_style = "danger"
            self._say(one_line(error), error=True)
        else:
            self.last_report = report
            self.report.append_display_data(report)
            style = "warning" if report.interrupted else "success"
            self.progress.bar_style = self.embed_progress.bar_style = style
            done = "cancelled" if report.interrupted else "done"
            # The last tick says "done" however the run ended; the stage line says how.
            if self.stage.value.startswith("done:"):
                self.stage.value = done + self.stage.value.removeprefix("done")
            awaiting = (
                f"; {report.chunks_awaiting} chunks await vectors (Index again, or"
                " project.embed_pending(), embeds them)"
                if report.chunks_awaiting
                else ""
            )
            self._say(
                f"{done}: {report.files_indexed} files stored, {report.chunks_embedded} chunks"
                f" embedded in {report.total_seconds:.1f} s{awaiting}"
            )
        finally:
            self.project.options = self.workspace.ids()
            self._buttons(running=False)

    def _dry_run(self, project: Project, path: str, force: bool) -> None:
        try:
            plan = project.dry_run(path, force=force, progress=False, cancel=self.cancel_event)
        except Exception as error:  # shown in the panel, as a run's are
            self.progress.bar_style = "danger"
            self._say(one_line(error), error=True)
        else:
            self.last_report = plan
            self.report.append_display_data(plan)
            self.progress.bar_style = "warning" if plan.interrupted else "info"
            self.stage.value = "dry run: cancelled" if plan.interrupted else "dry run: done"
            self._say(
                f"dry run, nothing written: {plan.files_to_index:,} files and {plan.chunks:,}"
                f" chunks to index; searchable by words in {duration(plan.seconds_to_words)},"
                f" fully embedded in {duration(plan.seconds_to_embedded)}"
            )
        finally:
            self._buttons(running=False)


def index_ui(
    project: Project | str | None = None,
    workspace: Workspace | None = None,
    path: str | os.PathLike[str] = "",
) -> Any:
    """The indexing panel (an ipywidgets VBox); ``path`` pre-fills the folder box."""
    panel = IndexPanel(project, workspace, path)
    panel.widget.panel = panel
    return panel.widget

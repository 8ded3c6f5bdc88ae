"""How close a dry run's estimates come to the run that follows it.

    python benchmarks/dry_run_estimate.py                         # json,email,http,logging
    python benchmarks/dry_run_estimate.py --packages json,tomllib

Copies some packages of this Python's standard library, dry-runs an index of them (the model
measured on a sample of their chunks), then indexes them for real with the local model, and
prints the estimates beside what happened: chunks, the time to every file stored, the time to
every chunk embedded, and the dry run's own time. It uses a private CODELENS_HOME.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sysconfig
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from codelens import Settings, Workspace
from codelens._db.embedded import stop_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", default="json,email,http,logging")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    work = Path(tempfile.mkdtemp(prefix="codelens-dry-"))
    root = work / "src"
    root.mkdir()
    for name in args.packages.split(","):
        src = stdlib / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(stdlib / f"{name}.py", root / f"{name}.py")
    ws = Workspace(Settings(home=work / "home"))
    try:
        project = ws.create("bench", embedder="local")
        plan = project.dry_run(root, progress=False)
        print(plan)
        report = project.index(root, progress=False)
        total = report.seconds["total"]
        embed = report.seconds.get("embed", 0.0)
        print(f"dry run itself      {plan.seconds:8.1f} s")
        print(f"chunks              {plan.chunks:8d} estimated, {report.chunks_added:8d} written")
        print(
            f"to searchable/words {plan.seconds_to_words:8.1f} s estimated,"
            f" {total - embed:8.1f} s of the run outside the model"
        )
        estimated = plan.seconds_to_embedded or 0.0
        print(
            f"to fully embedded   {estimated:8.1f} s estimated, {total:8.1f} s run"
            f" (ratio {total / estimated if estimated else 0.0:.2f})"
        )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        ws.close()
        stop_server(ws.settings.pgdata)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

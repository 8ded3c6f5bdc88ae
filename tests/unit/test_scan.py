from __future__ import annotations

import codecs
import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codelens._languages import LANGUAGES
from codelens._scan import walk as _scan
from codelens._scan.nofollow import check_folder
from codelens._scan.walk import (
    SKIP_REASONS,
    IgnoredPath,
    ScannedFile,
    ScanOptions,
    scan,
    scan_ignored,
    walk,
)
from codelens.errors import ConfigError, IndexingError


def write(root: Path, rel: str, content: bytes | str = "x = 1\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_bytes(content.encode())
    else:
        path.write_bytes(content)
    return path


def paths(root: Path, options: ScanOptions | None = None) -> list[str]:
    return [f.path for f in scan(root, options)]


def by_path(root: Path, options: ScanOptions | None = None) -> dict[str, ScannedFile]:
    return {f.path: f for f in scan(root, options)}


def ignored(root: Path, options: ScanOptions | None = None) -> dict[str, str]:
    return {i.path: i.rule for i in scan_ignored(root, options)}


GITIGNORE_LAYOUT = {
    ".gitignore": (
        "*.log\n!keep.log\n/root_only.txt\nbuild_out/\ndocs/**/draft*.md\n"
        "a/*\n!a/b/\n\\#literal.py\n# a comment\n**/cache_dir/\nsub/deeper/skip.py\n"
    ),
    "sub/.gitignore": "!*.log\n*.tmp.py\n/anchored.py\ngen/\nnested/*.txt\n",
    "sub/deeper/.gitignore": "!gen/\n",
    "app.py": "",
    "x.log": "",
    "keep.log": "",
    "root_only.txt": "",
    "sub/root_only.txt": "",
    "build_out/o.py": "",
    "docs/draft0.md": "",
    "docs/guide/draft1.md": "",
    "docs/guide/final.md": "",
    "a/x.py": "",
    "a/c/y.py": "",
    "a/b/z.py": "",
    "#literal.py": "",
    "sub/x.log": "",
    "sub/m.tmp.py": "",
    "sub/anchored.py": "",
    "anchored.py": "",
    "sub/gen/g.py": "",
    "sub/deeper/gen/h.py": "",
    "sub/cache_dir/c.py": "",
    "sub/deeper/skip.py": "",
    "other/sub/deeper/skip.py": "",
    "sub/nested/a.txt": "",
    "sub/nested/deeper/b.txt": "",
}


def make_gitignore_layout(root: Path) -> None:
    for rel, content in GITIGNORE_LAYOUT.items():
        write(root, rel, content)


def test_nested_gitignore_with_negation(tmp_path: Path) -> None:
    make_gitignore_layout(tmp_path)
    assert paths(tmp_path) == [
        ".gitignore",
        "a/b/z.py",
        "anchored.py",
        "app.py",
        "docs/guide/final.md",
        "keep.log",
        "other/sub/deeper/skip.py",
        "sub/.gitignore",
        "sub/deeper/.gitignore",
        "sub/deeper/gen/h.py",
        "sub/nested/deeper/b.txt",  # `*` does not cross "/"
        "sub/root_only.txt",
        "sub/x.log",
    ]
    assert ignored(tmp_path) == {
        "#literal.py": ".gitignore: \\#literal.py",
        "a/c": ".gitignore: a/*",
        "a/x.py": ".gitignore: a/*",
        "build_out": ".gitignore: build_out/",
        "docs/draft0.md": ".gitignore: docs/**/draft*.md",
        "docs/guide/draft1.md": ".gitignore: docs/**/draft*.md",
        "root_only.txt": ".gitignore: /root_only.txt",
        "sub/anchored.py": "sub/.gitignore: /anchored.py",
        "sub/cache_dir": ".gitignore: **/cache_dir/",
        "sub/deeper/skip.py": ".gitignore: sub/deeper/skip.py",
        "sub/gen": "sub/.gitignore: gen/",
        "sub/m.tmp.py": "sub/.gitignore: *.tmp.py",
        "sub/nested/a.txt": "sub/.gitignore: nested/*.txt",
        "x.log": ".gitignore: *.log",
    }


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_ignore_rules_agree_with_git(tmp_path: Path) -> None:
    make_gitignore_layout(tmp_path)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, env=env)
    write(tmp_path, ".git/info/exclude", "app.py\n")
    listed = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard", "-z"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "app.py" not in paths(tmp_path)
    assert paths(tmp_path) == sorted(listed.strip("\0").split("\0"))


def test_codelensignore_excludes_and_overrides_gitignore_and_defaults(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.sql\n")
    write(tmp_path, ".codelensignore", "docs/\n!schema.sql\n!build/\n")
    write(tmp_path, "lib/.codelensignore", "fixtures/\n")
    for rel in ["docs/a.md", "q.sql", "schema.sql", "build/tool.py", "lib/fixtures/f.py"]:
        write(tmp_path, rel)
    write(tmp_path, "lib/code.py")
    assert paths(tmp_path) == [
        ".codelensignore",
        ".gitignore",
        "build/tool.py",
        "lib/.codelensignore",
        "lib/code.py",
        "schema.sql",
    ]
    assert ignored(tmp_path) == {
        "docs": ".codelensignore: docs/",
        "lib/fixtures": "lib/.codelensignore: fixtures/",
        "q.sql": ".gitignore: *.sql",
    }


def test_extra_excludes_beat_repository_rules(tmp_path: Path) -> None:
    write(tmp_path, ".codelensignore", "!*.md\n")
    for rel in ["README.md", "guide.md", "dist/app.js", "a.py"]:
        write(tmp_path, rel)
    options = ScanOptions(extra_excludes=("*.md", "!README.md", "!dist/", ".codelensignore"))
    assert paths(tmp_path, options) == ["README.md", "a.py", "dist/app.js"]
    assert ignored(tmp_path, options) == {
        ".codelensignore": "extra_excludes: .codelensignore",
        "guide.md": "extra_excludes: *.md",
    }


def test_git_info_exclude_is_honoured(tmp_path: Path) -> None:
    write(tmp_path, ".git/info/exclude", "# local\nscratch.py\n")
    write(tmp_path, "scratch.py")
    write(tmp_path, "main.py")
    assert paths(tmp_path) == ["main.py"]
    assert ignored(tmp_path) == {
        ".git": "default: .git",
        "scratch.py": ".git/info/exclude: scratch.py",
    }


DEFAULT_EXCLUDED = {
    ".git": "default: .git",
    ".hg": "default: .hg",
    ".venv": "default: .venv/",
    "venv": "default: virtual environment (venv/)",
    "envs/data": "default: virtual environment (conda-meta)",
    "env": "default: virtual environment (pyvenv.cfg)",
    "tools/py311": "default: virtual environment (pyvenv.cfg)",
    "node_modules": "default: node_modules/",
    "pkg/__pycache__": "default: __pycache__/",
    ".mypy_cache": "default: .mypy_cache/",
    ".tox": "default: .tox/",
    "build": "default: build/",
    "dist": "default: dist/",
    "target": "default: target/",
    ".next": "default: .next/",
    "mypkg.egg-info": "default: *.egg-info/",
    "nb/.ipynb_checkpoints": "default: .ipynb_checkpoints/",
    "web/app.min.js": "default: *.min.js",
    "web/site.min.css": "default: *.min.css",
    "web/vendor.bundle.js": "default: *.bundle.js",
    "web/app.js.map": "default: *.map",
    "package-lock.json": "default: package-lock.json",
    "Cargo.lock": "default: Cargo.lock",
    "go.sum": "default: go.sum",
    "uv.lock": "default: uv.lock",
    "flake.lock": "default: *.lock",
    "Podfile.lock": "default: *.lock",
    "npm-shrinkwrap.json": "default: npm-shrinkwrap.json",
}


def test_default_excludes_are_reported_and_never_entered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for rel in DEFAULT_EXCLUDED:
        if rel in {"env", "tools/py311"}:
            write(tmp_path, f"{rel}/pyvenv.cfg", "home = /usr/bin\n")
            write(tmp_path, f"{rel}/lib/site.py")
        elif "." in rel.rsplit("/", 1)[-1].strip(".") and not rel.endswith("egg-info"):
            write(tmp_path, rel, "{}\n")
        else:
            for i in range(20):
                write(tmp_path, f"{rel}/deep/er/m{i}.py")
    write(tmp_path, "envs/data/conda-meta/history", "")
    write(tmp_path, "env2/lib/ok.py")  # a folder named like a venv without pyvenv.cfg
    write(tmp_path, "stdlib/venv/__init__.py")  # the venv module's source, not an environment
    write(tmp_path, "pkg/mod.py")
    write(tmp_path, "web/app.js")
    listed: list[str] = []
    real_scandir = os.scandir

    def spying_scandir(fd: int) -> Iterator[os.DirEntry[str]]:
        # Folders are listed through their descriptors; Linux names the folder behind one.
        listed.append(os.path.relpath(os.readlink(f"/proc/self/fd/{fd}"), tmp_path.resolve()))
        return real_scandir(fd)

    monkeypatch.setattr(os, "scandir", spying_scandir)
    assert paths(tmp_path) == [
        "env2/lib/ok.py",
        "pkg/mod.py",
        "stdlib/venv/__init__.py",
        "web/app.js",
    ]
    assert ignored(tmp_path) == DEFAULT_EXCLUDED
    # an environment is listed once to find its marker; nothing else excluded is opened
    kept = {".", "env2", "env2/lib", "pkg", "web", "tools", "nb", "envs", "stdlib", "stdlib/venv"}
    assert {p for p in listed if p not in kept} == {"env", "tools/py311", "venv", "envs/data"}


def test_every_skip_reason_from_real_files(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    outside = write(tmp_path, "outside/secret.py")
    write(repo, "binary.py", b"\x7fELF\x00\x01\x02")
    write(repo, "big.py", "#" * 101)
    write(repo, "big_script", "#!/bin/sh\n" + "echo\n" * 30)
    write(repo, "latin1.py", "caf\xe9 = 1\n".encode("latin-1"))
    write(repo, "utf32.py", "x = 1\n".encode("utf-32"))
    write(repo, "empty.py", b"")
    write(repo, "blank.py", " \n\t\r\n")
    write(repo, "data.xyz", "1,2,3\n")
    write(repo, "logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(repo, "report", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")  # no NUL, no name: by its start
    write(repo, ".env", "DATABASE_PASSWORD=hunter2\n")
    write(repo, "lib.rs", "fn main() {}\n")
    write(repo, "nb/broken.ipynb", '{"cells": [')
    write(repo, "nb/future.ipynb", '{"nbformat": 5, "cells": []}')
    cells = ",".join(['{"cell_type": "raw", "source": "x"}'] * 2_001)
    write(repo, "nb/long.ipynb", '{"nbformat": 4, "cells": [' + cells + "]}")
    write(repo, "nb/big.ipynb", '{"nbformat": 4, "cells": [{"cell_type": "raw", "source": "'
          + "x" * 200 + '"}]}')  # fmt: skip
    os.mkfifo(repo / "pipe.py")
    (repo / "dangling.py").symlink_to(repo / "missing.py")
    (repo / "escape.py").symlink_to(outside)
    (repo / "escape_dir").symlink_to(outside.parent, target_is_directory=True)
    (repo / "self").symlink_to(repo / "self")
    write(repo, "sub/ok.py")
    (repo / "sub" / "up").symlink_to(repo, target_is_directory=True)
    (repo / "sub" / "again.py").symlink_to("ok.py")
    write(repo, os.fsdecode(b"caf\xe9.py"))
    options = ScanOptions(max_file_bytes=100, languages=LANGUAGES - {"rust"})
    files = by_path(repo, options)
    reasons = {path: f.skip_reason for path, f in files.items()}
    assert reasons == {
        ".env": "credentials",
        "big.py": "too_large",
        "big_script": "too_large",
        "binary.py": "binary",
        "blank.py": "empty",
        "caf\\xe9.py": "undecodable_name",
        "dangling.py": "broken_symlink",
        "data.xyz": None,  # text in a language without a name: windows of lines
        "empty.py": "empty",
        "escape.py": "symlink_outside",
        "escape_dir": "symlink_outside",
        "latin1.py": "undecodable",
        "lib.rs": "language_excluded",
        "logo.png": "unsupported",
        "nb/big.ipynb": "notebook_too_large",
        "nb/broken.ipynb": "notebook_invalid",
        "nb/future.ipynb": "notebook_version",
        "nb/long.ipynb": "notebook_too_many_cells",
        "pipe.py": "unreadable",
        "report": "unsupported",
        "self": "symlink_loop",
        "sub/again.py": "duplicate_of sub/ok.py",
        "sub/ok.py": None,
        "sub/up": "symlink_loop",
        "utf32.py": "undecodable",
    }
    # long_lines needs a file over max_file_bytes here: see its own test
    assert {r.split()[0] for r in reasons.values() if r} == set(SKIP_REASONS) - {"long_lines"}
    assert all(not f.indexable and f.text is None for f in files.values() if f.skip_reason)
    big = files["big.py"]
    assert (big.size, big.sha256, big.line_count, big.language) == (101, None, 0, "python")
    assert files["big_script"].language == "shell"  # from the first bytes only
    raw = (repo / "binary.py").read_bytes()
    assert files["binary.py"].sha256 == hashlib.sha256(raw).hexdigest()
    assert files["pipe.py"].size == 0
    assert files["sub/ok.py"].indexable
    assert files["data.xyz"].language == "text"
    # what its name rules out is not read: no hash
    assert files["logo.png"].sha256 is None
    assert files[".env"].sha256 is None
    assert files["report"].sha256 is not None


def test_every_text_file_is_indexed_with_a_language_and_what_is_not_text_is_skipped(
    tmp_path: Path,
) -> None:
    write(tmp_path, "Makefile", "all:\n\ttrue\n")
    write(tmp_path, "Jenkinsfile", "pipeline { agent any }\n")
    write(tmp_path, "build.gradle.kts", "plugins { java }\n")
    write(tmp_path, "infra/main.tf", 'resource "a" "b" {}\n')
    write(tmp_path, "CODEOWNERS", "* @team\n")
    write(tmp_path, "tools/sync", "#!/usr/bin/env -S deno run\nconsole.log(1)\n")
    write(tmp_path, "docs/notes.weird", "words a person wrote\n")
    write(tmp_path, "NOTES", "more words\n")
    write(tmp_path, ".env.example", "DATABASE_URL=\n")  # documents settings: indexed
    write(tmp_path, ".env.production", "SECRET=1\n")
    write(tmp_path, "keys/server.pem", "-----BEGIN PRIVATE KEY-----\n")
    write(tmp_path, "fonts/a.woff2", b"wOF2\x00\x01")
    write(tmp_path, "model.pkl", "looks like text\n")  # by its extension, whatever is inside
    write(tmp_path, "blob", b"\x1f\x8b\x08\x00rest")  # a gzip stream without a name
    files = by_path(tmp_path)
    assert {p: (f.language, f.skip_reason) for p, f in files.items()} == {
        ".env.example": ("text", None),
        ".env.production": (None, "credentials"),
        "CODEOWNERS": ("codeowners", None),
        "Jenkinsfile": ("groovy", None),
        "Makefile": ("make", None),
        "NOTES": ("text", None),
        "blob": (None, "unsupported"),
        "build.gradle.kts": ("kotlin", None),
        "docs/notes.weird": ("text", None),
        "fonts/a.woff2": (None, "unsupported"),
        "infra/main.tf": ("hcl", None),
        "keys/server.pem": (None, "credentials"),
        "model.pkl": (None, "unsupported"),
        "tools/sync": ("typescript", None),
    }


def test_minified_code_and_one_line_dumps_are_long_lines(tmp_path: Path) -> None:
    write(tmp_path, "web/vendor.js", "var a=1;" * 400 + "\n")
    write(tmp_path, "data/export.json", '{"rows": [' + ",".join(["[1, 2, 3]"] * 300) + "]}")
    # one long literal in a file of ordinary lines stays code
    write(tmp_path, "icons.py", "ICON = '" + "A" * 1500 + "'\n" + "def f():\n    pass\n" * 200)
    write(tmp_path, "nb/plot.ipynb", _notebook_with_a_long_output())
    files = by_path(tmp_path)
    assert {p: f.skip_reason for p, f in files.items()} == {
        "data/export.json": "long_lines",
        "icons.py": None,
        "nb/plot.ipynb": None,  # its JSON lines are not what is indexed
        "web/vendor.js": "long_lines",
    }


def _notebook_with_a_long_output() -> str:
    import json

    cell = {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "source": ["plot()\n"],
        "outputs": [
            {"output_type": "display_data", "metadata": {}, "data": {"image/png": "A" * 5000}}
        ],
    }
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]})


def test_languages_narrow_what_is_indexed(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "x = 1\n")
    write(tmp_path, "schema.sql", "CREATE TABLE t (id int);\n")
    write(tmp_path, "bin/run", "#!/usr/bin/env python3\nprint(1)\n")
    write(tmp_path, "bin/deploy", "#!/bin/bash\necho hi\n")
    write(tmp_path, "notes", "words\n")
    files = by_path(tmp_path, ScanOptions(languages=frozenset({"Python", "sql"})))
    assert {p: (f.language, f.skip_reason) for p, f in files.items()} == {
        "a.py": ("python", None),
        "bin/deploy": ("shell", "language_excluded"),  # known from its shebang, after reading
        "bin/run": ("python", None),
        "notes": ("text", "language_excluded"),
        "schema.sql": ("sql", None),
    }
    assert files["schema.sql"].text == "CREATE TABLE t (id int);\n"
    assert files["bin/deploy"].sha256 is not None


def test_unknown_language_names_are_refused_with_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        ScanOptions(languages=frozenset({"python", "pyton"}))
    message = str(info.value)
    assert "'pyton'" in message
    assert "known: " in message
    assert all(name in message for name in ("python", "sql", "text", "yaml"))
    assert "\n" not in message
    with pytest.raises(ConfigError, match=r"pass \{'python'\}"):
        ScanOptions(languages="python")  # type: ignore[arg-type]
    assert ScanOptions(languages={"SQL"}).languages == frozenset({"sql"})  # type: ignore[arg-type]
    assert ScanOptions().languages is None


def test_a_nul_after_the_first_8_kib_is_binary(tmp_path: Path) -> None:
    write(tmp_path, "late_nul.py", "x = 1\n" * 2000 + "\0")
    assert by_path(tmp_path)["late_nul.py"].skip_reason == "binary"


def test_what_a_link_inside_the_root_reaches_is_read_once_under_its_real_path(
    tmp_path: Path,
) -> None:
    write(tmp_path, "real/mod.py", "a = 1\n")
    write(tmp_path, "ignored/only.py", "b = 2\n")
    write(tmp_path, ".gitignore", "ignored/\n")
    (tmp_path / "alias.py").symlink_to("real/mod.py")
    (tmp_path / "linked").symlink_to("real", target_is_directory=True)
    (tmp_path / "through").symlink_to("ignored", target_is_directory=True)
    files = by_path(tmp_path)
    assert {path: f.skip_reason for path, f in files.items()} == {
        ".gitignore": None,
        "real/mod.py": None,
        "alias.py": "duplicate_of real/mod.py",
        "linked": "duplicate_of real",
        "through/only.py": None,  # reached only through the link: read under its path
    }
    assert files["alias.py"].text is None

    options = ScanOptions(follow_symlinks=False)
    assert paths(tmp_path, options) == [".gitignore", "real/mod.py"]
    assert list(scan_ignored(tmp_path, options)) == [
        IgnoredPath("alias.py", False, "option: follow_symlinks=False"),
        IgnoredPath("ignored", True, ".gitignore: ignored/"),
        IgnoredPath("linked", True, "option: follow_symlinks=False"),
        IgnoredPath("through", True, "option: follow_symlinks=False"),
    ]


def test_symlinked_folder_cycle_ends(tmp_path: Path) -> None:
    write(tmp_path, "x/a.py")
    write(tmp_path, "y/b.py")
    (tmp_path / "x" / "to_y").symlink_to("../y", target_is_directory=True)
    (tmp_path / "y" / "to_x").symlink_to("../x", target_is_directory=True)
    assert {f.path: f.skip_reason for f in scan(tmp_path)} == {
        "x/a.py": None,
        "x/to_y": "duplicate_of y",
        "y/b.py": None,
        "y/to_x": "duplicate_of x",
    }


def test_root_given_through_a_symlink(tmp_path: Path) -> None:
    write(tmp_path, "repo/a.py")
    (tmp_path / "repo" / "abs.py").symlink_to(tmp_path / "repo" / "a.py")
    (tmp_path / "link").symlink_to(tmp_path / "repo", target_is_directory=True)
    assert {f.path: f.skip_reason for f in scan(tmp_path / "link")} == {
        "a.py": None,
        "abs.py": "duplicate_of a.py",
    }


def test_line_count_crlf_and_missing_final_newline(tmp_path: Path) -> None:
    write(tmp_path, "crlf.py", b"a = 1\r\nb = 2\r\n")
    write(tmp_path, "open_end.py", "a = 1\nb = 2")
    write(tmp_path, "one.py", "a")
    files = by_path(tmp_path)
    assert files["crlf.py"].line_count == 2
    assert files["crlf.py"].text == "a = 1\r\nb = 2\r\n"
    assert files["open_end.py"].line_count == 2
    assert files["one.py"].line_count == 1


def test_boms_are_decoded_and_hash_is_of_raw_bytes(tmp_path: Path) -> None:
    utf8 = codecs.BOM_UTF8 + "π = 3.14\n".encode()
    utf16 = "π = 3.14\n".encode("utf-16")  # with BOM
    write(tmp_path, "utf8.py", utf8)
    write(tmp_path, "utf16.py", utf16)
    write(tmp_path, "utf16_no_bom.py", "x = 1\n".encode("utf-16-le"))
    write(tmp_path, "utf16_odd.py", codecs.BOM_UTF16_LE + b"x\x00y")
    write(tmp_path, "utf16_nul.py", "x\0\n".encode("utf-16"))
    files = by_path(tmp_path)
    assert files["utf8.py"].text == "π = 3.14\n"
    assert files["utf8.py"].sha256 == hashlib.sha256(utf8).hexdigest()
    assert files["utf8.py"].size == len(utf8)
    assert files["utf16.py"].text == "π = 3.14\n"
    assert files["utf16.py"].sha256 == hashlib.sha256(utf16).hexdigest()
    assert files["utf16_no_bom.py"].skip_reason == "binary"  # no guessing without a BOM
    assert files["utf16_odd.py"].skip_reason == "undecodable"
    assert files["utf16_nul.py"].skip_reason == "binary"  # PostgreSQL cannot store NUL


def test_shebang_scripts_without_extension_are_indexed(tmp_path: Path) -> None:
    write(tmp_path, "bin/deploy", "#!/usr/bin/env bash\nset -e\n")
    write(tmp_path, "bin/serve", "#!/usr/bin/env node\nrequire('http')\n")
    write(tmp_path, "bin/notes", "plain words\n")
    files = by_path(tmp_path)
    assert {p: (f.language, f.skip_reason) for p, f in files.items()} == {
        "bin/deploy": ("shell", None),
        "bin/notes": ("text", None),
        "bin/serve": ("javascript", None),
    }


def test_order_is_sorted_by_path_and_repeatable(tmp_path: Path) -> None:
    for rel in [
        "a.py",
        "a-b/x.py",
        "a/b.py",
        "a/c/d.py",
        "B.py",
        "a.py.txt",
        "ab/z.py",
        "a/b/c.py",
    ]:
        write(tmp_path, rel)
    first = list(scan(tmp_path))
    found = [f.path for f in first]
    assert found == sorted(found)
    assert len(found) == 8
    assert list(scan(tmp_path)) == first


def test_read_false_keeps_hash_and_counts_but_drops_text(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "a = 1\nb = 2\n")
    full = by_path(tmp_path)["a.py"]
    light = next(iter(scan(tmp_path, read=False)))
    assert light.text is None
    assert light.indexable
    assert (light.sha256, light.line_count, light.size) == (full.sha256, 2, 12)
    assert full.text == "a = 1\nb = 2\n"


def test_files_and_folders_vanishing_mid_scan_are_recorded_not_raised(tmp_path: Path) -> None:
    write(tmp_path, "a.py")
    write(tmp_path, "b.py")
    write(tmp_path, "c/d.py")
    items = walk(tmp_path)
    assert next(items) == ScannedFile(
        "a.py", "python", 6, hashlib.sha256(b"x = 1\n").hexdigest(), 1, "x = 1\n", None
    )
    (tmp_path / "b.py").unlink()
    shutil.rmtree(tmp_path / "c")
    assert list(items) == [
        ScannedFile("b.py", "python", 0, None, 0, None, "unreadable"),
        IgnoredPath("c", True, "unreadable: No such file or directory"),
    ]


def test_missing_root_or_file_root_raises_indexing_error(tmp_path: Path) -> None:
    with pytest.raises(IndexingError, match="missing"):
        list(scan(tmp_path / "nope"))
    file_root = write(tmp_path, "f.py")
    with pytest.raises(IndexingError, match="is a file") as info:
        list(scan(file_root))
    assert "\n" not in str(info.value)


def test_skip_reasons_are_documented() -> None:
    assert list(SKIP_REASONS) == [
        "undecodable_name",
        "broken_symlink",
        "symlink_outside",
        "symlink_loop",
        "duplicate_of",
        "unreadable",
        "unsupported",
        "credentials",
        "language_excluded",
        "empty",
        "too_large",
        "binary",
        "undecodable",
        "long_lines",
        "notebook_too_large",
        "notebook_invalid",
        "notebook_version",
        "notebook_too_many_cells",
    ]
    assert all(text and "\n" not in text for text in SKIP_REASONS.values())


def test_files_whose_names_are_not_utf8_are_skipped_with_the_reason(tmp_path: Path) -> None:
    write(tmp_path, "ok.py")
    write(tmp_path, ".gitignore", "*.log\n")
    try:
        # A real name in a legacy encoding (latin-1 "café.py"), made from bytes.
        with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.py"), "wb") as f:
            f.write(b"secret = 1\n")
        os.mkdir(os.path.join(os.fsencode(tmp_path), b"d\xff"))
        with open(os.path.join(os.fsencode(tmp_path), b"d\xff", b"inner.py"), "wb") as f:
            f.write(b"x = 1\n")
        with open(os.path.join(os.fsencode(tmp_path), b"old\xe9.log"), "wb") as f:
            f.write(b"log\n")
    except OSError:  # pragma: no cover - a file system that only stores UTF-8 names
        pytest.skip("this file system rejects names that are not UTF-8")
    files = by_path(tmp_path)
    # Stored as text with \xNN escapes: no lone surrogate may reach the database.
    assert files["caf\\xe9.py"] == ScannedFile(
        "caf\\xe9.py", "python", 0, None, 0, None, "undecodable_name"
    )
    assert all(p.encode() for p in files)
    assert sorted(files) == [".gitignore", "caf\\xe9.py", "ok.py"]
    assert list(scan_ignored(tmp_path)) == [
        IgnoredPath("d\\xff", True, "name: not valid UTF-8"),
        IgnoredPath("old\\xe9.log", False, ".gitignore: *.log"),
    ]


# -- a link swapped in between the scanner's check and its open --------------------------


@pytest.fixture
def swap_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Callable[[], None]]]:
    """Swaps to run through the scanner's seam as it is about to open the given path."""
    swaps: dict[str, Callable[[], None]] = {}

    def before_open(rel: str) -> None:
        swap = swaps.pop(rel, None)
        if swap is not None:
            swap()

    monkeypatch.setattr(_scan, "before_open", before_open)
    yield swaps
    assert not swaps, f"the scanner never reached {sorted(swaps)}"


def _link_instead(path: Path, target: Path) -> Callable[[], None]:
    def swap() -> None:
        path.rename(path.with_name(path.name + "-old"))
        path.symlink_to(target, target_is_directory=target.is_dir())

    return swap


def test_a_file_swapped_for_an_outside_link_after_its_check_is_not_read(
    tmp_path: Path, swap_at: dict[str, Callable[[], None]]
) -> None:
    secret = write(tmp_path, "outside/secret.py", "TOKEN = 'hunter2'\n")
    repo = tmp_path / "repo"
    write(repo, "a.py", "a = 1\n")
    write(repo, "b.py", "b = 2\n")
    swap_at["a.py"] = _link_instead(repo / "a.py", secret)
    files = by_path(repo)
    assert files["a.py"] == ScannedFile("a.py", "python", 0, None, 0, None, "symlink_outside")
    assert files["b.py"].text == "b = 2\n"
    assert not any(f.text and "hunter2" in f.text for f in files.values())


def test_a_folder_swapped_for_an_outside_link_before_it_is_entered_is_not_listed(
    tmp_path: Path, swap_at: dict[str, Callable[[], None]]
) -> None:
    write(tmp_path, "outside/secret.py", "TOKEN = 'hunter2'\n")
    repo = tmp_path / "repo"
    write(repo, "pkg/mod.py")
    swap_at["pkg"] = _link_instead(repo / "pkg", tmp_path / "outside")
    files = by_path(repo)
    assert {p: f.skip_reason for p, f in files.items()} == {"pkg": "symlink_outside"}


def test_a_followed_link_whose_folder_is_swapped_after_its_check_is_not_read(
    tmp_path: Path, swap_at: dict[str, Callable[[], None]]
) -> None:
    write(tmp_path, "outside/mod.py", "TOKEN = 'hunter2'\n")
    repo = tmp_path / "repo"
    write(repo, "real/mod.py", "a = 1\n")
    write(repo, ".gitignore", "real/\n")  # reached only through the link, so it is followed
    (repo / "alias.py").symlink_to("real/mod.py")  # inside the root: checked, then followed
    # The link itself stays; a folder on its way now leads outside.
    swap_at["alias.py"] = _link_instead(repo / "real", tmp_path / "outside")
    files = by_path(repo)
    assert files["alias.py"].skip_reason == "symlink_outside"
    assert not any(f.text and "hunter2" in f.text for f in files.values())


def test_a_checked_folder_is_walked_only_while_it_is_the_same_folder(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write(root, "repo/a.py", "a = 1\n")
    write(tmp_path, "outside/secret.py", "TOKEN = 'hunter2'\n")
    checked = check_folder(str(root.resolve()), str((root / "repo").resolve()))
    assert [f.path for f in scan(checked)] == ["a.py"]
    # Still there under another name is not the same: the path now leads outside.
    _link_instead(root / "repo", tmp_path / "outside")()
    with pytest.raises(IndexingError, match="changed after it was checked") as info:
        list(scan(checked))
    assert "\n" not in str(info.value)
    # A real folder put in its place is refused as well: it is not the folder that was checked.
    (root / "repo").unlink()
    write(root, "repo/b.py")
    with pytest.raises(IndexingError, match="changed after it was checked"):
        list(scan(checked))


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([1001], True),  # one line just over the limit
        ([1000], False),  # at the limit
        ([1001, 1000], False),  # half of it, not more
        ([1001, 990], True),
        ([40] * 30 + [1500], True),  # one long line outweighing many short ones
        ([40] * 50 + [1500], False),
        ([1001] * 5 + [10] * 400, True),
        ([499, 501, 999, 1002, 3000], True),  # long lines at every offset from a probe
    ],
)
def test_long_lines_are_measured_exactly(tmp_path: Path, lines: list[int], expected: bool) -> None:
    data = b"\n".join(b"x" * n for n in lines) + b"\n"
    write(tmp_path, "f.py", data)
    reason = by_path(tmp_path)["f.py"].skip_reason
    assert (reason == "long_lines") is expected

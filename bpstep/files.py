"""Reading the files bpstep is handed: one place, for every kind of file.

Scenario files, CSV data, answer sheets and golden traces are shared between students,
instructors and autograders, so every one is treated as possibly crafted:

- only regular files are read: a FIFO, a device (``/dev/zero``), a folder or a symlink loop is
  refused at once, and a FIFO never blocks (it is opened with ``O_NONBLOCK`` and checked with
  ``fstat`` before any byte is read);
- each kind of file has a size cap (``LIMITS``), stated in the message; the environment
  variable ``BPSTEP_MAX_FILE_MIB`` sets one cap, in MiB, for every kind;
- gzip data (golden traces) is decompressed in chunks and given up past the same cap, so a
  gzip bomb costs at most the cap in memory;
- OS and decoding errors (not found, permission, a NUL byte in the name, bad UTF-8, …) become
  one ``BpstepError`` naming the file, built by the caller's ``error`` function (a
  ``ScenarioError`` with its key for a scenario, an ``AnswerError`` for an answer sheet, …).

Nothing here echoes a file's content.
"""

from __future__ import annotations

import errno
import os
import stat
import zlib
from collections.abc import Callable
from pathlib import Path

from bpstep.errors import BpstepError

MIB = 1024 * 1024
# The cap per kind of file, in bytes (for gzip data, of the expanded text).
LIMITS = {
    "scenario": 16 * MIB,
    "answers": 4 * MIB,
    "data": 64 * MIB,
    "golden": 128 * MIB,
}
ENV_LIMIT = "BPSTEP_MAX_FILE_MIB"
_CHUNK = 1 * MIB


class FileProblem(BpstepError):
    """A file that cannot be read: ``path: problem``."""


ErrorFactory = Callable[[str], BpstepError]


def limit_for(kind: str) -> int:
    """The size cap for ``kind`` in bytes: ``BPSTEP_MAX_FILE_MIB`` when set, else ``LIMITS``."""
    raw = os.environ.get(ENV_LIMIT, "").strip()
    if raw:
        try:
            mib = float(raw)
        except ValueError:
            mib = -1.0
        if not 0 < mib < 1e9:
            raise BpstepError(f"{ENV_LIMIT} must be a positive number of MiB, got {raw[:40]!r}")
        return int(mib * MIB)
    return LIMITS[kind]


def size_text(n: int) -> str:
    """``128 MiB``, ``3.5 MiB`` or ``900 bytes``."""
    return f"{n / MIB:.4g} MiB" if n >= MIB else f"{n:,} bytes"


def _too_big(kind: str, cap: int, what: str) -> str:
    return (f"{what} is larger than the {size_text(cap)} allowed for a {kind} file "
            f"(set {ENV_LIMIT} to raise the cap)")


def _default_error(path: str) -> ErrorFactory:
    return lambda message: FileProblem(f"{path}: {message}")


def _os_problem(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "is a folder, expected a file"
    if isinstance(exc, PermissionError):
        return "cannot be read (permission denied)"
    if exc.errno == errno.ELOOP:
        return "cannot be read (a loop of symbolic links)"
    if exc.errno == errno.ENAMETOOLONG:
        return "cannot be read (the name is too long)"
    return f"cannot be read ({exc.strerror or type(exc).__name__})"


def _file_type(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a folder"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    return "is not a regular file"


def read_bytes(path: str | Path, kind: str, error: ErrorFactory | None = None,
               expected: str = "") -> bytes:
    """The bytes of the regular file ``path`` (at most the cap for ``kind``).

    ``error(message)`` builds the exception for a problem (default: ``FileProblem`` naming the
    file); ``expected`` completes "is a folder, expected …" (``a TOML scenario file``).
    """
    make = error or _default_error(str(path))
    cap = limit_for(kind)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except ValueError:  # a NUL byte in the name
        raise make("cannot be read (the file name holds a NUL byte)") from None
    except OSError as exc:
        raise make(_os_problem(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            tail = f", expected {expected}" if expected else ", expected a regular file"
            raise make(_file_type(info.st_mode) + tail)
        if info.st_size > cap:
            raise make(_too_big(kind, cap, f"is {size_text(info.st_size)}: that"))
        chunks = []
        total = 0
        while True:  # st_size may be wrong (a file still growing, /proc): never read past the cap
            chunk = os.read(fd, min(_CHUNK, cap + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > cap:
                raise make(_too_big(kind, cap, "it"))
        return b"".join(chunks)
    except OSError as exc:
        raise make(_os_problem(exc)) from None
    finally:
        os.close(fd)


def gunzip(data: bytes, kind: str, make: ErrorFactory) -> bytes:
    """``data`` decompressed (every gzip member), given up as soon as it expands past the cap."""
    cap = limit_for(kind)
    out: list[bytes] = []  # chunks, not one growing buffer: no reallocation near the cap
    total = 0
    rest = data
    try:
        while rest:
            d = zlib.decompressobj(wbits=31)
            buf = rest
            while not d.eof:  # at most a chunk of output at a time
                piece = d.decompress(buf, _CHUNK)
                if not piece and len(d.unconsumed_tail) == len(buf):
                    break  # no progress: the input ends before the member does
                buf = d.unconsumed_tail
                out.append(piece)
                total += len(piece)
                if total > cap:
                    raise make(_too_big(kind, cap, "its uncompressed content"))
            if not d.eof:
                raise make("is a damaged gzip file (it ends too early)")
            rest = d.unused_data
            if rest and rest[:2] != b"\x1f\x8b":
                break  # trailing bytes after the last member, as gzip itself ignores zeros
    except zlib.error:
        raise make("is a damaged gzip file") from None
    return b"".join(out)


def decode(data: bytes, make: ErrorFactory, expected: str) -> str:
    """UTF-8 text (a leading BOM dropped); bad bytes name their position, not their content."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise make(f"is not UTF-8 text (byte {exc.start}); expected {expected}") from None


def read_text(path: str | Path, kind: str, error: ErrorFactory | None = None,
              expected: str = "a text file", gzip: bool = False) -> str:
    """The UTF-8 text of the regular file ``path`` (gunzipped first when ``gzip`` and it starts
    with the gzip magic), within the cap for ``kind``."""
    make = error or _default_error(str(path))
    data = read_bytes(path, kind, make, expected)
    if gzip and data[:2] == b"\x1f\x8b":
        data = gunzip(data, kind, make)
    return decode(data, make, expected)

"""A scenario's data as numpy arrays in an ``.npz`` file (``numpy.savez``): for data too large
to write as CSV. ``[data] npz = "mnist.npz"``, ``inputs_array = "x"``, ``targets_array = "y"``.

An .npz is a zip of ``.npy`` files, and a shared file may be crafted: the bytes come capped from
``bpstep.files``; numpy reads them with ``allow_pickle=False`` (an array of Python objects, a
pickle, is refused, never loaded); a member must declare no more than the cap uncompressed (a
zip bomb stops at its declared size, which is checked first); each array must be numbers, 1-D or
2-D, finite. Messages name the arrays the scenario names, never the file's content.
"""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING

from bpstep import files
from bpstep.errors import ScenarioError, suggest

if TYPE_CHECKING:
    import numpy as np

    from bpstep.scenario.toml_reader import Table

MAX_NAME = 200  # a longer member name is not listed in a suggestion


def read_npz(data: bytes, name: str, inputs_array: str, targets_array: str,
             t: Table) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets) as read-only float64 arrays, samples × columns (a 1-D array is one
    column)."""
    import numpy as np

    where = t.key_path("npz")

    def fail(message: str) -> ScenarioError:
        return ScenarioError(t.source, where, f"{name}: {message}")

    try:
        npz = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile):
        raise fail("is not an .npz file (numpy.savez writes one: a zip of .npy arrays)") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):  # a lone .npy array
        raise fail("is a single .npy array; expected an .npz file of named arrays (numpy.savez)")
    cap = files.limit_for("data")
    left = cap
    out = []
    with npz:
        names = [n for n in npz.files if len(n) <= MAX_NAME and n.isprintable()]
        for key, array in (("inputs_array", inputs_array), ("targets_array", targets_array)):
            if array not in npz.files:
                raise t.error(key, f"array '{array}' is not in {name} ({suggest(array, names)})")
            member = npz.zip.getinfo(f"{array}.npy") if f"{array}.npy" in npz.zip.namelist() else None
            if member is None:
                raise t.error(key, f"'{array}' in {name} is not an .npy array")
            # zipfile stops reading a member at its declared size, so this bounds the memory.
            if member.file_size > left:
                raise fail(f"array '{array}' is {member.file_size / files.MIB:.1f} MiB uncompressed: "
                           f"the data it holds is larger than the {cap / files.MIB:g} MiB allowed "
                           f"for a data file (set {files.ENV_LIMIT} to raise the cap)")
            left -= member.file_size
            try:
                value = npz[array]
            except ValueError as exc:
                if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
                    raise t.error(key, f"array '{array}' in {name} holds Python objects (a pickle): "
                                       "only arrays of numbers are read") from None
                raise t.error(key, f"array '{array}' in {name} is damaged or not an .npy array") from None
            except (OSError, EOFError, zipfile.BadZipFile, NotImplementedError):
                raise t.error(key, f"array '{array}' in {name} is damaged") from None
            out.append(_numbers(value, key, array, name, t))
    return out[0], out[1]


def _numbers(value: object, key: str, array: str, name: str, t: Table) -> np.ndarray:
    import numpy as np

    if not isinstance(value, np.ndarray):  # NpzFile gives a member that is not .npy as bytes
        raise t.error(key, f"'{array}' in {name} is not an .npy array")
    what = f"array '{array}' in {name}"
    if value.dtype.fields is not None or value.dtype.kind not in "fiu":
        raise t.error(key, f"{what} has dtype {value.dtype.str}, expected numbers (float or integer)")
    if value.ndim not in (1, 2) or value.size == 0:
        raise t.error(key, f"{what} has shape {value.shape}, expected samples × columns "
                           "(or one value per sample)")
    # No copy of an array that is already float64 and contiguous (np.load made it; nothing else
    # holds it): a 60,000 × 784 file is 376 MB.
    out = np.ascontiguousarray(value, dtype=np.float64).reshape(len(value), -1)
    if not np.isfinite(out).all():
        raise t.error(key, f"{what} holds a value that is not a finite number")
    out.setflags(write=False)
    return out

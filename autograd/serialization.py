"""Weights to disk and back: ``autograd.save(model.state_dict(), path)``, ``autograd.load(path)``.

The file is a numpy ``.npz`` archive (a zip of ``.npy`` arrays, one per key, no pickles), so
``np.load(path)`` reads it too, and so does any tool that reads numpy files. Writing is atomic:
the archive goes to a temporary file in the same directory, is flushed to disk, then renamed over
``path`` with :func:`os.replace`; a crash or a full disk mid-save leaves the old file intact.

>>> import numpy as np, os, tempfile, autograd
>>> path = os.path.join(tempfile.mkdtemp(), "weights.npz")
>>> autograd.save({"0.weight": np.eye(2)}, path)
>>> autograd.load(path)["0.weight"]
array([[1., 0.],
       [0., 1.]])
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from typing import Any, Dict, Union

import numpy as np

__all__ = ["save", "load"]

PathLike = Union[str, "os.PathLike[str]"]


def save(state_dict: Dict[str, Any], path: PathLike) -> None:
    """Write ``name -> array`` to ``path`` as an ``.npz`` archive, atomically.

    Args:
        state_dict: keys are strings; values numpy arrays, Tensors or anything ``np.asarray``
            turns into an array of real numbers (dtypes are kept).
        path: the file to write; it must end in ``.npz`` (numpy would otherwise add the suffix
            on reading back and the names would not match).

    Raises:
        TypeError: a non-string key or a value that is not an array of real numbers.
        ValueError: a path not ending in ``.npz``.
    """
    from .node import Node

    path = os.fspath(path)
    if not path.endswith(".npz"):
        raise ValueError(f"save(): the path must end in .npz (a numpy archive), got {path!r}")
    if not isinstance(state_dict, dict):
        raise TypeError(f"save() needs a dict of name -> array (model.state_dict()), got "
                        f"{type(state_dict).__name__}")
    arrays = {}
    for key, value in state_dict.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"save(): keys must be non-empty strings, got {key!r}")
        array = np.asarray(value.data if isinstance(value, Node) else value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"save(): {key!r} must be an array of real numbers, got dtype "
                            f"{array.dtype}")
        arrays[key] = array
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save(): the directory {directory!r} does not exist (create it "
                                f"first, e.g. os.makedirs)")
    if os.path.isdir(path):
        raise IsADirectoryError(f"save(): {path!r} is a directory, not a file name")
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
                for key, array in arrays.items():
                    with archive.open(key + ".npy", "w", force_zip64=True) as member:
                        np.lib.format.write_array(member, array, allow_pickle=False)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def _mode_for(path: str) -> int:
    """The permissions the written file gets: those of the file it replaces, else rw-r--r--
    (a temporary file is created private)."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        return 0o644


def load(path: PathLike) -> Dict[str, np.ndarray]:
    """Read an archive written by :func:`save` (or ``np.savez``) as ``name -> numpy array``,
    in the order the arrays were saved. Pickled objects are refused."""
    path = os.fspath(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError:  # numpy's reading of a file that is neither .npy nor .npz
        raise ValueError(f"load(): {path!r} is not a .npz archive (write one with "
                         f"autograd.save(model.state_dict(), path))") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load(): {path!r} holds a single array, not a .npz archive of named "
                         f"arrays (write one with autograd.save(model.state_dict(), path))")
    arrays = {}
    with archive:
        for key in archive.files:
            try:
                arrays[key] = archive[key]
            except ValueError:
                raise ValueError(f"load(): {key!r} in {path!r} holds pickled Python objects, "
                                 f"which load() never unpickles (they can run code)") from None
    return arrays

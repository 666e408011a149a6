"""Scratch arrays reused across the chunks of one leg."""
from __future__ import annotations

import numpy as np

__all__ = ["Workspace"]


class Workspace:
    """Named scratch arrays, kept between calls and grown when a call needs more.

    Chunked detection makes the same signal-sized temporaries for every
    chunk. Freed and allocated again, they are returned to the operating
    system and faulted in afresh each time (measured: 40 % of EMG detection
    time in a fresh process); held here, they are allocated once per leg.
    One workspace serves one thread: the arrays it hands out are
    overwritten by the next call that asks for the same name.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype=np.float64) -> np.ndarray:
        """A C-contiguous array of ``shape`` (uninitialised) under ``name``.

        Parameters
        ----------
        name : str
            What the array is for; one array per name.
        shape : tuple of int
        dtype : numpy dtype

        Returns
        -------
        ndarray
            A view of the kept array; valid until the next ``get`` of ``name``.
        """
        size = int(np.prod(shape, dtype=np.int64))
        dtype = np.dtype(dtype)
        kept = self._arrays.get(name)
        if kept is None or kept.dtype != dtype or kept.size < size:
            kept = np.empty(size, dtype)
            self._arrays[name] = kept
        return kept[:size].reshape(shape)

    @property
    def nbytes(self) -> int:
        """Bytes held."""
        return sum(a.nbytes for a in self._arrays.values())

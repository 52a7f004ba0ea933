"""How much memory an uploading process keeps."""

import ctypes
import ctypes.util

M_ARENA_MAX = -8  # glibc's mallopt parameter
UPLOAD_ARENAS = 2


def malloc_arenas_limit(arenas: int = UPLOAD_ARENAS) -> bool:
    """Have glibc's malloc share `arenas` arenas among all threads; whether it took.

    By default each thread that allocates gets an arena of its own (up to eight per core), and
    an arena keeps what its thread freed. An upload's part threads each read 1 MiB buffers (the
    SDK's checksum and signature of every part), so with the default every part thread held its
    own few MiB for the life of the process: 29 MiB more at the peak of a 200 MiB upload instead
    of 15 (docs/benchmarks.md), at no cost in speed. No-op where the C library is not glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        return bool(libc.mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError, TypeError):
        return False

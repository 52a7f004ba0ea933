import statistics
import time
from collections.abc import Callable


def compare(
    name: str, ours: Callable, baseline: Callable, *, rounds: int
) -> tuple[str, float, float]:
    """Median seconds of each, interleaved round by round so drift hits both alike."""
    ours(), baseline()  # warm up
    ours_times, base_times = [], []
    for _ in range(rounds):
        for fn, times in ((ours, ours_times), (baseline, base_times)):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
    return name, statistics.median(ours_times), statistics.median(base_times)

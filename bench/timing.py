import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    name: str
    ours: float
    baseline: float
    unit: str = "ms"
    # "time": lower is better; "throughput": higher is better. The ratio is ours/baseline.
    kind: str = "time"
    target: float | None = None
    # The lowest and highest ratio over the runs made, where a row made several.
    spread: tuple[float, float] | None = None

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        met = self.ratio <= self.target if self.kind == "time" else self.ratio >= self.target
        return (
            "met" if met else "MISSED"
        ) + f" ({'≤' if self.kind == 'time' else '≥'} {self.target:g})"


def spread(ours: list[float], baselines: list[float]) -> tuple[float, float]:
    """The lowest and highest ratio of runs made side by side."""
    ratios = [o / b for o, b in zip(ours, baselines, strict=True)]
    return min(ratios), max(ratios)


def compare(name: str, ours: Callable, baseline: Callable, *, rounds: int, **row) -> Row:
    """Median milliseconds of each, interleaved round by round so drift hits both alike."""
    ours(), baseline()  # warm up
    ours_times, base_times = [], []
    for _ in range(rounds):
        for fn, times in ((ours, ours_times), (baseline, base_times)):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
    return Row(
        name, statistics.median(ours_times) * 1e3, statistics.median(base_times) * 1e3, **row
    )


def timed(fn: Callable) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def table(rows: list[Row]) -> str:
    width = max(len(row.name) for row in rows)
    lines = [
        f"{'benchmark (ours vs baseline)'.ljust(width)}  {'ours':>12}  {'baseline':>12}  {'ratio':>7}  target"
    ]
    for row in rows:
        lines.append(
            f"{row.name.ljust(width)}  {row.ours:9.2f} {row.unit:<2}  {row.baseline:9.2f} {row.unit:<2}"
            f"  {row.ratio:7.2f}  {row.verdict}"
            + (f"  (runs: {row.spread[0]:.2f} to {row.spread[1]:.2f})" if row.spread else "")
        )
    lines.append("ratio: ours/baseline; lower is better for times and memory, higher for req/s.")
    return "\n".join(lines)

"""Progress bars for long archive commands (export, reindex): tqdm, on a terminal's stderr only.

A bar goes to stderr, never stdout (``python -m archive export -o -`` writes its lines there), and
only when stderr is a terminal: a cron job's log or a pipe gets no carriage-return noise.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import IO, Any

__all__ = ["Progress", "as_callback", "progress_bar"]

#: The callback style the library takes: ``progress(done, total)`` after each batch.
Progress: TypeAlias = Callable[[int, int], None]


def _ignore(*_: int) -> None:
    pass


def _bar(total: int | None, desc: str, unit: str, quiet: bool, file: IO[str] | None) -> Any:
    # None: no bar to draw (quiet, or stderr is a file or a pipe).
    stream = sys.stderr if file is None else file
    if quiet or not _is_terminal(stream):
        return None
    # Imported here: only a command drawing a bar on a terminal pays for it.
    from tqdm import tqdm  # type: ignore[import-untyped]

    # tqdm shows the count, the total, the rate and the time left (when it knows the total).
    return tqdm(total=total, desc=desc, unit=unit, file=stream, dynamic_ncols=True)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


@contextlib.contextmanager
def progress_bar(
    total: int | None, desc: str, *, unit: str = "it", quiet: bool = False, file: IO[str] | None = None
) -> Iterator[Callable[[int], None]]:
    """A progress bar of ``total`` steps; yields ``advance(n)``, which adds ``n`` done steps.

    Args:
        total: The number of steps (None: unknown, the bar shows only the count and rate).
        desc: The bar's label, e.g. ``"exporting"``.
        unit: What a step is, e.g. ``"doc"``.
        quiet: Draw nothing.
        file: Where to draw (default ``sys.stderr``); nothing is drawn unless it is a terminal.

    Yields:
        ``advance(n)``: ``n`` more steps are done (does nothing when no bar is drawn).

    Example:
        >>> with progress_bar(3, "exporting", unit="doc") as advance:
        ...     for _ in range(3):
        ...         advance(1)
    """
    bar = _bar(total, desc, unit, quiet, file)
    if bar is None:
        yield _ignore
        return
    try:
        yield bar.update
    finally:
        bar.close()


@contextlib.contextmanager
def as_callback(
    desc: str, *, unit: str = "it", quiet: bool = False, file: IO[str] | None = None
) -> Iterator[Progress]:
    """A progress bar driven by a ``progress(done, total)`` callback, as ``export_*`` and ``reindex`` take.

    The callback gives running totals, not steps: the bar moves to ``done`` and takes ``total``
    from the latest call (a total that grows, as a crawl's would, moves the end of the bar).

    Args:
        desc: The bar's label.
        unit: What a step is.
        quiet: Draw nothing.
        file: Where to draw (default ``sys.stderr``); nothing is drawn unless it is a terminal.

    Yields:
        The callback.

    Example:
        >>> from archive.export import export_to_path
        >>> with as_callback("exporting", unit="doc") as progress:  # doctest: +SKIP
        ...     export_to_path(archive, "records.jsonl", progress=progress)
    """
    bar = _bar(None, desc, unit, quiet, file)
    if bar is None:
        yield _ignore
        return

    def progress(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
            bar.refresh()
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        bar.close()

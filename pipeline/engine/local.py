"""The in-process engine: partition functions run one after the other in this process."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

__all__ = ["LocalEngine"]

R = TypeVar("R")


class LocalEngine:
    """Run every partition in this process, in order (the default engine).

    Examples
    --------
    >>> list(LocalEngine().map(pow, [1, 2, 3], 2))
    [1, 4, 9]
    """

    name = "local"

    def map(self, func: Callable[..., R], items: Sequence[Any], *args: Any) -> Iterator[R]:
        """Yield ``func(item, *args)`` for each item, lazily and in order."""
        for item in items:
            yield func(item, *args)

    def close(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return "LocalEngine()"

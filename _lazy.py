"""Public names whose module is imported only when one of them is first asked for."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["on_first_use"]


def on_first_use(namespace: dict[str, Any], modules: Sequence[str]) -> Callable[[str], Any]:
    """A package's ``__getattr__`` (PEP 562) that imports ``modules`` only when one of their
    public names (their ``__all__``, listed in the package's ``__all__``) is first asked
    for, and keeps the name in ``namespace`` (the package's ``globals()``) from then on.
    ``modules`` are named relative to the package (``"._whatif"``).

    A command line starts faster when what it does not use is not imported; type
    checkers see the names through imports under ``TYPE_CHECKING``.
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        if name in namespace.get("__all__", ()):
            for module in modules:
                imported = importlib.import_module(module, package)
                if name in getattr(imported, "__all__", ()):
                    value = getattr(imported, name)
                    namespace[name] = value
                    return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__

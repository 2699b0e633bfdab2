from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

def action(name: str, text: str, confirmation: str | None = None) -> Callable[[_F], _F]: ...

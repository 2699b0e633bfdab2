"""How a setting is declared: a dataclass field carrying its help and how it is read."""

from __future__ import annotations

import json
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any, get_type_hints

from .. import parsers as p


@dataclass(frozen=True)
class Spec:
    """How one setting is read and documented (the type and default are the field's)."""

    help: str
    env: str = ""  # default: BLOGSITE_<name>
    parse: p.Parser | None = None  # default: from the field's type
    shown: str | None = None  # the default as documented, when code computes it
    example: str | None = None  # the value .env.example shows instead of the default
    required: bool = False  # .env.example leaves it uncommented: it must be filled in


def setting(default: Any, help: str, **spec: Any) -> Any:
    """Declare a setting: its default, one line of help, and how it is read."""
    meta = {"spec": Spec(help, **spec)}
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=meta)
    return field(default=default, metadata=meta)


TYPES: dict[Any, p.Parser] = {
    str: p.text, int: p.whole(0), float: p.number(0), bool: p.flag,
    str | None: p.optional(p.text), bool | None: p.optional(p.flag),
}  # fmt: skip


@dataclass(frozen=True)
class Declared:
    """One setting as the loader and the docs see it."""

    name: str
    type: Any
    default: Any
    spec: Spec
    parse: p.Parser
    env: str
    section: str

    def documented_default(self) -> str:
        """Return the default as the docs write it."""
        if self.spec.shown is not None:
            return self.spec.shown
        return render(self.default)


def render(value: Any) -> str:
    """Return a value as it would be written in the environment."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def default_of(item: Field[Any]) -> Any:
    """Return a field's default, calling its factory."""
    if item.default_factory is not MISSING:
        return item.default_factory()
    return item.default


def declared(cls: type, sections: dict[str, str]) -> list[Declared]:
    """Return every setting of the dataclass ``cls`` in declaration order."""
    hints = get_type_hints(cls)
    section, result = "", []
    for item in fields(cls):
        spec: Spec = item.metadata["spec"]
        section = sections.get(item.name, section)
        parse = spec.parse or TYPES[hints[item.name]]
        env = spec.env or f"BLOGSITE_{item.name}"
        result.append(
            Declared(item.name, hints[item.name], default_of(item), spec, parse, env, section)
        )
    return result

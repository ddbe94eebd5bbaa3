"""The strict base of every options model: validated once at the edge, nothing lax.

Unknown keys are refused (a typo is an error naming the valid keys), infinities and NaN are
refused (``weight: .inf`` would publish an empty risk), and YAML's ``true`` is not taken for a
number (pydantic's lax mode would read it as 1).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["StrictModel"]


class StrictModel(BaseModel):
    """A frozen pydantic model that forbids unknown keys, infinities and bools as numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            for name, value in raw.items():
                f = cls.model_fields.get(name)
                if f is None or not isinstance(value, bool):
                    continue
                types = {f.annotation, *getattr(f.annotation, "__args__", ())}
                if bool not in types and types & {int, float}:
                    raise ValueError(f"{name} must be a number, got {value!r}")
        return raw

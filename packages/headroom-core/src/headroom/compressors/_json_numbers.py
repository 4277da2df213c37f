"""Numbers written back as the input wrote them: ``19.90`` stays ``19.90``, ``1e3`` stays ``1e3``.

Python reads a JSON float into a ``float`` and writes it back in its shortest form, so re-serialised
JSON would say ``19.9`` where the tool said ``19.90`` (and lose digits past a float's precision).
`FloatLiterals` remembers, while the input is parsed, the float literals behind each shortest form,
and `FloatLiterals.restore` puts those literals back into the output. A shortest form that
two different literals share (``1.5`` from ``1.50`` and ``1.500``) is left as it is: which of them
a value came from is not known.
"""

from __future__ import annotations

import json
import re
from typing import Any

# A JSON string (skipped as a whole, so digits inside strings are never touched) or a JSON number.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?')


class FloatLiterals:
    """The float literals of one input whose shortest form differs from how the input wrote them."""

    def __init__(self) -> None:
        self._by_form: dict[str, set[str]] = {}

    def parse_float(self, literal: str) -> float:
        """The ``parse_float`` hook of `json.loads`: the value, remembering its literal."""
        value = float(literal)
        self._by_form.setdefault(repr(value), set()).add(literal)
        return value

    def loads(self, text: str) -> Any:
        """`json.loads` with the hook."""
        return json.loads(text, parse_float=self.parse_float)

    def restore(self, out: str) -> str:
        """``out`` (JSON written from the parsed values) with each float in the input's own notation."""
        back = {form: lit for form, (lit, *more) in self._by_form.items() if not more and lit != form}
        if not back:
            return out

        def literal(m: re.Match[str]) -> str:
            token = m[0]
            return token if token[0] == '"' else back.get(token, token)

        return _TOKEN.sub(literal, out)

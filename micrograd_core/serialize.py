"""Save and load an `MLP` (architecture and parameters) as JSON.

The file is plain JSON that any tool can read; for `MLP(2, [1])`::

    {"format": "micrograd-core/mlp", "version": 1, "nin": 2, "nouts": [1],
     "layers": [{"nonlin": false, "neurons": [{"w": [0.23, -0.71], "b": 0.0}]}]}

Floats are written with `repr`, so a round trip gives back bit-identical weights. Loading
checks everything before building anything and raises `ModelFileError` naming the file, the
place in it (`layers[1].neurons[3].w[0]`, or a line and column) and what is wrong. A hostile
file cannot make it read without end (`MAX_BYTES`), recurse (JSON nested 100,000 deep) or
convert a 5,000-digit integer.
"""

from __future__ import annotations

import json
import math
import random
import re
from pathlib import Path
from typing import Any

from ._errors import MicrogradError
from .nn import MLP

FORMAT = "micrograd-core/mlp"
VERSION = 1
#: The largest file `load_model` reads by default: 64 MiB, about two million weights (far more
#: than a scalar engine trains). It reads at most this many bytes plus one, so /dev/zero or a
#: runaway file is refused, not swallowed.
MAX_BYTES = 64 * 2**20
#: The file's layout nests six levels deep; anything past this is not a model file.
MAX_DEPTH = 64
#: JSON integers with more digits are not parsed (Python refuses past 4,300 digits by default,
#: and no weight or layer size needs more than a few hundred).
MAX_INT_DIGITS = 400


class ModelFileError(MicrogradError, ValueError):
    """A model file (or dict) does not match the format: says where and what is wrong."""

    def __init__(self, where: str, msg: str, source: str | None = None) -> None:
        self.where = where  # "layers[1].neurons[3].w[0]", "line 3, column 5", "" for the file
        self.msg = msg
        self.source = source  # the file name, when loading from a file
        prefix = f"{source}: " if source else ""
        at = f"{where}: " if where else ""
        super().__init__(f"{prefix}{at}{msg}")


def _finite(x: float, where: str) -> float:
    if not math.isfinite(x):
        raise ModelFileError(where, f"parameter is {x}; only finite weights can be saved")
    return x


def to_dict(model: MLP) -> dict[str, Any]:
    """The model as JSON-ready data (see the module docstring for the layout)."""
    if not isinstance(model, MLP):
        raise TypeError(f"to_dict expects an MLP, got {type(model).__name__}")
    layers = []
    for i, layer in enumerate(model.layers):
        neurons = []
        for j, n in enumerate(layer.neurons):
            here = f"layers[{i}].neurons[{j}]"
            w = [_finite(p.data, f"{here}.w[{k}]") for k, p in enumerate(n.w)]
            neurons.append({"w": w, "b": _finite(n.b.data, f"{here}.b")})
        layers.append({"nonlin": layer.neurons[0].nonlin, "neurons": neurons})
    nin = len(model.layers[0].neurons[0].w)
    nouts = [len(layer.neurons) for layer in model.layers]
    return {"format": FORMAT, "version": VERSION, "nin": nin, "nouts": nouts, "layers": layers}


def _get(d: dict[str, Any], key: str, where: str) -> Any:
    if key not in d:
        raise ModelFileError(where, f"missing key {key!r}")
    return d[key]


def _dict(x: Any, where: str) -> dict[str, Any]:
    if not isinstance(x, dict):
        raise ModelFileError(where, f"expected an object, got {type(x).__name__}")
    return x


def _list(x: Any, where: str, length: int | None = None) -> list[Any]:
    if not isinstance(x, list):
        raise ModelFileError(where, f"expected a list, got {type(x).__name__}")
    if length is not None and len(x) != length:
        raise ModelFileError(where, f"expected {length} entries, got {len(x)}")
    return x


class _LongInteger:
    """A JSON integer too long to parse, kept as its length so the checks can name its place."""

    def __init__(self, text: str) -> None:
        self.digits = len(text.lstrip("-"))

    def __repr__(self) -> str:
        return f"an integer of {self.digits} digits"


def _parse_int(text: str) -> int | _LongInteger:
    return int(text) if len(text) <= MAX_INT_DIGITS else _LongInteger(text)


def _count(x: Any, where: str) -> int:
    if type(x) is not int or x < 1:
        raise ModelFileError(where, f"expected a positive integer, got {x!r}")
    return x


def _weight(x: Any, where: str) -> float:
    if isinstance(x, _LongInteger):
        raise ModelFileError(where, f"expected a finite number, got {x!r}, too large")
    if type(x) not in (int, float):  # bool is an int subclass but never a weight
        raise ModelFileError(where, f"expected a number, got {json.dumps(x)}")
    try:
        value = float(x)
    except OverflowError:  # a JSON integer such as 10**400
        raise ModelFileError(where, "expected a finite number, got an integer too large") from None
    if not math.isfinite(value):
        raise ModelFileError(where, f"expected a finite number, got {x}")
    return value


def _check(data: Any) -> tuple[int, list[int], list[bool], list[list[tuple[list[float], float]]]]:
    """Validate everything; return (nin, nouts, nonlin per layer, (w, b) per neuron)."""
    data = _dict(data, "top level")
    fmt = data.get("format")
    if fmt != FORMAT:
        raise ModelFileError("format", f"expected {FORMAT!r}, got {fmt!r}: not a model file")
    version = _get(data, "version", "top level")
    if type(version) is not int or version < 1:
        raise ModelFileError("version", f"expected a positive integer, got {version!r}")
    if version > VERSION:
        raise ModelFileError(
            "version",
            f"version {version} is newer than this micrograd-core reads ({VERSION}); upgrade",
        )
    nin = _count(_get(data, "nin", "top level"), "nin")
    nouts_raw = _list(_get(data, "nouts", "top level"), "nouts")
    nouts = [_count(n, f"nouts[{i}]") for i, n in enumerate(nouts_raw)]
    if not nouts:
        raise ModelFileError("nouts", "expected at least one layer")
    layers = _list(_get(data, "layers", "top level"), "layers", len(nouts))
    nonlins, weights = [], []
    fan_in = nin
    for i, layer in enumerate(layers):
        here = f"layers[{i}]"
        layer = _dict(layer, here)
        nonlin = _get(layer, "nonlin", here)
        if type(nonlin) is not bool:
            raise ModelFileError(f"{here}.nonlin", f"expected true or false, got {nonlin!r}")
        neurons = _list(_get(layer, "neurons", here), f"{here}.neurons", nouts[i])
        rows = []
        for j, neuron in enumerate(neurons):
            at = f"{here}.neurons[{j}]"
            neuron = _dict(neuron, at)
            w = _list(_get(neuron, "w", at), f"{at}.w", fan_in)
            rows.append(
                (
                    [_weight(x, f"{at}.w[{k}]") for k, x in enumerate(w)],
                    _weight(_get(neuron, "b", at), f"{at}.b"),
                )
            )
        nonlins.append(nonlin)
        weights.append(rows)
        fan_in = nouts[i]
    return nin, nouts, nonlins, weights


def from_dict(data: Any) -> MLP:
    """Build the `MLP` that `to_dict` described. Raises `ModelFileError` on any mismatch.

    The global `random` state is left as it was (constructing an MLP draws random weights,
    which are then overwritten).
    """
    nin, nouts, nonlins, weights = _check(data)
    state = random.getstate()
    try:
        model = MLP(nin, nouts)
    finally:
        random.setstate(state)
    for layer, nonlin, rows in zip(model.layers, nonlins, weights):
        for neuron, (w, b) in zip(layer.neurons, rows):
            neuron.nonlin = nonlin
            for p, x in zip(neuron.w, w):
                p.data = x
            neuron.b.data = b
    return model


def save_model(model: MLP, path: str | Path) -> Path:
    """Write `model` to `path` as JSON (UTF-8). Returns the path."""
    path = Path(path)
    text = json.dumps(to_dict(model), indent=1, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def load_model(path: str | Path, max_bytes: int = MAX_BYTES) -> MLP:
    """Read a model written by `save_model`. Raises `ModelFileError` (a ValueError) naming the
    file and the place when the file is larger than `max_bytes` (default `MAX_BYTES`, 64 MiB),
    is not UTF-8 JSON, nests deeper than a model file does, or does not describe an MLP; and
    OSError when it cannot be read."""
    path = Path(path)
    source = str(path)
    with path.open("rb") as f:
        raw = f.read(max_bytes + 1)  # at most one byte past the limit: /dev/zero ends here
    if len(raw) > max_bytes:
        raise ModelFileError(
            f"byte {max_bytes}",
            f"the file is larger than {max_bytes:,} bytes, the limit of load_model; a model "
            "file this big is not one save_model wrote (pass max_bytes= to read it anyway)",
            source,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = _line_column(raw, exc.start)
        raise ModelFileError(where, "not a text (UTF-8 JSON) file", source) from None
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
        return from_dict(data)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ModelFileError(where, f"not valid JSON: {exc.msg}", source) from None
    except RecursionError:
        where = _too_deep(text)
        msg = f"nested more than {MAX_DEPTH} levels deep; a model file nests 6"
        raise ModelFileError(where, msg, source) from None
    except ModelFileError as exc:  # the same error, now naming the file
        where = exc.where or _constant_at(text)  # only _reject_constant leaves it empty
        raise ModelFileError(where, exc.msg, source) from None


def _line_column(text: bytes | str, offset: int) -> str:
    newline = b"\n" if isinstance(text, bytes) else "\n"
    line = text.count(newline, 0, offset) + 1  # type: ignore[arg-type]
    column = offset - (text.rfind(newline, 0, offset) + 1) + 1  # type: ignore[arg-type]
    return f"line {line}, column {column}"


# Brackets outside strings; a string is skipped whole (escapes included).
_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep(text: str) -> str:
    """Where `text` first nests deeper than MAX_DEPTH (only read after json.loads recursed too
    deep, so an ordinary file never pays for it)."""
    depth = 0
    for m in _NESTING.finditer(text):
        token = m.group()
        if token == "[" or token == "{":
            depth += 1
            if depth > MAX_DEPTH:
                return _line_column(text, m.start())
        elif token == "]" or token == "}":
            depth -= 1
    return ""


# NaN, Infinity and -Infinity outside strings: where `_reject_constant` was called.
_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(NaN|-?Infinity)')


def _constant_at(text: str) -> str:
    for m in _CONSTANT.finditer(text):
        if m.group(1):
            return _line_column(text, m.start())
    return ""


def _reject_constant(name: str) -> float:
    # Python's json accepts NaN and Infinity, which are not JSON; a weight must be finite.
    raise ModelFileError("", f"not valid JSON: {name} is not a number JSON allows")

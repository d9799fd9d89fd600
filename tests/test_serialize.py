"""Saving and loading an MLP as JSON: exact round trips, and clear errors for files that do not
match, naming the place in the file."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from micrograd_core import Value
from micrograd_core.demo import train
from micrograd_core.nn import MLP
from micrograd_core.serialize import (
    FORMAT,
    MAX_BYTES,
    MAX_DEPTH,
    VERSION,
    ModelFileError,
    from_dict,
    load_model,
    save_model,
    to_dict,
)


def params(model: MLP) -> list[float]:
    return [p.data for p in model.parameters()]


def small_model(seed: int = 0) -> MLP:
    random.seed(seed)
    return MLP(3, [4, 2, 1])


def test_round_trip_of_a_trained_model_is_exact(tmp_path: Path) -> None:
    model, _ = train(steps=2, hidden=(4, 4))
    path = save_model(model, tmp_path / "model.json")
    loaded = load_model(path)
    assert params(loaded) == params(model)  # bit for bit: floats are written with repr
    assert repr(loaded) == repr(model)
    x = [Value(0.3), Value(-1.2)]
    assert loaded(x).data == model(x).data
    data = json.loads(path.read_text())
    assert data["format"] == FORMAT and data["version"] == VERSION
    assert data["nin"] == 2 and data["nouts"] == [4, 4, 1]


def test_dict_round_trip_and_layout() -> None:
    model = small_model()
    data = to_dict(model)
    assert [layer["nonlin"] for layer in data["layers"]] == [True, True, False]
    assert len(data["layers"][1]["neurons"]) == 2
    assert len(data["layers"][1]["neurons"][0]["w"]) == 4
    assert params(from_dict(data)) == params(model)
    json.dumps(data, allow_nan=False)  # plain JSON, nothing exotic


def test_loading_leaves_the_global_random_state_alone(tmp_path: Path) -> None:
    path = save_model(small_model(), tmp_path / "m.json")
    random.seed(42)
    expected = random.random()
    random.seed(42)
    load_model(path)
    assert random.random() == expected


def test_loaded_model_trains_like_the_original() -> None:
    a = small_model()
    b = from_dict(to_dict(a))
    for model in (a, b):
        out = model([1.0, 2.0, 3.0])
        model.zero_grad()
        out.backward()
    assert [p.grad for p in a.parameters()] == [p.grad for p in b.parameters()]


Mutation = Callable[[dict[str, Any]], Any]

BAD: list[tuple[str, Mutation, str]] = [
    ("wrong format", lambda d: d.update(format="keras"), "format: expected 'micrograd-core/mlp'"),
    ("no format", lambda d: d.pop("format"), "format: expected"),
    ("newer version", lambda d: d.update(version=VERSION + 1), "is newer than this"),
    ("bad version", lambda d: d.update(version="1"), "version: expected a positive integer"),
    ("bad nin", lambda d: d.update(nin=0), "nin: expected a positive integer, got 0"),
    ("bool size", lambda d: d["nouts"].__setitem__(1, True), "nouts[1]: expected a positive"),
    ("no layers", lambda d: d.pop("layers"), "missing key 'layers'"),
    ("layer count", lambda d: d["layers"].pop(), "layers: expected 3 entries, got 2"),
    (
        "neuron count",
        lambda d: d["layers"][1]["neurons"].append(d["layers"][1]["neurons"][0]),
        "layers[1].neurons: expected 2 entries, got 3",
    ),
    (
        "weight count",
        lambda d: d["layers"][2]["neurons"][0]["w"].pop(),
        "layers[2].neurons[0].w: expected 2 entries, got 1",
    ),
    (
        "string weight",
        lambda d: d["layers"][0]["neurons"][3]["w"].__setitem__(1, "0.5"),
        'layers[0].neurons[3].w[1]: expected a number, got "0.5"',
    ),
    (
        "null bias",
        lambda d: d["layers"][1]["neurons"][1].update(b=None),
        "layers[1].neurons[1].b: expected a number, got null",
    ),
    (
        "missing bias",
        lambda d: d["layers"][0]["neurons"][0].pop("b"),
        "layers[0].neurons[0]: missing key 'b'",
    ),
    (
        "bad nonlin",
        lambda d: d["layers"][0].update(nonlin="yes"),
        "layers[0].nonlin: expected true or false",
    ),
    ("neuron not object", lambda d: d["layers"][0]["neurons"].__setitem__(0, [1]), "expected an"),
]


@pytest.mark.parametrize(("case", "mutate", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_file_that_does_not_match_names_what_and_where(
    case: str, mutate: Mutation, message: str, tmp_path: Path
) -> None:
    data = copy.deepcopy(to_dict(small_model()))
    mutate(data)
    with pytest.raises(ModelFileError) as info:
        from_dict(data)
    assert message in str(info.value)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    assert str(info.value) == f"{path}: {info.value.where}: {info.value.msg}"
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)  # `except ValueError` callers catch it too


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"format": ', "line 1, column 12: not valid JSON"),
        ("[1, 2]", "top level: expected an object, got list"),
        ('{"format": "micrograd-core/mlp", "nin": NaN}', "NaN is not a number JSON allows"),
        ("", "not valid JSON"),
    ],
)
def test_not_a_model_file(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(text)
    with pytest.raises(ModelFileError, match=message.replace("(", r"\(")):
        load_model(path)


def test_binary_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(ModelFileError, match="not a text"):
        load_model(path)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nope.json")


def test_saving_refuses_what_json_cannot_hold(tmp_path: Path) -> None:
    model = small_model()
    model.layers[1].neurons[0].w[2].data = float("nan")
    with pytest.raises(ModelFileError, match=r"layers\[1\]\.neurons\[0\]\.w\[2\]: .* nan"):
        save_model(model, tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()
    with pytest.raises(TypeError, match="expects an MLP"):
        to_dict([1, 2])  # type: ignore[arg-type]


def test_huge_integer_weight_is_a_model_file_error(tmp_path: Path) -> None:
    random.seed(0)
    data = to_dict(MLP(2, [1]))
    data["layers"][0]["neurons"][0]["w"][0] = 10**400
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match="too large"):
        load_model(path)


def test_models_with_a_hidden_layer_of_one_neuron_round_trip(tmp_path: Path) -> None:
    random.seed(2)
    model = MLP(2, [3, 1, 1])
    loaded = load_model(save_model(model, tmp_path / "narrow.json"))
    assert params(loaded) == params(model)
    assert loaded([0.25, -1.5]).data == model([0.25, -1.5]).data  # was: TypeError in the call


# ---- hostile files: every failure is a ModelFileError naming the file and the place ---------


def test_json_nested_100000_deep_is_a_model_file_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(
        '{"format": "micrograd-core/mlp",\n "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )
    with pytest.raises(ModelFileError) as info:  # was: a raw RecursionError
        load_model(path)
    # `{` is level 1, so the 64th `[` (after 6 columns of ` "x": `) is level 65, the first too deep
    assert info.value.where == f"line 2, column {6 + MAX_DEPTH}"
    assert str(info.value).startswith(f"{path}: line 2, column")
    assert "nested more than 64 levels deep" in str(info.value)


@pytest.mark.parametrize(
    ("place", "where", "message"),
    [
        ("w", "layers[0].neurons[0].w[1]", "got an integer of 5000 digits, too large"),
        ("nin", "nin", "expected a positive integer, got an integer of 5000 digits"),
    ],
)
def test_an_integer_of_thousands_of_digits_is_named_where_it_is(
    place: str, where: str, message: str, tmp_path: Path
) -> None:
    random.seed(0)
    data: dict[str, Any] = to_dict(MLP(2, [1]))
    marker = 123456789
    if place == "w":
        data["layers"][0]["neurons"][0]["w"][1] = marker
    else:
        data["nin"] = marker
    path = tmp_path / "long.json"
    path.write_text(json.dumps(data).replace(str(marker), "9" * 5000))
    with pytest.raises(ModelFileError) as info:  # was: a raw ValueError with no location
        load_model(path)
    assert (info.value.source, info.value.where) == (str(path), where)
    assert message in info.value.msg


def test_reading_is_bounded(tmp_path: Path) -> None:
    with pytest.raises(
        ModelFileError, match=r"/dev/zero: byte 1000: the file is larger than 1,000"
    ):
        load_model("/dev/zero", max_bytes=1000)
    with pytest.raises(ModelFileError, match=r"larger than 67,108,864 bytes, the limit"):
        load_model("/dev/zero")  # was: read without end (+3.7 GB in 8 s)
    assert MAX_BYTES == 64 * 2**20
    path = save_model(small_model(), tmp_path / "m.json")
    size = path.stat().st_size
    assert params(load_model(path, max_bytes=size)) == params(small_model())
    with pytest.raises(ModelFileError, match=f"byte {size - 1}"):
        load_model(path, max_bytes=size - 1)


def test_a_nan_literal_and_bad_utf8_are_named_by_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"format": "micrograd-core/mlp",\n "version": 1, "nin": NaN}')
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    assert info.value.where == "line 2, column 23"
    path.write_bytes(b'{"format":\n  "\xff"}')
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    assert (info.value.where, info.value.msg) == (
        "line 2, column 4",
        "not a text (UTF-8 JSON) file",
    )

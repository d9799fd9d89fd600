"""Optional op templates are checked against forward/backward before any engine uses them."""

from __future__ import annotations

import pytest

from micrograd_core import Op, OpContractError, PluginWarning, Value, compile, registry


class _Square(Op):
    """x * x, with templates that the test class variants below get wrong."""

    name = "tsquare"
    arity = 1
    forward_source = "x0 * x0"
    backward_source = ("2.0 * x0 * g",)

    def forward(self, x):
        return x * x

    def backward(self, grad, out, x):
        return (2.0 * x * grad,)


class _BadBackward(_Square):
    name = "tsquare_badbwd"
    backward_source = ("3.0 * x0 * g",)


class _BadForward(_Square):
    name = "tsquare_badfwd"
    forward_source = "x0 * x0 + 1"


def test_correct_templates_are_used_silently() -> None:
    import warnings

    with registry.temporary(_Square), warnings.catch_warnings():
        warnings.simplefilter("error")
        x = Value(3.0)
        y = x.tsquare()
        y.backward()
        assert (y.data, x.grad) == (9.0, 6.0)
        assert compile(lambda: x.tsquare()).forward() == 9.0


@pytest.mark.parametrize("executor", ["python", "numpy"])
def test_wrong_templates_are_dropped_with_a_warning(executor: str) -> None:
    class BadB(_BadBackward):  # fresh op objects per run: templates are checked once per op
        pass

    class BadF(_BadForward):
        pass

    with registry.temporary(BadB, BadF):
        x = Value(3.0)
        y = x.tsquare_badbwd()
        with pytest.warns(PluginWarning) as record:
            y.backward()  # the engine checks every registered op's templates before first use
        text = " ".join(str(r.message) for r in record)
        assert "'tsquare_badbwd'" in text and "backward_source for input 0" in text
        assert "'tsquare_badfwd'" in text and "forward_source gives" in text
        assert x.grad == 6.0  # the method's answer, not the template's 9.0
        program = compile(lambda: x.tsquare_badfwd(), executor=executor)
        assert program.forward() == 9.0  # not the template's 10.0
        x.grad = 0.0
        program.backward()
        assert x.grad == 6.0


def test_wrong_template_is_an_error_in_strict_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROGRAD_STRICT_PLUGINS", "1")

    class Again(_BadBackward):  # a fresh op object: templates are checked once per op
        name = "tsquare_strict"

    with registry.temporary(Again):
        y = Value(3.0).tsquare_strict()
        with pytest.raises(OpContractError, match=r"'tsquare_strict'.*backward_source"):
            y.backward()

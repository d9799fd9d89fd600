"""What `micrograd graph` and `micrograd explain` draw: an expression, or the demo model's loss.

Both commands take the same arguments (EXPR, --var, --demo, --hidden, --samples, --seed), build
the graph the same way, and refuse a demo graph too large to hold before building any of it.
`prepare_argv` lets an expression start with '-' (`micrograd graph "-x" --var x=1`), which
argparse would otherwise take for an unknown option.
"""

from __future__ import annotations

import argparse
import itertools
import random
from collections.abc import Sequence

from .._backward import topological_order
from .._value import Value
from ..datasets import make_moons
from ..demo import demo_loss
from ..nn import MLP
from ..stepthrough import GraphTooLargeError
from ._args import hidden_sizes, positive_int
from ._expr import evaluate

#: The most values plus edges (input references) a command builds; past that it says so first.
#: 1,000,000 is about 200 MB of graph and a DOT file of about 20 MB.
MAX_GRAPH_SIZE = 1_000_000
#: The demo's data set (`micrograd demo`'s default): --demo draws the first --samples of them.
DEMO_POINTS = 100


def _variable(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER such as x=2, got {text!r}")
    try:
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: expected a number, got {value!r}") from None


def add_source_arguments(p: argparse.ArgumentParser, verb: str) -> list[argparse.Action]:
    """EXPR, --var, --demo, --hidden, --samples, --seed; returns the actions added."""
    return [
        p.add_argument(
            "expression",
            nargs="?",
            metavar="EXPR",
            help=f"the expression to {verb} (one starting with '-' works too: \"-x\")",
        ),
        p.add_argument(
            "--var",
            type=_variable,
            action="append",
            default=[],
            metavar="NAME=NUMBER",
            help="a variable of EXPR (repeatable)",
        ),
        p.add_argument("--demo", action="store_true", help=f"{verb} the demo model's loss instead"),
        p.add_argument(
            "--hidden", type=hidden_sizes, default=(16, 16), help="--demo: hidden sizes (16,16)"
        ),
        p.add_argument(
            "--samples", type=positive_int, default=2, help="--demo: data points in the loss (2)"
        ),
        p.add_argument("--seed", type=int, default=1337, help="--demo: data and weight seed"),
    ]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def prepare_argv(args: Sequence[str], actions: Sequence[argparse.Action]) -> list[str]:
    """`args` with an expression that starts with '-' marked as positional (a leading space,
    which the expression parser ignores). Options of `actions` and their values, `--` and
    everything after it pass unchanged; so does anything argparse reads as an option, anything
    shaped like a long option (`--bogus` stays an unknown option), and any argument after the
    expression."""
    takes_value = {s: a.nargs != 0 for a in actions for s in a.option_strings}
    takes_value.update({"-h": False, "--help": False})
    longs = [s for s in takes_value if s.startswith("--")]
    out: list[str] = []
    seen_expression = False
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            out.extend(args[i - 1 :])
            break
        if arg in takes_value:
            out.append(arg)
            if takes_value[arg] and i < len(args):
                out.append(args[i])  # the option's value, even one starting with '-'
                i += 1
            continue
        if not arg.startswith("-") or len(arg) == 1 or _is_number(arg):
            seen_expression = True  # a positional argparse reads as one already
            out.append(arg)
            continue
        is_option = (
            (arg.startswith("--") and any(s.startswith(arg.split("=")[0]) for s in longs))
            or (arg[:2] in takes_value and not arg.startswith("--"))  # -ofile
            or (arg.startswith("--") and arg[2:3].isalpha())  # an unknown long option
        )
        if not is_option and not seen_expression:
            arg = " " + arg  # not an option of this command: the expression
            seen_expression = True
        out.append(arg)
    return out


def demo_graph_size(hidden: Sequence[int], samples: int) -> int:
    """Values plus edges of the demo loss graph for these sizes, computed without building it.

    Per sample: 2 inputs, one `dot` node per neuron (2 * fan-in + 1 inputs each), a relu per
    hidden neuron, and the margin loss (2 constants, mul, add, relu). Then the mean (sum, a
    constant, mul) and the regularisation (a mul per parameter, sum, constant, mul, add).
    """
    sizes = [2, *hidden, 1]
    params = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    widths, hidden_width = sum(sizes[1:]), sum(hidden)
    values = 2 * params + samples * (7 + widths + hidden_width) + 7
    edges = samples * (2 * params - widths + hidden_width + 6) + 3 * params + 6
    return values + edges


def _demo(args: argparse.Namespace) -> tuple[Value, dict[Value, str]]:
    if args.samples > DEMO_POINTS:  # rather than quietly drawing fewer points than asked for
        raise ValueError(
            f"--samples {args.samples}: the demo's data has {DEMO_POINTS} points, so at most "
            f"--samples {DEMO_POINTS}"
        )
    size = demo_graph_size(args.hidden, args.samples)
    if size > MAX_GRAPH_SIZE:
        hidden = ",".join(map(str, args.hidden))
        raise GraphTooLargeError(
            f"the demo loss for --hidden {hidden} --samples {args.samples} would be a graph of "
            f"about {size:,} values and edges, more than the {MAX_GRAPH_SIZE:,} this command "
            "builds: use fewer --samples or a smaller --hidden (such as --hidden 2 --samples 1)"
        )
    X, y = make_moons(DEMO_POINTS, seed=args.seed)
    random.seed(args.seed)  # the weights `micrograd demo` starts from
    model = MLP(2, [*args.hidden, 1])
    loss, _ = demo_loss(model, X[: args.samples], y[: args.samples])
    labels: dict[Value, str] = {loss: "loss"}
    for li, layer in enumerate(model.layers, start=1):
        for ni, neuron in enumerate(layer.neurons):
            labels[neuron.b] = f"b{li}.{ni}"
            labels.update({w: f"w{li}.{ni}.{k}" for k, w in enumerate(neuron.w)})
    # The data points: the last two inputs of a first-layer neuron's `dot` (b, w0, w1, x0, x1).
    rows = {tuple(p): s for s, p in enumerate(X[: args.samples])}
    bias = model.layers[0].neurons[0].b
    for node in topological_order(loss):
        if node.parents and node.parents[0] is bias:
            x0, x1 = node.parents[-2:]
            s = rows.get((x0.data, x1.data))
            if s is not None:
                labels[x0], labels[x1] = f"x{s}.0", f"x{s}.1"
    return loss, labels


def build(args: argparse.Namespace) -> tuple[Value, dict[Value, str]]:
    """The graph's output and the names to show, or a `ValueError` saying what is wrong."""
    if args.demo == (args.expression is not None):
        raise ValueError("give either an expression or --demo")
    if args.demo:
        return _demo(args)
    variables: dict[str, Value] = {}
    for name, number in args.var:
        if name in variables:
            raise ValueError(f"variable {name!r} is given twice")
        variables[name] = Value(number)
    out = evaluate(args.expression.strip(), variables)
    labels = {v: k for k, v in variables.items()}
    labels.setdefault(out, "out")
    return out, labels


def title(args: argparse.Namespace) -> str:
    """A one-line description of what was built, for page titles."""
    if args.demo:
        return f"demo loss, --hidden {','.join(map(str, args.hidden))} --samples {args.samples}"
    given = ", ".join(f"{k}={v:g}" for k, v in args.var)
    return args.expression.strip() + (f" at {given}" if given else "")

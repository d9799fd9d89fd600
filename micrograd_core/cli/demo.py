"""`micrograd demo`: train micrograd's two-moons demo with a progress bar, then draw the result."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from .._plot import PlotUnavailableError, ascii_boundary, save_png
from .._progress import Progress
from ..datasets import make_moons
from ..demo import OPTIMIZERS, StepResult, train
from ..nn import MLP
from ._args import hidden_sizes, positive_float, positive_int, unit_float
from ._source import demo_graph_size

DEFAULT_PNG = "moons.png"
#: The largest loss graph (values plus edges, per step) the demo trains; sizes past it would
#: exhaust memory long before the first step. 1,000 points through 64,64 are about 9 million.
MAX_TRAINING_GRAPH = 100_000_000
#: Picture formats `--output` accepts (by suffix); .txt is the ASCII picture.
IMAGE_SUFFIXES = (".png", ".svg", ".pdf")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="train an MLP on two moons (micrograd's demo) and draw its decision boundary",
        description=(
            "Train an MLP on two-moons points (100 by default) with micrograd's max-margin "
            "loss, showing loss and accuracy as it goes, then draw the decision boundary: a "
            "PNG when matplotlib is installed (the 'plot' extra), else ASCII art. "
            "--mode compiled traces the loss once and replays it every step (numpy's "
            "executor when numpy is installed, else pure Python)."
        ),
    )
    p.add_argument("--steps", type=positive_int, default=100, help="training steps (100)")
    p.add_argument("--seed", type=int, default=1337, help="data and weight seed (1337)")
    p.add_argument("--samples", type=positive_int, default=100, help="two-moons points (100)")
    p.add_argument(
        "--mode",
        choices=("eager", "compiled"),
        default="eager",
        help="eager (a graph per step) or compiled (traced once, replayed; default eager)",
    )
    p.add_argument(
        "--optimizer",
        choices=list(OPTIMIZERS),
        default="sgd",
        help="sgd (micrograd's), momentum (SGD with momentum) or adam (default sgd)",
    )
    p.add_argument(
        "--lr",
        type=positive_float,
        default=None,
        help="initial learning rate, decayed linearly to 10%% "
        + "(default: "
        + ", ".join(f"{k} {v}" for k, v in OPTIMIZERS.items())
        + ")",
    )
    p.add_argument(
        "--momentum", type=unit_float, default=0.9, help="momentum of --optimizer momentum (0.9)"
    )
    p.add_argument(
        "--hidden", type=hidden_sizes, default=(16, 16), help="hidden layer sizes (16,16)"
    )
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"picture file: .png, .svg, .pdf, or .txt for ASCII art (default {DEFAULT_PNG})",
    )
    p.add_argument(
        "--ascii", action="store_true", help="print ASCII art (and, without -o, write no image)"
    )
    p.add_argument("--no-plot", action="store_true", help="draw no picture at all")
    p.add_argument("--save-model", type=Path, metavar="PATH", help="save the model as JSON")


def _path_problem(path: Path | None, suffixes: tuple[str, ...]) -> str | None:
    """Why `path` cannot be written, checked before training so no minutes are wasted."""
    if path is None:
        return None
    if path.is_dir():
        return f"{path} is a directory; give a file name such as {path / DEFAULT_PNG}"
    if not path.parent.is_dir():
        return f"cannot write {path}: directory {path.parent} does not exist"
    if path.suffix.lower() not in suffixes:
        return f"cannot tell the format of {path}: use one of {', '.join(suffixes)}"
    return None


def _have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401  (imported for real: a broken install counts as missing)
    except ImportError:
        return False
    return True


def run(args: argparse.Namespace) -> int:
    out: Path | None = None if args.no_plot else args.output
    problem = _path_problem(args.save_model, (".json",))
    problem = problem or _path_problem(out, (*IMAGE_SUFFIXES, ".txt"))
    image = out is not None and out.suffix.lower() in IMAGE_SUFFIXES
    if not problem and image and not _have_matplotlib():
        problem = f"cannot write {out}: {PlotUnavailableError.HINT}"
    size = demo_graph_size(args.hidden, args.samples)
    if not problem and size > MAX_TRAINING_GRAPH:
        problem = (
            f"--hidden {','.join(map(str, args.hidden))} --samples {args.samples} makes a loss "
            f"graph of about {size:,} values and edges per step, more than the "
            f"{MAX_TRAINING_GRAPH:,} (about 1.5 GB) this command trains: use a smaller --hidden "
            "or fewer --samples"
        )
    if problem:  # checked before training, so a typo does not waste the run
        print(f"micrograd demo: error: {problem}", file=sys.stderr)
        return 2
    progress = Progress(args.steps)
    first_step: list[float] = []  # when step 0 ended: setup (and compile) is not a step

    def report(r: StepResult) -> None:
        if not first_step:
            first_step.append(time.perf_counter())
        progress.update(r.step + 1, loss=r.loss, accuracy=r.accuracy)

    start = time.perf_counter()
    with progress:
        model, history = train(
            steps=args.steps,
            seed=args.seed,
            hidden=args.hidden,
            lr=args.lr,
            optimizer=args.optimizer,
            momentum=args.momentum,
            on_step=report,
            n_samples=args.samples,
            mode=args.mode,
        )
    end = time.perf_counter()
    elapsed = end - start
    last = history[-1]
    arch = [2, *args.hidden, 1]
    steps = f"{args.steps} step{'s' if args.steps != 1 else ''}"
    if args.steps > 1:  # steps after the first: the first includes setup (and compiling)
        rate = f"{(args.steps - 1) / max(end - first_step[0], 1e-9):,.1f} steps/s"
    else:
        rate = f"{1 / max(elapsed, 1e-9):,.1f} steps/s, setup included"
    print(
        f"trained MLP({arch[0]}, {arch[1:]}) ({len(model.parameters())} parameters) for "
        f"{steps} with {args.optimizer} on {args.samples} points, {_mode(args.mode)}, in "
        f"{elapsed:.1f}s ({rate}; first step {first_step[0] - start:.2f}s): "
        f"loss {last.loss:.4f}, accuracy {last.accuracy:.1%}"
    )
    if args.save_model is not None:
        from ..serialize import save_model

        save_model(model, args.save_model)
        print(f"model saved to {args.save_model}")
    if args.no_plot:
        return 0
    return _picture(model, args, out)


def _mode(mode: str) -> str:
    if mode == "eager":
        return "eager"
    try:
        import numpy  # noqa: F401  (compile's executor="auto" picks numpy when it imports)
    except ImportError:
        return "compiled (pure Python; pip install 'micrograd-core[fast]' for numpy)"
    return "compiled (numpy)"


def _picture(model: MLP, args: argparse.Namespace, out: Path | None) -> int:
    X, y = make_moons(args.samples, seed=args.seed)  # train()'s data: same seed, same points
    if args.ascii:
        print(ascii_boundary(model, X, y))
    if out is not None and out.suffix.lower() == ".txt":
        out.write_text(ascii_boundary(model, X, y) + "\n", encoding="utf-8")
    elif out is not None or not args.ascii:
        try:
            out = save_png(model, X, y, out if out is not None else DEFAULT_PNG)
        except PlotUnavailableError as exc:
            if out is not None:  # an image was asked for explicitly: say so, do not ignore it
                print(f"micrograd demo: error: cannot write {out}: {exc}", file=sys.stderr)
                return 2
            print(ascii_boundary(model, X, y))
            print(f"no PNG picture: {exc}")
            return 0
    if out is not None:
        print(f"decision boundary written to {out}")
    return 0

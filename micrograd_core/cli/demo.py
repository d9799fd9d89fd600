"""`micrograd demo`: train micrograd's two-moons demo and print loss and accuracy as it goes."""

from __future__ import annotations

import argparse
from typing import Any

from ..demo import StepResult, train


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="train an MLP on two moons (micrograd's demo)")
    p.add_argument("--steps", type=int, default=100, help="training steps (default 100)")
    p.add_argument("--seed", type=int, default=1337, help="data and weight seed (default 1337)")
    p.add_argument("--every", type=int, default=10, help="print every N steps (default 10)")


def run(args: argparse.Namespace) -> int:
    def report(r: StepResult) -> None:
        if r.step % args.every == 0 or r.step == args.steps - 1:
            print(f"step {r.step:4d}  loss {r.loss:.6f}  accuracy {r.accuracy:.0%}")

    _, history = train(steps=args.steps, seed=args.seed, on_step=report)
    print(f"final: loss {history[-1].loss:.6f}, accuracy {history[-1].accuracy:.0%}")
    return 0

"""`python -m benchmarks`: micrograd 0.1.0 and micrograd-core side by side on micrograd's demo.

Every engine runs in its own subprocess (`benchmarks.workload`), so peak RSS and the garbage
collector's heap belong to that engine alone. The default run takes a few minutes on 2 cores:
micrograd with its default GC is timed on a few steps only (it costs over a second each), while
its 100-step run, which gives the final loss, runs with the collector moved out of the step.
`--full` times all 100 steps of every configuration; `--quick` cuts everything down for a smoke
test (its losses are not the 100-step ones). Then the scaling benchmark (`benchmarks.scaling`).

All engines run pinned to one and the same CPU (children inherit the affinity), so that no
engine is timed on a quieter core than another. On a shared VM the cores are not equally
disturbed (here, pure-Python arithmetic ran up to 1.7x slower on one core than on the other,
micrograd's GC-bound step about 5% slower), so by default the CPU is the one that runs a short
probe fastest; `--cpu N` picks it, `--cpu -1` does not pin.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import timeit
from itertools import repeat
from operator import mul
from typing import Any

REFERENCE_FINAL_LOSS = 0.012987382767846806  # micrograd 0.1.0, 100 steps, from issue 4


def _run(engine: str, gc_mode: str, steps: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.workload", engine, gc_mode, str(steps)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=root, check=False)
    if out.returncode != 0:
        return {"missing": f"failed: {out.stderr.strip().splitlines()[-1:]}"}
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def _probe() -> None:
    xs = list(map(float, range(200_000)))
    sum(map(mul, xs, repeat(1.5)))


def _pin(cpu: int | None) -> str:
    """Pin this process (and so every engine's subprocess) to one CPU; say which and why."""
    if cpu == -1 or not hasattr(os, "sched_setaffinity"):
        return "not pinned to a CPU"
    allowed = sorted(os.sched_getaffinity(0))
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu} (--cpu)"
    if len(allowed) < 2:
        return f"on CPU {allowed[0]}, the only one allowed"
    probe: dict[int, list[float]] = {c: [] for c in allowed}
    for _ in range(3):  # interleaved, so a passing disturbance does not decide alone
        for c in allowed:
            os.sched_setaffinity(0, {c})
            probe[c].append(min(timeit.repeat(_probe, number=1, repeat=3)))
    best = min(allowed, key=lambda c: min(probe[c]))
    os.sched_setaffinity(0, {best})
    times = ", ".join(f"CPU {c} {min(t) * 1e3:.1f} ms" for c, t in probe.items())
    return f"pinned to CPU {best}, the quickest on a probe ({times})"


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()} {platform.release()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smoke test: few steps")
    size.add_argument("--full", action="store_true", help="time all 100 steps everywhere")
    parser.add_argument("--no-scaling", action="store_true", help="skip the scaling benchmark")
    parser.add_argument(
        "--cpu", type=int, default=None, help="run every engine on this CPU (-1: do not pin)"
    )
    args = parser.parse_args(argv)
    steps = 10 if args.quick else 100
    mg_default_steps = 3 if args.quick else (100 if args.full else 8)

    print(f"machine: {_machine()}")
    print(f"CPU: {_pin(args.cpu)}")
    print(f"workload: micrograd's demo, {steps} SGD steps; times are CPU s/step, medians\n")
    configs = [
        ("micrograd 0.1.0", "micrograd", "default", mg_default_steps),
        ("micrograd 0.1.0", "micrograd", "out", steps),
        ("micrograd-core eager", "eager", "default", steps),
        ("micrograd-core eager", "eager", "out", steps),
        ("micrograd-core compiled (python)", "compiled", "default", steps),
        ("micrograd-core compiled (numpy)", "compiled-numpy", "default", steps),
    ]
    results = []
    for label, engine, gc_mode, n in configs:
        print(f"  running {label}, GC {gc_mode}, {n} steps ...", file=sys.stderr, flush=True)
        results.append((label, gc_mode, _run(engine, gc_mode, n)))
    _table(results, steps)
    if not args.no_scaling:
        from .scaling import main as scaling_main

        scaling_main(quick=args.quick, full=args.full)
    return 0


def _table(results: list[tuple[str, str, dict[str, Any]]], steps: int) -> None:
    med = {
        (label, gc_mode): statistics.median(r["times"])
        for label, gc_mode, r in results
        if "times" in r
    }
    mg_default = med.get(("micrograd 0.1.0", "default"))
    mg_out = med.get(("micrograd 0.1.0", "out"))
    head = (
        "| engine | GC | s/step | x vs micrograd (default GC) | x vs micrograd (GC out) "
        "| nodes/step | peak RSS | bytes/node | final loss |"
    )
    print(head)
    print("|" + "---|" * 9)
    final: dict[str, float] = {}
    for label, gc_mode, r in results:
        if "times" not in r:
            print(f"| {label} | {gc_mode} | {r.get('missing', 'not run')} |||||||")
            continue
        s = med[(label, gc_mode)]
        collect = f" (+{statistics.median(r['collects']):.3f} collect)" if r["collects"] else ""
        vs_default = f"{mg_default / s:.1f}x" if mg_default else "-"
        vs_out = f"{mg_out / s:.1f}x" if mg_out else "-"
        full = r["steps"] == steps
        loss = f"{r['losses'][-1]:.17g}" if full else f"({r['steps']} steps only)"
        if full:
            final[f"{label}, GC {gc_mode}"] = r["losses"][-1]
        print(
            f"| {label} | {gc_mode} | {s:.4f}{collect} | {vs_default} | {vs_out} "
            f"| {r['nodes']:,} | {r['peak_rss_kib'] / 1024:.0f} MiB "
            f"| {r['bytes_per_node']:.0f} | {loss} |"
        )
    compile_s = [r["compile_seconds"] for _, _, r in results if r.get("compile_seconds")]
    if compile_s:
        print(f"\ntrace + compile of the demo graph: {', '.join(f'{c:.2f} s' for c in compile_s)}")
    if final:
        print(f"\nfinal loss after {steps} steps (loss at the last step):")
        ref = final.get("micrograd 0.1.0, GC out", REFERENCE_FINAL_LOSS if steps == 100 else None)
        for name, value in final.items():
            diff = "" if ref is None else f"  |diff vs micrograd| = {abs(value - ref):.1e}"
            ok = ""
            if ref is not None:
                ok = "  OK (< 1e-9)" if abs(value - ref) < 1e-9 else "  MISMATCH"
            print(f"  {name}: {value!r}{diff}{ok}")
        if steps == 100:
            print(f"  reference (issue 4): {REFERENCE_FINAL_LOSS!r}")
    print()

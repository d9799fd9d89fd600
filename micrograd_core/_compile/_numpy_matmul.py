"""The numpy statements of a group lowered to a matrix product (see `_matmul`).

Forward, for a layer whose nodes run sample by sample ("za"): `Z @ A.T` (samples x inputs
times inputs x neurons, through numpy's BLAS) written straight into the group's slots of `V`,
then the leads added (the biases, broadcast along the rows). Backward, with `G` the nodes'
gradients as a neurons x samples matrix: each weight's contribution from the whole group is an
element of `G @ Z`, each input's an element of `G.T @ A`, each bias's a row sum of `G`. The
products add in BLAS's order rather than left to right, so results differ from eager's in the
last bits (docs/performance.md gives the tolerance the tests hold them to).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._matmul import Lowered


def _rows(slots: list[list[int]], ns: dict[str, Any], name: str) -> str:
    """Source of the (rows x width) matrix of `V` at `slots`: a reshaped slice (a view) when
    the slots are consecutive, else a gather."""
    flat = np.asarray(slots, dtype=np.intp)
    first = int(flat[0, 0])
    if np.array_equal(flat.ravel(), np.arange(first, first + flat.size)):
        return f"V[{first}:{first + flat.size}].reshape({flat.shape[0]}, {flat.shape[1]})"
    ns[name] = flat
    return f"V[{name}]"


def _lead_shape(m: Lowered) -> str:
    """How the leads (a vector) broadcast against the product matrix."""
    if m.lead == "node":
        return ""
    last = "a" if m.layout == "za" else "z"  # the kind of row along the matrix's last axis
    return "" if m.lead == last else "[:, None]"


def forward(
    m: Lowered, k: int, start: int, n: int, saved: list[Any], ns: dict[str, Any]
) -> list[str]:
    """Lines computing the group's nodes into `V[start:start + n]`; `A` and `Z` are kept in
    `saved` (`_S`) for the backward."""
    ia, iz = len(saved), len(saved) + 1
    saved += [None, None]
    ua, uz = len(m.a_rows), len(m.z_rows)
    lines = [
        f"    # sum of products x {n} as a matrix product ({uz} x {m.width}) @ ({m.width} x {ua})",
        f"    A = _S[{ia}] = {_rows(m.a_rows, ns, f'_ma{k}')}",
        f"    Z = _S[{iz}] = {_rows(m.z_rows, ns, f'_mz{k}')}",
    ]
    if m.layout != "scatter":  # the product written straight into the group's slots of V
        shape = (uz, ua) if m.layout == "za" else (ua, uz)
        left, right = ("Z", "A.T") if m.layout == "za" else ("A", "Z.T")
        lines.append(f"    M = V[{start}:{start + n}].reshape{shape}")
        lines.append(f"    _np.matmul({left}, {right}, out=M)")
        if m.lead is None:
            lines.append("    M += 0.0")  # eager sums from 0.0 (which turns a -0.0 into 0.0)
        else:
            ns[f"_ml{k}"] = np.asarray(m.lead_slots, dtype=np.intp)
            lines.append(f"    M += (0.0 + V[_ml{k}]){_lead_shape(m)}")
        return lines
    ns[f"_pa{k}"] = np.asarray(m.pa, dtype=np.intp)
    ns[f"_pz{k}"] = np.asarray(m.pz, dtype=np.intp)
    product = f"(A @ Z.T)[_pa{k}, _pz{k}]"  # only the pairs that are nodes
    if m.lead is None:
        total = f"{product} + 0.0"  # eager sums from 0.0 (which turns a -0.0 into 0.0)
    else:
        ns[f"_ml{k}"] = np.asarray(m.lead_slots, dtype=np.intp)
        total = f"{product} + (0.0 + V[_ml{k}]){_lead_shape(m)}"
    lines.append(f"    V[{start}:{start + n}] = ({total}).ravel()")
    return lines


def backward(m: Lowered, k: int, n: int, saved_at: int) -> list[str]:
    """Lines writing the group's edges into `E` from the nodes' gradients `g` (n values)."""
    ua, uz, w = len(m.a_rows), len(m.z_rows), m.width
    lines = [f"    A = _S[{saved_at}]", f"    Z = _S[{saved_at + 1}]"]
    if m.layout == "za":
        lines.append(f"    G = g.reshape({uz}, {ua}).T")
    elif m.layout == "az":
        lines.append(f"    G = g.reshape({ua}, {uz})")
    else:
        lines += [
            f"    G = _np.zeros(({ua}, {uz}))",
            f"    _np.add.at(G, (_pa{k}, _pz{k}), g)",
        ]
    e = m.edge_base
    if m.lead == "node":
        lines.append(f"    E[{e}:{e + n}] = g")
    elif m.lead == "a":
        lines.append(f"    E[{e}:{e + ua}] = _seqsum(G.T)")  # a bias: summed over the samples
    elif m.lead == "z":
        lines.append(f"    E[{e}:{e + uz}] = _seqsum(G)")
    e += len(m.lead_slots)
    # the products written straight into their edges (no temporaries of a layer's size)
    lines.append(f"    _np.matmul(G, Z, out=E[{e}:{e + ua * w}].reshape({ua}, {w}))")
    e += ua * w
    lines.append(f"    _np.matmul(G.T, A, out=E[{e}:{e + uz * w}].reshape({uz}, {w}))")
    return lines

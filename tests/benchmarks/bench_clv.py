"""Benchmark (not a test): BG/NBD fits of simulated customers, ours against the references.

    .venv/bin/python tests/benchmarks/bench_clv.py --customers 100000 1000000 [--json out.json]

Simulated times are rounded to whole days (in weeks), as the dbt summary
has them, unless --continuous. Prints one table: customers, method, fit
seconds, peak memory of the fit (tracemalloc: Python allocations, numpy
included), the parameters, and the largest relative difference to the truth
and to this estimator.
pymc-marketing is left out: about 800 MB installed, and with default priors
it gives MAP estimates, not the maximum likelihood compared here.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import tracemalloc
import warnings

import numpy as np

from orchestration.clv import fit_bgnbd
from orchestration.clv.simulate import simulate_bgnbd

TRUTH = np.array([0.25, 4.0, 0.8, 2.5])


def _measure(function):
    tracemalloc.start()
    started = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, seconds, peak / 2**20


def _ours(frequency, recency, age):
    return fit_bgnbd(frequency, recency, age).parameters


def _lifetimes(frequency, recency, age):
    import lifetimes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = lifetimes.BetaGeoFitter(penalizer_coef=0.0)
        fitter.fit(frequency, recency, age)
    return fitter.params_[["r", "alpha", "a", "b"]].to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--continuous", action="store_true", help="keep simulated times continuous (no rounding)"
    )
    parser.add_argument("--skip-lifetimes-above", type=int, default=2_000_000)
    arguments = parser.parse_args()
    rows = []
    for customers in arguments.customers:
        frequency, recency, age = simulate_bgnbd(customers, *TRUTH, seed=customers)
        if not arguments.continuous:
            # As the dbt summary has them: whole days, in weeks.
            recency, age = np.floor(recency * 7) / 7, np.floor(age * 7) / 7
        methods = [("orchestration.clv (numpy/scipy)", _ours)]
        if customers <= arguments.skip_lifetimes_above:
            methods.append(("lifetimes 0.11.3 (reference)", _lifetimes))
        ours = None
        for name, method in methods:
            parameters, seconds, peak_mb = _measure(
                lambda m=method, f=frequency, r=recency, t=age: m(f, r, t)
            )
            ours = parameters if ours is None else ours
            rows.append(
                {
                    "customers": customers,
                    "method": name,
                    "fit_seconds": round(seconds, 3),
                    "peak_mb": round(peak_mb, 1),
                    "parameters": [round(float(value), 5) for value in parameters],
                    "max_rel_diff_to_truth": float(np.max(np.abs(parameters / TRUTH - 1))),
                    "max_rel_diff_to_ours": float(np.max(np.abs(parameters / ours - 1))),
                }
            )
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    print(f"truth (r, alpha, a, b) = {TRUTH.tolist()}")
    header = (
        f"{'customers':>10} | {'method':<32} | {'fit s':>8} | {'peak MB':>8} | "
        f"{'r, alpha, a, b':<38} | {'vs truth':>8} | {'vs ours':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['customers']:>10,} | {row['method']:<32} | {row['fit_seconds']:>8.3f} | "
            f"{row['peak_mb']:>8.1f} | {str(row['parameters']):<38} | "
            f"{row['max_rel_diff_to_truth']:>8.2e} | {row['max_rel_diff_to_ours']:>8.2e}"
        )
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()

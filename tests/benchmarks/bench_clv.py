"""Benchmark (not a test): each CLV model fitted on simulated customers, ours against lifetimes.

    .venv/bin/python tests/benchmarks/bench_clv.py [--customers 1000000] [--json out.json]

For each model, customers are simulated from known parameters (times rounded
to whole days, in weeks, as the dbt summary has them, unless --continuous),
then fitted by orchestration.clv and by lifetimes 0.11.3 with its default
settings (no penalizer, its own start and tolerances, one row per customer:
the data as a user would pass them) on the same data. Gamma-Gamma is fitted
on the BG/NBD customers with a repeat purchase and simulated spends.
lifetimes' Pareto/NBD evaluates every row at every Nelder-Mead step (30-40 s
per 100,000 customers here), so it is timed on a random subsample
(--lifetimes-pareto-customers) and its time scaled up linearly to all
customers, marked "(extrapolated)"; its agreement is with our fit of that
same subsample (its default tolerance, 1e-4, shows there). Each time is the
best of --repeats runs (both sides), wall clock; lifetimes' fit includes its
standard errors (a Hessian by autograd), ours does not (their time is in the
note). Printed: fit seconds, lifetimes' time over ours, the parameters, the
largest relative difference to the truth and between the two fits, and each
model against the target (under 3 s at 1M customers and at least 5x faster
than lifetimes).

Result on 2026-12-02, this 2-core x86_64 machine (24 GB), while other
builds kept the load average at 4-5, so the seconds are noisy: another run
the same hour gave BG/NBD 0.79 s against lifetimes' 19.8 s, Pareto/NBD
0.86 s, and every ratio above 19x.

    $ .venv/bin/python tests/benchmarks/bench_clv.py --customers 1000000
    machine: x86_64, 2 cores, Python 3.11.7, numpy 2.4.6, scipy 1.17.1; load average 4.4
     customers | model       | method            |   fit s | x ours | parameters                             | vs truth |  vs ours | note
    -------------------------------------------------------------------------------------------------------------------------------------
     1,000,000 | BG/NBD      | orchestration.clv |    1.27 |        | [0.24851, 3.92999, 0.80121, 2.46538]   |  1.8e-02 |  0.0e+00 | (standard errors: 0.45 s more)
     1,000,000 | BG/NBD      | lifetimes 0.11.3  |   16.94 |   13.3 | [0.24851, 3.92999, 0.80121, 2.46538]   |  1.8e-02 |  6.6e-07 |
     1,000,000 | MBG/NBD     | orchestration.clv |    0.91 |        | [0.50246, 5.95847, 0.89712, 1.57497]   |  1.6e-02 |  0.0e+00 | (standard errors: 0.45 s more)
     1,000,000 | MBG/NBD     | lifetimes 0.11.3  |   18.42 |   20.3 | [0.50246, 5.95847, 0.89712, 1.57497]   |  1.6e-02 |  9.8e-08 |
     1,000,000 | Pareto/NBD  | orchestration.clv |    1.14 |        | [0.55565, 10.62353, 0.58573, 10.93398] |  6.5e-02 |  0.0e+00 | (standard errors: 0.38 s more)
     1,000,000 | Pareto/NBD  | lifetimes 0.11.3  |  309.98 |  271.0 | [0.54502, 10.54087, 0.57459, 10.90426] |  6.8e-02 |  1.5e-04 | (extrapolated: 6.2 s on 20,000; agreement with ours on them)
     1,000,000 | Gamma-Gamma | orchestration.clv |    0.15 |        | [5.89077, 4.02943, 15.41086]           |  2.7e-02 |  0.0e+00 | (468,787 repeat customers)
     1,000,000 | Gamma-Gamma | lifetimes 0.11.3  |    2.80 |   18.3 | [5.89077, 4.02943, 15.41086]           |  2.7e-02 |  5.8e-07 | (468,787 repeat customers)

    target BG/NBD at 1,000,000: 1.27 s (met: < 3 s), 13.3x faster than lifetimes (met: >= 5x)
    target MBG/NBD at 1,000,000: 0.91 s (met: < 3 s), 20.3x faster than lifetimes (met: >= 5x)
    target Pareto/NBD at 1,000,000: 1.14 s (met: < 3 s), 271.0x faster than lifetimes (met: >= 5x)
    target Gamma-Gamma at 1,000,000: 0.15 s (met: < 3 s), 18.3x faster than lifetimes (met: >= 5x)
    load average at the end 5.4
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from functools import partial

import numpy as np
import scipy

from orchestration.clv import fit_bgnbd, fit_gamma_gamma, fit_mbgnbd, fit_pareto_nbd
from orchestration.clv.simulate import (
    simulate_bgnbd,
    simulate_gamma_gamma,
    simulate_mbgnbd,
    simulate_pareto_nbd,
)

TARGET_SECONDS = 3.0
TARGET_SPEED_UP = 5.0
MODELS = {
    # name: (truth, simulator, ours, lifetimes class name, lifetimes parameter names)
    "BG/NBD": (
        (0.25, 4.0, 0.8, 2.5),
        simulate_bgnbd,
        fit_bgnbd,
        "BetaGeoFitter",
        ["r", "alpha", "a", "b"],
    ),
    "MBG/NBD": (
        (0.5, 6.0, 0.9, 1.6),
        simulate_mbgnbd,
        fit_mbgnbd,
        "ModifiedBetaGeoFitter",
        ["r", "alpha", "a", "b"],
    ),
    "Pareto/NBD": (
        (0.55, 10.6, 0.6, 11.7),
        simulate_pareto_nbd,
        fit_pareto_nbd,
        "ParetoNBDFitter",
        ["r", "alpha", "s", "beta"],
    ),
}
GAMMA_GAMMA_TRUTH = (6.0, 4.0, 15.0)


def _best_time(function, repeats: int):
    best, result = np.inf, None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return result, best


def _lifetimes_fit(class_name, names, *data):
    import lifetimes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = getattr(lifetimes, class_name)().fit(*data)
    return fitter.params_[names].to_numpy()


def _row(customers, model, method, seconds, parameters, truth, ours, *, note=""):
    return {
        "customers": customers,
        "model": model,
        "method": method,
        "note": note,
        "fit_seconds": round(seconds, 3),
        "parameters": [round(float(value), 5) for value in parameters],
        "max_rel_diff_to_truth": float(np.max(np.abs(np.asarray(parameters) / truth - 1))),
        "max_rel_diff_to_ours": float(np.max(np.abs(np.asarray(parameters) / ours - 1))),
    }


def run(customers, *, continuous, repeats, pareto_subsample, skip_lifetimes):
    rows = []
    bgnbd_frequency = None
    for model, (truth, simulate, ours_fit, class_name, names) in MODELS.items():
        frequency, recency, age = simulate(customers, *truth, seed=customers)
        if not continuous:
            recency, age = np.floor(recency * 7) / 7, np.floor(age * 7) / 7
        if model == "BG/NBD":
            bgnbd_frequency = frequency
        data = (frequency, recency, age)
        fit, seconds = _best_time(partial(ours_fit, *data), repeats)
        ours = fit.parameters
        _, error_seconds = _best_time(partial(fit.standard_errors, *data), repeats)
        rows.append(
            _row(
                customers,
                model,
                "orchestration.clv",
                seconds,
                ours,
                truth,
                ours,
                note=f"(standard errors: {error_seconds:.2f} s more)",
            )
        )
        if skip_lifetimes:
            continue
        if model == "Pareto/NBD" and pareto_subsample < customers:
            keep = np.random.default_rng(0).choice(customers, pareto_subsample, replace=False)
            sample = tuple(column[keep] for column in data)
            ours_on_sample = ours_fit(*sample).parameters
            np.random.seed(0)  # lifetimes starts Pareto/NBD at random points
            parameters, sample_seconds = _best_time(
                partial(_lifetimes_fit, class_name, names, *sample), repeats
            )
            rows.append(
                _row(
                    customers,
                    model,
                    "lifetimes 0.11.3",
                    sample_seconds * customers / pareto_subsample,
                    parameters,
                    truth,
                    ours_on_sample,
                    note=(
                        f"(extrapolated: {sample_seconds:.1f} s on {pareto_subsample:,}; "
                        "agreement with ours on them)"
                    ),
                )
            )
            continue
        np.random.seed(0)
        parameters, seconds = _best_time(partial(_lifetimes_fit, class_name, names, *data), repeats)
        rows.append(_row(customers, model, "lifetimes 0.11.3", seconds, parameters, truth, ours))

    repeat = bgnbd_frequency > 0
    spend = simulate_gamma_gamma(bgnbd_frequency[repeat], *GAMMA_GAMMA_TRUTH, seed=customers)
    gamma_data = (bgnbd_frequency[repeat], spend)
    fit, seconds = _best_time(lambda: fit_gamma_gamma(*gamma_data), repeats)
    ours = np.array([fit.p, fit.q, fit.v])
    note = f"({int(repeat.sum()):,} repeat customers)"
    rows.append(
        _row(customers, "Gamma-Gamma", "orchestration.clv", seconds, ours, GAMMA_GAMMA_TRUTH, ours)
    )
    rows[-1]["note"] = note
    if not skip_lifetimes:
        parameters, seconds = _best_time(
            lambda: _lifetimes_fit("GammaGammaFitter", ["p", "q", "v"], *gamma_data), repeats
        )
        rows.append(
            _row(
                customers,
                "Gamma-Gamma",
                "lifetimes 0.11.3",
                seconds,
                parameters,
                GAMMA_GAMMA_TRUTH,
                ours,
                note=note,
            )
        )
    return rows


def _print(rows):
    header = (
        f"{'customers':>10} | {'model':<11} | {'method':<17} | {'fit s':>7} | {'x ours':>6} | "
        f"{'parameters':<38} | {'vs truth':>8} | {'vs ours':>8} | note"
    )
    print(header)
    print("-" * len(header))
    ours_seconds = {}
    for row in rows:
        key = (row["customers"], row["model"])
        if row["method"] == "orchestration.clv":
            ours_seconds[key] = row["fit_seconds"]
            ratio = ""
        else:
            row["speed_up"] = row["fit_seconds"] / ours_seconds[key]
            ratio = f"{row['speed_up']:.1f}"
        print(
            f"{row['customers']:>10,} | {row['model']:<11} | {row['method']:<17} | "
            f"{row['fit_seconds']:>7.2f} | {ratio:>6} | {str(row['parameters']):<38} | "
            f"{row['max_rel_diff_to_truth']:>8.1e} | {row['max_rel_diff_to_ours']:>8.1e} | "
            f"{row['note']}".rstrip()
        )
    print()
    for row in rows:
        if row["method"] != "orchestration.clv":
            continue
        key = (row["customers"], row["model"])
        reference = next(
            (r for r in rows if (r["customers"], r["model"]) == key and "speed_up" in r), None
        )
        speed = (
            f", {reference['speed_up']:.1f}x faster than lifetimes "
            f"({'met' if reference['speed_up'] >= TARGET_SPEED_UP else 'MISSED'}: >= "
            f"{TARGET_SPEED_UP:g}x)"
            if reference
            else ""
        )
        met = "met" if row["fit_seconds"] < TARGET_SECONDS else "MISSED"
        print(
            f"target {row['model']} at {row['customers']:,}: {row['fit_seconds']:.2f} s "
            f"({met}: < {TARGET_SECONDS:g} s){speed}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeats", type=int, default=2, help="best of this many runs, both sides")
    parser.add_argument("--lifetimes-pareto-customers", type=int, default=20_000)
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--continuous", action="store_true", help="keep simulated times continuous (no rounding)"
    )
    arguments = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    rows = []
    for customers in arguments.customers:
        rows += run(
            customers,
            continuous=arguments.continuous,
            repeats=arguments.repeats,
            pareto_subsample=arguments.lifetimes_pareto_customers,
            skip_lifetimes=arguments.skip_lifetimes,
        )
    _print(rows)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()

"""The logarithm of the Gaussian hypergeometric function, safe where the direct value overflows."""

from __future__ import annotations

import numpy as np
from scipy import special


def log_hypergeometric(hyp_a, hyp_b, hyp_c, z) -> np.ndarray:
    """log 2F1(a, b; c; z) for 0 <= z < 1, by Euler's transformation where the direct one overflows.

    2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z); the
    transformed value is computed only where it is needed.
    """
    hyp_a, hyp_b, hyp_c, z = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (hyp_a, hyp_b, hyp_c, z))
    )
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_hyp = np.log(special.hyp2f1(hyp_a, hyp_b, hyp_c, z))
        overflowed = ~np.isfinite(log_hyp)
        if overflowed.any():
            a, b, c, w = (v[overflowed] for v in (hyp_a, hyp_b, hyp_c, z))
            log_hyp = np.array(log_hyp)
            log_hyp[overflowed] = np.log(special.hyp2f1(c - a, c - b, c, w)) + (
                c - a - b
            ) * np.log1p(-w)
    return log_hyp

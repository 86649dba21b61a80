"""Statistics of a measurement over trials: Student t quantiles and 95% confidence intervals."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

# Student t quantiles t_{0.975, df} for df = 1..30 (any statistics table); beyond, the Cornish-Fisher
# expansion around the normal quantile is accurate to better than 1e-4.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
         2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
         2.052, 2.048, 2.045, 2.042)


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with df degrees of freedom (two-sided 95%)."""
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def confidence_interval(values: Sequence[float]) -> tuple[float, float] | None:
    """Two-sided 95% t-interval for the mean of the values; None for fewer than two."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        return None
    mean = float(values.mean())
    half = t_quantile_975(values.size - 1) * float(values.std(ddof=1)) / math.sqrt(values.size)
    return (mean - half, mean + half)

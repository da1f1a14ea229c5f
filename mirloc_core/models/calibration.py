"""Calibration of compartment probabilities: a monotone (isotonic) map per compartment, fitted on out-of-fold
predictions by :mod:`mirloc_core.training`, applied here by linear interpolation between its breakpoints.

A calibrated 0.3 means that about 30 % of the training miRNAs scored like this carry the label; it ranks miRNAs a
little less finely than the raw score (isotonic steps create ties), which the benchmark JSON reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mirloc_core.config import COMPARTMENTS


@dataclass(frozen=True)
class IsotonicCalibrator:
    """Per compartment, the breakpoints ``x`` (raw probability) → ``y`` (calibrated probability)."""

    breakpoints: dict

    @classmethod
    def from_dict(cls, calibrator: dict) -> "IsotonicCalibrator":
        """From ``{compartment: {"x": [...], "y": [...]}}`` (every compartment, increasing ``x``)."""
        missing = [c for c in COMPARTMENTS if c not in calibrator]
        if missing:
            raise ValueError(f"calibrator lacks {', '.join(missing)}")
        return cls({c: (np.asarray(calibrator[c]["x"], float), np.asarray(calibrator[c]["y"], float))
                    for c in COMPARTMENTS})

    def __call__(self, probabilities: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, shape (N, 7), from raw ones."""
        probabilities = np.asarray(probabilities, dtype=np.float64)
        if probabilities.size == 0:
            return probabilities.reshape(0, len(COMPARTMENTS))
        return np.stack([np.interp(probabilities[:, j], *self.breakpoints[c]) for j, c in enumerate(COMPARTMENTS)],
                        axis=1)

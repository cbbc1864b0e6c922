"""The backends of mono_to_binaural, best first."""

from __future__ import annotations

from models.base import Backend
from models.binaural.sofa_hrtf import SofaHrtf
from models.binaural.spherical_head import SphericalHead

# Measured HRTFs, once a SOFA file is installed, in place of the spherical-head model.
BACKENDS: tuple[type[Backend], ...] = (SofaHrtf, SphericalHead)

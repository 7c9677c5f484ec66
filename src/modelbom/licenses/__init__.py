"""License normalisation: declared license strings to SPDX expressions or LicenseRef ids."""

from __future__ import annotations

from modelbom.licenses.normalize import normalize_license

__all__ = ["normalize_license"]

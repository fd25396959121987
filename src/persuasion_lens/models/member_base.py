"""What the detectors that average a member into a base detector share: everything they do not
change (languages, thresholds of the other languages, the fallback) comes from the base."""

from __future__ import annotations

from typing import Any

import numpy as np


class AveragedIntoBase:
    base: Any
    thresholds: dict[str, np.ndarray]  # the languages whose thresholds were re-tuned

    def supported_languages(self) -> list[str]:
        return list(self.base.supported_languages())

    def thresholds_for(self, language: str | None) -> np.ndarray:
        if language in self.thresholds:
            return self.thresholds[language]
        return self.base.thresholds_for(language)

    def uses_fallback(self, language: str | None) -> bool:
        return bool(self.base.uses_fallback(language))

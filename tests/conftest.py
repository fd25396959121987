from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO.parent / "shared" / "data"
SEED_EXAMPLE = REPO.parent / "shared" / "examples" / "putin-kim-opinion-en.txt"
PROJECT_EXAMPLE = REPO / "examples" / "harbour-bridge-opinion-en.txt"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA_DIR / "semeval2023-task3").is_dir():
        pytest.skip("the training data (../shared/data) is not available")
    return DATA_DIR


@pytest.fixture(scope="session")
def seed_example() -> Path:
    if not SEED_EXAMPLE.exists():
        pytest.skip("../shared/examples is not available")
    return SEED_EXAMPLE


@pytest.fixture(scope="session")
def project_example() -> Path:
    return PROJECT_EXAMPLE


@pytest.fixture(scope="session")
def analyzer():
    """The analyzer with the shipped models, loaded once for the whole test session."""
    from persuasion_lens import default_analyzer

    return default_analyzer()


@pytest.fixture(scope="session")
def narrative_analyzer():
    """The shipped models with the (experimental, opt-in) narrative model, loaded once."""
    from persuasion_lens.pipeline.analyzer import Analyzer

    analyzer = Analyzer.load(narratives=True)
    if analyzer.narrative_model is None:
        pytest.skip("the narrative model is not installed")
    return analyzer

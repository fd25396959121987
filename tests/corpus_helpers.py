"""Shared pieces of the corpus tests: database URLs for SQLite and PostgreSQL, sample inputs,
and a tiny deterministic analyzer for tests that must not depend on the trained models."""

from __future__ import annotations

import json
import os
import uuid
import zlib
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from persuasion_lens.taxonomy import TECHNIQUE_NAMES

POSTGRES_URL = os.environ.get("PLENS_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]

OUTLETS = ["Daily Planet", "Gotham Gazette", "Metro Times"]
WORDS = [
    "shameful", "corrupt", "traitors", "obviously", "everyone", "knows", "disaster", "heroic",
    "nation", "experts", "agree", "catastrophe", "ridiculous", "puppet", "cowards", "freedom",
    "harbour", "bridge", "council", "budget", "vote", "weather", "report", "quietly", "announced",
]


def make_url(backend: str, tmp_path: Path) -> tuple[str, object]:
    """A fresh, empty database of this kind and a cleanup function."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'corpus.db'}", lambda: None
    if not POSTGRES_URL:
        pytest.skip("PLENS_TEST_POSTGRES_URL is not set (run .ci/setup-postgres.sh)")
    import sqlalchemy as sa

    from persuasion_lens.storage.database import normalise_url

    schema = "plens_test_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(normalise_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"

    def cleanup() -> None:
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()

    return url, cleanup


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    url, cleanup = make_url(request.param, tmp_path)
    yield url
    cleanup()


def article_text(number: int, paragraphs: int = 4) -> str:
    rng = np.random.default_rng(number)
    lines = [f"Headline number {number}: " + " ".join(rng.choice(WORDS, 5))]
    for _ in range(paragraphs - 1):
        lines.append(" ".join(rng.choice(WORDS, int(rng.integers(8, 20)))).capitalize() + ".")
    return "\n\n".join(lines)


def article_rows(count: int, start: int = 0) -> list[dict]:
    rows = []
    for number in range(start, start + count):
        rows.append({
            "id": f"a{number}",
            "text": article_text(number),
            "outlet": OUTLETS[number % len(OUTLETS)],
            "url": f"https://example.org/{number}",
            "published": f"2024-{1 + number % 3:02d}-{1 + number % 27:02d}",
            "lang": "en",
        })
    return rows


def write_jsonl(path: Path, rows: list[dict], extra_lines: tuple[str, ...] = ()) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
        for line in extra_lines:
            handle.write(line + "\n")
    return path


class FakeDetector:
    """Deterministic keyword-driven probabilities (no trained model needed)."""

    techniques: ClassVar[list[str]] = list(TECHNIQUE_NAMES)
    version = "fake-techniques-1"
    cues: ClassVar[dict[str, str]] = {
             "shameful": "Name_Calling-Labeling", "corrupt": "Name_Calling-Labeling",
             "obviously": "Loaded_Language", "disaster": "Loaded_Language",
             "everyone": "Appeal_to_Popularity", "experts": "Appeal_to_Authority",
             "nation": "Flag_Waving", "catastrophe": "Exaggeration-Minimisation"}

    def predict_proba(self, documents):
        out = []
        for document in documents:
            matrix = np.zeros((len(document.paragraphs), len(self.techniques)))
            for row, paragraph in enumerate(document.paragraphs):
                lowered = paragraph.text.lower()
                for cue, name in self.cues.items():
                    if cue in lowered:
                        column = self.techniques.index(name)
                        wobble = (zlib.crc32(lowered.encode()) % 100) / 1000
                        matrix[row, column] = max(matrix[row, column], 0.6 + wobble)
            out.append(matrix)
        return out

    def thresholds_for(self, lang):
        return np.full(len(self.techniques), 0.5)


class FakeSpans:
    version = "fake-spans-1"

    def locate(self, document, decided):
        from persuasion_lens.pipeline.results import SpanHit
        from persuasion_lens.taxonomy import category_of

        located = []
        cues = {name: cue for cue, name in FakeDetector.cues.items()}
        for paragraph, hits in zip(document.paragraphs, decided, strict=True):
            spans = []
            for name, confidence in hits:
                cue = cues[name]
                at = paragraph.text.lower().find(cue)
                if at >= 0:
                    start = paragraph.start + at
                    end = start + len(cue)
                    spans.append(SpanHit(start, end, document.text[start:end], name,
                                         category_of(name), confidence, "cue word"))
            located.append(spans)
        return located


def fake_analyzer():
    """Factory for AnalyzerSpec(factory="corpus_helpers:fake_analyzer")."""
    from persuasion_lens.pipeline.analyzer import AnalysisOptions, Analyzer

    return Analyzer(FakeDetector(), span_detector=FakeSpans(),
                    options=AnalysisOptions(spans=True, article_labels=False, narratives=False))


class FragileDetector(FakeDetector):
    """Like FakeDetector, but the analysis breaks on any document that says "detonate"."""

    def predict_proba(self, documents):
        if any("detonate" in document.text.lower() for document in documents):
            raise RuntimeError("the detector broke on this document")
        return super().predict_proba(documents)


def fragile_analyzer():
    """Factory for AnalyzerSpec(factory="corpus_helpers:fragile_analyzer")."""
    from persuasion_lens.pipeline.analyzer import AnalysisOptions, Analyzer

    return Analyzer(FragileDetector(), span_detector=FakeSpans(),
                    options=AnalysisOptions(spans=True, article_labels=False, narratives=False))


class InterruptedDetector(FakeDetector):
    """Like FakeDetector, but a document that says "ctrl-c" stands for the user pressing it."""

    def predict_proba(self, documents):
        if any("ctrl-c" in document.text.lower() for document in documents):
            raise KeyboardInterrupt
        return super().predict_proba(documents)


def interrupted_analyzer():
    """Factory for AnalyzerSpec(factory="corpus_helpers:interrupted_analyzer")."""
    from persuasion_lens.pipeline.analyzer import AnalysisOptions, Analyzer

    return Analyzer(InterruptedDetector(), span_detector=FakeSpans(),
                    options=AnalysisOptions(spans=True, article_labels=False, narratives=False))


def real_model_available() -> bool:
    from persuasion_lens.models.techniques import ARTIFACT_DIR

    return ARTIFACT_DIR.is_dir() and any(ARTIFACT_DIR.iterdir())


def analyzer_spec():
    """The shipped models when they are installed, else the fake analyzer."""
    from persuasion_lens.batch.work import AnalyzerSpec

    if real_model_available():
        return AnalyzerSpec()
    return AnalyzerSpec(factory="corpus_helpers:fake_analyzer")


def analyzer_args() -> list[str]:
    """`plens batch` options matching analyzer_spec()."""
    if real_model_available():
        return []
    return ["--analyzer-factory", "corpus_helpers:fake_analyzer"]


def subprocess_env() -> dict[str, str]:
    """Environment for a `plens` subprocess (or Dask worker) that can import this module."""
    env = dict(os.environ)
    here = str(Path(__file__).parent)
    env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


# Short articles the narrative model reads as Russia–Ukraine war and climate narratives.
NARRATIVE_ARTICLES = [
    {"id": "n1", "outlet": "Daily Planet", "published": "2024-01-05",
     "text": "The West provoked the war in Ukraine\n\nThe United States and NATO expanded east "
             "for decades and ignored Russia's security concerns. Washington wanted this war, "
             "and Kyiv is its puppet.\n\nRussia had no choice but to defend itself against "
             "Western aggression."},
    {"id": "n2", "outlet": "Gotham Gazette", "published": "2024-02-11",
     "text": "Climate alarmists want to ban your car\n\nThe climate agenda is a hoax pushed by "
             "globalists. Green policies will destroy the economy and make energy unaffordable "
             "for families.\n\nThe European Union keeps adding regulations that ruin farmers."},
    {"id": "n3", "outlet": "Daily Planet", "published": "2024-02-20",
     "text": "Ukraine is a Nazi regime, says Moscow\n\nZelensky and his government are corrupt "
             "and the United States pays for everything. Russia is protecting the people of "
             "Donbas from the regime in Kyiv.\n\nSanctions against Russia only hurt Europe."},
    {"id": "n4", "outlet": "Metro Times", "published": "2024-02-25",
     "text": "NATO drags Europe into a war with Russia\n\nThe United States sends more weapons "
             "to Ukraine while Europeans pay for gas. Washington will fight Russia to the last "
             "Ukrainian.\n\nThe United States does not care about peace."},
]


def narrative_spec():
    """The fake technique detector plus the real narrative model (fast, no technique model)."""
    from persuasion_lens.batch.work import AnalyzerSpec

    return AnalyzerSpec(factory="corpus_helpers:fake_analyzer", narratives=True)


# an English text full of URW narratives and named actors, for narrative/role outputs
NARRATIVE_TEXT = (
    "The West provoked the war in Ukraine\n"
    "The United States and NATO expanded east for decades and ignored Russia's security "
    "concerns. Washington wanted this war, and Kyiv is its puppet.\n"
    "Russia had no choice but to defend itself against Western aggression. The United States "
    "will fight to the last Ukrainian.\n"
)


class SlowDetector(FakeDetector):
    """Like FakeDetector, taking 20 ms per document, so that concurrent runs overlap."""

    def predict_proba(self, documents):
        import time

        time.sleep(0.02 * len(documents))
        return super().predict_proba(documents)


def counting_analyzer():
    """Factory for the fake analyzer that notes each time it is built (one file per build,
    named after the process, in the folder `$PLENS_TEST_BUILDS`, when that is set)."""
    folder = os.environ.get("PLENS_TEST_BUILDS")
    if folder:
        (Path(folder) / f"{os.getpid()}-{uuid.uuid4().hex[:8]}").touch()
    return fake_analyzer()


class SlowerDetector(FakeDetector):
    """Like FakeDetector, taking 50 ms per document, so that a run lasts long enough to kill a
    process in the middle of it."""

    def predict_proba(self, documents):
        import time

        time.sleep(0.05 * len(documents))
        return super().predict_proba(documents)


def slow_analyzer():
    """Factory for the fake analyzer at 50 ms per article."""
    from persuasion_lens.pipeline.analyzer import AnalysisOptions, Analyzer

    return Analyzer(SlowerDetector(), span_detector=FakeSpans(),
                    options=AnalysisOptions(spans=True, article_labels=False, narratives=False))


class DyingDetector(FakeDetector):
    """Like FakeDetector, but the process analysing a document that says "self-destruct" dies
    at once, as the kernel's out-of-memory killer would kill it (Dask workers only!)."""

    def predict_proba(self, documents):
        import signal

        if any("self-destruct" in document.text.lower() for document in documents):
            os.kill(os.getpid(), signal.SIGKILL)
        return super().predict_proba(documents)


def dying_analyzer():
    """Factory for AnalyzerSpec(factory="corpus_helpers:dying_analyzer")."""
    from persuasion_lens.pipeline.analyzer import AnalysisOptions, Analyzer

    return Analyzer(DyingDetector(), span_detector=FakeSpans(),
                    options=AnalysisOptions(spans=True, article_labels=False, narratives=False))


def gated_analyzer():
    """Factory for a slow fake analyzer that, once loaded, touches `$PLENS_TEST_GATE.<pid>`
    and waits for the file `$PLENS_TEST_GATE` (at most a minute): a test starts runs in
    several processes and opens the gate when all are loaded, so that they run at once."""
    import time

    from persuasion_lens.pipeline.analyzer import AnalysisOptions, Analyzer

    analyzer = Analyzer(SlowDetector(), span_detector=FakeSpans(),
                        options=AnalysisOptions(spans=True, article_labels=False,
                                                narratives=False))
    gate = Path(os.environ["PLENS_TEST_GATE"])
    Path(f"{gate}.{os.getpid()}").touch()
    deadline = time.monotonic() + 60
    while not gate.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return analyzer


# Probabilities at the edge of two-decimal rounding, and how every report writes them: the
# first is 0.995 at the four decimals of the JSON and the database (1.00, as it is rounded);
# f"{0.995:.2f}" is 0.99 (the binary value is a little below), f"{0.125:.2f}" is 0.12.
EDGE_PROBABILITIES = [0.99500004, 0.125, 0.005]
EDGE_TEXTS = ["1.00", "0.13", "0.01"]
EDGE_TECHNIQUES = ["Loaded_Language", "Name_Calling-Labeling", "Doubt"]


class EdgeDetector(FakeDetector):
    """Every paragraph gets EDGE_TECHNIQUES at EDGE_PROBABILITIES, all above the threshold."""

    def predict_proba(self, documents):
        out = []
        for document in documents:
            matrix = np.zeros((len(document.paragraphs), len(self.techniques)))
            for name, probability in zip(EDGE_TECHNIQUES, EDGE_PROBABILITIES, strict=True):
                matrix[:, self.techniques.index(name)] = probability
            out.append(matrix)
        return out

    def thresholds_for(self, lang):
        return np.full(len(self.techniques), 0.001)


def edge_analyzer():
    """Factory for an analyzer whose genre, frames and detections all have
    EDGE_PROBABILITIES (AnalyzerSpec(factory="corpus_helpers:edge_analyzer"))."""
    from persuasion_lens.pipeline.analyzer import AnalysisOptions, Analyzer
    from persuasion_lens.pipeline.results import LabelScore

    class EdgeAnalyzer(Analyzer):
        def analyze_documents(self, documents, lang=None):
            results = super().analyze_documents(documents, lang)
            for result in results:
                result.genre = LabelScore("opinion", EDGE_PROBABILITIES[0])
                result.genre_probabilities = [result.genre]
                result.frames = [LabelScore("Economic", EDGE_PROBABILITIES[1]),
                                 LabelScore("Political", EDGE_PROBABILITIES[2])]
            return results

    return EdgeAnalyzer(EdgeDetector(), options=AnalysisOptions(
        spans=False, article_labels=False, narratives=False))

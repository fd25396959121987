"""Analysis counts n-grams without scikit-learn: the same matrices, and a start-up without it."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from persuasion_lens.models import ngrams as G

EXAMPLE = Path(__file__).parents[1] / "examples" / "harbour-bridge-opinion-en.txt"
AWKWARD = [
    "", "a", "  x \t y\n\nz  ", "Żółć gęślą jaźń, «Ça va?» — Straße İstanbul ǅemal",
    "Путин и Ким: «ракеты» — 13 сентября!", "under_score don't e-mail 3.14 x2 😀emoji 🙂",
    "non\xa0breaking\u2009thin space, zero\u200bwidth", "ALL CAPS And Title Case",
]


def _texts() -> list[str]:
    lines = [line for line in EXAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    # one long text among the short ones, so that both ways of counting meet in one matrix
    return lines + AWKWARD + [" ".join(lines * 3)]


@pytest.fixture(params=["listed", "counted"], autouse=True)
def counting(request, monkeypatch):
    """Every test runs twice: texts as long as the example counted by listing their n-grams,
    and counted n-gram by n-gram (the way book-length texts are)."""
    if request.param == "counted":
        monkeypatch.setattr(G, "LONG_TEXT_CHARACTERS", 200)
    return request.param


@pytest.mark.parametrize("pattern", [G.TWO_CHARACTER_WORDS, r"(?u)\b\w+\b"])
@pytest.mark.parametrize("lowercase", [True, False])
@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 3)])
def test_word_counts_match_scikit_learn(pattern, lowercase, ngram_range):
    texts = _texts()
    reference = CountVectorizer(token_pattern=pattern, lowercase=lowercase,
                                ngram_range=ngram_range).fit(texts)
    vocabulary = list(reference.get_feature_names_out())
    counter = G.VocabularyCounter(vocabulary, G.WordAnalyzer(pattern, ngram_range, lowercase))
    counts = counter.transform(texts)
    assert counts.shape == (len(texts), len(vocabulary))
    assert (counts != reference.transform(texts)).nnz == 0


@pytest.mark.parametrize("ngram_range", [(2, 5), (3, 5), (1, 1)])
def test_char_wb_counts_match_scikit_learn(ngram_range):
    texts = _texts()
    reference = CountVectorizer(analyzer="char_wb", ngram_range=ngram_range).fit(texts)
    vocabulary = list(reference.get_feature_names_out())
    counts = G.VocabularyCounter(vocabulary, G.CharAnalyzer(ngram_range)).transform(texts)
    assert (counts != reference.transform(texts)).nnz == 0


def test_fitted_tfidf_is_scikit_learn_bit_for_bit():
    texts = _texts()
    fitted = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=False,
                             dtype=np.float32, token_pattern=G.TWO_CHARACTER_WORDS).fit(texts)
    vocabulary = list(fitted.get_feature_names_out())
    ours = G.FittedTfidf(vocabulary, G.WordAnalyzer(G.TWO_CHARACTER_WORDS, (1, 2),
                                                    lowercase=False), fitted.idf_)
    expected, got = fitted.transform(texts).tocsr(), ours.transform(texts)
    assert got.dtype == np.float32
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)
    assert ours.vocabulary_ == fitted.vocabulary_


def test_analysing_an_article_does_not_import_scikit_learn(tmp_path):
    """Importing scikit-learn (with scipy.stats and pandas) took longer than loading every
    model; only training needs it."""
    script = (
        "import sys\n"
        "from persuasion_lens.cli import main\n"
        f"sys.argv = ['plens', 'analyze', {str(EXAMPLE)!r}, '--narratives', '-f', 'json',\n"
        f"            '-o', {str(tmp_path / 'out.json')!r}]\n"
        "try:\n    main()\nexcept SystemExit as stop:\n    assert not stop.code, stop.code\n"
        "print(sorted(m for m in ('sklearn', 'pandas', 'scipy.stats') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert '"paragraphs"' in (tmp_path / "out.json").read_text(encoding="utf-8")

"""Bring-your-own transformer, end to end on a tiny BERT built here (no download): train a few
steps from the CLI (with the span head, the default), save, load through the registry, analyse
through the CLI, place spans, score them."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from typer.testing import CliRunner  # noqa: E402

import persuasion_lens.cli.transformer_train  # noqa: E402,F401  (registers the commands)
from persuasion_lens.cli import app  # noqa: E402
from persuasion_lens.data.semeval2023 import load_technique_articles  # noqa: E402
from persuasion_lens.models import registry  # noqa: E402
from persuasion_lens.models.transformer import TransformerDetector, encode_batch  # noqa: E402
from persuasion_lens.models.transformer_spans import (  # noqa: E402
    SPAN_HEAD_FILE,
    TokenScores,
    token_targets,
    word_probabilities,
)
from persuasion_lens.models.transformer_training import make_tiny_encoder  # noqa: E402
from persuasion_lens.pipeline.analyzer import Analyzer  # noqa: E402
from persuasion_lens.taxonomy import TECHNIQUE_NAMES  # noqa: E402
from persuasion_lens.text.documents import Document  # noqa: E402

DATA = Path(os.environ.get("PLENS_DATA", Path(__file__).parents[2] / "shared" / "data"))
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (DATA / "semeval2023-task3").is_dir(), reason="no training data"),
]


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory) -> Path:
    torch.set_num_threads(1)
    articles = load_technique_articles(DATA, ["it"])
    texts = [p.text for a in articles[:60] if a.split == "train" for p in a.document.paragraphs]
    return make_tiny_encoder(tmp_path_factory.mktemp("tiny") / "tiny-bert", texts[:400],
                             vocab_size=1500)


def _train(encoder: Path, output: Path, *extra: str) -> Path:
    result = CliRunner().invoke(app, [
        "train-encoder", "--encoder", str(encoder), "--data-dir", str(DATA), "--output",
        str(output), "--languages", "it", "--max-steps", "4", "--batch-size", "8",
        "--max-length", "64", "--max-articles", "40", "--threads", "1", *extra,
    ])
    assert result.exit_code == 0, result.output
    return output


@pytest.fixture(scope="module")
def trained_model(tiny_encoder: Path) -> Path:
    return _train(tiny_encoder, tiny_encoder.parent / "model")


@pytest.fixture(scope="module")
def model_without_spans(tiny_encoder: Path) -> Path:
    return _train(tiny_encoder, tiny_encoder.parent / "model-no-spans", "--no-spans")


def test_model_folder_is_complete(trained_model: Path) -> None:
    manifest = json.loads((trained_model / "model.json").read_text())
    assert manifest["kind"] == "transformer"
    assert manifest["techniques"] == list(TECHNIQUE_NAMES)
    assert manifest["languages"] == ["it"]
    assert len(manifest["thresholds"]["default"]) == len(TECHNIQUE_NAMES)
    assert manifest["metadata"]["steps"] == 4
    assert (trained_model / "config.json").is_file()
    assert (trained_model / "model.safetensors").is_file()
    assert (trained_model / "tokenizer.json").is_file()
    assert registry.model_kind(trained_model) == "transformer"


def test_registry_loads_it_and_it_predicts(trained_model: Path) -> None:
    detector = registry.technique_detector(str(trained_model))
    assert isinstance(detector, TransformerDetector)
    assert detector.supported_languages() == ["it"]
    assert not detector.uses_fallback("it")
    assert detector.uses_fallback("es")
    documents = [
        Document.from_text("Titolo\nPrimo paragrafo, molto bello.\nSecondo!", language="it"),
        Document.from_text("Only one line", language="en"),
    ]
    probabilities = detector.predict_proba(documents)
    assert [p.shape for p in probabilities] == [(3, 23), (1, 23)]
    assert all(((p >= 0) & (p <= 1)).all() for p in probabilities)
    assert detector.thresholds_for("it").shape == (23,)
    assert detector.thresholds_for("xx").shape == (23,)
    # save/load round trip keeps the predictions
    again = TransformerDetector.load(trained_model)
    np.testing.assert_allclose(again.predict_proba(documents)[0], probabilities[0], atol=1e-5)


def test_analyze_cli_uses_the_model(trained_model: Path, tmp_path: Path) -> None:
    article = tmp_path / "articolo.txt"
    article.write_text("Un titolo\n\nI traditori della patria ci rovinano tutti.\n",
                       encoding="utf-8")
    result = CliRunner().invoke(app, [
        "analyze", str(article), "--lang", "it", "--model", str(trained_model), "--format",
        "json", "--no-spans", "--all", "--output", str(tmp_path / "out.json"),
    ])
    assert result.exit_code == 0, result.output
    payload = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert payload["model_version"].startswith("transformer-tiny-bert")
    assert len(payload["paragraphs"]) == 2


def test_a_language_the_model_was_not_trained_for_is_warned_about(trained_model: Path,
                                                                   tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text("Un titre\n\nLes traîtres à la patrie nous ruinent tous.\n",
                       encoding="utf-8")
    said = {}
    for language in ("fr", "it"):  # the model was fine-tuned on Italian only
        output = tmp_path / f"{language}.json"
        result = CliRunner().invoke(app, [
            "analyze", str(article), "--lang", language, "--model", str(trained_model),
            "--format", "json", "--no-spans", "--output", str(output),
        ])
        assert result.exit_code == 0, result.output
        said[language] = json.loads(output.read_text(encoding="utf-8"))["warnings"]
    # the model has no multilingual fallback: its own encoder reads French zero-shot
    assert ("this model was not fine-tuned on language 'fr' (only on it); its encoder reads it "
            "zero-shot and results are less reliable") in said["fr"]
    assert not any("fallback" in w for w in said["fr"])
    assert not any("fine-tuned on language" in w for w in said["it"])


def test_missing_folder_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [
        "train-encoder", "--encoder", str(tmp_path / "nope"), "--data-dir", str(DATA),
        "--output", str(tmp_path / "out"), "--languages", "it", "--max-steps", "1",
        "--max-articles", "5",
    ])
    assert result.exit_code != 0


# ---------------------------------------------------------------- spans from the encoder
def test_the_folder_holds_a_tuned_span_head(trained_model: Path) -> None:
    manifest = json.loads((trained_model / "model.json").read_text())
    assert (trained_model / SPAN_HEAD_FILE).is_file()
    assert set(manifest["spans"]) == {"threshold", "gap"}
    scores = manifest["metadata"]["span_validation_scores"]
    assert set(scores["it"]) == {"tc_f1", "si_f1"}
    assert all(0.0 <= value <= 1.0 for value in scores["all"].values())
    assert TransformerDetector.load(trained_model).has_spans


def test_without_spans_the_shipped_span_model_places_techniques(
    model_without_spans: Path,
) -> None:
    assert not (model_without_spans / SPAN_HEAD_FILE).is_file()
    assert "spans" not in json.loads((model_without_spans / "model.json").read_text())
    analyzer = Analyzer.load(str(model_without_spans), article_labels=False)
    assert not analyzer.detector.has_spans
    assert analyzer.span_detector is registry.span_detector()
    with pytest.raises(ValueError, match="without spans"):
        analyzer.detector.locate(Document.from_text("Uno.\nDue.", language="it"), [[], []])


def test_the_pipeline_takes_spans_from_the_encoder(trained_model: Path) -> None:
    analyzer = Analyzer.load(str(trained_model), article_labels=False)
    assert analyzer.span_detector is analyzer.detector
    assert analyzer.model_version == analyzer.detector.version  # named once
    analyzer.options.min_confidence = 0.0
    text = ("Titolo dell'articolo\n\nI traditori della patria ci rovinano tutti, sempre.\n\n"
            "Il governo mente, mente e ancora mente agli italiani onesti!\n")
    result = analyzer.analyze_text(text, lang="it")
    assert any(p.techniques for p in result.paragraphs)
    for paragraph in result.paragraphs:
        decided = {hit.technique for hit in paragraph.techniques}
        assert {span.technique for span in paragraph.spans} == decided
        for span in paragraph.spans:
            assert text[span.start:span.end] == span.text and span.text.strip()
            assert span.explanation and 0.0 <= span.confidence <= 1.0


def test_locate_runs_the_encoder_for_paragraphs_it_has_not_seen(trained_model: Path) -> None:
    detector = TransformerDetector.load(trained_model)
    document = Document.from_text("Titolo\nLa casta ci ruba il futuro.\nBasta!", language="it")
    asked = [[], [("Loaded_Language", 0.9), ("Slogans", 0.6)], [("Slogans", 0.7)]]
    cold = detector.locate(document, asked)  # nothing cached yet
    detector.predict_proba([document])
    warm = detector.locate(document, asked)
    assert [[(h.technique, h.start, h.end) for h in p] for p in cold] == \
        [[(h.technique, h.start, h.end) for h in p] for p in warm]
    assert cold[0] == [] and {h.technique for h in cold[1]} == {"Loaded_Language", "Slogans"}


def test_token_targets_mark_the_gold_span_of_labelled_techniques(tiny_encoder: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_encoder))
    text = "il governo mente sempre agli italiani"
    start = text.index("mente sempre")
    batch = encode_batch(tokenizer, [text], ["un titolo"], 64, offsets=True)
    labels = np.zeros((1, len(TECHNIQUE_NAMES)), dtype=np.float32)
    column = TECHNIQUE_NAMES.index("Loaded_Language")
    labels[0, column] = 1
    targets, mask = token_targets(batch, [[(column, start, start + len("mente sempre"))]], labels)
    offsets = batch["offset_mapping"][0].numpy()
    segments = batch.sequence_ids(0)
    inside = [i for i in range(len(segments)) if segments[i] == 0
              and start <= (offsets[i][0] + offsets[i][1]) / 2 < start + len("mente sempre")]
    assert inside and np.flatnonzero(targets[0, :, column]).tolist() == inside
    assert targets.sum() == len(inside)  # no other technique, no title token
    paragraph_tokens = [i for i, s in enumerate(segments) if s == 0]
    assert np.flatnonzero(mask[0, :, column]).tolist() == paragraph_tokens
    assert mask[0].sum() == len(paragraph_tokens)  # only the labelled technique counts


def test_a_word_takes_its_best_sub_word() -> None:
    text = "Traditori, tutti!"
    # sub-words: "Tradi" "tori" "," "tutti" "!"
    scores = TokenScores(np.array([[0, 5], [5, 9], [9, 10], [11, 16], [16, 17]]),
                         np.array([[0.2], [0.9], [0.1], [0.4], [0.3]], dtype=np.float32))
    words, probabilities = word_probabilities(text, scores, [0])
    assert [text[a:b] for a, b in words] == ["Traditori", ",", "tutti", "!"]
    np.testing.assert_allclose(probabilities[:, 0], [0.9, 0.1, 0.4, 0.3])


def test_span_commands_use_the_encoder_head(trained_model: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [
        "evaluate-spans", "--data-dir", str(DATA), "--language", "it", "--gold-only",
        "--model", str(trained_model),
    ])
    assert result.exit_code == 0, result.output
    assert "it" in result.output and "gold" in result.output
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "article1.txt").write_text("Titolo\n\nLa casta ci ruba il futuro.\n",
                                         encoding="utf-8")
    output = tmp_path / "spans.txt"
    result = CliRunner().invoke(app, [
        "semeval", "spans", str(folder), "--language", "it", "--model", str(trained_model),
        "-o", str(output),
    ])
    assert result.exit_code == 0, result.output
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines
    for line in lines:
        doc, technique, start, end = line.split("\t")
        assert doc == "1" and technique in TECHNIQUE_NAMES and 0 <= int(start) < int(end)


def test_gold_only_leaves_out_the_models_paragraph_labels(trained_model: Path) -> None:
    result = CliRunner().invoke(app, [
        "evaluate-spans", "--data-dir", str(DATA), "--language", "it", "--gold-only",
        "--model", str(trained_model),
    ])
    assert result.exit_code == 0, result.output
    settings = [line.split("│")[2].strip() for line in result.output.splitlines()
                if line.startswith("│ it ")]
    assert settings == ["gold"]


@pytest.mark.parametrize("damaged", ["model.safetensors", SPAN_HEAD_FILE])
def test_a_damaged_model_folder_is_a_one_line_error(trained_model: Path, tmp_path: Path,
                                                    damaged: str) -> None:
    folder = tmp_path / "model"
    shutil.copytree(trained_model, folder)
    (folder / damaged).write_bytes(b"not a safetensors file")
    article = tmp_path / "article.txt"
    article.write_text("Un titolo\n\nUn paragrafo.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["analyze", str(article), "--model", str(folder)])
    assert result.exit_code != 0
    assert "the model files cannot be read" in result.output
    assert isinstance(result.exception, SystemExit)  # fail(), not an escaped exception


@pytest.mark.parametrize("command", [["analyze", "ARTICLE"], ["serve"], ["batch", "ARTICLE"]])
@pytest.mark.parametrize("missing", ["tokenizer.json", "config.json", "model.safetensors"])
def test_a_model_folder_missing_a_file_names_it(trained_model: Path, tmp_path: Path,
                                                missing: str, command: list[str]) -> None:
    """A folder without tokenizer.json said to install sentencepiece."""
    folder = tmp_path / "model"
    shutil.copytree(trained_model, folder)
    (folder / missing).unlink()
    result = _invoke_with_model(command, folder, tmp_path)
    assert result.exit_code != 0
    said = " ".join(result.output.split())
    assert (f"{folder}: the model folder has no {missing}; save the model again with "
            "`plens train-encoder`") in said, said
    assert "sentencepiece" not in said
    assert isinstance(result.exception, SystemExit)


def test_batch_counts_the_articles_in_languages_the_model_was_not_fine_tuned_on(
        trained_model: Path, tmp_path: Path) -> None:
    """Each such article's warnings said so, but the run's summary did not."""
    rows = [{"id": "it1", "lang": "it", "text": "Un titolo\n\nUn paragrafo qualunque."},
            {"id": "fr1", "lang": "fr", "text": "Un titre\n\nUn paragraphe quelconque."},
            {"id": "fr2", "lang": "fr", "text": "Un autre titre\n\nUn autre paragraphe."},
            {"id": "de1", "lang": "de", "text": "Ein Titel\n\nEin beliebiger Absatz."}]
    articles = tmp_path / "articles.jsonl"
    articles.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = CliRunner().invoke(app, ["batch", str(articles), "--db",
                                      f"sqlite:///{tmp_path}/corpus.db", "--model",
                                      str(trained_model), "--no-progress"],
                                env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert ("3 article(s) in a language the technique model was not trained on (French 2, "
            "German 1): analysed all the same, less reliably (each one's warnings say so)"
            ) in said, said


# ---------------------------------------------------------------- the output and --model folders
class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_retraining_into_a_model_folder_replaces_it_whole(trained_model: Path, tiny_encoder: Path,
                                                          tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(trained_model, folder)  # trained with spans ...
    records = _Records()
    logging.getLogger("transformers").addHandler(records)
    try:
        result = CliRunner().invoke(app, [  # ... and now without
            "train-encoder", "--encoder", str(tiny_encoder), "--data-dir", str(DATA), "--output",
            str(folder), "--languages", "it", "--max-steps", "1", "--batch-size", "8",
            "--max-length", "32", "--max-articles", "10", "--threads", "1", "--no-spans",
        ])
    finally:
        logging.getLogger("transformers").removeHandler(records)
    assert result.exit_code == 0, result.output
    assert f"{folder} holds a model trained earlier: it is replaced" in result.output
    # whole lines, also in a log file (a long path wrapped at the console's 80 columns)
    assert f"use it with: plens analyze --model {folder} ARTICLE.txt" in result.output
    # the old span head does not outlive its model (it would place the new model's techniques)
    assert not (folder / SPAN_HEAD_FILE).exists()
    assert not registry.technique_detector(str(folder)).has_spans
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no partial folder left
    # the new head's "missing weights" are what fine-tuning expects: no load report about them
    assert not any("LOAD REPORT" in message for message in records.messages)


def test_a_folder_of_other_files_is_refused_before_training(tiny_encoder: Path,
                                                            tmp_path: Path) -> None:
    folder = tmp_path / "my-documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    for command in (["train-encoder"], ["train"]):
        result = CliRunner().invoke(app, [
            *command, "--encoder", str(tiny_encoder), "--data-dir", str(DATA), "--output",
            str(folder), "--languages", "it",
        ])
        assert result.exit_code != 0
        assert "the folder holds other files, not a model of plens train-encoder" in result.output
        assert isinstance(result.exception, SystemExit)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_an_interrupted_save_leaves_the_earlier_model_whole(trained_model: Path, tmp_path: Path,
                                                            monkeypatch) -> None:
    import persuasion_lens.models.transformer as transformer

    folder = tmp_path / "model"
    shutil.copytree(trained_model, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    detector = TransformerDetector.load(trained_model)

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(transformer, "save_span_head", interrupted)
    with pytest.raises(KeyboardInterrupt):
        detector.save(folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def _invoke_with_model(command: list[str], model: Path, tmp_path: Path):
    """`command` with --model `model`, its ARTICLE a short Italian article in `tmp_path`."""
    article = tmp_path / "article.txt"
    article.write_text("Un titolo\n\nUn paragrafo.\n", encoding="utf-8")
    arguments = [str(article) if a == "ARTICLE" else a for a in command]
    return CliRunner().invoke(app, [*arguments, "--model", str(model)], env={"COLUMNS": "300"})


@pytest.mark.parametrize("command", [["analyze", "ARTICLE"], ["serve"], ["batch", "ARTICLE"]])
def test_a_hugging_face_folder_as_model_says_to_fine_tune_it(tiny_encoder: Path, tmp_path: Path,
                                                             command: list[str]) -> None:
    result = _invoke_with_model(command, tiny_encoder, tmp_path)
    assert result.exit_code != 0
    assert (f"{tiny_encoder}: a Hugging Face model without the model.json of plens "
            f"train-encoder, so no technique model; fine-tune it with plens train-encoder "
            f"--encoder {tiny_encoder}") in " ".join(result.output.split())
    assert "metadata.json" not in result.output


def test_two_models_of_one_encoder_have_different_versions(trained_model: Path,
                                                           model_without_spans: Path) -> None:
    # stored results, /api/info and the Dask workers' same-model check tell them apart
    versions = [json.loads((folder / "model.json").read_text())["version"]
                for folder in (trained_model, model_without_spans)]
    assert all(re.fullmatch(r"transformer-tiny-bert-[0-9a-f]{8}", v) for v in versions), versions
    assert versions[0] != versions[1]
    assert registry.technique_detector(str(trained_model)).version == versions[0]


# ------------------------------------------------------------------ an --encoder name on the hub
def _train_encoder_named(name: str, endpoint: str, tmp_path: Path, hf_home: Path | None = None,
                         *extra: str) -> tuple[subprocess.CompletedProcess, float]:
    """train-encoder in a subprocess (huggingface_hub reads its settings on import), with the
    Hugging Face cache `hf_home` (default an empty one) and the hub at `endpoint`."""
    env = {**os.environ, "HF_ENDPOINT": endpoint,
           "HF_HOME": str(hf_home or tmp_path / "hf-home"), "COLUMNS": "300"}
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.pop(variable, None)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "persuasion_lens", "train-encoder", "--encoder", name,
         "--data-dir", str(DATA), "--output", str(tmp_path / "out"), "--languages", "it",
         *extra],
        capture_output=True, text=True, env=env, timeout=120,
    )
    return done, time.monotonic() - started


def _refused_endpoint() -> str:
    """The address of a port nothing listens on: connections to it are refused."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{closed.getsockname()[1]}"


def test_a_hub_name_with_the_hub_unreachable_fails_fast(tmp_path: Path) -> None:
    """The hub's client retried for about 25 seconds before the one-line error."""
    endpoint = _refused_endpoint()
    done, seconds = _train_encoder_named("some-org/some-model", endpoint, tmp_path)
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode != 0
    assert ("--encoder some-org/some-model: no such model folder, not in the local Hugging Face "
            f"cache, and the hub cannot be reached ({endpoint}:") in said, said
    assert "Traceback" not in said
    assert seconds < 15, seconds  # imports included; the retries alone took 23 s


class _NoModels(BaseHTTPRequestHandler):
    asked: ClassVar[list[str]] = []

    def _answer(self) -> None:
        self.asked.append(self.path)
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET = _answer

    def log_message(self, *_: object) -> None:
        pass


def test_a_hub_that_answers_is_asked_for_the_model(tmp_path: Path) -> None:
    """The quick check never stands in the way of a download: a hub that answers at all is
    asked for the model's files as before."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NoModels)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        done, _ = _train_encoder_named("some-org/some-model",
                                       f"http://127.0.0.1:{server.server_port}", tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode != 0
    assert "the Hugging Face hub does not have it or cannot be reached" in said, said
    assert any(path.startswith("/some-org/some-model/") and "config.json" in path
               for path in _NoModels.asked), _NoModels.asked


# ------------------------------------------------------------ an --encoder name in the HF cache
CACHED_NAME = "some-org/tiny-bert"


def _hub_cache(encoder: Path, home: Path, leave_out: str | None = None) -> Path:
    """A Hugging Face cache (HF_HOME) holding `encoder` as the hub model CACHED_NAME, laid out
    as huggingface_hub writes it: a snapshot by commit, and refs/main naming that commit."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repository = home / "hub" / ("models--" + CACHED_NAME.replace("/", "--"))
    snapshot = repository / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for path in encoder.iterdir():
        if path.name != leave_out:
            shutil.copy(path, snapshot / path.name)
    (repository / "refs").mkdir()
    (repository / "refs" / "main").write_text(commit, encoding="utf-8")
    return home


def test_a_cached_hub_name_trains_without_asking_the_hub(tiny_encoder: Path,
                                                         tmp_path: Path) -> None:
    """The hub's client checked every file of a cached model with the hub first, retrying each
    failed connection for about 25 seconds: 150 s before training began with no network."""
    _NoModels.asked.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NoModels)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        done, _ = _train_encoder_named(
            CACHED_NAME, f"http://127.0.0.1:{server.server_port}", tmp_path,
            _hub_cache(tiny_encoder, tmp_path / "hf-home"), "--max-steps", "1", "--batch-size",
            "8", "--max-length", "32", "--max-articles", "10", "--threads", "1")
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert _NoModels.asked == []
    assert json.loads((tmp_path / "out" / "model.json").read_text())["version"].startswith(
        "transformer-tiny-bert-")


def test_a_cached_hub_name_trains_at_once_with_the_hub_unreachable(tiny_encoder: Path,
                                                                  tmp_path: Path) -> None:
    done, seconds = _train_encoder_named(
        CACHED_NAME, _refused_endpoint(), tmp_path,
        _hub_cache(tiny_encoder, tmp_path / "hf-home"), "--max-steps", "1", "--batch-size",
        "8", "--max-length", "32", "--max-articles", "10", "--threads", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "out" / "model.json").is_file()
    assert seconds < 40, seconds  # about 7 s here; the hub's retries alone took 145 s


def test_a_partly_cached_hub_name_with_the_hub_unreachable_fails_fast(tiny_encoder: Path,
                                                                      tmp_path: Path) -> None:
    """Its config is cached (so the name passes the early check), its weights are not."""
    endpoint = _refused_endpoint()
    done, seconds = _train_encoder_named(
        CACHED_NAME, endpoint, tmp_path,
        _hub_cache(tiny_encoder, tmp_path / "hf-home", leave_out="model.safetensors"),
        "--max-articles", "10")
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode != 0
    assert (f"--encoder {CACHED_NAME}: the local Hugging Face cache does not hold all of it, "
            f"and the hub cannot be reached ({endpoint}:") in said, said
    assert "Traceback" not in said
    assert seconds < 40, seconds

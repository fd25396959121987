"""Checks of the paths a long command writes, made before the work starts."""

from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path

from persuasion_lens.text.reading import InputError

# torch.set_num_threads takes a C int; more threads than this is no machine's
MAX_THREADS = 4096
# numpy's and torch's seeds are 32-bit
MAX_SEED = 2**32 - 1


STDOUT = "-"  # as an output file: standard output, as Unix tools read it


def names_stdout(path: Path | str | None) -> bool:
    """`-o -`: write to standard output (a file called "-" is ./- only in the shell)."""
    return path is not None and str(path) == STDOUT


_DESCRIPTOR_PATH = re.compile(r"/dev/(?:fd/(?P<fd>\d+)|(?P<std>stdout|stderr))|"
                              r"/proc/self/fd/(?P<proc_fd>\d+)")


def named_descriptor(path: Path | str | None) -> int | None:
    """The open file descriptor that /dev/stdout, /dev/stderr, /dev/fd/N or /proc/self/fd/N
    names (None for other paths). Such a path is written through its descriptor: opened
    anew, it would empty a file the shell opened to append to (`-o /dev/stdout >> all.csv`)."""
    match = _DESCRIPTOR_PATH.fullmatch(str(path)) if path is not None else None
    if match is None:
        return None
    if match["std"]:
        return 1 if match["std"] == "stdout" else 2
    return int(match["fd"] or match["proc_fd"])


def check_output_folder(path: Path) -> None:
    """`path` can be made (or is) a folder we can write into; InputError otherwise."""
    if names_stdout(path):
        raise InputError("-: a folder is written here, not a stream: give a folder name")
    if path.exists() and not path.is_dir():
        raise InputError(f"{path}: cannot write (a file is there: give a folder to write)")
    _check_writable(_nearest_existing(path), path)


def check_model_output_folder(path: Path) -> str | None:
    """The folder a fine-tuned transformer is written to: writable, and new, empty or an
    earlier model of train-encoder (InputError otherwise); a notice when it replaces one."""
    from persuasion_lens.models.transformer import check_replaceable, is_transformer_folder

    check_output_folder(path)
    check_replaceable(path)
    if is_transformer_folder(path):
        return f"{path} holds a model trained earlier: it is replaced when training ends"
    return None


def check_output_file(path: Path) -> None:
    """A file can be written at `path`, in a folder that exists."""
    if path.is_dir():
        raise InputError(f"{path}: cannot write (it is a folder: give a file name)")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{path}: cannot write (permission denied)")
    if not path.absolute().parent.exists():
        raise InputError(f"{path}: cannot write (no folder {path.absolute().parent})")
    _check_writable(path.absolute().parent, path)


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_writable(folder: Path, wanted: Path) -> None:
    if not folder.is_dir():
        raise InputError(f"{wanted}: cannot write ({folder} is a file, not a folder)")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise InputError(f"{wanted}: cannot write ({error.strerror or error})") from None


def check_cache_file(path: Path) -> None:
    """An embeddings cache that exists must be a .npy array file; a new one must be
    writable."""
    if path.is_dir():
        raise InputError(f"{path}: the cache is a folder: give a .npy file name, such as "
                         f"{path / 'embeddings.npy'}")
    if path.exists():
        import numpy as np

        try:
            np.load(path, allow_pickle=False, mmap_mode="r")
        except (ValueError, OSError, EOFError):
            raise InputError(f"{path}: not an embeddings cache (.npy array) file: remove it or "
                             "give another --cache") from None
    check_output_file(path)


def check_finite(option: str, value: float) -> None:
    if not math.isfinite(value):
        raise InputError(f"{option} must be a finite number, not {value}")


def check_encoder(encoder: str) -> None:
    """The --encoder is a model folder, or an id the Hugging Face hub (or its local cache)
    knows; checked before any data is loaded, with the hub's retry logs quieted."""
    if not encoder.strip():
        raise InputError("--encoder: the name is empty: give a Hugging Face model id, such as "
                         "xlm-roberta-large, or a model folder")
    path = Path(encoder).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise InputError(f"{encoder}: not a model folder (no config.json in it)")
        return
    if encoder.startswith((".", "/", "~")) or encoder.count("/") > 1:
        raise InputError(f"{encoder}: no such model folder")
    _check_hub_id(encoder)


def quiet_hub_logs() -> None:
    import logging

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    for name in ("huggingface_hub", "transformers", "urllib3"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        import transformers

        transformers.utils.logging.set_verbosity_error()
    except ImportError:
        pass


def _check_hub_id(encoder: str) -> None:
    from transformers import AutoConfig

    from persuasion_lens.models.hub import hub_offline, hub_unreachable

    quiet_hub_logs()
    try:
        with hub_offline():
            AutoConfig.from_pretrained(encoder, local_files_only=True)
        return  # in the local cache
    except (OSError, ValueError):
        pass
    # Not cached: ask the hub once first, since its client retries a failed connection for
    # about 25 seconds before giving up.
    if unreachable := hub_unreachable():
        raise InputError(f"--encoder {encoder}: no such model folder, not in the local Hugging "
                         f"Face cache, and the hub cannot be reached ({unreachable})")
    try:
        AutoConfig.from_pretrained(encoder)
    except (OSError, ValueError) as error:
        reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else ""
        raise InputError(f"--encoder {encoder}: no such model folder, and the Hugging Face hub "
                         f"does not have it or cannot be reached ({reason})") from None


def check_device(device: str | None) -> None:
    if device is None:
        return
    import torch

    try:
        torch.device(device)
    except (RuntimeError, ValueError):
        raise InputError(f"--device {device}: not a torch device (such as cpu, cuda, cuda:1 "
                         "or mps)") from None

"""Loading a Hugging Face encoder named by the user (`plens train-encoder --encoder`): from a
folder or the local Hugging Face cache when it is there, from the hub only when it is not.

The hub's client, asked for a cached model, still checks every file with the hub (even files
the model does not have, such as a chat template) and retries each failed connection for about
25 seconds before it falls back to the cache: with no network, a cached encoder took minutes to
load. Reading the cache first makes that instant; the cost is that a cached model is used as
cached, without asking the hub for a newer revision (as `HF_HUB_OFFLINE=1` would).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

Loaded = TypeVar("Loaded")


def hub_unreachable() -> str | None:
    """Why one request to the Hugging Face hub, through its own client (so its endpoint,
    proxies and timeout apply), got no answer; None when any answer came back, or in offline
    mode (then the library says so itself)."""
    from huggingface_hub import constants
    from huggingface_hub.utils import get_session

    if constants.HF_HUB_OFFLINE:
        return None
    try:
        get_session().head(constants.ENDPOINT, timeout=constants.HF_HUB_ETAG_TIMEOUT)
    except Exception as error:  # the client's connection and timeout errors
        said = str(error).strip().splitlines()
        return f"{constants.ENDPOINT}: {said[0][:160] if said else type(error).__name__}"
    return None


@contextmanager
def hub_offline() -> Iterator[None]:
    """huggingface_hub in offline mode, in which its client sends no request at all: with
    `local_files_only` alone it still fetched a registry of its own (of AI agent harnesses,
    for its user-agent header), up to 3 seconds with no network."""
    from huggingface_hub import constants

    before = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = before


def from_cache_first(load: Callable[..., Loaded], name: str, **options: Any) -> Loaded:
    """`load(name, **options)`, a `from_pretrained`, reading local files only: a model folder,
    or the Hugging Face cache. Only a name the cache lacks (wholly or in part) is fetched from
    the hub, and only when the hub answers; OSError at once when it does not."""
    if Path(name).expanduser().is_dir():
        return load(name, **options)  # a folder: transformers never asks the hub for one
    try:
        with hub_offline():
            return load(name, local_files_only=True, **options)
    except (OSError, ValueError):
        pass  # not cached, or not all of it
    if unreachable := hub_unreachable():
        raise OSError(f"--encoder {name}: the local Hugging Face cache does not hold all of "
                      f"it, and the hub cannot be reached ({unreachable})")
    return load(name, **options)

#!/usr/bin/env bash
# The optional extras (embeddings, bring-your-own transformer) have tests of their own; install
# them so those tests run instead of skipping. torch is capped below 2.14 in pyproject.toml, so
# pip takes the CPU wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
# torch first and pinned: this machine kind keeps the 2.13.0 CPU wheel on disk, while a newer
# release from the registry would be a multi-GB CUDA build.
pip install -q torch==2.13.0
pip install -q -e '.[test,transformers,embeddings]'

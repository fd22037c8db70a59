"""Choose the hybrid thresholds on real-dev: rules override the model below a probability.

Usage: python benchmarks/hybrid_thresholds.py MODEL_DIR FAKES_JOINED.jsonl
(the second file from `python -m training join-fakes --csv ...`). Run with a model saved with
`model.rule_override_below: {}` (model-only labels).
"""
import sys

import pandas as pd, numpy as np
from models.predict import Tagger
from training.evaluate import macro_f1, bootstrap_interval
t = Tagger.load(sys.argv[1])
d = pd.read_json(sys.argv[2], lines=True)
out = {}
for split in ['real-dev', 'real-test']:
    part = d[d.split == split]
    rows = []
    for aid, g in part.groupby('article_id', sort=False):
        g = g.sort_values('sentence_index')
        res = t.tag_sentences(list(g.text))
        for (i, r), s in zip(g.iterrows(), res):
            ev = s.evidence.get('source')
            rows.append((r.source, s['source'].label, s['source'].probability, ev.label if ev else 'none', r.frame, s['frame'].label, s['frame'].probability, s.evidence['frame'].label if s.evidence.get('frame') else 'neutral'))
    out[split] = pd.DataFrame(rows, columns=['gold', 'model', 'p', 'rule', 'fgold', 'fmodel', 'fp', 'frule'])
for task, (g, m, p, r) in {'source': ('gold', 'model', 'p', 'rule'), 'frame': ('fgold', 'fmodel', 'fp', 'frule')}.items():
    for th in [0.0, 0.5, 0.7, 0.9, 1.01]:
        line = []
        for split, df in out.items():
            default = 'none' if task == 'source' else 'neutral'
            pred = np.where((df[p] < th) & (df[r] != default), df[r], df[m])
            line.append(f"{split} {macro_f1(list(df[g]), list(pred)):.3f}")
        print(task, 'rules override when model p <', th, ' '.join(line))
    for split, df in out.items():
        print(task, split, 'rules only', round(macro_f1(list(df[g]), list(df[r])), 3))

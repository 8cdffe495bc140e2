#!/usr/bin/python3
"""Reference figures for the converted PandaLM data set (data/pandalm), computed with sklearn.

Usage: /usr/bin/python3 tests/data/pandalm-figures.py [DATA_DIR]
DATA_DIR defaults to data/pandalm under the repo root. Prints one JSON object.

Reads only the converted files (labels-annotator{1,2,3}.jsonl, run-*.jsonl), so the output is
an independent check of both the conversion and Concur's own metric code.

Published upstream (README.upstream.md): pairwise Cohen's kappa 0.85 (annotators 1-2),
0.88 (1-3), 0.86 (2-3); label distribution by majority vote 0 / 1 / 2 = 105 / 422 / 472.
Upstream data/compute_metrics.py reports accuracy 0.7107 (gpt-3.5-turbo) and 0.6677
(PandaLM-7B) against the majority vote, with "Tie" and "garbage" both counted as 0 (tie).
"""
import json
import os
import sys
from collections import Counter

from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score

CLASSES = ["tie", "A", "B"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "data", "pandalm")


def read_jsonl(name):
    path = os.path.join(DATA, name)
    out = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec["id"] in out:
                raise SystemExit(f"{path}:{n}: duplicate id {rec['id']}")
            out[rec["id"]] = rec
    return out


ann = [read_jsonl(f"labels-annotator{i}.jsonl") for i in (1, 2, 3)]
ids = list(ann[0])
for a in ann[1:]:
    if set(a) != set(ids):
        raise SystemExit("annotator files cover different ids")
for a in ann:
    bad = [i for i in ids if a[i]["verdict"] not in CLASSES]
    if bad:
        raise SystemExit(f"non A/B/tie human verdicts: {bad[:5]}")
lab = [[a[i]["verdict"] for i in ids] for a in ann]


def r4(x):
    return round(float(x), 4)


# --- human-human agreement ---
annotator_kappa = {}
for i, j in [(0, 1), (0, 2), (1, 2)]:
    k = cohen_kappa_score(lab[i], lab[j], labels=CLASSES)
    annotator_kappa[f"{i + 1}-{j + 1}"] = {
        "kappa": r4(k),
        "kappa_2dp": round(float(k), 2),
        "linear_weighted_kappa": r4(cohen_kappa_score(lab[i], lab[j], labels=CLASSES, weights="linear")),
        "raw_agreement": r4(accuracy_score(lab[i], lab[j])),
    }
published = {"1-2": 0.85, "1-3": 0.88, "2-3": 0.86}
kappa_matches_published = all(annotator_kappa[p]["kappa_2dp"] == v for p, v in published.items())

# --- majority vote: the verdict given by at least 2 of the 3 annotators ---
# Upstream (data/compute_metrics.py) takes max() over a vote-count dict, which on a three-way
# split would return annotator 1's label; here a three-way split has no majority and is counted
# separately. The data set has no three-way splits, so both rules give the same labels.
majority = {}
three_way = []
unanimous = 0
for n, i in enumerate(ids):
    votes = Counter(l[n] for l in lab)
    top, c = votes.most_common(1)[0]
    if c >= 2:
        majority[i] = top
        unanimous += c == 3
    else:
        three_way.append(i)
dist = Counter(majority.values())
majority_out = {
    "tie": dist["tie"],
    "A": dist["A"],
    "B": dist["B"],
    "unanimous": unanimous,
    "two_vs_one": len(majority) - unanimous,
    "three_way_disagreements": len(three_way),
    "three_way_rule": "no majority: excluded (upstream's max() would pick annotator 1); none occur",
    "published": {"tie": 105, "A": 422, "B": 472},
}
majority_out["matches_published"] = [dist["tie"], dist["A"], dist["B"]] == [105, 422, 472]


# --- judges against the majority label ---
def judge(name):
    run = read_jsonl(name)
    missing = [i for i in majority if i not in run]
    null_ids = [i for i in ids if i in run and run[i]["verdict"] is None]
    bad = [i for i in run if run[i]["verdict"] not in CLASSES + [None]]
    if bad:
        raise SystemExit(f"{name}: unexpected verdicts for {bad[:5]}")
    scored = [i for i in majority if i in run and run[i]["verdict"] is not None]
    y = [majority[i] for i in scored]
    p = [run[i]["verdict"] for i in scored]
    # upstream-compatible: every majority item, null verdict counted as tie
    yu = [majority[i] for i in majority]
    pu = [run[i]["verdict"] if run[i]["verdict"] is not None else "tie" for i in majority]
    return {
        "n_items": len(run),
        "n_null_verdicts": len(null_ids),
        "null_errors": dict(Counter(run[i].get("error") for i in null_ids)),
        "n_scored": len(scored),
        "missing": len(missing),
        "verdicts": dict(Counter(run[i]["verdict"] or "null" for i in ids if i in run)),
        "kappa": r4(cohen_kappa_score(y, p, labels=CLASSES)),
        "accuracy": r4(accuracy_score(y, p)),
        "macro_f1": r4(f1_score(y, p, labels=CLASSES, average="macro")),
        "upstream_compatible_null_as_tie": {
            "n": len(yu),
            "accuracy": r4(accuracy_score(yu, pu)),
            "macro_f1": r4(f1_score(yu, pu, labels=CLASSES, average="macro")),
            "kappa": r4(cohen_kappa_score(yu, pu, labels=CLASSES)),
        },
    }


out = {
    "data_dir": DATA,
    "n_items": len(ids),
    "annotator_kappa": annotator_kappa,
    "annotator_kappa_published": published,
    "annotator_kappa_matches_published_2dp": kappa_matches_published,
    "majority": majority_out,
    "judges": {
        "gpt-3.5-turbo": judge("run-gpt-3.5-turbo.jsonl"),
        "pandalm-7b": judge("run-pandalm-7b.jsonl"),
    },
    "upstream_compute_metrics_accuracy": {"gpt-3.5-turbo": 0.7107, "pandalm-7b": 0.6677},
}
print(json.dumps(out, indent=2))

#!/usr/bin/env python3
"""Peer: Fairlearn's demographic_parity_ratio of `approved` across `gender`,
the number bench/peers/fairness1.yaml asks probity for.

Reads the three columns it needs from the Parquet file with pandas and calls
`fairlearn.metrics.demographic_parity_ratio` (Fairlearn's default
method="between_groups": the smallest group selection rate divided by the
largest, as probity's default). Prints {"metric": ..., "value": ...} on stdout.

    venv/bin/python bench/peers/fairness.py [--data PATH]   # default: the 1M-row table
"""
import argparse
import json

import pandas as pd
from fairlearn.metrics import demographic_parity_ratio

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="/root/bench-data/1m/loans.parquet")
a = ap.parse_args()

df = pd.read_parquet(a.data, columns=["gender", "approved", "repaid"])
value = demographic_parity_ratio(df["repaid"], df["approved"], sensitive_features=df["gender"])
print(json.dumps({"metric": "demographic_parity_ratio", "groups": ["gender"], "rows": len(df),
                  "value": float(value)}))

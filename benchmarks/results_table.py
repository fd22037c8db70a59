"""Print a markdown table of per-task macro-F1 (95% CI) from training runs' reports.

Usage: python benchmarks/results_table.py NAME=OUTPUT_DIR [NAME=OUTPUT_DIR ...]
(OUTPUT_DIR is a run's train.output_dir; its reports/<split>_report.json are read).
"""

import json
import sys
from pathlib import Path

SPLITS = ("test", "dev", "real-dev", "real-test", "reference")


def cell(report: dict) -> str:
    low, high = report["macro_f1_ci95"]
    return f"{report['macro_f1']:.3f} [{low:.3f}, {high:.3f}]"


def main(args: list[str]) -> None:
    print("| config | split | n | source macro-F1 [95% CI] | frame macro-F1 [95% CI] |")
    print("| --- | --- | --- | --- | --- |")
    for arg in args:
        name, directory = arg.split("=", 1)
        for split in SPLITS:
            path = Path(directory) / "reports" / f"{split}_report.json"
            if path.is_file():
                report = json.loads(path.read_text())
                print(f"| {name} | {split} | {report['source']['n']} | {cell(report['source'])} | {cell(report['frame'])} |")


if __name__ == "__main__":
    main(sys.argv[1:])

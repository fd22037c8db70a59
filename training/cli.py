"""Command line: `python -m training <command>`. Each command parses its arguments and calls one function."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _train(args) -> None:
    from training.config import load_config
    from training.train import train

    cfg = load_config(args.config, args.set)
    result = train(cfg, resume=args.resume)
    print(json.dumps({"run_id": result.run_id, "model_dir": str(result.model_dir), "model_uri": result.model_uri,
                      "registered_version": result.registered_version, "best_epoch": result.best_epoch,
                      "dev_selection": round(result.dev_score, 4)}, indent=2))


def _evaluate(args) -> None:
    from training.evaluate_file import evaluate_file

    reports = evaluate_file(args.model, args.data, args.output, args.model_only)
    scored = next(iter(reports.values()), {}).get("scored")
    print("scoring the model alone" if scored == "model" else "scoring the labels Tagger returns (rule labels where they win)")
    for task, report in reports.items():
        ci = report.get("macro_f1_ci95", [float("nan")] * 2)
        print(f"{task}: macro-F1 {report['macro_f1']:.3f} (95% CI {ci[0]:.3f}-{ci[1]:.3f}), accuracy {report['accuracy']:.3f}, n={report['n']}")
        for label, s in report["per_class"].items():
            print(f"  {label:20s} P {s['precision']:.3f} R {s['recall']:.3f} F1 {s['f1']:.3f} n={s['support']}")
    print(f"report written to {args.output}")


def _tag(args) -> None:
    from models.predict import Tagger, default_model_location

    location = default_model_location(args.model)
    tagger = Tagger.load(location)
    text = Path(args.article).read_text(encoding="utf-8")
    results = tagger.tag_article(text)
    if args.json:
        print(json.dumps([{"start": r.start, "end": r.end, "text": r.text, **{t: {"label": p.label, "probability": round(p.probability, 4)}
                           for t, p in r.tasks.items()}, "flags": list(r.flags)} for r in results], indent=2))
        return
    print(f"model: {location}  (probability: the model's, for the label shown; flag rule_<task>: the rule tagger's label won)")
    for r in results:
        tags = "  ".join(f"{t}={p.label} ({p.probability:.2f})" for t, p in r.tasks.items())
        flags = f"  [{', '.join(r.flags)}]" if r.flags else ""
        print(f"[{r.start:>5}-{r.end:<5}] {tags}{flags}\n    {r.text}")


def _join_fakes(args) -> None:
    import pandas as pd

    from training.fakes import join_annotations

    rows = join_annotations(args.annotations, args.csv)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_json(args.output, orient="records", lines=True, force_ascii=False)
    print(f"{len(rows)} labelled sentences written to {args.output}")


def _benchmark(args) -> None:
    from training.benchmark import run_benchmark

    print(json.dumps(run_benchmark(args.model, args.csv, args.articles, args.threads), indent=2))


def _datasheet(args) -> None:
    from training.datasheet import check_datasheet, write_datasheet

    repo_root = Path(__file__).resolve().parents[1]
    if args.check:
        differences = check_datasheet(repo_root, args.csv)
        for line in differences:
            print(line)
        if differences:
            # main() ignores return values, so the failing check leaves through SystemExit.
            raise SystemExit(f"{len(differences)} figure(s) differ from data/datasheet_figures.json; run "
                             f"`python -m training datasheet{' --csv ' + args.csv if args.csv else ''}` and commit the result")
        print("datasheet figures are up to date")
        return
    write_datasheet(repo_root, args.csv)
    print("wrote data/datasheet_figures.json and the figures block of data/DATASHEET.md")


def _compare(args) -> None:
    from training.compare import compare
    from training.config import load_config

    cfg = load_config(args.config, args.set)
    output_dir = Path(args.output_dir) if args.output_dir else cfg.resolve_path(cfg.train.output_dir) / "compare"
    compare(cfg, output_dir, model_dir=args.model)
    print((output_dir / "compare.md").read_text(encoding="utf-8"))
    print(f"table written to {output_dir / 'compare.csv'} and {output_dir / 'compare.md'}")


def _weak_label(args) -> None:
    from training.weak_label import DEFAULT_ANNOTATIONS, looks_like_fakes, weak_label

    fakes = looks_like_fakes(args.input)
    id_column = args.id_column or ("unit_id" if fakes else None)
    exclude = None if args.keep_annotated else args.exclude_annotated or (DEFAULT_ANNOTATIONS if fakes else None)
    result = weak_label(args.input, args.text_column, args.output, id_column=id_column, exclude_annotated=exclude)
    print(json.dumps({"output": str(result.output), "meta": str(result.meta_path), "rows": result.rows,
                      "articles": result.articles, "excluded": result.excluded, "label_counts": result.label_counts}, indent=2))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("train", help="fine-tune, evaluate, log to MLflow and register")
    p.add_argument("--config", required=True, help="YAML config, e.g. configs/default.yaml")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one key, e.g. train.epochs=1")
    p.add_argument("--resume", help="an output directory, checkpoint directory or MLflow run id to continue")
    p.set_defaults(func=_train)

    p = commands.add_parser("evaluate", help="score a saved model on a labelled file")
    p.add_argument("--model", required=True, help="model directory or MLflow URI (models:/name@champion)")
    p.add_argument("--data", required=True, help="labelled JSONL/CSV/Parquet file")
    p.add_argument("--output", default="evaluation.json", help="where to write the JSON report")
    p.add_argument("--model-only", action="store_true", help="score the model's own labels, without the hybrid rule override")
    p.set_defaults(func=_evaluate)

    p = commands.add_parser("tag", help="tag every sentence of an article (a text file)")
    p.add_argument("article", help="a UTF-8 text file holding one article")
    p.add_argument("--model", help="model directory or MLflow URI (default: $SOURCE_TAGGER_MODEL, the config's output, the champion)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=_tag)

    p = commands.add_parser("join-fakes", help="join the FA-KES annotations with a FA-KES CSV into training format")
    p.add_argument("--csv", required=True, help="path to a FA-KES CSV (e.g. fa-kes-dev.csv)")
    p.add_argument("--annotations", default=str(Path(__file__).resolve().parents[1] / "data" / "fakes"))
    p.add_argument("--output", default="fakes_labelled.jsonl")
    p.set_defaults(func=_join_fakes)

    p = commands.add_parser("benchmark", help="sentences/s of tag_article on real articles (a benchmark, not a test)")
    p.add_argument("--model", required=True, help="model directory or MLflow URI")
    p.add_argument("--csv", required=True, help="a FA-KES CSV, e.g. ../shared/data/fa-kes/fa-kes-dev.csv")
    p.add_argument("--articles", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(func=_benchmark)

    p = commands.add_parser("compare", help="TF-IDF and rule baselines against the transformer on the same splits, one table")
    p.add_argument("--config", required=True, help="YAML config, e.g. configs/default.yaml")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one key, e.g. train.epochs=1")
    p.add_argument("--model", help="a trained model directory or MLflow URI to evaluate instead of training one")
    p.add_argument("--output-dir", help="where the table goes (default: <train.output_dir>/compare)")
    p.set_defaults(func=_compare)

    p = commands.add_parser("datasheet", help="compute the datasheet's figures and write them (or --check them)")
    p.add_argument("--csv", help="a FA-KES CSV for the real-text figures, e.g. ../shared/data/fa-kes/fa-kes-dev.csv")
    p.add_argument("--check", action="store_true",
                   help="recompute and exit 1, listing the differences, if the committed figures differ")
    p.set_defaults(func=_datasheet)

    p = commands.add_parser("weak-label", help="silver labels from the rule taggers for a CSV of unlabelled articles")
    p.add_argument("--input", required=True, help="a CSV of articles, e.g. ../shared/data/fa-kes/fa-kes-dev.csv")
    p.add_argument("--text-column", required=True, help="the column holding the article text, e.g. article_content")
    p.add_argument("--id-column", help="the column holding an article id (default: unit_id where the CSV has it)")
    p.add_argument("--output", default="silver.jsonl", help="the JSONL to write; its sidecar is <output>.meta.json")
    p.add_argument("--exclude-annotated", metavar="DIR",
                   help="FA-KES annotations folder: drop its articles and any sharing a sentence with real-dev/real-test "
                        "(default: data/fakes where the CSV has unit_id)")
    p.add_argument("--keep-annotated", action="store_true", help="exclude nothing, even for a FA-KES CSV")
    p.set_defaults(func=_weak_label)
    return parser


def main(argv: list[str] | None = None) -> int:
    from training.config import ConfigError
    from training.data import DataError
    from training.tracking import TrackingError

    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ConfigError, DataError, TrackingError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0

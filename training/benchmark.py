"""Inference speed on real articles: `python -m training benchmark --model PATH --csv FAKES.csv`.

Prints sentences per second of `Tagger.tag_article` (one call per article, as a user's loop
would do) and of `Tagger.tag_articles` (all articles in shared batches).
"""

from __future__ import annotations

import time

import torch

from models.predict import Tagger
from training.fakes import read_fakes_csv


def measure(tagger: Tagger, articles: list[str], batched: bool) -> tuple[int, float]:
    """(sentences tagged, seconds) after one warm-up article."""
    tagger.tag_article(articles[0])
    start = time.perf_counter()
    if batched:
        n = sum(len(a) for a in tagger.tag_articles(articles))
    else:
        n = sum(len(tagger.tag_article(a)) for a in articles)
    return n, time.perf_counter() - start


def run_benchmark(model: str, csv_path: str, n_articles: int = 100, threads: int = 2) -> dict:
    torch.set_num_threads(threads)
    tagger = Tagger.load(model)
    articles = [r["article_content"] for r in read_fakes_csv(csv_path)[:n_articles]]
    results = {"model": model, "threads": threads, "articles": len(articles),
               "context": f"{tagger.window.before} before, {tagger.window.after} after, {tagger.window.max_length} tokens"}
    for name, batched in (("tag_article", False), ("tag_articles", True)):
        n, seconds = measure(tagger, articles, batched)
        results[f"{name}_sentences_per_s"] = round(n / seconds, 1)
        results["sentences"] = n
    return results

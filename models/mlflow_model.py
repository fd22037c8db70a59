"""The MLflow pyfunc wrapper, logged as a "model from code" (see `training/tracking.py`).

Input: a DataFrame with a `text` column and an optional `context` column. Output: per task a
label column `<task>` and a probability column `<task>_probability`.
"""

from __future__ import annotations

import mlflow
import pandas as pd

from models.predict import Tagger, results_frame


class TaggerPyfunc(mlflow.pyfunc.PythonModel):
    def __init__(self, tagger: Tagger | None = None):
        self.tagger = tagger

    def load_context(self, context) -> None:
        self.tagger = Tagger.load(context.artifacts["model_dir"])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        texts = [str(t) for t in model_input["text"]]
        contexts = None
        if "context" in model_input.columns:
            contexts = [None if pd.isna(c) else str(c) for c in model_input["context"]]
        return results_frame(self.tagger.predict(texts, contexts), self.tagger.tasks)


mlflow.models.set_model(TaggerPyfunc())

import warnings

import pandas as pd
import pytest

from models.schema import DEFAULT_TASKS
from training.config import load_config
from training.corpus import load_run_data
from training.data import DataError, assign_auto_splits, group_shared_sentences, read_table, validate_rows

from .conftest import CONFIGS, make_rows, rel, write_jsonl


def check(path):
    validate_rows(read_table(path), DEFAULT_TASKS, str(path))


def test_valid_rows_pass(tiny_data):
    check(tiny_data)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_csv_and_parquet_read_like_jsonl(tmp_path, fmt):
    frame = pd.DataFrame(make_rows(3, 4))
    path = tmp_path / f"rows.{fmt}"
    frame.to_csv(path, index=False) if fmt == "csv" else frame.to_parquet(path)
    table = read_table(path)
    validate_rows(table, DEFAULT_TASKS, str(path))
    assert list(table["text"]) == list(frame["text"])


def test_unknown_label_names_label_row_and_allowed_set(tmp_path):
    rows = make_rows(2, 3)
    rows[4]["source"] = "state_tv"
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(DataError) as error:
        check(path)
    message = str(error.value)
    assert "bad.jsonl: row 5" in message and "'state_tv'" in message and "opposition_monitor" in message


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda r: r.__setitem__("text", "   "), "row 2: column 'text' is empty"),
        (lambda r: r.__setitem__("text", None), "row 2: column 'text' is missing"),
        (lambda r: r.__setitem__("text", 12), "row 2: column 'text' is int"),
        (lambda r: r.__setitem__("sentence_index", 0), "row 2: duplicate id"),
    ],
)
def test_bad_rows_are_named(tmp_path, mutate, expected):
    rows = make_rows(1, 3)
    mutate(rows[1])
    with pytest.raises(DataError, match=expected):
        check(write_jsonl(tmp_path / "bad.jsonl", rows))


def test_nan_text_in_csv_is_reported(tmp_path):
    frame = pd.DataFrame(make_rows(1, 3))
    frame.loc[2, "text"] = None
    frame.to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(DataError, match="rows.csv: row 4: column 'text' is missing"):
        check(tmp_path / "rows.csv")


def test_missing_column_is_reported(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "text"} for r in make_rows(1, 2)]
    with pytest.raises(DataError, match="missing column 'text'"):
        check(write_jsonl(tmp_path / "rows.jsonl", rows))


def test_missing_id_columns_need_context(tmp_path):
    rows = [{"text": "A sentence.", "source": "none"}]
    with pytest.raises(DataError, match="'context' column"):
        check(write_jsonl(tmp_path / "rows.jsonl", rows))
    rows[0]["context"] = "Another sentence."
    check(write_jsonl(tmp_path / "rows.jsonl", rows))


@pytest.mark.parametrize("content, expected", [("", "no rows"), ('{"text": "a"\n', "line 1, column"), ("[1, 2]\n", "expected a JSON object")])
def test_broken_files(tmp_path, content, expected):
    path = tmp_path / "broken.jsonl"
    path.write_text(content)
    with pytest.raises(DataError, match=expected):
        read_table(path)


def test_missing_file_and_wrong_format(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_table(tmp_path / "none.jsonl")
    (tmp_path / "rows.txt").write_text("x")
    with pytest.raises(DataError, match="unsupported format"):
        read_table(tmp_path / "rows.txt")


def test_a_task_column_may_be_absent(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "frame"} for r in make_rows(2, 2)]
    check(write_jsonl(tmp_path / "silver.jsonl", rows))


def test_leakage_between_train_and_test_is_an_error(tmp_path, tiny_data):
    rows = make_rows()
    rows[-1]["text"] = rows[0]["text"]
    path = write_jsonl(tmp_path / "leaky.jsonl", rows)
    cfg = load_config(CONFIGS / "smoke.yaml", [f"data.files=[{{path: {rel(path)}}}]", "data.eval_splits=[test]"])
    with pytest.raises(DataError, match="same sentence is in training split 'train'"):
        load_run_data(cfg)


def test_auto_split_is_seeded_and_keeps_wire_copy_together():
    rows = make_rows(30, 3, split=False)
    shared = "A long shared wire sentence that two different outlets both printed word for word."
    rows[0]["text"], rows[3]["text"] = shared, shared
    first = assign_auto_splits(pd.DataFrame(rows), 7, 0.2, 0.2)
    second = assign_auto_splits(pd.DataFrame(rows), 7, 0.2, 0.2)
    assert list(first["split"]) == list(second["split"])
    assert first.loc[0, "split"] == first.loc[3, "split"]
    assert set(first["split"]) == {"train", "dev", "test"}


def test_shared_sentence_groups():
    groups = group_shared_sentences({"a": ["one two three four five six seven eight"], "b": ["One two three  four five six seven eight"], "c": ["x"]})
    assert groups["a"] == groups["b"] != groups["c"]


def test_label_absent_from_an_eval_split_warns(tmp_path):
    path = write_jsonl(tmp_path / "rows.jsonl", make_rows())
    cfg = load_config(CONFIGS / "smoke.yaml", [f"data.files=[{{path: {rel(path)}}}]", "data.eval_splits=[test]"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_run_data(cfg)
    assert any("has no examples" in str(w.message) for w in caught)

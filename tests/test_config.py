
import pytest

from training.config import ConfigError, load_config

from .conftest import CONFIGS


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_loads_and_validates(path):
    cfg = load_config(path)
    assert [t.name for t in cfg.tasks]
    assert cfg.codebook_version == 4


def test_default_config_has_the_codebook_tasks():
    cfg = load_config(CONFIGS / "default.yaml")
    source, frame = cfg.task_specs
    assert source.name == "source" and "opposition_monitor" in source.labels and len(source.labels) == 8
    assert frame.labels == ("pro_government", "pro_opposition", "humanitarian", "neutral")


def test_override_sets_one_key():
    cfg = load_config(CONFIGS / "default.yaml", ["train.epochs=1", "model.context_before=2"])
    assert cfg.train.epochs == 1 and cfg.model.context_before == 2


@pytest.mark.parametrize(
    "override, key",
    [
        ("train.epochz=1", "train.epochz: unknown key"),
        ("train.epochs=-1", "train.epochs"),
        ("train.learning_rate=0", "train.learning_rate"),
        ("train.batch_size=many", "train.batch_size"),
        ("model.base_model=/abs/path/model", "model.base_model"),
        ("tasks=[]", "tasks"),
    ],
)
def test_bad_values_fail_naming_the_key(override, key):
    with pytest.raises(ConfigError) as error:
        load_config(CONFIGS / "default.yaml", [override])
    assert key in str(error.value)


def test_paths_resolve_against_the_config_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config(CONFIGS / "default.yaml")
    assert cfg.resolve_path(cfg.data.files[0].path) == (CONFIGS / ".." / "data" / "corpus" / "corpus.jsonl").resolve()


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")


def test_malformed_override_is_rejected():
    with pytest.raises(ConfigError, match="key.path=value"):
        load_config(CONFIGS / "default.yaml", ["train.epochs"])

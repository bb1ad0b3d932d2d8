"""``keeptrack tune``: a small study on real MOT17 detections, resumed once from SQLite; the
reported score is the held-out one (recomputed here independently); defaults come first and
win ties; the config file loads into ``track`` and ``bench``; missing extras name themselves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from keeptrack.benchmark import bytetrack_output_filter, track_detections
from keeptrack.cli.main import app
from keeptrack.config import load_tracker_config
from keeptrack.eval import COMBINED, evaluate_mot_sequences
from keeptrack.sweep import load_sequence
from keeptrack.trackers.registry import SEARCH_SPACES, create_tracker, search_space
from keeptrack.tune import TuneSettings, _tell, beats_defaults, split_folds, tune

optuna = pytest.importorskip("optuna")

SHORT = ("MOT17-05-FRCNN", "MOT17-09-FRCNN", "MOT17-10-FRCNN")


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def data(mot17_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    for name in SHORT:
        (folder / name).symlink_to(mot17_dir / name)
    return folder


def held_out_hota(data: Path, folds: list[dict]) -> float:
    """HOTA over all sequences, each tracked with the params of the fold that held it out,
    computed without keeptrack.tune or keeptrack.sweep's scoring."""
    gt, results, lengths = {}, {}, {}
    for fold in folds:
        for name in fold["held_out_sequences"]:
            seq = load_sequence(str(data / name), "train-half")
            tracker = create_tracker("sort", frame_rate=seq.frame_rate, **fold["params"])
            results[name] = bytetrack_output_filter(track_detections(tracker, seq.frames)[0])
            gt[name], lengths[name] = seq.gt, seq.length
    return evaluate_mot_sequences(gt, results, lengths)[COMBINED]["HOTA"]


def test_tune_reports_held_out_scores_and_resumes(data, tmp_path):
    out = tmp_path / "sort.yaml"
    args = ["tune", "-t", "sort", "--data", data, "--split", "train-half", "--folds", 3,
            "--workers", 1, "-o", out]  # fmt: skip
    first = run(*args, "--n-trials", 3)
    assert first.exit_code == 0, first.output
    assert "held-out" in first.output and (tmp_path / "tune.db").is_file()
    resumed = run(*args, "--n-trials", 5)
    assert resumed.exit_code == 0, resumed.output
    storage = f"sqlite:///{tmp_path / 'tune.db'}"
    summaries = {s.study_name: s for s in optuna.get_all_study_summaries(storage)}
    assert len(summaries) == 4  # one study per fold and the final one
    defaults = {p: param.default for p, (param, _) in search_space("sort").items()}
    for name in summaries:
        study = optuna.load_study(study_name=name, storage=storage)
        trials = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
        assert len(trials) == 5  # 3, then 2 more: resumed, not restarted
        assert trials[0].params == defaults

    config = yaml.safe_load(out.read_text())
    report = config["tune"]
    folds = report["folds"]
    assert report["protocol"] == "k-fold" and len(report["folds"]) == 3
    assert sorted(n for f in report["folds"] for n in f["held_out_sequences"]) == list(SHORT)
    for i, fold in enumerate(report["folds"], start=1):  # no study saw what it is scored on
        study = optuna.load_study(study_name=f"sort-data-train-half-HOTA/fold-{i}", storage=storage)
        trained_on = study.user_attrs["train_sequences"]
        assert len(trained_on) == 2 and not set(trained_on) & set(fold["held_out_sequences"])
    tuned = held_out_hota(data, report["folds"])
    defaults_folds = [dict(fold, params={}) for fold in report["folds"]]
    assert report["defaults_held_out"] == pytest.approx(held_out_hota(data, defaults_folds))
    assert report["fell_back"] == (not beats_defaults(tuned, report["defaults_held_out"], folds))
    assert report["tuned_held_out"] == pytest.approx(tuned, abs=1e-12)
    kept = report["defaults_held_out"] if report["fell_back"] else tuned
    assert report["held_out"] == pytest.approx(kept, abs=1e-12)
    loaded = load_tracker_config(out)
    assert loaded.tracker == "sort" and set(loaded.params) == set(SEARCH_SPACES["sort"])
    bench = run("bench", "--data", data, "--trackers", "sort", "--tracker-config", out,
                "--output-dir", tmp_path / "bench")  # fmt: skip
    assert bench.exit_code == 0, bench.output


def test_tune_keeps_the_defaults_when_nothing_beats_them_held_out(data, tmp_path):
    settings = TuneSettings(
        tracker="sort",
        data=str(data),
        split="train-half",
        folds=3,
        n_trials=50,
        timeout=1e-3,  # one round: each study runs its first trial, the defaults, and stops
        storage=f"sqlite:///{tmp_path / 'tune.db'}",
    )
    result = tune(settings)
    assert set(result.trials.values()) == {1}
    # tuned == defaults is not a gain: the defaults are kept and their score reported
    assert result.fell_back and result.held_out == result.defaults_held_out
    defaults = {p: param.default for p, (param, _) in search_space("sort").items()}
    assert result.params == defaults


def test_tune_rejects_bad_settings_and_names_missing_extras(data, tmp_path, monkeypatch):
    storage = f"sqlite:///{tmp_path / 'tune.db'}"
    with pytest.raises(ValueError, match="metric"):
        tune(TuneSettings("sort", str(data), metric="speed", storage=storage))
    with pytest.raises(ValueError, match="no search space"):
        tune(TuneSettings("deepsort", str(data), storage=storage))
    with pytest.raises(ValueError, match="4 folds need at least 4 sequences"):
        split_folds([str(data / n) for n in SHORT], 4)
    result = run("tune", "-t", "sort", "--data", data, "--val-data", data, "-o",
                 tmp_path / "x.json")  # fmt: skip
    assert result.exit_code == 1 and "would not be held out" in result.output
    monkeypatch.setitem(sys.modules, "optuna", None)
    result = run("tune", "-t", "sort", "--data", data, "-o", tmp_path / "x.json")
    assert result.exit_code == 1 and "keeptrack[tune]" in result.output
    monkeypatch.setitem(sys.modules, "ray", None)
    result = run("track", "-s", data, "-d", "file", "--output-dir", tmp_path / "o",
                 "--executor", "ray")  # fmt: skip
    assert result.exit_code == 1 and "keeptrack[ray]" in result.output


def test_tracker_config_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("tracker: sort\nparams:\n  lost_track_bufer: 10\n")
    with pytest.raises(ValueError, match="bad.yaml.*lost_track_bufer"):
        load_tracker_config(bad)
    wrong_type = tmp_path / "wrong.json"
    wrong_type.write_text('{"tracker": "sort", "params": {"lost_track_buffer": "many"}}')
    with pytest.raises(ValueError, match="wrong.json.*expects a int"):
        load_tracker_config(wrong_type)


def test_a_gain_carried_by_some_folds_is_not_a_gain():
    def folds(*gains):
        return [{"held_out": 0.5 + g, "defaults_held_out": 0.5} for g in gains]

    assert beats_defaults(0.52, 0.50, folds(0.01, 0.02, 0.015))
    assert not beats_defaults(0.52, 0.50, folds(-0.15, 0.05, -0.03, 0.16))  # mixed folds
    assert not beats_defaults(0.50, 0.50, folds(0.0, 0.0, 0.0))  # equal is no gain
    assert beats_defaults(0.52, 0.50, [])  # validation data: the pooled score decides


def test_a_trial_another_process_finished_first_is_left_as_it_was(tmp_path):
    # SQLite has no row locks, so two processes can both claim the waiting defaults trial; the
    # second to finish must not fail the run (CI saw "Cannot tell a COMPLETE trial").
    storage = f"sqlite:///{tmp_path / 'race.db'}"
    first = optuna.create_study(study_name="race", storage=storage, direction="maximize")
    first.enqueue_trial({"x": 1.0})
    claimed = first.ask({"x": optuna.distributions.FloatDistribution(0.0, 2.0)})
    second = optuna.load_study(study_name="race", storage=storage)
    second.tell(optuna.trial.Trial(second, claimed._trial_id), 0.7)
    _tell(first, claimed, value=0.9)
    _tell(first, claimed, error="lost the race")
    (trial,) = first.get_trials()
    assert trial.state == optuna.trial.TrialState.COMPLETE
    assert (trial.value, trial.user_attrs) == (0.7, {})


def test_two_processes_share_one_study(data, tmp_path):
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    cli = [sys.executable, "-c", "from keeptrack.cli.main import app; app()", "tune", "-t", "sort",
           "--data", str(data), "--folds", "3", "--n-trials", "6", "--workers", "1", "--storage",
           storage, "--study-name", "shared"]  # fmt: skip
    processes = [
        subprocess.Popen([*cli, "-o", str(tmp_path / f"{i}.yaml")], stderr=subprocess.PIPE)
        for i in range(2)
    ]
    errors = [p.communicate(timeout=300)[1].decode() for p in processes]
    assert [p.returncode for p in processes] == [0, 0], errors
    for name in ("shared/fold-1", "shared/all"):
        trials = optuna.load_study(study_name=name, storage=storage).get_trials()
        complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
        assert 6 <= len(complete) <= 7  # each process stops at 6; both may add the last one
        # the defaults ran first; two processes starting together may both run them
        assert 1 <= sum(t.params == complete[0].params for t in complete) <= 2

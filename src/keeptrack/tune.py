"""Tune a tracker's parameters with Optuna, and report what they score on unseen sequences.

A tuner that reports the score it maximised reports its own overfitting: on the MOT17 train
half, 150-trial studies reached 78 HOTA while the same parameters scored below the defaults on
the val half (BENCHMARKS.md). So the score :func:`tune` reports is always held out:

- **k-fold by sequence** (default): the sequences are dealt into ``folds`` folds (sorted by
  name, round-robin). For each fold, one study tunes on the other folds; its best parameters
  are then scored on the fold it never saw. The held-out score is the metric combined over all
  sequences, each scored with the parameters of the study that did not see it: an estimate of
  what "tune on these sequences" yields on new ones. A last study tunes on every sequence and
  gives the parameters written out.
- **user-given validation data** (``val_data``): one study tunes on ``data``; its best
  parameters are scored once on ``val_data``, which no study sees.

Every study starts with the tracker's defaults as its first trial, and the defaults are held
out the same way. If the tuned parameters do not beat the defaults' held-out score -- pooled,
and with k folds by more than one standard error of the per-fold gains -- tuning found nothing
that generalises: the result says so and the defaults are what gets written.

Studies live in an Optuna RDB storage (SQLite by default; any SQLAlchemy URL), one study per
fold plus the final one, named ``<study>/fold-<i>`` and ``<study>/all``. Rerunning with the
same storage and study name resumes: each study continues up to ``n_trials`` complete trials.
Several ``keeptrack tune`` processes (or machines) given the same URL share the studies. Trials
are asked from every study in turn and their tracker x sequence jobs run together on
``workers`` processes or Ray, so all studies advance at the same pace and a ``timeout`` leaves
them equally far.

Optuna is an optional extra: ``pip install 'keeptrack[tune]'``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from keeptrack.eval import COMBINED
from keeptrack.eval.evaluate import summarize_sequences
from keeptrack.executors import JobFailure, JobRunner
from keeptrack.sweep import SPLITS, SequenceJob, SequenceOutcome, track_and_score
from keeptrack.trackers.registry import search_space, tracker_class, tracker_parameters

#: Metrics ``tune`` can maximise (keys of :func:`keeptrack.eval.evaluate_mot_sequences`).
METRICS = ("HOTA", "IDF1", "MOTA", "AssA", "DetA")


def import_optuna() -> Any:
    """Optuna, or an ImportError naming the extra that installs it."""
    try:
        import optuna
    except ImportError:
        raise ImportError("keeptrack tune needs Optuna: pip install 'keeptrack[tune]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


@dataclass
class TuneSettings:
    """What to tune and how (see the module docstring for the protocol).

    Attributes:
        tracker: Registry name; needs an entry in
            :data:`keeptrack.trackers.registry.SEARCH_SPACES`.
        data: MOTChallenge folder tuned on (``<seq>/det/det.txt``, ``gt/gt.txt``,
            ``seqinfo.ini``).
        split: Frames of each sequence used (:data:`keeptrack.sweep.SPLITS`).
        benchmark: Scoring semantics (``mot17``, ``mot20``, ``plain``).
        metric: One of :data:`METRICS`, maximised.
        folds: k of the k-fold cross-validation (ignored with ``val_data``).
        val_data: Held-out MOTChallenge folder; replaces cross-validation.
        val_split: Frames of ``val_data``'s sequences scored.
        fixed: Parameters held fixed (removed from the search space).
        n_trials: Complete trials per study.
        timeout: Seconds for this call (all studies); ``None``: no limit.
        storage: Optuna storage URL.
        study: Study name prefix.
        seed: TPE seed; with one process the trials are reproducible.
    """

    tracker: str
    data: str
    split: str = "all"
    benchmark: str = "mot17"
    metric: str = "HOTA"
    folds: int = 3
    val_data: str | None = None
    val_split: str = "all"
    fixed: dict[str, Any] = field(default_factory=dict)
    n_trials: int = 60
    timeout: float | None = None
    storage: str = "sqlite:///keeptrack-tune.db"
    study: str = "keeptrack"
    seed: int = 0

    def check(self) -> None:
        """Raise ValueError naming the first bad setting."""
        search_space(self.tracker)
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}; got {self.metric!r}")
        for name, split in (("split", self.split), ("val_split", self.val_split)):
            if split not in SPLITS:
                raise ValueError(f"{name} must be one of {', '.join(SPLITS)}; got {split!r}")
        if self.n_trials < 1:
            raise ValueError(f"n_trials must be at least 1; got {self.n_trials}")
        if self.val_data is None and self.folds < 2:
            raise ValueError(f"folds must be at least 2 (or give val_data); got {self.folds}")
        if self.timeout is not None and not self.timeout > 0:
            raise ValueError(f"timeout must be positive; got {self.timeout}")
        known = tracker_parameters(tracker_class(self.tracker))
        for name in self.fixed:
            if name not in known:
                raise ValueError(f"{self.tracker} has no parameter {name!r}")


@dataclass
class TuneResult:
    """What :func:`tune` found.

    Attributes:
        tracker: Registry name.
        params: The parameters to use (tuned, or the defaults after a fallback), fixed ones
            included.
        held_out: Held-out metric of the written parameters' procedure (the score to expect
            on new sequences): :attr:`tuned_held_out`, or :attr:`defaults_held_out` after a
            fallback; a fraction, like every ratio metric here.
        tuned_held_out: Held-out metric of tuning, whether kept or not.
        defaults_held_out: The defaults' score on the same held-out sequences.
        train: The chosen parameters' score on the data they were tuned on (optimistic).
        fell_back: True when tuning did not beat the defaults held out by more than the noise
            (:func:`beats_defaults`), so the defaults were kept.
        folds: Per fold: its held-out sequences, best parameters, train and held-out scores.
        trials: Complete trials per study.
        protocol: ``"k-fold"`` or ``"validation data"``.
        settings: The :class:`TuneSettings` used, as plain data.
    """

    tracker: str
    params: dict[str, Any]
    held_out: float
    tuned_held_out: float
    defaults_held_out: float
    train: float
    fell_back: bool
    folds: list[dict[str, Any]]
    trials: dict[str, int]
    protocol: str
    settings: dict[str, Any]

    def report(self) -> dict[str, Any]:
        """The ``tune`` section written next to the parameters in the config file."""
        data = asdict(self)
        data.pop("params")
        data.pop("tracker")
        return data


def sequence_folders(data: str) -> list[str]:
    """Sequence folders under ``data`` holding det, GT and ``seqinfo.ini``, sorted by name.

    Raises:
        FileNotFoundError: If there are none.
    """
    root = Path(data)
    if not root.is_dir():
        raise FileNotFoundError(f"data folder not found: {root}")
    found = [
        str(p)
        for p in sorted(root.iterdir())
        if (p / "det" / "det.txt").is_file()
        and (p / "gt" / "gt.txt").is_file()
        and (p / "seqinfo.ini").is_file()
    ]
    if not found:
        raise FileNotFoundError(f"no <sequence>/det/det.txt with gt/gt.txt under {root}")
    return found


def split_folds(sequences: list[str], folds: int) -> list[list[str]]:
    """Deal the (sorted) sequences round-robin into ``folds`` held-out groups.

    Raises:
        ValueError: With fewer sequences than folds (a fold would hold nothing out).
    """
    if len(sequences) < folds:
        raise ValueError(f"{folds} folds need at least {folds} sequences; got {len(sequences)}")
    return [sequences[i::folds] for i in range(folds)]


@dataclass
class _Study:
    """One Optuna study and the sequences it tunes on (recorded in the study, for audits)."""

    name: str
    study: Any
    train: list[str]
    held_out: list[str]

    def __post_init__(self) -> None:
        self.study.set_user_attr("train_sequences", [Path(s).name for s in self.train])


def _distributions(tracker: str, fixed: dict[str, Any]) -> dict[str, Any]:
    from optuna.distributions import FloatDistribution, IntDistribution

    space: dict[str, Any] = {}
    for name, (param, limits) in search_space(tracker).items():
        if name in fixed:
            continue
        if param.kind is int:
            space[name] = IntDistribution(int(limits.low), int(limits.high), log=limits.log)
        else:
            space[name] = FloatDistribution(limits.low, limits.high, log=limits.log)
    return space


def default_params(tracker: str, names: list[str]) -> dict[str, Any]:
    """The constructor defaults of ``names``."""
    params = tracker_parameters(tracker_class(tracker))
    return {name: params[name].default for name in names}


def open_storage(optuna: Any, url: str) -> Any:
    """An Optuna RDB storage for ``url`` that several processes can share.

    SQLite connections wait up to a minute for a lock instead of failing at once; two processes
    creating the same new database race on its tables, so creation is retried.
    """
    import sqlalchemy.exc

    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    for attempt in range(5):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
        except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.IntegrityError):
            time.sleep(0.2 * (attempt + 1))  # "table exists", "UNIQUE constraint": the other won
    return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)


def _open_study(
    optuna: Any, storage: Any, settings: TuneSettings, name: str, fingerprint: dict
) -> Any:
    sampler = optuna.samplers.TPESampler(seed=settings.seed)
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        direction="maximize",
        sampler=sampler,
        load_if_exists=True,
    )
    stored = study.user_attrs.get("settings")
    if stored is None:
        study.set_user_attr("settings", fingerprint)
    elif stored != fingerprint:
        raise ValueError(
            f"study {name!r} in {settings.storage} was made with other settings "
            f"({stored}); choose another study name or storage"
        )
    return study


def _complete(study: Any) -> list[Any]:
    from optuna.trial import TrialState

    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def _run_parts(
    runner: JobRunner, settings: TuneSettings, parts: list[tuple[list[str], str, dict]]
) -> list[list[SequenceOutcome] | str]:
    """Track and score every part (sequences, split, params) in one batch of jobs on
    ``runner``; per part, its sequences' outcomes in order, or the error that stopped it."""
    jobs, owners = [], []
    for index, (folders, split, params) in enumerate(parts):
        for folder in folders:
            jobs.append(SequenceJob(folder, split, settings.tracker, params, settings.benchmark))
            owners.append(index)
    outcomes = dict(runner.map(track_and_score, jobs))
    results: list[list[SequenceOutcome] | str] = []
    for index in range(len(parts)):
        mine = [outcomes[j] for j in range(len(jobs)) if owners[j] == index]
        failure = next((o for o in mine if isinstance(o, JobFailure)), None)
        results.append(failure.error if failure is not None else mine)
    return results


def _metric(settings: TuneSettings, outcomes: list[SequenceOutcome]) -> float:
    """The tuned metric over ``outcomes`` combined (TrackEval's combination, in order)."""
    combined = summarize_sequences({o.name: o.metrics for o in outcomes})[COMBINED]
    return float(combined[settings.metric])


def _held_out(
    runner: JobRunner, settings: TuneSettings, parts: list[tuple[list[str], str, dict]]
) -> tuple[float, list[float]]:
    """The metric combined over every part's sequences, each part scored with its own params
    (the k-fold held-out score), and each part's own score.

    Raises:
        ValueError: If a part could not be scored.
    """
    scored: list[list[SequenceOutcome]] = []
    for outcome in _run_parts(runner, settings, parts):
        if isinstance(outcome, str):
            raise ValueError(f"held-out scoring failed: {outcome}")
        scored.append(outcome)
    pooled = [o for part in scored for o in part]
    return _metric(settings, pooled), [_metric(settings, part) for part in scored]


def tune(
    settings: TuneSettings,
    runner: JobRunner | None = None,
    on_trial: Callable[[int, int, float | None], None] | None = None,
) -> TuneResult:
    """Run (or resume) the studies and score the result held out.

    Args:
        settings: What to tune.
        runner: Where tracker x sequence jobs run (default: this process).
        on_trial: Called after each round with (complete trials of the final study, n_trials,
            its best train score so far), for progress bars.

    Raises:
        ValueError: For bad settings or a study made with other settings.
        ImportError: Without Optuna.
        FileNotFoundError: For missing data.
    """
    settings.check()
    optuna = import_optuna()
    runner = runner or JobRunner(1)
    sequences = sequence_folders(settings.data)
    space = _distributions(settings.tracker, settings.fixed)
    storage = open_storage(optuna, settings.storage)
    defaults = {**default_params(settings.tracker, list(space)), **settings.fixed}
    default_trial = {k: defaults[k] for k in space}
    fingerprint: dict[str, Any] = {
        "tracker": settings.tracker,
        "data": [Path(s).name for s in sequences],
        "split": settings.split,
        "benchmark": settings.benchmark,
        "metric": settings.metric,
        "fixed": settings.fixed,
        "space": {k: [d.low, d.high] for k, d in space.items()},
    }
    studies = []
    if settings.val_data is None:
        protocol = "k-fold"
        folds = split_folds(sequences, settings.folds)
        fingerprint["folds"] = settings.folds
        for i, held_out in enumerate(folds, start=1):
            train = [s for s in sequences if s not in held_out]
            name = f"{settings.study}/fold-{i}"
            studies.append(
                _Study(
                    name, _open_study(optuna, storage, settings, name, fingerprint), train, held_out
                )
            )
    else:
        protocol = "validation data"
        held_out_all = sequence_folders(settings.val_data)
        overlap = {Path(s).name for s in held_out_all} & {Path(s).name for s in sequences}
        if overlap and settings.val_split == settings.split:
            raise ValueError(
                f"validation data shares sequences {sorted(overlap)} with the training data "
                "on the same frames; it would not be held out"
            )
    name = f"{settings.study}/all"
    final = _Study(name, _open_study(optuna, storage, settings, name, fingerprint), sequences, [])
    studies.append(final)

    # As Optuna's own timeout: checked after each round, so at least one round runs.
    deadline = None if settings.timeout is None else time.monotonic() + settings.timeout
    first_round = True
    while first_round or deadline is None or time.monotonic() < deadline:
        first_round = False
        active = [s for s in studies if len(_complete(s.study)) < settings.n_trials]
        if not active:
            break
        trials = []
        for entry in active:
            _enqueue_defaults(entry.study, default_trial)
            trials.append(entry.study.ask(space))
        parts = [
            (entry.train, settings.split, {**settings.fixed, **trial.params})
            for entry, trial in zip(active, trials, strict=True)
        ]
        scored = _run_parts(runner, settings, parts)
        for entry, trial, outcome in zip(active, trials, scored, strict=True):
            if isinstance(outcome, str):
                _tell(entry.study, trial, error=outcome)
            else:
                _tell(entry.study, trial, value=_metric(settings, outcome))
        if on_trial is not None:
            done = _complete(final.study)
            best = max((t.value for t in done), default=None)
            on_trial(len(done), settings.n_trials, best)

    return _conclude(runner, settings, studies, final, defaults, protocol)


def _tell(study: Any, trial: Any, value: float | None = None, error: str | None = None) -> None:
    """Record a trial's score, or its failure, unless another process already finished it.

    Two processes sharing a SQLite study can both claim the same waiting trial (the defaults):
    SQLite has no row locks, so Optuna's claim is not atomic there. Both then run the same
    parameters, and the one that finishes second has nothing new to say.
    """
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    if error is None:
        study.tell(trial, value, skip_if_finished=True)
        return
    try:
        trial.set_user_attr("error", error)
    except UpdateFinishedTrialError:
        return
    study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)


def _enqueue_defaults(study: Any, default_trial: dict[str, Any]) -> None:
    """Make the defaults the study's next trial until one run of them is complete (a stopped
    run may have left the first one unfinished)."""
    from optuna.trial import TrialState

    if any(t.params == default_trial for t in _complete(study)):
        return
    if not study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        study.enqueue_trial(default_trial)


def _best(entry: _Study) -> Any:
    done = _complete(entry.study)
    if not done:
        raise ValueError(f"study {entry.name!r} has no complete trial yet (raise --timeout)")
    return max(done, key=lambda t: (t.value, -t.number))  # ties: the earlier trial


def beats_defaults(held_out: float, defaults_held_out: float, folds: list[dict]) -> bool:
    """Whether the tuned parameters beat the defaults held out by more than the noise.

    The pooled held-out score must be higher, and with k folds the mean per-fold gain must
    exceed its standard error (the one-standard-error rule of cross-validation): a pooled
    gain carried by one or two folds while the others lose is what parameters that do not
    transfer look like (DanceTrack, BENCHMARKS.md).
    """
    if not held_out > defaults_held_out:
        return False
    if not folds:
        return True
    gains = [f["held_out"] - f["defaults_held_out"] for f in folds]
    mean = sum(gains) / len(gains)
    spread = (sum((g - mean) ** 2 for g in gains) / (len(gains) - 1)) ** 0.5
    return mean > spread / len(gains) ** 0.5


def _conclude(
    runner: JobRunner,
    settings: TuneSettings,
    studies: list[_Study],
    final: _Study,
    defaults: dict[str, Any],
    protocol: str,
) -> TuneResult:
    """Score the studies' choices held out, compare with the defaults, pick what to write."""
    best = _best(final)
    chosen = {**settings.fixed, **best.params}
    if protocol == "k-fold":
        fold_best = [_best(entry) for entry in studies[:-1]]
        fold_params = [{**settings.fixed, **t.params} for t in fold_best]
        held_out, per_fold = _held_out(
            runner,
            settings,
            [(e.held_out, settings.split, p) for e, p in zip(studies, fold_params, strict=False)],
        )
        defaults_held_out, defaults_per_fold = _held_out(
            runner, settings, [(e.held_out, settings.split, defaults) for e in studies[:-1]]
        )
        folds = [
            {
                "held_out_sequences": [Path(s).name for s in entry.held_out],
                "params": params,
                "train": trial.value,
                "held_out": score,
                "defaults_held_out": default_score,
            }
            for entry, trial, params, score, default_score in zip(
                studies, fold_best, fold_params, per_fold, defaults_per_fold, strict=False
            )
        ]
    else:
        assert settings.val_data is not None  # the protocol is k-fold without it
        val = sequence_folders(settings.val_data)
        held_out = _held_out(runner, settings, [(val, settings.val_split, chosen)])[0]
        defaults_held_out = _held_out(runner, settings, [(val, settings.val_split, defaults)])[0]
        folds = []
    fell_back = not beats_defaults(held_out, defaults_held_out, folds)
    trials = {entry.name: len(_complete(entry.study)) for entry in studies}
    train = best.value
    tuned_held_out = held_out
    if fell_back:
        chosen = dict(defaults)
        held_out = defaults_held_out
        train = _held_out(runner, settings, [(final.train, settings.split, chosen)])[0]
    return TuneResult(
        tracker=settings.tracker,
        params=chosen,
        held_out=held_out,
        tuned_held_out=tuned_held_out,
        defaults_held_out=defaults_held_out,
        train=train,
        fell_back=fell_back,
        folds=folds,
        trials=trials,
        protocol=protocol,
        settings=json.loads(json.dumps(asdict(settings), default=str)),
    )

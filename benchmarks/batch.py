"""Batch tracking: throughput against workers, identical outputs, and per-source overhead.

1. **Scaling**: ``--copies`` copies of PETS09-S2L1 ``vtest.avi`` (copied to a temp folder,
   never into the repository), built-in ``ssd-mobilenet`` detector, ByteTrack, the first
   ``--frames`` frames of each. :func:`keeptrack.batch.track_many` with ``workers=1`` (in this
   process, OpenCV's default threads), ``workers=2`` (two processes, one OpenCV thread each)
   and a local Ray (``ray.init(num_cpus=2)``). Throughput is frames of all sources over the
   wall time of the whole batch (worker start-up included). MOT outputs must be
   byte-identical across the three.
2. **Per-source overhead** with detection files: the 7 MOT17 train sequences, ``--detector
   file`` (no images), after one untimed pass so Numba's cache is warm. Per source, the
   worker's time outside the tracking loop (opening the source, building detector and tracker,
   opening outputs, the tracker's first update) is measured inside the job; the batch-level
   figure, ``(workers x wall - tracking-loop seconds) / sources``, adds worker start-up and
   imports and the idle tail of the last jobs. The first batch of a process also starts the
   fork server (one import of keeptrack); it is reported on its own line.

    python benchmarks/batch.py [--copies 8] [--frames 100] [--skip-ray]
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import data_dir  # noqa: E402

from keeptrack.batch import (  # noqa: E402
    DetectorSettings,
    SourceResult,
    make_jobs,
    run_track_job,
    track_many,
)
from keeptrack.executors import JobRunner, default_workers  # noqa: E402


def loop_seconds(result: SourceResult) -> float:
    """Time in the tracking loop, without the first update (the warm-up)."""
    return sum(v for k, v in result.seconds.items() if k != "warm-up")


def timed_batch(label: str, sources: list[str], out: Path, **kwargs) -> dict:
    load = os.getloadavg()[0]
    start = time.perf_counter()
    results = track_many(sources, out, save=("mot",), **kwargs)
    wall = time.perf_counter() - start
    cpu = sum(r.cpu_seconds for r in results)  # measured in each job, wherever it ran
    failed = [r for r in results if r.status != "done"]
    if failed:
        raise SystemExit(f"{label}: {failed[0].name} failed: {failed[0].error}")
    frames = sum(r.frames for r in results)
    return {"label": label, "wall": wall, "frames": frames, "results": results, "out": out,
            "cpu": cpu, "load": load}  # fmt: skip


def same_outputs(a: Path, b: Path, names: list[str]) -> bool:
    return all(filecmp.cmp(a / f"{n}.txt", b / f"{n}.txt", shallow=False) for n in names)


def scaling(args: argparse.Namespace, work: Path) -> None:
    video = data_dir() / "mot15-train" / "PETS09-S2L1" / "video" / "vtest.avi"
    folder = work / "videos"
    folder.mkdir()
    sources = []
    for i in range(1, args.copies + 1):
        sources.append(str(shutil.copy(video, folder / f"cam{i}.avi")))
    names = [f"cam{i}" for i in range(1, args.copies + 1)]
    common = {"tracker": "bytetrack", "max_frames": args.frames}
    cv2.setNumThreads(1)  # workers=1 runs here: first with one OpenCV thread, then the default
    runs = [timed_batch("workers=1, 1 OpenCV thread", sources, work / "w1t1", workers=1, **common)]
    cv2.setNumThreads(default_workers())
    runs.append(timed_batch("workers=1", sources, work / "w1", workers=1, **common))
    runs.append(timed_batch("workers=2", sources, work / "w2", workers=2, **common))
    if not args.skip_ray:
        import ray

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            runs.append(timed_batch("ray (local, 2 CPUs)", sources, work / "ray",
                                    executor="ray", **common))  # fmt: skip
        finally:
            ray.shutdown()
    base = runs[1]
    print(f"\n{args.copies} x PETS09 vtest.avi, first {args.frames} frames each, ssd-mobilenet")
    print("| run | wall s | frames/s | vs workers=1 | job CPU s | cores used | frames per "
          "CPU s | load before | MOT outputs equal to workers=1 |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        fps = run["frames"] / run["wall"]
        ratio = fps / (base["frames"] / base["wall"])
        equal = same_outputs(base["out"], run["out"], names)
        print(f"| {run['label']} | {run['wall']:.1f} | {fps:.1f} | {ratio:.2f}x | "
              f"{run['cpu']:.0f} | {run['cpu'] / run['wall']:.2f} | "
              f"{run['frames'] / run['cpu']:.1f} | {run['load']:.1f} | {equal} |")  # fmt: skip


def overhead(work: Path) -> None:
    root = data_dir() / "mot17-train"
    sources = [str(p) for p in sorted(root.glob("MOT17-*")) if p.is_dir()]
    detector = DetectorSettings(name="file")
    # The first pool of a process starts the fork server, which imports keeptrack once.
    first = timed_batch("first", sources, work / "warm", detector=detector, workers=2)
    busy = sum(loop_seconds(r) for r in first["results"])
    print(
        f"\nfirst batch of the process (fork server start, imports, Numba cache loads), "
        f"workers=2: wall {first['wall']:.2f} s, overhead per source "
        f"{(2 * first['wall'] - busy) / len(sources):.3f} s"
    )
    # A fresh worker for one source: process start, imports, setup and the first update
    # (Numba cache load), i.e. everything but the tracking loop, pool start and stop included.
    job = make_jobs(sources[:1], work / "cold", detector=detector, save=("mot",))
    start = time.perf_counter()
    with JobRunner(2) as runner:
        ((_, result),) = list(runner.map(run_track_job, job))
    cold = time.perf_counter() - start - loop_seconds(result)
    print(
        f"\nfresh worker, one source ({result.name}): {cold:.2f} s outside the tracking loop "
        f"(setup {result.setup_seconds:.2f} s, first update {result.seconds['warm-up']:.3f} s)"
    )
    print(f"\n{len(sources)} MOT17 train sequences, --detector file, ByteTrack, warm Numba cache")
    print("| workers | wall s | in-job overhead per source, mean / max s | "
          "batch overhead per source s |")  # fmt: skip
    print("|---|---|---|---|")
    for workers in (1, 2):
        run = timed_batch(f"{workers}", sources, work / f"mot17-{workers}",
                          detector=detector, workers=workers)  # fmt: skip
        per_job = [r.wall_seconds - loop_seconds(r) for r in run["results"]]
        busy = sum(loop_seconds(r) for r in run["results"])
        batch = (workers * run["wall"] - busy) / len(sources)
        print(
            f"| {workers} | {run['wall']:.2f} | {statistics.mean(per_job):.3f} / "
            f"{max(per_job):.3f} | {batch:.3f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--frames", type=int, default=100, help="frames per source")
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="keeptrack-batch-") as tmp:
        if not args.skip_scaling:
            scaling(args, Path(tmp))
        overhead(Path(tmp))


if __name__ == "__main__":
    main()

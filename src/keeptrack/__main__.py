"""``python -m keeptrack``: the ``keeptrack`` command, for environments without its script."""

from keeptrack.cli.main import app

if __name__ == "__main__":
    app(prog_name="keeptrack")

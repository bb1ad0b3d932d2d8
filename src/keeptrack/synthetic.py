"""A synthetic street scene with exact ground truth, for demos and end-to-end tests.

Real video needs a detector model and annotated data; this scene needs neither. A fixed camera
looks at a street: pedestrians walk both ways on two pavements and pass each other, cars in two
lanes overtake in opposite directions so one partly hides the other, and a lamp post stands in
front of everything. Objects enter from the edges after the first frames, so a background
subtractor can learn the empty street first. Sensor noise is added to every frame.

Ground truth is computed from the rendered pixels, not from the motion model alone: each object
is also drawn into a label image in depth order (farther first, lamp post last), so its
visibility is the fraction of its own pixels still showing. Rows follow MOTChallenge
``frame, id, left, top, width, height, flag, class, visibility``; boxes are clipped to the
frame, and ``flag`` is 0 (ignore) when less than :data:`MIN_VISIBILITY` of the object shows --
nobody can be expected to detect an object that is mostly hidden or still off-screen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from keeptrack.io.sources import FrameSource

#: Objects showing less than this fraction of their pixels are ground-truth "ignore" rows.
MIN_VISIBILITY = 0.3

PERSON, CAR = 1, 3  # COCO category ids, as the detectors report them

_POLE_X = (424, 433)  # lamp post columns (in a 640-wide frame)


@dataclass(frozen=True)
class Actor:
    """One moving object with a constant velocity.

    Attributes:
        track_id: Ground-truth identity (1-based).
        kind: ``PERSON`` or ``CAR``.
        size: ``(width, height)`` in pixels.
        start: First frame (1-based) the actor exists.
        origin: Top-left corner ``(x, y)`` at ``start``.
        velocity: Pixels per frame ``(vx, vy)``.
        colour: Main BGR colour.
    """

    track_id: int
    kind: int
    size: tuple[int, int]
    start: int
    origin: tuple[float, float]
    velocity: tuple[float, float]
    colour: tuple[int, int, int]

    def box(self, frame: int) -> np.ndarray:
        """Unclipped ``[x1, y1, x2, y2]`` at ``frame``."""
        t = frame - self.start
        x = self.origin[0] + self.velocity[0] * t
        y = self.origin[1] + self.velocity[1] * t
        return np.array([x, y, x + self.size[0], y + self.size[1]])

    @property
    def depth(self) -> float:
        """Bottom edge: lower in the image is nearer the camera, so drawn later."""
        return self.origin[1] + self.size[1]


def default_actors() -> list[Actor]:
    """The demo cast: four pedestrians and two cars, timed to cross and occlude."""
    return [
        Actor(1, PERSON, (18, 46), 5, (-18.0, 164.0), (3.5, 0.0), (40, 40, 200)),
        Actor(2, PERSON, (18, 47), 5, (640.0, 164.0), (-3.0, 0.0), (200, 120, 30)),
        Actor(3, PERSON, (20, 46), 15, (640.0, 312.0), (-3.0, 0.0), (40, 160, 40)),
        Actor(4, PERSON, (16, 40), 45, (-16.0, 162.0), (2.6, 0.0), (150, 40, 150)),
        Actor(5, CAR, (96, 38), 20, (-96.0, 226.0), (7.0, 0.0), (30, 200, 230)),
        Actor(6, CAR, (110, 40), 40, (640.0, 258.0), (-6.5, 0.0), (220, 80, 80)),
    ]


class SyntheticScene(FrameSource):
    """Renders the street frame by frame; also a :class:`FrameSource` for the pipeline.

    Args:
        length: Number of frames.
        fps: Frame rate the scene is meant to play at (pedestrians walk ~45 px/s at 15 fps).
        size: ``(width, height)``; the layout is drawn for 640x360 and scaled otherwise.
        seed: Seed of the background texture and sensor noise.
        noise: Standard deviation of the per-frame sensor noise (grey levels).
        actors: The moving objects; :func:`default_actors` when ``None``.
    """

    length: int  # always known, unlike a live source's

    def __init__(
        self,
        length: int = 150,
        fps: float = 15.0,
        size: tuple[int, int] = (640, 360),
        seed: int = 0,
        noise: float = 2.0,
        actors: list[Actor] | None = None,
    ) -> None:
        super().__init__(name="synthetic-street", fps=fps, length=length, size=size)
        self.seed = seed
        self.noise = noise
        self.actors = sorted(actors or default_actors(), key=lambda a: a.depth)
        self._scale = np.array([size[0] / 640, size[1] / 360, size[0] / 640, size[1] / 360])
        self._background = self._render_background()

    # --- drawing ------------------------------------------------------------------------------
    def _render_background(self) -> np.ndarray:
        width, height = self.size
        canvas = np.zeros((360, 640, 3), np.uint8)
        canvas[:60] = (230, 200, 170)  # sky
        for x0, x1, top, shade in (
            (0, 150, 20, 120),
            (150, 330, 40, 95),
            (330, 500, 10, 140),
            (500, 640, 35, 110),
        ):
            canvas[top:160, x0:x1] = (shade, shade + 5, shade + 15)
            for wx in range(x0 + 12, x1 - 20, 28):
                for wy in range(top + 12, 145, 30):
                    cv2.rectangle(canvas, (wx, wy), (wx + 14, wy + 18), (70, 60, 40), -1)
        canvas[160:215] = (175, 180, 180)  # far pavement
        canvas[215:300] = (80, 80, 85)  # road
        for x in range(0, 640, 60):
            cv2.rectangle(canvas, (x, 256), (x + 30, 259), (220, 220, 220), -1)
        canvas[300:] = (165, 170, 172)  # near pavement
        rng = np.random.default_rng(self.seed)
        texture = rng.normal(0.0, 6.0, canvas.shape)
        canvas = np.clip(canvas + texture, 0, 255).astype(np.uint8)
        return cv2.resize(canvas, (width, height), interpolation=cv2.INTER_AREA)

    def _shapes(self, actor: Actor, frame: int) -> list[tuple[str, tuple, tuple]]:
        """Drawing primitives ``(kind, geometry, colour)`` of one actor, in pixels."""
        x1, y1, x2, y2 = (actor.box(frame) * self._scale).round().astype(int)
        w, h = x2 - x1, y2 - y1
        if actor.kind == CAR:
            wheel = max(h // 5, 2)
            return [
                ("rect", ((x1, y1 + h // 3), (x2, y2 - wheel)), actor.colour),
                ("rect", ((x1 + w // 5, y1), (x2 - w // 4, y1 + h // 3)), (200, 180, 150)),
                ("circle", ((x1 + w // 5, y2 - wheel), wheel), (20, 20, 20)),
                ("circle", ((x2 - w // 5, y2 - wheel), wheel), (20, 20, 20)),
            ]
        head = max(w // 3, 2)
        stride = int(w * 0.25 * np.sin(frame * 0.6))  # legs swing as the person walks
        hip = y1 + int(h * 0.6)
        return [
            ("circle", ((x1 + w // 2, y1 + head), head), (140, 170, 210)),
            ("rect", ((x1, y1 + 2 * head), (x2, hip)), actor.colour),
            ("rect", ((x1 + w // 4 + stride, hip), (x1 + w // 2 + stride, y2)), (50, 40, 40)),
            ("rect", ((x1 + w // 2 - stride, hip), (x2 - w // 4 - stride, y2)), (50, 40, 40)),
        ]

    @staticmethod
    def _draw(image: np.ndarray, shapes: list[tuple[str, tuple, tuple]], value: int | None) -> None:
        for kind, geometry, colour in shapes:
            fill = colour if value is None else value
            if kind == "rect":
                cv2.rectangle(image, geometry[0], geometry[1], fill, -1)
            else:
                cv2.circle(image, geometry[0], geometry[1], fill, -1)

    def _pole(self) -> tuple[int, int, int]:
        """Lamp post columns ``left, right`` and its ``top`` row, scaled to the frame."""
        left, right = (np.array(_POLE_X) * self.size[0] / 640).round().astype(int)
        return int(left), int(max(right, left + 1)), int(40 * self.size[1] / 360)

    def labels(self, frame: int) -> np.ndarray:
        """Label map of ``frame`` (1-based): value ``k`` marks the visible pixels of actor ``k``."""
        labels = np.zeros(self.size[::-1], np.uint8)
        for actor in self.actors:
            if frame >= actor.start:
                self._draw(labels, self._shapes(actor, frame), actor.track_id)
        left, right, top = self._pole()
        labels[top:, left:right] = 0
        return labels

    def render(self, frame: int) -> np.ndarray:
        """The BGR image of ``frame`` (1-based), sensor noise included."""
        image = self._background.copy()
        for actor in self.actors:
            if frame >= actor.start:
                self._draw(image, self._shapes(actor, frame), None)
        left, right, top = self._pole()
        image[top:, left:right] = (45, 50, 55)
        if self.noise > 0:
            rng = np.random.default_rng((self.seed, frame))
            noise = rng.standard_normal(image.shape, dtype=np.float32)
            noise *= self.noise
            image = cv2.add(image, noise, dtype=cv2.CV_8U)  # rounds and saturates
        return image

    # --- FrameSource and ground truth ------------------------------------------------------------
    def __iter__(self) -> Iterator[np.ndarray]:
        for frame in range(1, self.length + 1):
            yield self.render(frame)

    def ground_truth(self) -> np.ndarray:
        """MOTChallenge gt rows ``frame, id, left, top, width, height, flag, class, visibility``."""
        width, height = self.size
        rows = []
        blank = np.zeros((height, width), np.uint8)
        for frame in range(1, self.length + 1):
            labels = self.labels(frame)
            counts = np.bincount(labels.ravel(), minlength=256)
            for actor in self.actors:
                if frame < actor.start:
                    continue
                full = blank.copy()
                self._draw(full, self._shapes(actor, frame), 1)
                x1, y1, x2, y2 = actor.box(frame) * self._scale
                area = actor.size[0] * actor.size[1] * self._scale[0] * self._scale[1]
                inside = full.sum()
                if inside == 0:
                    continue
                # Pixels drawn off-screen are lost by cv2; estimate them from the box overlap.
                on_screen = (min(x2, width) - max(x1, 0)) * (min(y2, height) - max(y1, 0)) / area
                visibility = counts[actor.track_id] / inside * min(max(on_screen, 0.0), 1.0)
                left, top = max(x1, 0.0), max(y1, 0.0)
                right, bottom = min(x2, width), min(y2, height)
                flag = 1 if visibility >= MIN_VISIBILITY else 0
                rows.append(
                    [
                        frame,
                        actor.track_id,
                        left,
                        top,
                        right - left,
                        bottom - top,
                        flag,
                        actor.kind,
                        round(float(visibility), 3),
                    ]
                )
        return np.array(rows, dtype=np.float64).reshape(-1, 9)

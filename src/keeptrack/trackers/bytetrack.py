"""ByteTrack: multi-object tracking by associating every detection box (Zhang et al., ECCV 2022).

BYTE keeps low-score boxes instead of throwing them away: occluded objects often still produce a
weak detection, and matching it to an existing track keeps the identity alive. Each frame:

1. Predict tracked and lost tracks (XYAH Kalman; lost tracks keep their height fixed).
2. Split detections into high (``score > high_conf_det_threshold``) and low
   (``low_conf_det_threshold < score < high_conf_det_threshold``) boxes. Optionally (off by
   default here, on in BoT-SORT; not in the paper) a low box scoring at least
   ``promote_score_threshold`` that overlaps a tracked or lost track's prediction with IoU above
   ``promote_iou_threshold`` counts as high: occlusion lowers a detector's score exactly where
   a track already is, and such a box is almost surely that track's object.
3. First association: high boxes against tracked + lost tracks on IoU distance fused with the
   detection score, accepting pairs with IoU above ``minimum_iou_threshold``.
4. Second association: still-unmatched *tracked* tracks against low boxes on plain IoU distance
   (IoU above ``second_iou_threshold``, 0.5 in the paper); tracks left over become lost.
5. Unconfirmed (tentative) tracks against the remaining high boxes (IoU above
   ``unconfirmed_iou_threshold``, distance 0.7 in the reference); unmatched tentative tracks
   are removed.
6. Remaining high boxes scoring at least ``track_activation_threshold`` start tentative tracks
   (confirmed at once on the first frame, as in the reference). Ids are handed out on
   confirmation, so reported ids have no gaps; ``ids_at_birth=True`` hands them out at birth
   instead, as the reference and Ultralytics do (a tentative track that dies takes its id
   with it).
7. Lost tracks older than ``lost_track_buffer * frame_rate / 30`` frames are removed, and
   tracked/lost pairs overlapping with IoU above 0.85 keep only the longer-lived track.

Parameter names follow Roboflow ``trackers``; the reference code's names map as:

==============================  ==================================  =========
keeptrack                       ByteTrack reference                 default
==============================  ==================================  =========
``high_conf_det_threshold``     ``track_thresh``                    0.6
``track_activation_threshold``  ``det_thresh`` (track_thresh + 0.1)  0.7
``low_conf_det_threshold``      the hard-coded low floor            0.1
``minimum_iou_threshold``       ``1 - match_thresh``                0.1
``second_iou_threshold``        ``1 - 0.5`` (second association)     0.5
``unconfirmed_iou_threshold``   ``1 - 0.7`` (unconfirmed tracks)     0.3
``lost_track_buffer``           ``track_buffer``                    30
``minimum_consecutive_frames``  frames to confirm (reference: 2)    2
``fuse_score``                  ``not mot20``                       True
``promote_iou_threshold``       (not in the paper)                  None
``ids_at_birth``                ids at ``activate`` (reference)     False
==============================  ==================================  =========
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

import numpy as np
from numba import njit

from keeptrack.appearance.features import check_embeddings, check_model, detection_features
from keeptrack.appearance.gallery import appearance_distance, ema_update
from keeptrack.appearance.reid import ReidMemory
from keeptrack.association.assignment import assign
from keeptrack.detections import ArrayInput, DetectionArrays
from keeptrack.motion.cmc import CameraMotion
from keeptrack.motion.kalman import KalmanXYAH
from keeptrack.stages.boxes import SCORE, XYWH, detection_boxes, iou_matrix, track_boxes
from keeptrack.stages.costs import NO_APPEARANCE, pair_costs, with_appearance
from keeptrack.stages.kalman import correct, predict_tracks
from keeptrack.stages.lifecycle import (
    compact,
    confirm,
    duplicates,
    give_ids,
    reported,
    start_tracks,
    unmatched,
)
from keeptrack.trackers.base import BaseTracker, appearance_model, frames_from_buffer
from keeptrack.trackers.tracks import LOST, TENTATIVE, TRACKED
from keeptrack.validation import check_range

if TYPE_CHECKING:
    import supervision as sv


class ByteTrackTracker(BaseTracker):
    """ByteTrack (BYTE association) with a batched XYAH Kalman filter.

    Args:
        lost_track_buffer: Frames (at 30 fps) a lost track is kept for re-identification
            (reference: ``track_buffer``).
        frame_rate: Frame rate of the stream; scales ``lost_track_buffer``.
        track_activation_threshold: Smallest score that starts a new track (reference:
            ``det_thresh``).
        minimum_consecutive_frames: Matches before a new track is confirmed and reported.
        minimum_iou_threshold: Smallest score-fused IoU accepted in the first association
            (reference: ``1 - match_thresh``).
        high_conf_det_threshold: Boundary between high and low score boxes (reference:
            ``track_thresh``).
        low_conf_det_threshold: Boxes at or below this score are ignored.
        second_iou_threshold: Smallest IoU accepted when matching low score boxes.
        unconfirmed_iou_threshold: Smallest score-fused IoU accepted for tentative tracks.
        fuse_score: Multiply IoU by detection score in the first and third associations
            (the reference does this except on MOT20).
        promote_iou_threshold: Treat a box scoring at least ``promote_score_threshold`` (but
            not above ``high_conf_det_threshold``) as a high-score box when it overlaps a
            tracked or lost track's prediction with IoU above this: it then joins the first
            association (with its own score in the fused cost) but still never starts a track.
            ``None`` keeps the paper's plain score split. On MOT17 with box camera motion,
            0.8 raises ByteTrack's HOTA by 0.2-0.3 on both halves (BENCHMARKS.md).
        promote_score_threshold: Smallest score a box needs to be promoted.
        feature_extractor: Appearance model (``dim`` and ``embed(frame, boxes)``, e.g.
            ``ReIDModel``) for BoT-SORT-style fusion in the first association; ``None`` keeps
            plain ByteTrack.
        reid_model: Another name for ``feature_extractor`` (BoT-SORT's, boxmot's).
        appearance_threshold: Largest appearance distance (cosine distance / 2, BoT-SORT's
            ``appearance_thresh``) at which appearance may vouch for a pair.
        proximity_iou_threshold: Smallest IoU at which appearance may vouch for a pair
            (BoT-SORT: ``1 - proximity_thresh``, 0.5), so look-alikes far apart are never
            matched. With the generic ImageNet MobileNetV2 a looser 0.1 let appearance swap
            people walking side by side (benchmarks/appearance.py).
        feature_momentum: Weight of the old feature in each track's EMA (BoT-SORT's alpha).
        reid_threshold: Largest appearance distance (cosine / 2) at which a new track is
            re-identified as a track lost earlier and gets its id back (long-term re-ID after
            occlusion, :mod:`keeptrack.appearance.reid`); 0 turns it off. The new track must
            also start after the old one ended, lie within walking reach of where it was last
            seen and have a similar size.
        reid_ratio: A new track is re-identified only if its nearest lost identity is nearer
            than ``reid_ratio`` times the second nearest (ambiguous look-alikes are left alone).
        reid_track_buffer: Frames (at 30 fps) after it was last seen during which an identity
            can still be re-identified; its lost track itself is dropped after
            ``lost_track_buffer`` as in plain ByteTrack.
            The appearance defaults (0.05, 0.5, 0.09, 0.8, 150) suit the generic ImageNet
            MobileNetV2 default model (benchmarks/appearance.py); BoT-SORT's appearance
            threshold of 0.25 assumes a person-ReID model.
        class_aware: Only match detections to tracks of the same class.
        cmc: Camera motion compensation: ``None``, a method name (``"sparse_flow"``, ``"orb"``,
            ``"sift"``, ``"ecc"``; ``"boxes"`` works without frames) or a
            :class:`~keeptrack.motion.cmc.CameraMotion` object.
        return_unmatched: Return every detection, not only the tracked ones: rows no
            confirmed track owns get ``tracker_id`` -1 (Roboflow ``trackers``' convention).
        ids_at_birth: Give a track its id when it starts (the reference's and Ultralytics'
            numbering: a tentative track that is never confirmed uses up an id, so reported
            ids have gaps) instead of when it is confirmed (ids without gaps). Only the
            numbers change, never which detections are tracked together. Not with a
            ``feature_extractor`` and ``reid_threshold > 0``: re-identification renumbers
            the ids handed out at confirmation.
        reference_lost_pool: Keep the reference code's bookkeeping of lost tracks (the MIT
            ByteTrack and Ultralytics): it puts an expired track on its removed list but drops
            it from its lost pool only a frame later, so the track can still be matched in the
            frame after its buffer ran out; such a late re-find stays on the removed list and
            is deleted the next time it is lost, instead of getting a fresh buffer (off).
    """

    _det_features: np.ndarray | None  # this frame's embeddings, during update only

    def __init__(
        self,
        lost_track_buffer: int = 30,
        frame_rate: float = 30.0,
        track_activation_threshold: float = 0.7,
        minimum_consecutive_frames: int = 2,
        minimum_iou_threshold: float = 0.1,
        high_conf_det_threshold: float = 0.6,
        low_conf_det_threshold: float = 0.1,
        second_iou_threshold: float = 0.5,
        unconfirmed_iou_threshold: float = 0.3,
        fuse_score: bool = True,
        promote_iou_threshold: float | None = None,
        promote_score_threshold: float = 0.5,
        feature_extractor: Any = None,
        reid_model: Any = None,
        appearance_threshold: float = 0.05,
        proximity_iou_threshold: float = 0.5,
        feature_momentum: float = 0.9,
        reid_threshold: float = 0.09,
        reid_ratio: float = 0.8,
        reid_track_buffer: int = 150,
        class_aware: bool = False,
        cmc: str | CameraMotion | None = None,
        return_unmatched: bool = False,
        ids_at_birth: bool = False,
        reference_lost_pool: bool = False,
    ) -> None:
        feature_extractor = appearance_model(
            feature_extractor, reid_model, "feature_extractor", "reid_model"
        )
        if feature_extractor is not None:
            check_model(feature_extractor, "feature_extractor")
        self.appearance_threshold = check_range("appearance_threshold", appearance_threshold, 0, 1)
        self.proximity_iou_threshold = check_range(
            "proximity_iou_threshold", proximity_iou_threshold, 0, 1
        )
        self.feature_momentum = check_range("feature_momentum", feature_momentum, 0, 1)
        self.reid_threshold = check_range("reid_threshold", reid_threshold, 0, 1)
        self.reid_ratio = check_range("reid_ratio", reid_ratio, 0, 1)
        self.reid_track_buffer = int(check_range("reid_track_buffer", reid_track_buffer, 0))
        self._store_lifecycle_params(
            lost_track_buffer,
            track_activation_threshold,
            minimum_consecutive_frames,
            minimum_iou_threshold,
        )
        self.high_conf_det_threshold = check_range(
            "high_conf_det_threshold", high_conf_det_threshold, 0, 1
        )
        self.low_conf_det_threshold = check_range(
            "low_conf_det_threshold", low_conf_det_threshold, 0, self.high_conf_det_threshold
        )
        self.second_iou_threshold = check_range("second_iou_threshold", second_iou_threshold, 0, 1)
        self.unconfirmed_iou_threshold = check_range(
            "unconfirmed_iou_threshold", unconfirmed_iou_threshold, 0, 1
        )
        self.fuse_score = bool(fuse_score)
        self.ids_at_birth = bool(ids_at_birth)
        self.reference_lost_pool = bool(reference_lost_pool)
        if self.ids_at_birth and feature_extractor is not None and self.reid_threshold > 0:
            raise ValueError("ids_at_birth=True needs reid_threshold=0 (re-ID renumbers new ids)")
        self.promote_iou_threshold = (
            None
            if promote_iou_threshold is None
            else check_range("promote_iou_threshold", promote_iou_threshold, 0, 1)
        )
        self.promote_score_threshold = check_range(
            "promote_score_threshold", promote_score_threshold, 0, 1
        )
        self.feature_extractor = self.reid_model = feature_extractor
        self.kalman = KalmanXYAH()
        super().__init__(
            frame_rate, class_aware=class_aware, cmc=cmc, return_unmatched=return_unmatched
        )
        self.max_time_lost = frames_from_buffer(self.lost_track_buffer, self.frame_rate)
        self._reid_max_age = frames_from_buffer(self.reid_track_buffer, self.frame_rate)

    def _max_skipped_frames(self) -> int:
        return self.max_time_lost + 1

    # --- appearance (only with a feature_extractor) ---------------------------------------------
    @overload
    def update(
        self,
        detections: sv.Detections,
        frame: np.ndarray | None = None,
        timestamp: float | None = None,
        embeddings: Any = None,
        *,
        box_format: str | None = None,
        on_invalid: str = "raise",
    ) -> sv.Detections: ...

    @overload
    def update(
        self,
        detections: ArrayInput | None,
        frame: np.ndarray | None = None,
        timestamp: float | None = None,
        embeddings: Any = None,
        *,
        box_format: str | None = None,
        on_invalid: str = "raise",
    ) -> np.ndarray: ...

    def update(
        self,
        detections: Any,
        frame: Any = None,
        timestamp: float | None = None,
        embeddings: Any = None,
        *,
        box_format: str | None = None,
        on_invalid: str = "raise",
    ) -> Any:
        """As :meth:`BaseTracker.update`; with a ``feature_extractor`` the high-score boxes are
        embedded from ``frame`` first (or taken from ``embeddings``, ``(N, D)``, one per
        detection), so bad input fails before any state changes."""
        if self.feature_extractor is None:
            if embeddings is not None:
                raise ValueError("embeddings need ByteTrackTracker(feature_extractor=...)")
            return super().update(
                detections, frame, timestamp, box_format=box_format, on_invalid=on_invalid
            )
        batch = self._read_detections(detections, box_format, on_invalid)
        # Every box that can reach the first association, promoted ones included, has an
        # appearance; the low boxes of the second association have none, as in BoT-SORT (its
        # low-score detections carry no feature), so given embeddings and embedded frames
        # track alike.
        first_stage = batch.confidence > self.high_conf_det_threshold
        if self.promote_iou_threshold is not None:
            first_stage |= batch.confidence >= self.promote_score_threshold
        if embeddings is not None:
            dim = self.feature_extractor.dim
            given = batch.take(check_embeddings(embeddings, batch.input_count, dim))
            features = np.where(first_stage[:, None], given, np.float32(0.0))
        else:
            rows = np.flatnonzero(first_stage)
            features = detection_features(self.feature_extractor, frame, batch.xyxy, rows)
        self._det_features = features
        self._first_new_id = self._next_id
        try:
            return self._update_batch(batch, frame, timestamp, on_invalid)
        finally:
            self._det_features = None

    def reset(self) -> None:
        """Forget every track and the re-identification memory, and restart ids at 1."""
        super().reset()
        self._memory = ReidMemory()

    def _extra_state(self) -> dict[str, Any]:
        if self.feature_extractor is None:
            return {}
        return {"reid_memory": self._memory.state_dict()}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        self._memory = ReidMemory()
        self._memory.load_state_dict(state.get("reid_memory", {}))

    def _reidentify(self) -> None:
        """Give tracks new this frame the id of a lost identity they match, then remember
        every identity matched now (see :mod:`keeptrack.appearance.reid`)."""
        t, memory, frame = self._table, self._memory, self.frame_id
        memory.forget(frame - memory.last <= self._reid_max_age)
        state, ids = t["state"], t["track_id"]
        fresh = (state == TENTATIVE) & (t["start_frame"] == frame)
        fresh = np.flatnonzero(fresh | (ids >= self._first_new_id))
        pairs = memory.match(
            t["feature"][fresh],
            self.kalman.to_xyxy(t["mean"][fresh]),
            t["start_frame"][fresh],
            frame,
            self.frame_rate,
            ids[(state != LOST) & (ids >= 0)],
            self.reid_threshold,
            self.reid_ratio,
        )
        if len(pairs):
            rows, slots = fresh[pairs[:, 0]], pairs[:, 1]
            keep = ~np.isin(ids, memory.ids[slots])  # the old identities' lost rows
            keep[rows] = True
            ids[rows] = memory.ids[slots]
            state[rows] = TRACKED
            t["start_frame"][rows] = memory.start[slots]
            t["feature"][rows] = ema_update(
                memory.features[slots], t["feature"][rows], self.feature_momentum
            )
            # Ids handed out this frame stay contiguous without the re-identified tracks.
            given = np.flatnonzero(ids >= self._first_new_id)
            given = given[np.argsort(ids[given])]
            ids[given] = np.arange(self._first_new_id, self._first_new_id + len(given))
            self._next_id = self._first_new_id + len(given)
            t.keep(keep)
        now = np.flatnonzero((t["state"] == TRACKED) & (t["last_frame"] == frame))
        memory.remember(
            t["track_id"][now],
            t["feature"][now],
            self.kalman.to_xyxy(t["mean"][now]),
            frame,
            t["start_frame"][now],
        )

    def _extra_columns(self) -> dict[str, tuple[tuple[int, ...], type]]:
        # refound_late: re-found after its buffer ran out (see reference_lost_pool).
        columns: dict[str, tuple[tuple[int, ...], type]] = {"refound_late": ((), np.bool_)}
        if self.feature_extractor is not None:
            columns["feature"] = ((self.feature_extractor.dim,), np.float32)
        return columns

    def _appearance(self) -> np.ndarray:
        """BoT-SORT's appearance distance (cosine / 2) of every track to every detection, 1
        (never usable) where either side has no feature; an empty matrix without a model."""
        if self.feature_extractor is None:
            return NO_APPEARANCE
        tracks, dets = self._table["feature"], self._det_features
        assert dets is not None  # update embeds the frame before the step runs
        appearance = appearance_distance(tracks, dets) / 2.0
        appearance[~np.any(tracks, axis=1)] = 1.0
        appearance[:, ~np.any(dets, axis=1)] = 1.0
        return np.ascontiguousarray(appearance, dtype=np.float64)

    def _update_features(self) -> None:
        """After the step: new tracks take their box's feature, matched ones blend it in
        (EMA, ``feature_momentum``); boxes that were not embedded change nothing."""
        t, frame, dets = self._table, self.frame_id, self._det_features
        assert dets is not None  # called from update, with a feature_extractor
        rows = np.flatnonzero(t["last_frame"] == frame)
        feats = dets[t["det_index"][rows]]
        born = t["start_frame"][rows] == frame
        t["feature"][rows[born]] = feats[born]
        old = ~born & np.any(feats, axis=1)
        t["feature"][rows[old]] = ema_update(
            t["feature"][rows[old]], feats[old], self.feature_momentum
        )

    def _step(self, detections: DetectionArrays, frame: np.ndarray | None):
        with_features = self.feature_extractor is not None
        out = self._run_step(
            byte_step,
            detections,
            self.kalman.model,
            self.kalman.noise,
            float(self.low_conf_det_threshold),
            float(self.high_conf_det_threshold),
            float(self.track_activation_threshold),
            float(1.0 - self.minimum_iou_threshold),
            float(1.0 - self.second_iou_threshold),
            float(1.0 - self.unconfirmed_iou_threshold),
            float(np.inf if self.promote_iou_threshold is None else self.promote_iou_threshold),
            float(self.promote_score_threshold),
            bool(self.fuse_score),
            bool(self.class_aware),
            int(self.minimum_consecutive_frames),
            int(self.max_time_lost),
            self._appearance(),
            float(self.appearance_threshold),
            float(self.proximity_iou_threshold),
            not with_features or self.reid_threshold == 0,
            bool(self.ids_at_birth),
            bool(self.reference_lost_pool),
            extra_columns=("refound_late", "feature") if with_features else ("refound_late",),
        )
        if not with_features:
            return out
        self._update_features()
        if self.reid_threshold > 0:
            self._reidentify()
            # The step's own duplicate stage, run after re-identification, on the same boxes.
            t = self._table
            oriented = self._kind is not None and self._kind.oriented
            boxes = track_boxes(t["mean"], t["angle"], len(t), self.kalman.model, oriented)
            keep = ~duplicates(t["state"], boxes, t["last_frame"] - t["start_frame"])
            t.keep(keep)
        rows = reported(
            self._table["state"], self._table["last_frame"], len(self._table), self.frame_id
        )
        return self._table["det_index"][rows], self._table["track_id"][rows]


@njit(cache=True)
def high_boxes(scores, iou, pool, high_threshold, promote_iou, promote_score):
    """Candidates for the first association: high scores, and boxes promoted by overlapping a
    tracked or lost track's prediction with IoU above ``promote_iou``."""
    high = scores > high_threshold
    for c in range(len(scores)):
        if high[c] or scores[c] < promote_score:
            continue
        for r in pool:
            if iou[r, c] > promote_iou:
                high[c] = True
                break
    return high


@njit(cache=True)
def byte_step(
    columns,
    n,
    det,
    frame_id,
    next_id,
    oriented,
    model,
    noise,
    low_threshold,
    high_threshold,
    activation_threshold,
    first_limit,
    second_limit,
    third_limit,
    promote_iou,
    promote_score,
    fuse,
    class_aware,
    minimum_consecutive_frames,
    max_time_lost,
    appearance,
    appearance_threshold,
    proximity_iou,
    remove_duplicates,
    ids_at_birth,
    reference_lost_pool,
):
    """One BYTE frame, in place (arguments as :meth:`BaseTracker._run_step` passes them;
    association limits are costs, ``1 - IoU threshold``; ``promote_iou`` is ``inf`` when
    promotion is off; ``appearance`` is tracks x detections or empty)."""
    track_id, state, mean, cov, _, class_id, start_frame, last_frame, hits = columns[:9]
    angle, angle_cov, refound_late = columns[10], columns[11], columns[12]
    live = state[:n]
    candidates = np.flatnonzero(det[:, SCORE] > low_threshold)
    cand_score = det[candidates, SCORE]
    pool = np.flatnonzero(live != TENTATIVE)
    tentative = np.flatnonzero(live == TENTATIVE)

    # 1. Predict tracked and lost tracks; lost ones keep their size fixed.
    for r in pool:
        if state[r] == LOST:
            mean[r, 7] = 0.0
            if model == XYWH:
                mean[r, 6] = 0.0
    predict_tracks(mean, cov, angle, angle_cov, pool, model, noise, oriented)

    # 2. Split the boxes into high (promoted ones included) and low; one IoU matrix (all
    # tracks x usable boxes) serves all three associations.
    iou = iou_matrix(
        track_boxes(mean, angle, n, model, oriented), detection_boxes(det, candidates, oriented)
    )
    is_high = high_boxes(cand_score, iou, pool, high_threshold, promote_iou, promote_score)
    high_c = np.flatnonzero(is_high)
    low_c = np.flatnonzero(~is_high & (cand_score < high_threshold))
    high, low = candidates[high_c], candidates[low_c]

    # 3. First association: high boxes x tracked and lost tracks, score-fused IoU (+ appearance).
    first = pair_costs(iou, pool, high_c, det, high, fuse, class_aware, class_id)
    if appearance.shape[0] > 0:
        with_appearance(
            first, iou, pool, high_c, high, appearance, appearance_threshold, proximity_iou
        )
    m1 = assign(first, first_limit)
    # 4. Second association: still-unmatched tracked tracks x low boxes, plain IoU.
    remaining = pool[(m1 < 0) & (state[pool] == TRACKED)]
    second = pair_costs(iou, remaining, low_c, det, low, False, class_aware, class_id)
    m2 = assign(second, second_limit)
    # 5. Tentative tracks x the high boxes left.
    high_free = unmatched(m1, len(high_c))
    high_rest_c, high_rest = high_c[high_free], high[high_free]
    third = pair_costs(iou, tentative, high_rest_c, det, high_rest, fuse, class_aware, class_id)
    m3 = assign(third, third_limit)

    matched_pool = np.concatenate((pool[m1 >= 0], remaining[m2 >= 0]))
    matched_tentative = tentative[m3 >= 0]
    rows = np.concatenate((matched_pool, matched_tentative))
    dets = np.concatenate((high[m1[m1 >= 0]], low[m2[m2 >= 0]], high_rest[m3[m3 >= 0]]))
    if reference_lost_pool:  # matched in the frame after its buffer ran out
        late = matched_pool[frame_id - last_frame[matched_pool] > max_time_lost]
        refound_late[late] = True
    correct(columns, rows, dets, det, model, noise, frame_id, oriented)
    next_id = confirm(matched_pool, state, track_id, next_id)
    confirmed = matched_tentative[hits[matched_tentative] >= minimum_consecutive_frames]
    next_id = confirm(confirmed, state, track_id, next_id)
    for r in remaining[m2 < 0]:
        state[r] = LOST

    # 6. Remove unmatched tentative tracks and expired lost ones, then start tracks from the
    # high boxes left that score enough.
    removed = (state[:n] == LOST) & (frame_id - last_frame[:n] > max_time_lost)
    removed |= (state[:n] == LOST) & refound_late[:n]  # on the reference's removed list
    removed[tentative[m3 < 0]] = True
    spawn = high_rest[unmatched(m3, len(high_rest))]
    spawn = spawn[det[spawn, SCORE] >= activation_threshold]
    size = compact(columns, removed)
    start_tracks(columns, size, spawn, det, model, noise, frame_id)
    refound_late[size : size + len(spawn)] = False
    if ids_at_birth:
        next_id = give_ids(np.arange(size, size + len(spawn)), track_id, next_id)
    if frame_id == 1 or minimum_consecutive_frames <= 1:
        next_id = confirm(np.arange(size, size + len(spawn)), state, track_id, next_id)
    size += len(spawn)

    # 7. Of a tracked/lost pair on one object, keep the longer-lived track (after re-ID, when
    # the tracker re-identifies).
    if remove_duplicates:
        duration = last_frame[:size] - start_frame[:size]
        boxes = track_boxes(mean, angle, size, model, oriented)
        size = compact(columns, duplicates(state[:size], boxes, duration))
    out = reported(state, last_frame, size, frame_id)
    return size, next_id, columns[9][out], track_id[out]

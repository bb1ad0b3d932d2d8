"""Ultralytics' tracker call shape: ``BYTETracker`` and ``BOTSORT``, the same tracks.

Code written against ``ultralytics.trackers`` keeps working by changing one import::

    from keeptrack.compat.ultralytics import BYTETracker

    tracker = BYTETracker("bytetrack.yaml")  # or a namespace or a dict of its keys
    for result in model.predict(source, stream=True):
        rows = tracker.update(result.boxes.cpu().numpy(), result.orig_img)
        # rows: [x1, y1, x2, y2, track_id, score, cls, idx] per activated track

With Ultralytics' defaults (``gmc_method: none`` for ``BOTSORT``, ``with_reid: False``) the rows
are those of Ultralytics 8.4's own trackers, frame by frame, in the same order, with the same
Kalman boxes (``tests/test_ultralytics_parity.py`` runs both on the MOT17 val half), at tens
of times the speed. Nothing here implements BYTE a second time: the args are mapped onto
:class:`~keeptrack.trackers.bytetrack.ByteTrackTracker` (``BYTETracker``) or
:class:`~keeptrack.trackers.botsort.BoTSORTTracker` (``BOTSORT``), whose options reproduce
Ultralytics' choices, and this module only converts inputs and outputs:

=====================  ================================================  ==========================
Ultralytics arg        keeptrack parameter                               default (bytetrack.yaml)
=====================  ================================================  ==========================
``track_high_thresh``  ``high_conf_det_threshold`` (``>=``, not ``>``)   0.25
``track_low_thresh``   ``low_conf_det_threshold``                        0.1
``new_track_thresh``   ``track_activation_threshold``                    0.25
``track_buffer``       ``lost_track_buffer`` (scaled by ``frame_rate``)  30
``match_thresh``       ``1 - minimum_iou_threshold``                     0.8
``fuse_score``         ``fuse_score``                                    True
``gmc_method``         ``cmc`` (``BOTSORT``; ``sparseOptFlow`` ->        ``sparseOptFlow``
                       ``"sparse_flow"``, ``none`` -> ``None``)
``proximity_thresh``   ``1 - proximity_iou_threshold`` (``BOTSORT``)     0.5
``appearance_thresh``  ``1 - appearance_threshold`` (``BOTSORT``)        0.8
``with_reid``          appearance from ``feats`` (``BOTSORT``)           False
=====================  ================================================  ==========================

The fixed parts of Ultralytics' BYTE are keeptrack options too: ids handed out at birth
(``ids_at_birth=True``), the second association at IoU 0.5 and unconfirmed tracks at 0.3, and
no score promotion. ``BOTSORT`` keeps keeptrack's XYWH Kalman filter, as Ultralytics does.

Where the two differ on purpose: ids count per tracker (as in Ultralytics 8.4; ``reset_id()``
restarts them), ``frame_rate`` scales ``track_buffer`` as ByteTrack does (Ultralytics 8.4 takes
no frame rate, which is ``frame_rate=30`` here), the camera-motion estimators are keeptrack's
own (:mod:`keeptrack.motion.camera`), and oriented boxes are compared with keeptrack's exact
rotated IoU (Ultralytics uses ProbIoU), so OBB tracks can differ. Everything keeptrack's
trackers add is one keyword away: ``BYTETracker(args, promote_iou_threshold=0.8,
cmc="boxes")``.
"""

from keeptrack.compat.ultralytics.args import BOTSORT_ARGS, BYTETRACK_ARGS
from keeptrack.compat.ultralytics.bridge import UltralyticsAdapter, register_tracker
from keeptrack.compat.ultralytics.trackers import BOTSORT, BYTETracker

__all__ = [
    "BOTSORT",
    "BOTSORT_ARGS",
    "BYTETRACK_ARGS",
    "BYTETracker",
    "UltralyticsAdapter",
    "register_tracker",
]

"""The compiled stages every tracker's frame step is built from, named as the papers name them.

A tracking frame is a few hundred tiny array operations; written with NumPy, per-call overhead
rather than arithmetic sets the frame rate. Each tracker therefore runs its whole frame as one
Numba-compiled function (its ``step``, in the tracker's own file), composed of these stages:

- **predict**: :func:`keeptrack.motion.kalman.predict_inplace` and :func:`predict_tracks` here;
- **cost matrices** (:mod:`.costs`): IoU on either box kind (:mod:`.boxes`, rotated IoU
  included), score fusion, the class gate, appearance distances given as a matrix;
- **gated assignment**: :func:`keeptrack.association.assignment.assign`;
- **Kalman correction**, **births, confirmation, removal and compaction** (:mod:`.lifecycle`).

One step serves axis-aligned boxes, oriented boxes and appearance: the box kind only changes
which boxes the costs see (:mod:`.boxes`), and appearance enters as a distance matrix computed
before the step. With ``NUMBA_DISABLE_JIT=1`` the same functions run as plain Python.
"""

"""The ``keeptrack`` command line."""

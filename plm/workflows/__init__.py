"""Workflows: reading, night splitting, detection and scoring put together.

The Python API (``plm.score``), ``plm batch``, ``plm study`` and ``plm report``
are built here from the layers below (see ``docs/design.md``).
"""

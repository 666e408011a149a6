"""The model layer: the objects a night passes through.

:class:`~plm.model.recording.Recording` (raw signals), :class:`~plm.model.events.LegMovements`
(monolateral LMs) and :class:`~plm.model.result.NightResult` (the scored night). These
modules import nothing of ``plm`` but the utilities (see ``docs/design.md``).
"""

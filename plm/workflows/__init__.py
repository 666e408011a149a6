"""Workflows: the layers below put together for the API and every command.

:mod:`.reading` (``ReadOptions``, reading a night's files) and
:mod:`.night_scoring` (read, cut into nights, detect, score: the one path of
``plm.score``, ``plm.score_nights`` and every command), :mod:`.batch`,
:mod:`.study`, :mod:`.report`, :mod:`.file_info` (``plm info``) and
:mod:`.convert` (``plm convert``). See ``docs/design.md``.
"""

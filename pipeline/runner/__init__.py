"""The runner's parts: the stage plan, the per-stage cache, publishing and the manifest.

:mod:`pipeline.run` wires them; see each module's docstring.
"""

from .plan import STAGES, Stage, planned_stages

__all__ = ["STAGES", "Stage", "planned_stages"]

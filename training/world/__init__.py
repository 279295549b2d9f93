"""The synthetic world (issue 2 §5): firms, parks, needs, events and outcomes, with the truth.

``generate_world`` draws a world from the reference data and a seed; ``write_world`` writes it
as the import files plus truth/; ``load_truth`` reads the truth back; ``true_utility``
recomputes the latent utility of any pairs (documented in :mod:`training.world.utility`).
"""

from training.world.generate import STEPS, World, generate_world
from training.world.utility import Truth, UtilityParams, true_utility
from training.world.writer import load_truth, write_world

__all__ = [
    "STEPS",
    "Truth",
    "UtilityParams",
    "World",
    "generate_world",
    "load_truth",
    "true_utility",
    "write_world",
]

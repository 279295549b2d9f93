"""The synthetic world: firms, parks, needs, events and outcomes, with the truth.

``generate_world`` draws a world from the reference data and a seed; ``write_world`` writes it
as the import files plus truth/; ``load_truth`` reads the truth back; ``true_utility``
recomputes the latent utility of any pairs (documented in :mod:`training.world.utility`
and, per variant, :mod:`training.world.variants`); ``expected_grade`` and
``true_grades_for_query`` give the expected funnel grade of any pair (the true grade the
benchmarks score lists against).
"""

from training.world.generate import STEPS, World, generate_world
from training.world.grades import eligible_candidates, expected_grade, true_grades_for_query
from training.world.utility import Truth, UtilityParams, true_utility
from training.world.variants import VARIANTS, WorldVariant, get_variant
from training.world.writer import load_truth, write_world

__all__ = [
    "STEPS",
    "VARIANTS",
    "Truth",
    "UtilityParams",
    "World",
    "WorldVariant",
    "eligible_candidates",
    "expected_grade",
    "generate_world",
    "get_variant",
    "load_truth",
    "true_grades_for_query",
    "true_utility",
    "write_world",
]

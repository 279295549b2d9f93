"""World variants: structurally different utilities, funnels and label biases.

``generate_world(..., variant=NAME)`` draws the same kind of world (firms, parks, needs,
events, monthly lists) but with the variant's utility, text effects, exposure rule, position
bias, reciprocity and recording lag. ``standard`` is exactly the world documented in
:mod:`training.world.utility` (same seed, same files). Nothing outside training/world reads
these parameters: the import files show only what a real office would record.

Every term is computed from the import files (enterprises, parks, needs; ties from
outcomes) and the reference data, except the hidden per-firm factor ``h`` and the noise.
Notation (see :mod:`training.world.forms`): ``chain``, ``io``, ``paired``, ``need``, ``tie``,
``quality`` and ``size_fit`` (Gaussian in log difference) as in the standard world;
``near = exp(-d / s)``; ``size_tri`` an asymmetric triangle in ``r = log(supplier revenue /
buyer revenue)`` with its peak at ``r = log(0.2)`` (a supplier a fifth of the buyer's size),
0 at 2.5 log units below and 1.2 above (investor pairs keep the logistic of today);
``cap_have`` / ``cap_lack`` the shares of the capabilities the buyer's needs (stated before
``t``, "要求具备…能力") require that the supplying firm's products do / do not name;
``pref`` 1 if the buyer's needs say "优先考虑专精特新企业" and the supplying firm is 专精特新,
or say "优先在皖北就近布局产能" and it is in a Wanbei city (a firm's preference is a trait:
it pays on every date, also before the need stating it; parks state only the first one);
``kw_wb`` 1 if a product item of the supplying firm appears in a need text of the buyer
stated before ``t`` *and* the supplying firm is in a Wanbei city (investor pairs: never, the
investors are 沪苏浙 firms); ``sh_other`` 1 if the pair is not paired but one side is a
Shanghai district and the other side's partner is another Shanghai district; ``cobuilt``
(investor pairs) 1 if the park is a 省际合作园区 whose partner city is the firm's city, 0.3 if a
catalogue park whose partner city is the firm's city, else 0; ``national`` / ``srdi`` the
supplying firm is national / any-level 专精特新.

Funnel (all variants): as in the standard world, with the variant's noise ``e ~ N(0, σ²)``
and centre ``c`` (the median noise-free utility of the shown pairs, so rates stay
comparable; stored in truth/params.json). Contact gets ``-γ (ln position - mean ln
position)`` added to its logit (position bias, position 1 = top of the shown list, centred
on the lists' mean log position so that rates stay comparable; the expected grades of
:mod:`training.world.grades` are those at that reference position). Reciprocity variants decide the
"accept meeting" step with the candidate's own view ``v + e'`` (``e' ~ N(0, σ_v²)``, centre
its median) instead of ``u + e``. A recording lag ``L ~ Exp(mean λ days)`` per occasion
hides every stage dated after ``end - L`` (so the last weeks are thinner; stages after the
data end are never written). Shown lists (all variants but standard) come from a rule that
drifts linearly over the window from ``rule_early`` to ``rule_late`` (scores below, plus a
Gumbel draw of temperature ``τ``; the list is the top 20–50, the position its rank):
``chain`` = the chain term + 0.3 io, ``place`` = near + 0.5 paired + 0.5 Wanbei candidate,
``size`` = z-scored log revenue of the candidate, ``prominence`` = 0.5 z(log revenue) +
listed + 0.5 专精特新 + leading.

Variants
--------
standard
    ``u = 1.6 chain + 0.6 io + 0.8 near + 0.6 paired + 0.5 size_fit + 0.4 quality + 0.7 need
    + 0.8 tie + 0.5 h``; σ = 0.6; lists 60 % same chain, 40 % random; no position bias, no
    lag.
capability (additive)
    ``u = 1.4 chain + 0.5 io + 0.6 near + 0.5 paired + 0.9 size_tri + 0.3 quality + 0.5 need
    + 1.0 cap_have - 0.9 cap_lack + 0.8 tie + 0.5 h``; σ = 0.6; rule chain → place+size;
    γ = 0.3; λ = 25 days. 60 % of needs require a capability; a chain firm has each of
    its chain's two capabilities with probability 0.3 (+0.25 高新, +0.25 专精特新).
preference (additive, per-buyer tastes)
    ``u = 1.2 chain + 0.4 io + 0.5 near + 0.5 paired + 0.5 size_fit + 0.2 quality + 0.4 need
    + 1.2 pref + 1.0 kw_wb + 0.8 tie + 0.5 h``; σ = 0.6; 30 % of leading firms and parks
    prefer 专精特新, 30 % of leading firms prefer Wanbei capacity; need texts name three
    more keywords of their node; rule chain → prominence; γ = 0.5; no lag.
reciprocal (two-sided)
    ``u = 1.5 chain + 0.5 io + 0.7 near + 0.8 max(paired, 0.3 sh_other) + 0.6 size_tri
    + 0.4 quality + 0.6 need + 1.0 cobuilt + 0.8 tie + 0.5 h``; σ = 0.6; the candidate
    accepts a meeting by its own ``v``: supplier ``1.2 buyer_size + 0.8 near + 0.8
    max(paired, 0.3 sh_other) + 0.5 h_c`` (``buyer_size = sigmoid(log revenue - 11)``),
    customer ``0.8 quality + 0.6 chain + 0.6 size_tri + 0.6 cap_have + 0.5 h_c``, investor
    ``1.2 cobuilt + 0.5 国务院 park + 0.8 near + 0.5 h_c``; σ_v = 0.6; rule chain → place;
    γ = 0.3; λ = 15 days.
interaction (multiplicative)
    ``u = (1 + 0.8 national) (1.8 chain (0.25 + near) + 0.8 io size_tri) + 0.6 need + 0.8 tie
    + 0.5 h`` with ``near = exp(-d / 200 km)``: distance matters only for chain-matching
    pairs, quality only for national 专精特新, size only with IO complementarity; σ = 0.6;
    rule place → chain; γ = 0.4; no lag.
noisy (thresholds, saturation, weak signal)
    ``s = 1.2 [chain = 1] + 0.4 [0 < chain < 1] + 0.3 [io >= 0.5] + 0.5 [d < 300 km]
    + 0.4 paired + 0.4 size_tri + 0.3 srdi + 0.4 need + 0.4 kw_wb``,
    ``u = 2 tanh(s / 2) + 0.6 tie + 0.9 h``; σ = 1.4; need texts name two more keywords;
    rule prominence → random (τ large); γ = 0.6; λ = 40 days.

Rates (share of recommended pairs, uncensored occasions, 2,000–10,000-firm worlds) are
checked per variant by tests/training/test_world_variants.py against ``RATE_BANDS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from training.errors import InvalidInputError
from training.world.texts import TextShares


@dataclass(frozen=True)
class WorldVariant:
    """One world variant (see the module docstring for each utility).

    Attributes
    ----------
    name : key in :data:`VARIANTS`.
    description : one line, Chinese then English.
    form : 'standard' (today's world, :mod:`training.world.utility`), 'additive',
        'interaction' or 'threshold' (:func:`training.world.forms.utility_from_terms`).
    weights : term weights of the form (keys as in the docstring).
    size_shape : 'gauss' (today's) or 'triangle' for the firm-pair size term.
    size_peak_ratio, size_left, size_right : the triangle's peak (supplier / buyer revenue)
        and widths in log units below / above it.
    dist_scale_km : ``near = exp(-d / dist_scale_km)``.
    noise_sd : σ of the realised-utility noise.
    texts : shares of the text decoration (None: texts as in the standard world).
    view : weights of the candidate's own view ``v`` (None: no reciprocity).
    view_sd : σ_v of the candidate view's noise.
    rule_early, rule_late : the drifting recommendation rule's score weights at the start
        and the end of the window (None: today's 60 % chain / 40 % random lists).
    rule_tau : Gumbel temperature of the rule's picks.
    position_bias : γ, contact logit ``-γ ln(position)``.
    recording_lag_days : mean λ of the per-occasion recording lag (0: none).
    """

    name: str
    description: str
    form: str
    weights: Mapping[str, float] = field(default_factory=dict)
    size_shape: str = "gauss"
    size_peak_ratio: float = 0.2
    size_left: float = 2.5
    size_right: float = 1.2
    dist_scale_km: float = 250.0
    noise_sd: float = 0.6
    texts: TextShares | None = None
    view: Mapping[str, float] | None = None
    view_sd: float = 0.6
    rule_early: Mapping[str, float] | None = None
    rule_late: Mapping[str, float] = field(default_factory=dict)
    rule_tau: float = 0.7
    position_bias: float = 0.0
    recording_lag_days: float = 0.0

    @property
    def is_standard(self) -> bool:
        return self.form == "standard"


VARIANTS: dict[str, WorldVariant] = {
    v.name: v
    for v in (
        WorldVariant(
            name="standard",
            description="标准世界（现有效用与漏斗）；the original world, unchanged",
            form="standard",
        ),
        WorldVariant(
            name="capability",
            description="能力要求：需求写明要求具备的能力，产品写明已具备的能力；"
            "capability requirements in need and product texts, size fit peaking at 0.2x",
            form="additive",
            weights={
                "chain": 1.4,
                "io": 0.5,
                "near": 0.6,
                "paired": 0.5,
                "size": 0.9,
                "quality": 0.3,
                "need": 0.5,
                "cap_have": 1.0,
                "cap_lack": -0.9,
                "tie": 0.8,
                "hidden": 0.5,
            },
            size_shape="triangle",
            texts=TextShares(prefer_srdi=0.0, prefer_wanbei=0.0),
            rule_early={"chain": 1.0},
            rule_late={"place": 1.0, "size": 0.5},
            position_bias=0.3,
            recording_lag_days=25.0,
        ),
        WorldVariant(
            name="preference",
            description="企业偏好：部分龙头/园区偏好专精特新或皖北产能，产业链关键词只对皖北企业有效；"
            "per-buyer preferences and Wanbei-only keyword overlap",
            form="additive",
            weights={
                "chain": 1.2,
                "io": 0.4,
                "near": 0.5,
                "paired": 0.5,
                "size": 0.5,
                "quality": 0.2,
                "need": 0.4,
                "pref": 1.2,
                "kw_wb": 1.0,
                "tie": 0.8,
                "hidden": 0.5,
            },
            texts=TextShares(
                cap_base=0.0, cap_bonus=0.0, cap_other=0.0, need_requires=0.0, need_keywords=3
            ),
            rule_early={"chain": 1.0},
            rule_late={"prominence": 1.0},
            position_bias=0.5,
        ),
        WorldVariant(
            name="reciprocal",
            description="双向选择：候选方按自己的效用决定是否接受洽谈；上海按区结对，共建园区；"
            "two-sided acceptance, Shanghai district pairing, co-built parks",
            form="additive",
            weights={
                "chain": 1.5,
                "io": 0.5,
                "near": 0.7,
                "paired": 0.8,
                "sh_other": 0.3,
                "size": 0.6,
                "quality": 0.4,
                "need": 0.6,
                "cobuilt": 1.0,
                "tie": 0.8,
                "hidden": 0.5,
            },
            size_shape="triangle",
            texts=TextShares(prefer_srdi=0.0, prefer_wanbei=0.0, need_requires=0.0),
            view={
                "size": 1.2,
                "near": 0.8,
                "paired": 0.8,
                "sh_other": 0.3,
                "quality": 0.8,
                "chain": 0.6,
                "fit": 0.6,
                "cap": 0.6,
                "cobuilt": 1.2,
                "level": 0.5,
                "hidden": 0.5,
            },
            rule_early={"chain": 1.0},
            rule_late={"place": 1.0},
            position_bias=0.3,
            recording_lag_days=15.0,
        ),
        WorldVariant(
            name="interaction",
            description="交互效应：距离只对产业链匹配有效，质量只看国家级专精特新；"
            "multiplicative: distance only for chain pairs, quality only for national SRDI",
            form="interaction",
            weights={
                "chain": 1.8,
                "near_floor": 0.25,
                "io": 0.8,
                "national": 0.8,
                "need": 0.6,
                "tie": 0.8,
                "hidden": 0.5,
            },
            size_shape="triangle",
            dist_scale_km=200.0,
            rule_early={"place": 1.0},
            rule_late={"chain": 1.0},
            position_bias=0.4,
        ),
        WorldVariant(
            name="noisy",
            description="弱信号：阈值与饱和效用，噪声大，隐藏因素权重高；"
            "thresholds, saturation and a weak signal-to-noise ratio",
            form="threshold",
            weights={
                "chain": 1.2,
                "chain_same": 0.4,
                "io": 0.3,
                "near": 0.5,
                "paired": 0.4,
                "size": 0.4,
                "quality": 0.3,
                "need": 0.4,
                "kw_wb": 0.4,
                "saturation": 2.0,
                "tie": 0.6,
                "hidden": 0.9,
            },
            noise_sd=1.4,
            texts=TextShares(
                cap_base=0.0,
                cap_bonus=0.0,
                cap_other=0.0,
                need_requires=0.0,
                prefer_srdi=0.0,
                prefer_wanbei=0.0,
                need_keywords=2,
            ),
            rule_early={"prominence": 1.0},
            rule_late={},
            rule_tau=1.5,
            position_bias=0.6,
            recording_lag_days=40.0,
        ),
    )
}


# documented funnel rates per variant: share of recommended pairs on uncensored occasions
# (recommended >= 180 days before the data end), measured on 2,000-firm worlds (seeds 1, 2,
# 7) and 10,000 firms (seed 7); ``held`` is meetings held / meetings accepted
RATE_BANDS: dict[str, dict[str, tuple[float, float]]] = {
    "standard": {
        "contacted": (0.30, 0.50),
        "meeting": (0.10, 0.25),
        "intention": (0.03, 0.09),
        "signed": (0.015, 0.05),
        "landed": (0.005, 0.025),
    },
    "capability": {
        "contacted": (0.33, 0.48),
        "meeting": (0.13, 0.22),
        "intention": (0.04, 0.075),
        "signed": (0.02, 0.045),
        "landed": (0.007, 0.02),
    },
    "preference": {
        "contacted": (0.32, 0.47),
        "meeting": (0.12, 0.20),
        "intention": (0.03, 0.06),
        "signed": (0.013, 0.03),
        "landed": (0.003, 0.011),
    },
    "reciprocal": {
        "contacted": (0.33, 0.48),
        "meeting": (0.10, 0.17),
        "intention": (0.024, 0.047),
        "signed": (0.01, 0.025),
        "landed": (0.003, 0.011),
    },
    "interaction": {
        "contacted": (0.31, 0.46),
        "meeting": (0.11, 0.18),
        "intention": (0.025, 0.05),
        "signed": (0.009, 0.022),
        "landed": (0.002, 0.008),
    },
    "noisy": {
        "contacted": (0.33, 0.48),
        "meeting": (0.15, 0.23),
        "intention": (0.055, 0.10),
        "signed": (0.035, 0.065),
        "landed": (0.016, 0.035),
    },
}
HELD_BAND = (0.68, 0.82)


def get_variant(name: str) -> WorldVariant:
    """The variant called ``name``; raises naming the known ones."""
    try:
        return VARIANTS[name]
    except KeyError:
        known = ", ".join(VARIANTS)
        raise InvalidInputError(f"unknown world variant {name!r}; known: {known}") from None

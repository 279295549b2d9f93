"""FeatureContext: everything pair features and candidate generation look up, built once.

The context is five typed parts, each with its own builder, over one entity index (firms
first, then parks):

- :class:`Places`: cities, provinces, pairings, distances, districts/counties, co-built parks;
- :class:`Chains`: industry (IO sector, GB/T division) and chain nodes as bitsets (what each
  entity makes and needs, upstream reach, a park's gaps);
- :class:`Texts`: the fitted text model, product and need text matrices, what needs ask for;
- :class:`Quality`: size, 专精特新, flags, liveness and a prior per entity;
- :class:`Past`: the outcome history sorted for as-of lookups, event registrations and the
  preferences each side revealed.

``FeatureContext.build`` builds them in that order (a later part reads earlier ones); the
parts' fields are also readable on the context itself (``ctx.city`` is ``ctx.places.city``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from features import entities, geo, nodes
from features.asks import NeedAsks, Preferences, build_asks, build_preferences
from features.catalogue import NODE_PATH_CAP
from features.errors import SchemaError
from features.history import History, build_history, build_registrations, pair_key
from features.schema import ENTERPRISE, NEED, OUTCOME, PARK, PARTICIPANT, conform, live_mask
from features.text import TextSimilarity

if TYPE_CHECKING:
    from features.reference import Reference

log = logging.getLogger(__name__)
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Places:
    """Where each entity is: city rows of the reference, districts/counties, pairings."""

    city: IntArray  # row of the reference's cities per entity
    city_province: IntArray
    city_partner: IntArray
    city_helping: BoolArray
    city_wanbei: BoolArray
    city_dist: FloatArray
    place: IntArray  # district/county id per entity (-1 none)
    county_pairs: IntArray  # sorted keys place_a * n_places + place_b (both orders)
    cobuilt_pairs: IntArray  # sorted pair_key of city rows
    n_places: int
    n_cities: int  # rows of the reference's cities

    @classmethod
    def build(cls, reference: Reference, firms: pd.DataFrame, parks: pd.DataFrame) -> Places:
        """Cities and places of conformed firms and parks (parks completed from the reference)."""
        cities = entities.city_arrays(
            reference, pd.concat([firms["city_code"], parks["city_code"]], ignore_index=True)
        )
        city = cities["entity_city"].astype(np.int64)
        place, county_pairs, n_places = entities.places(reference, firms, parks, city)
        cobuilt = entities.cobuilt_pairs(parks, reference)
        city_index = pd.Index(entities.text_col(reference.cities["city_code"]))
        ca = city_index.get_indexer(cobuilt[0])
        cb = city_index.get_indexer(cobuilt[1])
        ok = (ca >= 0) & (cb >= 0)
        return cls(
            city=city,
            city_province=cities["province"],
            city_partner=cities["partner"],
            city_helping=cities["helping"],
            city_wanbei=cities["wanbei"],
            city_dist=geo.distance_matrix(cities["lon"], cities["lat"]),
            place=place,
            county_pairs=county_pairs,
            cobuilt_pairs=np.unique(pair_key(ca[ok], cb[ok], len(city_index))),
            n_places=n_places,
            n_cities=len(city_index),
        )

    def entity_wanbei(self) -> BoolArray:
        """Whether each entity's city is a Wanbei city (False for an unknown city)."""
        wanbei: BoolArray = np.append(self.city_wanbei, False)[self.city]
        return wanbei


@dataclass(frozen=True)
class ChainTexts:
    """What the chain builder reads that the text builder also needs."""

    need_text: pd.Series  # per entity: the texts of its stated needs
    park_node_names: pd.Series  # per park: the names of its chain nodes


@dataclass(frozen=True)
class Chains:
    """Industry and chain nodes: what each entity makes and needs, as bitsets over nodes."""

    sector: IntArray
    division: IntArray
    park_divisions: nodes.Bits
    node_index: pd.Index
    node_chain: IntArray
    makes: nodes.Bits
    needs: nodes.Bits
    pred: nodes.Bits  # direct upstream nodes of the needed ones
    reach: npt.NDArray[np.uint64]  # (cap + 1, E, W): nodes within k steps upstream of a need
    park_nodes: nodes.Bits
    park_gap: nodes.Bits

    @classmethod
    def build(
        cls,
        reference: Reference,
        firms: pd.DataFrame,
        parks: pd.DataFrame,
        needs: pd.DataFrame,
        *,
        ids: pd.Index,
        city: IntArray,
    ) -> tuple[Chains, ChainTexts]:
        """Sectors, divisions and node bitsets of every entity, and the need and node texts
        the text model is fitted on."""
        F, E = len(firms), len(ids)
        park_first_div = entities.text_col(parks["gbt_divisions"]).str.split(";").str[0]
        sector = np.concatenate(
            [
                np.asarray(reference.sector_of(firms["industry_code"]), dtype=np.int64),
                np.asarray(reference.sector_of(park_first_div.fillna("")), dtype=np.int64),
            ]
        )
        division = np.concatenate(
            [entities.division_of(firms["industry_code"]), np.full(len(parks), -1)]
        )
        park_div = np.zeros((E, nodes.n_words(entities.N_DIVISIONS)), dtype=np.uint64)
        park_div[F:] = entities.divisions_bits(parks["gbt_divisions"])

        cn = reference.chain_nodes.reset_index(drop=True)
        node_index = pd.Index(entities.text_col(cn["node_id"]))
        n_nodes = len(node_index)
        node_chain = pd.factorize(entities.text_col(cn["chain_id"]))[0].astype(np.int64)
        A = nodes.adjacency(reference.chain_edges, node_index)
        own = nodes.membership(firms["chain_nodes"], node_index)
        by_kw = entities.keyword_nodes(firms["products"], cn, node_index)
        empty = np.asarray(own.sum(axis=1)).ravel() == 0
        makes_f = (own + sp.diags(empty.astype(np.float32)) @ by_kw).tocsr()
        makes_m = sp.vstack([makes_f, sp.csr_matrix((len(parks), n_nodes))]).tocsr()
        park_own = nodes.membership(parks["chain_nodes"], node_index)
        park_m = sp.vstack([sp.csr_matrix((F, n_nodes)), park_own]).tocsr()
        need_from_rows, need_text = entities.need_rows(needs, ids, node_index)
        inputs_m = entities.keyword_nodes(firms["inputs"], cn, node_index)
        need_m = (
            need_from_rows + sp.vstack([(makes_f @ A.T) + inputs_m, park_own]).tocsr()
        ).tocsr()
        need_m.data[:] = 1.0
        R = nodes.upstream_within(A, NODE_PATH_CAP)
        reach = np.stack([nodes.to_bits(need_m @ Rk.T, n_nodes) for Rk in R])
        gap = entities.park_gap(
            park_m=park_m,
            need_m=need_m,
            makes_m=makes_m,
            city=city,
            is_park=np.arange(E) >= F,
            node_chain=node_chain,
            n_nodes=n_nodes,
        )
        node_names = pd.Series(entities.text_col(cn["name"]).to_numpy(), index=np.arange(n_nodes))
        chains = cls(
            sector=sector,
            division=division,
            park_divisions=park_div,
            node_index=node_index,
            node_chain=node_chain,
            makes=nodes.to_bits(makes_m, n_nodes),
            needs=reach[0],
            pred=nodes.to_bits(need_m @ A.T, n_nodes),
            reach=reach,
            park_nodes=nodes.to_bits(park_m, n_nodes),
            park_gap=gap,
        )
        return chains, ChainTexts(need_text, entities.names_of(park_own, node_names))

    @property
    def n_nodes(self) -> int:
        return len(self.node_index)


@dataclass(frozen=True)
class Texts:
    """Product and need texts as rows of TF-IDF matrices of distinct texts, and the asks."""

    text_model: TextSimilarity
    product_matrix: sp.csr_matrix  # distinct product texts
    product_row: IntArray
    need_matrix: sp.csr_matrix  # distinct need texts
    need_row: IntArray
    # what need texts ask for (features.asks)
    asks: NeedAsks

    @classmethod
    def build(
        cls,
        firms: pd.DataFrame,
        parks: pd.DataFrame,
        chain_texts: ChainTexts,
        *,
        text_model: TextSimilarity | None = None,
    ) -> Texts:
        """Fit the text model (a fresh :class:`TextSimilarity` unless one is given) on every
        product and need text and transform the distinct ones."""
        product_text = pd.concat(
            [firms["products"], parks["leading_industries"]], ignore_index=True
        )
        need_text_all = (
            chain_texts.need_text
            + ";"
            + pd.concat(
                [
                    entities.text_col(firms["inputs"]),
                    entities.text_col(parks["leading_industries"])
                    + ";"
                    + chain_texts.park_node_names,
                ],
                ignore_index=True,
            )
        )
        model = text_model if text_model is not None else TextSimilarity()
        model.fit(pd.concat([product_text, need_text_all], ignore_index=True))
        p_codes, p_uniques = pd.factorize(entities.text_col(product_text))
        n_codes, n_uniques = pd.factorize(entities.text_col(need_text_all))
        return cls(
            text_model=model,
            product_matrix=model.transform(p_uniques),
            product_row=p_codes.astype(np.int64),
            need_matrix=model.transform(n_uniques),
            need_row=n_codes.astype(np.int64),
            asks=build_asks(chain_texts.need_text, product_text),
        )


@dataclass(frozen=True)
class Quality:
    """Size and quality per entity (NaN unknown, and for parks)."""

    employees: FloatArray
    revenue: FloatArray
    srdi: FloatArray
    high_tech: FloatArray
    listed: FloatArray
    leading: BoolArray
    live: BoolArray  # False for firms 注销/吊销 (schema.EXCLUDED_STATUSES) and for parks
    founded: FloatArray
    prior: FloatArray

    @classmethod
    def build(cls, firms: pd.DataFrame, n_parks: int) -> Quality:
        """The firms' columns as arrays over every entity (parks after the firms)."""
        parks_nan = np.full(n_parks, np.nan)

        def num(col: str) -> FloatArray:
            v = pd.to_numeric(firms[col], errors="coerce").astype("float64")
            return np.concatenate([v.to_numpy(na_value=np.nan), parks_nan])

        def flag(col: str) -> FloatArray:
            return np.concatenate([firms[col].to_numpy(dtype=np.float64), parks_nan])

        srdi_f = firms["srdi_level"].map(entities.SRDI_CODE).fillna(0.0)
        srdi = np.concatenate([srdi_f.to_numpy(dtype=np.float64), parks_nan])
        employees = num("employees")
        leading = np.concatenate(
            [firms["is_leading"].to_numpy(dtype=bool), np.zeros(n_parks, bool)]
        )
        high_tech, listed = flag("is_high_tech"), flag("listed")
        prior = (
            np.nan_to_num(np.log1p(employees))
            + np.nan_to_num(srdi)
            + 0.5 * np.nan_to_num(high_tech)
            + 0.5 * np.nan_to_num(listed)
            + leading
        )
        return cls(
            employees=employees,
            revenue=num("revenue_wan"),
            srdi=srdi,
            high_tech=high_tech,
            listed=listed,
            leading=leading,
            live=np.concatenate([live_mask(firms), np.zeros(n_parks, bool)]),
            founded=num("founded"),
            prior=prior,
        )


@dataclass(frozen=True)
class Past:
    """What happened before: outcomes sorted for as-of lookups, event registrations, and
    what each side's accepted partners reveal it prefers."""

    history: History
    registrations: tuple[IntArray, IntArray]  # (event code, entity row), sorted by entity row
    prefs: Preferences  # features.asks

    @classmethod
    def build(
        cls,
        outcomes: pd.DataFrame,
        participants: pd.DataFrame,
        *,
        ids: pd.Index,
        n_firms: int,
        places: Places,
        chains: Chains,
        quality: Quality,
    ) -> Past:
        """The history of conformed outcomes and registrations over the entity index."""
        hist = build_history(outcomes, ids, places.city, chains.sector, places.n_cities)
        revenue = quality.revenue
        return cls(
            history=hist,
            registrations=build_registrations(participants, ids),
            prefs=build_preferences(
                hist,
                is_park=np.arange(len(ids)) >= n_firms,
                leading=quality.leading,
                srdi=quality.srdi,
                wanbei=places.entity_wanbei(),
                log_revenue=np.log(np.where(revenue > 0, revenue, np.nan)),
                stages=hist.stage,
            ),
        )


@dataclass(frozen=True)
class FeatureContext:
    """Entity frames and index, and the five parts, for one snapshot of the data.

    Build it with :meth:`build`; treat it as read-only. Every field of a part is also an
    attribute of the context (``ctx.makes`` is ``ctx.chains.makes``).
    """

    reference: Reference
    firms: pd.DataFrame
    parks: pd.DataFrame
    ids: pd.Index  # firm uscc, then park_id
    n_firms: int
    places: Places
    chains: Chains
    texts: Texts
    quality: Quality
    past: Past

    @property
    def n_entities(self) -> int:
        return len(self.ids)

    def rows(self, ids: npt.ArrayLike, *, what: str) -> IntArray:
        """Entity rows of ``ids``; raise naming the ids that are unknown."""
        arr = np.asarray(ids, dtype=object)
        r = self.ids.get_indexer(pd.Index(arr))
        if (r < 0).any():
            bad = list(pd.unique(arr[r < 0]))[:5]
            raise KeyError(f"{what}: {int((r < 0).sum())} unknown ids, e.g. {bad}")
        return np.asarray(r, dtype=np.int64)

    # ------------------------------------------------------------- the parts' fields
    # (read as before the split: ctx.city, ctx.makes, ctx.history, ...)

    @property
    def city(self) -> IntArray:
        return self.places.city

    @property
    def city_province(self) -> IntArray:
        return self.places.city_province

    @property
    def city_partner(self) -> IntArray:
        return self.places.city_partner

    @property
    def city_helping(self) -> BoolArray:
        return self.places.city_helping

    @property
    def city_wanbei(self) -> BoolArray:
        return self.places.city_wanbei

    @property
    def city_dist(self) -> FloatArray:
        return self.places.city_dist

    @property
    def place(self) -> IntArray:
        return self.places.place

    @property
    def county_pairs(self) -> IntArray:
        return self.places.county_pairs

    @property
    def cobuilt_pairs(self) -> IntArray:
        return self.places.cobuilt_pairs

    @property
    def n_places(self) -> int:
        return self.places.n_places

    @property
    def sector(self) -> IntArray:
        return self.chains.sector

    @property
    def division(self) -> IntArray:
        return self.chains.division

    @property
    def park_divisions(self) -> nodes.Bits:
        return self.chains.park_divisions

    @property
    def node_index(self) -> pd.Index:
        return self.chains.node_index

    @property
    def node_chain(self) -> IntArray:
        return self.chains.node_chain

    @property
    def makes(self) -> nodes.Bits:
        return self.chains.makes

    @property
    def needs(self) -> nodes.Bits:
        return self.chains.needs

    @property
    def pred(self) -> nodes.Bits:
        return self.chains.pred

    @property
    def reach(self) -> npt.NDArray[np.uint64]:
        return self.chains.reach

    @property
    def park_nodes(self) -> nodes.Bits:
        return self.chains.park_nodes

    @property
    def park_gap(self) -> nodes.Bits:
        return self.chains.park_gap

    @property
    def text_model(self) -> TextSimilarity:
        return self.texts.text_model

    @property
    def product_matrix(self) -> sp.csr_matrix:
        return self.texts.product_matrix

    @property
    def product_row(self) -> IntArray:
        return self.texts.product_row

    @property
    def need_matrix(self) -> sp.csr_matrix:
        return self.texts.need_matrix

    @property
    def need_row(self) -> IntArray:
        return self.texts.need_row

    @property
    def asks(self) -> NeedAsks:
        return self.texts.asks

    @property
    def employees(self) -> FloatArray:
        return self.quality.employees

    @property
    def revenue(self) -> FloatArray:
        return self.quality.revenue

    @property
    def srdi(self) -> FloatArray:
        return self.quality.srdi

    @property
    def high_tech(self) -> FloatArray:
        return self.quality.high_tech

    @property
    def listed(self) -> FloatArray:
        return self.quality.listed

    @property
    def leading(self) -> BoolArray:
        return self.quality.leading

    @property
    def live(self) -> BoolArray:
        return self.quality.live

    @property
    def founded(self) -> FloatArray:
        return self.quality.founded

    @property
    def prior(self) -> FloatArray:
        return self.quality.prior

    @property
    def history(self) -> History:
        return self.past.history

    @property
    def registrations(self) -> tuple[IntArray, IntArray]:
        return self.past.registrations

    @property
    def prefs(self) -> Preferences:
        return self.past.prefs

    @classmethod
    def build(  # noqa: PLR0917 - positional order fixed by docs/dev/CONTRACTS.md
        cls,
        reference: Reference,
        enterprises: pd.DataFrame,
        parks: pd.DataFrame,
        needs: pd.DataFrame,
        outcomes: pd.DataFrame,
        participants: pd.DataFrame | None = None,
        *,
        text_model: TextSimilarity | None = None,
    ) -> FeatureContext:
        """Check and index the entity frames, then build the parts.

        Parameters
        ----------
        reference : Reference
            Cities, IO tables, chains (features.reference.load_reference()).
        enterprises, parks, needs, outcomes : DataFrame
            Entity frames per features.schema (checked; extra columns ignored).
        participants : DataFrame, optional
            Event registrations; candidate generation proposes firms registered at the
            same events as the query.
        text_model : TextSimilarity, optional
            An unfitted transformer to use instead of the default; fitted here.

        Returns
        -------
        FeatureContext

        Raises
        ------
        SchemaError
            A frame lacks a required column, or ids repeat.
        """
        firms = conform(enterprises, ENTERPRISE)
        park_f = entities.parks_with_reference(conform(parks, PARK), reference)
        no_participants = pd.DataFrame(columns=PARTICIPANT.required)
        part_f = conform(participants if participants is not None else no_participants, PARTICIPANT)
        ids = _entity_index(firms, park_f)
        places = Places.build(reference, firms, park_f)
        chains, chain_texts = Chains.build(
            reference, firms, park_f, conform(needs, NEED), ids=ids, city=places.city
        )
        texts = Texts.build(firms, park_f, chain_texts, text_model=text_model)
        quality = Quality.build(firms, len(park_f))
        past = Past.build(
            conform(outcomes, OUTCOME), part_f, ids=ids, n_firms=len(firms), places=places,
            chains=chains, quality=quality,
        )  # fmt: skip
        log.info(
            "feature context: %d firms, %d parks, %d nodes, %d outcome records",
            len(firms),
            len(park_f),
            chains.n_nodes,
            len(past.history.day),
        )
        return cls(
            reference=reference,
            firms=firms,
            parks=park_f,
            ids=ids,
            n_firms=len(firms),
            places=places,
            chains=chains,
            texts=texts,
            quality=quality,
            past=past,
        )


def _entity_index(firms: pd.DataFrame, parks: pd.DataFrame) -> pd.Index:
    """Firm USCCs then park ids, one index; raise if any id repeats."""
    ids: pd.Index = pd.Index(
        np.concatenate(
            [firms["uscc"].to_numpy(dtype=object), parks["park_id"].to_numpy(dtype=object)]
        )
    )
    if not ids.is_unique:
        dup = list(ids[ids.duplicated()][:5])
        raise SchemaError(
            f"uscc and park_id must be unique across firms and parks, repeated: {dup}"
        )
    return ids

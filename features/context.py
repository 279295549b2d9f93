"""FeatureContext: everything pair features and candidate generation look up, built once.

``FeatureContext.build`` fits the text model, indexes firms and parks in one entity index,
turns chain nodes into bitsets, and sorts the outcome history for as-of lookups.
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
class FeatureContext:
    """Entity arrays, chain bitsets, text matrices and history for one snapshot of the data.

    Build it with :meth:`build`; treat it as read-only.
    """

    reference: Reference
    firms: pd.DataFrame
    parks: pd.DataFrame
    ids: pd.Index  # firm uscc, then park_id
    n_firms: int
    # places
    city: IntArray
    city_province: IntArray
    city_partner: IntArray
    city_helping: BoolArray
    city_wanbei: BoolArray
    city_dist: FloatArray
    place: IntArray  # district/county id per entity (-1 none)
    county_pairs: IntArray  # sorted keys place_a * n_places + place_b (both orders)
    cobuilt_pairs: IntArray  # sorted pair_key of city rows
    n_places: int
    # industry
    sector: IntArray
    division: IntArray
    park_divisions: nodes.Bits
    # chain nodes
    node_index: pd.Index
    node_chain: IntArray
    makes: nodes.Bits
    needs: nodes.Bits
    pred: nodes.Bits  # direct upstream nodes of the needed ones
    reach: npt.NDArray[np.uint64]  # (cap + 1, E, W): nodes within k steps upstream of a need
    park_nodes: nodes.Bits
    park_gap: nodes.Bits
    # text
    text_model: TextSimilarity
    product_matrix: sp.csr_matrix  # distinct product texts
    product_row: IntArray
    need_matrix: sp.csr_matrix  # distinct need texts
    need_row: IntArray
    # size and quality (NaN unknown)
    employees: FloatArray
    revenue: FloatArray
    srdi: FloatArray
    high_tech: FloatArray
    listed: FloatArray
    leading: BoolArray
    live: BoolArray  # False for firms 注销/吊销 (schema.EXCLUDED_STATUSES) and for parks
    founded: FloatArray
    prior: FloatArray
    history: History
    registrations: tuple[IntArray, IntArray]  # (event code, entity row), sorted by entity row
    # what need texts ask for, and what history reveals each side prefers (features.asks)
    asks: NeedAsks
    prefs: Preferences

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
        """Check and index the entity frames, fit the text model, sort the history.

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
        need_f = conform(needs, NEED)
        out_f = conform(outcomes, OUTCOME)
        part_f = conform(
            participants
            if participants is not None
            else pd.DataFrame(columns=PARTICIPANT.required),
            PARTICIPANT,
        )
        ids = pd.Index(
            np.concatenate(
                [firms["uscc"].to_numpy(dtype=object), park_f["park_id"].to_numpy(dtype=object)]
            )
        )
        if not ids.is_unique:
            dup = list(ids[ids.duplicated()][:5])
            raise SchemaError(
                f"uscc and park_id must be unique across firms and parks, repeated: {dup}"
            )
        F, E = len(firms), len(ids)
        is_park = np.arange(E) >= F

        # places
        cities = entities.city_arrays(
            reference, pd.concat([firms["city_code"], park_f["city_code"]], ignore_index=True)
        )
        city = cities["entity_city"].astype(np.int64)
        province = cities["province"]
        city_dist = geo.distance_matrix(cities["lon"], cities["lat"])
        place, county_pairs, n_places = entities.places(reference, firms, park_f, city)
        cobuilt = entities.cobuilt_pairs(park_f, reference)
        city_index = pd.Index(entities.text_col(reference.cities["city_code"]))
        ca = city_index.get_indexer(cobuilt[0])
        cb = city_index.get_indexer(cobuilt[1])
        ok = (ca >= 0) & (cb >= 0)
        cobuilt_keys = np.unique(pair_key(ca[ok], cb[ok], len(city_index)))

        # industry
        park_first_div = entities.text_col(park_f["gbt_divisions"]).str.split(";").str[0].fillna("")
        sector = np.concatenate(
            [
                np.asarray(reference.sector_of(firms["industry_code"]), dtype=np.int64),
                np.asarray(reference.sector_of(park_first_div), dtype=np.int64),
            ]
        )
        division = np.concatenate(
            [entities.division_of(firms["industry_code"]), np.full(len(park_f), -1)]
        )
        park_div = np.zeros((E, nodes.n_words(entities.N_DIVISIONS)), dtype=np.uint64)
        park_div[F:] = entities.divisions_bits(park_f["gbt_divisions"])

        # chain nodes
        cn = reference.chain_nodes.reset_index(drop=True)
        node_index = pd.Index(entities.text_col(cn["node_id"]))
        n_nodes = len(node_index)
        node_chain = pd.factorize(entities.text_col(cn["chain_id"]))[0].astype(np.int64)
        A = nodes.adjacency(reference.chain_edges, node_index)
        own = nodes.membership(firms["chain_nodes"], node_index)
        by_kw = entities.keyword_nodes(firms["products"], cn, node_index)
        empty = np.asarray(own.sum(axis=1)).ravel() == 0
        makes_f = (own + sp.diags(empty.astype(np.float32)) @ by_kw).tocsr()
        makes_m = sp.vstack([makes_f, sp.csr_matrix((len(park_f), n_nodes))]).tocsr()
        park_own = nodes.membership(park_f["chain_nodes"], node_index)
        park_m = sp.vstack([sp.csr_matrix((F, n_nodes)), park_own]).tocsr()
        need_from_rows, need_text = entities.need_rows(need_f, ids, node_index)
        inputs_m = entities.keyword_nodes(firms["inputs"], cn, node_index)
        need_m = (
            need_from_rows + sp.vstack([(makes_f @ A.T) + inputs_m, park_own]).tocsr()
        ).tocsr()
        need_m.data[:] = 1.0
        R = nodes.upstream_within(A, NODE_PATH_CAP)
        reach = np.stack([nodes.to_bits(need_m @ Rk.T, n_nodes) for Rk in R])
        need_bits = reach[0]
        makes_bits = nodes.to_bits(makes_m, n_nodes)
        gap = entities.park_gap(
            park_m=park_m,
            need_m=need_m,
            makes_m=makes_m,
            city=city,
            is_park=is_park,
            node_chain=node_chain,
            n_nodes=n_nodes,
        )

        # text
        product_text = pd.concat(
            [firms["products"], park_f["leading_industries"]], ignore_index=True
        )
        node_names = pd.Series(entities.text_col(cn["name"]).to_numpy(), index=np.arange(n_nodes))
        park_node_names = entities.names_of(park_own, node_names)
        need_text_all = (
            need_text
            + ";"
            + pd.concat(
                [
                    entities.text_col(firms["inputs"]),
                    entities.text_col(park_f["leading_industries"]) + ";" + park_node_names,
                ],
                ignore_index=True,
            )
        )
        model = text_model if text_model is not None else TextSimilarity()
        model.fit(pd.concat([product_text, need_text_all], ignore_index=True))
        p_codes, p_uniques = pd.factorize(entities.text_col(product_text))
        n_codes, n_uniques = pd.factorize(entities.text_col(need_text_all))

        # size and quality
        def num(col: str) -> FloatArray:
            v = (
                pd.to_numeric(firms[col], errors="coerce")
                .astype("float64")
                .to_numpy(na_value=np.nan)
            )
            return np.concatenate([v, np.full(len(park_f), np.nan)])

        def flag(col: str) -> FloatArray:
            return np.concatenate(
                [firms[col].to_numpy(dtype=np.float64), np.full(len(park_f), np.nan)]
            )

        srdi = np.concatenate(
            [
                firms["srdi_level"].map(entities.SRDI_CODE).fillna(0.0).to_numpy(dtype=np.float64),
                np.full(len(park_f), np.nan),
            ]
        )
        employees = num("employees")
        leading = np.concatenate(
            [firms["is_leading"].to_numpy(dtype=bool), np.zeros(len(park_f), bool)]
        )
        prior = (
            np.nan_to_num(np.log1p(employees))
            + np.nan_to_num(srdi)
            + 0.5 * np.nan_to_num(flag("is_high_tech"))
            + 0.5 * np.nan_to_num(flag("listed"))
            + leading
        )
        hist = build_history(out_f, ids, city, sector, len(city_index))
        log.info(
            "feature context: %d firms, %d parks, %d nodes, %d outcome records",
            F,
            len(park_f),
            n_nodes,
            len(hist.day),
        )
        return cls(
            reference=reference,
            firms=firms,
            parks=park_f,
            ids=ids,
            n_firms=F,
            city=city,
            city_province=province,
            city_partner=cities["partner"],
            city_helping=cities["helping"],
            city_wanbei=cities["wanbei"],
            city_dist=city_dist,
            place=place,
            county_pairs=county_pairs,
            cobuilt_pairs=cobuilt_keys,
            n_places=n_places,
            sector=sector,
            division=division,
            park_divisions=park_div,
            node_index=node_index,
            node_chain=node_chain,
            makes=makes_bits,
            needs=need_bits,
            pred=nodes.to_bits(need_m @ A.T, n_nodes),
            reach=reach,
            park_nodes=nodes.to_bits(park_m, n_nodes),
            park_gap=gap,
            text_model=model,
            product_matrix=model.transform(p_uniques),
            product_row=p_codes.astype(np.int64),
            need_matrix=model.transform(n_uniques),
            need_row=n_codes.astype(np.int64),
            employees=employees,
            revenue=num("revenue_wan"),
            srdi=srdi,
            high_tech=flag("is_high_tech"),
            listed=flag("listed"),
            leading=leading,
            live=np.concatenate([live_mask(firms), np.zeros(len(park_f), bool)]),
            founded=num("founded"),
            prior=prior,
            history=hist,
            registrations=build_registrations(part_f, ids),
            asks=build_asks(need_text, product_text),
            prefs=build_preferences(
                hist,
                is_park=is_park,
                leading=leading,
                srdi=srdi,
                wanbei=np.append(cities["wanbei"], False)[city],
                log_revenue=np.log(np.where(num("revenue_wan") > 0, num("revenue_wan"), np.nan)),
                stages=hist.stage,
            ),
        )

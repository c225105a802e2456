"""A deterministic generator of a company's raw CRM export, with planted structure and mess.

Every customer gets an archetype (see ARCHETYPES) that decides how they buy
and what they answer in surveys, so the tests can check that the marts
recover what was planted. The same arguments always give the same bytes:
customers are made in chunks, each chunk from its own random generator seeded
with (seed, chunk number), and written out in order, so memory stays flat
however many customers are asked for.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sample_generator.contract import raw_columns

CHUNK_CUSTOMERS = 50_000

# archetype -> share of customers (the planted structure the tests recover)
ARCHETYPES: dict[str, float] = {
    "prospect": 0.08,
    "one_time": 0.20,
    "regular_repurchaser": 0.12,
    "true_loyal": 0.08,
    "spurious_loyal": 0.06,
    "latent_loyal": 0.05,
    "disloyal": 0.05,
    "churned": 0.10,
    "new": 0.06,
    "occasional": 0.20,
}
LOYALTY_ATTITUDE = {
    "true_loyal": "high",
    "spurious_loyal": "low",
    "latent_loyal": "high",
    "disloyal": "low",
}
CUSTOMER_TYPES = {
    "consumer": 0.70,
    "buyer": 0.12,
    "business": 0.08,
    "intermediary": 0.06,
    "agent": 0.04,
}
# Bigger baskets for organisations (the five customer types).
TYPE_SPEND = {"consumer": 1.0, "buyer": 1.3, "business": 4.0, "intermediary": 6.0, "agent": 3.0}
CYCLES_DAYS = np.array([30, 45, 60, 90])

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
GIVEN_NAMES = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "晨",
    "宇轩",
    "子涵",
    "欣怡",
    "浩然",
]
CITIES = [
    ("华东", "上海"),
    ("华东", "杭州"),
    ("华东", "南京"),
    ("华北", "北京"),
    ("华北", "天津"),
    ("华南", "广州"),
    ("华南", "深圳"),
    ("西南", "成都"),
    ("西南", "重庆"),
    ("华中", "武汉"),
    ("西北", "西安"),
    ("东北", "沈阳"),
]
# (product name, category, usage cycle days or None, base price)
PRODUCT_LINES = [
    ("精品咖啡豆", "coffee", 30, 98.0),
    ("挂耳咖啡", "coffee", 30, 59.0),
    ("胶囊咖啡", "coffee", 30, 129.0),
    ("西湖龙井", "tea", 60, 268.0),
    ("普洱茶饼", "tea", 90, 188.0),
    ("茉莉花茶", "tea", 60, 79.0),
    ("净水器滤芯", "water_filters", 90, 199.0),
    ("前置过滤器滤芯", "water_filters", 180, 299.0),
    ("保湿面霜", "skincare", 60, 329.0),
    ("洁面乳", "skincare", 45, 119.0),
    ("精华液", "skincare", 60, 459.0),
    ("空气净化器", "appliances", 365, 1899.0),
    ("扫地机器人", "appliances", 180, 2499.0),
    ("电饭煲", "appliances", None, 699.0),
    ("小说", "books", None, 45.0),
    ("童书绘本", "books", None, 68.0),
    ("坚果礼盒", "snacks", 30, 158.0),
    ("牛肉干", "snacks", 30, 49.0),
    ("猫粮", "pet_food", 30, 239.0),
    ("狗粮", "pet_food", 30, 259.0),
]
POSITIVE_COMMENTS = [
    "很满意，会继续购买",
    "服务周到，推荐给朋友",
    "质量很好，物流快",
    "一直在用，信得过",
    "",
]
NEUTRAL_COMMENTS = ["还可以", "一般般", "价格有点高", ""]
NEGATIVE_COMMENTS = [
    "质量不稳定",
    "客服回复太慢",
    "不会再买了",
    "价格贵，别家更便宜",
    "送货延迟",
    "",
]

# Service speed, the planted effect of response time on churn: every customer
# with a ticket is answered fast, the same day or slowly (first-response hours
# drawn in these ranges, clear of the marts' default bands at 4 and 24 hours);
# customers who lapsed (no purchase in the last LAPSED_DAYS days of the export,
# the marts' default churn threshold) were answered slowly more often. Only the
# tickets carry it: the orders stay as they are, so every other planted figure
# holds (see seeds/README.md).
RESPONSE_SPEED_HOURS = {"fast": (0.25, 3.75), "same_day": (4.5, 23.5), "slow": (25.0, 72.0)}
RESPONSE_SPEED_SHARES = {
    "still_buying": (0.50, 0.30, 0.20),
    "lapsed": (0.20, 0.30, 0.50),
}
LAPSED_DAYS = 365

COLUMNS = raw_columns()
TRUTH_COLUMNS = [
    "customer_id",
    "archetype",
    "customer_type",
    "planted_cycle_days",
    "planted_category",
    "attitude",
    "is_churned",
    "is_lapsed",
    "response_speed",
]


@dataclass(frozen=True)
class Period:
    """The export covers [start, end]; times are seconds since `start` midnight."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def stamp(self, day_offsets: np.ndarray, seconds: np.ndarray | None = None) -> np.ndarray:
        """Text timestamps 'YYYY-MM-DD HH:MM:SS' for day offsets (+ seconds in the day)."""
        base = np.datetime64(self.start, "s")
        seconds = np.zeros(len(day_offsets), dtype=np.int64) if seconds is None else seconds
        moments = base + (day_offsets.astype(np.int64) * 86_400 + seconds).astype("timedelta64[s]")
        return np.char.replace(np.datetime_as_string(moments, unit="s"), "T", " ").astype(object)

    def day(self, day_offsets: np.ndarray) -> np.ndarray:
        moments = np.datetime64(self.start, "D") + day_offsets.astype("timedelta64[D]")
        return np.datetime_as_string(moments, unit="D").astype(object)


def _products(period: Period) -> pd.DataFrame:
    rows = []
    for number, (name, category, cycle, _) in enumerate(PRODUCT_LINES, start=1):
        # Deterministic launch dates: every fifth product launched in the last 150 days.
        launched = (
            period.end - timedelta(days=30 + number * 6)
            if number % 5 == 0
            else date(2020, 1, 1) + timedelta(days=number * 40)
        )
        rows.append(
            {
                "product_id": f"P{number:03d}",
                "product_name": name,
                "category": category,
                "launched_date": launched.isoformat(),
                "usage_cycle_days": "" if cycle is None else str(cycle),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS["products"])


def _group_cumsum(values: np.ndarray, group_starts: np.ndarray) -> np.ndarray:
    """Cumulative sum that restarts at each group start (values sorted by group)."""
    total = np.cumsum(values)
    offsets = np.repeat(
        total[group_starts] - values[group_starts], np.diff(np.append(group_starts, len(values)))
    )
    return total - offsets


@dataclass
class _Chunk:
    customers: pd.DataFrame
    orders: pd.DataFrame
    order_lines: pd.DataFrame
    survey_responses: pd.DataFrame
    service_tickets: pd.DataFrame
    truth: pd.DataFrame
    consent_events: pd.DataFrame | None = None
    suppressions: pd.DataFrame | None = None


def _purchase_days(rng, archetype, period, created_day):
    """Day offsets of each customer's completed purchases: (customer index, day) arrays."""
    count = len(archetype)
    span = period.days
    mean_interval = np.full(count, 120.0)
    start = rng.uniform(0, span * 0.5, count)
    stop = np.full(count, float(span))
    shape = np.full(count, 1.0)  # gamma shape of intervals: 1 = exponential, large = regular
    cycle = np.zeros(count, dtype=np.int64)

    regular = archetype == "regular_repurchaser"
    cycle[regular] = rng.choice(CYCLES_DAYS, regular.sum())
    mean_interval[regular] = cycle[regular]
    shape[regular] = 150.0  # coefficient of variation about 8%
    start[regular] = rng.uniform(0, span - 6 * cycle[regular])

    loyal = np.isin(archetype, ["true_loyal", "spurious_loyal"])
    mean_interval[loyal] = rng.uniform(20, 40, loyal.sum())
    shape[loyal] = 6.0

    churned = archetype == "churned"
    mean_interval[churned] = rng.uniform(20, 60, churned.sum())
    shape[churned] = 4.0
    stop[churned] = span - rng.uniform(380, 460, churned.sum())
    start[churned] = rng.uniform(0, np.maximum(stop[churned] - 365, 1))

    occasional = archetype == "occasional"
    mean_interval[occasional] = rng.uniform(120, 200, occasional.sum())
    start[occasional] = rng.uniform(0, span * 0.6, occasional.sum())

    start = np.maximum(start, created_day)
    repeating = regular | loyal | churned | occasional
    idx = np.flatnonzero(repeating)
    draws = np.ceil((stop[idx] - start[idx]) / mean_interval[idx] * 1.6).astype(np.int64) + 3
    owner = np.repeat(idx, draws)
    intervals = rng.gamma(shape[owner], mean_interval[owner] / shape[owner])
    first = np.concatenate([[0], np.cumsum(draws)[:-1]])
    intervals[first] = 0.0  # the first purchase is on the start day
    days = start[owner] + _group_cumsum(intervals, first)
    keep = days <= stop[owner]
    repeat_owner, repeat_days = owner[keep], days[keep]

    # One or two purchases for the others; latent and disloyal have one within the last year.
    single = np.isin(archetype, ["one_time", "new", "latent_loyal", "disloyal"])
    single_idx = np.flatnonzero(single)
    single_day = rng.uniform(created_day[single_idx], span)
    latent = archetype[single_idx] == "latent_loyal"
    single_day[latent] = rng.uniform(span - 300, span - 20, latent.sum())
    disloyal = archetype[single_idx] == "disloyal"
    single_day[disloyal] = rng.uniform(span - 360, span - 200, disloyal.sum())
    # Some latent and disloyal customers also bought once more, over a year before.
    extra = (latent | disloyal) & (rng.random(len(single_idx)) < 0.4)
    extra_day = rng.uniform(0, span - 400, extra.sum())

    owners = np.concatenate([repeat_owner, single_idx, single_idx[extra]])
    days = np.concatenate([repeat_days, single_day, extra_day])
    order = np.lexsort((days, owners))
    return owners[order], np.floor(days[order]).astype(np.int64), cycle


@dataclass(frozen=True)
class _People:
    """The customers of a chunk as drawn: numbers, ids, archetype, type and sign-up day."""

    numbers: np.ndarray
    ids: np.ndarray
    archetype: np.ndarray
    customer_type: np.ndarray
    created_day: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def _draw_people(
    rng: np.random.Generator, first_number: int, count: int, period: Period
) -> _People:
    """Who the customers are: an archetype, a customer type and a sign-up day each."""
    span = period.days
    numbers = np.arange(first_number, first_number + count)
    customer_ids = np.char.add("C", np.char.zfill(numbers.astype(str), 6)).astype(object)
    archetype = rng.choice(list(ARCHETYPES), count, p=list(ARCHETYPES.values()))
    customer_type = rng.choice(list(CUSTOMER_TYPES), count, p=list(CUSTOMER_TYPES.values()))
    created_day = rng.uniform(0, span * 0.4, count)
    created_day[archetype == "new"] = rng.uniform(span - 60, span - 5, (archetype == "new").sum())
    created_day[archetype == "prospect"] = rng.uniform(0, span, (archetype == "prospect").sum())
    return _People(numbers, customer_ids, archetype, customer_type, created_day)


def _customers(rng: np.random.Generator, people: _People, period: Period) -> pd.DataFrame:
    """The customer rows: profile, consent as given at sign-up, contact details."""
    count, span, numbers = len(people), period.days, people.numbers
    created_day, customer_type, customer_ids = (
        people.created_day,
        people.customer_type,
        people.ids,
    )
    city_index = rng.integers(0, len(CITIES), count)
    consent = rng.choice(["opt_in", "opt_out", ""], count, p=[0.70, 0.15, 0.15])
    consent_day = created_day + rng.uniform(0, 30, count)
    referred = (rng.random(count) < 0.08) & (numbers > 10)
    referrer = np.char.add(
        "C", np.char.zfill(np.maximum(1, (numbers * rng.random(count)).astype(int)).astype(str), 6)
    )
    return pd.DataFrame(
        {
            "customer_id": customer_ids,
            "created_at": period.stamp(np.floor(created_day), rng.integers(0, 86_400, count)),
            "customer_type": customer_type,
            "region": [CITIES[i][0] for i in city_index],
            "city": [CITIES[i][1] for i in city_index],
            "gender": rng.choice(
                ["female", "male", "other", ""], count, p=[0.52, 0.44, 0.01, 0.03]
            ),
            "birth_year": rng.integers(1955, 2006, count).astype(str),
            "income_band": rng.choice(["low", "middle", "high"], count, p=[0.3, 0.5, 0.2]),
            "acquisition_channel": np.where(
                referred, "referral", rng.choice(["online", "store", "partner", "event"], count)
            ),
            "is_vip_member": np.where(rng.random(count) < 0.1, "true", "false"),
            "referred_by_customer_id": np.where(referred, referrer.astype(object), ""),
            "marketing_consent": consent,
            "marketing_consent_at": np.where(
                consent == "",
                "",
                period.stamp(
                    np.minimum(np.floor(consent_day), span), rng.integers(0, 86_400, count)
                ),
            ),
            "full_name": [
                SURNAMES[i] + GIVEN_NAMES[j]
                for i, j in zip(
                    rng.integers(0, len(SURNAMES), count),
                    rng.integers(0, len(GIVEN_NAMES), count),
                    strict=True,
                )
            ],
            "email": np.char.add(
                np.char.add("user", np.char.zfill(numbers.astype(str), 6)), "@example.com"
            ).astype(object),
            "phone": np.char.add(
                "138", np.char.zfill(rng.integers(0, 10**8, count).astype(str), 8)
            ).astype(object),
        },
        columns=COLUMNS["customers"],
    )


def _orders(
    rng: np.random.Generator,
    chunk_number: int,
    people: _People,
    owners: np.ndarray,
    purchase_day: np.ndarray,
    period: Period,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The planted purchases plus cancelled and returned extras; also each order's owner and id."""
    span, customer_ids = period.days, people.ids
    n_purchases = len(owners)
    extra = rng.random(n_purchases) < 0.075
    extra_owner = owners[extra]
    extra_day = np.minimum(purchase_day[extra] + rng.integers(1, 20, extra.sum()), span)
    extra_status = rng.choice(["cancelled", "returned"], extra.sum(), p=[3 / 7, 4 / 7])
    order_owner = np.concatenate([owners, extra_owner])
    order_day = np.concatenate([purchase_day, extra_day])
    status = np.concatenate([np.full(n_purchases, "completed", dtype=object), extra_status])
    order = np.lexsort((np.arange(len(order_day)), order_day, order_owner))
    order_owner, order_day, status = order_owner[order], order_day[order], status[order]
    n_orders = len(order_owner)
    order_seconds = rng.integers(8 * 3600, 22 * 3600, n_orders)
    ordered_at = period.stamp(order_day, order_seconds)
    update_delay = np.where(status == "completed", 0, rng.integers(1, 15, n_orders))
    updated_at = period.stamp(order_day + update_delay, order_seconds)
    order_ids = np.char.add(
        np.char.add("O", np.char.zfill(str(chunk_number), 3)),
        np.char.zfill(np.arange(n_orders).astype(str), 7),
    ).astype(object)
    frame = pd.DataFrame(
        {
            "order_id": order_ids,
            "customer_id": customer_ids[order_owner],
            "ordered_at": ordered_at,
            "status": status,
            "channel": rng.choice(
                ["online", "store", "phone", "partner"], n_orders, p=[0.6, 0.25, 0.05, 0.1]
            ),
            "updated_at": updated_at,
        },
        columns=COLUMNS["orders"],
    )
    return frame, order_owner, order_ids


def _order_lines(
    rng: np.random.Generator,
    people: _People,
    cycle: np.ndarray,
    order_owner: np.ndarray,
    order_ids: np.ndarray,
    products: pd.DataFrame,
) -> tuple[pd.DataFrame, np.ndarray]:
    """One to three lines per order; a repurchaser's first line is their planted product.

    Also returns each customer's planted category (empty for customers without a cycle).
    """
    count, n_orders, customer_type = len(people), len(order_ids), people.customer_type
    category_of = products["category"].to_numpy()
    planted_product = rng.integers(0, len(products), count)
    planted_category = np.where(cycle > 0, category_of[planted_product], "")
    lines_per_order = rng.choice([1, 2, 3], n_orders, p=[0.55, 0.3, 0.15])
    line_order = np.repeat(np.arange(n_orders), lines_per_order)
    first_line = np.concatenate([[0], np.cumsum(lines_per_order)[:-1]])
    line_number = np.arange(len(line_order)) - np.repeat(first_line, lines_per_order)
    product_index = rng.integers(0, len(products), len(line_order))
    is_cycle_line = (line_number == 0) & (cycle[order_owner[line_order]] > 0)
    product_index[is_cycle_line] = planted_product[order_owner[line_order][is_cycle_line]]
    base_price = np.array([line[3] for line in PRODUCT_LINES])[product_index]
    spend = rng.lognormal(0.0, 0.6, count) * np.array([TYPE_SPEND[t] for t in customer_type])
    owner_of_line = order_owner[line_order]
    quantity = np.maximum(
        1, np.round(spend[owner_of_line] * rng.uniform(0.6, 1.6, len(line_order)))
    ).astype(np.int64)
    quantity = np.minimum(quantity, 50)
    unit_price = np.round(base_price * rng.uniform(0.9, 1.1, len(line_order)), 2)
    unit_cost = np.round(unit_price * rng.uniform(0.4, 0.7, len(line_order)), 2)
    discount = np.where(
        rng.random(len(line_order)) < 0.2,
        np.round(quantity * unit_price * rng.uniform(0, 0.2, len(line_order)), 2),
        0.0,
    )
    cost_text = np.char.mod("%.2f", unit_cost).astype(object)
    cost_text[rng.random(len(line_order)) < 0.01] = ""
    frame = pd.DataFrame(
        {
            "order_line_id": np.char.add(
                np.char.add(order_ids[line_order].astype(str), "-"), (line_number + 1).astype(str)
            ).astype(object),
            "order_id": order_ids[line_order],
            "product_id": products["product_id"].to_numpy()[product_index],
            "quantity": quantity.astype(str),
            "unit_price": np.char.mod("%.2f", unit_price),
            "unit_cost": cost_text,
            "discount_amount": np.char.mod("%.2f", discount),
        },
        columns=COLUMNS["order_lines"],
    )
    return frame, planted_category


def _survey_responses(
    rng: np.random.Generator, chunk_number: int, people: _People, period: Period
) -> tuple[pd.DataFrame, np.ndarray]:
    """Recent surveys that show the loyal archetypes' attitude, random ones for others.

    Also returns each customer's planted attitude (high, low or empty).
    """
    count, span, archetype, customer_ids = len(people), period.days, people.archetype, people.ids
    is_loyalty = np.isin(archetype, list(LOYALTY_ATTITUDE))
    has_recent = is_loyalty & (rng.random(count) < 0.9)
    has_random = ~is_loyalty & (archetype != "prospect") & (rng.random(count) < 0.25)
    attitude = np.array([LOYALTY_ATTITUDE.get(a, "") for a in archetype], dtype=object)
    attitude[~has_recent] = ""
    survey_owner = np.concatenate([np.flatnonzero(has_recent), np.flatnonzero(has_random)])
    survey_day = np.concatenate(
        [
            rng.uniform(span - 300, span - 5, has_recent.sum()),
            rng.uniform(0, span, has_random.sum()),
        ]
    )
    survey_kind = np.concatenate(
        [attitude[has_recent], np.full(has_random.sum(), "mixed", dtype=object)]
    )
    # An older, mixed survey for some customers: trends over time.
    older = rng.random(len(survey_owner)) < 0.3
    survey_owner = np.concatenate([survey_owner, survey_owner[older]])
    survey_day = np.concatenate(
        [survey_day, np.maximum(survey_day[older] - rng.uniform(120, 400, older.sum()), 0)]
    )
    survey_kind = np.concatenate([survey_kind, np.full(older.sum(), "mixed", dtype=object)])
    order = np.lexsort((survey_day, survey_owner))
    survey_owner, survey_day, survey_kind = (
        survey_owner[order],
        np.floor(survey_day[order]),
        survey_kind[order],
    )
    n_surveys = len(survey_owner)
    high = survey_kind == "high"
    low = survey_kind == "low"
    mixed = survey_kind == "mixed"

    def likert() -> np.ndarray:
        return np.select(
            [high, low],
            [rng.integers(4, 6, n_surveys), rng.integers(1, 4, n_surveys)],
            rng.integers(1, 6, n_surveys),
        )

    nps = np.select(
        [high, low],
        [rng.integers(9, 11, n_surveys), rng.integers(0, 7, n_surveys)],
        rng.integers(0, 11, n_surveys),
    )
    csat = np.select(
        [high, low],
        [rng.integers(4, 6, n_surveys), rng.integers(1, 4, n_surveys)],
        rng.integers(1, 6, n_surveys),
    )
    comment = np.where(
        nps >= 9,
        rng.choice(POSITIVE_COMMENTS, n_surveys),
        np.where(
            nps <= 6,
            rng.choice(NEGATIVE_COMMENTS, n_surveys),
            rng.choice(NEUTRAL_COMMENTS, n_surveys),
        ),
    )
    del mixed
    frame = pd.DataFrame(
        {
            "response_id": np.char.add(
                np.char.add("R", np.char.zfill(str(chunk_number), 3)),
                np.char.zfill(np.arange(n_surveys).astype(str), 7),
            ).astype(object),
            "customer_id": customer_ids[survey_owner],
            "responded_at": period.stamp(
                survey_day.astype(np.int64), rng.integers(8 * 3600, 22 * 3600, n_surveys)
            ),
            "csat_score": csat.astype(str),
            "nps_score": nps.astype(str),
            "trust_score": likert().astype(str),
            "preference_score": likert().astype(str),
            "repurchase_intent_score": likert().astype(str),
            "comment": comment,
        },
        columns=COLUMNS["survey_responses"],
    )
    return frame, attitude


def _last_purchase_day(count: int, owners: np.ndarray, purchase_day: np.ndarray) -> np.ndarray:
    """Each customer's last planted purchase day (-1 without one)."""
    last = np.full(count, -1, dtype=np.int64)
    np.maximum.at(last, owners, purchase_day)
    return last


def _service_tickets(
    rng: np.random.Generator,
    chunk_number: int,
    people: _People,
    attitude: np.ndarray,
    period: Period,
    last_purchase: np.ndarray,
) -> tuple[pd.DataFrame, np.ndarray]:
    """One ticket for some customers: more often, and more often a complaint, when attitude is low.

    A lapsed customer's ticket came soon after their last purchase and was
    answered slowly more often (RESPONSE_SPEED_SHARES). Also returns each
    customer's planted response speed (empty without a ticket).
    """
    count, span, archetype = len(people), period.days, people.archetype
    created_day, customer_ids = people.created_day, people.ids
    has_ticket = (archetype != "prospect") & (
        rng.random(count) < np.where(attitude == "low", 0.4, 0.13)
    )
    ticket_owner = np.flatnonzero(has_ticket)
    n_tickets = len(ticket_owner)
    lapsed = (last_purchase[ticket_owner] >= 0) & (last_purchase[ticket_owner] < span - LAPSED_DAYS)
    opened_day = np.floor(
        np.where(
            lapsed,
            last_purchase[ticket_owner] + rng.uniform(1, 45, n_tickets),
            rng.uniform(np.maximum(created_day[ticket_owner], span - 500), span),
        )
    )
    opened_seconds = rng.integers(8 * 3600, 20 * 3600, n_tickets)
    complaint_share = np.where(attitude[ticket_owner] == "low", 0.7, 0.3)
    category = np.where(
        rng.random(n_tickets) < complaint_share,
        "complaint",
        rng.choice(["inquiry", "repair"], n_tickets),
    )
    speeds = np.array(list(RESPONSE_SPEED_HOURS))
    speed = np.where(
        lapsed,
        rng.choice(speeds, n_tickets, p=RESPONSE_SPEED_SHARES["lapsed"]),
        rng.choice(speeds, n_tickets, p=RESPONSE_SPEED_SHARES["still_buying"]),
    )
    low_hours = np.array([RESPONSE_SPEED_HOURS[s][0] for s in speed])
    high_hours = np.array([RESPONSE_SPEED_HOURS[s][1] for s in speed])
    response_hours = rng.uniform(low_hours, high_hours)
    response_seconds = opened_seconds + np.round(response_hours * 3600).astype(np.int64)
    resolved_seconds = response_seconds + rng.integers(3600, 10 * 86_400, n_tickets)
    still_open = (opened_day > span - 10) & (rng.random(n_tickets) < 0.6)
    speed_of_customer = np.full(count, "", dtype=object)
    speed_of_customer[ticket_owner] = speed
    frame = pd.DataFrame(
        {
            "ticket_id": np.char.add(
                np.char.add("T", np.char.zfill(str(chunk_number), 3)),
                np.char.zfill(np.arange(n_tickets).astype(str), 6),
            ).astype(object),
            "customer_id": customer_ids[ticket_owner],
            "opened_at": period.stamp(opened_day.astype(np.int64), opened_seconds),
            "category": category,
            "first_responded_at": period.stamp(opened_day.astype(np.int64), response_seconds),
            "resolved_at": np.where(
                still_open, "", period.stamp(opened_day.astype(np.int64), resolved_seconds)
            ),
        },
        columns=COLUMNS["service_tickets"],
    )
    return frame, speed_of_customer


def _truth(
    people: _People,
    last_purchase: np.ndarray,
    cycle: np.ndarray,
    planted_category: np.ndarray,
    attitude: np.ndarray,
    response_speed: np.ndarray,
    period: Period,
) -> pd.DataFrame:
    """What was planted per customer, for the tests to recover from the marts."""
    span, archetype, customer_type, customer_ids = (
        period.days,
        people.archetype,
        people.customer_type,
        people.ids,
    )
    bought = last_purchase >= 0
    return pd.DataFrame(
        {
            "customer_id": customer_ids,
            "archetype": archetype,
            "customer_type": customer_type,
            "planted_cycle_days": np.where(cycle > 0, cycle.astype(str), ""),
            "planted_category": planted_category,
            "attitude": attitude,
            "is_churned": np.where(
                (archetype == "churned") & bought & (last_purchase < span - 365), "true", "false"
            ),
            "is_lapsed": np.where(bought & (last_purchase < span - LAPSED_DAYS), "true", "false"),
            "response_speed": response_speed,
        },
        columns=TRUTH_COLUMNS,
    )


def _chunk(
    chunk_number: int,
    first_number: int,
    count: int,
    seed: int,
    period: Period,
    products: pd.DataFrame,
) -> _Chunk:
    """The tables of `count` customers, each step drawing from the chunk's own generator."""
    rng = np.random.default_rng([seed, chunk_number])
    people = _draw_people(rng, first_number, count, period)
    owners, purchase_day, cycle = _purchase_days(rng, people.archetype, period, people.created_day)
    customers = _customers(rng, people, period)
    orders, order_owner, order_ids = _orders(
        rng, chunk_number, people, owners, purchase_day, period
    )
    order_lines, planted_category = _order_lines(
        rng, people, cycle, order_owner, order_ids, products
    )
    survey_responses, attitude = _survey_responses(rng, chunk_number, people, period)
    last_purchase = _last_purchase_day(len(people), owners, purchase_day)
    service_tickets, response_speed = _service_tickets(
        rng, chunk_number, people, attitude, period, last_purchase
    )
    truth = _truth(people, last_purchase, cycle, planted_category, attitude, response_speed, period)
    return _Chunk(customers, orders, order_lines, survey_responses, service_tickets, truth)


def _marketing_permissions(
    rng: np.random.Generator, chunk_number: int, chunk: _Chunk, period: Period
) -> None:
    """Consent answers given after sign-up, and suppressions (what campaigns must respect)."""
    customers = chunk.customers
    count = len(customers)
    consent = customers["marketing_consent"].to_numpy()
    answered_at = pd.to_datetime(
        customers["marketing_consent_at"].where(
            customers["marketing_consent_at"] != "", customers["created_at"]
        )
    )
    end = pd.Timestamp(period.end) + pd.Timedelta(hours=23)
    # 15% change their mind later (opt_in -> opt_out, else -> opt_in); 1% answer both
    # ways at the same moment (opt_out wins).
    changed = rng.random(count) < 0.15
    tied = ~changed & (rng.random(count) < 0.01)
    later = answered_at + pd.to_timedelta(rng.uniform(30, 400, count), unit="D")
    later = later.where(later <= end, end).dt.floor("s")
    changed_ids = customers["customer_id"].to_numpy()[changed]
    new_consent = np.where(consent[changed] == "opt_in", "opt_out", "opt_in")
    tied_ids = customers["customer_id"].to_numpy()[tied]
    tied_at = later[tied].dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy()
    events = pd.DataFrame(
        {
            "customer_id": np.concatenate([changed_ids, tied_ids, tied_ids]),
            "consent": np.concatenate(
                [new_consent, np.full(tied.sum(), "opt_in"), np.full(tied.sum(), "opt_out")]
            ),
            "recorded_at": np.concatenate(
                [later[changed].dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(), tied_at, tied_at]
            ),
        }
    ).sort_values(["customer_id", "recorded_at", "consent"], kind="stable", ignore_index=True)
    events.insert(
        0, "consent_event_id", [f"E{chunk_number:03d}{i:07d}" for i in range(len(events))]
    )
    events["channel"] = rng.choice(
        ["web", "app", "store", "call_centre", "email_link"], len(events)
    )
    chunk.consent_events = events[COLUMNS["consent_events"]]

    suppressed = rng.random(count) < 0.02
    n_suppressed = int(suppressed.sum())
    reason = rng.choice(
        ["do_not_contact", "bounced", "complaint_handling"], n_suppressed, p=[0.5, 0.3, 0.2]
    )
    start_day = np.floor(rng.uniform(period.days - 300, period.days - 1, n_suppressed)).astype(
        np.int64
    )
    lifted = (reason == "complaint_handling") & (rng.random(n_suppressed) < 0.5)
    chunk.suppressions = pd.DataFrame(
        {
            "suppression_id": [f"S{chunk_number:03d}{i:06d}" for i in range(n_suppressed)],
            "customer_id": customers["customer_id"].to_numpy()[suppressed],
            "reason": reason,
            "suppressed_at": period.stamp(start_day),
            "lifted_at": np.where(lifted, period.stamp(start_day + 30), ""),
        },
        columns=COLUMNS["suppressions"],
    )


def _plant_mess(
    rng: np.random.Generator, chunk: _Chunk, mess: Counter, with_invalid_rows: bool
) -> None:
    """Duplicates and re-exports in every chunk, invalid rows in the first; counted in `mess`."""
    orders, lines = chunk.orders, chunk.order_lines

    # Re-exported orders: a later row with a new status supersedes the first (occasional buyers).
    occasional_ids = set(chunk.truth.loc[chunk.truth["archetype"] == "occasional", "customer_id"])
    candidates = np.flatnonzero(
        orders["customer_id"].isin(occasional_ids).to_numpy()
        & (orders["status"] == "completed").to_numpy()
    )
    reexported = rng.choice(
        candidates, min(len(candidates), max(1, len(orders) // 100)), replace=False
    )
    reexports = orders.iloc[np.sort(reexported)].copy()
    reexports["status"] = "returned"
    reexports["updated_at"] = (
        pd.to_datetime(reexports["ordered_at"]) + pd.Timedelta(days=9)
    ).dt.strftime("%Y-%m-%d %H:%M:%S")
    mess["orders", "superseded_version"] += len(reexports)

    rest = np.setdiff1d(np.arange(len(orders)), reexported)
    duplicated_orders = orders.iloc[
        np.sort(rng.choice(rest, max(1, len(orders) // 200), replace=False))
    ]
    mess["orders", "exact_duplicate"] += len(duplicated_orders)
    duplicated_lines = lines.iloc[
        np.sort(rng.choice(len(lines), max(1, len(lines) * 3 // 1000), replace=False))
    ]
    mess["order_lines", "exact_duplicate"] += len(duplicated_lines)
    duplicated_customers = chunk.customers.iloc[
        np.sort(
            rng.choice(len(chunk.customers), max(1, len(chunk.customers) // 1000), replace=False)
        )
    ]
    mess["customers", "exact_duplicate"] += len(duplicated_customers)

    chunk.orders = pd.concat([orders, reexports, duplicated_orders], ignore_index=True)
    chunk.order_lines = pd.concat([lines, duplicated_lines], ignore_index=True)
    chunk.customers = pd.concat([chunk.customers, duplicated_customers], ignore_index=True)
    if with_invalid_rows:
        _plant_invalid_rows(chunk, orders, mess)


def _plant_invalid_rows(chunk: _Chunk, orders: pd.DataFrame, mess: Counter) -> None:
    """A handful of rows of each invalid kind, each counted in `mess`."""
    template_order = orders.iloc[0]
    bad_orders = []
    for number in range(5):
        bad_orders.append(
            {**template_order, "order_id": f"XU{number:05d}", "customer_id": "C999999"}
        )
    mess["orders", "unknown_customer"] += 5
    for number, text in enumerate(["not-a-date", "2026-13-45 10:00:00", "31/12/2025"]):
        bad_orders.append(
            {**template_order, "order_id": f"XP{number:05d}", "ordered_at": text, "updated_at": ""}
        )
    mess["orders", "unparsable_ordered_at"] += 3
    for number in range(2):
        bad_orders.append(
            {
                **template_order,
                "order_id": f"XF{number:05d}",
                "ordered_at": f"2030-01-0{number + 1} 10:00:00",
                "updated_at": "",
            }
        )
    mess["orders", "future_ordered_at"] += 2

    valid_order_id = orders["order_id"].iloc[len(orders) // 2]
    bad_lines = [
        {
            "order_line_id": f"XQ{number:05d}",
            "order_id": valid_order_id,
            "product_id": "P001",
            "quantity": quantity,
            "unit_price": "98.00",
            "unit_cost": "50.00",
            "discount_amount": "0.00",
        }
        for number, quantity in enumerate(["0", "-1", "0", "-3"])
    ]
    mess["order_lines", "non_positive_quantity"] += 4
    bad_lines += [
        {
            "order_line_id": f"XN{number:05d}",
            "order_id": valid_order_id,
            "product_id": "P002",
            "quantity": "1",
            "unit_price": "-59.00",
            "unit_cost": "20.00",
            "discount_amount": "0.00",
        }
        for number in range(3)
    ]
    mess["order_lines", "negative_unit_price"] += 3

    surveyed = chunk.customers["customer_id"].iloc[0]
    bad_surveys = [
        {
            "response_id": f"XS{number:05d}",
            "customer_id": surveyed,
            "responded_at": "2026-01-15 10:00:00",
            "csat_score": "7",
            "nps_score": "8",
            "trust_score": "4",
            "preference_score": "4",
            "repurchase_intent_score": "4",
            "comment": "打错分了",
        }
        for number in range(3)
    ] + [
        {
            "response_id": f"XT{number:05d}",
            "customer_id": surveyed,
            "responded_at": "2026-01-16 10:00:00",
            "csat_score": "4",
            "nps_score": "11",
            "trust_score": "4",
            "preference_score": "4",
            "repurchase_intent_score": "4",
            "comment": "",
        }
        for number in range(2)
    ]
    mess["survey_responses", "csat_out_of_range"] += 3
    mess["survey_responses", "nps_out_of_range"] += 2
    bad_tickets = [
        {
            "ticket_id": f"XR{number:05d}",
            "customer_id": surveyed,
            "opened_at": "2026-02-10 10:00:00",
            "category": "repair",
            "first_responded_at": "2026-02-10 11:00:00",
            "resolved_at": "2026-02-09 10:00:00",
        }
        for number in range(3)
    ]
    mess["service_tickets", "resolved_before_opened"] += 3
    bad_customers = [
        {**chunk.customers.iloc[0], "customer_id": "", "email": f"lost{number}@example.com"}
        for number in range(2)
    ]
    mess["customers", "missing_customer_id"] += 2

    chunk.orders = pd.concat([chunk.orders, pd.DataFrame(bad_orders)], ignore_index=True)
    chunk.order_lines = pd.concat([chunk.order_lines, pd.DataFrame(bad_lines)], ignore_index=True)
    chunk.customers = pd.concat([chunk.customers, pd.DataFrame(bad_customers)], ignore_index=True)
    chunk.survey_responses = pd.concat(
        [chunk.survey_responses, pd.DataFrame(bad_surveys)], ignore_index=True
    )
    chunk.service_tickets = pd.concat(
        [chunk.service_tickets, pd.DataFrame(bad_tickets)], ignore_index=True
    )
    bad_consents = [
        {
            "consent_event_id": f"XC{number:05d}",
            "customer_id": surveyed,
            "consent": "maybe",
            "recorded_at": "2026-03-01 10:00:00",
            "channel": "web",
        }
        for number in range(2)
    ]
    mess["consent_events", "invalid_consent"] += 2
    bad_suppressions = [
        {
            "suppression_id": f"XS{number:05d}",
            "customer_id": surveyed,
            "reason": "spam",
            "suppressed_at": "2026-03-01 10:00:00",
            "lifted_at": "",
        }
        for number in range(2)
    ]
    mess["suppressions", "unknown_reason"] += 2
    chunk.consent_events = pd.concat(
        [chunk.consent_events, pd.DataFrame(bad_consents)], ignore_index=True
    )
    chunk.suppressions = pd.concat(
        [chunk.suppressions, pd.DataFrame(bad_suppressions)], ignore_index=True
    )


def _append_csv(frame: pd.DataFrame, path: Path, header: bool) -> None:
    frame.to_csv(
        path,
        mode="w" if header else "a",
        header=header,
        index=False,
        lineterminator="\n",
        quoting=csv.QUOTE_MINIMAL,
    )


def generate(
    customers: int,
    seed: int,
    out_dir: Path,
    end_date: date = date(2026, 10, 31),
    years: float = 2.5,
    file_format: str = "csv",
) -> dict[str, int]:
    """Write the raw tables (and _truth/) into out_dir; return the row count of each table.

    Chunk by chunk: CSV rows are appended, Parquet chunks become row groups of
    one file per table (all columns text, as a company export would be), so
    memory holds one chunk at a time.
    """
    if customers < 100:
        raise ValueError("--customers must be at least 100 (the planted mess needs room).")
    if file_format not in ("csv", "parquet"):
        raise ValueError("--format must be csv or parquet.")
    out_dir = Path(out_dir)
    (out_dir / "_truth").mkdir(parents=True, exist_ok=True)
    period = Period(start=end_date - timedelta(days=round(years * 365.25)), end=end_date)
    products = _products(period)
    counts: Counter = Counter({"products": len(products)})
    mess: Counter = Counter()
    parquet_writers: dict[str, pq.ParquetWriter] = {}
    text_schema = {
        table: pa.schema([(column, pa.string()) for column in columns])
        for table, columns in COLUMNS.items()
    }
    # Products are the same for every chunk: written once, after the chunks.
    tables = [table for table in COLUMNS if table != "products"]
    for chunk_number, first in enumerate(range(0, customers, CHUNK_CUSTOMERS)):
        size = min(CHUNK_CUSTOMERS, customers - first)
        chunk = _chunk(chunk_number, first + 1, size, seed, period, products)
        _marketing_permissions(
            np.random.default_rng([seed, chunk_number, 2]), chunk_number, chunk, period
        )
        _plant_mess(np.random.default_rng([seed, chunk_number, 1]), chunk, mess, chunk_number == 0)
        for table in tables:
            frame = getattr(chunk, table).astype(str).replace({"nan": ""})
            counts[table] += len(frame)
            if file_format == "csv":
                _append_csv(frame, out_dir / f"{table}.csv", header=chunk_number == 0)
            else:
                if table not in parquet_writers:
                    parquet_writers[table] = pq.ParquetWriter(
                        out_dir / f"{table}.parquet", text_schema[table]
                    )
                parquet_writers[table].write_table(
                    pa.Table.from_pandas(frame, schema=text_schema[table], preserve_index=False)
                )
        _append_csv(
            chunk.truth, out_dir / "_truth" / "planted_customers.csv", header=chunk_number == 0
        )
    if file_format == "csv":
        _append_csv(products, out_dir / "products.csv", header=True)
    else:
        for writer in parquet_writers.values():
            writer.close()
        pq.write_table(
            pa.Table.from_pandas(products, schema=text_schema["products"], preserve_index=False),
            out_dir / "products.parquet",
        )
    pd.DataFrame(
        [
            {"table": table, "kind": kind, "count": count}
            for (table, kind), count in sorted(mess.items())
        ]
    ).to_csv(out_dir / "_truth" / "planted_mess.csv", index=False, lineterminator="\n")
    return dict(counts)

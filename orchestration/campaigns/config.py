"""Load and validate the campaign rules in campaigns.yml.

Validation happens when the file is loaded (so when the Dagster code location
loads, before any run starts): every key known, names unique and usable as
table names, priorities unique, shares between 0 and 1, and every audience
one SQL condition and nothing else: columns of marts.customers (or, in an
EXISTS / IN subquery, of other marts), checked against the dbt manifest,
and only the node types and functions of the allow-lists below; the
same for each campaign's own columns (columns.py).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlglot
import yaml
from sqlglot import exp

from orchestration.campaigns.columns import (
    CampaignColumns,
    ColumnsError,
    check_columns,
    parse_columns,
)
from orchestration.settings import Settings

_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_REQUIRED = ("name", "goal", "audience", "priority", "channel", "offer_en", "offer_zh")
_OPTIONAL = ("max_customers", "holdout_share", "columns")


class CampaignConfigError(ValueError):
    """campaigns.yml is not valid; the message says which campaign and what to fix."""


@dataclass(frozen=True)
class CampaignSettings:
    """Rules that apply to every list; the defaults of the `settings:` of campaigns.yml."""

    frequency_cap_days: int = 7
    default_holdout_share: float = 0.10
    # With campaign, wave date and customer id it decides who is held out, so a
    # wave re-run gives the same lists.
    holdout_seed: int = 20261124
    # Holdout and global control are drawn once per period of this many days
    # (counted from 1970-01-01), so a customer keeps the assignment in every
    # wave of the period; 1 draws afresh for every wave date.
    holdout_period_days: int = 91
    # Optional: a share of all customers kept out of every campaign for the
    # period (global control group), to measure the programme as a whole.
    global_control_share: float = 0.0
    # A wave stops when the data's as-of date is more than this many days
    # before the wave date (run config allow_stale_data overrides it).
    max_data_age_days: int = 14
    # Phone numbers given as bare digits are exported as `<code> <number>`,
    # so a spreadsheet keeps them as text (a leading zero or + is never lost).
    phone_country_code: str = "+86"


@dataclass(frozen=True)
class Campaign:
    name: str
    goal: str
    audience: str
    priority: int
    channel: str
    offer_en: str
    offer_zh: str
    max_customers: int | None = None
    holdout_share: float = CampaignSettings.default_holdout_share
    # What the contact is about: the list's own columns (columns.py).
    columns: CampaignColumns | None = None


@dataclass(frozen=True)
class CampaignConfig:
    settings: CampaignSettings
    campaigns: list[Campaign]


def _share(value: object, where: str, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise CampaignConfigError(
            f"{where}: {field} must be a number from 0 to below 1, not {value!r}."
        )
    return float(value)


def _settings(document: dict, path: Path) -> CampaignSettings:
    given = document.get("settings") or {}
    defaults = asdict(CampaignSettings())
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise CampaignConfigError(
            f"{path}: unknown key(s) under settings: {', '.join(unknown)} "
            f"(known: {', '.join(defaults)})."
        )
    values = {**defaults, **given}
    for key, least in (
        ("frequency_cap_days", 0),
        ("holdout_seed", 0),
        ("holdout_period_days", 1),
        ("max_data_age_days", 0),
    ):
        value = values[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise CampaignConfigError(
                f"{path}: settings.{key} must be a whole number >= {least}, not {value!r}."
            )
    if not re.match(r"^\+\d{1,3}$", str(values["phone_country_code"])):
        raise CampaignConfigError(
            f"{path}: settings.phone_country_code must be + and 1 to 3 digits, e.g. '+86', "
            f"not {values['phone_country_code']!r}."
        )
    for key in ("default_holdout_share", "global_control_share"):
        values[key] = _share(values[key], f"{path}, settings", key)
    return CampaignSettings(**values)


def _campaign(entry: object, position: int, path: Path, settings: CampaignSettings) -> Campaign:
    where = f"{path}, campaign #{position}"
    if not isinstance(entry, dict):
        raise CampaignConfigError(f"{where}: expected a mapping with keys {', '.join(_REQUIRED)}.")
    where = f"{where} ({entry.get('name', '?')})"
    missing = [field for field in _REQUIRED if field not in entry]
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if missing or unknown:
        raise CampaignConfigError(
            f"{where}: missing key(s) {missing or 'none'}, unknown key(s) {unknown or 'none'} "
            f"(allowed: {', '.join(_REQUIRED + _OPTIONAL)})."
        )
    name = str(entry["name"])
    if not _NAME_PATTERN.match(name):
        raise CampaignConfigError(
            f"{where}: name {name!r} must be lower_snake_case (it becomes a table name)."
        )
    priority = entry["priority"]
    if isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
        raise CampaignConfigError(f"{where}: priority must be a whole number >= 1.")
    max_customers = entry.get("max_customers")
    if max_customers is not None and (
        isinstance(max_customers, bool) or not isinstance(max_customers, int) or max_customers < 1
    ):
        raise CampaignConfigError(f"{where}: max_customers must be a whole number >= 1 or empty.")
    holdout = entry.get("holdout_share", settings.default_holdout_share)
    try:
        columns = parse_columns(entry["columns"]) if "columns" in entry else None
    except ColumnsError as error:
        raise CampaignConfigError(f"{where}: {error}") from error
    return Campaign(
        name=name,
        goal=str(entry["goal"]),
        audience=str(entry["audience"]),
        priority=priority,
        channel=str(entry["channel"]),
        offer_en=str(entry["offer_en"]),
        offer_zh=str(entry["offer_zh"]),
        max_customers=max_customers,
        holdout_share=_share(holdout, where, "holdout_share"),
        columns=columns,
    )


def load_config(
    path: Path | None = None, mart_columns: dict[str, set[str]] | None = None
) -> CampaignConfig:
    """Read and validate the campaign file; raises CampaignConfigError naming what to fix.

    path defaults to the shipped campaigns.yml (Settings().campaigns_file);
    mart_columns ({mart name: column names}) to the marts of the dbt manifest.
    """
    if path is None:
        path = Settings().campaigns_file
    if mart_columns is None:
        from orchestration.project import load_manifest
        from orchestration.project import mart_columns as manifest_mart_columns

        mart_columns = manifest_mart_columns(load_manifest())
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise CampaignConfigError(f"{path}: cannot read the campaign file: {error}") from error
    if not isinstance(document, dict):
        raise CampaignConfigError(f"{path}: expected `settings:` and `campaigns:` at the top.")
    unknown = sorted(set(document) - {"settings", "campaigns"})
    if unknown:
        raise CampaignConfigError(f"{path}: unknown top-level key(s): {', '.join(unknown)}.")
    settings = _settings(document, path)
    entries = document.get("campaigns")
    if not isinstance(entries, list) or not entries:
        raise CampaignConfigError(f"{path}: expected a non-empty list under `campaigns:`.")
    campaigns = [
        _campaign(entry, number, path, settings) for number, entry in enumerate(entries, 1)
    ]
    names = [campaign.name for campaign in campaigns]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise CampaignConfigError(f"{path}: duplicate campaign name(s): {', '.join(duplicates)}.")
    priorities = [campaign.priority for campaign in campaigns]
    shared = sorted({p for p in priorities if priorities.count(p) > 1})
    if shared:
        raise CampaignConfigError(
            f"{path}: priority {shared} is given to more than one campaign; priorities decide "
            "which campaign gets a customer who qualifies for several, so they must differ."
        )
    for campaign in campaigns:
        validate_audience(campaign, mart_columns, path)
        if campaign.columns is not None:
            try:
                check_columns(campaign.columns, mart_columns)
            except ColumnsError as error:
                raise CampaignConfigError(f"{path}, campaign {campaign.name}: {error}") from error
    return CampaignConfig(settings, sorted(campaigns, key=lambda c: (c.priority, c.name)))


def load_campaigns(path: Path | None = None) -> list[Campaign]:
    """The campaigns of the file in priority order (see load_config)."""
    return load_config(path).campaigns


# What an audience may be made of: one condition over mart columns, with
# literals, arithmetic, comparisons, CASE, and EXISTS / IN subqueries on other
# marts. Every other node sqlglot can produce (statements, set operations,
# CTEs, joins, window functions, parameters, table functions, ...) is refused.
_ALLOWED_NODES: tuple[type[exp.Expr], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.RawString,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.Var,
    exp.DataType,
    exp.DataTypeParam,
    exp.Interval,
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.IntDiv,
    exp.Mod,
    exp.Neg,
    # EXISTS (select ... from marts.<mart> as alias where ...), x IN (select ...).
    exp.Exists,
    exp.Subquery,
    exp.Select,
    exp.From,
    exp.Where,
    exp.Table,
    exp.TableAlias,
    exp.Star,
)
# The functions an audience may call.
_ALLOWED_FUNCTIONS: tuple[type[exp.Func], ...] = (
    exp.Case,
    exp.If,
    exp.Cast,
    exp.TryCast,
    exp.Coalesce,
    exp.Nullif,
    exp.Abs,
    exp.Round,
    exp.Floor,
    exp.Ceil,
    exp.Least,
    exp.Greatest,
    exp.Lower,
    exp.Upper,
    exp.Length,
    exp.Trim,
    exp.StartsWith,
    exp.CurrentDate,
    exp.DateDiff,
    exp.DateTrunc,
    exp.DateAdd,
    exp.DateSub,
    exp.Extract,
    exp.Year,
    exp.Month,
)
# The root of an audience: something that is true or false for a customer.
_CONDITIONS: tuple[type[exp.Expr], ...] = (
    exp.Predicate,
    exp.Connector,
    exp.Not,
    exp.Boolean,
    exp.Column,
    exp.Case,
    exp.If,
)
_MART_SCHEMA = "marts"


def _function_name(node: exp.Func) -> str:
    return node.name if isinstance(node, exp.Anonymous) else node.sql_name()


def _allowed_function_names() -> str:
    return ", ".join(sorted(function.sql_name().lower() for function in _ALLOWED_FUNCTIONS))


def _snippet(node: exp.Expr) -> str:
    return " ".join(node.sql(dialect="duckdb").split())[:60]


def _audience_problem(audience: str, mart_columns: dict[str, set[str]]) -> str | None:
    """What is wrong with the audience (one line), or None if it is a valid condition."""
    try:
        statements = [s for s in sqlglot.parse(audience, dialect="duckdb") if s is not None]
    except sqlglot.errors.SqlglotError as error:
        first_line = (str(error).splitlines() or ["cannot be read"])[0]
        return f"is not a valid SQL condition: {first_line}"
    if not statements:
        return "is empty; write a condition on the columns of marts.customers."
    if len(statements) > 1:
        return (
            f"must be one condition, not {len(statements)} statements "
            "(remove the `;` and what follows)."
        )
    (condition,) = statements
    root = condition.unnest()
    if not isinstance(root, _CONDITIONS):
        if isinstance(root, exp.Query):
            kind = "a query"
        elif isinstance(root, exp.Condition):
            kind = f"`{_snippet(root)}`"
        else:
            kind = f"a statement (`{_snippet(root)}`)"
        return f"must be a condition (true or false per customer), not {kind}."
    for node in condition.walk():
        if isinstance(node, _ALLOWED_NODES + _ALLOWED_FUNCTIONS):
            continue
        if isinstance(node, exp.Func):
            return (
                f"calls `{_function_name(node).lower()}`, which an audience may not use "
                f"(functions allowed: {_allowed_function_names()})."
            )
        return (
            f"uses `{_snippet(node)}` ({node.key}), which an audience may not; an audience "
            "is one condition on mart columns, with EXISTS or IN subqueries on other marts."
        )
    tables: dict[str, str] = {"customers": "customers"}
    for table in condition.find_all(exp.Table):
        if table.catalog or table.db != _MART_SCHEMA or table.name not in mart_columns:
            return (
                f"reads `{_snippet(table)}`, which is not a mart; subqueries read "
                f"{_MART_SCHEMA}.<mart> (marts: {', '.join(sorted(mart_columns))})."
            )
        tables[table.alias_or_name] = table.name
    in_scope = set().union(*(mart_columns.get(mart, set()) for mart in tables.values()))
    customers = mart_columns.get("customers", set())
    for column in condition.find_all(exp.Column):
        if column.catalog or (column.db and column.db != _MART_SCHEMA):
            return f"names `{_snippet(column)}`, which is not a column of a mart."
        if column.table:
            mart = tables.get(column.table)
            known = mart_columns.get(mart, set()) if mart else set()
        else:
            known = in_scope
        if column.name not in known:
            hint = ", ".join(sorted(customers)[:12])
            return (
                f"names unknown column `{_snippet(column)}`; the audience is a condition on the "
                f"columns of marts.customers (e.g. {hint}, ...; see the dbt docs)."
            )
    return None


def validate_audience(campaign: Campaign, mart_columns: dict[str, set[str]], path: Path) -> None:
    """The audience is one condition over mart columns, nothing else; else CampaignConfigError.

    The message is one line naming the file, the campaign and the reason, also
    for text that sqlglot cannot tokenize.
    """
    problem = _audience_problem(campaign.audience, mart_columns)
    if problem:
        shown = " ".join(campaign.audience.split())
        if len(shown) > 80:
            shown = shown[:77] + "..."
        raise CampaignConfigError(f"{path}, campaign {campaign.name}: audience `{shown}` {problem}")

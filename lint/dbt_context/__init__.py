"""What sqlfluff's jinja templater needs of dbt's own context to render the models.

sqlfluff lints the SQL written in the model files (`make lint`); what a macro
renders is a templated area it does not lint, so the stand-ins here and in
lint/macros.sql only have to render SQL that parses. sqlfluff's dbt builtins
already stand in for ref, source, config, var, is_incremental and this.
(The dbt templater would render through dbt itself, but its releases pin an
older click than dbt and Dagster need.)
"""

from datetime import datetime

run_started_at = datetime(2026, 1, 1)
invocation_id = "lint"


class target:  # dbt's target, as the default engine names it (model configs read its type)
    name = "duckdb"
    type = "duckdb"


class dbt:  # the name the models call, e.g. dbt.type_string()
    """dbt's cross-database macros the models call directly."""

    @staticmethod
    def type_string() -> str:
        return "varchar"

    @staticmethod
    def type_int() -> str:
        return "integer"

    @staticmethod
    def type_timestamp() -> str:
        return "timestamp"

    @staticmethod
    def datediff(first_date: str, second_date: str, datepart: str) -> str:
        return f"datediff('{datepart}', {first_date}, {second_date})"

    @staticmethod
    def dateadd(datepart: str, interval: str, from_date_or_timestamp: str) -> str:
        return f"date_add({from_date_or_timestamp}, to_days({interval}))"

    @staticmethod
    def date_trunc(datepart: str, date: str) -> str:
        return f"date_trunc('{datepart}', {date})"

    @staticmethod
    def concat(fields: list[str]) -> str:
        return f"concat({', '.join(fields)})"

    @staticmethod
    def listagg(measure: str, delimiter_text: str, order_by_clause: str | None = None) -> str:
        return f"string_agg({measure}, {delimiter_text} {order_by_clause or ''})"

    @staticmethod
    def date_spine(datepart: str, start_date: str, end_date: str) -> str:
        return (
            f"select unnest(generate_series({start_date}, {end_date}, interval 1 {datepart}))"
            " as date_day"
        )

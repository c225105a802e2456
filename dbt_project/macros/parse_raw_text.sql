{#-
    Turning raw text into typed values in the base models. Every parser
    returns null for text it cannot read, never an error, so the base model
    can flag the row (unparsable_<column>) instead of failing the build or
    silently dropping the value. Blank text (empty or only spaces) counts as
    missing, not as unparsable.
-#}

{#- True when the raw text is null, empty or only spaces. -#}
{% macro is_blank(expression) -%}
    coalesce(trim({{ expression }}), '') = ''
{%- endmacro %}


{#- Trimmed text, null when blank. -#}
{% macro clean_text(expression) -%}
    nullif(trim({{ expression }}), '')
{%- endmacro %}


{#- A category code: trimmed, lower-cased, null when blank. -#}
{% macro clean_category(expression) -%}
    lower({{ clean_text(expression) }})
{%- endmacro %}


{#-
    A whole number, also when written with a zero fraction ("1985.0", as
    some spreadsheet exports do); "3.5" or "1e2" are not whole numbers.
-#}
{% macro parse_integer(expression) -%}
    case
        when {{ text_matches(clean_text(expression), '^[+-]?[0-9]{1,9}([.]0*)?$') }}
            then cast(cast({{ clean_text(expression) }} as decimal(18, 6)) as {{ dbt.type_int() }})
    end
{%- endmacro %}


{#- An amount with a dot as decimal separator, rounded to cents: decimal(18,2). -#}
{% macro parse_decimal(expression) -%}
    case
        when {{ text_matches(clean_text(expression), '^[+-]?([0-9]{1,16}([.][0-9]*)?|[.][0-9]+)$') }}
            then cast({{ clean_text(expression) }} as decimal(18, 2))
    end
{%- endmacro %}


{#- true/false, 1/0, yes/no in any case. -#}
{% macro parse_boolean(expression) -%}
    case
        when {{ clean_category(expression) }} in ('true', '1', 'yes') then true
        when {{ clean_category(expression) }} in ('false', '0', 'no') then false
    end
{%- endmacro %}


{#- An ISO 8601 date (YYYY-MM-DD). -#}
{% macro parse_date(expression) -%}
    {{ return(adapter.dispatch('parse_date', 'loyalty_marts')(expression)) }}
{%- endmacro %}

{% macro default__parse_date(expression) -%}
    case
        when {{ text_matches(clean_text(expression), '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') }}
            then {{ dbt.safe_cast(clean_text(expression), 'date') }}
    end
{%- endmacro %}

{% macro duckdb__parse_date(expression) -%}
    try_cast({{ clean_text(expression) }} as date)
{%- endmacro %}

{#- Spark's cast reads more than a date ('2024-01-01 10:00', '2024'): the pattern first. -#}
{% macro spark__parse_date(expression) -%}
    case
        when {{ text_matches(clean_text(expression), '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') }}
            then cast({{ clean_text(expression) }} as date)
    end
{%- endmacro %}


{#-
    An ISO 8601 timestamp, as UTC. A date alone means midnight. Text without
    an offset is taken to be UTC already (the contract says timestamps are
    UTC), or, when `time_zone` is given (an IANA name such as Asia/Shanghai),
    local time there. On DuckDB text with an offset ("Z", "+08:00") is
    converted to UTC; the portable default reads only offset-free UTC text.
-#}
{% macro parse_timestamp(expression, time_zone=none) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'loyalty_marts')(expression, time_zone)) }}
{%- endmacro %}

{% macro default__parse_timestamp(expression, time_zone=none) -%}
    {%- if time_zone is not none and time_zone != 'UTC' -%}
        {{ exceptions.raise_compiler_error(
            "Reading offset-free timestamps as local time in " ~ time_zone
            ~ " is implemented for DuckDB only; write the raw timestamps with an offset or in UTC."
        ) }}
    {%- endif -%}
    case
        when {{ text_matches(
            clean_text(expression),
            '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?$'
        ) }}
            then {{ dbt.safe_cast(clean_text(expression), dbt.type_timestamp()) }}
    end
{%- endmacro %}

{% macro duckdb__parse_timestamp(expression, time_zone=none) -%}
    case
        when regexp_full_match(
            {{ clean_text(expression) }},
            '.*[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? *([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)'
        )
            then try_cast({{ clean_text(expression) }} as timestamptz) at time zone 'UTC'
        {%- if time_zone is none %}
        else try_cast({{ clean_text(expression) }} as timestamp)
        {%- else %}
        else (try_cast({{ clean_text(expression) }} as timestamp) at time zone '{{ time_zone }}') at time zone 'UTC'
        {%- endif %}
    end
{%- endmacro %}

{#-
    On Spark (session time zone UTC, profiles.yml) a cast of text with an
    offset gives the UTC time; offset-free text is UTC, or local time in
    time_zone converted with to_utc_timestamp. An unreadable value (a
    month 13) casts to null (spark.sql.ansi.enabled false).
-#}
{% macro spark__parse_timestamp(expression, time_zone=none) -%}
    case
        when {{ text_matches(
            clean_text(expression),
            '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?$'
        ) }}
        {%- if time_zone is none %}
            then cast({{ clean_text(expression) }} as timestamp)
        {%- else %}
            then to_utc_timestamp(cast({{ clean_text(expression) }} as timestamp), '{{ time_zone }}')
        {%- endif %}
        when {{ text_matches(
            clean_text(expression),
            '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? *([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$'
        ) }}
            then cast({{ clean_text(expression) }} as timestamp)
    end
{%- endmacro %}


{#-
    A code as matched against a table of spellings (seed consent_spellings):
    lower-cased, without spaces (also the ideographic space), hyphens and
    underscores, so `Opt-Out`, `opt out` and `OPT_OUT` are one spelling.
-#}
{% macro spelling_key(expression) -%}
    replace(replace(replace(replace(lower(trim({{ expression }})), ' ', ''), chr(12288), ''), '-', ''), '_', '')
{%- endmacro %}


{#- Whether text matches a regular expression (anchor it with ^ and $). -#}
{% macro text_matches(expression, pattern) -%}
    {{ return(adapter.dispatch('text_matches', 'loyalty_marts')(expression, pattern)) }}
{%- endmacro %}

{% macro default__text_matches(expression, pattern) -%}
    regexp_like({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__text_matches(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}


{#-
    The moment this dbt run started, as a UTC timestamp literal: values after
    it are in the future (future_<column> quarantine reasons).
-#}
{% macro run_started_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

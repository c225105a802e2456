{#-
    The body of every base model (models/staging/crm/base/): each raw row of
    one source table exactly once, typed, with what became of it. The model
    file says only what is specific to its table; this macro does the rest,
    one CTE per step:

      raw_rows           Import: the table's raw rows as text under the
                         contract's column names (the sources YAML, in its
                         order), with the file each came from. An incremental
                         model reads only files no earlier run has read, plus
                         the rows it judged before of every key those rows
                         touch or that `keys_to_revisit` names, so that
                         copies and versions compare as in a full build.
                         On DuckDB the model's pre-hook reads the CSV files
                         (macros/read_raw_files.sql).
      unreadable_lines   Lines of those files the CSV reader rejected: each
                         becomes a quarantined row with its file, line number
                         (source_line_number), the text of the line (raw_line)
                         and a reason unreadable_line_* from the reader's
                         error type; they are not checked further.
      spellings          With `spellings`: the seed of accepted spellings,
                         keyed by spelling_key (macros/parse_raw_text.sql).
      typed              Every contract column read as its data_type
                         (typed_raw_value; an offset-free timestamp in the
                         time zone its meta.time_zone names), a column of `spellings` as the
                         canonical value its spelling stands for (null when
                         the seed does not know the spelling), plus
                         source_file and raw_<column> (the raw text of every
                         contract column) for the checks and the quarantine.
      parents_looked_up  For each of `parents`: is_known_<column> (the parent
                         base model has a row with this value) and
                         is_valid_<column> (one of them is valid).
      validated          failed_check: the first of the model's `checks` that
                         holds, null when none does; key_fingerprint, a hash
                         of the `key`.
      repeated_keys      Fingerprints of keys held by more than one row. Only
                         rows of such keys can be copies or versions of one
                         another; every other row (single_rows, nearly all)
                         is the first copy and the only version of its key,
                         so one pass types, checks and ranks it, and only the
                         rows of repeated keys are sorted (a fingerprint two
                         different keys share only sends a few more rows
                         that way).
      copies_numbered    Exact copies among those rows: rows equal in every
                         contract column are numbered by file path; every
                         copy after the first is a duplicate (exact_copy) and
                         is not checked.
      versions_ranked    Rows that pass (the first copy, no failed check) and
                         share the `key` are versions of one thing. With
                         `latest_version_by`, the greatest value is the
                         current version and the others are superseded;
                         without it every passing row of a key is current.
      final              The typed contract columns, then row_status
                         (valid / quarantined / duplicate), quarantine_reason
                         (the failed check, or conflicting_versions when two
                         different rows share the current version of a key)
                         and duplicate_kind (exact_copy / superseded_version),
                         source_file and the raw_<column> text; an incremental
                         model adds its unique_key (the judged key, see
                         judgement_key; for an unreadable line its file and
                         line number) and refreshed_at.

    Arguments:
      table_name         The raw table of source `source_name`.
      key                The identifier column (typed) whose passing rows are
                         versions of one thing.
      checks             SQL: `when <condition> then '<reason>'` lines in the
                         order they run (the helpers below write the common
                         ones). Conditions may read the typed columns,
                         raw_<column> and the parents' flags.
      parents            {column: base model of the parent table}.
      latest_version_by  SQL ordering the versions of a key, greatest current.
      keys_to_revisit    Incremental models: SQL selecting the unique_key of
                         rows judged before whose verdict may have changed
                         since; it may read judged_before (this model's rows).
      source_name        The dbt source holding the table.
      spellings          {'seed': seed, 'columns': {column: field}}: each
                         column is looked up in the seed (columns field,
                         spelling, canonical_value) among the rows of its
                         field, whatever its case, spaces, hyphens and
                         underscores.
-#}
{% macro judge_raw_rows(
    table_name,
    key,
    checks,
    parents={},
    latest_version_by=none,
    keys_to_revisit=none,
    source_name='crm',
    spellings=none
) %}
{%- set contract = raw_contract_columns(source_name, table_name) -%}
{%- set contract_columns = contract | map(attribute='name') | list -%}
{%- set judged_key = config.get('unique_key') -%}
{{ config(pre_hook="{{ read_raw_files('" ~ source_name ~ "', '" ~ table_name ~ "') }}") }}
with

arrived as (

    {{ unread_raw_rows(source_name, table_name) }}

),

{% if is_incremental() -%}
judged_before as (

    select * from {{ this }}

),

keys_to_judge as (

    select {{ judgement_key(key) }} as {{ judged_key }} from arrived
    {%- if keys_to_revisit %}
    union
    {{ keys_to_revisit }}
    {%- endif %}

),

raw_rows as (

    select * from arrived

    union all

    select
        {%- for column in contract_columns %}
        raw_{{ column }} as {{ column }},
        {%- endfor %}
        source_file
    from judged_before
    where {{ judged_key }} in (select {{ judged_key }} from keys_to_judge)

),
{%- else -%}
raw_rows as (

    select * from arrived

),
{%- endif %}

{% if spellings -%}
spellings as (

    select
        field,
        {{ spelling_key('spelling') }} as spelling_key,
        canonical_value
    from {{ ref(spellings.seed) }}

),

{% endif -%}
typed as (

    select
        {%- for column in contract %}
        {%- if spellings and column.name in spellings.columns %}
        (
            select spellings.canonical_value
            from spellings
            where
                spellings.field = '{{ spellings.columns[column.name] }}'
                and spellings.spelling_key = {{ spelling_key('raw_rows.' ~ column.name) }}
        ) as {{ column.name }},
        {%- else %}
        {{ typed_raw_value(column, column.time_zone) }} as {{ column.name }},
        {%- endif %}
        {%- endfor %}
        source_file,
        {%- for column in contract_columns %}
        {{ column }} as raw_{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from raw_rows

),
{% for column, parent_model in parents.items() %}
{{ column }}_verdicts as (

    select
        {{ column }},
        max(case when row_status = 'valid' then 1 else 0 end) = 1 as is_valid
    from {{ ref(parent_model) }}
    {% if is_incremental() -%}
    where {{ column }} in (select {{ column }} from typed)
    {%- else -%}
    where {{ column }} is not null
    {%- endif %}
    group by {{ column }}

),
{% endfor %}
unreadable_lines as (

    {% if reads_raw_files(source_name, table_name) -%}
    select * from {{ raw_temp_table(table_name, 'unreadable_lines') }}
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as {{ dbt.type_bigint() }}) as source_line_number,
        cast(null as {{ dbt.type_string() }}) as error_type,
        cast(null as {{ dbt.type_string() }}) as raw_line
    where false
    {%- endif %}

),

parents_looked_up as (

    select
        typed.*
        {%- for column in parents %},
        {{ column }}_verdicts.{{ column }} is not null as is_known_{{ column }},
        coalesce({{ column }}_verdicts.is_valid, false) as is_valid_{{ column }}
        {%- endfor %}
    from typed
    {%- for column in parents %}
    left join {{ column }}_verdicts
        on typed.{{ column }} = {{ column }}_verdicts.{{ column }}
    {%- endfor %}

),

validated as (

    select
        *,
        case
            {{ checks | trim | indent(8) }}
        end as failed_check,
        {{ row_fingerprint([key]) }} as key_fingerprint
    from parents_looked_up

),

-- Keys held by more than one row (by fingerprint, so different keys may
-- rarely share one): only their rows can be exact copies or versions.
repeated_keys as (

    select key_fingerprint
    from validated
    group by key_fingerprint
    having count(*) > 1

),

-- A row no other row shares its key with is the first copy and the only
-- version of its key: most rows, judged without sorting.
single_rows as (

    select
        *,
        1 as copy_number,
        failed_check is null as is_version_candidate,
        1 as version_rank,
        false as has_conflicting_versions
    from validated
    where key_fingerprint not in (select key_fingerprint from repeated_keys)

),

copies_numbered as (

    select
        *,
        row_number() over (
            partition by {% for column in contract_columns %}raw_{{ column }}{{ ', ' if not loop.last }}{% endfor %}
            order by source_file
        ) as copy_number
    from validated
    where key_fingerprint in (select key_fingerprint from repeated_keys)

),

version_candidates_flagged as (

    select
        *,
        copy_number = 1 and failed_check is null as is_version_candidate
    from copies_numbered

),

versions_ranked as (

    select
        *,
        {% if latest_version_by -%}
        rank() over (
            partition by is_version_candidate, {{ key }}
            order by {{ latest_version_by }} desc
        ) as version_rank
        {%- else -%}
        1 as version_rank
        {%- endif %}
    from version_candidates_flagged

),

-- Two different rows share the current version: which one is right is unknown.
conflicts_flagged as (

    select
        *,
        sum(case when version_rank = 1 then 1 else 0 end) over (
            partition by is_version_candidate, {{ key }}
        ) > 1 as has_conflicting_versions
    from versions_ranked

),

judged as (

    select
        {%- for column in contract_columns %}
        {{ column }},
        {%- endfor %}
        case
            when copy_number > 1 then 'duplicate'
            when failed_check is not null then 'quarantined'
            when has_conflicting_versions then 'quarantined'
            when version_rank > 1 then 'duplicate'
            else 'valid'
        end as row_status,
        case
            when copy_number > 1 then null
            when failed_check is not null then failed_check
            when has_conflicting_versions then 'conflicting_versions'
        end as quarantine_reason,
        case
            when copy_number > 1 then 'exact_copy'
            when failed_check is not null then null
            when has_conflicting_versions then null
            when version_rank > 1 then 'superseded_version'
        end as duplicate_kind,
        source_file,
        cast(null as {{ dbt.type_bigint() }}) as source_line_number,
        {%- for column in contract_columns %}
        raw_{{ column }},
        {%- endfor %}
        cast(null as {{ dbt.type_string() }}) as raw_line
        {%- if judged_key %},
        {{ judgement_key('raw_' ~ key) }} as {{ judged_key }}
        {%- endif %}
    from (
        select * from single_rows
        union all
        select * from conflicts_flagged
    ) as ranked_rows

),

unreadable_judged as (

    select
        {%- for column in contract %}
        {{ dbt.cast('null', column.data_type) }} as {{ column.name }},
        {%- endfor %}
        'quarantined' as row_status,
        {{ unreadable_line_reason('error_type') }} as quarantine_reason,
        cast(null as {{ dbt.type_string() }}) as duplicate_kind,
        source_file,
        source_line_number,
        {%- for column in contract_columns %}
        cast(null as {{ dbt.type_string() }}) as raw_{{ column }},
        {%- endfor %}
        raw_line
        {%- if judged_key %},
        'unreadable line ' || source_file || ':' || cast(source_line_number as {{ dbt.type_string() }})
            as {{ judged_key }}
        {%- endif %}
    from unreadable_lines

),

final as (

    select
        *
        {%- if judged_key %},
        {{ refreshed_at() }} as refreshed_at
        {%- endif %}
    from (
        select * from judged
        union all
        select * from unreadable_judged
    ) as judged_rows

)

select * from final
{%- endmacro %}


{#-
    A raw text value read as its contract data_type; null when it cannot be
    read (macros/parse_raw_text.sql). Offset-free timestamps are local time
    in time_zone when one is given.
-#}
{% macro typed_raw_value(column, time_zone=none) %}
    {%- set parsers = {
        'varchar': clean_category if column.is_code else clean_text,
        'timestamp': parse_timestamp,
        'date': parse_date,
        'integer': parse_integer,
        'decimal(18,2)': parse_decimal,
        'boolean': parse_boolean,
    } -%}
    {%- if column.data_type not in parsers -%}
        {{ exceptions.raise_compiler_error(
            "The raw contract gives column " ~ column.name ~ " the data_type " ~ column.data_type
            ~ ", which the base models cannot read; use one of: " ~ (parsers.keys() | join(', ')) ~ "."
        ) }}
    {%- endif -%}
    {%- if column.data_type == 'timestamp' -%}
        {{ return(parse_timestamp(column.name, time_zone)) }}
    {%- endif -%}
    {{ return(parsers[column.data_type](column.name)) }}
{% endmacro %}


{#-
    Checks for a base model's `checks`, one `when` line per column, in the
    order given: the raw text is blank (missing_<column>); it is not blank
    but cannot be read as its type (unparsable_<column>); the value lies
    after the start of this dbt run, or more than tolerance_minutes after it
    when a source's clock may run a little ahead (future_<column>).
-#}
{% macro missing(columns) -%}
    {%- for column in columns %}
    when {{ is_blank('raw_' ~ column) }} then 'missing_{{ column }}'
    {%- endfor %}
{%- endmacro %}

{% macro unparsable(columns) -%}
    {%- for column in columns %}
    when {{ column }} is null and not {{ is_blank('raw_' ~ column) }} then 'unparsable_{{ column }}'
    {%- endfor %}
{%- endmacro %}

{% macro in_future(columns, tolerance_minutes=0) -%}
    {%- for column in columns %}
    {%- if tolerance_minutes | int == 0 %}
    when {{ column }} > {{ run_started_timestamp() }} then 'future_{{ column }}'
    {%- else %}
    when {{ column }} > {{ dbt.dateadd('minute', tolerance_minutes | int, run_started_timestamp()) }}
        then 'future_{{ column }}'
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#-
    A fingerprint of the given columns: one number, equal for rows equal in
    all of them (nulls included). Different values may rarely share one, so
    it only narrows a search that then compares the values themselves.
-#}
{% macro row_fingerprint(columns) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'loyalty_marts')(columns)) }}
{%- endmacro %}

{% macro duckdb__row_fingerprint(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro default__row_fingerprint(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}


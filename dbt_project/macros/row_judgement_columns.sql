{#-
    What became of a raw row, in every base model: row_status (valid /
    quarantined / duplicate), quarantine_reason (the first failed check, or
    conflicting_versions when two different rows share a key) and
    duplicate_kind (exact_copy). Expects the columns copy_number (1 for the
    first of identical rows), failed_check and count_versions (valid
    candidates sharing the key). base_crm__orders, where a later version
    supersedes an earlier one, spells its own.
-#}
{% macro row_judgement_columns() -%}
        case
            when copy_number > 1 then 'duplicate'
            when failed_check is not null or count_versions > 1 then 'quarantined'
            else 'valid'
        end as row_status,
        case
            when copy_number > 1 then null
            when failed_check is not null then failed_check
            when count_versions > 1 then 'conflicting_versions'
        end as quarantine_reason,
        case when copy_number > 1 then 'exact_copy' end as duplicate_kind
{%- endmacro %}

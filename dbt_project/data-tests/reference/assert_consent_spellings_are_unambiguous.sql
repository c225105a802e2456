{#-
    Every spelling of seed consent_spellings, as the base models match it
    (spelling_key: any case, no spaces, hyphens or underscores), stands for
    one canonical value of its field, and every canonical value is a
    spelling of itself.
-#}
with

spellings as (

    select
        field,
        {{ spelling_key('spelling') }} as spelling_key,
        canonical_value
    from {{ ref('consent_spellings') }}

),

ambiguous as (

    select
        field,
        spelling_key,
        'matches ' || cast(count(distinct canonical_value) as {{ dbt.type_string() }}) || ' values'
            as problem
    from spellings
    group by field, spelling_key
    having count(distinct canonical_value) > 1

),

canonical_values as (

    select distinct
        field,
        canonical_value,
        {{ spelling_key('canonical_value') }} as spelling_key
    from {{ ref('consent_spellings') }}

),

canonical_not_listed as (

    select
        canonical_values.field,
        canonical_values.spelling_key,
        'canonical value not listed as its own spelling' as problem
    from canonical_values
    left join spellings
        on canonical_values.field = spellings.field
        and canonical_values.spelling_key = spellings.spelling_key
        and canonical_values.canonical_value = spellings.canonical_value
    where spellings.field is null

),

final as (

    select * from ambiguous
    union all
    select * from canonical_not_listed

)

select * from final

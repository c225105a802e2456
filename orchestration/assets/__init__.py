"""Dagster assets: dbt models, raw files, campaign lists and the published warehouse."""

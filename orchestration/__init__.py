"""loyalty-marts: orchestration and Python helpers around the dbt project."""

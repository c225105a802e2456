"""`python -m sample_generator --customers 5000 --seed 20261124 --out seeds/sample`."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from sample_generator.campaign_response import plant_earlier_waves
from sample_generator.generator import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sample_generator",
        description="Write a generated company's raw CRM export (same arguments, same bytes).",
    )
    parser.add_argument(
        "--customers", type=int, default=5000, help="number of customers (default 5000)"
    )
    parser.add_argument("--seed", type=int, default=20261124, help="random seed (default 20261124)")
    parser.add_argument(
        "--out", type=Path, required=True, help="output folder (created if missing)"
    )
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=date(2026, 10, 31),
        help="last day of the export (default 2026-10-31)",
    )
    parser.add_argument("--years", type=float, default=2.5, help="years of history (default 2.5)")
    parser.add_argument(
        "--format", choices=["csv", "parquet"], default="csv", help="file format (default csv)"
    )
    parser.add_argument(
        "--next-day",
        type=date.fromisoformat,
        help="instead of a new export, add the files of this day (and --days - 1 after it) "
        "to the existing export in --out (of --format): new orders, late arrivals, status "
        "changes, new customers, a late customer, a conflicting re-export, unsubscribes",
    )
    parser.add_argument("--days", type=int, default=1, help="with --next-day: how many days")
    arguments = parser.parse_args(argv)
    if arguments.next_day:
        from sample_generator.next_day import next_days

        for offset, counts in enumerate(
            next_days(
                arguments.out,
                arguments.next_day,
                arguments.days,
                seed=arguments.seed,
                file_format=arguments.format,
            )
        ):
            day = date.fromordinal(arguments.next_day.toordinal() + offset)
            print(f"{day}: ", end="")
            print(", ".join(f"{kind} {count}" for kind, count in counts.items()))
        return 0
    try:
        started = time.perf_counter()
        counts = generate(
            arguments.customers,
            arguments.seed,
            arguments.out,
            arguments.end_date,
            arguments.years,
            arguments.format,
        )
    except ValueError as error:
        parser.error(str(error))
    if arguments.format == "csv":
        # Earlier campaign waves and the orders that followed them, with a
        # planted uplift, so campaign_effect has something to measure.
        counts |= plant_earlier_waves(arguments.out, arguments.seed)
    seconds = time.perf_counter() - started
    for table, count in sorted(counts.items()):
        print(f"{table:<18} {count:>12,} rows")
    print(f"written to {arguments.out} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

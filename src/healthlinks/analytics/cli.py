"""`healthlinks analyze ANALYSIS [filters] --format json|csv`."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from healthlinks.analytics.scope import Scope
from healthlinks.commandline import Operator
from healthlinks.interchange.tabular.cells import csv_dict


def _rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The same table as the page's and the API's CSV (estimates in words, labelled columns, one small-numbers
    rule)."""
    from healthlinks.analytics import words

    return words.mobility_rows(words.mobility(data))


def _network_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in y.items() if k != "flows"} | y["flows"] for y in data["years"]]


def run(args: argparse.Namespace, user: Any) -> int:
    from healthlinks.analytics.selectors import (
        collective_impact,
        mobility_analysis,
        network_evolution,
        planner_backtest,
        typology_analysis,
        value_for_money,
    )

    try:
        scope = Scope.from_params(args)
    except ValueError as exc:
        print(f"healthlinks analyze: {exc}", file=sys.stderr)
        return 2
    who: Any = user or Operator()
    if args.analysis == "network":
        data = network_evolution(who, scope)
        rows = _network_rows(data)
    elif args.analysis == "impact":
        data = collective_impact(who, scope)
        rows = data["partnerships"]
    elif args.analysis == "typology":
        data = typology_analysis(who, scope)
        rows = [
            {"group": g["group"], "partnerships": g["partnerships"], **g["means"]} for g in data["grouping"]["groups"]
        ]
    elif args.analysis == "vfm":
        data = value_for_money(who, scope)
        rows = [{k: v for k, v in r.items() if k not in ("comparison", "measures")} for r in data["partnerships"]]
    elif args.analysis == "planner-backtest":
        if not args.cutoff:
            print("healthlinks analyze planner-backtest: give --cutoff YEAR", file=sys.stderr)
            return 2
        data = planner_backtest(who, scope, args.cutoff)
        rows = [{"figure": key, **row} for key in ("practice_change", "reach") for row in data[key]["rows"]]
        print(
            f"coverage of the 90% intervals: practice change {data['practice_change']['coverage']}, "
            f"reach {data['reach']['coverage']}",
            file=sys.stderr,
        )
    else:
        data = mobility_analysis(who, scope)
        rows = _rows(data)
    out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    try:
        if args.format == "csv":
            fields: list[str] = []
            for row in rows:
                fields += [k for k in row if k not in fields]
            writer = csv.DictWriter(out, fieldnames=fields)
            writer.writeheader()
            writer.writerows(csv_dict(row) for row in rows)
        else:
            json.dump(data, out, indent=2, default=str)
            out.write("\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0

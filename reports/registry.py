"""The report center's reports, by identifier; ``reports.library`` modules register theirs."""

from __future__ import annotations

from .base import Report

REPORTS: dict[str, type[Report]] = {}


def register(report: type[Report]) -> type[Report]:
    REPORTS[report.identifier] = report
    return report


def ordered() -> list[type[Report]]:
    return sorted(REPORTS.values(), key=lambda report: report.number)


def allowed(perms) -> list[type[Report]]:
    return [report for report in ordered() if report.is_allowed(perms)]

"""Gemeente names for the report, from the dated municipality tables of the region profiles.

A gemeente is stored by its CBS code (``GM0599``); the page shows its name as it was on a
given day (the end of the report period), so a merged municipality keeps the name it had
then. An unknown code is shown as the code itself.
"""

from __future__ import annotations

from datetime import date

from hgkm_workflow.simulation.profiles import load_profile, region_ids


def gemeente_name(code: str, on: date, region: str | None = None) -> str:
    """The name of the gemeente with this CBS code on ``on``; the code if none is known.

    Args:
        code: A CBS code such as ``GM0599``.
        on: The day the name should hold on (a code valid on another day is a fallback).
        region: Look in this region's profile first (``None``: every shipped profile).
    """
    regions = region_ids()
    if region in regions:
        regions = [region, *(r for r in regions if r != region)]
    fallback: str | None = None
    for rid in regions:
        for m in load_profile(rid).municipalities:
            if m.code != code:
                continue
            if m.valid_on(on):
                return m.name
            fallback = fallback or m.name
    return fallback or code

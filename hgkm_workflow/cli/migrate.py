"""``hgkm migrate``: rebuild read models of another version, the explicit migration step."""

from __future__ import annotations

from hgkm_workflow.cli.boundary import hide_password, open_application
from hgkm_workflow.cli.common import DbOption, JsonOption, echo_json, say

__all__ = ["migrate"]


def migrate(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Rebuild the read models whose version changed, from the events (run once, one process).

    Until this has run, an application opened on the store refuses reads and ticks with
    MIGRATION_REQUIRED rather than serve stale views. Safe to run again: nothing to do.
    """
    application = open_application(db)
    try:
        done = application.migrate()
        lag = application.projections.lag()
        store = hide_password(application.config.url)
    finally:
        application.close()
    if as_json:
        echo_json({"migrated": [{"name": m.name, "from_version": m.stored_version,
                                 "to_version": m.code_version} for m in done], "lag": lag})
        return
    for m in done:
        say(f"rebuilt {m.name}: v{m.stored_version} → v{m.code_version}")
    say(f"{len(done)} read model(s) migrated in {store}; behind by {lag} notification(s)")

"""The store's JSON transcoding: dates as ISO text, and datetime subclasses (freezegun).

eventsourcing's JSON transcoder looks a value's transcoding up by its exact type, so a
``FakeDatetime`` from ``freeze_time`` is rejected (``TranscodingNotRegisteredError``).
:class:`SubclassAwareTranscoder` walks the value's MRO instead; :class:`DateAsIso` stores a
``date`` as ``YYYY-MM-DD``. The stored form is unchanged from before the move into this module.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

__all__ = ["DateAsIso", "SubclassAwareTranscoder"]


class DateAsIso(Transcoding):
    """A ``date`` stored as its ISO text (transcoding name ``date_iso``)."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        """``date`` → ``YYYY-MM-DD``."""
        return obj.isoformat()

    def decode(self, data: str) -> date:
        """``YYYY-MM-DD`` → ``date``."""
        return date.fromisoformat(data)


class SubclassAwareTranscoder(JSONTranscoder):
    """Looks up transcodings along the MRO, so datetime subclasses (freezegun) are stored."""

    def _encode_obj(self, o: Any) -> dict[str, Any]:
        for klass in type(o).__mro__:
            transcoding = self.types.get(klass)
            if transcoding is not None:
                return {"_type_": transcoding.name, "_data_": transcoding.encode(o)}
        return super()._encode_obj(o)

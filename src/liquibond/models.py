"""Every table, imported in one place so metadata (and migrations) see the whole schema."""

from liquibond.identity import models as identity_models
from liquibond.platform import audit, outbox, routing
from liquibond.platform.db import Base

metadata = Base.metadata

__all__ = ["audit", "identity_models", "metadata", "outbox", "routing"]

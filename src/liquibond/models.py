"""Every table, imported in one place so metadata (and migrations) see the whole schema.

Each domain owns a `models` module; they are found by walking the package, so adding a
domain needs no edit here.
"""

from __future__ import annotations

import importlib
import pkgutil

import liquibond
from liquibond.platform import audit, outbox, routing, webhooks
from liquibond.platform.db import Base

PLATFORM_TABLE_MODULES = (audit, outbox, routing, webhooks)


def _import_domain_models() -> list[str]:
    found = []
    for module in pkgutil.walk_packages(liquibond.__path__, prefix="liquibond."):
        if module.name.endswith(".models") and module.name != __name__:
            importlib.import_module(module.name)
            found.append(module.name)
    return found


DOMAIN_MODEL_MODULES = _import_domain_models()
metadata = Base.metadata

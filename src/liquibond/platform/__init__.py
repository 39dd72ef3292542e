"""Cross-cutting infrastructure: database, unit of work, errors, events, audit, observability."""

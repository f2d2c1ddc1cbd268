"""The edge worker: sources → motion gate → detector → tracker → rules → outbox → publisher."""

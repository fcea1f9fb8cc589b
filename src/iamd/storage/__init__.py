"""The storage contract (``api``) and its SQL implementation (``sql``). May import: domain."""

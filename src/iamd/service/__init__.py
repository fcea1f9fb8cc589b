"""The use cases, one method per operation. May import: domain, policy, storage.api."""

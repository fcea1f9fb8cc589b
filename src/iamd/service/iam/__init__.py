"""The IAM use cases, one function per operation, grouped by what they act on.

Each function takes the `Env`, the `Call` and the operation's inputs as Python values, runs
in one transaction, authorizes the caller with the resource and context keys AWS uses for
that action, and returns entities or small result values. No HTTP, XML or SQL here.
"""

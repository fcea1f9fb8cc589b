"""The AWS Query wire format driven by botocore's model. May import: service, domain, policy."""

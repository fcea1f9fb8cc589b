"""One small adapter per IAM/STS operation."""

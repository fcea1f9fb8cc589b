"""Amazon Resource Names: ``arn:partition:service:region:account:resource``.

The resource part may itself contain ``:`` and ``/`` (``user/path/name``,
``log-group:name:*``); only the first five colons separate fields. Source: reference-arns.html.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, text: str) -> Arn:
        """Parse an ARN.

        Raises:
            ValueError: fewer than six fields, a prefix other than ``arn``, or an empty
                partition, service or resource.
        """
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            raise ValueError(
                f"`{text}` is not an ARN (arn:partition:service:region:account:resource)"
            )
        _, partition, service, region, account, resource = parts
        if not partition or not service or not resource:
            raise ValueError(
                f"`{text}` is not an ARN: partition, service and resource must not be empty"
            )
        return cls(partition, service, region, account, resource)

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    @property
    def resource_type(self) -> str:
        """The type in ``type/id`` or ``type:id`` forms (``user``, ``log-group``); else ``""``."""
        for index, char in enumerate(self.resource):
            if char in "/:":
                return self.resource[:index]
        return ""

    @property
    def resource_id(self) -> str:
        """What follows the type and its separator; the whole resource when there is no type."""
        resource_type = self.resource_type
        return self.resource[len(resource_type) + 1 :] if resource_type else self.resource

"""GetAccessKeyInfo: the account an access key id belongs to.

AWS reads the account from the key id itself, for any key (active, inactive or deleted).
iamd's temporary (``ASIA``) key ids encode their account the same way; its long-term
(``AKIA``) key ids are random, so they are looked up (in every account) first, and decoded
as AWS would only when no key has that id.
"""

from __future__ import annotations

from iamd.domain import errors
from iamd.domain.identifiers import IdPrefix, account_of_key_id

from ..authz import authorize
from ..context import Call, Env


def get_access_key_info(env: Env, call: Call, access_key_id: str) -> str:
    """The account id of the key.

    Raises:
        AccessDenied: the caller is not allowed sts:GetAccessKeyInfo.
        ValidationError: the id cannot be read as an access key id.
    """
    authorize(call, "sts:GetAccessKeyInfo", "*")
    if not access_key_id.startswith(IdPrefix.TEMPORARY_KEY):
        with env.store.read() as tx:
            found = tx.access_key(access_key_id)
        if found is not None:
            return found[0].account_id
    account = account_of_key_id(access_key_id)
    if account is None:
        raise errors.ValidationError(f"The access key ID {access_key_id} is not valid.")
    return account

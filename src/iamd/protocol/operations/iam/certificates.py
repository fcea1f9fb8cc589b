"""Server certificates, signing certificates and SSH public keys.

No output ever carries a server certificate's private key: the model has no member for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from iamd.domain.entities import ServerCertificate, Tag
from iamd.service.context import Call, Env
from iamd.service.iam import certificates, ssh_keys

from .. import views
from .._registry import Params, Result, operation


def _tags(items: Sequence[Tag]) -> list[dict[str, str]] | None:
    return views.tags(items) or None


def _server_metadata(certificate: ServerCertificate) -> dict[str, Any]:
    return {
        "Path": certificate.path,
        "ServerCertificateName": certificate.name,
        "ServerCertificateId": certificate.id,
        "Arn": certificate.arn,
        "UploadDate": certificate.uploaded,
        "Expiration": certificate.expiration,
    }


def _signing(call: Call, view: certificates.SigningCertificateView) -> dict[str, Any]:
    certificate = view.certificate
    return {
        "UserName": view.user_name or call.account_id,
        "CertificateId": certificate.id,
        "CertificateBody": certificate.body,
        "Status": certificate.status.value,
        "UploadDate": certificate.uploaded,
    }


def _ssh_key(view: ssh_keys.SSHKeyView, *, full: bool = True) -> dict[str, Any]:
    key = view.key
    item: dict[str, Any] = {
        "UserName": view.user_name,
        "SSHPublicKeyId": key.id,
        "Status": key.status.value,
        "UploadDate": key.uploaded,
    }
    if full:
        item["Fingerprint"] = key.fingerprint
        item["SSHPublicKeyBody"] = view.body
    return item


# -- server certificates -------------------------------------------------------------------
@operation("iam", "UploadServerCertificate")
def upload_server_certificate(env: Env, call: Call, p: Params) -> Result:
    made = certificates.upload_server_certificate(
        env, call, p["ServerCertificateName"], p["CertificateBody"], p["PrivateKey"],
        p.get("CertificateChain"), p.get("Path", "/"), p.get("Tags"),
    )
    return {"ServerCertificateMetadata": _server_metadata(made.certificate),
            "Tags": _tags(made.tags)}


@operation("iam", "GetServerCertificate")
def get_server_certificate(env: Env, call: Call, p: Params) -> Result:
    found = certificates.get_server_certificate(env, call, p["ServerCertificateName"])
    certificate = found.certificate
    return {
        "ServerCertificate": {
            "ServerCertificateMetadata": _server_metadata(certificate),
            "CertificateBody": certificate.body,
            "CertificateChain": certificate.chain,
            "Tags": _tags(found.tags),
        }
    }


@operation("iam", "ListServerCertificates")
def list_server_certificates(env: Env, call: Call, p: Params) -> Result:
    page = certificates.list_server_certificates(
        env, call, p.get("PathPrefix", "/"), p.get("Marker"), p.get("MaxItems")
    )
    return views.paged(
        page, "ServerCertificateMetadataList", [_server_metadata(item) for item in page.items]
    )


@operation("iam", "UpdateServerCertificate")
def update_server_certificate(env: Env, call: Call, p: Params) -> Result:
    certificates.update_server_certificate(
        env, call, p["ServerCertificateName"], p.get("NewPath"), p.get("NewServerCertificateName")
    )
    return None


@operation("iam", "DeleteServerCertificate")
def delete_server_certificate(env: Env, call: Call, p: Params) -> Result:
    certificates.delete_server_certificate(env, call, p["ServerCertificateName"])
    return None


@operation("iam", "TagServerCertificate")
def tag_server_certificate(env: Env, call: Call, p: Params) -> Result:
    certificates.tag_server_certificate(env, call, p["ServerCertificateName"], p["Tags"])
    return None


@operation("iam", "UntagServerCertificate")
def untag_server_certificate(env: Env, call: Call, p: Params) -> Result:
    certificates.untag_server_certificate(env, call, p["ServerCertificateName"], p["TagKeys"])
    return None


@operation("iam", "ListServerCertificateTags")
def list_server_certificate_tags(env: Env, call: Call, p: Params) -> Result:
    page = certificates.list_server_certificate_tags(
        env, call, p["ServerCertificateName"], p.get("Marker"), p.get("MaxItems")
    )
    return views.paged(page, "Tags", views.tags(page.items))


# -- signing certificates ------------------------------------------------------------------
@operation("iam", "UploadSigningCertificate")
def upload_signing_certificate(env: Env, call: Call, p: Params) -> Result:
    made = certificates.upload_signing_certificate(
        env, call, p["CertificateBody"], p.get("UserName")
    )
    return {"Certificate": _signing(call, made)}


@operation("iam", "ListSigningCertificates")
def list_signing_certificates(env: Env, call: Call, p: Params) -> Result:
    page = certificates.list_signing_certificates(
        env, call, p.get("UserName"), p.get("Marker"), p.get("MaxItems")
    )
    return views.paged(page, "Certificates", [_signing(call, view) for view in page.items])


@operation("iam", "UpdateSigningCertificate")
def update_signing_certificate(env: Env, call: Call, p: Params) -> Result:
    certificates.update_signing_certificate(
        env, call, p["CertificateId"], p["Status"], p.get("UserName")
    )
    return None


@operation("iam", "DeleteSigningCertificate")
def delete_signing_certificate(env: Env, call: Call, p: Params) -> Result:
    certificates.delete_signing_certificate(env, call, p["CertificateId"], p.get("UserName"))
    return None


# -- SSH public keys -----------------------------------------------------------------------
@operation("iam", "UploadSSHPublicKey")
def upload_ssh_public_key(env: Env, call: Call, p: Params) -> Result:
    made = ssh_keys.upload_ssh_public_key(env, call, p["UserName"], p["SSHPublicKeyBody"])
    return {"SSHPublicKey": _ssh_key(made)}


@operation("iam", "GetSSHPublicKey")
def get_ssh_public_key(env: Env, call: Call, p: Params) -> Result:
    found = ssh_keys.get_ssh_public_key(
        env, call, p["UserName"], p["SSHPublicKeyId"], p["Encoding"]
    )
    return {"SSHPublicKey": _ssh_key(found)}


@operation("iam", "ListSSHPublicKeys")
def list_ssh_public_keys(env: Env, call: Call, p: Params) -> Result:
    page = ssh_keys.list_ssh_public_keys(
        env, call, p.get("UserName"), p.get("Marker"), p.get("MaxItems")
    )
    return views.paged(page, "SSHPublicKeys", [_ssh_key(view, full=False) for view in page.items])


@operation("iam", "UpdateSSHPublicKey")
def update_ssh_public_key(env: Env, call: Call, p: Params) -> Result:
    ssh_keys.update_ssh_public_key(
        env, call, p["UserName"], p["SSHPublicKeyId"], p["Status"]
    )
    return None


@operation("iam", "DeleteSSHPublicKey")
def delete_ssh_public_key(env: Env, call: Call, p: Params) -> Result:
    ssh_keys.delete_ssh_public_key(env, call, p["UserName"], p["SSHPublicKeyId"])
    return None

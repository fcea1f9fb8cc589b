"""Every operation of the IAM model, sent by a real botocore client with valid input, as root
and as a user without permissions: never a 5xx (but 501 for what iamd does not implement).

Inputs come from the protocol tests' generator (valid against the model: required members,
lengths, enums, patterns), in its "required" and "full" variants, plus a "realistic" variant:
the required members, with the members that name things replaced by entities that exist
(a user with keys, a group, a role in an instance profile, a customer policy, providers,
certificates...), so that the calls get past "not found" into the code that does the work;
and that realistic input again with a NUL character in each free-text member (a string the
model puts no pattern on) in turn: valid for the model, refused by PostgreSQL's text type.

Each backend has two worlds per worker: one the root user works in (state accumulates: any
answer in 2xx/4xx is right, whatever ran before), and one whose user has no permissions
(it changes nothing, so its answers do not depend on the order the tests run in).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from iamd.protocol.models import service_model
from iamd.protocol.operations import implemented
from tests.protocol.test_parse import InputGenerator

from .conftest import Account, Server, new_account

MODEL = service_model("iam")
CHANGING = ("Untag", "Update", "Set", "Reset")
TAKING_AWAY = ("Delete", "Remove", "Detach")


def _run_order(name: str) -> tuple[int, str]:
    """Root's calls change its world: those that change things run late, deletes last."""
    return (2 if name.startswith(TAKING_AWAY) else int(name.startswith(CHANGING)), name)


OPERATIONS = sorted(MODEL.operation_names, key=_run_order)
IMPLEMENTED = frozenset(implemented("iam"))

# Errors that depend on the input alone: a caller without permissions may get them first.
INPUT_ERRORS = frozenset({
    "ValidationError", "InvalidInput", "InvalidParameterValue", "MalformedPolicyDocument",
    "MalformedCertificate", "InvalidPublicKey", "UnrecognizedPublicKeyEncoding",
    "KeyPairMismatch",
})
# Which member a creating operation names its new entity with: a fresh value each time.
NEW_ENTITY = {
    "CreateUser": "UserName", "CreateGroup": "GroupName", "CreateRole": "RoleName",
    "CreateInstanceProfile": "InstanceProfileName", "CreatePolicy": "PolicyName",
    "UploadServerCertificate": "ServerCertificateName", "CreateSAMLProvider": "Name",
}
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
IDENTITY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::bucket/*",
    "Condition": {"StringEquals": {"aws:username": "target-user"}}}]})


# -- outcomes --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """What one call answered."""

    operation: str
    variant: str
    status: int
    code: str = ""
    message: str = ""
    request_id: str = ""
    failure: str = ""  # an exception other than an AWS error (e.g. an unreadable answer)

    def describe(self, server: Server) -> str:
        logged = [summary(line) for line in server.log().splitlines()
                  if self.request_id and self.request_id in line]
        return (f"{self.operation} ({self.variant}): HTTP {self.status} {self.code!r} "
                f"{self.message[:300]!r} {self.failure}\n    server log: {logged}")


def summary(line: str) -> str:
    """A server log line, its traceback cut to iamd's own frames and the error."""
    try:
        entry = json.loads(line)
    except ValueError:
        return line
    trace = str(entry.pop("exception", "")).splitlines()
    if trace:
        frames = [frame.strip() for frame in trace if "/iamd/" in frame]
        errors = [text for text in trace if text[:1].isalpha() and ":" in text]
        entry["exception"] = [*frames[-4:], *errors[-1:]]
    return json.dumps(entry)


def send(client: Any, operation: str, variant: str, params: dict[str, Any]) -> Outcome:
    try:
        answer = client._make_api_call(operation, params)
    except ClientError as error:
        meta = error.response.get("ResponseMetadata", {})
        details = error.response.get("Error", {})
        return Outcome(operation, variant, int(meta.get("HTTPStatusCode", 0)),
                       str(details.get("Code", "")), str(details.get("Message", "")),
                       str(meta.get("RequestId", "")))
    except Exception as error:  # the answer could not be read: report it, whatever it is
        return Outcome(operation, variant, 0, failure=f"{type(error).__name__}: {error}")
    meta = answer.get("ResponseMetadata", {})
    return Outcome(operation, variant, int(meta.get("HTTPStatusCode", 0)),
                   request_id=str(meta.get("RequestId", "")))


# -- the world the calls run in --------------------------------------------------------------
def _certificate(key: rsa.RSAPrivateKey, name: str) -> str:
    now = datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    return (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()
    )


def _private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _openssh(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode()


def _saml_metadata(certificate: str) -> str:
    der = x509.load_pem_x509_certificate(certificate.encode()).public_bytes(
        serialization.Encoding.DER)
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{base64.b64encode(der).decode()}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        '</md:KeyDescriptor><md:SingleSignOnService Location="https://idp.example.com/sso" '
        'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


@dataclass(frozen=True)
class Material:
    """Keys and certificates: the world's own, and fresh ones for uploads."""

    old_key: rsa.RSAPrivateKey
    new_key: rsa.RSAPrivateKey
    old_certificate: str
    new_certificate: str


@pytest.fixture(scope="module")
def material() -> Material:
    old, new = (rsa.generate_private_key(65537, 2048) for _ in range(2))
    return Material(old, new, _certificate(old, "old.example.com"),
                    _certificate(new, "new.example.com"))


@dataclass
class World:
    """An account with one entity of each kind, and the realistic value of each member."""

    account: Account
    values: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, server: Server, material: Material) -> World:
        account = new_account(server.database, server)
        iam, arn = account.iam, f"arn:aws:iam::{account.id}"
        policy = iam.create_policy(PolicyName="target-policy", PolicyDocument=IDENTITY)
        policy_arn = policy["Policy"]["Arn"]
        iam.create_user(UserName="target-user")
        iam.attach_user_policy(UserName="target-user", PolicyArn=policy_arn)
        iam.put_user_policy(UserName="target-user", PolicyName="inline", PolicyDocument=IDENTITY)
        key_id = iam.create_access_key(UserName="target-user")["AccessKey"]["AccessKeyId"]
        ssh_id = iam.upload_ssh_public_key(
            UserName="target-user", SSHPublicKeyBody=_openssh(material.old_key)
        )["SSHPublicKey"]["SSHPublicKeyId"]
        certificate_id = iam.upload_signing_certificate(
            UserName="target-user", CertificateBody=material.old_certificate
        )["Certificate"]["CertificateId"]
        iam.create_group(GroupName="target-group")
        iam.add_user_to_group(GroupName="target-group", UserName="target-user")
        iam.put_group_policy(GroupName="target-group", PolicyName="inline",
                             PolicyDocument=IDENTITY)
        iam.create_role(RoleName="target-role", AssumeRolePolicyDocument=TRUST)
        iam.put_role_policy(RoleName="target-role", PolicyName="inline", PolicyDocument=IDENTITY)
        iam.create_instance_profile(InstanceProfileName="target-profile")
        iam.add_role_to_instance_profile(InstanceProfileName="target-profile",
                                         RoleName="target-role")
        oidc = iam.create_open_id_connect_provider(
            Url=f"https://oidc-{account.id}.example.com", ClientIDList=["client"],
            ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
        saml = iam.create_saml_provider(
            Name="target-saml", SAMLMetadataDocument=_saml_metadata(material.old_certificate)
        )["SAMLProviderArn"]
        iam.upload_server_certificate(
            ServerCertificateName="target-certificate",
            CertificateBody=material.old_certificate, PrivateKey=_private(material.old_key))
        values: dict[str, Any] = {
            "UserName": "target-user", "GroupName": "target-group", "RoleName": "target-role",
            "InstanceProfileName": "target-profile", "PolicyArn": policy_arn,
            "PermissionsBoundary": policy_arn, "PolicyName": "inline",
            "PolicyDocument": IDENTITY, "AssumeRolePolicyDocument": TRUST, "VersionId": "v1",
            "AccessKeyId": key_id, "SSHPublicKeyId": ssh_id, "CertificateId": certificate_id,
            "SSHPublicKeyBody": _openssh(material.new_key), "Encoding": "PEM",
            "CertificateBody": material.new_certificate,
            "PrivateKey": _private(material.new_key), "Status": "Active",
            "OpenIDConnectProviderArn": oidc, "SAMLProviderArn": saml,
            "ServerCertificateName": "target-certificate", "Name": "target-saml",
            "SAMLMetadataDocument": _saml_metadata(material.new_certificate),
            "Url": f"https://new-{account.id}.example.com", "ClientID": "other-client",
            "ClientIDList": ["client"], "ThumbprintList": ["b" * 40],
            "Tags": [{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": ""}],
            "TagKeys": ["team"], "Path": "/", "PathPrefix": "/", "Description": "realistic",
            "AWSServiceName": "elasticbeanstalk.amazonaws.com",
            "AccountAlias": f"iamd-{secrets.token_hex(8)}",
            "PolicySourceArn": f"{arn}:user/target-user", "ActionNames": ["s3:GetObject"],
            "ResourceArns": ["arn:aws:s3:::bucket/key"], "PolicyInputList": [IDENTITY],
            "PermissionsBoundaryPolicyInputList": [IDENTITY],
            "ContextEntries": [{"ContextKeyName": "aws:username", "ContextKeyValues": ["x"],
                                "ContextKeyType": "string"}],
            "DeletionTaskId": ("task/aws-service-role/elasticbeanstalk.amazonaws.com/"
                               "AWSServiceRoleForElasticBeanstalk/"
                               "0e1b7b0c-3c2f-5f8e-9a55-0123456789ab"),
            "MaxItems": 2,
        }
        return cls(account, values)

    def realistic(self, operation: str) -> dict[str, Any]:
        """The required members, and every member the world has a value for."""
        shape = MODEL.operation_model(operation).input_shape
        if shape is None:
            return {}
        params: dict[str, Any] = InputGenerator("required").value(shape)
        for name in shape.members:
            if name in self.values:
                params[name] = self.values[name]
        if operation == "UpdateAssumeRolePolicy":
            params["PolicyDocument"] = TRUST
        if operation in NEW_ENTITY:
            params[NEW_ENTITY[operation]] = f"new-{secrets.token_hex(6)}"
        return params


@pytest.fixture(scope="module")
def root_world(server: Server, material: Material) -> World:
    return World.build(server, material)


@pytest.fixture(scope="module")
def denied_world(server: Server, material: Material) -> tuple[World, Any]:
    world = World.build(server, material)
    return world, world.account.user_with_key("nobody")


def free_text_members(shape: Any) -> list[str]:
    """Members that are strings (or lists of strings) the model puts no pattern on."""
    found = []
    for name, member in shape.members.items():
        scalar = member.member if member.type_name == "list" else member
        if (scalar.type_name == "string" and "pattern" not in scalar.metadata
                and not scalar.metadata.get("enum")):
            found.append(name)
    return found


def with_nul(value: Any) -> Any:
    """The value with its middle character replaced by NUL (same length, still valid)."""
    if isinstance(value, list):
        return [with_nul(value[0]), *value[1:]]
    middle = len(value) // 2
    return value[:middle] + "\x00" + value[middle + 1 :]


def inputs(world: World, operation: str) -> list[tuple[str, dict[str, Any]]]:
    """Labelled inputs: the generator's variants, the realistic one, and the realistic one
    with a NUL character in each free-text member in turn (PostgreSQL refuses NUL in text)."""
    shape = MODEL.operation_model(operation).input_shape
    if operation not in IMPLEMENTED or shape is None:
        return [("required", InputGenerator("required").value(shape) if shape else {})]
    made = [(variant, InputGenerator(variant).value(shape)) for variant in ("required", "full")]
    made.append(("realistic", world.realistic(operation)))
    full = InputGenerator("full").value(shape)
    for name in free_text_members(shape):
        params = world.realistic(operation)
        params[name] = with_nul(params.get(name, full[name]))
        made.append((f"realistic, NUL in {name}", params))
    return made


def run(client: Any, world: World, operation: str, judge: Callable[[Outcome], bool]) -> None:
    outcomes = [send(client, operation, label, params)
                for label, params in inputs(world, operation)]
    wrong = [outcome for outcome in outcomes if not judge(outcome)]
    server = world.account.server
    assert not wrong, "\n".join(outcome.describe(server) for outcome in wrong)


# -- the judgements --------------------------------------------------------------------------
def is_not_implemented(outcome: Outcome) -> bool:
    return (outcome.status, outcome.code) == (501, "NotImplemented") and bool(outcome.message)


def is_aws_error(outcome: Outcome) -> bool:
    return 400 <= outcome.status < 500 and bool(outcome.code) and bool(outcome.message)


def is_unsupported_option(outcome: Outcome) -> bool:
    """An implemented operation given an optional parameter iamd does not support yet."""
    return is_not_implemented(outcome) and outcome.message.startswith("iamd does not support")


def root_answer_is_right(outcome: Outcome) -> bool:
    if outcome.operation not in IMPLEMENTED:
        return is_not_implemented(outcome)
    return 200 <= outcome.status < 300 or is_aws_error(outcome) or is_unsupported_option(outcome)


def denied_answer_is_right(outcome: Outcome) -> bool:
    if outcome.operation not in IMPLEMENTED:
        return is_not_implemented(outcome)
    if (outcome.status, outcome.code) == (403, "AccessDenied"):
        return bool(outcome.message)
    if is_unsupported_option(outcome):
        return True
    return is_aws_error(outcome) and outcome.status == 400 and outcome.code in INPUT_ERRORS


@pytest.mark.parametrize("operation", OPERATIONS)
def test_root_never_gets_a_server_error(root_world: World, operation: str) -> None:
    run(root_world.account.iam, root_world, operation, root_answer_is_right)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_user_without_permissions_is_denied(denied_world: tuple[World, Any],
                                              operation: str) -> None:
    world, nobody = denied_world
    run(nobody, world, operation, denied_answer_is_right)


def test_the_operations_cover_the_model_and_what_iamd_implements() -> None:
    assert len(OPERATIONS) == len(set(OPERATIONS)) > len(IMPLEMENTED) >= 126
    assert set(OPERATIONS) >= IMPLEMENTED

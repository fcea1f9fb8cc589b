"""The error catalogue: every error an operation can raise, by AWS error code.

Each class carries the AWS ``code``; the HTTP status and sender/receiver fault come from the
wire layer (`iamd.protocol.errors`), which is the one place errors are rendered. Messages are
AWS's wording where AWS documents it.
"""

from __future__ import annotations

from typing import ClassVar


class IamError(Exception):
    """Base of every error an operation reports to its caller."""

    code: ClassVar[str] = "ServiceFailure"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- IAM's modelled errors -------------------------------------------------------------------
class NoSuchEntity(IamError):
    code = "NoSuchEntity"


class EntityAlreadyExists(IamError):
    code = "EntityAlreadyExists"


class LimitExceeded(IamError):
    code = "LimitExceeded"


class MalformedPolicyDocument(IamError):
    code = "MalformedPolicyDocument"


class InvalidInput(IamError):
    code = "InvalidInput"


class DeleteConflict(IamError):
    code = "DeleteConflict"


class UnmodifiableEntity(IamError):
    code = "UnmodifiableEntity"


class PolicyNotAttachable(IamError):
    code = "PolicyNotAttachable"


class ConcurrentModification(IamError):
    code = "ConcurrentModification"


class MalformedCertificate(IamError):
    code = "MalformedCertificate"


class DuplicateCertificate(IamError):
    code = "DuplicateCertificate"


class InvalidPublicKey(IamError):
    code = "InvalidPublicKey"


class DuplicateSSHPublicKey(IamError):
    code = "DuplicateSSHPublicKey"


class UnrecognizedPublicKeyEncoding(IamError):
    code = "UnrecognizedPublicKeyEncoding"


class KeyPairMismatch(IamError):
    code = "KeyPairMismatch"


class PolicyEvaluation(IamError):
    code = "PolicyEvaluation"


class PasswordPolicyViolation(IamError):
    code = "PasswordPolicyViolation"


class EntityTemporarilyUnmodifiable(IamError):
    code = "EntityTemporarilyUnmodifiable"


class InvalidAuthenticationCode(IamError):
    code = "InvalidAuthenticationCode"


class InvalidUserType(IamError):
    code = "InvalidUserType"


class CredentialReportNotPresent(IamError):
    code = "ReportNotPresent"


class CredentialReportExpired(IamError):
    code = "ReportExpired"


class CredentialReportNotReady(IamError):
    code = "ReportInProgress"


class ServiceFailure(IamError):
    code = "ServiceFailure"


# -- AWS's common errors (every Query API) ----------------------------------------------------
class ValidationError(IamError):
    code = "ValidationError"


class AccessDenied(IamError):
    code = "AccessDenied"


class NotImplementedOperation(IamError):
    code = "NotImplemented"


# -- Authentication (SigV4 and credentials) --------------------------------------------------
class AuthenticationError(IamError):
    """The request could not be tied to a valid credential."""


class MissingAuthenticationToken(AuthenticationError):
    code = "MissingAuthenticationToken"


class InvalidClientTokenId(AuthenticationError):
    code = "InvalidClientTokenId"


class SignatureDoesNotMatch(AuthenticationError):
    code = "SignatureDoesNotMatch"


class IncompleteSignature(AuthenticationError):
    code = "IncompleteSignature"


class ExpiredToken(AuthenticationError):
    code = "ExpiredToken"

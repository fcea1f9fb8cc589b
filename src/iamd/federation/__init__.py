"""SAML, OIDC and LDAP behind service ports. May import: service.ports and their libraries."""

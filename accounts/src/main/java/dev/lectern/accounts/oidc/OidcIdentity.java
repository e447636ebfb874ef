package dev.lectern.accounts.oidc;

import java.util.List;

/** What a verified external token says: its subject, e-mail and name (may be empty), groups, token use and id. */
public record OidcIdentity(String issuer, String subject, String email, String name, List<String> groups,
                           String tokenUse, String tokenId) {}

-- Users signed in through an external OIDC provider: the provider's subject (per issuer) → the Lectern user created
-- for it when it was first seen. (V34 is in the courses block of numbers: issue 24 brought external sign-in.)
CREATE TABLE oidc_subjects (
    issuer VARCHAR(300) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    user_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);

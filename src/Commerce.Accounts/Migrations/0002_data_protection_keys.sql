-- The ASP.NET Core data-protection key ring that signs and encrypts every bearer token, shared by
-- every silo and gateway of the cluster so that a token issued by one is accepted by all. One row
-- per key, as the XML document data protection writes; rows are never changed, only added (a
-- revoked key is a new document naming it). Old keys stay so tokens they signed stay valid.
CREATE TABLE data_protection_keys (
    friendly_name text        PRIMARY KEY,
    xml           text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

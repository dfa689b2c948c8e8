-- Orleans ADO.NET providers (clustering, reminders) do not embed their SQL: on start-up each one loads
-- every row of this table and runs the statement stored under a well-known key. The table name, its
-- two column names and the keys stored in it (0002, 0003) are the contract of Orleans 10.4.2's ADO.NET
-- providers (invariant "Npgsql") and must not be renamed; everything else here is ours.
--
-- Identifiers are left unquoted on purpose: PostgreSQL folds them to lower case, and the providers'
-- own unquoted "SELECT QueryKey, QueryText FROM OrleansQuery" folds the same way.

CREATE TABLE OrleansQuery (
    QueryKey  text NOT NULL,   -- a DbStoredQueries property name, e.g. 'MembershipReadAllKey'
    QueryText text NOT NULL,   -- the statement; parameters are written @Name, bound by name by Npgsql
    CONSTRAINT orleans_query_pk PRIMARY KEY (QueryKey)
);

-- Membership, partition leases and reminders of the project's former home-made actor runtime.
-- Orleans keeps membership and reminders in its own tables (component "orleans"); these are
-- only present in databases created before the move and nothing reads them any more.
DROP TABLE IF EXISTS partition_leases;
DROP TABLE IF EXISTS cluster_silos;
DROP TABLE IF EXISTS cluster_membership_version;
DROP TABLE IF EXISTS reminders;

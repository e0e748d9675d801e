import { describeRoleBoot, SEARCH_NODE_RETRYING } from "./support/boot-role";

// A dedicated master (the production stack's first; no data volume): admin credentials, the security
// admin's certificate, and the snapshot repository's S3 keys, which an admin passes as variables.
describeRoleBoot({
  stack: "production",
  role: "search-master",
  variables: () => ({ search_snapshot_s3_access_key: "boot-test-access-key", search_snapshot_s3_secret_key: "boot-test-secret-key" }),
  retrying: SEARCH_NODE_RETRYING,
});

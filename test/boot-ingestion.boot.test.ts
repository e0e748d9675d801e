import { describeRoleBoot } from "./support/boot-role";

// The ingestion service runs and keeps retrying zuul.opendev.org and the cluster by itself (active).
describeRoleBoot({ stack: "evaluation", role: "ingestion", retrying: {} });

import { describeRoleBoot, SEARCH_NODE_RETRYING } from "./support/boot-role";

describeRoleBoot({ stack: "evaluation", role: "search-data", dataVolumeMiB: 512, retrying: SEARCH_NODE_RETRYING });

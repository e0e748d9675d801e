import { describeRoleBoot } from "./support/boot-role";

describeRoleBoot({
  stack: "evaluation",
  role: "search-data",
  dataVolumeMiB: 512,
  retrying: {
    "install-search-engine.service": "adds OpenSearch's apt repository from artifacts.opensearch.org, which the proxy refuses",
    "opensearch.service": "the package install-search-engine.service installs",
    "search-setup.service": "waits for the cluster (OpenSearch is not installed)",
  },
});

import { describeRoleBoot } from "./support/boot-role";

describeRoleBoot({
  stack: "evaluation",
  role: "monitoring",
  dataVolumeMiB: 512,
  rewritten: {
    "/etc/prometheus/alertmanager.yml": {
      modeAndOwner: "640 root:prometheus",
      why: "install-monitoring makes the secrets group-readable to the prometheus group once the package has made it",
    },
  },
  retrying: {
    // Prometheus, Alertmanager and the exporters are installed and active; its last step, the first
    // discovery of the targets, reads the server's metadata from 169.254.169.254, which no container has.
    "install-monitoring.service": "its first target discovery reads the OpenStack metadata service, which a container has not",
  },
  probes: (boot) => {
    test("Prometheus answers ready on its port", async () => {
      expect(await boot().server.check(["curl", "--silent", "--max-time", "10", "--fail", "http://127.0.0.1:9090/-/ready"])).toMatch(/ready/i);
    });
  },
});

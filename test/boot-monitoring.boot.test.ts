import { describeRoleBoot } from "./support/boot-role";

describeRoleBoot({
  stack: "evaluation",
  role: "monitoring",
  dataVolumeMiB: 512,
  // Its targets come from its own Nova metadata: a stand-in metadata service serves it, as the cloud does.
  metadataService: true,
  rewritten: {
    "/etc/prometheus/alertmanager.yml": {
      modeAndOwner: "640 root:prometheus",
      why: "install-monitoring makes the secrets group-readable to the prometheus group once the package has made it",
    },
  },
  retrying: {},
  probes: (boot) => {
    test("Prometheus answers ready and scrapes every server its metadata names, found by the discovery", async () => {
      const { server, name, metadata } = boot();
      // The servers of its metadata's monitor:<server> entries, and itself (its own exporters).
      const watched = [name, ...Object.keys(metadata).filter((key) => key.startsWith("monitor:")).map((key) => key.slice("monitor:".length))].sort();
      expect(watched.length).toBeGreaterThan(3);
      expect(await server.check(["curl", "--silent", "--max-time", "10", "--fail", "http://127.0.0.1:9090/-/ready"])).toMatch(/ready/i);
      const names = () => server.check(["sh", "-c", "curl --silent --max-time 10 --fail http://127.0.0.1:9090/api/v1/targets | jq -r '[.data.activeTargets[].labels.server // empty] | unique | .[]'"]);
      let found = await names();
      // Prometheus rereads the discovery's files within its refresh interval (5 minutes at most).
      for (let attempt = 0; attempt < 60 && found.trim().split("\n").length < watched.length; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 5000));
        found = await names();
      }
      expect(found.trim().split("\n")).toEqual(watched);
    }, 360_000);
  },
});

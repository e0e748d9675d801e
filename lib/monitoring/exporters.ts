/**
 * What every watched server runs for the monitoring server: the distribution's node exporter
 * (machine metrics, and systemd's view of the units: failed, restarting in a loop), and beside
 * nginx the distribution's nginx exporter, which reads nginx's loopback-only stub_status.
 */
import type { CloudConfigBuilder } from "../cloud-init/cloud-config";
import { SCRAPE_PORTS } from "./targets";

const DROP_IN = "ci-log-analysis";

/**
 * The node exporter's textfile collectors (a recommendation of its package) are left out: nothing
 * here reads their metrics, and they bring ipmitool, openipmi and nvme-cli, whose units fail on a
 * virtual machine (openipmi.service on every boot after the first, under qemu), which would fire
 * UnitFailed on every server. A negative pin keeps apt from installing the package at all; written
 * before cloud-init installs the packages.
 */
export const NO_TEXTFILE_COLLECTORS_PIN = {
  path: "/etc/apt/preferences.d/ci-log-analysis-no-textfile-collectors",
  content: "Package: prometheus-node-exporter-collectors\nPin: version *\nPin-Priority: -1\n",
} as const;

export function addNodeExporter(cloudConfig: CloudConfigBuilder): void {
  cloudConfig.addFile(NO_TEXTFILE_COLLECTORS_PIN);
  cloudConfig.addPackages("prometheus-node-exporter");
  cloudConfig.addSystemdDropIn("prometheus-node-exporter.service", DROP_IN, {
    Service: {
      ExecStart: [
        "",
        [
          "/usr/bin/prometheus-node-exporter",
          `--web.listen-address=:${SCRAPE_PORTS.node}`,
          "--collector.systemd",
          "--collector.systemd.enable-restarts-metrics",
          // Services and timers only: devices, mounts and slices would add hundreds of series per server.
          "--collector.systemd.unit-include=.+[.](service|timer)",
        ].join(" "),
      ],
      Restart: "always",
    },
  });
}

/** prometheus-nginx-exporter's default scrape URI (0.11 and 1.x) is nginx's stub_status at 127.0.0.1:8080 (lib/nginx.ts). */
export function addNginxExporter(cloudConfig: CloudConfigBuilder): void {
  cloudConfig.addPackages("prometheus-nginx-exporter");
  cloudConfig.addSystemdDropIn("prometheus-nginx-exporter.service", DROP_IN, { Service: { Restart: "always", RestartSec: "10s" } });
}

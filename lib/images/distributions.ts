/**
 * The operating systems this project's servers run: the cloud image of each, what differs between
 * them for the stack, and nothing else. Everything the servers install comes from the
 * distribution's own archive (or a vendor's signed repository), under the same package names on
 * both; the user data is the same.
 */

export interface Distribution {
  /** As the README names it. */
  readonly displayName: string;
  /** The login user of the distribution's cloud images, which holds the admins' keys. */
  readonly defaultUser: string;
}

export const DISTRIBUTIONS = {
  "ubuntu-24.04": { displayName: "Ubuntu 24.04 LTS (Noble Numbat)", defaultUser: "ubuntu" },
  "debian-13": { displayName: "Debian 13 (trixie)", defaultUser: "debian" },
} as const satisfies Record<string, Distribution>;

export type DistributionName = keyof typeof DISTRIBUTIONS;

export const DISTRIBUTION_NAMES = Object.keys(DISTRIBUTIONS) as [DistributionName, ...DistributionName[]];

/** What an image given by its name alone runs (the form of the config before Debian was supported). */
export const DEFAULT_DISTRIBUTION: DistributionName = "ubuntu-24.04";

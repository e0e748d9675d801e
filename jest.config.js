/** @type {import('jest').Config} */
const common = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  // Type checking is `tsc --noEmit` in `npm test`; jest only transpiles, which keeps it fast.
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: { isolatedModules: true, esModuleInterop: true, resolveJsonModule: true, target: "ES2022", module: "commonjs" } }] },
};

module.exports = {
  testTimeout: 60000,
  // A private TMPDIR per run, removed at its end: no test leaves files behind or sees others' (test/global/).
  globalSetup: "<rootDir>/test/global/setup.ts",
  globalTeardown: "<rootDir>/test/global/teardown.ts",
  // Jest keeps one core for itself by default, which on a 2-core machine means one worker.
  maxWorkers: 2,
  // The qemu boot first and the search cluster last: they take turns with the cores (test/support/cpu-turns.ts).
  testSequencer: "<rootDir>/test/global/sequencer.js",
  projects: [
    { ...common, displayName: "unit", testMatch: ["**/*.test.ts"], testPathIgnorePatterns: ["/node_modules/", "\\.engine\\.test\\.ts$", "\\.provider\\.test\\.ts$", "\\.boot\\.test\\.ts$"] },
    // Tests against the real OpenStack provider binary, built from its Go module (lib/provider-binary.ts).
    { ...common, displayName: "provider", testMatch: ["**/*.provider.test.ts"] },
    // Tests against a real search engine node, which the global setup starts (test/support/search-engine.ts).
    // jest runs a project's global setup only when at least one of its test files is selected.
    {
      ...common,
      displayName: "engine",
      testMatch: ["**/*.engine.test.ts"],
      globalSetup: "<rootDir>/test/engine/global-setup.ts",
      globalTeardown: "<rootDir>/test/engine/global-teardown.ts",
    },
    // Servers booted from their rendered user data in a Debian root (test/support/debian-root.ts): minutes each.
    { ...common, displayName: "boot", testMatch: ["**/*.boot.test.ts"] },
  ],
};

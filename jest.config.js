/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // Type checking is `tsc --noEmit` in `npm test`; jest only transpiles, which keeps it fast.
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: { isolatedModules: true, esModuleInterop: true, resolveJsonModule: true, target: "ES2022", module: "commonjs" } }] },
  testTimeout: 60000,
  // Jest keeps one core for itself by default, which on a 2-core machine means one worker.
  maxWorkers: 2,
};

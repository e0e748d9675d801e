/**
 * jest's own order (failed first, then longest first), with the two test files that take turns
 * with the machine's cores (test/support/cpu-turns.ts) as far apart as the run allows: the qemu
 * boot first, the search cluster last. The rest of the suite runs on the other worker while the
 * emulated guest boots, and the cluster finds the cores free when its turn comes.
 */
const Sequencer = require("@jest/test-sequencer").default;

const FIRST = /\.qemu\.boot\.test\.ts$/;
const LAST = /search-cluster\.engine\.test\.ts$/;

class CpuTurnsSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const rank = (test) => (FIRST.test(test.path) ? 0 : LAST.test(test.path) ? 2 : 1);
    // Array.prototype.sort is stable: within a rank, jest's order stays.
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = CpuTurnsSequencer;

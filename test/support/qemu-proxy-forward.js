// Joins one TCP connection of a qemu guest (guestfwd's cmd: form hands it over as stdin and
// stdout) to the boot test's proxy on the Unix socket given as the argument.
const net = require("node:net");

const proxy = net.connect(process.argv[2]);
process.stdin.pipe(proxy);
proxy.pipe(process.stdout);
proxy.on("close", () => process.exit(0));
proxy.on("error", () => process.exit(1));
process.stdin.on("end", () => proxy.end());

/**
 * The README's install line is what a developer runs to get the same tests as CI: it must name
 * exactly the Debian packages that .ci/run installs, or a developer's run skips what CI runs.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..");

function ciPackages(): string[] {
  const script = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
  const list = /^packages=\(([^)]*)\)/m.exec(script);
  if (!list) throw new Error(".ci/run has no packages=(...) list");
  return list[1].split(/\s+/).filter((name) => name !== "").sort();
}

function readmePackages(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const line = /^sudo apt-get install --no-install-recommends ((?:.*\\\n)*.*)$/m.exec(readme);
  if (!line) throw new Error("README.md has no `sudo apt-get install --no-install-recommends` line");
  return line[1].replace(/\\\n/g, " ").split(/\s+/).filter((name) => name !== "").sort();
}

test("the README's install line names exactly the packages .ci/run installs", () => {
  expect(readmePackages()).toEqual(ciPackages());
});

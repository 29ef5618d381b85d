// Runs a gantry binary as a JavaScript action. Used by tools whose output names are dynamic
// (paths-filter writes `<filter>`, `<filter>_count`, ...): a composite action exposes only the
// outputs it declares, a JavaScript action exposes every output its process writes. The runner
// also sets INPUT_* for every input of a JavaScript action, so no mapping is needed.
//
// Where the binary comes from, in order: GANTRY_BIN_DIR (tests, air-gapped runners), then a
// source build with cargo as the last resort (with a warning).
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

function escapeData(text) {
  return String(text).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function fail(message) {
  process.stdout.write(`::error title=gantry::${escapeData(message)}\n`);
  process.exit(1);
}

function locate(tool) {
  const exe = process.platform === "win32" ? `${tool}.exe` : tool;
  const dir = (process.env.GANTRY_BIN_DIR || "").trim();
  if (dir) {
    const bin = path.join(dir, exe);
    if (!fs.existsSync(bin)) {
      fail(`GANTRY_BIN_DIR is '${dir}' but it holds no ${exe}: point it at a directory of gantry binaries, or unset it to build from source`);
    }
    return bin;
  }
  const root = path.resolve(__dirname, "..");
  const target = path.join(process.env.RUNNER_TEMP || os.tmpdir(), "gantry-build");
  process.stdout.write(`::warning title=gantry::building ${tool} from source (slow): set GANTRY_BIN_DIR, or use a release tag that ships prebuilt binaries\n`);
  const built = spawnSync(
    "cargo",
    ["build", "--release", "--locked", "--bin", tool, "--manifest-path", path.join(root, "Cargo.toml"), "--target-dir", target],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  if (built.error || built.status !== 0) {
    fail(`could not build ${tool} from source (${built.error ? built.error.message : `cargo exited ${built.status}`}): install Rust on the runner or set GANTRY_BIN_DIR`);
  }
  return path.join(target, "release", exe);
}

module.exports.run = function run(tool) {
  const bin = locate(tool);
  const result = spawnSync(bin, [], { stdio: "inherit" });
  if (result.error) fail(`could not run ${bin}: ${result.error.message}`);
  process.exit(result.status === null ? 1 : result.status);
};

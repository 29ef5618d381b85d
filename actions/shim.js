// Runs a gantry binary as a JavaScript action, and installs the binaries for the root action.
//
// Why JavaScript: tools whose output names are dynamic (paths-filter writes `<filter>`,
// `<filter>_count`, ...) need a JavaScript action (a composite action exposes only the outputs it
// declares), and the runner always has node for it, so the binary bootstrap lives here once.
// The runner also sets INPUT_* for every input of a JavaScript action, so no mapping is needed.
//
//   require("../shim.js").run("<tool>")   an action's index.js: get the tool and run it
//   node actions/shim.js [tool...]         the root action (and scripts/install-binaries): get the
//                                          tools (default all) and put them on PATH
//
// Where a binary comes from, first that applies:
//   1. an explicit directory: GANTRY_BIN_DIR (the root action's `bin-dir` input first), for
//      tests and air-gapped runners. Nothing is checked but that the binary is there.
//   2. this checkout's release, when dist/checksums.txt lists the platform: the runner's tool
//      cache when its copy matches the checksum, else the release asset, downloaded (size-capped
//      while streaming), checked before it is unpacked, unpacked and checked again. A listed
//      asset that cannot be had (404, short read, too large, wrong checksum) fails the step; it
//      never falls back to a source build.
//   3. a source build, with a warning, only when this checkout has no checksums (it is not a
//      release commit) or the release lists no binary for this platform. It sees an allow-listed
//      environment: none of the job's INPUT_*, ACTIONS_*, AWS_*, GITHUB_* or other secrets.
//
// A verified binary is run from a copy: its bytes are read once, checked, and written with
// exclusive create into a fresh directory of this user's (mode 0700, not a symbolic link), and
// that copy runs. Swapping the tool cache's file after the check changes nothing, and a tool
// cache directory that is a symbolic link or writable by others is not used at all.
//
// The version, tag and repository come from dist/checksums.txt in this checkout, which only a
// release commit has (RELEASING.md): whatever release ref a workflow uses (v1, v1.2, v1.2.3, the
// release commit's SHA), the checksums are the ones of that ref's binaries. The tool runs as a
// child process that receives the runner's cancellation. Node built-ins only.
"use strict";
const { spawn, spawnSync } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const zlib = require("node:zlib");

const ROOT = path.resolve(__dirname, "..");
const CHECKSUMS = path.join(ROOT, "dist", "checksums.txt");
const ALL_TOOLS = ["paths-filter", "semantic-version", "ecr-push", "ecs-rollout", "canary-gate", "gitops-update"];
// The largest asset or binary accepted; GANTRY_MAX_ASSET_BYTES may only lower it.
const MAX_ASSET_BYTES = 256 * 1024 * 1024;
const DOWNLOAD_ATTEMPTS = 3;
const DOWNLOAD_TIMEOUT_MS = 120 * 1000;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
// What a source build sees of the job's environment: what cargo and rustup need to run, and
// fetch crates through a proxy, on Linux, macOS and Windows. Nothing else.
const BUILD_ENV = [
  "PATH", "HOME", "CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN", "TMPDIR",
  "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
  "SystemRoot", "SYSTEMROOT", "windir", "TEMP", "TMP", "USERPROFILE", "LOCALAPPDATA", "APPDATA",
  "PATHEXT", "ComSpec", "ProgramData", "ProgramFiles", "ProgramFiles(x86)",
];
// Never passed to a build, whatever the list above says.
const NEVER_BUILD_ENV = /^(INPUT_|ACTIONS_|AWS_|GITHUB_|RUNNER_|GANTRY_)/i;

function escapeData(text) {
  return String(text).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

// Failures are thrown as this and reported once, at the top, as an `::error::` annotation.
class Failure extends Error {}

function fail(message) {
  process.stdout.write(`::error title=gantry::${escapeData(message)}\n`);
  process.exit(1);
}

function warning(message) {
  process.stdout.write(`::warning title=gantry::${escapeData(message)}\n`);
}

function info(message) {
  process.stdout.write(`${message}\n`);
}

function checkTool(tool) {
  if (!ALL_TOOLS.includes(tool)) {
    throw new Failure(`'${tool}' is not a gantry tool: valid tools are ${ALL_TOOLS.join(", ")}`);
  }
  return tool;
}

function exeName(tool, platform) {
  return platform.os === "windows" ? `${tool}.exe` : tool;
}

const OS_NAMES = { Linux: "linux", macOS: "macos", Windows: "windows" };
const ARCH_NAMES = { X64: "x64", ARM64: "arm64", X86: "x86", ARM: "arm" };
const NODE_OS = { linux: "linux", darwin: "macos", win32: "windows" };

// The platform of release assets: runner.os/runner.arch on a runner, node's view elsewhere.
function detectPlatform(env) {
  const osName = OS_NAMES[env.RUNNER_OS] || NODE_OS[process.platform] || process.platform;
  const arch = ARCH_NAMES[env.RUNNER_ARCH] || process.arch;
  return { os: osName, arch, name: `${osName}-${arch}` };
}

// dist/checksums.txt: `# key: value` header lines (version, tag, repository) and
// `sha256sum` lines (`<64 hex>  <file name>`). Absent: not a release commit (null).
function readChecksums(file) {
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if (e.code === "ENOENT") return null;
    throw new Failure(`cannot read ${file}: ${e.message}`);
  }
  const header = {};
  const sums = new Map();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const meta = /^#\s*([a-z-]+):\s*(\S+)\s*$/.exec(line);
    if (meta) {
      header[meta[1]] = meta[2];
      return;
    }
    if (line.startsWith("#")) return;
    const sum = /^([0-9a-fA-F]{64}) [ *](\S+)$/.exec(line);
    if (!sum) {
      throw new Failure(`${file} line ${i + 1} is not '<sha256>  <file>' nor a '# key: value' header: '${line}'`);
    }
    sums.set(sum[2], sum[1].toLowerCase());
  });
  for (const key of ["version", "tag", "repository"]) {
    if (!header[key]) throw new Failure(`${file} has no '# ${key}: ...' header line: the release workflow writes it`);
  }
  if (!SEMVER.test(header.version)) {
    throw new Failure(`${file} names version '${header.version}', which is not a semantic version`);
  }
  if (header.tag !== `v${header.version}`) {
    throw new Failure(`${file} names tag '${header.tag}' for version ${header.version}: a release's tag is v${header.version}`);
  }
  if (!REPOSITORY.test(header.repository)) {
    throw new Failure(`${file} names repository '${header.repository}', which is not owner/name`);
  }
  return { version: header.version, tag: header.tag, repository: header.repository, sums, file };
}

// The release asset of `tool` for `platform`, with the checksums of the packed asset and of
// the binary inside it; null when the release lists none.
function releaseAsset(release, tool, platform) {
  const binary = `${tool}-${release.version}-${platform.name}${platform.os === "windows" ? ".exe" : ""}`;
  const asset = `${binary}.gz`;
  const assetSha = release.sums.get(asset);
  const binarySha = release.sums.get(binary);
  if (!assetSha || !binarySha) return null;
  return { tool, asset, assetSha, binarySha };
}

function sha256(bytes) {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

function maxAssetBytes(env) {
  const lower = Number.parseInt((env.GANTRY_MAX_ASSET_BYTES || "").trim(), 10);
  return Number.isSafeInteger(lower) && lower > 0 ? Math.min(lower, MAX_ASSET_BYTES) : MAX_ASSET_BYTES;
}

// Why `dir` must not be trusted with binaries, or null: a symbolic link, not a directory, or
// (on Unix) owned by another user or writable by group or others. With `tighten`, a directory
// of this user's that others may write (a umask of 002) loses those bits instead.
function untrusted(dir, tighten = false) {
  let stat;
  try {
    stat = fs.lstatSync(dir);
  } catch (e) {
    return `${dir} cannot be read (${e.code || e.message})`;
  }
  if (stat.isSymbolicLink()) return `${dir} is a symbolic link`;
  if (!stat.isDirectory()) return `${dir} is not a directory`;
  if (typeof process.getuid === "function") {
    if (stat.uid !== process.getuid()) return `${dir} belongs to user ${stat.uid}, not to this one (${process.getuid()})`;
    if (stat.mode & 0o022) {
      const mode = (stat.mode & 0o777).toString(8);
      if (!tighten) return `${dir} is writable by other users (mode ${mode})`;
      try {
        fs.chmodSync(dir, stat.mode & 0o755);
      } catch (e) {
        return `${dir} is writable by other users (mode ${mode}) and cannot be changed (${e.code || e.message})`;
      }
    }
  }
  return null;
}

// The tool cache directory for this release and platform, created as needed, or null (with a
// warning) when any directory gantry owns in it cannot be trusted.
function toolCacheDir(env, release, platform) {
  const base = (env.RUNNER_TOOL_CACHE || "").trim() || path.join(os.tmpdir(), "gantry-tool-cache");
  let dir = path.join(base, "gantry");
  for (const part of [null, release.version, platform.name]) {
    if (part) dir = path.join(dir, part);
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    } catch (e) {
      warning(`not using the tool cache: cannot create ${dir} (${e.message})`);
      return null;
    }
    const why = untrusted(dir, true);
    if (why) {
      warning(`not using the tool cache: ${why}; the binaries are downloaded and verified on every run`);
      return null;
    }
  }
  return dir;
}

// A fresh directory of this user's for the copies that run: mode 0700, checked.
function privateDir(env) {
  const base = (env.RUNNER_TEMP || "").trim() || os.tmpdir();
  fs.mkdirSync(base, { recursive: true });
  const dir = fs.mkdtempSync(path.join(base, "gantry-"));
  const why = untrusted(dir);
  if (why) throw new Failure(`cannot run gantry safely: ${why} right after it was created`);
  return dir;
}

// Writes `bytes` as a new executable `name` in the private directory (exclusive create: an
// existing file or link there is an error, never followed) and returns its path.
function writePrivate(dir, name, bytes) {
  const file = path.join(dir, name);
  const fd = fs.openSync(file, "wx", 0o700);
  try {
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

// Writes `bytes` at `dest` atomically: a concurrent reader sees the old file, nothing, or the
// whole new one. The cache is only a cache: what runs is always a verified private copy.
function writeCache(dest, bytes) {
  const temp = `${dest}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
  try {
    fs.writeFileSync(temp, bytes, { mode: 0o755, flag: "wx" });
    fs.renameSync(temp, dest);
  } catch (e) {
    warning(`could not store ${dest} in the tool cache (${e.message}): the next run downloads again`);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function readIfPresent(file) {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    if (e.code === "ENOENT") return null;
    throw new Failure(`cannot read ${file}: ${e.message}`);
  }
}

function assetUrl(env, release, asset) {
  const base = (env.GANTRY_RELEASE_BASE_URL || "").trim().replace(/\/+$/, "") ||
    `https://github.com/${release.repository}/releases/download`;
  return `${base}/${encodeURIComponent(release.tag)}/${encodeURIComponent(asset)}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Reads a response body to its end, failing as soon as it passes `cap` bytes.
async function readCapped(response, cap, what) {
  const reader = response.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > cap) {
      await reader.cancel().catch(() => {});
      throw new Failure(`${what} is more than ${cap} bytes, more than a gantry binary can be: refusing it`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

// The bytes of a listed asset. Anything but the whole file is a failure naming it: 404 (the
// release or mirror lacks it), a short read, more than the cap. Network errors, short reads and
// 5xx/429 are retried first.
async function download(env, url, asset) {
  const cap = maxAssetBytes(env);
  const what = `release asset ${asset} (${url})`;
  let lastError = "";
  for (let attempt = 1; attempt <= DOWNLOAD_ATTEMPTS; attempt++) {
    if (attempt > 1) await sleep(1000 * 2 ** (attempt - 2));
    let response;
    try {
      response = await fetch(url, {
        redirect: "follow",
        headers: { "user-agent": "gantry-action-shim", accept: "application/octet-stream" },
        signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS),
      });
    } catch (e) {
      lastError = e.cause ? `${e.message}: ${e.cause.message || e.cause}` : e.message;
      continue;
    }
    if (response.status === 404) {
      await response.body?.cancel();
      throw new Failure(`${what} answered HTTP 404, but dist/checksums.txt lists it for this platform: the release or its mirror (GANTRY_RELEASE_BASE_URL) is incomplete. Nothing was built or run; report it to the gantry maintainers`);
    }
    if (response.status >= 500 || response.status === 429) {
      lastError = `HTTP ${response.status}`;
      await response.body?.cancel();
      continue;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Failure(`downloading ${what} answered HTTP ${response.status}: check GANTRY_RELEASE_BASE_URL and the network`);
    }
    const declared = Number(response.headers.get("content-length") || -1);
    if (declared > cap) {
      await response.body?.cancel();
      throw new Failure(`${what} is ${declared} bytes, more than a gantry binary can be (${cap}): refusing it`);
    }
    let bytes;
    try {
      bytes = await readCapped(response, cap, what);
    } catch (e) {
      if (e instanceof Failure) throw e;
      lastError = `the transfer broke off (${e.cause ? e.cause.message || e.cause : e.message})`;
      continue;
    }
    if (declared >= 0 && bytes.length !== declared) {
      lastError = `short read: ${bytes.length} of ${declared} bytes`;
      continue;
    }
    return bytes;
  }
  throw new Failure(`cannot download ${what} after ${DOWNLOAD_ATTEMPTS} attempts (${lastError}). Nothing was built or run: check the network, or set GANTRY_BIN_DIR to a directory of gantry binaries`);
}

// The tool's verified binary, from the tool cache or downloaded, as a private copy in `runDir`.
// { missing } when the release lists no binary of this tool for the platform.
async function fromRelease(env, release, tool, platform, runDir) {
  const entry = releaseAsset(release, tool, platform);
  if (!entry) return { missing: `release ${release.version} has no ${tool} binary for ${platform.name} in ${path.relative(ROOT, release.file)}` };
  const name = exeName(tool, platform);
  const cacheDir = toolCacheDir(env, release, platform);
  const cached = cacheDir ? path.join(cacheDir, name) : null;
  if (cached) {
    const bytes = readIfPresent(cached);
    if (bytes !== null) {
      const actual = sha256(bytes);
      if (actual === entry.binarySha) {
        info(`${tool} ${release.version} (${platform.name}) from the tool cache, verified: ${cached}`);
        return { bin: writePrivate(runDir, name, bytes) };
      }
      warning(`the cached ${cached} does not match the release checksum (expected ${entry.binarySha}, actual ${actual}): downloading it again`);
    }
  }
  const url = assetUrl(env, release, entry.asset);
  info(`downloading ${url}`);
  const packed = await download(env, url, entry.asset);
  const actual = sha256(packed);
  if (actual !== entry.assetSha) {
    throw new Failure(`checksum mismatch for release asset ${entry.asset} from ${url}: expected sha256 ${entry.assetSha} (${path.relative(ROOT, release.file)}), actual ${actual}. The download was not run. A mirror or proxy may serve a different file, or the release was altered: do not use it; report it to the gantry maintainers`);
  }
  let binary;
  try {
    binary = zlib.gunzipSync(packed, { maxOutputLength: maxAssetBytes(env) });
  } catch (e) {
    throw new Failure(`release asset ${entry.asset} matches its checksum but does not unpack (${e.message}): the release is broken; report it to the gantry maintainers`);
  }
  const unpackedSha = sha256(binary);
  if (unpackedSha !== entry.binarySha) {
    throw new Failure(`checksum mismatch for the binary inside ${entry.asset}: expected sha256 ${entry.binarySha}, actual ${unpackedSha}. It was not run: report it to the gantry maintainers`);
  }
  if (cached) writeCache(cached, binary);
  info(`${tool} ${release.version} (${platform.name}) verified (sha256 ${entry.assetSha})${cached ? ` and cached: ${cached}` : ""}`);
  return { bin: writePrivate(runDir, name, binary) };
}

// The environment a source build sees: the allow-list, and what the build command needs.
function buildEnv(env, extra) {
  const clean = {};
  for (const key of BUILD_ENV) {
    if (env[key] !== undefined && !NEVER_BUILD_ENV.test(key)) clean[key] = env[key];
  }
  return { ...clean, ...extra };
}

// Builds `tools` from this checkout into private copies in `runDir`. GANTRY_BUILD_COMMAND (a
// shell command; GANTRY_BUILD_TOOLS and GANTRY_BUILD_OUT in its environment) replaces cargo,
// for tests and for runners that build differently.
function buildFromSource(env, tools, platform, reason, runDir) {
  const target = path.join((env.RUNNER_TEMP || "").trim() || os.tmpdir(), "gantry-build");
  const out = path.join(target, "release");
  warning(`building ${tools.join(", ")} from source (slow): ${reason}. Use a release of gantry (such as @v1) for verified prebuilt binaries, or set GANTRY_BIN_DIR`);
  const custom = (env.GANTRY_BUILD_COMMAND || "").trim();
  const built = custom
    ? spawnSync(custom, {
      shell: true,
      cwd: ROOT,
      env: buildEnv(env, { GANTRY_BUILD_TOOLS: tools.join(" "), GANTRY_BUILD_OUT: out }),
      stdio: ["ignore", "inherit", "inherit"],
    })
    : spawnSync(
      "cargo",
      ["build", "--release", "--locked", "--workspace", ...tools.flatMap((t) => ["--bin", t]),
        "--manifest-path", path.join(ROOT, "Cargo.toml"), "--target-dir", target],
      { env: buildEnv(env, {}), stdio: ["ignore", "inherit", "inherit"] },
    );
  const how = custom ? "GANTRY_BUILD_COMMAND" : "cargo";
  if (built.error || built.status !== 0) {
    throw new Failure(`could not build ${tools.join(", ")} from source (${built.error ? built.error.message : `${how} exited ${built.status}`}): install Rust on the runner, or set GANTRY_BIN_DIR to a directory of gantry binaries`);
  }
  const bins = new Map();
  for (const tool of tools) {
    const name = exeName(tool, platform);
    const bytes = readIfPresent(path.join(out, name));
    if (bytes === null) throw new Failure(`the source build (${how}) left no ${path.join(out, name)}`);
    bins.set(tool, writePrivate(runDir, name, bytes));
  }
  return bins;
}

function explicitDir(name, value) {
  const dir = value.trim();
  if (/[\r\n]/.test(dir)) throw new Failure(`${name} contains a line break: give a single directory path`);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Failure(`${name} is '${dir}', which is not a directory: give a directory holding the gantry binaries, or leave it empty to use the release binaries`);
  }
  return path.resolve(dir);
}

// The directory holding every tool of `tools`: explicit, or a private directory of verified
// (or source-built) copies. `explicit` is [name, value] of the explicit directory setting.
async function resolve(env, tools, explicit) {
  const platform = detectPlatform(env);
  if (explicit[1].trim()) {
    const dir = explicitDir(...explicit);
    for (const tool of tools) {
      if (!fs.existsSync(path.join(dir, exeName(tool, platform)))) {
        throw new Failure(`${explicit[0]} is '${dir}' but it holds no ${exeName(tool, platform)}: point it at a directory of gantry binaries, or unset it to use the release binaries`);
      }
    }
    return { dir, bins: new Map(tools.map((t) => [t, path.join(dir, exeName(t, platform))])) };
  }
  const release = readChecksums(CHECKSUMS);
  const runDir = privateDir(env);
  let reason = `this checkout of gantry has no ${path.relative(ROOT, CHECKSUMS)}: it is not a release commit (a branch such as @main, or an ordinary commit)`;
  if (release) {
    const bins = new Map();
    for (const tool of tools) {
      const got = await fromRelease(env, release, tool, platform, runDir);
      if (got.missing) {
        // Only a platform the release lists no binary for builds from source.
        reason = got.missing;
        break;
      }
      bins.set(tool, got.bin);
    }
    if (bins.size === tools.length) return { dir: runDir, bins };
    fs.rmSync(runDir, { recursive: true, force: true });
    return resolveBuilt(env, tools, platform, reason);
  }
  fs.rmSync(runDir, { recursive: true, force: true });
  return resolveBuilt(env, tools, platform, reason);
}

function resolveBuilt(env, tools, platform, reason) {
  const runDir = privateDir(env);
  return { dir: runDir, bins: buildFromSource(env, tools, platform, reason, runDir) };
}

function guarded(promise) {
  promise.catch((e) => fail(e instanceof Failure ? e.message : `gantry action shim: ${e.stack || e}`));
}

// Runs `bin` with this process's environment and stdio; resolves to its exit status. The
// runner cancels a step by signalling this node process (SIGINT, then SIGTERM) on Linux and
// macOS: both are passed on, so the tool stops cleanly instead of being orphaned. On Windows
// the runner's Ctrl-C and Ctrl-Break reach every process of the console, the tool included;
// passing them on with kill() would terminate it at once, so node only stays alive for it.
function runBinary(bin) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, [], { stdio: "inherit" });
    const signals = process.platform === "win32" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
    for (const signal of signals) {
      process.on(signal, () => {
        if (process.platform !== "win32" && child.exitCode === null && child.signalCode === null) {
          child.kill(signal);
        }
      });
    }
    child.on("error", (e) => reject(new Failure(`could not run ${bin}: ${e.message}`)));
    child.on("exit", (code, signal) => {
      resolvePromise(code !== null ? code : 128 + (os.constants.signals[signal] || 0));
    });
  });
}

// An action's index.js: get the tool's binary and run it with this process's environment
// (INPUT_*, GITHUB_*), passing its exit status on.
function run(tool) {
  guarded((async () => {
    const env = process.env;
    checkTool(tool);
    const explicit = ["GANTRY_BIN_DIR", env.GANTRY_BIN_DIR || ""];
    const { dir, bins } = await resolve(env, [tool], explicit);
    const code = await runBinary(bins.get(tool));
    if (!explicit[1].trim()) fs.rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  })());
}

// The root action: every tool (or those named) into one directory on PATH; output `bin-dir`.
function install(tools) {
  guarded((async () => {
    const env = process.env;
    tools.forEach(checkTool);
    const input = env["INPUT_BIN-DIR"] || "";
    const explicit = input.trim() ? ["input 'bin-dir'", input] : ["GANTRY_BIN_DIR", env.GANTRY_BIN_DIR || ""];
    // An explicit directory is taken as it is unless tools are named.
    const wanted = tools.length || explicit[1].trim() ? tools : installableTools(env);
    const { dir } = await resolve(env, wanted, explicit);
    if (/[\r\n]/.test(dir)) throw new Failure(`the binary directory '${dir}' contains a line break`);
    if (env.GITHUB_PATH) fs.appendFileSync(env.GITHUB_PATH, `${dir}\n`);
    if (env.GITHUB_OUTPUT) {
      fs.appendFileSync(env.GITHUB_OUTPUT, `bin-dir=${dir}\n`);
    } else {
      info(`bin-dir=${dir}`);
    }
    info(`gantry binaries on PATH: ${dir}`);
  })());
}

// Every tool of the release for this platform, else every tool this version of the shim knows.
function installableTools(env) {
  const release = readChecksums(CHECKSUMS);
  const platform = detectPlatform(env);
  if (release) {
    const suffix = `-${release.version}-${platform.name}${platform.os === "windows" ? ".exe" : ""}.gz`;
    const listed = [...release.sums.keys()]
      .filter((f) => f.endsWith(suffix))
      .map((f) => f.slice(0, -suffix.length))
      .filter((t) => ALL_TOOLS.includes(t));
    if (listed.length) return listed;
  }
  return ALL_TOOLS;
}

module.exports = { run, install };

if (require.main === module) {
  try {
    install(process.argv.slice(2));
  } catch (e) {
    fail(e instanceof Failure ? e.message : String(e));
  }
}

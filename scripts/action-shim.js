// Runs a gantry binary as a JavaScript action, and installs the binaries for the root action.
//
// Why JavaScript: tools whose output names are dynamic (paths-filter writes `<filter>`,
// `<filter>_count`, ...) need a JavaScript action (a composite action exposes only the outputs it
// declares), and the runner always has node for it, so the binary bootstrap lives here once.
// The runner also sets INPUT_* for every input of a JavaScript action, so no mapping is needed.
//
//   require("../../scripts/action-shim.js").run("<tool>")   an action's index.js: get and run it
//   node scripts/action-shim.js [tool...]                   the root action (and scripts/install-binaries):
//                                                           get the tools (default all) and put them on PATH
//
// Where a binary comes from, first that applies:
//   1. an explicit directory: GANTRY_BIN_DIR (the root action's `bin-dir` input first) for tests
//      and air-gapped runners. Nothing is checked but that the binary is there.
//   2. the runner's tool cache, RUNNER_TOOL_CACHE/gantry/<version>/<platform>/<tool>, when its
//      SHA-256 matches the committed checksum of the binary. No network.
//   3. the release asset `<tool>-<version>-<platform>[.exe].gz` downloaded from
//      GANTRY_RELEASE_BASE_URL (default https://github.com/<repository>/releases/download)
//      `/<tag>/`, verified against the committed checksum before it is unpacked (a mismatch is a
//      hard failure and nothing is run), unpacked, verified again, and stored in the tool cache.
//   4. a source build with cargo (GANTRY_BUILD_COMMAND replaces it), with a warning: only when
//      this checkout has no checksums, or the release has no asset for this platform (none
//      listed, or HTTP 404). Never cached.
//
// The version, tag and repository come from dist/checksums.txt in this checkout, which the
// release workflow commits in the release commit that the tag marks: whatever release ref a
// workflow uses (v1, v1.2, v1.2.3, the release commit's SHA), the checksums are the ones of that
// ref's binaries. The format is described in RELEASING.md. The tool runs as a child process that
// receives the runner's cancellation signals. Node built-ins only: this file is copied alone.
"use strict";
const { spawn, spawnSync } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const zlib = require("node:zlib");

const ROOT = path.resolve(__dirname, "..");
const CHECKSUMS = path.join(ROOT, "dist", "checksums.txt");
const ALL_TOOLS = ["paths-filter", "semantic-version", "ecr-push", "ecs-rollout", "canary-gate"];
const MAX_ASSET_BYTES = 256 * 1024 * 1024;
const DOWNLOAD_ATTEMPTS = 3;
const DOWNLOAD_TIMEOUT_MS = 120 * 1000;

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
  if (!/^[0-9A-Za-z.+-]+$/.test(header.version) || !/^[0-9A-Za-z._+-]+$/.test(header.tag)) {
    throw new Failure(`${file} names version '${header.version}' and tag '${header.tag}': not a version and tag`);
  }
  return { version: header.version, tag: header.tag, repository: header.repository, sums, file };
}

// The release asset of `tool` for `platform`, with the checksums of the packed asset and of
// the binary inside it; null when the release has none.
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

function sha256File(file) {
  try {
    return sha256(fs.readFileSync(file));
  } catch (e) {
    if (e.code === "ENOENT") return null;
    throw e;
  }
}

function toolCacheDir(env, release, platform) {
  const base = (env.RUNNER_TOOL_CACHE || "").trim() || path.join(os.tmpdir(), "gantry-tool-cache");
  return path.join(base, "gantry", release.version, platform.name);
}

function assetUrl(env, release, asset) {
  const base = (env.GANTRY_RELEASE_BASE_URL || "").trim().replace(/\/+$/, "") ||
    `https://github.com/${release.repository}/releases/download`;
  return `${base}/${encodeURIComponent(release.tag)}/${encodeURIComponent(asset)}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The bytes at `url`; null on 404 (the release has no such asset). Network errors and 5xx/429
// are retried; any other status is a failure.
async function download(url) {
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
    if (response.status === 404) return null;
    if (response.status >= 500 || response.status === 429) {
      lastError = `HTTP ${response.status}`;
      await response.body?.cancel();
      continue;
    }
    if (response.status !== 200) {
      throw new Failure(`downloading ${url} answered HTTP ${response.status}: check GANTRY_RELEASE_BASE_URL and the network`);
    }
    const declared = Number(response.headers.get("content-length") || 0);
    if (declared > MAX_ASSET_BYTES) {
      throw new Failure(`${url} is ${declared} bytes, more than a gantry binary can be: refusing it`);
    }
    try {
      const bytes = Buffer.from(await response.arrayBuffer());
      if (bytes.length > MAX_ASSET_BYTES) throw new Failure(`${url} is more than ${MAX_ASSET_BYTES} bytes: refusing it`);
      return bytes;
    } catch (e) {
      if (e instanceof Failure) throw e;
      lastError = e.message;
    }
  }
  throw new Failure(`cannot download ${url} after ${DOWNLOAD_ATTEMPTS} attempts (${lastError}): check the network, or set GANTRY_BIN_DIR to a directory of gantry binaries`);
}

// Writes `bytes` as an executable at `dest` atomically: a concurrent reader sees the old file,
// nothing, or the whole new one.
function writeExecutable(dest, bytes) {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const temp = `${dest}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
  try {
    fs.writeFileSync(temp, bytes, { mode: 0o755 });
    fs.renameSync(temp, dest);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

// The tool's verified binary from the tool cache, or downloaded into it. null: the release has
// no asset for this tool and platform (the caller builds from source). Throws on a checksum
// mismatch.
async function fromRelease(env, release, tool, platform) {
  const entry = releaseAsset(release, tool, platform);
  if (!entry) return { missing: `release ${release.version} has no ${tool} binary for ${platform.name} in ${path.relative(ROOT, release.file)}` };
  const dest = path.join(toolCacheDir(env, release, platform), exeName(tool, platform));
  const cachedSha = sha256File(dest);
  if (cachedSha === entry.binarySha) {
    info(`${tool} ${release.version} (${platform.name}) from the tool cache: ${dest}`);
    return { bin: dest };
  }
  if (cachedSha !== null) {
    warning(`the cached ${dest} does not match the release checksum (expected ${entry.binarySha}, actual ${cachedSha}): downloading it again`);
  }
  const url = assetUrl(env, release, entry.asset);
  info(`downloading ${url}`);
  const packed = await download(url);
  if (packed === null) return { missing: `the release asset ${url} does not exist (HTTP 404)` };
  const actual = sha256(packed);
  if (actual !== entry.assetSha) {
    throw new Failure(`checksum mismatch for release asset ${entry.asset} from ${url}: expected sha256 ${entry.assetSha} (${path.relative(ROOT, release.file)}), actual ${actual}. The download was not run. A mirror or proxy may serve a different file, or the release was altered: do not use it; report it to the gantry maintainers`);
  }
  let binary;
  try {
    binary = zlib.gunzipSync(packed, { maxOutputLength: MAX_ASSET_BYTES });
  } catch (e) {
    throw new Failure(`release asset ${entry.asset} matches its checksum but does not unpack (${e.message}): the release is broken; report it to the gantry maintainers`);
  }
  const unpackedSha = sha256(binary);
  if (unpackedSha !== entry.binarySha) {
    throw new Failure(`checksum mismatch for the binary inside ${entry.asset}: expected sha256 ${entry.binarySha}, actual ${unpackedSha}. It was not run: report it to the gantry maintainers`);
  }
  writeExecutable(dest, binary);
  info(`${tool} ${release.version} (${platform.name}) verified (sha256 ${entry.assetSha}) and cached: ${dest}`);
  return { bin: dest };
}

// Builds `tools` from this checkout; returns the directory holding them. GANTRY_BUILD_COMMAND
// (a shell command; GANTRY_BUILD_TOOLS and GANTRY_BUILD_OUT in its environment) replaces cargo,
// for tests and for runners that build differently.
function buildFromSource(env, tools, platform, reason) {
  const target = path.join((env.RUNNER_TEMP || "").trim() || os.tmpdir(), "gantry-build");
  const out = path.join(target, "release");
  warning(`building ${tools.join(", ")} from source (slow): ${reason}. Use a release tag of gantry (such as @v1) for prebuilt binaries, or set GANTRY_BIN_DIR`);
  const custom = (env.GANTRY_BUILD_COMMAND || "").trim();
  const built = custom
    ? spawnSync(custom, {
      shell: true,
      cwd: ROOT,
      env: { ...env, GANTRY_BUILD_TOOLS: tools.join(" "), GANTRY_BUILD_OUT: out },
      stdio: ["ignore", "inherit", "inherit"],
    })
    : spawnSync(
      "cargo",
      ["build", "--release", "--locked", "--workspace", ...tools.flatMap((t) => ["--bin", t]),
        "--manifest-path", path.join(ROOT, "Cargo.toml"), "--target-dir", target],
      { env, stdio: ["ignore", "inherit", "inherit"] },
    );
  const how = custom ? "GANTRY_BUILD_COMMAND" : "cargo";
  if (built.error || built.status !== 0) {
    throw new Failure(`could not build ${tools.join(", ")} from source (${built.error ? built.error.message : `${how} exited ${built.status}`}): install Rust on the runner, or set GANTRY_BIN_DIR to a directory of gantry binaries`);
  }
  for (const tool of tools) {
    const bin = path.join(out, exeName(tool, platform));
    if (!fs.existsSync(bin)) throw new Failure(`the source build (${how}) left no ${bin}`);
  }
  return out;
}

function explicitDir(name, value) {
  const dir = value.trim();
  if (/[\r\n]/.test(dir)) throw new Failure(`${name} contains a line break: give a single directory path`);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Failure(`${name} is '${dir}', which is not a directory: give a directory holding the gantry binaries, or leave it empty to use the release binaries`);
  }
  return path.resolve(dir);
}

// The directory holding every tool of `tools`: explicit, cached or downloaded, or built.
// `explicit` is [name, value] of the explicit directory setting (value may be empty).
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
  let reason = `this checkout of gantry has no ${path.relative(ROOT, CHECKSUMS)} (it is not a release commit)`;
  if (release) {
    warnOffRelease(env, release);
    const bins = new Map();
    for (const tool of tools) {
      const got = await fromRelease(env, release, tool, platform);
      if (got.missing) {
        reason = got.missing;
        break;
      }
      bins.set(tool, got.bin);
    }
    if (bins.size === tools.length) return { dir: toolCacheDir(env, release, platform), bins };
  }
  const dir = buildFromSource(env, tools, platform, reason);
  return { dir, bins: new Map(tools.map((t) => [t, path.join(dir, exeName(t, platform))])) };
}

// A branch (such as @main) between releases still holds the checksums of the release before
// it, so it runs that release's binaries: say so, since its action.yml may already differ.
// Release tags (v1.2.3, v1.2, v1) and commit SHAs (which cannot be told apart here) are quiet.
function warnOffRelease(env, release) {
  const ref = (env.GITHUB_ACTION_REF || "").trim();
  if (!ref || /^[0-9a-f]{40}$/i.test(ref)) return;
  const numbers = /^(.*?)(\d+)\.(\d+)\.\d+$/.exec(release.tag);
  const releaseRefs = [release.tag];
  if (numbers) releaseRefs.push(`${numbers[1]}${numbers[2]}`, `${numbers[1]}${numbers[2]}.${numbers[3]}`);
  if (releaseRefs.includes(ref.replace(/^refs\/tags\//, ""))) return;
  warning(`gantry@${ref} is not a release: it runs the binaries of ${release.tag}, the last release before it, whose inputs may differ from this ref's action.yml. Use a release tag (such as @${releaseRefs[releaseRefs.length - 2] || release.tag}) or set GANTRY_BIN_DIR to binaries built from this ref`);
}

function guarded(promise) {
  promise.catch((e) => fail(e instanceof Failure ? e.message : `gantry action shim: ${e.stack || e}`));
}

// Runs `bin` with this process's environment and stdio; resolves to its exit status. The
// runner cancels a step by signalling this node process (SIGINT, then SIGTERM): both are
// passed on, so that the tool stops cleanly (the tools record them and finish or undo what
// they were doing) instead of being orphaned.
function runBinary(bin) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, [], { stdio: "inherit" });
    for (const signal of ["SIGINT", "SIGTERM"]) {
      process.on(signal, () => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
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
    const { bins } = await resolve(env, [tool], ["GANTRY_BIN_DIR", env.GANTRY_BIN_DIR || ""]);
    process.exit(await runBinary(bins.get(tool)));
  })());
}

// The root action: every tool (or those named) into one directory on PATH; output `bin-dir`.
function install(tools) {
  guarded((async () => {
    const env = process.env;
    const input = env["INPUT_BIN-DIR"] || "";
    const explicit = input.trim() ? ["input 'bin-dir'", input] : ["GANTRY_BIN_DIR", env.GANTRY_BIN_DIR || ""];
    // An explicit directory is taken as it is unless tools are named.
    const wanted = tools.length || explicit[1].trim() ? tools : installableTools(env);
    const { dir } = await resolve(env, wanted, explicit);
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
    const listed = [...release.sums.keys()].filter((f) => f.endsWith(suffix)).map((f) => f.slice(0, -suffix.length));
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

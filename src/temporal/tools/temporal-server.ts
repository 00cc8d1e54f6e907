// Obtains the production Temporal binaries for `npm run cluster`: `temporal-server` and `temporal-sql-tool`
// from the Go module go.temporal.io/server (with its PostgreSQL schema), and the Web UI's own server from
// github.com/temporalio/ui-server (its built assets are embedded in the module). Built once with `go install`
// and cached beside the CLI, in the same order as the CLI: an explicit path, then PATH, then the cache, then Go.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type ToolOptions,
  findOnPath,
  installAtomically,
  isExecutableFile,
  makeBuildDir,
  removeDir,
  resolveLog,
  runCapture,
  runStreaming,
  secondsSince,
  toolsCacheDir,
  withProgress,
} from './tool-cache';

/** Pinned server release: its go.mod has no `replace` directive and declares a Go this machine has. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
/** Pinned UI server: the release the CLI v1.5.1 embeds, so both UIs look alike. */
export const TEMPORAL_UI_SERVER_VERSION = 'v2.42.1';
export const TEMPORAL_UI_SERVER_MODULE = 'github.com/temporalio/ui-server/v2';

export interface TemporalServerTools {
  serverPath: string;
  sqlToolPath: string;
  /** Holds `temporal/versioned` and `visibility/versioned` for PostgreSQL 12+. */
  postgresSchemaDir: string;
}

interface GoBinary {
  /** The name the binary is cached and looked up on PATH under. */
  name: string;
  /** Overrides every other source; a wrong path is an error. */
  envVar: string;
  /** Package path inside the module; `go install` names the binary after its last element. */
  packagePath: string;
}

const SERVER_BINARIES: GoBinary[] = [
  { name: 'temporal-server', envVar: 'TEMPORAL_SERVER_PATH', packagePath: `${TEMPORAL_SERVER_MODULE}/cmd/server` },
  { name: 'temporal-sql-tool', envVar: 'TEMPORAL_SQL_TOOL_PATH', packagePath: `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql` },
];
const UI_SERVER_BINARY: GoBinary = {
  name: 'temporal-ui-server',
  envVar: 'TEMPORAL_UI_SERVER_PATH',
  packagePath: `${TEMPORAL_UI_SERVER_MODULE}/cmd/server`,
};

/** <cache>/temporal-server/<version>/: temporal-server and temporal-sql-tool. */
export function cachedTemporalServerDir(): string {
  return path.join(toolsCacheDir(), 'temporal-server', TEMPORAL_SERVER_VERSION);
}

export function cachedUiServerDir(): string {
  return path.join(toolsCacheDir(), 'temporal-ui-server', TEMPORAL_UI_SERVER_VERSION);
}

export async function ensureTemporalServer(opts?: ToolOptions): Promise<TemporalServerTools> {
  const log = resolveLog(opts);
  const cacheDir = cachedTemporalServerDir();
  const [server, sqlTool] = SERVER_BINARIES.map((binary) => userProvided(binary, log));
  if (!server || !sqlTool) {
    if (SERVER_BINARIES.every((binary) => isExecutableFile(path.join(cacheDir, binary.name)))) log(`temporal-server: cached ${cacheDir}`);
    else await buildWithGo(SERVER_BINARIES, TEMPORAL_SERVER_MODULE, TEMPORAL_SERVER_VERSION, cacheDir, opts);
  }
  return {
    serverPath: server ?? path.join(cacheDir, SERVER_BINARIES[0]!.name),
    sqlToolPath: sqlTool ?? path.join(cacheDir, SERVER_BINARIES[1]!.name),
    postgresSchemaDir: await ensurePostgresSchema(opts),
  };
}

/** <cache>/temporal-server-schema/<version>/postgresql/v12, copied from the module (the Go module cache may be cleaned). */
async function ensurePostgresSchema(opts?: ToolOptions): Promise<string> {
  const versionDir = path.join(toolsCacheDir(), 'temporal-server-schema', TEMPORAL_SERVER_VERSION);
  const schemaDir = path.join(versionDir, 'postgresql', 'v12');
  if (fs.existsSync(path.join(schemaDir, 'temporal', 'versioned'))) return schemaDir;
  const goPath = findOnPath('go');
  if (!goPath) throw new Error(`the PostgreSQL schema of ${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION} comes from its Go module, and \`go\` is not on PATH`);
  const buildDir = makeBuildDir(path.dirname(versionDir), `schema-${TEMPORAL_SERVER_VERSION}`);
  try {
    // A no-op after the build: the module is already in the Go module cache.
    const json = await runCapture(goPath, ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`]);
    const moduleDir = (JSON.parse(json) as { Dir?: string }).Dir;
    if (!moduleDir) throw new Error(`go mod download -json ${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION} named no directory`);
    copyReadOnlyTree(path.join(moduleDir, 'schema', 'postgresql', 'v12'), path.join(buildDir, 'postgresql', 'v12'));
    installAtomically(buildDir, versionDir);
    resolveLog(opts)(`temporal-server schema: ${schemaDir}`);
    return schemaDir;
  } finally {
    removeDir(buildDir);
  }
}

export async function ensureTemporalUiServer(opts?: ToolOptions): Promise<string> {
  const log = resolveLog(opts);
  const own = userProvided(UI_SERVER_BINARY, log);
  if (own) return own;
  const cacheDir = cachedUiServerDir();
  const cachedPath = path.join(cacheDir, UI_SERVER_BINARY.name);
  if (isExecutableFile(cachedPath)) {
    log(`temporal-ui-server: cached ${cachedPath}`);
    return cachedPath;
  }
  await buildWithGo([UI_SERVER_BINARY], TEMPORAL_UI_SERVER_MODULE, TEMPORAL_UI_SERVER_VERSION, cacheDir, opts);
  return cachedPath;
}

/** (a) the env var's path, (b) PATH; undefined sends the caller to the cache or a build. */
function userProvided(binary: GoBinary, log: (message: string) => void): string | undefined {
  const fromEnv = process.env[binary.envVar];
  if (fromEnv && fromEnv.trim() !== '') {
    const envPath = path.resolve(fromEnv);
    if (!isExecutableFile(envPath)) throw new Error(`${binary.envVar} is set to ${envPath}, but that is not an executable file.`);
    log(`${binary.name}: using ${binary.envVar} ${envPath}`);
    return envPath;
  }
  const onPath = findOnPath(binary.name);
  if (onPath) log(`${binary.name}: using ${onPath} from PATH`);
  return onPath;
}

async function buildWithGo(
  binaries: GoBinary[],
  module: string,
  version: string,
  finalDir: string,
  opts: ToolOptions | undefined,
): Promise<void> {
  const log = resolveLog(opts);
  const goPath = findOnPath('go');
  const names = binaries.map((binary) => binary.name).join(' and ');
  if (!goPath) {
    throw new Error(
      `Could not obtain ${names}: \`go\` is not on PATH. Install Go (then this builds ${module}@${version} once and caches it), ` +
        `or set ${binaries.map((binary) => binary.envVar).join(' and ')} to existing executables.`,
    );
  }
  const buildDir = makeBuildDir(path.dirname(finalDir), version);
  const startMs = Date.now();
  log(`${names}: building ${module} ${version} with go install (first time only, minutes on 2 cores)...`);
  try {
    const env = { ...process.env, GOBIN: buildDir, CGO_ENABLED: '0' };
    // Run outside any module so a go.mod nearby cannot interfere with `pkg@version`.
    const args = ['install', '-ldflags=-s -w', ...binaries.map((binary) => `${binary.packagePath}@${version}`)];
    await withProgress(log, `building ${names}`, () =>
      runStreaming(goPath, args, { cwd: buildDir, env, log, linePrefix: `${names}: `, quiet: /^go: downloading / }),
    );
    for (const binary of binaries) {
      const built = path.join(buildDir, path.basename(binary.packagePath));
      if (!isExecutableFile(built)) throw new Error(`go install finished but ${built} is missing`);
      fs.renameSync(built, path.join(buildDir, binary.name));
      // Check each binary runs before it becomes the cached copy.
      await runCapture(path.join(buildDir, binary.name), ['--help']);
    }
    installAtomically(buildDir, finalDir);
    log(`${names} ready in ${secondsSince(startMs)}: ${finalDir}`);
  } finally {
    removeDir(buildDir);
  }
}

/** Copies a folder out of the Go module cache, whose files are read-only, so the copy stays removable. */
function copyReadOnlyTree(source: string, target: string): void {
  fs.cpSync(source, target, { recursive: true });
  fs.chmodSync(target, 0o755);
  for (const entry of fs.readdirSync(target, { recursive: true, withFileTypes: true })) {
    fs.chmodSync(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
}

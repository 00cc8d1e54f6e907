// Obtains a `temporal` CLI executable (used as the local dev server in tests).
// The SDK's own download cannot reach its host from our machines, so we build it with `go install`
// from the Go module proxy and cache it; the SDK download is kept only as a last resort.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type ToolOptions,
  errorMessage,
  findNewestExecutable,
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

/** Pinned CLI release. Newer tags carry a `replace` directive that `go install pkg@version` refuses. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

/** Where the cached build lives: <cache>/temporal-cli/<version>/temporal. */
export function cachedTemporalCliPath(): string {
  return path.join(toolsCacheDir(), 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal');
}

export async function ensureTemporalCli(opts?: ToolOptions): Promise<string> {
  const log = resolveLog(opts);

  // (a) An explicit path wins, and a wrong one is an error rather than a silent fallback.
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv && fromEnv.trim() !== '') {
    const envPath = path.resolve(fromEnv);
    if (!isExecutableFile(envPath)) {
      throw new Error(`TEMPORAL_CLI_PATH is set to ${envPath}, but that is not an executable file.`);
    }
    log(`temporal CLI: using TEMPORAL_CLI_PATH ${envPath}`);
    return envPath;
  }

  // (b) One the developer installed.
  const onPath = findOnPath('temporal');
  if (onPath) {
    log(`temporal CLI: using ${onPath} from PATH`);
    return onPath;
  }

  // (c) Our cached build.
  const cachedPath = cachedTemporalCliPath();
  if (isExecutableFile(cachedPath)) {
    log(`temporal CLI: cached ${cachedPath}`);
    return cachedPath;
  }

  const attempts: string[] = [];

  // (d) Build it with Go.
  const goPath = findOnPath('go');
  if (goPath) {
    try {
      return await buildWithGo(goPath, cachedPath, opts);
    } catch (error) {
      attempts.push(`go install ${TEMPORAL_CLI_PACKAGE}@${TEMPORAL_CLI_VERSION} failed: ${errorMessage(error)}`);
      log(`temporal CLI: go build failed, trying the SDK's own download next`);
    }
  } else {
    attempts.push('`go` is not on PATH, so the CLI could not be built from source');
  }

  // (e) The SDK's own download (works only where its download host is reachable).
  try {
    return await downloadWithSdk(opts);
  } catch (error) {
    attempts.push(`the SDK's cached-download failed: ${errorMessage(error)}`);
  }

  throw new Error(
    [
      'Could not obtain the Temporal CLI. Tried:',
      ...attempts.map((attempt) => `  - ${attempt}`),
      `Fix: install Go (then this builds ${TEMPORAL_CLI_PACKAGE}@${TEMPORAL_CLI_VERSION} once and caches it),`,
      '     or set TEMPORAL_CLI_PATH to an existing `temporal` executable.',
    ].join('\n'),
  );
}

async function buildWithGo(goPath: string, cachedPath: string, opts?: ToolOptions): Promise<string> {
  const log = resolveLog(opts);
  const versionDir = path.dirname(cachedPath);
  const buildDir = makeBuildDir(path.dirname(versionDir), TEMPORAL_CLI_VERSION);
  const startMs = Date.now();
  log(
    `temporal CLI: building ${TEMPORAL_CLI_PACKAGE} ${TEMPORAL_CLI_VERSION} with go install ` +
      `(first time only, ~6 min on 2 cores)...`,
  );
  try {
    // Same version stamp as the release builds, so `temporal --version` does not say 0.0.0-DEV.
    const ldflags = `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION.replace(/^v/, '')}`;
    const args = ['install', `-ldflags=${ldflags}`, `${TEMPORAL_CLI_PACKAGE}@${TEMPORAL_CLI_VERSION}`];
    // go install prints nothing while compiling, hence the periodic progress line.
    await withProgress(log, 'building temporal CLI', () =>
      runStreaming(goPath, args, {
        // Run outside any module so a go.mod nearby cannot interfere with `pkg@version`.
        cwd: buildDir,
        env: { ...process.env, GOBIN: buildDir },
        log,
        linePrefix: 'temporal CLI: ',
        quiet: /^go: downloading /,
      }),
    );
    const builtPath = path.join(buildDir, 'temporal');
    if (!isExecutableFile(builtPath)) {
      throw new Error(`go install finished but ${builtPath} is missing`);
    }
    // Check the binary runs before it becomes the cached copy.
    const version = await runCapture(builtPath, ['--version']);
    installAtomically(buildDir, versionDir);
    log(`temporal CLI ready in ${secondsSince(startMs)}: ${cachedPath} (${version})`);
    return cachedPath;
  } finally {
    // After a successful rename the build dir no longer exists; after a failure this cleans it up.
    removeDir(buildDir);
  }
}

async function downloadWithSdk(opts?: ToolOptions): Promise<string> {
  const log = resolveLog(opts);
  // Its own folder, so the search below cannot pick up the test server's download.
  const downloadDir = path.join(toolsCacheDir(), 'sdk-download', 'temporal-cli');
  fs.mkdirSync(downloadDir, { recursive: true });
  const startMs = Date.now();
  log(`temporal CLI: trying the SDK's own download into ${downloadDir}...`);
  // Loaded lazily: the normal paths above must not pay for the SDK's native module.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir } },
  });
  await env.teardown();
  const downloaded = findNewestExecutable(downloadDir, 'temporal-cli') ?? findNewestExecutable(downloadDir, 'temporal');
  if (!downloaded) {
    throw new Error(`the SDK started a dev server but no temporal executable was found in ${downloadDir}`);
  }
  log(`temporal CLI ready in ${secondsSince(startMs)} (SDK download): ${downloaded}`);
  return downloaded;
}

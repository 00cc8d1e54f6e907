// Obtains the Temporal time-skipping test server as an executable the SDK can start with
// `{ type: 'existing-path', path }`. The SDK's own download cannot reach its host from our machines,
// so we fetch the Java test server's jars from Maven Central and write a small `exec java` wrapper.
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
  runStreaming,
  secondsSince,
  toolsCacheDir,
} from './tool-cache';

/** Pinned test server release; the jar set for it resolves from Maven Central. */
export const TEST_SERVER_VERSION = '1.31.0';
export const TEST_SERVER_GROUP_ID = 'io.temporal';
export const TEST_SERVER_ARTIFACT_ID = 'temporal-test-server';
export const TEST_SERVER_MAIN_CLASS = 'io.temporal.testserver.TestServer';

/** Name of the wrapper script inside <cache>/test-server/<version>/. */
const WRAPPER_NAME = 'test-server';

/** Where the cached wrapper lives: <cache>/test-server/<version>/test-server (jars in lib/ beside it). */
export function cachedTestServerPath(): string {
  return path.join(toolsCacheDir(), 'test-server', TEST_SERVER_VERSION, WRAPPER_NAME);
}

export async function ensureTestServer(opts?: ToolOptions): Promise<string> {
  const log = resolveLog(opts);

  // (a) An explicit path wins, and a wrong one is an error rather than a silent fallback.
  const fromEnv = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (fromEnv && fromEnv.trim() !== '') {
    const envPath = path.resolve(fromEnv);
    if (!isExecutableFile(envPath)) {
      throw new Error(`TEMPORAL_TEST_SERVER_PATH is set to ${envPath}, but that is not an executable file.`);
    }
    log(`test server: using TEMPORAL_TEST_SERVER_PATH ${envPath}`);
    return envPath;
  }

  // (b) Our cached build.
  const cachedPath = cachedTestServerPath();
  if (isCompleteInstall(cachedPath)) {
    log(`test server: cached ${cachedPath}`);
    return cachedPath;
  }

  const attempts: string[] = [];

  // (c) Fetch the jars with Maven and write the wrapper.
  const mvnPath = findOnPath('mvn');
  const javaPath = findJava();
  if (mvnPath && javaPath) {
    try {
      return await buildWithMaven(mvnPath, cachedPath, opts);
    } catch (error) {
      attempts.push(`mvn dependency:copy-dependencies for ${mavenCoordinates()} failed: ${errorMessage(error)}`);
      log(`test server: maven fetch failed, trying the SDK's own download next`);
    }
  } else {
    const missing = [mvnPath ? undefined : '`mvn`', javaPath ? undefined : '`java` (JAVA_HOME/bin/java or PATH)'];
    attempts.push(`${missing.filter(Boolean).join(' and ')} not found, so the Java test server could not be fetched`);
  }

  // (d) The SDK's own download (works only where its download host is reachable).
  try {
    return await downloadWithSdk(opts);
  } catch (error) {
    attempts.push(`the SDK's cached-download failed: ${errorMessage(error)}`);
  }

  throw new Error(
    [
      'Could not obtain the Temporal time-skipping test server. Tried:',
      ...attempts.map((attempt) => `  - ${attempt}`),
      `Fix: install Maven and a JDK (17+) (then this fetches ${mavenCoordinates()} once and caches it),`,
      '     or set TEMPORAL_TEST_SERVER_PATH to an existing test server executable.',
    ].join('\n'),
  );
}

function mavenCoordinates(): string {
  return `${TEST_SERVER_GROUP_ID}:${TEST_SERVER_ARTIFACT_ID}:${TEST_SERVER_VERSION}`;
}

/** The java the wrapper will use: JAVA_HOME's if set, else the one on PATH. */
function findJava(): string | undefined {
  const javaHome = process.env.JAVA_HOME;
  if (javaHome && javaHome.trim() !== '') {
    const fromJavaHome = path.join(javaHome, 'bin', 'java');
    return isExecutableFile(fromJavaHome) ? fromJavaHome : undefined;
  }
  return findOnPath('java');
}

/** The wrapper and at least the test server's own jar must be there. */
function isCompleteInstall(wrapperPath: string): boolean {
  if (!isExecutableFile(wrapperPath)) return false;
  const libDir = path.join(path.dirname(wrapperPath), 'lib');
  try {
    return fs.readdirSync(libDir).some((name) => name.startsWith(`${TEST_SERVER_ARTIFACT_ID}-`) && name.endsWith('.jar'));
  } catch {
    return false;
  }
}

/** A pom whose only purpose is to let `dependency:copy-dependencies` pull the test server and its runtime jars. */
function minimalPom(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.tools</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>${TEST_SERVER_GROUP_ID}</groupId>
      <artifactId>${TEST_SERVER_ARTIFACT_ID}</artifactId>
      <version>${TEST_SERVER_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;
}

/**
 * The SDK runs `<wrapper> <port>`, waits only 5 s for the port, and stops it with SIGKILL,
 * so the shell must `exec` java: a forked java would outlive the kill.
 * The jar folder is found from the script's own location, which survives the atomic rename.
 */
function wrapperScript(): string {
  return `#!/bin/sh
# Temporal time-skipping test server ${TEST_SERVER_VERSION} (${mavenCoordinates()}), started as: test-server <port>
# exec replaces this shell with java, so the SDK's SIGKILL stops the server itself.
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "$JAVA_HOME" ]; then java="$JAVA_HOME/bin/java"; else java=java; fi
# Serial GC and C1-only JIT: a short-lived test server starts faster and uses less memory.
exec "$java" -Xshare:auto -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$here/lib/*" ${TEST_SERVER_MAIN_CLASS} "$@"
`;
}

async function buildWithMaven(mvnPath: string, cachedPath: string, opts?: ToolOptions): Promise<string> {
  const log = resolveLog(opts);
  const versionDir = path.dirname(cachedPath);
  const buildDir = makeBuildDir(path.dirname(versionDir), TEST_SERVER_VERSION);
  const startMs = Date.now();
  log(`test server: fetching ${mavenCoordinates()} and its jars with mvn (first time only, ~1 min)...`);
  try {
    fs.writeFileSync(path.join(buildDir, 'pom.xml'), minimalPom());
    await runStreaming(mvnPath, ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=lib'], {
      cwd: buildDir,
      log,
      linePrefix: 'test server: mvn: ',
    });
    const wrapperPath = path.join(buildDir, WRAPPER_NAME);
    fs.writeFileSync(wrapperPath, wrapperScript(), { mode: 0o755 });
    if (!isCompleteInstall(wrapperPath)) {
      throw new Error(`mvn finished but ${path.join(buildDir, 'lib')} has no ${TEST_SERVER_ARTIFACT_ID} jar`);
    }
    const jarCount = fs.readdirSync(path.join(buildDir, 'lib')).filter((name) => name.endsWith('.jar')).length;
    installAtomically(buildDir, versionDir);
    log(`test server ready in ${secondsSince(startMs)}: ${cachedPath} (${jarCount} jars)`);
    return cachedPath;
  } finally {
    // After a successful rename the build dir no longer exists; after a failure this cleans it up.
    removeDir(buildDir);
  }
}

async function downloadWithSdk(opts?: ToolOptions): Promise<string> {
  const log = resolveLog(opts);
  // Its own folder, so the search below cannot pick up the CLI's download.
  const downloadDir = path.join(toolsCacheDir(), 'sdk-download', 'test-server');
  fs.mkdirSync(downloadDir, { recursive: true });
  const startMs = Date.now();
  log(`test server: trying the SDK's own download into ${downloadDir}...`);
  // Loaded lazily: the normal paths above must not pay for the SDK's native module.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'cached-download', downloadDir } },
  });
  await env.teardown();
  const downloaded = findNewestExecutable(downloadDir, 'temporal-test-server') ?? findNewestExecutable(downloadDir, 'temporal');
  if (!downloaded) {
    throw new Error(`the SDK started a test server but no executable was found in ${downloadDir}`);
  }
  log(`test server ready in ${secondsSince(startMs)} (SDK download): ${downloaded}`);
  return downloaded;
}

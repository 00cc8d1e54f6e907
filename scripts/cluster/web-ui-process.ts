import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnLogged, type LoggedProcess } from './logged-process';

/**
 * The Temporal Web UI's own server (github.com/temporalio/ui-server, its assets embedded), pointed at the
 * cluster's frontend, with Beckon's codec endpoint so operators read decrypted payloads; the API answers
 * the codec only for this UI's origin (CODEC_UI_ORIGIN) and an operator logged in at its /codec/login.
 */
export async function startWebUi(options: {
  uiServerPath: string;
  dir: string;
  port: number;
  temporalAddress: string;
  namespace: string;
  codecEndpoint: string;
  log: (line: string) => void;
}): Promise<{ url: string; process: LoggedProcess }> {
  const configDir = join(options.dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const config = `# Written by scripts/cluster (web-ui-process.ts), from the ui-server module's config/development.yaml.
temporalGrpcAddress: ${options.temporalAddress}
host: 127.0.0.1
port: ${options.port}
enableUi: true
defaultNamespace: ${options.namespace}
notifyOnNewVersion: false
cors:
  cookieInsecure: true
  allowOrigins:
    - http://127.0.0.1:${options.port}
codec:
  endpoint: ${options.codecEndpoint}
  passAccessToken: false
  # Sends the cookie the API's /codec/login sets: the codec answers only an operator.
  includeCredentials: true
`;
  writeFileSync(join(configDir, 'base.yaml'), config);
  writeFileSync(join(configDir, 'beckon.yaml'), config);
  const child = spawnLogged(options.uiServerPath, ['-r', options.dir, '-c', 'config', '-e', 'beckon', 'start'], { name: 'web-ui', cwd: options.dir, log: options.log });
  const url = `http://127.0.0.1:${options.port}`;
  for (let attempt = 0; attempt < 120; attempt += 1) {
    const ok = await fetch(`${url}/api/v1/settings`).then((response) => response.ok, () => false);
    if (ok) return { url, process: child };
    if (child.child.exitCode !== null) break;
    await new Promise((done) => setTimeout(done, 500));
  }
  await child.stop();
  throw new Error(`the Web UI server did not answer on ${url}; its last lines:\n${child.tail()}`);
}

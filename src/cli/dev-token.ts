import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Where `npm start` keeps its dev admin token: DATA_DIR/admin.token, DATA_DIR relative to where the CLI runs. */
export function devTokenFile(env: NodeJS.ProcessEnv): string {
  return resolve(env.DATA_DIR?.trim() || '.data', 'admin.token');
}

/** The dev admin token `npm start` wrote, when the file is there and not empty. */
export function readDevToken(env: NodeJS.ProcessEnv): { token: string; file: string } | undefined {
  const file = devTokenFile(env);
  if (!existsSync(file)) return undefined;
  const token = readFileSync(file, 'utf8').trim();
  return token ? { token, file } : undefined;
}

import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const bin = resolve(__dirname, '..', '..', 'bin', 'beckon');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the `beckon` CLI as a user would, against the API at `url` with `token`; never through the test's database. */
export function runBeckonCli(url: string, token: string, args: string[]): Promise<CliRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, BECKON_URL: url, BECKON_TOKEN: token };
  delete childEnv.DATABASE_URL;
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { env: childEnv, timeout: 120_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { createAdminTokenRepository } from '../../db/admin-token-repository';

/** `npm start`'s admin token: kept under DATA_DIR and reused while it is valid, so scripts keep working across restarts. */
export async function devAdminToken(pool: Pool, dataDir: string): Promise<string> {
  const tokens = createAdminTokenRepository(pool);
  const file = join(dataDir, 'admin.token');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (await tokens.verify(kept)) return kept;
  }
  const created = await tokens.create('dev (npm start)', ['admin']);
  writeFileSync(file, created.token, { mode: 0o600 });
  return created.token;
}

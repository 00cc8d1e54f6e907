import { hkdfSync } from 'node:crypto';
import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Pool } from 'pg';
import type { Config } from '../config';
import { startDataKeyFeed, type DataKeyFeed } from '../db/data-key-feed';
import { createDataKeyRepository, type DataKeyRepository } from '../db/data-key-repository';
import { createMasterKeyRing, keyIdOf, newWrappedKey, open, seal, unwrapKey, type MasterKeyRing } from '../privacy/key-envelope';

/** Metadata encoding of an encrypted payload; anything else passes through untouched. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** A payload's `encryption-key-id` of a user's data key starts with this; the deployment key's id has none. */
const USER_KEY_PREFIX = 'user/';
/** How many destroyed key ids a codec remembers, to refuse a look-up that raced their destruction. */
const DESTROYED_REMEMBERED = 10_000;
/** The longest a cached key outlives its destruction elsewhere when no notification arrives. */
export const KEY_CACHE_TTL_MS = 60_000;

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** A key for payloads only, derived from the pseudonym key so deployments need no second secret. */
export function derivePayloadKey(pseudonymKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', pseudonymKey, Buffer.alloc(0), 'beckon payload codec v1', 32));
}

/**
 * The pseudonym whose workflow a payload belongs to, from the workflow ID the SDK hands the codec:
 * `user:<pseudonym>` (known users and visitors) and `journey:<campaign>:<pseudonym>:<entry>`.
 * Any other workflow (an erasure's) is outside every user's context.
 */
export function pseudonymOfWorkflow(workflowId: string | undefined): string | undefined {
  if (!workflowId) return undefined;
  return /^user:([A-Za-z0-9_-]+)$/.exec(workflowId)?.[1] ?? /^journey:[a-z0-9][a-z0-9_-]*:([A-Za-z0-9_-]+):\d+$/.exec(workflowId)?.[1];
}

/** Counts of the codec's key look-ups (for the benchmark): `hits` were answered from the cache. */
export interface KeyLookupStats {
  hits: number;
  misses: number;
}

interface CachedKey {
  keyId: string;
  pseudonym: string;
  key: Buffer;
  at: number;
}

/** A bounded LRU of unwrapped keys; an entry lives at most `ttlMs`, so a key destroyed elsewhere stops working here soon after. */
class KeyCache {
  private readonly entries = new Map<string, CachedKey>();
  constructor(private readonly max: number, private readonly ttlMs: number) {}

  get(name: string): CachedKey | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    this.entries.delete(name);
    if (Date.now() - entry.at > this.ttlMs) return undefined;
    this.entries.set(name, entry);
    return entry;
  }

  set(name: string, entry: CachedKey): void {
    this.entries.delete(name);
    this.entries.set(name, entry);
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Drops every entry of these key ids (cached by pseudonym and by key id). */
  forget(keyIds: ReadonlySet<string>): void {
    for (const [name, entry] of this.entries) if (keyIds.has(entry.keyId)) this.entries.delete(name);
  }

  clear(): void {
    this.entries.clear();
  }
}

export interface UserKeys {
  repository: DataKeyRepository;
  ring: MasterKeyRing;
}

/**
 * Encrypts every payload Beckon hands to Temporal with AES-256-GCM: a user's workflow and
 * activity payloads (the SDK passes the workflow ID as the SerializationContext) with that user's
 * own data key, so destroying the key makes what Temporal still holds of them unreadable; payloads
 * outside any user's context with the deployment key. Each payload names its key in
 * `encryption-key-id`, so decoding needs no context (the Web UI's codec endpoint has none).
 * Payloads written without the codec still decode, so histories from before it stay readable.
 */
export class EncryptionCodec implements PayloadCodec {
  readonly keyId: string;
  readonly stats: KeyLookupStats = { hits: 0, misses: 0 };
  private readonly cache: KeyCache;
  private readonly loading = new Map<string, Promise<CachedKey>>();
  /** Ids of keys this process heard were destroyed, newest last (ids are random, never reused). */
  private readonly destroyed = new Set<string>();

  constructor(
    private readonly key: Buffer,
    private readonly userKeys?: UserKeys,
    cache: { max?: number; ttlMs?: number } = {},
  ) {
    if (key.length !== 32) throw new Error('the payload key must be 32 bytes');
    this.keyId = keyIdOf(key);
    this.cache = new KeyCache(cache.max ?? 10_000, cache.ttlMs ?? KEY_CACHE_TTL_MS);
  }

  /** Whether payloads in a user's context get that user's key (else everything gets the deployment key). */
  get usesUserKeys(): boolean {
    return this.userKeys !== undefined;
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    const pseudonym = this.userKeys ? pseudonymOfWorkflow(context?.workflowId) : undefined;
    const { keyId, key } = pseudonym ? await this.cached(`p:${pseudonym}`, () => this.userKeyOf(pseudonym)) : { keyId: this.keyId, key: this.key };
    return payloads.map((payload) => {
      const sealed = seal(key, temporal.api.common.v1.Payload.encode(payload).finish());
      return { metadata: { encoding: utf8(ENCRYPTED_ENCODING), 'encryption-key-id': utf8(keyId) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
        const keyId = text(payload.metadata?.['encryption-key-id']) ?? '';
        const key = keyId === this.keyId ? this.key : await this.keyById(keyId);
        const plain = open(key, Buffer.from(payload.data ?? new Uint8Array()));
        return temporal.api.common.v1.Payload.decode(plain);
      }),
    );
  }

  /** Forgets the users' destroyed keys at once in this process (the erasure's own worker, before any notification). */
  forgetUsers(pseudonyms: readonly string[]): void {
    const keyIds = new Set<string>();
    for (const pseudonym of pseudonyms) {
      const entry = this.cache.get(`p:${pseudonym}`);
      if (entry) keyIds.add(entry.keyId);
    }
    this.cache.forget(keyIds);
  }

  /**
   * Forgets destroyed keys by their stored ids (as the destruction's notification names them), also one
   * being loaded right now: a look-up that read the row before the deletion must not cache it afterwards.
   */
  forgetKeys(storedKeyIds: readonly string[]): void {
    const keyIds = new Set(storedKeyIds.map((id) => `${USER_KEY_PREFIX}${id}`));
    for (const keyId of keyIds) {
      this.destroyed.delete(keyId);
      this.destroyed.add(keyId);
    }
    while (this.destroyed.size > DESTROYED_REMEMBERED) this.destroyed.delete(this.destroyed.values().next().value!);
    this.cache.forget(keyIds);
  }

  /** Forgets every user's key (destructions may have gone unheard); each is looked up again on its next use. */
  forgetAllUserKeys(): void {
    this.cache.clear();
  }

  private async keyById(keyId: string): Promise<Buffer> {
    if (!keyId.startsWith(USER_KEY_PREFIX)) {
      throw new Error(`payload was encrypted with key ${keyId}, not this process's ${this.keyId}: PSEUDONYM_KEY differs`);
    }
    if (!this.userKeys) throw new Error(`payload was encrypted with a user's data key (${keyId}), and this codec has no key store`);
    const { repository } = this.userKeys;
    const found = await this.cached(`k:${keyId}`, async () => {
      const id = keyId.slice(USER_KEY_PREFIX.length);
      const row = await repository.byId(id);
      if (!row) throw new Error(`data key ${keyId} was destroyed (its user was erased): the payload cannot be read`);
      return { keyId, pseudonym: row.pseudonym, key: this.unwrap(row), at: Date.now() };
    });
    return found.key;
  }

  private async userKeyOf(pseudonym: string): Promise<CachedKey> {
    const { repository, ring } = this.userKeys!;
    // Another process may win the race to make the first key: what is stored is unwrapped, not what was made here.
    const row = await repository.getOrCreate(pseudonym, (id) => newWrappedKey(ring, id, pseudonym));
    return { keyId: `${USER_KEY_PREFIX}${row.keyId}`, pseudonym: row.pseudonym, key: this.unwrap(row), at: Date.now() };
  }

  private unwrap(row: { keyId: string; pseudonym: string; wrapped: Buffer; masterKeyId: string }): Buffer {
    const { ring, repository } = this.userKeys!;
    const key = unwrapKey(ring, row.wrapped, row.masterKeyId, row.keyId, row.pseudonym);
    // Wrapped by an old master key: re-wrap under the current one, so the old key can be retired later.
    if (row.masterKeyId !== ring.current.id) {
      const rewrapped = seal(ring.current.key, key, Buffer.from(`${row.keyId}\u0000${row.pseudonym}`));
      void repository.rewrap(row.keyId, rewrapped, ring.current.id).catch(() => {});
    }
    return key;
  }

  private async cached(name: string, load: () => Promise<CachedKey>): Promise<CachedKey> {
    const hit = this.cache.get(name);
    if (hit) {
      this.stats.hits += 1;
      return hit;
    }
    this.stats.misses += 1;
    let pending = this.loading.get(name);
    if (!pending) {
      pending = load().finally(() => this.loading.delete(name));
      this.loading.set(name, pending);
    }
    const entry = await pending;
    if (this.destroyed.has(entry.keyId)) throw new Error(`data key ${entry.keyId} was destroyed (its user was erased): the payload cannot be read`);
    // Under both names: a worker encodes for a user (by pseudonym) and decodes what the API encoded (by key id).
    this.cache.set(`p:${entry.pseudonym}`, entry);
    this.cache.set(`k:${entry.keyId}`, entry);
    return entry;
  }
}

/**
 * The codec of a deployment: the deployment key from its pseudonym key and, given a pool, users'
 * data keys in Postgres wrapped by the master keys (by default one derived from the pseudonym key).
 */
export function payloadCodecFor(
  pseudonymKey: string,
  userKeys?: { pool: Pool; masterKey?: string; oldMasterKeys?: readonly string[]; cacheSize?: number; cacheTtlMs?: number },
): EncryptionCodec {
  const keys = userKeys && {
    repository: createDataKeyRepository(userKeys.pool),
    ring: createMasterKeyRing(userKeys.masterKey ?? `master:${pseudonymKey}`, userKeys.oldMasterKeys ?? []),
  };
  return new EncryptionCodec(derivePayloadKey(pseudonymKey), keys, { max: userKeys?.cacheSize, ttlMs: userKeys?.cacheTtlMs });
}

/**
 * Keeps a codec's key cache in step with erasures in every process: destroyed keys are dropped as
 * their notification arrives, and the cache's expiry (KEY_CACHE_TTL_MS) bounds it when none does.
 * Undefined for a codec without users' keys (nothing of theirs to drop).
 */
export async function followKeyDestructions(codec: PayloadCodec | undefined, pool: Pool, log?: { warn(message: string): void }): Promise<DataKeyFeed | undefined> {
  if (!(codec instanceof EncryptionCodec) || !codec.usesUserKeys) return undefined;
  return startDataKeyFeed(pool, { destroyed: (keyIds) => codec.forgetKeys(keyIds), missed: () => codec.forgetAllUserKeys() }, log);
}

/** The codec of a process, from its configuration: the same in every API replica and worker. */
export function configuredPayloadCodec(config: Config, pseudonymKey: string, pool: Pool): EncryptionCodec {
  return payloadCodecFor(pseudonymKey, {
    pool,
    ...(config.DATA_KEY_MASTER_KEY && { masterKey: config.DATA_KEY_MASTER_KEY }),
    oldMasterKeys: config.DATA_KEY_OLD_MASTER_KEYS?.split(',') ?? [],
    cacheSize: config.DATA_KEY_CACHE_SIZE,
  });
}

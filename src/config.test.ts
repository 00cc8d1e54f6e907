import { ConfigError, configTable, loadConfig, requireSetting } from './config';

describe('loadConfig', () => {
  it('fills every default from an empty environment', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.TEMPORAL_UI_PORT).toBe(8233);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.TEMPORAL_TASK_QUEUE).toBe('beckon');
  });

  it('treats an empty string as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it('names each bad variable and the reason', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', PSEUDONYM_KEY: 'short', TEMPORAL_ADDRESS: 'nohost' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const variables = (err as ConfigError).problems.map((p) => p.variable).sort();
      expect(variables).toEqual(['DATABASE_URL', 'PORT', 'PSEUDONYM_KEY', 'TEMPORAL_ADDRESS']);
      expect((err as ConfigError).message).toMatch(/DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
      expect((err as ConfigError).message).toMatch(/PSEUDONYM_KEY: must be at least 32 characters/);
    }
  });

  it('says why a setting is required', () => {
    expect(() => requireSetting(loadConfig({}), 'DATABASE_URL', 'the worker needs it')).toThrow(
      /DATABASE_URL: required: the worker needs it/,
    );
  });

  it('documents every variable', () => {
    const table = configTable();
    for (const line of table.split('\n').slice(2)) expect(line).toMatch(/^\| `[A-Z_]+` \| .+ \| .{10,} \|$/);
  });
});

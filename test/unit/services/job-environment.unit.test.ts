import { describe, expect, it } from 'vitest';
import { staticCredentials } from '../../../src/domain/credentials.js';
import type { StorageConfig } from '../../../src/domain/storage-config.js';
import { jobEnvironment } from '../../../src/services/submit.js';

const base = {
  schemaVersion: '2-0-0',
  name: 'm',
  table: 'manifest',
  region: 'eu-west-1',
  purpose: 'EVENTS_MANIFEST',
} as const;

describe('jobEnvironment (credentials for the job JVM, never its arguments)', () => {
  it('hands static keys over as the standard variables, overriding a lingering session or profile', () => {
    const storage: StorageConfig = { ...base, credentials: staticCredentials('AKIDEXAMPLE', 's3cr3t') };
    const env = jobEnvironment(
      { AWS_PROFILE: 'prod', AWS_SESSION_TOKEN: 'tok' },
      storage,
      'eu-west-1',
      undefined,
    );
    expect(env).toMatchObject({
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 's3cr3t',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
    });
  });

  it('leaves the default chain alone, passing --profile through', () => {
    const storage: StorageConfig = {
      ...base,
      credentials: { kind: 'default-chain', reason: 'auth is null' },
    };
    expect(jobEnvironment({}, storage, 'eu-west-1', 'analytics')).toEqual({
      AWS_REGION: 'eu-west-1',
      SPARK_LOCAL_IP: '127.0.0.1',
      AWS_PROFILE: 'analytics',
    });
    expect(jobEnvironment({ AWS_PROFILE: 'dev' }, storage, 'eu-west-1', undefined)).toEqual({
      AWS_REGION: 'eu-west-1',
      SPARK_LOCAL_IP: '127.0.0.1',
      AWS_PROFILE: 'dev',
    });
    expect(jobEnvironment({}, storage, 'eu-west-1', undefined)).toEqual({
      AWS_REGION: 'eu-west-1',
      SPARK_LOCAL_IP: '127.0.0.1',
    });
  });
});

import { describe, expect, it } from 'vitest';
import {
  emrApplicationArn,
  endpointProblem,
  isApplicationId,
  isRegionName,
  parseRoleArn,
  partitionOf,
} from '../../../src/domain/aws-names.js';
import { profileNames } from '../../../src/domain/aws-profiles.js';

describe('region names', () => {
  it('accepts the shapes AWS uses', () => {
    for (const r of [
      'us-east-1',
      'eu-central-2',
      'ap-southeast-5',
      'us-gov-west-1',
      'cn-northwest-1',
      'il-central-1',
      'mx-central-1',
      'us-isob-east-1',
    ])
      expect(isRegionName(r), r).toBe(true);
  });
  it('refuses anything else', () => {
    for (const r of ['not a region', 'us-east', 'US-EAST-1', 'useast1', 'us-east-1a', ''])
      expect(isRegionName(r), r).toBe(false);
  });
  it('knows the partition', () => {
    expect(partitionOf('cn-north-1')).toBe('aws-cn');
    expect(partitionOf('us-gov-east-1')).toBe('aws-us-gov');
    expect(partitionOf('eu-west-1')).toBe('aws');
  });
});

describe('endpointProblem', () => {
  it('wants http(s)://host[:port]', () => {
    expect(endpointProblem('http://127.0.0.1:8000')).toBeNull();
    expect(endpointProblem('https://dynamodb.eu-west-1.amazonaws.com')).toBeNull();
    expect(endpointProblem('127.0.0.1:8000')).toBe('has no http:// or https:// scheme');
    expect(endpointProblem('localhost:8000')).toBe('has no http:// or https:// scheme');
    expect(endpointProblem('ftp://host')).toContain('ftp://');
    expect(endpointProblem('http://user:pw@host')).toContain('password');
  });
});

describe('role ARNs and application ids', () => {
  it('parses role ARNs with and without a path', () => {
    expect(parseRoleArn('arn:aws:iam::123456789012:role/populator-job')).toMatchObject({
      account: '123456789012',
      name: 'populator-job',
      path: '/',
    });
    expect(parseRoleArn('arn:aws:iam::123456789012:role/service/emr/job')).toMatchObject({
      name: 'job',
      path: '/service/emr/',
    });
    for (const bad of [
      'populator-job',
      'arn:aws:iam::123456789012:user/me',
      'arn:aws:iam::1234:role/x',
      'arn:aws:iam::123456789012:rolex',
    ])
      expect(parseRoleArn(bad), bad).toBeNull();
  });
  it('knows application ids and their ARN', () => {
    expect(isApplicationId('00fabcdef1234567')).toBe(true);
    expect(isApplicationId('My-App')).toBe(false);
    expect(emrApplicationArn('aws', 'us-east-1', '123456789012', 'abc')).toBe(
      'arn:aws:emr-serverless:us-east-1:123456789012:/applications/abc',
    );
  });
});

describe('profileNames', () => {
  it('reads profile sections of the credentials and config files', () => {
    expect(profileNames('[default]\nk=v\n[analytics]\n', 'credentials')).toEqual(['default', 'analytics']);
    expect(
      profileNames('[default]\n[profile dev]\n[sso-session corp]\n[ profile  ops ]\n', 'config'),
    ).toEqual(['default', 'dev', 'ops']);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_DESCRIPTIONS, EXIT_CODES } from '../../src/domain/errors.js';
import { JOB_ARGS, JOB_MAIN_CLASS } from '../../src/domain/contract.js';

const readme = readFileSync('README.md', 'utf8');

describe('README', () => {
  it('documents every exit code with its description', () => {
    for (const [name, code] of Object.entries(EXIT_CODES)) {
      const description = EXIT_CODE_DESCRIPTIONS[name as keyof typeof EXIT_CODES];
      const row = new RegExp(`^\\|\\s*${code}\\s*\\|\\s*(.*?)\\s*\\|$`, 'm').exec(readme);
      expect(row?.[1], `exit code ${code} in the README`).toBe(description);
    }
  });

  it('shows the two commands for a fresh machine', () => {
    expect(readme).toContain('npm install');
    expect(readme).toContain('npm run demo');
    expect(readme).toContain('npm test');
  });

  it("documents the job's main class and every argument", () => {
    expect(readme).toContain(JOB_MAIN_CLASS);
    for (const arg of Object.values(JOB_ARGS)) expect(readme).toContain(`\`${arg} `);
  });
});

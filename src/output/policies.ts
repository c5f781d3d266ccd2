/** Pure renderer for `iam-policy`: the three documents and the `aws iam` commands that apply them. */
import { POLICY_FILES, type PolicyDocumentName } from '../domain/iam-policy.js';
import type { IamPolicyResult } from '../services/iam-policy.js';

/** A word as a POSIX shell reads it back: as it is when it is plain, else in single quotes. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The aws CLI commands that create the role and attach the policies, reading the files of --output-dir. */
export function awsIamCommands(r: IamPolicyResult, dir: string): string[] {
  // Quoted for the shell: a folder such as "my policies" would otherwise split into two words.
  const file = (name: PolicyDocumentName) =>
    shellQuote(`file://${dir.replace(/\/$/, '')}/${POLICY_FILES[name]}`);
  return [
    `aws iam create-role --role-name ${r.roleName} --assume-role-policy-document ${file('trust')}`,
    `aws iam put-role-policy --role-name ${r.roleName} --policy-name populator-job --policy-document ${file('execution-role')}`,
    `aws iam create-policy --policy-name populator-caller --policy-document ${file('caller')}`,
    '# then attach populator-caller to the user, group or role that runs populator (aws iam attach-user-policy ...)',
  ];
}

/** Everything for a person: what the policies cover, the documents, and the commands. */
export function renderPolicies(r: IamPolicyResult, dir: string, written: boolean): string {
  const lines = [
    `account ${r.account} (from ${r.accountFrom}), region ${r.region}`,
    `archive ${r.archive} (read), staging ${r.staging} (runs/ written, jars/ read), logs ${r.logUri} (written)`,
    `table ${r.table}, application ${r.applicationId === '*' ? 'any (give --application-id to name one)' : r.applicationId}, role ${r.roleArn}`,
    '',
    `Execution role: trust policy (${POLICY_FILES.trust})`,
    JSON.stringify(r.trustPolicy, null, 2),
    '',
    `Execution role: permissions (${POLICY_FILES['execution-role']})`,
    JSON.stringify(r.executionRolePolicy, null, 2),
    '',
    `Caller: validate, submit, status, logs, cancel, verify (${POLICY_FILES.caller})`,
    JSON.stringify(r.callerPolicy, null, 2),
    '',
    written
      ? `Written to ${dir}; apply them with:`
      : `With --output-dir ${dir} the three files are written; then:`,
    ...awsIamCommands(r, dir).map((c) => `  ${c}`),
  ];
  return lines.join('\n');
}

/**
 * Profile names in the AWS shared files, so that an unknown --profile is named as such (the SDK
 * only says "Could not load credentials from any providers"). Pure: the caller reads the files.
 */

/** Where the shared files are, as the AWS CLI and SDKs look for them. */
export function sharedFilePaths(
  env: NodeJS.ProcessEnv,
  home: string,
): { credentials: string; config: string } {
  return {
    credentials: env.AWS_SHARED_CREDENTIALS_FILE ?? `${home}/.aws/credentials`,
    config: env.AWS_CONFIG_FILE ?? `${home}/.aws/config`,
  };
}

/**
 * The profile names an INI file defines. In the credentials file a section is the profile's name;
 * in the config file it is `[profile NAME]`, except `[default]` (sso-session and services sections
 * are not profiles).
 */
export function profileNames(text: string, kind: 'credentials' | 'config'): string[] {
  const names: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*\[\s*([^\]]+?)\s*\]\s*(?:[#;].*)?$/.exec(line);
    if (m?.[1] === undefined) continue;
    const section = m[1];
    if (kind === 'credentials') names.push(section);
    else if (section === 'default') names.push('default');
    else {
      const p = /^profile\s+(.+)$/.exec(section);
      if (p?.[1] !== undefined) names.push(p[1].trim());
    }
  }
  return names;
}

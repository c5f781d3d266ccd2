/**
 * Finds Java and Maven for the local runner and for building the job jar, with errors that say
 * what to install. Java's version is read from the JDK's `release` file when there is one, so
 * checking the toolchain starts no JVM (`java -version` is the fallback for JDKs without it).
 */
import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseJavaMajorVersion } from '../domain/java.js';
import { UserError } from '../domain/errors.js';
import { runCommand } from './process.js';

export interface Toolchain {
  java: string;
  javaMajor: number;
  mvn: string;
  /** Environment for Maven and Java children (JAVA_HOME pointing at the Java found). */
  env: NodeJS.ProcessEnv;
}

/** Spark 3.5 runs on both; EMR 7.x runs the jar on 17. */
export const SUPPORTED_JAVA: readonly number[] = [17, 21];

export type ToolResult<T> = { ok: true; value: T } | { ok: false; error: UserError };

/** The Java found: its launcher, its major version and where that version was read. */
export interface JavaFound {
  java: string;
  major: number;
  versionFrom: 'release file' | 'java -version';
}

/** The first executable called `name` on `PATH`, or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The JDK's `release` file says `JAVA_VERSION="17.0.15"`; undefined when there is none. */
function releaseFileMajor(javaLauncher: string): number | undefined {
  let home: string;
  try {
    // Debian's /usr/bin/java is a chain of symlinks into the JDK: the release file sits beside bin/.
    home = path.dirname(path.dirname(realpathSync(javaLauncher)));
  } catch {
    return undefined;
  }
  try {
    const m = /^JAVA_VERSION="([^"]+)"/m.exec(readFileSync(path.join(home, 'release'), 'utf8'));
    return m?.[1] === undefined ? undefined : parseJavaMajorVersion(`version "${m[1]}"`);
  } catch {
    return undefined;
  }
}

const INSTALL_JAVA =
  'Install a Java 17 (or 21) JDK (e.g. `apt-get install openjdk-17-jdk` or Temurin 17) and put it on PATH or set JAVA_HOME.';

/** Locates `java` (JAVA_HOME first, then PATH) and checks it is a Java Spark 3.5 and the jar run on. */
export async function locateJava(env: NodeJS.ProcessEnv): Promise<ToolResult<JavaFound>> {
  const javaHome = env.JAVA_HOME;
  const java = javaHome ? path.join(javaHome, 'bin', 'java') : findOnPath('java', env);
  const notFound = (): ToolResult<JavaFound> => ({
    ok: false,
    error: new UserError(`Java was not found (${javaHome ? `JAVA_HOME=${javaHome}` : 'no java on PATH'}).`, {
      code: 'JAVA_NOT_FOUND',
      hint: INSTALL_JAVA,
    }),
  });
  if (java === undefined) return notFound();
  let major = releaseFileMajor(java);
  let versionFrom: JavaFound['versionFrom'] = 'release file';
  if (major === undefined) {
    try {
      const r = await runCommand(java, ['-version'], { env });
      major = parseJavaMajorVersion(r.stderr + r.stdout);
      versionFrom = 'java -version';
    } catch {
      return notFound();
    }
  }
  if (major === undefined || !SUPPORTED_JAVA.includes(major)) {
    return {
      ok: false,
      error: new UserError(
        `The local runner and the jar build need Java 17 or 21 (Spark 3.5; EMR 7.x runs 17), but ${java} is Java ${major ?? '?'}.`,
        { code: 'JAVA_VERSION', hint: 'Install a Java 17 JDK and set JAVA_HOME to it.' },
      ),
    };
  }
  return { ok: true, value: { java, major, versionFrom } };
}

/** Locates `mvn` on PATH without starting it (Maven's own start-up is a JVM's). */
export function locateMaven(env: NodeJS.ProcessEnv): ToolResult<string> {
  const mvn = findOnPath('mvn', env);
  if (mvn !== undefined) return { ok: true, value: mvn };
  return {
    ok: false,
    error: new UserError(
      'Maven was not found on PATH; it builds the Spark job and resolves the Spark classpath.',
      {
        code: 'MAVEN_NOT_FOUND',
        hint: 'Install Apache Maven 3.8+ (e.g. `apt-get install maven`) and put `mvn` on PATH, or pass --jar with a built jar.',
      },
    ),
  };
}

/** Locates Java (and Maven when needed), throwing the `UserError` of the first that is missing. */
export async function findToolchain(
  env: NodeJS.ProcessEnv,
  opts: { needMaven: boolean },
): Promise<Toolchain> {
  const java = await locateJava(env);
  if (!java.ok) throw java.error;
  let mvn = 'mvn';
  if (opts.needMaven) {
    const maven = locateMaven(env);
    if (!maven.ok) throw maven.error;
    mvn = maven.value;
  }
  return toolchainOf(java.value, mvn, env);
}

/** The toolchain for Maven and Java children, which inherit the caller's environment (JAVA_HOME included). */
export function toolchainOf(java: JavaFound, mvn: string, env: NodeJS.ProcessEnv): Toolchain {
  return { java: java.java, javaMajor: java.major, mvn, env: { ...env } };
}

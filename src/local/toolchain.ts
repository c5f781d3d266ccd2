/** Finds Java 17 and Maven for the local runner, with errors that say what to install. */
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

const SUPPORTED_JAVA = [17];

/** Locates `java` (JAVA_HOME first, then PATH) and `mvn`, and checks the Java version Spark 3.5 + our jar need. */
export async function findToolchain(
  env: NodeJS.ProcessEnv,
  opts: { needMaven: boolean },
): Promise<Toolchain> {
  const javaHome = env.JAVA_HOME;
  const java = javaHome ? path.join(javaHome, 'bin', 'java') : 'java';
  let versionText: string;
  try {
    const r = await runCommand(java, ['-version'], { env });
    versionText = r.stderr + r.stdout;
  } catch {
    throw new UserError(`Java was not found (${javaHome ? `JAVA_HOME=${javaHome}` : 'no java on PATH'}).`, {
      code: 'JAVA_NOT_FOUND',
      hint: 'Install a Java 17 JDK (e.g. `apt-get install openjdk-17-jdk` or Temurin 17) and put it on PATH or set JAVA_HOME.',
    });
  }
  const major = parseJavaMajorVersion(versionText);
  if (major === undefined || !SUPPORTED_JAVA.includes(major)) {
    throw new UserError(
      `The local runner needs Java 17 (Spark 3.5 / EMR 7.x), but ${java} is Java ${major ?? '?'}.`,
      {
        code: 'JAVA_VERSION',
        hint: 'Install a Java 17 JDK and set JAVA_HOME to it.',
      },
    );
  }
  const childEnv: NodeJS.ProcessEnv = { ...env };
  if (javaHome) childEnv.JAVA_HOME = javaHome;
  const mvn = 'mvn';
  if (opts.needMaven) {
    try {
      await runCommand(mvn, ['-v'], { env: childEnv });
    } catch {
      throw new UserError(
        'Maven was not found on PATH; it builds the Spark job and resolves the Spark classpath.',
        {
          code: 'MAVEN_NOT_FOUND',
          hint: 'Install Apache Maven 3.8+ (e.g. `apt-get install maven`) and put `mvn` on PATH.',
        },
      );
    }
  }
  return { java, javaMajor: major, mvn, env: childEnv };
}

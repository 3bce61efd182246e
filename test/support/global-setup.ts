import 'vitest';
import type { TestProject } from 'vitest/node';
import { ensureTools, TOOLS } from '../../local/prerequisites.ts';
import { compileJavaProbe } from './java.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Class path of the compiled KeystoreProbe. */
    javaClasses: string;
  }
}

/** Checks (or installs) the real tools the suites judge with; fails the run with the reason if it cannot. */
export default async function setup(project: TestProject): Promise<void> {
  await ensureTools([TOOLS.java, TOOLS.javac, TOOLS.keytool, TOOLS.openssl], (line) =>
    console.log(`[setup] ${line}`),
  );
  project.provide('javaClasses', await compileJavaProbe());
}

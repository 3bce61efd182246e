import 'vitest';
import type { TestProject } from 'vitest/node';
import { buildAll } from '../../build/build.ts';
import { ensureTools, TOOLS } from '../../local/prerequisites.ts';
import { compileJavaProbe } from './java.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Class path of the compiled KeystoreProbe. */
    javaClasses: string;
  }
}

/**
 * Builds dist/ from the sources under test (the e2e suites run the built CLI, as users do; no
 * declarations, which only the package needs), and checks (or installs) the real tools the suites
 * judge with; fails the run with the reason if it cannot.
 */
export default async function setup(project: TestProject): Promise<void> {
  const started = performance.now();
  await buildAll({ declarations: false, clean: false });
  console.log(`[setup] built dist/ in ${Math.round(performance.now() - started)} ms`);
  await ensureTools([TOOLS.java, TOOLS.javac, TOOLS.keytool, TOOLS.openssl], (line) =>
    console.log(`[setup] ${line}`),
  );
  project.provide('javaClasses', await compileJavaProbe());
}

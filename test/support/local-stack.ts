/**
 * Gives a test file its own embedded stack: started before its tests on free ports, stopped after
 * them. Suites that can share one stack use distinct `prefix`es for isolated resource names.
 */
import { afterAll, beforeAll } from 'vitest';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.ts';

/** Starts a stack in beforeAll and stops it in afterAll; call the returned function inside tests. */
export function useLocalStack(options: LocalStackOptions = {}): () => LocalStack {
  let stack: LocalStack | undefined;
  beforeAll(async () => {
    stack = await startLocalStack(options);
  });
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('the local stack did not start (see the beforeAll error)');
    return stack;
  };
}

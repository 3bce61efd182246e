/**
 * zod as every schema of ours uses it (`import * as z from './zod.ts'`): `zod/mini`, with English
 * messages. The classic API gives every schema object its own copy of each method (a closure apiece)
 * and cannot be tree-shaken; mini's schemas are plain objects with checks as functions, and a bundle
 * holds only the functions it calls (docs/design/2026-11-28-agent.md, "Memory of the idle agent").
 * Mini ships no messages until told which: English, set here, before any schema parses, with a
 * plainer one for a missing field.
 */
import { config, locales } from 'zod/mini';

config(locales.en());
// A field left out is the commonest mistake in a hand-written file: say so plainly, rather than
// "Invalid input: expected array, received undefined".
config({
  customError: (issue) =>
    issue.code === 'invalid_type' && issue.input === undefined ? `required (${issue.expected})` : undefined,
});

export * from 'zod/mini';

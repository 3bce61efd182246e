import { Command } from 'commander';
import type { CliIo } from '../io.ts';
import type { RolloutAction, RolloutFlags } from './rollout-runner.ts';

const ENVIRONMENT =
  '\nReads the table named by ACME_HA_TABLE with the standard AWS SDK settings (`acme-ha local up` prints them).';

/** `acme-ha rollout status|pause|resume CERT`; the runner loads the AWS SDK only when one runs. */
export function rolloutCommand(io: CliIo): Command {
  const rollout = new Command('rollout').description(
    "steer the rollout of a certificate's current revision: show it, pause it, resume it (a halted one too)",
  );
  const action = (name: RolloutAction, description: string, help: string) =>
    rollout
      .command(`${name} <certificate>`)
      .description(description)
      .option(
        '--config <file>',
        'certificate configuration (YAML): checks the id, and names the nodes to tell',
      )
      .option('--json', 'print one JSON object')
      .addHelpText('after', `${help}${ENVIRONMENT}`)
      .action(async (certificate: string, flags: RolloutFlags) =>
        (await import('./rollout-runner.ts')).rollout(name, certificate, flags, io),
      );
  action(
    'status',
    'show the rollout: state, maxParallel, slots held, canary, nodes done, pending and failed, why it halted',
    '\nStates: canary, rolling, halted, complete (every awaited node serves the revision), not-started.',
  );
  action(
    'pause',
    'grant no new rollout slot: nodes installing now finish, nodes waiting keep waiting',
    '\nExit code 3 when there is nothing to pause (no rollout yet, halted, complete).',
  );
  action(
    'resume',
    'continue a paused rollout, or a halted one once the failed node is fixed; never orders a certificate',
    '\nA halted rollout starts over with a canary: the first node to sync after the resume. With --config and\nACME_HA_TOPIC_ARN set, the revision is announced again so that nodes sync at once; otherwise they\ncontinue at their next reconcile.',
  );
  return rollout;
}

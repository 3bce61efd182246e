/**
 * The first SIGINT or SIGTERM. The handlers stay until dispose(), so that a second Ctrl-C cannot
 * kill the process halfway through the cleanup (and orphan Pebble).
 */
export function watchSignals(): { received: Promise<string>; dispose(): void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const received = new Promise<string>((resolve) => {
    onSignal = (signal) => resolve(signal);
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    received,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

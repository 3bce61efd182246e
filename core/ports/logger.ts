/**
 * Structured logging with fixed lifecycle messages ("lock acquired", "certificate obtained", …) and
 * fields. Implementations print one JSON object per line. Never pass keys, passwords or keystore bytes.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

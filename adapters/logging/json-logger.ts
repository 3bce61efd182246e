import type { Logger } from '../../core/ports/logger.ts';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

/**
 * One JSON object per line (journald and CloudWatch read it as is), the same shape as Powertools
 * Logger in the Lambdas: `{"level","message","timestamp","service",...fields}`.
 */
export class JsonLogger implements Logger {
  constructor(
    private readonly write: (line: string) => void,
    private readonly service: string,
    private readonly minimum: LogLevel = 'info',
    private readonly context: Record<string, unknown> = {},
  ) {}

  /** A logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): JsonLogger {
    return new JsonLogger(this.write, this.service, this.minimum, { ...this.context, ...fields });
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.log('debug', message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.log('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.log('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.log('error', message, fields);
  }

  private log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    if (LEVELS[level] < LEVELS[this.minimum]) return;
    const line = {
      level: level.toUpperCase(),
      message,
      timestamp: new Date().toISOString(),
      service: this.service,
      ...this.context,
      ...fields,
    };
    this.write(`${JSON.stringify(line)}\n`);
  }
}

// Durations (`500ms`, `10s`, `2m`) and sizes (`1MiB`, `512k`) as flags accept them. Pure.
import { UsageError } from './usage-error.js';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const DURATION_UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
/** setTimeout fires at once for anything longer (with a warning), so a huge timeout would act as none. */
const DURATION_MAX_MS = 2 ** 31 - 1;

/** `500ms`, `10s`, `1.5s`, `2m`, `1h`; a bare number is seconds. */
export function parseDuration(flag: string, value: string): number {
  const match = DURATION.exec(value.trim());
  // Rounded before the checks: `0.4ms` must not become 0, which undici reads as "no timeout".
  const ms = match ? Math.round(Number(match[1]) * DURATION_UNIT_MS[(match[2] ?? 's') as keyof typeof DURATION_UNIT_MS]) : NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > DURATION_MAX_MS) {
    throw new UsageError(`--${flag}: invalid duration "${value}" (expected e.g. 500ms, 10s, 2m; 1ms to 596h)`);
  }
  return ms;
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i;
const SIZE_UNIT: Readonly<Record<string, number>> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `1048576`, `512k`, `1MiB`, `2m`: binary units, a bare number is bytes. */
export function parseSize(flag: string, value: string): number {
  const match = SIZE.exec(value.trim());
  const unit = (match?.[2] ?? 'b').charAt(0).toLowerCase();
  const bytes = match ? Math.floor(Number(match[1]) * (SIZE_UNIT[unit] ?? NaN)) : NaN;
  if (!Number.isFinite(bytes) || bytes < 0) {
    throw new UsageError(`--${flag}: invalid size "${value}" (expected e.g. 65536, 512k, 1MiB)`);
  }
  return bytes;
}

/** A duration as a flag's default shows it: `10s`, `500ms`. */
export function durationText(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** A size as a flag's default shows it: `1MiB`, `512KiB`, `100`. */
export function sizeText(bytes: number): string {
  if (bytes > 0 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2}MiB`;
  return bytes > 0 && bytes % 1024 === 0 ? `${bytes / 1024}KiB` : String(bytes);
}

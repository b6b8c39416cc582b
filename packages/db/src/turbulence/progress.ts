/** The import's progress meter: rows and bytes done, pace and time left, reported at most every `intervalMs`. */

export interface ImportProgress {
  run_id: string;
  /** Rows written so far (instances + steps + assertions). */
  rows: number;
  bytes: number;
  totalBytes: number;
  rowsPerSec: number;
  /** Seconds left at the current pace; null until there is a pace. */
  etaSec: number | null;
}

export class ProgressMeter {
  rows = 0;
  /** Bytes of the files already read completely. */
  bytesDone = 0;
  /** How far the file being read is. */
  currentBytes: () => number = () => 0;
  private last = 0;
  private readonly started = performance.now();

  constructor(
    private readonly runId: string,
    private readonly totalBytes: number,
    private readonly onProgress: ((p: ImportProgress) => void) | undefined,
    private readonly intervalMs = 200,
  ) {}

  /** A file was read to its end. */
  fileDone(size: number): void {
    this.bytesDone += size;
    this.currentBytes = () => 0;
  }

  report(force = false): void {
    if (!this.onProgress) return;
    const now = performance.now();
    if (!force && now - this.last < this.intervalMs) return;
    this.last = now;
    const elapsed = Math.max((now - this.started) / 1000, 1e-6);
    const bytes = Math.min(this.bytesDone + this.currentBytes(), this.totalBytes);
    const bytesPerSec = bytes / elapsed;
    this.onProgress({
      run_id: this.runId,
      rows: this.rows,
      bytes,
      totalBytes: this.totalBytes,
      rowsPerSec: this.rows / elapsed,
      etaSec: bytes > 0 ? Math.max(0, (this.totalBytes - bytes) / bytesPerSec) : null,
    });
  }

  elapsedMs(): number {
    return performance.now() - this.started;
  }
}

package dev.runner.sandbox;

import io.vertx.core.buffer.Buffer;

/**
 * What the supervisor measured for one test run; CPU time and peak memory cover its whole process
 * tree ({@code sysMs}: its kernel-side part). {@code aborted}: the host cut the run short (the job was cancelled). {@code artifact}: the
 * collected file, or null when none was asked for.
 */
public record RunResult(int exitCode, int signal, long cpuMs, long sysMs, long wallMs, long memoryKb,
                        boolean timeLimit, boolean outputLimit, boolean memoryLimit, boolean aborted,
                        Buffer stdout, Buffer stderr, boolean stderrTruncated, Buffer report, Artifact artifact) {
  /** The file collected after the run; {@code status}: 0 taken, 1 missing, 2 too large, 3 not a regular file. */
  public record Artifact(int status, Buffer bytes) {
    public boolean taken() {
      return status == 0;
    }
  }
}

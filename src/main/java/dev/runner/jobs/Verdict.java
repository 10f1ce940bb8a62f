package dev.runner.jobs;

import dev.runner.sandbox.RunResult;
import java.nio.charset.StandardCharsets;

/** Per-test verdicts, in the usual judge vocabulary; JE (judge error): the job's checker program failed. */
public enum Verdict {
  OK, WA, TLE, MLE, RTE, OLE, CE, JE;

  /**
   * The verdict of a run that did not exit normally with code 0 (its output is not judged), else
   * null. {@code outOfMemoryMarker}: what the runtime prints on stderr when its own heap is full
   * (Java's OutOfMemoryError), or null.
   */
  public static Verdict ofRun(RunResult r, String outOfMemoryMarker) {
    if (r.timeLimit()) return TLE;
    if (r.memoryLimit() || (r.exitCode() != 0 && outOfMemoryMarker != null
        && r.stderr().toString(StandardCharsets.UTF_8).contains(outOfMemoryMarker))) {
      return MLE;
    }
    if (r.outputLimit()) return OLE;
    if (r.signal() != 0 || r.exitCode() != 0) return RTE;
    return null;
  }

  /** The seed's execution.status for a test with this verdict: a wrong answer still ran fine. */
  public String executionStatus() {
    return switch (this) {
      case OK, WA -> "success";
      case TLE -> "timeout";
      case MLE -> "memory_limit";
      case RTE, OLE, CE, JE -> "error";
    };
  }
}

package dev.runner.jobs;

/** Per-test verdicts, in the usual judge vocabulary; JE (judge error): the job's checker program failed. */
public enum Verdict {
  OK, WA, TLE, MLE, RTE, OLE, CE, JE;

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

package dev.runner.jobs;

import dev.runner.sandbox.RunResult;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * What one test came to. Output is already cut to what a response may carry; the flags say so.
 * {@code exitCode} is null when the program did not exit by itself (killed by a signal or a limit),
 * or did not run. {@code checkerMessage}: what a custom checker said of a visible test, else null.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TestOutcome(String id, Verdict verdict, Integer exitCode, int signal, long wallMs, long cpuMs, long sysMs,
                          long memoryKb,
                          String stdout, boolean stdoutTruncated, String stderr, boolean stderrTruncated, String error,
                          String checkerMessage) {

  /** A test that ran: its measures come from the run. */
  static TestOutcome ran(String id, Verdict verdict, RunResult r, String stdout, boolean stdoutTruncated, String stderr,
                         boolean stderrTruncated, String error, String checkerMessage) {
    boolean exited = r.signal() == 0 && !r.timeLimit() && !r.outputLimit();
    return new TestOutcome(id, verdict, exited ? r.exitCode() : null, r.signal(), r.wallMs(), r.cpuMs(), r.sysMs(), r.memoryKb(),
        stdout, stdoutTruncated, stderr, stderrTruncated, error, checkerMessage);
  }

  /**
   * A test that did not run because the code did not compile: a visible one shows the compiler's
   * message, as much as {@code budget} has left.
   */
  static TestOutcome compileError(TestCase test, String output, boolean truncated, String why, OutputBudget budget) {
    if (test.hidden()) return notRun(test.id(), Verdict.CE, "", false, why);
    String shown = budget.cut(output);
    return notRun(test.id(), Verdict.CE, shown, truncated || shown.length() < output.length(), why);
  }

  /** This outcome with its streams and checker message cut to what {@code budget} has left (in the order a run cuts them). */
  public TestOutcome within(OutputBudget budget) {
    String out = budget.cut(stdout == null ? "" : stdout), err = budget.cut(stderr == null ? "" : stderr);
    String message = checkerMessage == null ? null : budget.cut(checkerMessage);
    return new TestOutcome(id, verdict, exitCode, signal, wallMs, cpuMs, sysMs, memoryKb,
        out, stdoutTruncated || stdout != null && out.length() < stdout.length(),
        err, stderrTruncated || stderr != null && err.length() < stderr.length(), error, message);
  }

  /** A test that never ran (a compile error); {@code stderr} is the compiler's message, where shown. */
  static TestOutcome notRun(String id, Verdict verdict, String stderr, boolean stderrTruncated, String error) {
    return new TestOutcome(id, verdict, null, 0, 0, 0, 0, 0, "", false, stderr, stderrTruncated, error, null);
  }
}

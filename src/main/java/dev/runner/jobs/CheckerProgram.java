package dev.runner.jobs;

import dev.runner.lang.Language;
import dev.runner.sandbox.JobCancelledException;
import dev.runner.sandbox.RunLimits;
import dev.runner.sandbox.RunResult;
import dev.runner.sandbox.SandboxPool;
import dev.runner.sandbox.SupervisorClient;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A job's custom checker: the problem's own program, in a sandbox lease of its own (never the
 * contestant's, which never sees an expected output). It is compiled (or, for Python and
 * JavaScript, syntax-checked) once per job, then run once per test that exited normally, as testlib
 * runs checkers: {@code checker input output answer}, the three files in its /work. Exit 0 accepts,
 * 1 rejects, 2 rejects as a presentation error; any other exit, a signal, or a limit is a judge error
 * (JE): the checker, not the submission, is at fault. What it prints (testlib writes its message to
 * stderr) is the test's checker message; the caller drops it for hidden tests.
 */
final class CheckerProgram implements OutputCheck {
  private static final RunLimits LIMITS = Limits.checker();
  private static final List<String> FILES = List.of("input", "output", "answer");

  private final SandboxPool.Lease lease;
  private final SupervisorClient sv;
  private final Language lang;
  private final String code;
  private final JobRequest job;
  private boolean finished;

  CheckerProgram(SandboxPool.Lease lease, Language lang, JobRequest job, Future<Void> cancelled) {
    this.lease = lease;
    this.sv = lease.sandbox().supervisor();
    this.lang = lang;
    this.code = ((Checker.Custom) job.checker()).code();
    this.job = job;
    cancelled.onComplete(v -> {
      if (!finished) sv.abort();
    });
  }

  /**
   * The sandbox memory a checker needs beside its program of {@code programBytes}, which is held twice
   * (in /work and kept, to be restored), and a test's three files, written for its run alone.
   */
  private static long memoryBytes(JobRequest job, long programBytes) {
    return Limits.sandboxMemoryBytes(Limits.CHECKER_MEMORY_MB,
        2 * programBytes + job.largestInputBytes() + Limits.OUTPUT_BYTES + job.largestAnswerBytes());
  }

  /** The sandbox memory to lease for it: what it runs with when its source is its program (Python, JavaScript). */
  static long leaseBytes(JobRequest job) {
    return memoryBytes(job, ((Checker.Custom) job.checker()).code().getBytes(StandardCharsets.UTF_8).length);
  }

  /** The longest it may take in a job: its compile and a run per test. */
  static long deadlineMs(Language lang, JobRequest job) {
    return (lang.compiled() ? Limits.compileDeadlineMs(lang) : Limits.CHECKER_TIME_MS) + job.tests().size() * (Limits.CHECKER_TIME_MS + 1_000);
  }

  /** Compiles or syntax-checks the checker; a failure makes every test JE. */
  Future<CompileOutcome> prepare(Future<Void> cancelled) {
    if (lang.compiled()) return Compilation.compile(lease, lang, code, 0, artifact -> memoryBytes(job, artifact), cancelled);
    return Compilation.syntaxCheck(sv, lang, code.getBytes(StandardCharsets.UTF_8), LIMITS);
  }

  @Override
  public Future<Judgement> check(TestCase test, Buffer output) {
    List<String> argv = new ArrayList<>(lang.compiled() ? lang.runCompiled(code, Limits.CHECKER_MEMORY_MB) : lang.run("checker"));
    FILES.forEach(f -> argv.add("/work/" + f));
    return sv.put("input", test.input().getBytes(StandardCharsets.UTF_8), 0644, false)
        .compose(v -> sv.put("output", output.getBytes(), 0644, false))
        .compose(v -> sv.put("answer", test.expectedOutput().getBytes(StandardCharsets.UTF_8), 0644, false))
        .compose(v -> sv.run(argv, new byte[0], LIMITS, false))
        .compose(r -> r.aborted() ? Future.failedFuture(new JobCancelledException()) : Future.succeededFuture(judgement(r)));
  }

  private Judgement judgement(RunResult r) {
    String err = r.stderr().toString(StandardCharsets.UTF_8).strip();
    String message = err.isEmpty() ? r.stdout().toString(StandardCharsets.UTF_8).strip() : err;
    if (message.length() > Limits.CHECKER_MESSAGE_CHARS) message = message.substring(0, Limits.CHECKER_MESSAGE_CHARS);
    if (r.timeLimit()) return judgeError("the checker exceeded its time limit of " + JobRunner.seconds(Limits.CHECKER_TIME_MS), message);
    if (r.memoryLimit()) return judgeError("the checker exceeded its memory limit of " + Limits.CHECKER_MEMORY_MB + " MB", message);
    if (r.outputLimit()) return judgeError("the checker printed too much", message);
    if (r.signal() != 0) return judgeError("the checker was killed by signal " + r.signal(), message);
    return switch (r.exitCode()) {
      case 0 -> new Judgement(Verdict.OK, null, message);
      case 1 -> new Judgement(Verdict.WA, "the checker rejected the output", message);
      case 2 -> new Judgement(Verdict.WA, "presentation error (the checker rejected the output's format)", message);
      default -> judgeError("the checker failed with exit code " + r.exitCode(), message);
    };
  }

  private static Judgement judgeError(String why, String message) {
    return new Judgement(Verdict.JE, why, message);
  }

  /** The job is over: a later cancellation must not abort the sandbox's next user. */
  void finish() {
    finished = true;
  }
}

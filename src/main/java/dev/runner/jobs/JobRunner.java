package dev.runner.jobs;

import dev.runner.lang.Language;
import dev.runner.sandbox.JobCancelledException;
import dev.runner.sandbox.SandboxPool;
import dev.runner.sandbox.RunLimits;
import dev.runner.sandbox.RunResult;
import dev.runner.sandbox.SupervisorClient;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one job on one sandbox: stores the code, runs the tests one after another and judges each
 * against its expected output, here in the service (expected outputs never enter a sandbox, and a
 * test's input is there only while it runs). The caller resets or retires the sandbox afterwards.
 * When {@code cancelled} completes, the running test is aborted and no further test starts.
 */
public final class JobRunner {
  /** A program printing more than this on stdout gets OLE. */
  public static final int OUTPUT_LIMIT = 1 << 20;
  /** What a response carries of each stream; the rest is cut and marked truncated. */
  public static final int RETURNED_OUTPUT = 64 << 10;
  /** What a response carries of all its tests' output together. */
  public static final int RETURNED_PER_JOB = 4 << 20;
  private static final int FILE_SIZE_LIMIT = 64 << 20;
  private static final int PROCESS_LIMIT = 64;
  private static final int OPEN_FILES_LIMIT = 256;

  private JobRunner() {}

  /** The largest program a compiler may make (the compile's file size limit is above it, so it can say so). */
  static final long MAX_ARTIFACT_BYTES = 48L << 20;

  public static Future<JobResult> run(SandboxPool.Lease lease, Language lang, JobRequest job, Future<Void> cancelled) {
    SupervisorClient sv = lease.sandbox().supervisor();
    // A compiled program's stack may take the whole memory limit, at least 64 MB (the cgroup still
    // bounds the total); interpreters keep the usual 8 MB, which their threads' stacks default to.
    long stack = lang.compiled() ? Math.max(RunLimits.DEFAULT_STACK_BYTES, (long) job.memoryMb() << 20) : 8L << 20;
    RunLimits limits = new RunLimits(job.timeoutMs(), job.timeoutMs(), OUTPUT_LIMIT, RETURNED_OUTPUT, FILE_SIZE_LIMIT,
        PROCESS_LIMIT, OPEN_FILES_LIMIT, false, stack);
    List<TestOutcome> outcomes = new ArrayList<>(job.tests().size());
    boolean[] finished = {false}; // after this job the sandbox is another's: never abort that one
    cancelled.onComplete(v -> {
      if (!finished[0]) sv.abort();
    });
    OutputBudget budget = new OutputBudget(RETURNED_PER_JOB);
    Future<JobResult> done;
    if (lang.compiled()) {
      done = compile(lease, sv, lang, job, cancelled).compose(compiled -> {
        if (!compiled.ok()) {
          compileErrors(job, 0, compiled.output(), compiled.outputTruncated(), compiled.error(), budget, outcomes);
          return Future.succeededFuture(new JobResult(outcomes, compiled));
        }
        return runFrom(0, null, sv, lang, job, limits, budget, outcomes, cancelled)
            .map(v -> new JobResult(outcomes, compiled));
      });
    } else {
      done = sv.put(lang.file(), job.code().getBytes(StandardCharsets.UTF_8), 0644, true)
          .compose(v -> runFrom(0, null, sv, lang, job, limits, budget, outcomes, cancelled))
          .map(v -> new JobResult(outcomes, null));
    }
    return done.onComplete(ar -> finished[0] = true);
  }

  /**
   * Compiles in the leased sandbox, with the compiler's limits, and takes its artifact out through
   * the supervisor; then the sandbox is reset (the compiler and the source are gone), set to the
   * job's memory plus the program (which the supervisor keeps, and /work holds), and given the
   * artifact alone. The tests never meet the compiler.
   */
  private static Future<CompileOutcome> compile(SandboxPool.Lease lease, SupervisorClient sv, Language lang, JobRequest job,
                                                Future<Void> cancelled) {
    Language.Compile c = lang.compile();
    byte[] source = job.code().getBytes(StandardCharsets.UTF_8);
    String file = lang.sourceFile(job.code());
    if (file.getBytes(StandardCharsets.UTF_8).length > 255) { // a 300-character class name
      return Future.succeededFuture(CompileOutcome.failed(0, "", false, "the class name is too long for a file name"));
    }
    long compileMemory = Math.max(job.sandboxMemoryBytes(), JobRequest.sandboxMemoryBytes(c.memoryMb(), 2L * source.length));
    RunLimits limits = new RunLimits(c.timeMs(), c.timeMs(), c.outputBytes(), c.outputBytes(), MAX_ARTIFACT_BYTES + (1 << 20),
        PROCESS_LIMIT, OPEN_FILES_LIMIT, false);
    return lease.resize(compileMemory)
        .compose(v -> sv.put(file, source, 0644, true))
        .compose(v -> cancelled.isComplete() ? Future.failedFuture(new JobCancelledException())
            : sv.run(lang.compileCommand(job.code()), new byte[0], limits, false,
                new SupervisorClient.Collect(c.artifact(), MAX_ARTIFACT_BYTES)))
        .compose(r -> {
          if (r.aborted() || cancelled.isComplete()) return Future.failedFuture(new JobCancelledException());
          String all = r.stdout().toString(StandardCharsets.UTF_8) + r.stderr().toString(StandardCharsets.UTF_8);
          boolean truncated = r.stderrTruncated() || all.length() > RETURNED_OUTPUT;
          String output = truncated ? all.substring(0, Math.min(all.length(), RETURNED_OUTPUT)) : all;
          String error = r.timeLimit() ? "compilation timed out (" + seconds(c.timeMs()) + ")"
              : r.memoryLimit() ? "the compiler ran out of memory (" + (compileMemory >> 20) + " MB)"
              : r.outputLimit() ? "compiler output too long"
              : r.signal() != 0 ? "the compiler was killed by signal " + r.signal()
              : r.exitCode() != 0 ? "compilation failed"
              : r.artifact().status() == 2 ? "the compiled program is larger than " + (MAX_ARTIFACT_BYTES >> 20) + " MB"
              : !r.artifact().taken() ? "the compiler made no program"
              : null;
          if (error != null) return Future.succeededFuture(CompileOutcome.failed(r.wallMs(), output, truncated, error));
          Buffer artifact = r.artifact().bytes();
          // The supervisor keeps a copy to restore and /work holds one: both count, beside the largest input.
          long runMemory = JobRequest.sandboxMemoryBytes(job.memoryMb(), job.largestInputBytes() + 2L * artifact.length());
          return sv.reset()
              .compose(v -> lease.resize(runMemory))
              .compose(v -> sv.put(c.artifact(), artifact.getBytes(), 0755, true))
              .map(v -> CompileOutcome.ok(r.wallMs(), output, truncated));
        });
  }

  /** Every test from {@code index} on gets CE, with the compiler's message (within the job's output budget). */
  private static void compileErrors(JobRequest job, int index, String output, boolean truncated, String why,
                                    OutputBudget budget, List<TestOutcome> outcomes) {
    for (TestCase t : job.tests().subList(index, job.tests().size())) {
      String shown = t.hidden() ? "" : budget.cut(output);
      outcomes.add(new TestOutcome(t.id(), Verdict.CE, null, 0, 0, 0, 0, "", false, shown,
          truncated || shown.length() < output.length(), why));
    }
  }

  /**
   * Runs the tests from {@code index} on. Until the harness has reported how the code runs (the
   * first test, normally), tests run in detect mode; a compile error ends the job with CE for all.
   */
  private static Future<Void> runFrom(int index, String mode, SupervisorClient sv, Language lang, JobRequest job,
                                      RunLimits limits, OutputBudget budget, List<TestOutcome> outcomes,
                                      Future<Void> cancelled) {
    if (cancelled.isComplete()) return Future.failedFuture(new JobCancelledException());
    if (index == job.tests().size()) return Future.succeededFuture();
    TestCase test = job.tests().get(index);
    boolean detect = mode == null && !lang.compiled();
    List<String> argv = lang.compiled() ? lang.runCompiled(job.code(), job.memoryMb())
        : lang.run(detect ? Language.detect(job.entrypoint()) : mode);
    return sv.run(argv, test.input().getBytes(StandardCharsets.UTF_8), limits, detect).compose(r -> {
      if (r.aborted()) return Future.failedFuture(new JobCancelledException());
      String reported = r.report().toString(StandardCharsets.UTF_8).trim();
      if (detect && reported.equals("CE")) {
        compileErrors(job, index, r.stderr().toString(StandardCharsets.UTF_8), r.stderrTruncated(), "compilation failed",
            budget, outcomes);
        return Future.succeededFuture();
      }
      outcomes.add(judge(test, r, lang, job, budget));
      String next = detect ? (lang.runs(reported) ? reported : null) : mode;
      return runFrom(index + 1, next, sv, lang, job, limits, budget, outcomes, cancelled);
    });
  }

  static TestOutcome judge(TestCase test, RunResult r, Language lang, JobRequest job, OutputBudget budget) {
    String out = r.stdout().toString(StandardCharsets.UTF_8);
    String err = r.stderr().toString(StandardCharsets.UTF_8);
    boolean exited = r.signal() == 0 && !r.timeLimit() && !r.outputLimit();
    Verdict verdict;
    String error;
    if (r.timeLimit()) {
      verdict = Verdict.TLE;
      error = "time limit of " + seconds(job.timeoutMs()) + " exceeded";
    } else if (r.memoryLimit() || (r.exitCode() != 0 && lang.outOfMemoryMarker() != null && err.contains(lang.outOfMemoryMarker()))) {
      verdict = Verdict.MLE;
      error = "memory limit of " + job.memoryMb() + " MB exceeded";
    } else if (r.outputLimit()) {
      verdict = Verdict.OLE;
      error = "output limit of " + (OUTPUT_LIMIT >> 20) + " MiB exceeded";
    } else if (r.signal() != 0) {
      verdict = Verdict.RTE;
      error = "killed by signal " + r.signal();
    } else if (r.exitCode() != 0) {
      verdict = Verdict.RTE;
      error = "exited with code " + r.exitCode();
    } else if (job.checker().accepts(out, test.expectedOutput())) {
      verdict = Verdict.OK;
      error = null;
    } else {
      verdict = Verdict.WA;
      error = "output differs from the expected output";
    }
    if (test.hidden()) { // judged; nothing of what it printed leaves this method
      return new TestOutcome(test.id(), verdict, exited ? r.exitCode() : null, r.signal(), r.wallMs(), r.cpuMs(), r.memoryKb(),
          "", false, "", false, error);
    }
    String shownOut = budget.cut(out), shownErr = budget.cut(err);
    return new TestOutcome(test.id(), verdict, exited ? r.exitCode() : null, r.signal(), r.wallMs(), r.cpuMs(), r.memoryKb(),
        shownOut, shownOut.length() < out.length(), shownErr, r.stderrTruncated() || shownErr.length() < err.length(), error);
  }

  /**
   * What a whole job may return of its tests' output: each stream of each test up to
   * {@link #RETURNED_OUTPUT} characters, all of them together up to the total, so a 1000-test job
   * cannot make a huge response.
   */
  static final class OutputBudget {
    private int left;

    OutputBudget(int total) {
      left = total;
    }

    /** The part of one stream that is returned; it is spent from the budget. */
    String cut(String stream) {
      int n = Math.min(stream.length(), Math.min(RETURNED_OUTPUT, left));
      left -= n;
      return stream.substring(0, n);
    }
  }

  private static String seconds(long ms) {
    return (ms % 1000 == 0 ? String.valueOf(ms / 1000) : String.valueOf(ms / 1000.0)) + " s";
  }
}

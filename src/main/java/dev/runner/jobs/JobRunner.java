package dev.runner.jobs;

import dev.runner.lang.Language;
import dev.runner.sandbox.JobCancelledException;
import dev.runner.sandbox.SandboxPool;
import dev.runner.sandbox.RunLimits;
import dev.runner.sandbox.RunResult;
import dev.runner.sandbox.SupervisorClient;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongUnaryOperator;
import java.util.logging.Logger;

/**
 * Runs one job on one sandbox: stores the code (compiling it first, for compiled languages), runs
 * the tests one after another and judges each output with the job's {@link OutputCheck}: a
 * comparison here in the service, or a checker program in a sandbox of its own (expected outputs
 * never enter this one, and a test's input is there only while it runs). The caller resets or
 * retires the sandbox afterwards. When {@code cancelled} completes, the running test is aborted and
 * no further test starts.
 */
public final class JobRunner {
  private static final Logger LOG = Logger.getLogger(JobRunner.class.getName());

  private JobRunner() {}

  public static Future<JobResult> run(SandboxPool.Lease lease, Language lang, JobRequest job, OutputCheck check,
                                      Programs programs, Future<Void> cancelled, Progress progress) {
    SupervisorClient sv = lease.sandbox().supervisor();
    RunLimits limits = Limits.test(job);
    boolean[] finished = {false}; // after this job the sandbox is another's: never abort that one
    cancelled.onComplete(v -> {
      if (!finished[0]) sv.abort();
    });
    Tests tests = new Tests(sv, lang, job, limits, check, cancelled, progress);
    Future<JobResult> done;
    if (lang.compiled()) {
      // The supervisor keeps a copy of the program to restore and /work holds one: both count, beside the largest input.
      LongUnaryOperator runMemory = artifact -> Limits.sandboxMemoryBytes(job.memoryMb(), job.largestInputBytes() + 2 * artifact);
      done = compiled(lease, lang, job, programs, runMemory, cancelled)
          .compose(compiled -> {
            progress.compiled(compiled);
            if (!compiled.ok()) {
              tests.compileErrors(0, compiled.output(), compiled.outputTruncated(), compiled.error());
              return Future.succeededFuture(JobResult.of(tests.outcomes, compiled));
            }
            return tests.from(0, null).map(v -> JobResult.of(tests.outcomes, compiled));
          });
    } else {
      done = sv.put(lang.file(), job.code().getBytes(StandardCharsets.UTF_8), 0644, true)
          .compose(v -> tests.from(0, null))
          .map(v -> JobResult.of(tests.outcomes, null));
    }
    return done.onComplete(ar -> finished[0] = true);
  }

  /**
   * The job's program: the one a node already compiled from the same code (the cluster's cache, by
   * token), else compiled here and stored for the next job, and for the contest API, of that code.
   */
  private static Future<CompileOutcome> compiled(SandboxPool.Lease lease, Language lang, JobRequest job, Programs programs,
                                                 LongUnaryOperator runMemory, Future<Void> cancelled) {
    String token = programs.token(lang, Map.of(lang.file(), job.code()), lang.file());
    return programs.find(token).compose(hit -> {
      if (hit != null) return Compilation.install(lease, hit.artifact(), hit.bytes(), runMemory).map(v -> hit.outcome());
      return Compilation.artifact(lease, lang, job.code(), Map.of(), job.sandboxMemoryBytes(), cancelled).compose(c -> {
        if (!c.outcome().ok()) return Future.succeededFuture(c.outcome());
        // Stored while the sandbox is refitted; a failure to store costs the next job a compile, not this one its run.
        Future<?> stored = token == null ? Future.succeededFuture() : programs.store(lang, token, c.artifact(), job.code(), c.outcome())
            .onFailure(err -> LOG.warning("could not cache the program of a " + lang.name() + " job: " + err.getMessage()))
            .otherwiseEmpty();
        Future<Void> installed = Compilation.install(lease, lang.compile().artifact(), c.artifact(), runMemory);
        return Future.all(stored, installed).map(c.outcome());
      });
    });
  }

  /** Every test of a job gets JE: its checker did not compile. */
  static JobResult checkerFailed(JobRequest job, CompileOutcome checker) {
    List<TestOutcome> outcomes = job.tests().stream()
        .map(t -> TestOutcome.notRun(t.id(), Verdict.JE, "", false, "the checker did not compile: " + checker.error())).toList();
    return new JobResult(outcomes, null, checker);
  }

  /** A job's tests, run one after another on its sandbox. */
  private static final class Tests {
    final SupervisorClient sv;
    final Language lang;
    final JobRequest job;
    final RunLimits limits;
    final OutputCheck check;
    final Future<Void> cancelled;
    final OutputBudget budget = OutputBudget.perJob();
    final List<TestOutcome> outcomes;
    final Progress progress;

    Tests(SupervisorClient sv, Language lang, JobRequest job, RunLimits limits, OutputCheck check, Future<Void> cancelled,
          Progress progress) {
      this.progress = progress;
      this.sv = sv;
      this.lang = lang;
      this.job = job;
      this.limits = limits;
      this.check = check;
      this.cancelled = cancelled;
      this.outcomes = new ArrayList<>(job.tests().size());
    }

    /** Every test from {@code index} on gets CE, with the compiler's message (within the job's output budget). */
    void compileErrors(int index, String output, boolean truncated, String why) {
      for (TestCase t : job.tests().subList(index, job.tests().size())) {
        outcomes.add(TestOutcome.compileError(t, output, truncated, why, budget));
        progress.tested(outcomes.size() - 1, outcomes.get(outcomes.size() - 1));
      }
    }

    /**
     * Runs the tests from {@code index} on. Until the harness has reported how the code runs (the
     * first test, normally), tests run in detect mode; a compile error ends the job with CE for all.
     */
    Future<Void> from(int index, String mode) {
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
          compileErrors(index, r.stderr().toString(StandardCharsets.UTF_8), r.stderrTruncated(), "compilation failed");
          return Future.succeededFuture();
        }
        Judgement ran = verdictOfRun(r, lang, job);
        Future<Judgement> judged = ran != null ? Future.succeededFuture(ran) : check.check(test, r.stdout());
        String next = detect ? (lang.runs(reported) ? reported : null) : mode;
        return judged.compose(j -> {
          outcomes.add(outcome(test, r, j, budget));
          progress.tested(index, outcomes.get(index));
          return from(index + 1, next);
        });
      });
    }
  }

  /** The verdict of a run that did not exit normally with code 0 (its output is not judged), and why; else null. */
  static Judgement verdictOfRun(RunResult r, Language lang, JobRequest job) {
    Verdict v = Verdict.ofRun(r, lang.outOfMemoryMarker());
    if (v == null) return null;
    String why = switch (v) {
      case TLE -> "time limit of " + seconds(job.timeoutMs()) + " exceeded";
      case MLE -> "memory limit of " + job.memoryMb() + " MB exceeded";
      case OLE -> "output limit of " + (Limits.OUTPUT_BYTES >> 20) + " MiB exceeded";
      default -> r.signal() != 0 ? "killed by signal " + r.signal() : "exited with code " + r.exitCode();
    };
    return new Judgement(v, why, null);
  }

  /** A judged test; a hidden one keeps nothing of what the program or the checker printed. */
  static TestOutcome outcome(TestCase test, RunResult r, Judgement j, OutputBudget budget) {
    if (test.hidden()) return TestOutcome.ran(test.id(), j.verdict(), r, "", false, "", false, j.error(), null);
    String out = r.stdout().toString(StandardCharsets.UTF_8), err = r.stderr().toString(StandardCharsets.UTF_8);
    String shownOut = budget.cut(out), shownErr = budget.cut(err);
    String message = j.checkerMessage() == null ? null : budget.cut(j.checkerMessage());
    return TestOutcome.ran(test.id(), j.verdict(), r, shownOut, shownOut.length() < out.length(),
        shownErr, r.stderrTruncated() || shownErr.length() < err.length(), j.error(), message);
  }

  static String seconds(long ms) {
    return (ms % 1000 == 0 ? String.valueOf(ms / 1000) : String.valueOf(ms / 1000.0)) + " s";
  }
}

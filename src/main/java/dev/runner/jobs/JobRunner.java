package dev.runner.jobs;

import dev.runner.lang.Language;
import dev.runner.sandbox.RunLimits;
import dev.runner.sandbox.RunResult;
import dev.runner.sandbox.SupervisorClient;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one job on one sandbox: stores the code, probes it once (syntax and function detection),
 * then runs the tests one after another and judges each against its expected output, here in the
 * service. The caller resets or retires the sandbox afterwards.
 */
public final class JobRunner {
  /** A program printing more than this on stdout gets OLE. */
  public static final int OUTPUT_LIMIT = 1 << 20;
  /** What a response carries of each stream; the rest is cut and marked truncated. */
  public static final int RETURNED_OUTPUT = 64 << 10;
  private static final RunLimits PROBE_LIMITS = new RunLimits(10_000, 10_000, 4096, RETURNED_OUTPUT, 0, 16, 64);
  private static final int FILE_SIZE_LIMIT = 64 << 20;
  private static final int PROCESS_LIMIT = 64;
  private static final int OPEN_FILES_LIMIT = 256;

  private JobRunner() {}

  public static Future<List<TestOutcome>> run(SupervisorClient sv, Language lang, JobRequest job) {
    RunLimits limits = new RunLimits(job.timeoutMs(), job.timeoutMs(), OUTPUT_LIMIT, RETURNED_OUTPUT, FILE_SIZE_LIMIT,
        PROCESS_LIMIT, OPEN_FILES_LIMIT);
    return sv.put(lang.file(), job.code().getBytes(StandardCharsets.UTF_8), 0644)
        .compose(v -> sv.run(lang.probe(job.entrypoint()), new byte[0], PROBE_LIMITS, true))
        .compose(probe -> {
          String mode = probe.report().toString(StandardCharsets.UTF_8).trim();
          if (!probe.timeLimit() && !probe.memoryLimit() && probe.signal() == 0) {
            if (probe.exitCode() == 0 && mode.equals("program")) return runTests(sv, lang, job, lang.program(), limits);
            if (probe.exitCode() == 0 && mode.equals("exports")) return runTests(sv, lang, job, lang.call("exports"), limits);
            if (probe.exitCode() == 0 && mode.startsWith("function ")) {
              String name = mode.substring("function ".length());
              if (lang.identifier().matcher(name).matches()) return runTests(sv, lang, job, lang.call(name), limits);
            }
            if (probe.exitCode() == 2) return Future.succeededFuture(allTests(job, probe, Verdict.CE, "compilation failed"));
          }
          // The probe never runs the submission, so only its own size can make it hit a limit.
          if (probe.timeLimit()) return Future.succeededFuture(allTests(job, probe, Verdict.TLE, "time limit exceeded while parsing the code"));
          if (probe.memoryLimit()) return Future.succeededFuture(allTests(job, probe, Verdict.MLE, "memory limit exceeded while parsing the code"));
          return Future.failedFuture(new IllegalStateException("probe failed: exit " + probe.exitCode() + " signal "
              + probe.signal() + " " + probe.stderr().toString(StandardCharsets.UTF_8)));
        });
  }

  private static Future<List<TestOutcome>> runTests(SupervisorClient sv, Language lang, JobRequest job, List<String> argv,
                                                    RunLimits limits) {
    List<TestOutcome> outcomes = new ArrayList<>(job.tests().size());
    Future<Void> chain = Future.succeededFuture();
    for (TestCase test : job.tests()) {
      chain = chain.compose(v -> sv.run(argv, test.input().getBytes(StandardCharsets.UTF_8), limits, false)
          .map(r -> outcomes.add(judge(test, r, lang, job))).mapEmpty());
    }
    return chain.map(v -> outcomes);
  }

  static TestOutcome judge(TestCase test, RunResult r, Language lang, JobRequest job) {
    String out = r.stdout().toString(StandardCharsets.UTF_8);
    String err = r.stderr().toString(StandardCharsets.UTF_8);
    boolean exited = r.signal() == 0 && !r.timeLimit() && !r.outputLimit();
    Verdict verdict;
    String error;
    if (r.timeLimit()) {
      verdict = Verdict.TLE;
      error = "time limit of " + seconds(job.timeoutMs()) + " exceeded";
    } else if (r.memoryLimit() || (r.exitCode() != 0 && err.contains(lang.outOfMemoryMarker()))) {
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
    } else if (OutputMatcher.matches(out, test.expectedOutput())) {
      verdict = Verdict.OK;
      error = null;
    } else {
      verdict = Verdict.WA;
      error = "output differs from the expected output";
    }
    return new TestOutcome(test.id(), verdict, exited ? r.exitCode() : null, r.signal(), r.wallMs(), r.cpuMs(), r.memoryKb(),
        cut(out), out.length() > RETURNED_OUTPUT, err, r.stderrTruncated(), error);
  }

  private static List<TestOutcome> allTests(JobRequest job, RunResult probe, Verdict verdict, String error) {
    String err = probe.stderr().toString(StandardCharsets.UTF_8);
    return job.tests().stream().map(t -> new TestOutcome(t.id(), verdict, probe.exitCode(), probe.signal(), 0, 0, 0, "", false,
        err, probe.stderrTruncated(), error)).toList();
  }

  private static String cut(String s) {
    return s.length() > RETURNED_OUTPUT ? s.substring(0, RETURNED_OUTPUT) : s;
  }

  private static String seconds(long ms) {
    return (ms % 1000 == 0 ? String.valueOf(ms / 1000) : String.valueOf(ms / 1000.0)) + " s";
  }

}

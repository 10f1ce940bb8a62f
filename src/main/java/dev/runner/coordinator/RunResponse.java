package dev.runner.coordinator;

import dev.runner.jobs.CompileOutcome;
import dev.runner.jobs.JobRequest;
import dev.runner.jobs.JobResult;
import dev.runner.jobs.TestCase;
import dev.runner.jobs.TestOutcome;
import dev.runner.jobs.Verdict;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The seed's response document. `execution` describes one test: the first visible test that did not
 * pass, else the first hidden one that did not, else the last visible test (the last hidden one if
 * there are none); its time is the sum over all tests and its memory the peak. A hidden test gives
 * away nothing but its id, status, verdict, time and memory: not its input, expected or actual
 * output, stderr or exit code.
 */
public final class RunResponse {
  private RunResponse() {}

  public static JsonObject of(JobRequest job, JobResult result) {
    JsonObject response = of(job, result.tests());
    // About the submission alone: shown even when every test is hidden.
    if (result.compile() != null) response.put("compile", compile(result.compile()));
    // The problem's checker program, compiled without any test: its messages say nothing of hidden tests.
    if (result.checkerCompile() != null) response.put("checker_compile", compile(result.checkerCompile()));
    return response;
  }

  static JsonObject of(JobRequest job, List<TestOutcome> outcomes) {
    JsonArray visible = new JsonArray(), hidden = new JsonArray();
    int vp = 0, vf = 0, hp = 0, hf = 0;
    int shown = -1;
    long totalMs = 0, peakKb = 0;
    for (int i = 0; i < outcomes.size(); i++) {
      TestCase test = job.tests().get(i);
      TestOutcome o = outcomes.get(i);
      boolean passed = o.verdict() == Verdict.OK;
      totalMs += o.wallMs();
      peakKb = Math.max(peakKb, o.memoryKb());
      if (test.hidden()) {
        if (passed) hp++; else hf++;
        hidden.add(test(test, o));
      } else {
        if (passed) vp++; else vf++;
        visible.add(test(test, o));
      }
      if (!passed && (shown < 0 || (job.tests().get(shown).hidden() && !test.hidden()))) shown = i;
    }
    if (shown < 0) shown = visible.isEmpty() ? outcomes.size() - 1 : visible.size() - 1;
    TestOutcome o = outcomes.get(shown);
    boolean secret = job.tests().get(shown).hidden();
    // A compile error is about the submission alone, so its message is shown even when only hidden tests exist.
    boolean ce = o.verdict() == Verdict.CE;
    JsonObject execution = new JsonObject()
        .put("status", o.verdict().executionStatus())
        .put("verdict", o.verdict().name())
        .put("test_id", o.id())
        .put("stdout", secret ? "" : o.stdout())
        .put("stderr", secret && !ce ? "" : o.stderr())
        .put("exit_code", secret && !ce ? null : o.exitCode())
        .put("execution_time_ms", totalMs)
        .put("memory_usage_mb", mb(peakKb));
    return new JsonObject()
        .put("execution", execution)
        .put("test_results", new JsonObject().put("visible", visible).put("hidden", hidden))
        .put("summary", new JsonObject().put("visible_passed", vp).put("visible_failed", vf)
            .put("hidden_passed", hp).put("hidden_failed", hf)
            .put("total", outcomes.size()).put("passed", vp + hp));
  }

  /** One test's entry, as the response's test_results list it: a hidden one redacted. */
  public static JsonObject test(TestCase test, TestOutcome o) {
    boolean passed = o.verdict() == Verdict.OK;
    if (test.hidden()) {
      return new JsonObject().put("id", o.id()).put("status", passed ? "passed" : "failed")
          .put("verdict", o.verdict().name()).put("execution_time_ms", o.wallMs()).put("memory_usage_mb", mb(o.memoryKb()));
    }
    return new JsonObject().put("id", o.id()).put("status", passed ? "passed" : "failed")
        .put("verdict", o.verdict().name()).put("description", test.description())
        .put("input", test.input()).put("expected_output", test.expectedOutput())
        .put("actual_output", o.stdout()).put("actual_output_truncated", o.stdoutTruncated())
        .put("stderr", o.stderr()).put("stderr_truncated", o.stderrTruncated())
        .put("exit_code", o.exitCode())
        .put("execution_time_ms", o.wallMs()).put("cpu_time_ms", o.cpuMs()).put("sys_time_ms", o.sysMs()).put("memory_usage_mb", mb(o.memoryKb()))
        .put("error", o.error()).put("checker_message", o.checkerMessage());
  }

  public static JsonObject compile(CompileOutcome c) {
    return new JsonObject().put("status", c.ok() ? "ok" : "error").put("time_ms", c.timeMs()).put("output", c.output())
        .put("output_truncated", c.outputTruncated()).put("error", c.error()).put("artifact_sha256", c.artifactSha256());
  }

  private static double mb(long kb) {
    return Math.round(kb / 102.4) / 10.0;
  }
}

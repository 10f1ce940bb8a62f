package dev.runner.jobs;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What a worker answers for a job: every test's outcome, the compile step's for compiled languages
 * (else null), and a custom checker's compile step (else null).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record JobResult(List<TestOutcome> tests, CompileOutcome compile, CompileOutcome checkerCompile) {
  static JobResult of(List<TestOutcome> tests, CompileOutcome compile) {
    return new JobResult(tests, compile, null);
  }

  JobResult withCheckerCompile(CompileOutcome checker) {
    return new JobResult(tests, compile, checker);
  }

  /**
   * Every test JE: the runner failed under the job (its sandbox broke twice, or its node died at
   * each attempt), which says nothing of the code; the platform may run it again.
   */
  public static JobResult judgeErrors(JobRequest job, String why) {
    return of(job.tests().stream().map(t -> TestOutcome.notRun(t.id(), Verdict.JE, "", false, "the runner failed: " + why)).toList(), null);
  }

  /**
   * Every test CE after {@code compiled} failed (for the tests of a job's later chunks, whose first
   * chunk compiled the code): a visible test shows the compiler's message, as the first chunk's do.
   */
  public static JobResult compileErrors(JobRequest job, CompileOutcome compiled) {
    String output = compiled.output() == null ? "" : compiled.output();
    OutputBudget budget = OutputBudget.perJob();
    return of(job.tests().stream().map(t -> TestOutcome.compileError(t, output, compiled.outputTruncated(), compiled.error(), budget))
        .toList(), compiled);
  }

  /**
   * The results of a job's parts (its chunks, in the tests' order) as one: its compile steps are the
   * first part's, and all together return no more output than one job may.
   */
  public static JobResult merged(List<JobResult> parts) {
    OutputBudget budget = OutputBudget.perJob();
    List<TestOutcome> tests = parts.stream().flatMap(p -> p.tests().stream()).map(t -> t.within(budget)).toList();
    return new JobResult(tests, parts.get(0).compile(), parts.get(0).checkerCompile());
  }

  /** What travels on the event bus: this record mapped by Vert.x's Jackson integration. */
  public JsonObject toJson() {
    return JsonObject.mapFrom(this);
  }

  public static JobResult fromJson(JsonObject j) {
    return j.mapTo(JobResult.class);
  }
}

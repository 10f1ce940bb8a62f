package dev.runner.jobs;

import dev.runner.lang.Language;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * A validated job as it travels on the event bus from the HTTP verticle to a worker. {@code id} is
 * unique per accepted request; a cancellation names it.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record JobRequest(String id, String language, String code, String entrypoint, List<TestCase> tests,
                         long timeoutMs, int memoryMb, Checker checker) {

  /** Where a job is cancelled (its client went away): published to every worker, body {"id": ...}. */
  public static final String CANCEL_ADDRESS = "runner.jobs.cancel";

  /**
   * The sandbox's memory limit for this job: what was asked, plus what the supervisor holds for it
   * (the largest test input, in memory while its test runs, and its copy of the code, restored before
   * every test), plus the supervisor's room, so the program itself gets what was asked.
   */
  public long sandboxMemoryBytes() {
    return Limits.sandboxMemoryBytes(memoryMb, largestInputBytes() + code.getBytes(StandardCharsets.UTF_8).length);
  }

  /** The largest test input, which the supervisor holds in memory while its test runs. */
  public long largestInputBytes() {
    return tests.stream().mapToLong(t -> t.input().getBytes(StandardCharsets.UTF_8).length).max().orElse(0);
  }

  /** The largest expected output: what a checker program's sandbox holds beside the test's input. */
  public long largestAnswerBytes() {
    return tests.stream().mapToLong(t -> t.expectedOutput().getBytes(StandardCharsets.UTF_8).length).max().orElse(0);
  }

  /**
   * The longest a job can take once it has a sandbox: its compile, every test at its time limit, a
   * checker program's compile and runs, plus start-up. {@code languages}: every language, by id.
   */
  public long deadlineMs(Map<String, Language> languages) {
    Language lang = languages.get(language);
    long compile = Limits.compileDeadlineMs(lang);
    long checking = checker instanceof Checker.Custom c ? CheckerProgram.deadlineMs(languages.get(c.language()), this) : 0;
    return compile + tests.size() * (timeoutMs + 1_000L) + checking + 5_000;
  }

  /** What travels on the event bus: this record mapped by Vert.x's Jackson integration. */
  public JsonObject toJson() {
    return JsonObject.mapFrom(this);
  }

  public static JobRequest fromJson(JsonObject j) {
    return j.mapTo(JobRequest.class);
  }
}

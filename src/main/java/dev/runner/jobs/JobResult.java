package dev.runner.jobs;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What a worker answers for a job: every test's outcome, the compile step's for compiled languages
 * (else null), and a custom checker's compile step (else null).
 */
public record JobResult(List<TestOutcome> tests, CompileOutcome compile, CompileOutcome checkerCompile) {
  static JobResult of(List<TestOutcome> tests, CompileOutcome compile) {
    return new JobResult(tests, compile, null);
  }

  JobResult withCheckerCompile(CompileOutcome checker) {
    return new JobResult(tests, compile, checker);
  }

  public JsonObject toJson() {
    JsonArray t = new JsonArray();
    tests.forEach(o -> t.add(o.toJson()));
    return new JsonObject().put("tests", t).put("compile", compile == null ? null : compile.toJson())
        .put("checker_compile", checkerCompile == null ? null : checkerCompile.toJson());
  }

  public static JobResult fromJson(JsonObject j) {
    List<TestOutcome> tests = j.getJsonArray("tests").stream().map(o -> TestOutcome.fromJson((JsonObject) o)).toList();
    JsonObject c = j.getJsonObject("compile"), k = j.getJsonObject("checker_compile");
    return new JobResult(tests, c == null ? null : CompileOutcome.fromJson(c), k == null ? null : CompileOutcome.fromJson(k));
  }
}

package dev.runner.jobs;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** What a worker answers for a job: every test's outcome, and the compile step's for compiled languages (else null). */
public record JobResult(List<TestOutcome> tests, CompileOutcome compile) {
  public JsonObject toJson() {
    JsonArray t = new JsonArray();
    tests.forEach(o -> t.add(o.toJson()));
    return new JsonObject().put("tests", t).put("compile", compile == null ? null : compile.toJson());
  }

  public static JobResult fromJson(JsonObject j) {
    List<TestOutcome> tests = j.getJsonArray("tests").stream().map(o -> TestOutcome.fromJson((JsonObject) o)).toList();
    JsonObject c = j.getJsonObject("compile");
    return new JobResult(tests, c == null ? null : CompileOutcome.fromJson(c));
  }
}

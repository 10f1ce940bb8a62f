package dev.runner.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.runner.jobs.Checker;
import dev.runner.jobs.JobRequest;
import dev.runner.jobs.TestCase;
import dev.runner.jobs.TestOutcome;
import dev.runner.jobs.Verdict;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunResponseTest {
  private static final JobRequest JOB = new JobRequest("job-1", "python", "x", null, List.of(
      new TestCase("v1", false, "in1", "out1", null),
      new TestCase("v2", false, "in2", "out2", null),
      new TestCase("h1", true, "secret-in", "secret-out", "d")), 5000, 256, new Checker.Lines());

  private static TestOutcome outcome(String id, Verdict v, String out, long ms, long kb) {
    return new TestOutcome(id, v, v == Verdict.TLE ? null : 0, 0, ms, ms, 0, kb, out, false, "err-" + id, false, null, null);
  }

  @Test
  void executionShowsTheFirstFailingVisibleTestWithTotalsOverAll() {
    JsonObject r = RunResponse.of(JOB, List.of(outcome("v1", Verdict.OK, "out1", 10, 1024), outcome("v2", Verdict.TLE, "", 5000, 2048),
        outcome("h1", Verdict.WA, "", 7, 4096)));
    JsonObject e = r.getJsonObject("execution");
    assertEquals("timeout", e.getString("status"));
    assertEquals("v2", e.getString("test_id"));
    assertEquals("err-v2", e.getString("stderr"));
    assertEquals(5017, e.getLong("execution_time_ms"));
    assertEquals(4.0, e.getDouble("memory_usage_mb"));
    assertEquals(new JsonObject().put("visible_passed", 1).put("visible_failed", 1).put("hidden_passed", 0).put("hidden_failed", 1)
        .put("total", 3).put("passed", 1), r.getJsonObject("summary"));
  }

  @Test
  void aFailingHiddenTestIsShownWithoutItsDetails() {
    JsonObject r = RunResponse.of(JOB, List.of(outcome("v1", Verdict.OK, "out1", 1, 1), outcome("v2", Verdict.OK, "out2", 1, 1),
        outcome("h1", Verdict.RTE, "", 1, 1)));
    JsonObject e = r.getJsonObject("execution");
    assertEquals("error", e.getString("status"));
    assertEquals("h1", e.getString("test_id"));
    assertEquals("", e.getString("stderr"));
    assertNull(e.getValue("exit_code"));
    assertFalse(r.encode().contains("secret"));
  }

  @Test
  void whenAllPassTheLastVisibleTestIsShown() {
    JsonObject r = RunResponse.of(JOB, List.of(outcome("v1", Verdict.OK, "out1", 1, 1), outcome("v2", Verdict.OK, "out2", 1, 1),
        outcome("h1", Verdict.OK, "", 1, 1)));
    assertEquals("success", r.getJsonObject("execution").getString("status"));
    assertEquals("out2", r.getJsonObject("execution").getString("stdout"));
    assertEquals(0, r.getJsonObject("execution").getInteger("exit_code"));
  }
}

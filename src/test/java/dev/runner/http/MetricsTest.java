package dev.runner.http;

import static dev.runner.TestNode.test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.Scrape;
import dev.runner.TestEnvironment;
import dev.runner.TestNode;
import io.micrometer.core.instrument.Metrics;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** GET /metrics of a real node: the runner's meters move with real jobs, the pools' gauges are there. */
class MetricsTest {
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestEnvironment.node(1));
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  @Test
  void jobsVerdictsAndCompileErrorsAreCounted() {
    Scrape before = Scrape.of(node);
    JsonObject passed = new JsonObject().put("language", "python").put("code", "print(int(input()) * 2)")
        .put("tests", new JsonObject()
            .put("visible", new JsonArray().add(test("2", "4")))
            .put("hidden", new JsonArray().add(test("5", "10"))));
    HttpResponse<Buffer> r = node.client.post("/run").sendJsonObject(passed).await();
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertEquals(2, r.bodyAsJsonObject().getJsonObject("summary").getInteger("passed"), r.bodyAsString());
    JsonObject ce = node.run("c", "int main(void) { return missing; }\n", new JsonObject(), test("", "x"), test("", "y"));
    assertEquals("error", ce.getJsonObject("compile").getString("status"), ce.encode());
    Scrape after = Scrape.of(node);

    assertEquals(1, after.delta(before, "runner_jobs_total", "language", "python", "outcome", "ok"));
    assertEquals(0, after.delta(before, "runner_jobs_total", "language", "python", "outcome", "failed"));
    assertEquals(1, after.delta(before, "runner_jobs_total", "language", "c", "outcome", "compile_error"));
    assertEquals(1, after.delta(before, "runner_compilation_errors_total", "language", "c"));
    assertEquals(0, after.delta(before, "runner_compilation_errors_total", "language", "python"));
    assertEquals(0, after.delta(before, "runner_execution_errors_total", "language", "python"));
    assertEquals(0, after.delta(before, "runner_execution_errors_total", "language", "c"));
    assertEquals(2, after.delta(before, "runner_verdicts_total", "language", "python", "verdict", "OK"));
    assertEquals(2, after.delta(before, "runner_verdicts_total", "language", "c", "verdict", "CE"));
    assertEquals(0, after.delta(before, "runner_verdicts_total", "language", "c", "verdict", "OK"));
    assertEquals(1, after.delta(before, "runner_job_duration_seconds_count", "language", "python"));
    assertEquals(1, after.delta(before, "runner_job_duration_seconds_count", "language", "c"));
    assertTrue(after.value("runner_job_duration_seconds_sum", "language", "c") > 0);
    assertNotNull(after.find("runner_job_duration_seconds_bucket", "language", "python", "le", "+Inf"), after.text());
    // Vert.x's own metrics are in the node's registry too.
    assertTrue(after.text().contains("vertx_http_server_requests_total"), after.text());

    // The pools' gauges: one sandbox per image, idle again once its job's reset is done.
    for (String language : new String[] {"python", "c"}) {
      String image = node.config.images().get(language);
      Scrape s = Scrape.of(node);
      for (int i = 0; i < 100 && s.value("runner_sandboxes", "image", image, "state", "idle") != 1; i++) {
        node.vertx.timer(100).await();
        s = Scrape.of(node);
      }
      assertEquals(1, s.value("runner_sandboxes", "image", image, "state", "idle"), s.text());
      assertEquals(0, s.value("runner_sandboxes", "image", image, "state", "busy"), s.text());
      assertEquals(0, s.value("runner_jobs_waiting", "image", image), s.text());
    }
    // Never in Micrometer's global registry: nodes sharing a JVM keep their counts apart.
    assertTrue(Metrics.globalRegistry.find("runner.jobs").counters().isEmpty());
  }

  @Test
  void eachNodeCountsItsOwnJobs() {
    try (TestNode other = TestNode.start(TestEnvironment.node(1,
        Map.of("RUNNER_IMAGES", "python=" + TestEnvironment.image("python"))))) {
      Scrape mineBefore = Scrape.of(node);
      Scrape otherBefore = Scrape.of(other);
      assertEquals(0, otherBefore.value("runner_jobs_total", "language", "python", "outcome", "ok"));
      other.run("python", "print(input())", new JsonObject(), test("a", "b"));
      assertEquals(1, Scrape.of(other).delta(otherBefore, "runner_jobs_total", "language", "python", "outcome", "failed"));
      assertEquals(1, Scrape.of(other).delta(otherBefore, "runner_verdicts_total", "language", "python", "verdict", "WA"));
      assertEquals(0, Scrape.of(node).delta(mineBefore, "runner_jobs_total", "language", "python", "outcome", "failed"));
      assertEquals(0, Scrape.of(node).delta(mineBefore, "runner_verdicts_total", "language", "python", "verdict", "WA"));
    }
  }
}

package dev.runner.contest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.TestEnvironment;
import dev.runner.TestNode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * runner.max_concurrent_jobs bounds the jobs a node runs at once across its languages: with one slot,
 * a second job waits in line though a sandbox is idle, and runs when the first is done.
 */
class ConcurrentJobsTest {
  @Test
  void oneSlotRunsOneJobAtATime() throws Exception {
    Map<String, String> env = Map.of("RUNNER_IMAGES", "python=" + TestEnvironment.image("python"), "RUNNER_MAX_JOBS", "1");
    try (TestNode node = TestNode.start(TestEnvironment.node(2, env))) {
      JsonObject sleeper = new JsonObject().put("language", "python").put("code", "import time\ntime.sleep(2)\nprint(1)")
          .put("tests", new JsonObject().put("visible", new JsonArray().add(TestNode.test("", "1"))));
      String image = TestEnvironment.image("python");
      awaitHealth(node, h -> h.getJsonObject("sandboxes").getJsonObject(image).getInteger("idle") == 2); // both started
      Future<HttpResponse<Buffer>> first = node.client.post("/run").sendJsonObject(sleeper);
      awaitHealth(node, h -> h.getInteger("current_jobs") == 1 && h.getInteger("jobs_queued") == 0);
      Future<HttpResponse<Buffer>> second = node.client.post("/run").sendJsonObject(sleeper);
      JsonObject h = awaitHealth(node, x -> x.getInteger("jobs_queued") == 1);
      assertEquals(2, h.getInteger("current_jobs"), h.encode());
      int idle = h.getJsonObject("sandboxes").getJsonObject(image).getInteger("idle");
      assertEquals(1, idle, "the second job waits for a slot, not for a sandbox: " + h.encode());
      for (Future<HttpResponse<Buffer>> f : java.util.List.of(first, second)) {
        HttpResponse<Buffer> r = f.await();
        assertEquals(200, r.statusCode(), r.bodyAsString());
        assertEquals("OK", r.bodyAsJsonObject().getJsonObject("execution").getString("verdict"), r.bodyAsString());
      }
      assertEquals(0, awaitHealth(node, x -> x.getInteger("current_jobs") == 0).getInteger("jobs_queued"));
    }
  }

  private static JsonObject awaitHealth(TestNode node, java.util.function.Predicate<JsonObject> until) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 20_000;
    while (true) {
      JsonObject h = node.client.get("/health").send().await().bodyAsJsonObject();
      if (until.test(h)) return h;
      assertTrue(System.currentTimeMillis() < deadline, "never: " + h.encode());
      Thread.sleep(20);
    }
  }
}

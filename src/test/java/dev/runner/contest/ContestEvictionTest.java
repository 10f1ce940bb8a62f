package dev.runner.contest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.Scrape;
import dev.runner.TestEnvironment;
import dev.runner.TestNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A node whose cache holds a few KB: the least recently used input set is evicted, the grader is
 * told with a 404 naming what is missing, uploads or compiles again, and the run then succeeds.
 * The cache's meters move with it.
 */
class ContestEvictionTest {
  @Test
  void anEvictedInputIs404AndTheGraderUploadsItAgain() throws Exception {
    Map<String, String> env = Map.of("RUNNER_IMAGES", "python=" + TestEnvironment.image("python"),
        "RUNNER_MAX_CACHE_SIZE_GB", String.valueOf(7000 / (double) (1L << 30))); // 7000 bytes
    try (TestNode node = TestNode.start(TestEnvironment.node(1, env))) {
      JsonObject program = new JsonObject().put("lang", "python").put("code", new JsonObject().put("main.py", "print(len(input()))"));
      String token = ContestApiTest.ok(ContestApiTest.post(node, "/compile/", program), 200).getString("token");
      JsonObject a = set("a", "x".repeat(3000)), b = set("b", "y".repeat(3000)), c = set("c", "z".repeat(3000));
      ContestApiTest.ok(ContestApiTest.post(node, "/input/", a), 201);
      ContestApiTest.ok(ContestApiTest.post(node, "/input/", b), 201);
      Scrape before = Scrape.of(node);
      ContestApiTest.ok(ContestApiTest.post(node, "/input/", c), 201); // 9 KB > 7 KB: the least recently used, a, goes
      long deadline = System.currentTimeMillis() + 10_000;
      while (node.client.get("/input/" + a.getString("hash")).send().await().statusCode() != 404) {
        assertTrue(System.currentTimeMillis() < deadline, "input a was never evicted");
        Thread.sleep(50);
      }
      assertEquals(200, node.client.get("/input/" + c.getString("hash")).send().await().statusCode(), "the newest set stays");
      assertTrue(Scrape.of(node).delta(before, "runner_cache_misses_total", "cache", "input") >= 1);

      // The grader's loop: run; upload or compile what the 404 names; run again.
      boolean reuploaded = false;
      JsonArray results = null;
      for (int attempt = 0; attempt < 4 && results == null; attempt++) {
        HttpResponse<Buffer> r = ContestApiTest.post(node, "/run/", new JsonObject().put("token", token).put("input_hash", a.getString("hash")));
        if (r.statusCode() == 200) {
          results = r.bodyAsJsonObject().getJsonArray("results");
        } else {
          assertEquals(404, r.statusCode(), r.bodyAsString());
          if (r.bodyAsJsonObject().getString("missing").equals("input")) {
            ContestApiTest.ok(ContestApiTest.post(node, "/input/", a), 201); // stored anew, not "already there"
            reuploaded = true;
          } else {
            assertEquals(token, ContestApiTest.ok(ContestApiTest.post(node, "/compile/", program), 200).getString("token"));
          }
        }
      }
      assertTrue(reuploaded, "the first run found the input missing");
      assertEquals(ContestApiTest.md5("3000\n"), results.getJsonObject(0).getString("output_hash"), results.encode());
      Scrape after = Scrape.of(node);
      assertTrue(after.value("runner_cache_size_bytes", "cache", "input") <= 7000, after.text());
      assertTrue(after.delta(before, "runner_cache_hits_total", "cache", "input") >= 1, after.text());
    }
  }

  private static JsonObject set(String name, String input) {
    return new JsonObject().put("hash", "evict-" + name + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime())
        .put("cases", new JsonArray().add(new JsonObject().put("name", "1").put("input", input)));
  }
}

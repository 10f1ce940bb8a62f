package dev.runner.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.TestEnvironment;
import dev.runner.TestNode;
import dev.runner.config.RunnerConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Three real nodes in one cluster (in this JVM): A serves Python and JavaScript, B Python only, C
 * none (API-only). Jobs reach a node that serves their language from any node; an asynchronous job
 * streams its events over a WebSocket from another node than the one that runs it, late subscribers
 * get every event; a one-shot job streams over /run?stream (a WebSocket, or POST); a cancelled job (or an abandoned
 * stream's) frees its sandbox; records expire.
 */
class ClusterJobsTest {
  private static JsonObject job(String language, String code, int tests, boolean lastHidden) {
    JsonArray visible = new JsonArray(), hidden = new JsonArray();
    for (int i = 0; i < tests; i++) {
      JsonObject t = new JsonObject().put("id", "t" + i).put("input", i + "\n").put("expected_output", i + "\n");
      if (lastHidden && i == tests - 1) hidden.add(t);
      else visible.add(t);
    }
    return new JsonObject().put("language", language).put("code", code)
        .put("tests", new JsonObject().put("visible", visible).put("hidden", hidden));
  }

  private static final String PY_ECHO = "import time\ns = input()\ntime.sleep(0.3)\nprint(s)\n";
  private static final String JS_ECHO = "const s = require('fs').readFileSync(0, 'utf8'); process.stdout.write(s);";

  private static JsonObject get(TestNode node, String path) {
    return node.client.get(path).send().await().bodyAsJsonObject();
  }

  @Test
  void jobsRunWhereTheirLanguageIsServedAndStreamFromAnyNode() throws Exception {
    int[] ports = {TestEnvironment.freePort(), TestEnvironment.freePort(), TestEnvironment.freePort()};
    Map<String, String> env = new HashMap<>();
    env.put("RUNNER_CLUSTER_NAME", TestEnvironment.label("runner-test-cluster-jobs"));
    env.put("RUNNER_CLUSTER_MEMBERS", "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2]);
    env.put("RUNNER_JOB_TTL_S", "4");
    env.put("RUNNER_MAX_JOBS", "2");
    env.put("RUNNER_CHUNK_TESTS", "8");
    String python = "python=" + TestEnvironment.image("python");
    List<TestNode> started = new ArrayList<>();
    try {
      TestNode a = TestNode.start(TestEnvironment.member(env, ports[0], Map.of("RUNNER_IMAGES", python + ",javascript=" + TestEnvironment.image("javascript"))));
      started.add(a);
      TestNode b = TestNode.start(TestEnvironment.member(env, ports[1], Map.of("RUNNER_IMAGES", python)));
      started.add(b);
      TestNode c = TestNode.start(TestEnvironment.member(env, ports[2], Map.of("RUNNER_API_ONLY", "true")));
      started.add(c);
      TestEnvironment.await("C lists 3 nodes", Duration.ofMillis(20_000), () -> get(c, "/nodes").getInteger("count") == 3);
      JsonObject health = get(c, "/health");
      assertEquals(3, health.getInteger("nodes"), health.encode());
      assertEquals(new JsonArray().add("javascript").add("python"), health.getJsonArray("languages"), health.encode());
      JsonArray listed = get(c, "/nodes").getJsonArray("nodes");
      for (Object o : listed) {
        JsonObject n = (JsonObject) o;
        assertNotNull(n.getString("id"));
        assertTrue(n.containsKey("capacity") && n.containsKey("free") && n.containsKey("jobs_completed"), n.encode());
      }

      // JavaScript only A serves, from B and from the API-only C; a language no node serves: a 400 at once.
      for (TestNode via : List.of(b, c)) {
        HttpResponse<Buffer> r = via.client.post("/run").sendJsonObject(job("javascript", JS_ECHO, 2, false)).await();
        assertEquals(200, r.statusCode(), r.bodyAsString());
        assertEquals(2, r.bodyAsJsonObject().getJsonObject("summary").getInteger("passed"), r.bodyAsString());
      }
      HttpResponse<Buffer> unserved = c.client.post("/run").sendJsonObject(job("rb", "puts gets", 1, false)).await();
      assertEquals(400, unserved.statusCode(), unserved.bodyAsString());
      assertTrue(unserved.bodyAsJsonObject().getString("error").contains("no node of the cluster serves rb"), unserved.bodyAsString());

      // An asynchronous job accepted by B, streamed from C while it runs, then from A after it ended.
      HttpResponse<Buffer> accepted = b.client.post("/jobs").sendJsonObject(job("python", PY_ECHO, 5, true)).await();
      assertEquals(202, accepted.statusCode(), accepted.bodyAsString());
      String id = accepted.bodyAsJsonObject().getString("id");
      assertEquals("/jobs/" + id, accepted.getHeader("location"));
      List<JsonObject> live = c.events(id);
      assertEquals("accepted", live.get(0).getString("type"), live.toString());
      assertEquals("done", live.get(live.size() - 1).getString("type"), live.toString());
      List<JsonObject> tests = live.stream().filter(e -> e.getString("type").equals("test")).toList();
      assertEquals(5, tests.size(), live.toString());
      for (JsonObject t : tests) {
        JsonObject test = t.getJsonObject("test");
        assertEquals("passed", test.getString("status"), t.encode());
        if (t.getInteger("index") == 4) {
          assertFalse(test.containsKey("input") || test.containsKey("actual_output") || test.containsKey("expected_output"),
              "a hidden test's event is redacted: " + t.encode());
        } else {
          assertEquals(t.getInteger("index") + "\n", test.getString("actual_output"), t.encode());
        }
      }
      for (int i = 0; i < live.size(); i++) assertEquals(i + 1, live.get(i).getInteger("seq"), live.toString());
      assertEquals(5, live.get(live.size() - 1).getJsonObject("summary").getInteger("passed"), live.toString());
      assertEquals(live, a.events(id), "a late subscriber on A gets every event");
      JsonObject record = get(a, "/jobs/" + id);
      assertEquals("done", record.getString("state"), record.encode());
      assertNull(record.getValue("request"), "the record does not show the code and hidden tests back");
      assertEquals(5, record.getJsonObject("result").getJsonObject("summary").getInteger("passed"), record.encode());
      JsonArray hiddenResults = record.getJsonObject("result").getJsonObject("test_results").getJsonArray("hidden");
      assertFalse(hiddenResults.getJsonObject(0).containsKey("actual_output"), record.encode());

      // 40 tests, chunks of at least 8: split over the free sandboxes of A and B, merged in the tests' order.
      HttpResponse<Buffer> big = c.client.post("/jobs").sendJsonObject(job("python", "print(input())", 40, true)).await();
      String bigId = big.bodyAsJsonObject().getString("id");
      List<JsonObject> bigEvents = b.events(bigId);
      assertEquals(40, bigEvents.stream().filter(e -> e.getString("type").equals("test")).count(), bigEvents.toString());
      JsonObject bigRecord = get(a, "/jobs/" + bigId);
      assertEquals(2, bigRecord.getInteger("chunks"), "one chunk per free sandbox (one on A, one on B): " + bigRecord.encode());
      JsonObject bigResult = bigRecord.getJsonObject("result");
      assertEquals(40, bigResult.getJsonObject("summary").getInteger("passed"), bigResult.encode());
      JsonArray bigVisible = bigResult.getJsonObject("test_results").getJsonArray("visible");
      for (int i = 0; i < 39; i++) {
        assertEquals("t" + i, bigVisible.getJsonObject(i).getString("id"), bigResult.encode());
        assertEquals(i + "\n", bigVisible.getJsonObject(i).getString("actual_output"), bigResult.encode());
      }
      assertEquals("t39", bigResult.getJsonObject("test_results").getJsonArray("hidden").getJsonObject(0).getString("id"));

      // One-shot over a WebSocket from the API-only C: the job as the first message, its events, the result in "done".
      TestNode.Socket shot = c.webSocket("/run?stream", job("python", PY_ECHO, 3, true).encode());
      assertEquals((short) 1000, shot.closeStatus(), shot.toString());
      List<JsonObject> shotEvents = shot.messages();
      assertEquals("accepted", shotEvents.get(0).getString("type"), shotEvents.toString());
      assertEquals(3, shotEvents.stream().filter(e -> e.getString("type").equals("test")).count(), shotEvents.toString());
      JsonObject shotDone = shotEvents.get(shotEvents.size() - 1);
      assertEquals("done", shotDone.getString("type"), shotDone.encode());
      assertEquals(200, shotDone.getInteger("status"), shotDone.encode());
      assertEquals(3, shotDone.getJsonObject("result").getJsonObject("summary").getInteger("passed"), shotDone.encode());
      JsonObject shotHidden = shotDone.getJsonObject("result").getJsonObject("test_results").getJsonArray("hidden").getJsonObject(0);
      assertFalse(shotHidden.containsKey("actual_output") || shotHidden.containsKey("expected_output"), shotDone.encode());
      assertEquals("done", get(a, "/jobs/" + shotEvents.get(0).getString("id")).getString("state"), "a streamed job has a record too");
      // Refused: its error as the one message, then the socket closed (1008: policy).
      for (String wrong : List.of("{not json", job("rb", "puts gets", 1, false).encode(), "[]")) {
        TestNode.Socket refused = c.webSocket("/run?stream", wrong);
        assertEquals(1, refused.messages().size(), refused.toString());
        JsonObject error = refused.messages().get(0);
        assertEquals("error", error.getString("type"), error.encode());
        assertEquals(400, error.getInteger("status"), error.encode());
        assertFalse(error.getString("error").isBlank(), error.encode());
        assertEquals((short) 1008, refused.closeStatus(), refused.toString());
      }
      // The same over HTTP: POST /run?stream answers the events as NDJSON lines, done (with the result) last.
      HttpResponse<Buffer> streamed = c.client.post("/run?stream").sendJsonObject(job("python", PY_ECHO, 2, false)).await();
      assertEquals(200, streamed.statusCode(), streamed.bodyAsString());
      assertTrue(streamed.getHeader("content-type").startsWith("application/x-ndjson"), streamed.headers().toString());
      List<JsonObject> lines = streamed.bodyAsString().lines().map(JsonObject::new).toList();
      assertEquals("accepted", lines.get(0).getString("type"), lines.toString());
      assertEquals(2, lines.stream().filter(e -> e.getString("type").equals("test")).count(), lines.toString());
      assertEquals(2, lines.get(lines.size() - 1).getJsonObject("result").getJsonObject("summary").getInteger("passed"), lines.toString());
      HttpResponse<Buffer> streamRefused = c.client.post("/run?stream").sendBuffer(Buffer.buffer("{not json")).await();
      assertEquals(400, streamRefused.statusCode(), streamRefused.bodyAsString());
      assertFalse(streamRefused.bodyAsJsonObject().getString("error").isBlank(), streamRefused.bodyAsString());
      HttpResponse<Buffer> plainGet = c.client.get("/run").send().await();
      assertEquals(405, plainGet.statusCode(), plainGet.bodyAsString());

      // Cancelled from C while it runs on A or B: its sandbox is freed long before its 3 × 8 s would end.
      String slow = "import time\ntime.sleep(8)\nprint(input())\n";
      String cancelled = a.client.post("/jobs").sendJsonObject(job("python", slow, 3, false).put("timeout_seconds", 10))
          .await().bodyAsJsonObject().getString("id");
      TestEnvironment.await("the slow job runs", Duration.ofMillis(10_000), () -> get(c, "/nodes").getJsonArray("nodes").stream()
          .mapToInt(n -> ((JsonObject) n).getInteger("running")).sum() == 1);
      HttpResponse<Buffer> deleted = c.client.delete("/jobs/" + cancelled).send().await();
      assertEquals(202, deleted.statusCode(), deleted.bodyAsString());
      TestEnvironment.await("the cancelled job's record says so", Duration.ofMillis(5_000), () -> "cancelled".equals(get(b, "/jobs/" + cancelled).getString("state")));
      TestEnvironment.await("no job runs", Duration.ofMillis(5_000), () -> get(c, "/nodes").getJsonArray("nodes").stream()
          .mapToInt(n -> ((JsonObject) n).getInteger("running")).sum() == 0);
      // A one-shot stream whose client goes away: its job is cancelled, its sandbox freed.
      TestNode.Socket gone = b.webSocket("/run?stream", job("python", slow, 3, false).put("timeout_seconds", 10).encode(),
          ws -> b.vertx.setTimer(2_000, t -> ws.close()));
      String goneId = gone.messages().get(0).getString("id");
      TestEnvironment.await("the abandoned stream's job is cancelled", Duration.ofMillis(8_000),
          () -> "cancelled".equals(get(a, "/jobs/" + goneId).getString("state")));
      TestEnvironment.await("no job runs after it", Duration.ofMillis(5_000), () -> get(c, "/nodes").getJsonArray("nodes").stream()
          .mapToInt(n -> ((JsonObject) n).getInteger("running")).sum() == 0);
      assertEquals(409, c.client.delete("/jobs/" + cancelled).send().await().statusCode());
      assertEquals(404, c.client.delete("/jobs/no-such-job").send().await().statusCode());
      assertEquals(404, c.client.get("/jobs/no-such-job").send().await().statusCode());
      HttpResponse<Buffer> notUpgraded = c.client.get("/jobs/" + id + "/events").send().await();
      assertEquals(400, notUpgraded.statusCode(), notUpgraded.bodyAsString());

      // Records expire job_ttl_s (4 s here) after their last change.
      TestEnvironment.await("the first job's record expired", Duration.ofMillis(15_000), () -> c.client.get("/jobs/" + id).send().await().statusCode() == 404);
    } finally {
      for (int i = started.size() - 1; i >= 0; i--) started.get(i).close();
    }
  }
}

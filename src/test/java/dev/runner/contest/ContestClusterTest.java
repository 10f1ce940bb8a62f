package dev.runner.contest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.TestEnvironment;
import dev.runner.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The contest caches are the cluster's: a token and an input set stored through one node run
 * through another, and survive the death of the node that received them (each stored entry is on
 * a second node before the request is answered); a node that joins later fetches what it lacks.
 */
class ContestClusterTest {
  @Test
  void anyNodeRunsAnyTokenOnAnyInputEvenAfterTheReceivingNodeDies() throws Exception {
    // One image (C++) per node: three nodes of every image would start dozens of containers.
    // Each member's own Hazelcast port, all of them its seeds: other test runs may hold the default range.
    int[] ports = {TestEnvironment.freePort(), TestEnvironment.freePort(), TestEnvironment.freePort()};
    Map<String, String> env = Map.of("RUNNER_CLUSTER_NAME", TestEnvironment.label("runner-test-contest-cluster"),
        "RUNNER_IMAGES", "cpp17=" + TestEnvironment.image("cpp17"),
        "RUNNER_CLUSTER_MEMBERS", "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2]);
    TestNode b = null, c = null;
    try {
      String token, hash;
      try (TestNode a = TestNode.start(TestEnvironment.member(env, ports[0], Map.of()))) {
        b = TestNode.start(TestEnvironment.member(env, ports[1], Map.of()));
        assertEquals(2, b.client.get("/health").send().await().bodyAsJsonObject().getInteger("nodes"));
        token = ContestApiTest.compile(a, "cpp17", new JsonObject().put("main.cpp", ContestApiTest.SUM + "\n// " + UUID.randomUUID()));
        hash = ContestApiTest.input(a, "20 22");
        assertEquals(ContestApiTest.md5("42\n"), only(ContestApiTest.run(b, token, hash, new JsonObject())).getString("output_hash"));
      }
      // A, which compiled the program and received the input, is gone: B has copies of both.
      assertEquals(ContestApiTest.md5("42\n"), only(ContestApiTest.run(b, token, hash, new JsonObject())).getString("output_hash"));
      c = TestNode.start(TestEnvironment.member(env, ports[2], Map.of()));
      assertEquals(2, c.client.get("/health").send().await().bodyAsJsonObject().getInteger("nodes"), "B and C: A left");
      // Once C's sandbox is up, C runs the jobs it is sent (as free as B, and local): it fetches the bytes
      // from B once and keeps them.
      TestNode joined = c;
      TestEnvironment.await("C's sandbox free", java.time.Duration.ofSeconds(30), () -> joined.client.get("/nodes").send().await()
          .bodyAsJsonObject().getJsonArray("nodes").stream().map(JsonObject.class::cast)
          .anyMatch(n -> n.getBoolean("self") && n.getJsonObject("free").getInteger("cpp17", 0) > 0));
      for (int i = 0; i < 4; i++) {
        assertEquals("OK", only(ContestApiTest.run(c, token, hash, new JsonObject())).getString("status"));
      }
      Path cInputs = dev.runner.cache.CacheSettings.of(c.config).dir().resolve("input");
      try (var files = Files.list(cInputs)) {
        List<String> names = files.map(f -> f.getFileName().toString()).toList();
        assertEquals(1, names.size(), "C fetched the input set once and keeps it: " + names);
      }
    } finally {
      if (c != null) c.close();
      if (b != null) b.close();
    }
  }

  private static JsonObject only(JsonArray results) {
    assertEquals(1, results.size(), results.encode());
    JsonObject r = results.getJsonObject(0);
    assertTrue(r.getString("status").equals("OK"), r.encode());
    return r;
  }
}

package dev.runner.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.TestEnvironment;
import dev.runner.config.RunnerConfig;
import dev.runner.metrics.RunnerMetrics;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Job records on a real Hazelcast member (no Podman): a late attempt is discarded, orphans are found, records expire. */
class JobRecordsTest {
  @Test
  void aLaterAttemptsRecordIsNeverOverwrittenAndOrphansAreFound() throws Exception {
    int port = TestEnvironment.freePort();
    RunnerConfig config = TestEnvironment.node(1, Map.of("RUNNER_CLUSTER_PORT", String.valueOf(port),
        "RUNNER_CLUSTER_MEMBERS", "127.0.0.1:" + port, "RUNNER_JOB_TTL_S", "2"));
    Cluster.Member member = Cluster.start(config, new RunnerMetrics(config)).await();
    try {
      JobRecords records = new JobRecords(member.vertx(), member.manager().getHazelcastInstance());
      JsonObject adopted = new JsonObject().put("id", "j").put("async", true).put("state", "running").put("coordinator", "b").put("attempt", 2);
      assertTrue(records.put("j", adopted).await());
      JsonObject late = adopted.copy().put("state", "done").put("coordinator", "a").put("attempt", 1);
      assertFalse(records.put("j", late).await(), "attempt 1's word after attempt 2 took over");
      assertEquals(adopted, records.get("j").await());
      assertTrue(records.put("j", adopted.copy().put("state", "done")).await(), "its own attempt may write again");

      JsonObject first = new JsonObject().put("seq", 1).put("type", "accepted");
      assertTrue(records.putEvent("j", 2, 1, first).await());
      assertFalse(records.putEvent("j", 1, 1, new JsonObject().put("seq", 1).put("type", "late")).await());
      assertTrue(records.putEvent("j", 2, 2, new JsonObject().put("seq", 2)).await());
      assertTrue(records.putEvent("j", 2, 4, new JsonObject().put("seq", 4)).await()); // 3 not stored yet
      assertEquals(new JsonArray().add(first).add(new JsonObject().put("seq", 2)), records.events("j", 1).await(),
          "in order, up to the first missing");
      assertEquals(new JsonArray().add(new JsonObject().put("seq", 2)), records.events("j", 2).await());
      for (int seq = 5; seq <= 140; seq++) records.putEvent("k", 1, seq - 4, new JsonObject().put("seq", seq - 4)).await();
      assertEquals(136, records.events("k", 1).await().size(), "read in batches");
      assertEquals(new JsonArray(), records.events("none", 1).await());

      // Of two survivors claiming a dead node's job, one gets it, as the next attempt.
      records.put("c", new JsonObject().put("id", "c").put("async", true).put("state", "running").put("coordinator", "dead")
          .put("attempt", 1)).await();
      JsonObject claimed = records.claim("c", "dead", "s1").await();
      assertEquals("s1", claimed.getString("coordinator"));
      assertEquals(2, claimed.getInteger("attempt"));
      assertNull(records.claim("c", "dead", "s2").await(), "claimed already");
      assertFalse(records.put("c", claimed.copy().put("coordinator", "dead").put("attempt", 1).put("state", "done")).await(),
          "the dead node's late word");

      records.put("o1", new JsonObject().put("id", "o1").put("async", true).put("state", "running").put("coordinator", "dead").put("attempt", 1)).await();
      records.put("o2", new JsonObject().put("id", "o2").put("async", false).put("state", "running").put("coordinator", "dead").put("attempt", 1)).await();
      records.put("o3", new JsonObject().put("id", "o3").put("async", true).put("state", "done").put("coordinator", "dead").put("attempt", 1)).await();
      records.put("o4", new JsonObject().put("id", "o4").put("async", true).put("state", "queued").put("coordinator", "alive").put("attempt", 1)).await();
      List<String> orphans = records.orphansOf("dead").await().stream().map(r -> r.getString("id")).toList();
      assertEquals(List.of("o1"), orphans, "unfinished, asynchronous, of the dead node");

      long deadline = System.currentTimeMillis() + 15_000;
      while (records.get("o1").await() != null && System.currentTimeMillis() < deadline) Thread.sleep(200);
      assertNull(records.get("o1").await(), "expired after job_ttl_s");
    } finally {
      member.vertx().close().await();
    }
  }
}

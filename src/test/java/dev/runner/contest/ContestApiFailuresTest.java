package dev.runner.contest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.StandInCluster;
import dev.runner.TestEnvironment;
import dev.runner.cluster.Dispatcher;
import dev.runner.cache.ContentCache;
import dev.runner.config.RunnerConfig;
import dev.runner.jobs.Programs;
import dev.runner.jobs.WorkerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the contest API answers when its worker cannot: a unit test, with a fake worker on the event
 * bus and a fake cache that knows one token and one input set of two cases.
 */
class ContestApiFailuresTest {
  private static final String TOKEN = "a".repeat(64);
  private Vertx vertx;
  private ContestApi api;

  /** Knows TOKEN (a cpp17 program) and the input set "set" (cases x and y); stores nothing. */
  private static final class KnownEntries implements ContentCache {
    @Override
    public Future<Entry> put(Kind kind, String key, Buffer bytes, JsonObject meta) {
      return Future.failedFuture("not for this test");
    }

    @Override
    public Future<Entry> lookup(Kind kind, String key) {
      if (kind == Kind.TOKEN && key.equals(TOKEN)) return Future.succeededFuture(new Entry(kind, key, "s", 1, new JsonObject().put("language", "cpp17")));
      if (kind == Kind.INPUT && key.equals("set")) {
        return Future.succeededFuture(new Entry(kind, key, "s", 2, new JsonObject().put("cases", new JsonArray().add("x").add("y"))
            .put("sizes", new JsonArray().add(1).add(1))));
      }
      return Future.succeededFuture(null);
    }

    @Override
    public Future<Pinned> open(Kind kind, String key) {
      return Future.failedFuture("not for this test");
    }
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    RunnerConfig config = TestEnvironment.node(1);
    KnownEntries cache = new KnownEntries();
    api = new ContestApi(vertx, config, cache, new Programs(vertx, cache, Map.of()), StandInCluster.dispatcher(vertx, config));
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private ContestService.Reply runWhileTheWorkerFails(int code, String why) {
    vertx.eventBus().<JsonObject>consumer(StandInCluster.address(Dispatcher.Kind.CONTEST, "cpp17"), m -> m.fail(code, why)).completion().await();
    return api.run(new JsonObject().put("token", TOKEN).put("input_hash", "set")).await();
  }

  @Test
  void aSandboxThatFailsTwiceMakesEveryCaseJe() {
    ContestService.Reply r = runWhileTheWorkerFails(WorkerVerticle.JUDGE_ERROR, "the sandbox stopped answering");
    assertEquals(200, r.status(), r.body().encode());
    JsonArray results = r.body().getJsonArray("results");
    assertEquals(2, results.size());
    for (int i = 0; i < 2; i++) {
      JsonObject c = results.getJsonObject(i);
      assertEquals(i == 0 ? "x" : "y", c.getString("name"));
      assertEquals("JE", c.getString("status"));
      assertTrue(c.getString("error").contains("stopped answering"), c.encode());
    }
  }

  @Test
  void aBusyNodeIs503AndAVanishedInputIs404() {
    assertEquals(503, runWhileTheWorkerFails(WorkerVerticle.UNAVAILABLE, "no sandbox within 30 s").status());
    vertx.close().await();
    start();
    ContestService.Reply gone = runWhileTheWorkerFails(WorkerVerticle.MISSING, "input"); // evicted between the look-up and the run
    assertEquals(404, gone.status());
    assertEquals("input", gone.body().getString("missing"), gone.body().encode());
  }

  @Test
  void aLanguageNoNodeRunsIs503() {
    ContestService.Reply r = api.run(new JsonObject().put("token", TOKEN).put("input_hash", "set")).await();
    assertEquals(503, r.status(), r.body().encode());
    assertTrue(r.body().getString("error").contains("cpp17"), r.body().encode());
  }
}

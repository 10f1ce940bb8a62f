package dev.runner.grader;

import static dev.runner.grader.TestGrader.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.TestCerts;
import dev.runner.TestEnvironment;
import dev.runner.config.RunnerConfig;
import dev.runner.contest.ContestService;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The poller against a real HTTPS grader with client certificates required ({@link TestGrader},
 * certificates made by {@code ./runner certs}) and a fake contest API that records its calls and
 * gives canned replies: every result status, a grader down, slow or answering garbage, failing
 * posts, certificates of the wrong CA either way, the concurrency bound and a prompt stop.
 */
class GraderPollerTest {
  private static final JsonArray RESULTS = new JsonArray()
      .add(new JsonObject().put("name", "1").put("status", "OK").put("time_ms", 3).put("memory_kb", 1024).put("output_hash", "c81e728d9d4c2f636f067f89cc14862c"))
      .add(new JsonObject().put("name", "2").put("status", "TLE").put("time_ms", 1000).put("memory_kb", 1024));
  private static TestCerts ours;
  private static TestCerts theirs;

  private final FakeContest contest = new FakeContest();
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeAll
  static void certificates() {
    ours = TestCerts.make();
    theirs = TestCerts.make(); // other CAs, same names
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
  }

  /** A contest API whose replies each test sets, recording every request. */
  static final class FakeContest implements ContestService {
    final List<JsonObject> compiles = new CopyOnWriteArrayList<>(), stores = new CopyOnWriteArrayList<>(), runs = new CopyOnWriteArrayList<>();
    static final Function<JsonObject, Future<Reply>> COMPILED =
        r -> reply(200, new JsonObject().put("token", "tok-" + r.getString("lang")).put("compile_time_ms", 12).put("cached", false));
    volatile Function<JsonObject, Future<Reply>> compile = COMPILED;
    volatile Function<JsonObject, Future<Reply>> store = r -> reply(201, new JsonObject().put("hash", r.getString("hash")));
    volatile Function<JsonObject, Future<Reply>> run = r -> reply(200, new JsonObject().put("results", RESULTS));

    @Override
    public Future<Reply> compile(JsonObject request) {
      compiles.add(request);
      return compile.apply(request);
    }

    @Override
    public Future<Reply> storeInput(JsonObject request) {
      stores.add(request);
      return store.apply(request);
    }

    @Override
    public Future<Reply> describeInput(String hash) {
      return reply(404, new JsonObject().put("error", "no input " + hash));
    }

    @Override
    public Future<Reply> run(JsonObject request) {
      runs.add(request);
      return run.apply(request);
    }

    @Override
    public Reply invalidJob(JsonObject request) {
      throw new UnsupportedOperationException("the grader poller sends no asynchronous job");
    }

    @Override
    public Future<Reply> job(JsonObject request, Tracking tracking) {
      throw new UnsupportedOperationException("the grader poller sends no asynchronous job");
    }
  }

  static Future<ContestService.Reply> reply(int status, JsonObject body) {
    return Future.succeededFuture(new ContestService.Reply(status, body));
  }

  static JsonObject job(String id) {
    return new JsonObject().put("id", id).put("lang", "cpp17")
        .put("code", new JsonObject().put("main.cpp", "int main() { return 0; }"))
        .put("input_hash", "hash-" + id).put("time_limit_ms", 1000).put("memory_limit_kb", 262144).put("output_limit_kb", 65536);
  }

  static JsonObject withCases(JsonObject job) {
    return job.put("cases", new JsonArray().add(new JsonObject().put("name", "1").put("input", "1 1\n"))
        .add(new JsonObject().put("name", "2").put("input", "2 2\n")));
  }

  private TestGrader grader(TestCerts serverCerts, TestCerts clientCa, int port) {
    TestGrader g = new TestGrader(serverCerts, clientCa, port);
    open.add(g);
    return g;
  }

  private TestGrader grader() {
    return grader(ours, ours, 0);
  }

  /** A poller's configuration: only what it reads is meaningful (the images are never started). */
  static RunnerConfig config(String url, TestCerts certs, int loops) {
    Map<String, String> env = new HashMap<>(Map.of("RUNNER_IMAGES", "python=unused", "RUNNER_GRADER_URL", url,
        "RUNNER_MAX_JOBS", String.valueOf(loops)));
    if (certs != null) env.putAll(certs.apiEnv());
    return RunnerConfig.fromEnvironment(env);
  }

  /** The poller deployed on a plain Vertx of its own; closing it undeploys the poller. */
  private Vertx poller(String url, TestCerts certs, int loops) {
    Vertx vertx = Vertx.vertx();
    open.add(() -> vertx.close().await());
    vertx.deployVerticle(new GraderPoller(config(url, certs, loops), contest)).await();
    return vertx;
  }

  private Vertx poller(TestGrader grader) {
    return poller(grader.url(), ours, 1);
  }

  private static JsonObject onlyResult(TestGrader g) {
    await("a result", 10_000, () -> !g.results.isEmpty());
    sleep(300); // nothing more comes
    assertEquals(1, g.results.size(), g.results.toString());
    return g.results.get(0);
  }

  @Test
  void aJobIsCompiledItsInputStoredRunAndItsResultPosted() {
    TestGrader g = grader().queue(withCases(job("j1")));
    poller(g);
    JsonObject result = onlyResult(g);
    assertEquals(new JsonObject().put("id", "j1").put("status", "OK").put("token", "tok-cpp17").put("compile_time_ms", 12)
        .put("results", RESULTS), result);
    assertEquals(List.of(new JsonObject().put("lang", "cpp17").put("code", new JsonObject().put("main.cpp", "int main() { return 0; }"))),
        contest.compiles);
    assertEquals(List.of(new JsonObject().put("hash", "hash-j1").put("cases", withCases(new JsonObject()).getJsonArray("cases"))), contest.stores);
    assertEquals(List.of(new JsonObject().put("token", "tok-cpp17").put("input_hash", "hash-j1").put("time_limit_ms", 1000)
        .put("memory_limit_kb", 262144).put("output_limit_kb", 65536)), contest.runs);
    assertEquals(1, g.posts.get());

    // Without cases the input is not stored, and a numeric id is answered as given; an already stored input (200) is fine too.
    contest.store = r -> reply(200, new JsonObject());
    g.queue(job("x").put("id", 42), withCases(job("j3")));
    await("two more results", 10_000, () -> g.results.size() == 3);
    assertEquals(42, g.results.get(1).getValue("id"));
    assertEquals("OK", g.results.get(1).getString("status"));
    assertEquals("OK", g.results.get(2).getString("status"));
    assertEquals(2, contest.stores.size());
  }

  @Test
  void aCompileErrorIsACe() {
    contest.compile = r -> reply(422, new JsonObject().put("error", "main.cpp:1:1: error: expected ';'").put("compile_time_ms", 30));
    TestGrader g = grader().queue(withCases(job("ce")));
    poller(g);
    assertEquals(new JsonObject().put("id", "ce").put("status", "CE").put("error", "main.cpp:1:1: error: expected ';'").put("compile_time_ms", 30),
        onlyResult(g));
    assertTrue(contest.stores.isEmpty() && contest.runs.isEmpty());
  }

  @Test
  void aMissingInputIsAskedForAndOneStoredOtherwiseIsAJudgeError() {
    contest.run = r -> reply(404, new JsonObject().put("error", "no input hash-m").put("missing", "input"));
    TestGrader g = grader().queue(job("m"));
    poller(g);
    assertEquals(new JsonObject().put("id", "m").put("status", "missing_input").put("error", "no input hash-m"), onlyResult(g));
    assertTrue(contest.stores.isEmpty());

    // Sent with its cases and gone anyway (evicted between storing and running): the node's fault.
    g.queue(withCases(job("m2")));
    await("a second result", 10_000, () -> g.results.size() == 2);
    assertEquals("JE", g.results.get(1).getString("status"));
    // Cases under a hash that holds other content.
    contest.store = r -> reply(409, new JsonObject().put("error", "hash-c holds other cases"));
    g.queue(withCases(job("c")));
    await("a third result", 10_000, () -> g.results.size() == 3);
    assertEquals(new JsonObject().put("id", "c").put("status", "JE").put("error", "storing the input: hash-c holds other cases"), g.results.get(2));
    assertEquals(2, contest.runs.size());
  }

  @Test
  void aMalformedJobIsRejected() {
    contest.compile = r -> r.getValue("lang") == null ? reply(400, new JsonObject().put("error", "lang is required")) : FakeContest.COMPILED.apply(r);
    contest.run = r -> r.getValue("time_limit_ms") instanceof Number ? reply(200, new JsonObject().put("results", RESULTS))
        : reply(400, new JsonObject().put("error", "time_limit_ms must be a number"));
    TestGrader g = grader();
    JsonObject noLang = job("r1");
    noLang.remove("lang");
    g.queue(noLang, job("r2").put("time_limit_ms", "fast"), withCases(job("r3")).put("input_hash", 7));
    contest.store = r -> r.getValue("hash") instanceof String ? reply(201, new JsonObject()) : reply(400, new JsonObject().put("error", "hash must be a string"));
    poller(g);
    await("three results", 10_000, () -> g.results.size() == 3);
    assertEquals(new JsonObject().put("id", "r1").put("status", "rejected").put("error", "compile: lang is required"), g.results.get(0));
    assertEquals(new JsonObject().put("id", "r2").put("status", "rejected").put("error", "run: time_limit_ms must be a number"), g.results.get(1));
    assertEquals(new JsonObject().put("id", "r3").put("status", "rejected").put("error", "storing the input: hash must be a string"), g.results.get(2));
  }

  @Test
  void aNodeThatCannotAnswerGivesAJudgeError() {
    contest.run = r -> Future.failedFuture("no worker runs cpp17");
    TestGrader g = grader().queue(job("f1"));
    poller(g);
    await("a result", 10_000, () -> g.results.size() == 1);
    assertEquals(new JsonObject().put("id", "f1").put("status", "JE").put("error", "the node could not answer: no worker runs cpp17"), g.results.get(0));
    contest.run = r -> reply(503, new JsonObject().put("error", "no sandbox free"));
    g.queue(job("f2"));
    await("a second result", 10_000, () -> g.results.size() == 2);
    assertEquals(new JsonObject().put("id", "f2").put("status", "JE").put("error", "run answered 503: no sandbox free"), g.results.get(1));
    contest.compile = r -> {
      throw new IllegalStateException("compile broke");
    };
    g.queue(job("f3"));
    await("a third result", 10_000, () -> g.results.size() == 3);
    assertEquals(new JsonObject().put("id", "f3").put("status", "JE").put("error", "the node could not answer: compile broke"), g.results.get(2));
  }

  @Test
  void aGraderDownAtFirstIsPolledWithGrowingPausesAndItsJobTakenOnceUp() {
    // First a port that takes connections and closes them at once (counted), then nothing listening.
    int port = TestEnvironment.freePort();
    Vertx tcp = Vertx.vertx();
    open.add(() -> tcp.close().await());
    AtomicInteger connections = new AtomicInteger();
    NetServer closer = tcp.createNetServer().connectHandler(s -> {
      connections.incrementAndGet();
      s.close();
    }).listen(port, "127.0.0.1").await();
    poller("https://127.0.0.1:" + port, ours, 1);
    sleep(3_000);
    // 100, 200, 400, 800, 1600 ms pauses: about 5 attempts in 3 s; a spinning poller would make hundreds.
    assertTrue(connections.get() >= 3 && connections.get() <= 8, connections + " attempts in 3 s");
    closer.close().await();
    sleep(1_000); // refused connections meanwhile
    TestGrader g = grader(ours, ours, port).queue(job("late"));
    // The pause has reached its cap by now: the job is taken within about 5 s.
    await("the job taken once the grader is up", 8_000, () -> g.results.size() == 1);
    assertEquals("OK", g.results.get(0).getString("status"));
    assertEquals("late", g.results.get(0).getString("id"));
  }

  @Test
  void anIdleGraderIsPolledEvery100Ms() {
    TestGrader g = grader();
    poller(g);
    sleep(2_000);
    // 204s: a poll each 100 ms plus the round trip, not a spin and not the failure pause.
    assertTrue(g.polls.get() >= 8 && g.polls.get() <= 21, g.polls + " polls in 2 s");
  }

  @Test
  void aSlowGraderIsWaitedFor() {
    TestGrader g = grader();
    g.answers.add(new TestGrader.Answer(200, withCases(job("slow")).encode(), 1_500));
    poller(g);
    JsonObject result = onlyResult(g);
    assertEquals("slow", result.getString("id"));
    assertEquals("OK", result.getString("status"));
  }

  @Test
  void garbageFromTheGraderIsSkippedAndTheNextGoodJobTaken() {
    TestGrader g = grader();
    for (String body : new String[] {"not json", "[1, 2]", "{\"lang\": \"cpp17\"}", "{\"id\": [1]}", ""}) {
      g.answers.add(new TestGrader.Answer(200, body, 0));
    }
    g.answers.add(new TestGrader.Answer(500, "{\"error\": \"boom\"}", 0));
    g.queue(withCases(job("good")));
    poller(g);
    // Six bad answers, pauses of 0.1 + 0.2 + 0.4 + 0.8 + 1.6 + 3.2 s; the good job comes after them.
    await("the good job's result", 15_000, () -> g.results.size() == 1);
    assertEquals("good", g.results.get(0).getString("id"));
    assertEquals("OK", g.results.get(0).getString("status"));
    assertEquals(1, contest.compiles.size()); // none of the garbage reached the contest API
  }

  @Test
  void aResultRefusedTwiceIsPostedAgainAndOnlyOnce() {
    TestGrader g = grader().queue(job("p"));
    g.failPosts.set(2);
    poller(g);
    JsonObject result = onlyResult(g);
    assertEquals("p", result.getString("id"));
    assertEquals(3, g.posts.get());
    assertEquals(1, g.served.get());
    assertEquals(1, contest.runs.size()); // the job ran once, only its post was repeated
  }

  @Test
  void aResultNeverTakenIsDroppedAndTheLoopGoesOn() {
    TestGrader g = grader().queue(job("lost"), job("next"));
    g.failPosts.set(GraderPoller.RESULT_RETRIES + 1);
    poller(g);
    // 1 + 5 posts, after 0.5 + 1 + 2 + 4 + 8 s, then the next job.
    await("the next job's result", 25_000, () -> g.results.size() == 1);
    assertEquals("next", g.results.get(0).getString("id"));
    assertEquals(GraderPoller.RESULT_RETRIES + 2, g.posts.get());
  }

  @Test
  void aGraderThatDoesNotTrustThePollersCaGetsNoRequest() {
    TestGrader g = grader(ours, theirs, 0).queue(job("t")); // takes clients of the other CA only
    poller(g);
    sleep(2_000);
    assertEquals(0, g.polls.get()); // refused at the handshake: no request ever came through
    assertTrue(g.results.isEmpty());
  }

  @Test
  void thePollerRefusesAGraderWithACertificateOfAnotherCa() {
    TestGrader g = grader(theirs, ours, 0).queue(job("t")); // serves the other CA's certificate, takes our clients
    poller(g);
    sleep(2_000);
    assertEquals(0, g.polls.get());
    assertTrue(g.results.isEmpty() && contest.compiles.isEmpty());
  }

  @Test
  void thePollerChecksTheGradersName() {
    TestGrader g = new TestGrader(ours, ours, "127.0.0.2", 0).queue(job("t"));
    open.add(g);
    // An address its certificate does not name (127.0.0.2 is loopback too).
    poller("https://127.0.0.2:" + g.port(), ours, 1);
    sleep(2_000);
    assertEquals(0, g.polls.get());
    assertTrue(contest.compiles.isEmpty());
  }

  @Test
  void noMoreJobsAreTakenThanMayRunAtOnce() {
    int loops = 3;
    List<Promise<ContestService.Reply>> held = new CopyOnWriteArrayList<>();
    AtomicInteger running = new AtomicInteger(), most = new AtomicInteger();
    contest.run = r -> {
      most.accumulateAndGet(running.incrementAndGet(), Math::max);
      Promise<ContestService.Reply> p = Promise.promise();
      held.add(p);
      return p.future().onComplete(x -> running.decrementAndGet());
    };
    TestGrader g = grader();
    for (int i = 0; i < 8; i++) g.queue(job("c" + i));
    poller(g.url(), ours, loops);
    await("three jobs running", 10_000, () -> running.get() == loops);
    sleep(1_000);
    assertEquals(loops, g.served.get()); // the others stay at the grader
    assertEquals(loops, running.get());
    // Released one by one (each release lets a loop take the next job), then all at once.
    for (int done = 0; done < 8; ) {
      List<Promise<ContestService.Reply>> now = List.copyOf(held);
      held.removeAll(now);
      for (Promise<ContestService.Reply> p : now) p.complete(new ContestService.Reply(200, new JsonObject().put("results", RESULTS)));
      done += now.size();
      if (done < 8) await("the next jobs running", 10_000, () -> !held.isEmpty());
    }
    await("eight results", 10_000, () -> g.results.size() == 8);
    assertEquals(loops, most.get());
  }

  @Test
  void stopIsPromptWithAJobUnderWay() {
    contest.run = r -> Promise.<ContestService.Reply>promise().future(); // never answers
    TestGrader g = grader().queue(job("stuck"));
    Vertx vertx = Vertx.vertx();
    open.add(() -> vertx.close().await());
    String id = vertx.deployVerticle(new GraderPoller(config(g.url(), ours, 2), contest)).await();
    await("the job running", 10_000, () -> contest.runs.size() == 1);
    long start = System.currentTimeMillis();
    vertx.undeploy(id).await();
    long took = System.currentTimeMillis() - start;
    assertTrue(took < 4_000, "undeploy took " + took + " ms");
    int polls = g.polls.get();
    sleep(500);
    assertEquals(polls, g.polls.get()); // no loop polls after the stop
    assertTrue(g.results.isEmpty());
  }

  @Test
  void withoutAGraderUrlNothingIsPolled() {
    Map<String, String> env = new HashMap<>(Map.of("RUNNER_IMAGES", "python=unused"));
    Vertx vertx = Vertx.vertx();
    open.add(() -> vertx.close().await());
    String id = vertx.deployVerticle(new GraderPoller(RunnerConfig.fromEnvironment(env), contest)).await();
    vertx.undeploy(id).await();
    assertTrue(contest.compiles.isEmpty());
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
